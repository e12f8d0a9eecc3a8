#include "audit/audit_verify.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/secret.h"
#include "crypto/primitives.h"

namespace warden::audit {
namespace {

constexpr size_t kReadChunk = 4096;
constexpr size_t kLookahead = 64;

std::string Seq(uint64_t seq) { return std::to_string(seq); }

class StoreEntrySource : public EntrySource {
 public:
  explicit StoreEntrySource(Store& store) : store_(store) {}
  StatusOr<std::vector<RawEntry>> Read(uint64_t from, size_t limit) override {
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs,
                     store_.Scan(Space::kAudit, audit_keys::Entry(from),
                                 PrefixEnd(audit_keys::kEntryPrefix), limit));
    std::vector<RawEntry> out;
    out.reserve(kvs.size());
    for (KeyValue& kv : kvs) {
      // A key of the wrong length is itself a change to the log; it shows up
      // as an entry that does not decode at the seq its last bytes spell.
      out.push_back({audit_keys::SeqOfKey(kv.key), std::move(kv.value)});
      if (kv.key.size() != audit_keys::kEntryPrefix.size() + 8) out.back().encoded.clear();
    }
    return out;
  }

 private:
  Store& store_;
};

class VectorEntrySource : public EntrySource {
 public:
  explicit VectorEntrySource(const std::vector<RawEntry>& entries) : entries_(entries) {}
  StatusOr<std::vector<RawEntry>> Read(uint64_t from, size_t limit) override {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), from,
                               [](const RawEntry& e, uint64_t s) { return e.seq < s; });
    std::vector<RawEntry> out;
    for (; it != entries_.end() && out.size() < limit; ++it) out.push_back(*it);
    return out;
  }

 private:
  const std::vector<RawEntry>& entries_;
};

bool SignatureValid(std::string_view public_key, const AuditCheckpoint& c) {
  if (public_key.size() != crypto::kEd25519PublicKeySize) return false;
  std::string message = CheckpointMessage(c.seq, c.head_hash, c.time_micros);
  return crypto::Ed25519Verify(AsBytes(public_key), AsBytes(message), AsBytes(c.signature));
}

VerifyReport Broken(VerifyReport report, ChainBreakKind kind, uint64_t seq, std::string message) {
  report.chain_break = ChainBreak{kind, seq, std::move(message)};
  return report;
}

// Explains an entry whose own seq is ahead of its position `pos`: either the
// entry that belongs at `pos` follows shortly (reordered) or it is gone.
StatusOr<ChainBreak> ExplainSeqAhead(EntrySource& source, uint64_t pos, uint64_t own_seq) {
  ASSIGN_OR_RETURN(std::vector<RawEntry> ahead, source.Read(pos + 1, kLookahead));
  for (const RawEntry& raw : ahead) {
    StatusOr<AuditEntry> e = DecodeEntry(raw.encoded);
    if (e.ok() && e->seq == pos) {
      return ChainBreak{ChainBreakKind::kReordered, pos,
                        "entry " + Seq(pos) + " stands at position " + Seq(raw.seq) +
                            " and entry " + Seq(own_seq) + " at position " + Seq(pos)};
    }
  }
  return ChainBreak{ChainBreakKind::kDeleted, pos,
                    "entries " + Seq(pos) + " to " + Seq(own_seq - 1) +
                        " are missing; later entries were moved down"};
}

}  // namespace

std::string_view ChainBreakKindName(ChainBreakKind kind) {
  switch (kind) {
    case ChainBreakKind::kModified:
      return "modified";
    case ChainBreakKind::kInserted:
      return "inserted";
    case ChainBreakKind::kDeleted:
      return "deleted";
    case ChainBreakKind::kReordered:
      return "reordered";
    case ChainBreakKind::kTruncated:
      return "truncated";
    case ChainBreakKind::kBadSignature:
      return "bad_signature";
    case ChainBreakKind::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case ChainBreakKind::kForged:
      return "forged";
    case ChainBreakKind::kUnsignedTail:
      return "unsigned_tail";
  }
  return "unknown";
}

