// Per-request decisions: authorisation, division scope, field views, rate,
// quotas, volume alerts and canaries.
#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "access/access_control.h"
#include "access/access_internal.h"
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

bool CollectionAllows(const CollectionGrants& grants, std::string_view collection, Operation op) {
  for (std::string_view name : {collection, std::string_view("*")}) {
    auto it = grants.find(name);
    if (it != grants.end() && it->second.contains(op)) return true;
  }
  return false;
}

// Volume accounting: role totals move in chunks to spare a counter write per request.
constexpr int64_t kRoleChunk = 16;
constexpr int64_t kBaselineHours = 7 * 24;
constexpr int64_t kVolumeBatch = 128;
// Misses are added to the hourly store counter in batches of this many per
// server, so a miss costs no synced write of its own.
constexpr int64_t kMissBatch = 8;
// How long a server may spend a slice of the shared rate bucket.
constexpr int64_t kRateSliceLifetimeMicros = 1'000'000;

// How many tokens one compare-and-set on the shared rate bucket takes: a
// twentieth of a second's worth at the policy's rate, at most a quarter of
// the burst, at least one (so a slow rate is exact across servers, and a fast
// one costs a store write per slice, not per request).
int64_t RateSliceSize(double rate, int64_t burst) {
  const auto twentieth = static_cast<int64_t>(rate / 20);
  return std::clamp<int64_t>(twentieth, 1, std::max<int64_t>(1, burst / 4));
}

}  // namespace

Status AccessControl::Authorize(const Principal& who, Operation op,
                                std::string_view collection) const {
  bool role_allows = false;
  for (Role r : who.roles.ToVector()) {
    if (RoleAllows(r, op)) role_allows = true;
    if (r == Role::kService && IsPersonalDataOperation(op) && who.policy.collections &&
        CollectionAllows(*who.policy.collections, collection, op)) {
      role_allows = true;
    }
  }
  if (!role_allows) {
    std::string message = "the account's roles do not allow ";
    message += OperationName(op);
    return PermissionDenied(std::move(message), "role_forbidden");
  }
  if (IsPersonalDataOperation(op) && who.policy.collections &&
      !CollectionAllows(*who.policy.collections, collection, op)) {
    std::string message = "the account's policy does not allow ";
    message += OperationName(op);
    message += " on this collection";
    return PermissionDenied(std::move(message), "collection_forbidden");
  }
  return Status::Ok();
}

Status AccessControl::CheckDivision(const Principal& who,
                                    std::string_view record_division_code) const {
  if (DivisionInScope(who.policy.division_scope, record_division_code)) return Status::Ok();
  return PermissionDenied("the record is outside the account's division scope",
                          "division_forbidden");
}

FieldView AccessControl::ViewFor(const Principal& who, std::string_view collection) const {
  return FieldView::For(who.roles, who.policy, collection);
}

Status AccessControl::CheckRate(const Principal& who) {
  Status st = TakeRateToken(who);
  if (st.reason() == "rate_limited") rate_denials_.fetch_add(1, std::memory_order_relaxed);
  return st;
}

Status AccessControl::TakeRateToken(const Principal& who) {
  const Status limited =
      ResourceExhausted("request rate above the account's limit", "rate_limited");
  const double rate = who.policy.rate_per_second;
  const int64_t burst = std::max<int64_t>(who.policy.burst, 1);
  if (!(rate > 0)) return limited;
  const int64_t now = clock_.NowMicros();
  {
    std::lock_guard lock(limits_mu_);
    auto it = rate_slices_.find(who.account_id);
    if (it != rate_slices_.end()) {
      RateSlice& slice = it->second;
      if (slice.left > 0 && now < slice.expires_micros && slice.rate == rate &&
          slice.burst == burst) {
        --slice.left;
        return Status::Ok();
      }
    }
  }
  // The shared bucket as GCRA: the stored value is the theoretical arrival
  // time (TAT) of the next token; `room` tokens are free while the TAT is
  // less than `burst` intervals ahead of now.
  const auto interval = static_cast<int64_t>(std::ceil(1e6 / rate));
  const std::string key = "rate/" + who.account_id;
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kCounters, key));
    int64_t tat = now;
    if (raw && raw->size() == 8) tat = std::max(now, static_cast<int64_t>(GetBigEndian64(*raw)));
    const int64_t room = (burst * interval - (tat - now)) / interval;
    if (room < 1) return limited;
    const int64_t take = std::min(room, RateSliceSize(rate, burst));
    std::string next;
    PutBigEndian64(next, static_cast<uint64_t>(tat + take * interval));
    WriteBatch batch;
    batch.Expect(Space::kCounters, key, raw);
    batch.Put(Space::kCounters, key, std::move(next));
    Status st = store_.Write(batch);
    if (st.code() == StatusCode::kConflict) continue;
    RETURN_IF_ERROR(st);
    std::lock_guard lock(limits_mu_);
    if (rate_slices_.size() >= 100'000)
      rate_slices_.clear();  // bound the memory; loses tokens only
    // A slice this server still held is replaced (its tokens are lost, never doubled).
    rate_slices_[who.account_id] = RateSlice{take - 1, now + kRateSliceLifetimeMicros, rate, burst};
    return Status::Ok();
  }
  return limited;  // persistent contention on one account's bucket is itself a high rate
}

