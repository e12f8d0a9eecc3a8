// Audit sinks: copies of the trail shipped outside the store, so that an
// attacker who controls the store cannot truncate or rewrite its tail without
// the difference showing against the last shipped checkpoint. A copy protects
// only as far as the attacker cannot rewrite it too: an append-only file on
// another mount (chattr +a, a WORM volume) or a remote syslog collector.
//
// Sinks are configured in the server's configuration file only, never through
// the API. The AuditLog calls a sink from its single writer thread, after the
// entries are durable in the store, in sequence order; a sink therefore needs
// no locking of its own for that use. A sink failure never fails a request (the
// store is what G1 makes durable); the log raises an alert and re-ships what
// was missed from the store once the sink works again.
#ifndef WARDEN_AUDIT_AUDIT_SINK_H_
#define WARDEN_AUDIT_AUDIT_SINK_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "audit/audit_entry.h"
#include "core/file_system.h"
#include "core/status.h"

namespace warden::audit {

// One committed entry in its stored encoding.
struct RawEntry {
  uint64_t seq = 0;
  std::string encoded;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual std::string_view name() const = 0;
  // Whether this sink wants every entry (true) or only checkpoints.
  virtual bool ships_entries() const = 0;
  // The highest entry seq this sink already holds, when it can tell (the log
  // re-ships from there after a restart); nullopt when unknown.
  virtual std::optional<uint64_t> LastShippedSeq() = 0;
  // The last checkpoint this sink holds, when it can read its copy back; the
  // log refuses to open below it (a truncated or rolled-back store).
  virtual std::optional<AuditCheckpoint> LastShippedCheckpoint() { return std::nullopt; }
  virtual Status ShipEntries(std::span<const RawEntry> entries) = 0;
  // Ships a checkpoint and makes everything shipped so far durable.
  virtual Status ShipCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key) = 0;
};

// Appends JSON Lines to a file (docs/audit_format.md, "Shipped copy"):
//   {"type":"entry","seq":N,"entry":"<base64 of the stored encoding>"}
//   {"type":"checkpoint","seq":N,"head":"<hex>","time":"<RFC 3339>",
//    "time_micros":T,"signature":"<base64>","public_key":"<base64>"}
// Entries are appended without a sync; a checkpoint line is synced with them.
// The file is only ever appended to, so it may live on an append-only mount.
// LastShippedSeq() and LastShippedCheckpoint() read the whole file once (at
// the first call of either).
class JsonlFileSink : public AuditSink {
 public:
  JsonlFileSink(FileSystem& fs, std::string path, bool ship_entries);
  std::string_view name() const override { return "jsonl-file"; }
  bool ships_entries() const override { return ship_entries_; }
  std::optional<uint64_t> LastShippedSeq() override;
  std::optional<AuditCheckpoint> LastShippedCheckpoint() override;
  Status ShipEntries(std::span<const RawEntry> entries) override;
  Status ShipCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key) override;

 private:
  void ReadBack();
  Status AppendLines(std::string_view lines, bool sync);
  FileSystem& fs_;
  const std::string path_;
  const bool ship_entries_;
  std::unique_ptr<AppendableFile> file_;  // reopened after a failure
  bool read_back_ = false;
  std::optional<uint64_t> last_entry_seq_;
  std::optional<AuditCheckpoint> last_checkpoint_;
};

// Sends each checkpoint as one line to syslog(3) (facility LOG_AUTHPRIV,
// priority LOG_NOTICE) under `ident`, in the JSON form of JsonlFileSink.
class SyslogSink : public AuditSink {
 public:
  explicit SyslogSink(std::string ident = "warden-audit");
  std::string_view name() const override { return "syslog"; }
  bool ships_entries() const override { return false; }
  std::optional<uint64_t> LastShippedSeq() override { return std::nullopt; }
  Status ShipEntries(std::span<const RawEntry>) override { return Status::Ok(); }
  Status ShipCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key) override;

 private:
  std::string ident_;  // syslog keeps the pointer; owned here for the sink's lifetime
};

// Sends each checkpoint to a remote syslog collector over TCP (RFC 5424
// messages, RFC 6587 octet-counting framing; facility authpriv, severity
// notice, APP-NAME `ident`), so that the copy lives on a host the audited
// host cannot rewrite. The message is the JSON checkpoint line. A send that
// fails closes the connection and fails the call (the log alerts and keeps
// serving); the next checkpoint reconnects, at most once per `retry_after`,
// and connecting waits at most `timeout`, so a dead collector cannot hold
// the audit writer for long.
class RemoteSyslogSink : public AuditSink {
 public:
  RemoteSyslogSink(std::string host, uint16_t port, std::string ident = "warden-audit",
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(1000),
                   std::chrono::milliseconds retry_after = std::chrono::milliseconds(5000));
  ~RemoteSyslogSink() override;
  RemoteSyslogSink(const RemoteSyslogSink&) = delete;
  RemoteSyslogSink& operator=(const RemoteSyslogSink&) = delete;
  std::string_view name() const override { return "remote-syslog"; }
  bool ships_entries() const override { return false; }
  std::optional<uint64_t> LastShippedSeq() override { return std::nullopt; }
  Status ShipEntries(std::span<const RawEntry>) override { return Status::Ok(); }
  Status ShipCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key) override;

 private:
  Status Connect();
  void Disconnect();
  const std::string host_;
  const uint16_t port_;
  const std::string ident_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::milliseconds retry_after_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point last_attempt_{};
};

// "tcp://HOST:PORT" (HOST may be a bracketed IPv6 address) as a
// RemoteSyslogSink's host and port; kInvalidArgument naming the rule.
StatusOr<std::pair<std::string, uint16_t>> ParseSyslogAddress(std::string_view address);

// The JSON Lines forms, shared with the verifier.
std::string ShippedEntryLine(const RawEntry& entry);
std::string ShippedCheckpointLine(const AuditCheckpoint& checkpoint, std::string_view public_key);

}  // namespace warden::audit

#endif  // WARDEN_AUDIT_AUDIT_SINK_H_