std::string VerifyReport::Summary() const {
  if (chain_break) {
    return "BROKEN at seq " + Seq(chain_break->seq) + ": " +
           std::string(ChainBreakKindName(chain_break->kind)) + ": " + chain_break->message + " (" +
           Seq(entries) + " entries verified before it)";
  }
  if (checkpoints_only) {
    return "OK: " + Seq(checkpoints) + " signed checkpoints" +
           (checkpoints > 0 ? ", last at seq " + Seq(last_checkpoint_seq) : std::string()) +
           " (checkpoints only; they are checked against the stored log)";
  }
  std::string s = "OK: " + Seq(entries) + " entries";
  if (entries > 0) s += " (seq " + Seq(first_seq) + " to " + Seq(last_seq) + ")";
  s += ", " + Seq(checkpoints) + " signed checkpoints";
  if (checkpoints > 0) s += ", last at seq " + Seq(last_checkpoint_seq);
  s += "; " + Seq(unsigned_entries) + " unsigned entries after the last checkpoint";
  if (unsigned_entries > 0) {
    s += " (unsigned for " + Seq(static_cast<uint64_t>(unsigned_age_micros / 1'000'000)) + " s)";
  }
  s += macs_checked ? "; every entry MAC checked"
                    : "; entry MACs not checked (no key: verify with the root key for that)";
  return s;
}

