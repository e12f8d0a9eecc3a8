// The auditor's reads of the trail: query, access report, leak trace, verify.
// Each one appends its own audit_read entry before it answers.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "audit/audit_log.h"
#include "core/bytes.h"

namespace warden::audit {
namespace {

constexpr size_t kIndexChunk = 1024;
// A trace looks at no more than this many entries per sample identifier; a
// leaked identifier read more often than that is read by everyone anyway.
constexpr size_t kTraceEntriesPerIdentifier = 10'000;
constexpr size_t kTraceMaxAccounts = 100;

std::string RangeDetail(const AuditQuery& q) {
  std::string d = "query";
  if (q.from_micros > 0) d += " from=" + FormatRfc3339(q.from_micros);
  if (q.to_micros != INT64_MAX) d += " to=" + FormatRfc3339(q.to_micros);
  if (!q.account.empty()) d += " account=" + q.account;
  if (q.action) d += " action=" + std::string(AuditActionName(*q.action));
  return d;
}

template <typename T>
void RankByCoverage(std::vector<T>& v) {
  std::sort(v.begin(), v.end(), [](const T& a, const T& b) {
    if (a.covered != b.covered) return a.covered > b.covered;
    return a.first_micros < b.first_micros;
  });
}

}  // namespace

StatusOr<AuditRecord> AuditLog::ReadRecord(uint64_t seq) {
  ASSIGN_OR_RETURN(std::optional<std::string> encoded,
                   store_.Get(Space::kAudit, audit_keys::Entry(seq)));
  if (!encoded) return DataLoss("audit entry " + std::to_string(seq) + " is missing");
  ASSIGN_OR_RETURN(AuditEntry entry, DecodeEntry(*encoded));
  return Unseal(std::move(entry));
}

StatusOr<uint64_t> AuditLog::FirstSeqAtOrAfter(int64_t micros) {
  // Entry times never decrease along the chain, so a binary search suffices.
  uint64_t lo = 1, hi = last_seq() + 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(std::optional<std::string> encoded,
                     store_.Get(Space::kAudit, audit_keys::Entry(mid)));
    if (!encoded) return DataLoss("audit entry " + std::to_string(mid) + " is missing");
    ASSIGN_OR_RETURN(AuditEntry entry, DecodeEntry(*encoded));
    if (entry.time_micros < micros) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status AuditLog::AppendRead(const AuditActor& reader, std::string detail, uint64_t count,
                            std::vector<AuditSubject> subjects) {
  AuditEvent event;
  event.actor = reader;
  event.action = AuditAction::kAuditRead;
  event.detail = std::move(detail);
  event.result_count = count;
  event.subjects = std::move(subjects);
  return Append(event).status();
}

StatusOr<AuditPage> AuditLog::Query(const AuditActor& reader, const AuditQuery& query) {
  if (query.limit == 0 || query.limit > kMaxQueryLimit) {
    return FieldInvalid("limit", "range", "limit must be between 1 and 1000");
  }
  if (query.from_micros >= query.to_micros) {
    return FieldInvalid("from", "before_to", "the time range is empty");
  }
  if (query.account.size() > 255) {
    return FieldInvalid("account", "max_length", "account id is longer than 255 bytes");
  }
  if (!healthy()) return Unavailable("the audit trail is unavailable", "audit_unavailable");
  const uint64_t last = last_seq();
  ASSIGN_OR_RETURN(uint64_t start, FirstSeqAtOrAfter(query.from_micros));
  start = std::max(start, query.after_seq + 1);

  AuditPage page;
  bool more = false;
  auto take = [&](uint64_t seq) -> StatusOr<bool> {  // false: stop scanning
    if (seq > last) return false;
    ASSIGN_OR_RETURN(AuditRecord record, ReadRecord(seq));
    if (record.entry.time_micros >= query.to_micros) return false;
    if (query.action && record.entry.action != *query.action) return true;
    if (!query.account.empty() && record.entry.account != query.account) return true;
    if (page.records.size() == query.limit) {
      more = true;
      return false;
    }
    page.records.push_back(std::move(record));
    return true;
  };

  if (query.account.empty() && !query.action) {
    for (uint64_t seq = start;; ++seq) {
      ASSIGN_OR_RETURN(bool go_on, take(seq));
      if (!go_on) break;
    }
  } else {
    std::string prefix = !query.account.empty() ? audit_keys::Account(query.account)
                                                : audit_keys::Action(*query.action);
    std::string from = prefix;
    PutBigEndian64(from, start);
    const std::string end = PrefixEnd(prefix);
    for (bool go_on = true; go_on;) {
      ASSIGN_OR_RETURN(std::vector<KeyValue> keys,
                       store_.Scan(Space::kAudit, from, end, kIndexChunk));
      for (const KeyValue& kv : keys) {
        ASSIGN_OR_RETURN(go_on, take(audit_keys::SeqOfKey(kv.key)));
        if (!go_on) break;
      }
      if (keys.size() < kIndexChunk) break;
      from = keys.back().key + '\0';
    }
  }
  if (more && !page.records.empty()) page.next_after_seq = page.records.back().entry.seq;
  RETURN_IF_ERROR(AppendRead(reader, RangeDetail(query), page.records.size()));
  return page;
}

StatusOr<AccessReport> AuditLog::ReportAccess(const AuditActor& reader, const AuditSubject& subject,
                                              size_t limit) {
  if (limit == 0 || limit > kMaxQueryLimit) {
    return FieldInvalid("limit", "range", "limit must be between 1 and 1000");
  }
  if (!healthy()) return Unavailable("the audit trail is unavailable", "audit_unavailable");
  const uint64_t last = last_seq();
  const std::string prefix =
      audit_keys::Subject(subject.kind, HashIdentifier(subject.kind, subject.value));
  const std::string end = PrefixEnd(prefix);
  AccessReport report;
  std::string from = prefix;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> keys,
                     store_.Scan(Space::kAudit, from, end, kIndexChunk));
    for (const KeyValue& kv : keys) {
      uint64_t seq = audit_keys::SeqOfKey(kv.key);
      if (seq > last) break;
      if (report.records.size() == limit) {
        report.truncated = true;
        break;
      }
      ASSIGN_OR_RETURN(AuditRecord record, ReadRecord(seq));
      report.records.push_back(std::move(record));
    }
    if (report.truncated || keys.size() < kIndexChunk) break;
    from = keys.back().key + '\0';
  }
  // The person's own trail records that an auditor looked at it.
  RETURN_IF_ERROR(AppendRead(reader, "access report", report.records.size(), {subject}));
  return report;
}

