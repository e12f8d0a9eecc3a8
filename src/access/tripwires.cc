// Canaries, volume and miss-rate alerts, and the stored alert list.
#include "access/tripwires.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "access/account_store.h"
#include "access/authorization.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

namespace {

constexpr std::array<std::string_view, 7> kAlertKinds = {
    "canary_read", "volume", "quota_reached", "miss_rate", "lockout", "audit_unavailable", "other"};

size_t AlertKindIndex(std::string_view kind) {
  for (size_t i = 0; i + 1 < kAlertKinds.size(); ++i) {
    if (kAlertKinds[i] == kind) return i;
  }
  return kAlertKinds.size() - 1;
}

// Volume accounting: role totals move in chunks to spare a counter write per request.
constexpr int64_t kRoleChunk = 16;
constexpr int64_t kBaselineHours = 7 * 24;
constexpr int64_t kVolumeBatch = 128;
// Misses are added to the hourly store counter in batches of this many per
// server, so a miss costs no synced write of its own.
constexpr int64_t kMissBatch = 8;

// The stored form of an alert (JSON); Decode fails with kDataLoss.
std::string EncodeAlert(const Alert& alert) {
  json j = {{"id", alert.id},
            {"kind", alert.kind},
            {"account", alert.account_id},
            {"at", alert.at_micros},
            {"detail", alert.detail}};
  if (!alert.acknowledged_by.empty()) {
    j["acked_by"] = alert.acknowledged_by;
    j["acked_at"] = alert.acknowledged_at_micros;
  }
  return j.dump();
}

StatusOr<Alert> DecodeAlert(std::string_view stored) {
  json j = json::parse(stored, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("stored alert is malformed");
  return Alert{j.value("id", ""),
               j.value("kind", ""),
               j.value("account", ""),
               j.value("at", int64_t{0}),
               j.value("detail", ""),
               j.value("acked_by", ""),
               j.value("acked_at", int64_t{0})};
}

}  // namespace

Tripwires::Tripwires(Store& store, const Clock& clock, AccountStore& accounts,
                     AccessOptions options, const SecretBytes& canary_key)
    : store_(store),
      clock_(clock),
      accounts_(accounts),
      options_(std::move(options)),
      canary_mac_(canary_key) {}

void Tripwires::SetAlertSink(AlertSink sink) { sink_ = std::move(sink); }

// ---- Canaries ----

std::string Tripwires::CanaryKey(std::string_view collection, std::string_view key) const {
  std::string input(collection);
  input.push_back('\0');
  input.append(key);
  return "canary/" + HexEncode(canary_mac_.Compute(AsBytes(input)));
}

Status Tripwires::CheckCanary(const Principal& who, std::string_view collection,
                              std::string_view key) {
  // The markers are held in memory and read again when the access cache's
  // epoch moves (a registration stamps the access generation), so a check
  // reads nothing from the store and a canary registered on another server
  // trips here within AccessCache::kMaxStaleness.
  ASSIGN_OR_RETURN(auto markers, accounts_.cache().Keys("canary/"));
  if (markers->empty()) return Status::Ok();  // no keyed hash needed
  const std::string marker = CanaryKey(collection, key);
  if (!markers->contains(marker)) return Status::Ok();
  // Suspend first: the record is not served whatever happens next.
  Status suspended = accounts_.Update(who.account_id, [](Account& a) {
    a.suspended = true;
    a.suspended_reason = "canary_read";
    return Status::Ok();
  });
  RaiseAlert("canary_read", who.account_id,
             "read of a canary record in collection " + std::string(collection) + "; marker " +
                 marker.substr(7, 16) + "; session " + who.session_id,
             std::nullopt);
  RETURN_IF_ERROR(suspended);
  return Locked("account suspended; a security officer must reinstate it", "account_suspended");
}

Status Tripwires::RegisterCanaries(const Principal& actor, std::string_view collection,
                                   const std::vector<std::string>& keys) {
  RETURN_IF_ERROR(Authorize(actor, Operation::kOperate, ""));
  return RegisterCanariesOffline(collection, keys);
}

Status Tripwires::RegisterCanariesOffline(std::string_view collection,
                                          const std::vector<std::string>& keys) {
  WriteBatch batch;
  for (const std::string& key : keys) {
    batch.Put(Space::kMeta, CanaryKey(collection, key), "");
    if (batch.size() >= 1000) {
      RETURN_IF_ERROR(accounts_.WriteAccessChange(std::move(batch)));
      batch = WriteBatch();
    }
  }
  if (!batch.empty()) RETURN_IF_ERROR(accounts_.WriteAccessChange(std::move(batch)));
  return Status::Ok();
}

// ---- Volume and misses ----

void Tripwires::RecordVolume(const Principal& who, int64_t n) {
  const int64_t hour = HourNumber(clock_.NowMicros());
  int64_t flush_hour = 0;
  int64_t flush = 0;
  {
    MutexLock lock(volume_mu_);
    if (volume_.size() >= 100'000) volume_.clear();
    PendingVolume& v = volume_[who.account_id];
    if (v.hour != hour && v.records > 0) {
      flush_hour = v.hour;  // the previous hour's remainder
      flush = v.records;
      v.records = 0;
    }
    v.hour = hour;
    v.records += n;
    if (flush == 0 && v.records >= kVolumeBatch) {
      flush_hour = hour;
      flush = v.records;
      v.records = 0;
    }
  }
  if (flush > 0) FlushVolume(who, flush_hour, flush);
}

void Tripwires::FlushVolume(const Principal& who, int64_t hour, int64_t n) {
  const std::string own_prefix = "vol/" + who.account_id + "/";
  StatusOr<CounterResult> own =
      store_.AddToCounter(own_prefix + PeriodKey(hour), n, std::numeric_limits<int64_t>::max());
  if (!own.ok()) return;  // volume accounting is advisory; the quota already held
  const int64_t after = own->value;
  const int64_t before = after - n;

  std::vector<Role> roles = who.roles.ToVector();
  for (Role r : roles) {
    const std::string suffix = std::string(RoleName(r)) + "/" + PeriodKey(hour);
    if (int64_t chunks = after / kRoleChunk - before / kRoleChunk; chunks > 0) {
      store_
          .AddToCounter("volrole/" + suffix, chunks * kRoleChunk,
                        std::numeric_limits<int64_t>::max())
          .status()
          .IgnoreError();
    }
    if (before == 0) {
      store_.AddToCounter("volacct/" + suffix, 1, std::numeric_limits<int64_t>::max())
          .status()
          .IgnoreError();
    }
  }

  // Check only when the hour's count crosses floor * 2^k: rare, and enough to
  // catch a run-away loop early.
  bool crossed = false;
  for (int64_t t = options_.volume_floor; t > 0 && t <= after; t *= 2) {
    if (before < t) crossed = true;
  }
  if (!crossed) return;

  auto sum_range = [&](const std::string& prefix, int64_t* total, int64_t* nonzero) {
    *total = 0;
    *nonzero = 0;
    StatusOr<std::vector<KeyValue>> page =
        store_.Scan(Space::kCounters, prefix + PeriodKey(hour - kBaselineHours),
                    prefix + PeriodKey(hour), static_cast<size_t>(kBaselineHours));
    if (!page.ok()) return;
    for (const KeyValue& kv : *page) {
      if (kv.value.size() != 8) continue;
      auto v = static_cast<int64_t>(GetBigEndian64(kv.value));
      *total += v;
      if (v > 0) ++*nonzero;
    }
  };
  int64_t own_total = 0;
  int64_t own_hours = 0;
  sum_range(own_prefix, &own_total, &own_hours);
  const double own_baseline =
      own_hours > 0 ? static_cast<double>(own_total) / static_cast<double>(own_hours) : 0;
  double role_baseline = 0;
  for (Role r : roles) {
    int64_t records = 0;
    int64_t ignored = 0;
    int64_t account_hours = 0;
    int64_t unused = 0;
    sum_range("volrole/" + std::string(RoleName(r)) + "/", &records, &ignored);
    sum_range("volacct/" + std::string(RoleName(r)) + "/", &account_hours, &unused);
    if (account_hours > 0) {
      role_baseline = std::max(role_baseline,
                               static_cast<double>(records) / static_cast<double>(account_hours));
    }
  }
  const double factor = options_.volume_factor;
  const auto count = static_cast<double>(after);
  if (count > factor * own_baseline && count > factor * role_baseline) {
    RaiseAlert("volume", who.account_id,
               std::to_string(after) + " records this hour; own baseline " +
                   std::to_string(static_cast<int64_t>(own_baseline)) + "/h, role baseline " +
                   std::to_string(static_cast<int64_t>(role_baseline)) + "/h",
               "mark/volume/" + who.account_id + "/" + PeriodKey(hour));
  }
}

void Tripwires::RecordMiss(const Principal& who) {
  const int64_t hour = HourNumber(clock_.NowMicros());
  int64_t flush = 0;
  {
    MutexLock lock(volume_mu_);
    if (misses_.size() >= 100'000) misses_.clear();
    PendingVolume& m = misses_[who.account_id];
    if (m.hour != hour) m = PendingVolume{hour, 0};  // a previous hour's few misses are dropped
    if (++m.records >= kMissBatch) std::swap(flush, m.records);
  }
  if (flush == 0) return;
  StatusOr<CounterResult> total = store_.AddToCounter(
      "miss/" + who.account_id + "/" + PeriodKey(hour), flush, std::numeric_limits<int64_t>::max());
  if (!total.ok()) return;  // the alert is advisory; the quota already held
  const int64_t threshold = options_.miss_alert_per_hour;
  if (threshold > 0 && total->value >= threshold && total->value - flush < threshold) {
    RaiseAlert("miss_rate", who.account_id,
               std::to_string(total->value) + " look-ups or searches this hour found nothing",
               "mark/miss/" + who.account_id + "/" + PeriodKey(hour));
  }
}

// ---- Alerts ----

void Tripwires::RaiseAlert(std::string kind, std::string account_id, std::string detail,
                           std::optional<std::string> dedupe_mark) {
  Alert alert;
  alert.at_micros = clock_.NowMicros();
  alert.kind = std::move(kind);
  alert.account_id = std::move(account_id);
  alert.detail = std::move(detail);
  alert.id = NewId("al_");
  WriteBatch batch;
  if (dedupe_mark) {
    batch.Expect(Space::kMeta, *dedupe_mark, std::nullopt);
    batch.Put(Space::kMeta, *dedupe_mark, "");
  }
  auto add = [&batch](const Alert& a) {
    std::string at = "alert/";
    PutBigEndian64(at, static_cast<uint64_t>(a.at_micros));
    at += a.id;
    batch.Put(Space::kMeta, at, EncodeAlert(a));
    batch.Put(Space::kMeta, "alertid/" + a.id, at);
  };
  add(alert);
  // Alerts the store refused earlier go with this one.
  std::vector<Alert> pending;
  {
    MutexLock lock(pending_alerts_mu_);
    pending.swap(pending_alerts_);
  }
  for (const Alert& a : pending) add(a);
  Status st = store_.Write(batch);
  if (!st.ok()) {
    MutexLock lock(pending_alerts_mu_);
    if (st.code() != StatusCode::kConflict) pending.push_back(alert);
    // Kept for the next write that succeeds; bounded, oldest first.
    pending.insert(pending.end(), std::make_move_iterator(pending_alerts_.begin()),
                   std::make_move_iterator(pending_alerts_.end()));
    if (pending.size() > 1000) pending.erase(pending.begin() + 1000, pending.end());
    pending_alerts_ = std::move(pending);
  }
  if (st.code() == StatusCode::kConflict) return;  // already raised for this period
  // A store failure still reaches the log and metrics through the sink.
  alert_counts_[AlertKindIndex(alert.kind)].fetch_add(1, std::memory_order_relaxed);
  if (sink_) sink_(alert);
}

void Tripwires::RaiseSystemAlert(std::string kind, std::string detail) {
  RaiseAlert(std::move(kind), "", std::move(detail), std::nullopt);
}

StatusOr<std::vector<Alert>> Tripwires::ListAlerts(const Principal& actor, int64_t since_micros,
                                                   size_t limit) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::string start = "alert/";
  PutBigEndian64(start, static_cast<uint64_t>(std::max<int64_t>(since_micros, 0)));
  ASSIGN_OR_RETURN(std::vector<KeyValue> page,
                   store_.Scan(Space::kMeta, start, PrefixEnd("alert/"), limit));
  std::vector<Alert> out;
  for (const KeyValue& kv : page) {
    ASSIGN_OR_RETURN(Alert alert, DecodeAlert(kv.value));
    out.push_back(std::move(alert));
  }
  return out;
}

StatusOr<Alert> Tripwires::AcknowledgeAlert(const Principal& actor, std::string_view alert_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  ASSIGN_OR_RETURN(std::optional<std::string> key,
                   store_.Get(Space::kMeta, "alertid/" + std::string(alert_id)));
  if (!key) return NotFound("no such alert", "alert_not_found");
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, *key));
  if (!raw) return NotFound("no such alert", "alert_not_found");
  ASSIGN_OR_RETURN(Alert alert, DecodeAlert(*raw));
  // Nobody closes an alert about themselves.
  if (alert.account_id == actor.account_id) return SelfRefused();
  if (!alert.acknowledged_by.empty()) {
    return Conflict("alert already acknowledged by " + alert.acknowledged_by,
                    "already_acknowledged");
  }
  alert.acknowledged_by = actor.account_id;
  alert.acknowledged_at_micros = clock_.NowMicros();
  WriteBatch batch;
  batch.Expect(Space::kMeta, *key, *raw);  // a concurrent acknowledgement loses
  batch.Put(Space::kMeta, *key, EncodeAlert(alert));
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) {
    return Conflict("alert acknowledged concurrently", "already_acknowledged");
  }
  RETURN_IF_ERROR(st);
  return alert;
}

int64_t Tripwires::AlertCount(std::string_view kind) const {
  return alert_counts_[AlertKindIndex(kind)].load(std::memory_order_relaxed);
}

}  // namespace warden::access