StatusOr<VerifyReport> VerifyChain(EntrySource& source, uint64_t first_seq,
                                   std::vector<AuditCheckpoint> checkpoints,
                                   std::string_view public_key, const VerifyOptions& options) {
  const int64_t now = options.now_micros != 0 ? options.now_micros : Clock::Real().NowMicros();
  const uint64_t up_to = options.up_to_seq.value_or(UINT64_MAX);
  VerifyReport report;
  report.first_seq = first_seq;
  report.macs_checked = options.entry_mac != nullptr;
  if (!options.expected_public_key.empty()) {
    if (!ConstantTimeEquals(options.expected_public_key, public_key)) {
      return Broken(report, ChainBreakKind::kBadSignature, 0,
                    "the public key stored with the log is not the expected key");
    }
  }
  checkpoints.insert(checkpoints.end(), options.shipped.begin(), options.shipped.end());
  std::erase_if(checkpoints, [up_to](const AuditCheckpoint& c) { return c.seq > up_to; });
  std::stable_sort(
      checkpoints.begin(), checkpoints.end(),
      [](const AuditCheckpoint& a, const AuditCheckpoint& b) { return a.seq < b.seq; });
  auto cp = checkpoints.begin();
  while (cp != checkpoints.end() && cp->seq < first_seq) ++cp;  // before a shipped copy's start

  const std::string genesis(kEntryHashSize, '\0');
  std::string prev_hash = first_seq == 1 ? genesis : std::string();
  std::string prev2_hash;
  int64_t last_time = INT64_MIN;
  int64_t first_time = 0;
  int64_t last_checkpoint_time = 0;
  uint64_t expected = first_seq;
  uint64_t prev_checkpoint = 0;
  bool seen_mac = false;         // a version-2 entry was seen
  uint64_t unsigned_legacy = 0;  // first version-1 entry after the last checkpoint

  for (bool more = true; more;) {
    ASSIGN_OR_RETURN(std::vector<RawEntry> chunk, source.Read(expected, kReadChunk));
    if (chunk.empty()) break;
    for (const RawEntry& raw : chunk) {
      const uint64_t pos = raw.seq;
      if (pos > up_to) {
        more = false;
        break;
      }
      if (pos > expected) {
        return Broken(report, ChainBreakKind::kDeleted, expected,
                      "entries " + Seq(expected) + " to " + Seq(pos - 1) + " are missing");
      }
      StatusOr<AuditEntry> entry = DecodeEntry(raw.encoded);
      if (!entry.ok()) {
        return Broken(report, ChainBreakKind::kModified, pos,
                      "entry " + Seq(pos) + " does not decode");
      }
      if (entry->seq > pos) {
        ASSIGN_OR_RETURN(ChainBreak b, ExplainSeqAhead(source, pos, entry->seq));
        report.chain_break = std::move(b);
        return report;
      }
      if (entry->seq < pos) {
        if (entry->seq + 1 == pos) {
          return Broken(report, ChainBreakKind::kInserted, pos - 1,
                        "the entry at position " + Seq(pos - 1) +
                            " is not part of the chain; the original entry " + Seq(pos - 1) +
                            " follows it");
        }
        return Broken(report, ChainBreakKind::kReordered, pos,
                      "entry " + Seq(entry->seq) + " stands at position " + Seq(pos));
      }
      if (!prev_hash.empty() && entry->prev_hash != prev_hash) {
        if (!prev2_hash.empty() && entry->prev_hash == prev2_hash) {
          return Broken(report, ChainBreakKind::kInserted, pos - 1,
                        "entry " + Seq(pos) + " chains to entry " + Seq(pos - 2) +
                            "; the entry at " + Seq(pos - 1) + " was inserted");
        }
        if (pos == 1) {
          return Broken(report, ChainBreakKind::kModified, 1, "entry 1 does not start the chain");
        }
        return Broken(
            report, ChainBreakKind::kModified, pos - 1,
            "entry " + Seq(pos - 1) + " does not match the hash recorded in entry " + Seq(pos));
      }
      if (entry->time_micros < last_time) {
        return Broken(report, ChainBreakKind::kReordered, pos,
                      "entry " + Seq(pos) + " is older than the entry before it");
      }
      if (entry->version == kLegacyEntryFormatVersion) {
        // A version-1 entry has no MAC: genuine only as part of the log
        // written before the upgrade, under a signed checkpoint.
        if (seen_mac) {
          return Broken(report, ChainBreakKind::kForged, pos,
                        "entry " + Seq(pos) +
                            " has no MAC (format version 1) but follows "
                            "entries that have one");
        }
        if (unsigned_legacy == 0) unsigned_legacy = pos;
      } else {
        seen_mac = true;
        if (options.entry_mac != nullptr && !options.entry_mac->Verify(raw.encoded)) {
          return Broken(report, ChainBreakKind::kForged, pos,
                        "the MAC of entry " + Seq(pos) +
                            " does not verify: it was modified or written without the keys");
        }
      }
      std::string hash = EntryHash(raw.encoded);
      for (; cp != checkpoints.end() && cp->seq == pos; ++cp) {
        if (!SignatureValid(public_key, *cp)) {
          return Broken(report, ChainBreakKind::kBadSignature, pos,
                        "the checkpoint at seq " + Seq(pos) + " has no valid signature");
        }
        if (cp->head_hash != hash) {
          return Broken(report, ChainBreakKind::kCheckpointMismatch, prev_checkpoint + 1,
                        "entries after checkpoint " + Seq(prev_checkpoint) + " up to " + Seq(pos) +
                            " differ from the signed checkpoint at " + Seq(pos));
        }
        ++report.checkpoints;
        report.last_checkpoint_seq = pos;
        last_checkpoint_time = std::max(last_checkpoint_time, cp->time_micros);
        prev_checkpoint = pos;
        unsigned_legacy = 0;
      }
      if (report.entries == 0) first_time = entry->time_micros;
      prev2_hash = std::move(prev_hash);
      prev_hash = hash;
      last_time = entry->time_micros;
      expected = pos + 1;
      ++report.entries;
      report.last_seq = pos;
      report.head_hash = std::move(hash);
      report.last_time_micros = entry->time_micros;
    }
  }
  if (report.entries > 0 && report.last_checkpoint_seq < report.last_seq) {
    const uint64_t before_first = first_seq > 0 ? first_seq - 1 : 0;
    report.unsigned_entries = report.last_seq - std::max(report.last_checkpoint_seq, before_first);
    const int64_t since = report.checkpoints > 0 ? last_checkpoint_time : first_time;
    report.unsigned_age_micros = std::max<int64_t>(0, now - since);
  }
  if (cp != checkpoints.end()) {
    if (!SignatureValid(public_key, *cp)) {
      return Broken(report, ChainBreakKind::kBadSignature, cp->seq,
                    "the checkpoint at seq " + Seq(cp->seq) + " has no valid signature");
    }
    return Broken(report, ChainBreakKind::kTruncated, report.last_seq + 1,
                  "a signed checkpoint names seq " + Seq(cp->seq) + " but the log ends at " +
                      Seq(report.last_seq));
  }
  if (options.up_to_seq && report.last_seq < *options.up_to_seq) {
    return Broken(report, ChainBreakKind::kTruncated, report.last_seq + 1,
                  "the log ends at " + Seq(report.last_seq) + " but the server wrote up to " +
                      Seq(*options.up_to_seq));
  }
  if (unsigned_legacy != 0) {
    return Broken(report, ChainBreakKind::kForged, unsigned_legacy,
                  "entries from " + Seq(unsigned_legacy) +
                      " have no MAC (format version 1) and no signed checkpoint covers them");
  }
  if (report.unsigned_entries > options.max_unsigned_entries ||
      (report.unsigned_entries > 0 &&
       report.unsigned_age_micros > options.max_unsigned_age_micros)) {
    return Broken(
        report, ChainBreakKind::kUnsignedTail, report.last_seq - report.unsigned_entries + 1,
        Seq(report.unsigned_entries) + " entries follow the last checkpoint, unsigned for " +
            Seq(static_cast<uint64_t>(report.unsigned_age_micros / 1'000'000)) +
            " s; the bound is " + Seq(options.max_unsigned_entries) + " entries and " +
            Seq(static_cast<uint64_t>(options.max_unsigned_age_micros / 1'000'000)) + " s");
  }
  return report;
}

