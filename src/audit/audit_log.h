// AuditLog: the durable, tamper-evident audit trail (G1, G6, G11, G12).
//
// Append() returns only once the entry is durable in the Store, so a caller
// that appends before answering never sends personal data without its trace.
// One writer thread commits every entry pending at that moment in a single
// Store::Write (group commit), assigning sequence numbers, chaining hashes and
// writing the secondary indexes (account, action, subject) in the same atomic
// batch. Every `checkpoint_every` entries, or `checkpoint_interval` after the
// last checkpoint when entries are unsigned, the batch also carries an Ed25519
// checkpoint over (seq, head hash, time), which is shipped to the sinks; the
// destructor (server stop, seal) writes a last one, so a cleanly stopped log
// has no unsigned tail. Each entry carries an HMAC (EntryMac) under a key
// derived from the audit-hash key, so entries cannot be forged without the
// sealed keys.
//
// Never signing over what it did not write: Open() verifies every entry after
// the last checkpoint (chain and MAC) before it signs anything, and so does
// the writer whenever it adopts entries another server wrote. If they do not
// verify the log refuses to sign: it stays unhealthy, every Append fails with
// "audit_unavailable" (personal data is not served), an alert
// (audit_tail_rejected) fires, and no probe clears it; an operator must
// investigate with `warden audit verify`.
//
// Fail closed: when the store cannot be written, every waiting Append gets
// kUnavailable with reason "audit_unavailable" (HTTP 503), the log turns
// unhealthy, an alert fires, and further Appends fail at once. The writer
// thread probes the store every `probe_interval` by re-reading the chain head
// from the store (so the in-memory head always matches what is durable) and
// appending an alert entry; when that succeeds the log is healthy again and a
// recovery alert fires. No restart is needed.
//
// Identifiers are hashed with HMAC-SHA256 under a key derived (HKDF) from the
// "audit-hash" key; purpose reference, reason and detail are sealed in an
// envelope (crypto/envelope.h, use kAuditContext, bound to the entry's account
// and session) under the key ring's versioned "audit-context" key, so that
// only the sealed key hierarchy can show them to an auditor. Contexts sealed
// before that key had versions (nonce | ciphertext, under a key derived from
// the "audit-hash" key) still open. The "audit-sign" seed signs checkpoints;
// its public key is stored with the log (m/public-key) for offline
// verification.
//
// Several servers may share one store: a batch commits only if the entry
// before it is still the head it chained to; otherwise the writer re-reads the
// head and retries.
//
// Thread safety: every public method may be called from any thread.
// Lifetime: `store` and the sinks must outlive the AuditLog; the destructor
// commits what is queued, then stops the writer.
#ifndef WARDEN_AUDIT_AUDIT_LOG_H_
#define WARDEN_AUDIT_AUDIT_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_entry.h"
#include "audit/audit_sink.h"
#include "audit/audit_verify.h"
#include "core/clock.h"
#include "core/file_system.h"
#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/envelope.h"
#include "crypto/primitives.h"
#include "store/store.h"