StatusOr<TraceReport> AuditLog::Trace(const AuditActor& reader,
                                      std::span<const AuditSubject> sample) {
  if (!healthy()) return Unavailable("the audit trail is unavailable", "audit_unavailable");
  const uint64_t last = last_seq();
  std::set<std::string> prefixes;
  for (const AuditSubject& s : sample) {
    prefixes.insert(audit_keys::Subject(s.kind, HashIdentifier(s.kind, s.value)));
  }

  struct SessionAcc {
    std::unordered_set<size_t> items;
    int64_t first = INT64_MAX, last = INT64_MIN;
  };
  struct AccountAcc {
    std::string role;
    std::unordered_set<size_t> items;
    uint64_t entries = 0;
    std::set<uint64_t> seqs;
    int64_t first = INT64_MAX, last = INT64_MIN;
    std::set<std::string> purposes;
    std::set<std::string> exports;
    std::map<std::string, SessionAcc> sessions;
  };
  std::map<std::string, AccountAcc> accounts;
  std::unordered_map<uint64_t, std::optional<AuditRecord>> cache;  // nullopt: not disclosing
  TraceReport report;
  report.sample_size = prefixes.size();

  size_t item = 0;
  for (const std::string& prefix : prefixes) {
    bool matched = false;
    std::string from = prefix;
    const std::string end = PrefixEnd(prefix);
    size_t seen = 0;
    while (seen < kTraceEntriesPerIdentifier) {
      ASSIGN_OR_RETURN(std::vector<KeyValue> keys,
                       store_.Scan(Space::kAudit, from, end, kIndexChunk));
      for (const KeyValue& kv : keys) {
        uint64_t seq = audit_keys::SeqOfKey(kv.key);
        if (seq > last) break;
        ++seen;
        auto it = cache.find(seq);
        if (it == cache.end()) {
          ASSIGN_OR_RETURN(AuditRecord record, ReadRecord(seq));
          bool counts = DisclosesPersonalData(record.entry.action) &&
                        record.entry.outcome == AuditOutcome::kSuccess;
          it = cache
                   .emplace(seq,
                            counts ? std::optional<AuditRecord>(std::move(record)) : std::nullopt)
                   .first;
        }
        if (!it->second) continue;
        const AuditRecord& r = *it->second;
        matched = true;
        AccountAcc& acc = accounts[r.entry.account];
        acc.role = r.entry.role;
        acc.items.insert(item);
        acc.seqs.insert(seq);
        acc.first = std::min(acc.first, r.entry.time_micros);
        acc.last = std::max(acc.last, r.entry.time_micros);
        std::string purpose = r.entry.purpose_kind;
        if (!r.context.purpose_reference.empty()) purpose += "/" + r.context.purpose_reference;
        acc.purposes.insert(std::move(purpose));
        if (r.entry.action == AuditAction::kExport) acc.exports.insert(r.context.detail);
        SessionAcc& ses = acc.sessions[r.entry.session];
        ses.items.insert(item);
        ses.first = std::min(ses.first, r.entry.time_micros);
        ses.last = std::max(ses.last, r.entry.time_micros);
      }
      if (keys.size() < kIndexChunk) break;
      from = keys.back().key + '\0';
    }
    if (matched) ++report.sample_matched;
    ++item;
  }

  for (auto& [name, acc] : accounts) {
    TraceAccount t;
    t.account = name;
    t.role = acc.role;
    t.covered = acc.items.size();
    t.coverage = report.sample_size == 0
                     ? 0
                     : static_cast<double>(t.covered) / static_cast<double>(report.sample_size);
    t.entries = acc.seqs.size();
    t.first_micros = acc.first;
    t.last_micros = acc.last;
    t.purposes.assign(acc.purposes.begin(), acc.purposes.end());
    t.exports.assign(acc.exports.begin(), acc.exports.end());
    for (auto& [session, ses] : acc.sessions) {
      t.sessions.push_back({session, ses.items.size(), ses.first, ses.last});
    }
    RankByCoverage(t.sessions);
    report.accounts.push_back(std::move(t));
  }
  RankByCoverage(report.accounts);
  if (report.accounts.size() > kTraceMaxAccounts) report.accounts.resize(kTraceMaxAccounts);
  RETURN_IF_ERROR(AppendRead(reader, "trace sample=" + std::to_string(report.sample_size),
                             report.accounts.size()));
  return report;
}

StatusOr<VerifyReport> AuditLog::Verify(const AuditActor& reader, const VerifyOptions& options) {
  if (!healthy()) return Unavailable("the audit trail is unavailable", "audit_unavailable");
  VerifyOptions with_keys = options;
  with_keys.entry_mac = entry_mac_.get();
  // The log grows while it is verified: up to the head committed now.
  if (!with_keys.up_to_seq) with_keys.up_to_seq = last_seq();
  if (with_keys.now_micros == 0) with_keys.now_micros = clock_.NowMicros();
  ASSIGN_OR_RETURN(VerifyReport report, VerifyStoredLog(store_, with_keys));
  RETURN_IF_ERROR(AppendRead(reader, "verify", report.entries));
  return report;
}

}  // namespace warden::audit
