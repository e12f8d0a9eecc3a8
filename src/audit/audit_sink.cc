#include "audit/audit_sink.h"

#include <syslog.h>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/clock.h"

namespace warden::audit {

std::string ShippedEntryLine(const RawEntry& entry) {
  nlohmann::json j = {
      {"type", "entry"}, {"seq", entry.seq}, {"entry", Base64Encode(entry.encoded)}};
  return j.dump() + "\n";
}

std::string ShippedCheckpointLine(const AuditCheckpoint& c, std::string_view public_key) {
  nlohmann::json j = {{"type", "checkpoint"},
                      {"seq", c.seq},
                      {"head", HexEncode(c.head_hash)},
                      {"time", FormatRfc3339(c.time_micros)},
                      {"time_micros", c.time_micros},
                      {"signature", Base64Encode(c.signature)},
                      {"public_key", Base64Encode(public_key)}};
  return j.dump() + "\n";
}

JsonlFileSink::JsonlFileSink(FileSystem& fs, std::string path, bool ship_entries)
    : fs_(fs), path_(std::move(path)), ship_entries_(ship_entries) {}

std::optional<uint64_t> JsonlFileSink::LastShippedSeq() {
  if (!fs_.Exists(path_)) return std::nullopt;
  StatusOr<std::string> text = fs_.ReadFile(path_);
  if (!text.ok()) return std::nullopt;
  std::optional<uint64_t> last;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) break;  // a torn last line is re-shipped
    nlohmann::json j = nlohmann::json::parse(text->begin() + static_cast<ptrdiff_t>(pos),
                                             text->begin() + static_cast<ptrdiff_t>(end), nullptr,
                                             /*allow_exceptions=*/false);
    pos = end + 1;
    if (j.is_object() && j.value("type", "") == "entry" && j.contains("seq") &&
        j["seq"].is_number_unsigned()) {
      last = j["seq"].get<uint64_t>();
    }
  }
  // A torn line (crash mid-append) is closed so the next line starts clean.
  if (!text->empty() && text->back() != '\n') AppendLines("\n", true).IgnoreError();
  return last;
}

Status JsonlFileSink::AppendLines(std::string_view lines, bool sync) {
  if (file_ == nullptr) {
    ASSIGN_OR_RETURN(file_, fs_.OpenAppendable(path_, 0600));
  }
  Status st = file_->Append(lines);
  if (st.ok() && sync) st = file_->Sync();
  if (!st.ok()) {
    file_->Close().IgnoreError();
    file_.reset();
  }
  return st;
}

Status JsonlFileSink::ShipEntries(std::span<const RawEntry> entries) {
  if (!ship_entries_ || entries.empty()) return Status::Ok();
  std::string lines;
  for (const RawEntry& e : entries) lines += ShippedEntryLine(e);
  return AppendLines(lines, /*sync=*/false);
}

Status JsonlFileSink::ShipCheckpoint(const AuditCheckpoint& c, std::string_view public_key) {
  return AppendLines(ShippedCheckpointLine(c, public_key), /*sync=*/true);
}

SyslogSink::SyslogSink(std::string ident) : ident_(std::move(ident)) {
  ::openlog(ident_.c_str(), LOG_NDELAY | LOG_PID, LOG_AUTHPRIV);
}

Status SyslogSink::ShipCheckpoint(const AuditCheckpoint& c, std::string_view public_key) {
  std::string line = ShippedCheckpointLine(c, public_key);
  line.pop_back();  // syslog frames the message itself
  ::syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line.c_str());
  return Status::Ok();
}

}  // namespace warden::audit