StatusOr<VerifyReport> VerifyStoredLog(Store& store, const VerifyOptions& options) {
  ASSIGN_OR_RETURN(std::optional<std::string> public_key,
                   store.Get(Space::kAudit, audit_keys::kPublicKey));
  std::vector<AuditCheckpoint> checkpoints;
  std::string start(audit_keys::kCheckpointPrefix);
  const std::string end = PrefixEnd(audit_keys::kCheckpointPrefix);
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, store.Scan(Space::kAudit, start, end, kReadChunk));
    for (const KeyValue& kv : kvs) {
      uint64_t key_seq = audit_keys::SeqOfKey(kv.key);
      StatusOr<AuditCheckpoint> c = DecodeCheckpoint(kv.value);
      if (c.ok() && c->seq == key_seq) {
        checkpoints.push_back(*std::move(c));
      } else {
        // Unreadable or moved: kept with no signature so it reports as bad.
        checkpoints.push_back(AuditCheckpoint{key_seq, {}, 0, {}});
      }
    }
    if (kvs.size() < kReadChunk) break;
    start = kvs.back().key + '\0';
  }
  StoreEntrySource source(store);
  return VerifyChain(source, 1, std::move(checkpoints), public_key.value_or(""), options);
}

ShippedLog ParseShippedLog(std::string_view jsonl) {
  ShippedLog log;
  std::optional<uint64_t> next_pos;
  size_t pos = 0;
  while (pos < jsonl.size()) {
    size_t end = jsonl.find('\n', pos);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view line = jsonl.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    // A syslog collector writes its own timestamp, host and tag first.
    const size_t brace = line.find('{');
    if (brace != std::string_view::npos) line.remove_prefix(brace);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      // Skipping cannot hide a change: the chain shows the entry as missing.
      ++log.skipped_lines;
      continue;
    }
    const std::string type = j["type"].get<std::string>();
    auto seq_of = [&j]() -> uint64_t {
      return j.contains("seq") && j["seq"].is_number_unsigned() ? j["seq"].get<uint64_t>() : 0;
    };
    auto string_of = [&j](const char* name) -> std::string {
      return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : "";
    };
    if (type == "entry") {
      if (!next_pos) next_pos = seq_of();
      std::optional<std::string> bytes = Base64Decode(string_of("entry"));
      log.entries.push_back({(*next_pos)++, bytes.value_or("")});
    } else if (type == "checkpoint") {
      AuditCheckpoint c;
      c.seq = seq_of();
      c.head_hash = HexDecode(string_of("head")).value_or("");
      c.time_micros = j.contains("time_micros") && j["time_micros"].is_number_integer()
                          ? j["time_micros"].get<int64_t>()
                          : 0;
      c.signature = Base64Decode(string_of("signature")).value_or("");
      std::string key = Base64Decode(string_of("public_key")).value_or("");
      if (log.public_key.empty()) log.public_key = key;
      if (key != log.public_key) c.signature.clear();  // signed by another key: not genuine
      log.checkpoints.push_back(std::move(c));
    } else {
      ++log.skipped_lines;
    }
  }
  return log;
}

StatusOr<VerifyReport> VerifyShippedLog(std::string_view jsonl, const VerifyOptions& options) {
  ShippedLog log = ParseShippedLog(jsonl);
  std::string public_key = log.public_key;
  if (public_key.empty()) public_key = options.expected_public_key;
  if (log.entries.empty() && !log.checkpoints.empty()) {
    // Checkpoints only: nothing to chain here; each must be genuine, and the
    // stored log is checked against them (VerifyOptions::shipped).
    VerifyReport report;
    report.checkpoints_only = true;
    report.skipped_lines = log.skipped_lines;
    if (!options.expected_public_key.empty() &&
        !ConstantTimeEquals(options.expected_public_key, public_key)) {
      return Broken(report, ChainBreakKind::kBadSignature, 0,
                    "the shipped checkpoints were signed with another key than the expected one");
    }
    for (const AuditCheckpoint& c : log.checkpoints) {
      if (!SignatureValid(public_key, c)) {
        return Broken(report, ChainBreakKind::kBadSignature, c.seq,
                      "the shipped checkpoint at seq " + Seq(c.seq) + " has no valid signature");
      }
      ++report.checkpoints;
      report.last_checkpoint_seq = std::max(report.last_checkpoint_seq, c.seq);
    }
    return report;
  }
  VectorEntrySource source(log.entries);
  uint64_t first = log.entries.empty() ? 1 : log.entries.front().seq;
  ASSIGN_OR_RETURN(VerifyReport report,
                   VerifyChain(source, first, std::move(log.checkpoints), public_key, options));
  report.skipped_lines = log.skipped_lines;
  return report;
}

}  // namespace warden::audit