// How much quota one reservation takes: small quotas are charged record by
// record (so a quota of 50 stops at exactly 50 on one server and loses
// nothing between servers), large ones in blocks of up to 256 so a look-up
// rarely waits for the synced counter write.
int64_t QuotaLeaseSize(int64_t limit) { return std::clamp<int64_t>(limit / 1000, 1, 256); }

StatusOr<int64_t> AccessControl::ChargeRecords(const Principal& who, QuotaKind kind, int64_t n) {
  StatusOr<int64_t> left = TryChargeRecords(who, kind, n);
  if (!left.ok() && left.status().reason() == "quota_exceeded") {
    quota_denials_.fetch_add(1, std::memory_order_relaxed);
  }
  return left;
}

StatusOr<int64_t> AccessControl::TryChargeRecords(const Principal& who, QuotaKind kind, int64_t n) {
  if (n <= 0) return InvalidArgument("a charge is at least one record");
  const bool read = kind == QuotaKind::kRead;
  const int64_t limit = read ? who.policy.daily_read_quota : who.policy.daily_write_quota;
  const int64_t day = DayNumber(clock_.NowMicros());
  const std::string key = "quota/" + who.account_id + (read ? "/r/" : "/w/") + PeriodKey(day);
  const std::string mark = "mark/quota/" + who.account_id + (read ? "/r/" : "/w/") + PeriodKey(day);
  const std::string detail = std::string(read ? "daily read" : "daily write and erasure") +
                             " quota of " + std::to_string(limit) + " records reached";
  // Spend from this server's lease when it covers the charge; otherwise take
  // what is left of it (so no concurrent charge spends it too) and reserve
  // the rest from the shared counter.
  int64_t taken = 0;  // what was left of the lease, now this charge's
  std::optional<int64_t> served_from_lease;
  {
    std::lock_guard lock(limits_mu_);
    QuotaLease& lease = leases_[key];
    if (lease.limit != limit) lease = QuotaLease{0, limit};  // the policy changed: lease void
    if (lease.left >= n) {
      lease.left -= n;
      served_from_lease = lease.left;
    } else {
      taken = lease.left;
      lease.left = 0;
    }
  }
  if (served_from_lease) {
    RecordVolume(who, n);
    return *served_from_lease;
  }
  // Reserve what is missing plus a fresh lease; fall back to the exact
  // amount when the lease would pass the quota.
  const int64_t need = n - taken;
  const int64_t extra = QuotaLeaseSize(limit) - 1;
  StatusOr<CounterResult> r = store_.AddToCounter(key, need + extra, limit);
  int64_t reserved = need + extra;
  if (r.ok() && !r->applied && extra > 0) {
    r = store_.AddToCounter(key, need, limit);
    reserved = need;
  }
  if (!r.ok() || !r->applied) {
    {
      std::lock_guard lock(limits_mu_);
      QuotaLease& lease = leases_[key];
      if (lease.limit == limit) lease.left += taken;  // unspent: give it back
    }
    if (!r.ok()) return r.status();
    RaiseAlert("quota_reached", who.account_id, detail, mark);
    return ResourceExhausted("daily record quota exhausted", "quota_exceeded");
  }
  if (r->value == limit) RaiseAlert("quota_reached", who.account_id, detail, mark);
  int64_t left = 0;
  {
    std::lock_guard lock(limits_mu_);
    QuotaLease& lease = leases_[key];
    if (lease.limit != limit) lease = QuotaLease{0, limit};
    lease.left += reserved - need;
    left = lease.left + (limit - r->value);
  }
  RecordVolume(who, n);
  return left;
}