namespace warden::audit {

enum class AuditAlertKind {
  kAuditUnavailable,  // the store refused an audit write; personal data is not served
  kAuditRecovered,
  kSinkFailed,  // a shipping sink failed; the store still holds everything
  kSinkRecovered,
  kLowDiskSpace,  // free space below the configured threshold
  kDiskSpaceRecovered,
  kTailRejected,  // entries after the last checkpoint do not verify; nothing is signed
};
std::string_view AuditAlertKindName(AuditAlertKind kind);

struct AuditAlert {
  AuditAlertKind kind;
  std::string message;  // no personal data
};
// Called from the writer thread (or the caller of FreeSpaceWatch::Check);
// must not call back into the AuditLog's Append.
using AuditAlertFn = std::function<void(const AuditAlert&)>;

struct AuditLogOptions {
  uint64_t checkpoint_every = 1024;
  std::chrono::milliseconds checkpoint_interval{1'000};
  std::chrono::milliseconds probe_interval{1'000};
  size_t max_batch = 4096;
  Clock* clock = nullptr;  // Clock::Real() when null
  std::vector<std::shared_ptr<AuditSink>> sinks;
  AuditAlertFn on_alert;
  // Runs on the writer thread after each durable batch with its entry count
  // and how long its store write (the sync) took. Must be quick; for metrics.
  std::function<void(size_t entries, std::chrono::nanoseconds commit)> on_commit;
};

// Query filters. Times are Unix microseconds, `to` exclusive. Results come in
// sequence order; `after_seq` is the cursor from the previous page.
struct AuditQuery {
  int64_t from_micros = 0;
  int64_t to_micros = INT64_MAX;
  std::string account;                // empty: any
  std::optional<AuditAction> action;  // nullopt: any
  uint64_t after_seq = 0;
  size_t limit = 100;  // at most kMaxQueryLimit
};
inline constexpr size_t kMaxQueryLimit = 1000;

// An entry as an auditor sees it: identifiers stay hashed, the context is
// unsealed.
struct AuditRecord {
  AuditEntry entry;
  AuditContext context;
};

struct AuditPage {
  std::vector<AuditRecord> records;
  std::optional<uint64_t> next_after_seq;  // set when more may follow
};

// For one person (G12): every entry that touched the identifier.
struct AccessReport {
  std::vector<AuditRecord> records;
  bool truncated = false;
};

struct TraceSession {
  std::string session;
  uint64_t covered = 0;  // sample items this session read
  int64_t first_micros = 0;
  int64_t last_micros = 0;
};

struct TraceAccount {
  std::string account;
  std::string role;
  uint64_t covered = 0;  // distinct sample items read
  double coverage = 0;   // covered / sample size
  uint64_t entries = 0;  // disclosing entries that touched the sample
  int64_t first_micros = 0;
  int64_t last_micros = 0;
  std::vector<std::string> purposes;  // distinct "kind/reference"
  // For each export job whose file held sample items: its entry's detail
  // (export id, recipient, requester, approvers, key list hash).
  std::vector<std::string> exports;
  std::vector<TraceSession> sessions;  // ranked like accounts
};

// For a leaked sample (G11): who read it, ranked by coverage.
struct TraceReport {
  uint64_t sample_size = 0;     // distinct identifiers
  uint64_t sample_matched = 0;  // identifiers read by anyone
  std::vector<TraceAccount> accounts;
};

class AuditLog {
 public:
  // Opens the log in `store`, re-reading its head, and starts the writer.
  // `hash_key` is the "audit-hash" key (>= 32 bytes); `sign_seed` is the
  // 32-byte "audit-sign" Ed25519 seed; `context_keys` (the key ring's
  // "audit-context" envelope key, non-null) seal contexts under their current
  // version and open any held one. kConflict if the log was created with a
  // different signing key. A tail that does not verify is not an error here:
  // the log opens refusing every append (see above).
  static StatusOr<std::unique_ptr<AuditLog>> Open(
      Store& store, const SecretBytes& hash_key, const SecretBytes& sign_seed,
      std::shared_ptr<const crypto::EnvelopeKeys> context_keys, AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Hashes the event's identifiers, seals its context and blocks until the
  // entry is durable; returns its seq. kUnavailable "audit_unavailable" when
  // the audit store fails or has failed and not yet recovered; kInvalidArgument
  // when the account id is longer than 255 bytes.
  StatusOr<uint64_t> Append(const AuditEvent& event);

  // Like Append, but returns at once: `on_done` runs once the entry is
  // durable (with its seq) or has failed (503 "audit_unavailable"), on the
  // writer thread or, for an immediate failure, on the caller's. It must not
  // block or call back into this AuditLog. This is how the server answers
  // without holding an I/O thread through the sync.
  void AppendAsync(const AuditEvent& event, std::function<void(StatusOr<uint64_t>)> on_done);

  // False from a failed audit write until the probe succeeds.
  bool healthy() const;

  // The keyed hash stored for an identifier; `value` must already be
  // normalised (see AuditSubject). 32 raw bytes.
  std::string HashIdentifier(IdentifierKind kind, std::string_view value) const;

  // True when entries after the last checkpoint did not verify: nothing is
  // signed and nothing is appended until the trail is investigated.
  bool tail_rejected() const;

  // The raw Ed25519 public key that verifies this log's checkpoints.
  const std::string& public_key() const { return public_key_; }

  // The last committed seq (0 when empty).
  uint64_t last_seq() const;

  // Entries waiting for the writer (not counting the batch being written).
  size_t queue_depth() const;

  // Commits a checkpoint for the current head now (if entries follow the
  // last one) and waits until it is durable.
  Status Checkpoint();

  // The auditor's calls. Verify checks every entry's MAC, up to the head
  // committed when it starts. Each appends its own kAuditRead entry for `reader`
  // before it returns, and fails (503) without an answer if that append fails.
  StatusOr<AuditPage> Query(const AuditActor& reader, const AuditQuery& query);
  StatusOr<AccessReport> ReportAccess(const AuditActor& reader, const AuditSubject& subject,
                                      size_t limit = kMaxQueryLimit);
  StatusOr<TraceReport> Trace(const AuditActor& reader, std::span<const AuditSubject> sample);
  StatusOr<VerifyReport> Verify(const AuditActor& reader, const VerifyOptions& options);

 private:
  struct Pending;
  // Finishes a batch with `status`: wakes the Append callers, then runs and
  // deletes the AppendAsync entries. Takes mu_; call without it.
  void Complete(std::vector<Pending*>& batch, const Status& status);
  struct Head {
    uint64_t seq = 0;
    std::string hash;     // EntryHash of entry seq (zeros when seq == 0)
    std::string encoded;  // entry seq as stored (empty when seq == 0)
    int64_t time_micros = 0;
  };
  struct SinkState {
    std::shared_ptr<AuditSink> sink;
    uint64_t shipped_seq = 0;
    bool failing = false;
  };

  AuditLog(Store& store, AuditLogOptions options);
  // Makes the last stored checkpoint (signature and the entry it names
  // checked) the verified head; genesis when there is none.
  Status StartFromLastCheckpoint();
  // Adopts the entries after the verified head, verifying each (seq, chain,
  // time, MAC). Fails with reason "audit_tail_unverified" (and rejects the
  // tail) when one does not verify.
  Status LoadHead();
  Status RejectTail(std::string why);
  // The log must reach a genuine checkpoint that a sink holds, and match it.
  Status CheckShippedCheckpoint(std::string_view sink, const AuditCheckpoint& checkpoint);
  void WriterLoop();
  Status CommitBatch(std::vector<Pending*>& batch, bool force_checkpoint,
                     std::vector<RawEntry>& committed, std::optional<AuditCheckpoint>& checkpoint);
  void Ship(const std::vector<RawEntry>& committed, const std::optional<AuditCheckpoint>& cp);
  bool TryRecover();
  void Alert(AuditAlertKind kind, std::string message);
  StatusOr<AuditEntry> Prepare(const AuditEvent& event) const;
  StatusOr<AuditRecord> ReadRecord(uint64_t seq);
  AuditRecord Unseal(AuditEntry entry) const;
  StatusOr<uint64_t> FirstSeqAtOrAfter(int64_t micros);
  Status AppendRead(const AuditActor& reader, std::string detail, uint64_t count,
                    std::vector<AuditSubject> subjects = {});

  Store& store_;
  AuditLogOptions options_;
  Clock& clock_;
  std::unique_ptr<crypto::HmacSha256Key> id_mac_;  // "identifier-hash-v1", expanded once
  std::unique_ptr<EntryMac> entry_mac_;            // "entry-mac-v2"
  std::shared_ptr<const crypto::EnvelopeKeys> context_keys_;
  SecretBytes unversioned_context_key_;  // "context-seal-v1": opens contexts from before versions
  SecretBytes sign_seed_;
  std::string public_key_;

  // Writer-thread state (also read under mu_ for last_seq()). head_ is always
  // verified: written by this log or checked by LoadHead.
  Head head_;
  uint64_t last_checkpoint_seq_ = 0;
  uint64_t entries_since_checkpoint_ = 0;
  int64_t last_checkpoint_mono_ = 0;
  std::vector<SinkState> sinks_;

  mutable Mutex mu_;
  std::condition_variable writer_cv_;
  std::condition_variable done_cv_;
  std::vector<Pending*> queue_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  bool failed_ GUARDED_BY(mu_) = false;
  bool tail_rejected_ GUARDED_BY(mu_) = false;  // implies failed_, never cleared
  int checkpoint_requests_ GUARDED_BY(mu_) = 0;
  uint64_t committed_seq_ GUARDED_BY(mu_) = 0;
  std::thread writer_;
};

// Watches free space where the audit store lives and warns early, before a
// full disk turns into refused requests. Thread-compatible: call Check() from
// one thread (a periodic timer in the server).
class FreeSpaceWatch {
 public:
  FreeSpaceWatch(FileSystem& fs, std::string path, uint64_t warn_below_bytes,
                 AuditAlertFn on_alert);
  // Reads free space; fires kLowDiskSpace when it first drops below the
  // threshold and kDiskSpaceRecovered when it is above again. Returns the
  // free bytes.
  StatusOr<uint64_t> Check();
  bool low() const { return low_; }

 private:
  FileSystem& fs_;
  std::string path_;
  uint64_t warn_below_;
  AuditAlertFn on_alert_;
  bool low_ = false;
};

}  // namespace warden::audit

#endif  // WARDEN_AUDIT_AUDIT_LOG_H_