StatusOr<int64_t> AccessControl::ChargeRecordsUpTo(const Principal& who, QuotaKind kind,
                                                   int64_t n) {
  if (n <= 0) return InvalidArgument("a charge is at least one record");
  const bool read = kind == QuotaKind::kRead;
  const int64_t limit = read ? who.policy.daily_read_quota : who.policy.daily_write_quota;
  const std::string key =
      "quota/" + who.account_id + (read ? "/r/" : "/w/") + PeriodKey(DayNumber(clock_.NowMicros()));
  int64_t want = n;
  for (int attempt = 0; attempt < 8; ++attempt) {
    StatusOr<int64_t> charged = TryChargeRecords(who, kind, want);
    if (charged.ok()) return want;
    if (charged.status().reason() != "quota_exceeded") return charged.status();
    ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kCounters, key));
    int64_t reserved = raw && raw->size() == 8 ? static_cast<int64_t>(GetBigEndian64(*raw)) : 0;
    int64_t leased = 0;
    {
      std::lock_guard lock(limits_mu_);
      const QuotaLease& lease = leases_[key];
      leased = lease.limit == limit ? lease.left : 0;
    }
    int64_t left = leased + (limit - reserved);
    if (left <= 0) {
      quota_denials_.fetch_add(1, std::memory_order_relaxed);
      return charged.status();
    }
    want = std::min(want, left);
  }
  quota_denials_.fetch_add(1, std::memory_order_relaxed);
  return ResourceExhausted("daily record quota exhausted", "quota_exceeded");
}

Status AccessControl::ChargeMiss(const Principal& who) {
  RETURN_IF_ERROR(ChargeRecords(who, QuotaKind::kRead, 1).status());
  RecordMiss(who);
  return Status::Ok();
}

void AccessControl::RecordMiss(const Principal& who) {
  const int64_t hour = HourNumber(clock_.NowMicros());
  int64_t flush = 0;
  {
    std::lock_guard lock(limits_mu_);
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

Status AccessControl::ChargeReveal(const Principal& who, std::string_view collection,
                                   const std::vector<std::string>& fields) {
  RETURN_IF_ERROR(Authorize(who, Operation::kReveal, collection));
  if (fields.empty()) return FieldInvalid("fields", "non_empty", "name at least one field");
  FieldView view = ViewFor(who, collection);
  for (const std::string& field : fields) {
    if (!view.CanReveal(field)) {
      return Status(StatusCode::kPermissionDenied, "reveal_forbidden",
                    "this field may not be revealed to the account",
                    {FieldViolation{field, "revealable"}});
    }
  }
  return ChargeRecords(who, QuotaKind::kRead, static_cast<int64_t>(fields.size())).status();
}

std::string AccessControl::CanaryKey(std::string_view collection, std::string_view key) const {
  std::string input(collection);
  input.push_back('\0');
  input.append(key);
  return "canary/" + HexEncode(canary_mac_.Compute(AsBytes(input)));
}

Status AccessControl::CheckCanary(const Principal& who, std::string_view collection,
                                  std::string_view key) {
  const std::string marker = CanaryKey(collection, key);
  ASSIGN_OR_RETURN(std::optional<std::string> hit, store_.Get(Space::kMeta, marker));
  if (!hit) return Status::Ok();
  // Suspend first: the record is not served whatever happens next.
  Status suspended = UpdateAccount(who.account_id, [](Account& a) {
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

void AccessControl::RecordVolume(const Principal& who, int64_t n) {
  const int64_t hour = HourNumber(clock_.NowMicros());
  int64_t flush_hour = 0;
  int64_t flush = 0;
  {
    std::lock_guard lock(limits_mu_);
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

void AccessControl::FlushVolume(const Principal& who, int64_t hour, int64_t n) {
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

std::string internal::EncodeAlert(const Alert& alert) {
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

StatusOr<Alert> internal::DecodeAlert(std::string_view stored) {
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

void AccessControl::RaiseAlert(std::string kind, std::string account_id, std::string detail,
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
    std::lock_guard lock(pending_alerts_mu_);
    pending.swap(pending_alerts_);
  }
  for (const Alert& a : pending) add(a);
  Status st = store_.Write(batch);
  if (!st.ok()) {
    std::lock_guard lock(pending_alerts_mu_);
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

void AccessControl::RaiseSystemAlert(std::string kind, std::string detail) {
  RaiseAlert(std::move(kind), "", std::move(detail), std::nullopt);
}

int64_t AccessControl::QuotaDenialCount() const {
  return quota_denials_.load(std::memory_order_relaxed);
}

int64_t AccessControl::RateDenialCount() const {
  return rate_denials_.load(std::memory_order_relaxed);
}

int64_t AccessControl::AlertCount(std::string_view kind) const {
  return alert_counts_[AlertKindIndex(kind)].load(std::memory_order_relaxed);
}

}  // namespace warden::access
