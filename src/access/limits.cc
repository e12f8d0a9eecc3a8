// Rate and daily quotas, shared by every server on the store.
#include "access/limits.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "access/access_internal.h"
#include "access/authorization.h"
#include "access/tripwires.h"
#include "core/bytes.h"

namespace warden::access {

using namespace internal;  // NOLINT: this layer's own helpers

namespace {

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

// How much quota one reservation takes: small quotas are charged record by
// record (so a quota of 50 stops at exactly 50 on one server and loses
// nothing between servers), large ones in blocks of up to 256 so a look-up
// rarely waits for the synced counter write.
int64_t QuotaLeaseSize(int64_t limit) { return std::clamp<int64_t>(limit / 1000, 1, 256); }

}  // namespace

Limits::Limits(Store& store, const Clock& clock, Tripwires& tripwires)
    : store_(store), clock_(clock), tripwires_(tripwires) {}

Status Limits::CheckRate(const Principal& who) {
  Status st = TakeRateToken(who);
  if (st.reason() == "rate_limited") rate_denials_.fetch_add(1, std::memory_order_relaxed);
  return st;
}

Status Limits::TakeRateToken(const Principal& who) {
  const Status limited =
      ResourceExhausted("request rate above the account's limit", "rate_limited");
  const double rate = who.policy.rate_per_second;
  const int64_t burst = std::max<int64_t>(who.policy.burst, 1);
  if (!(rate > 0)) return limited;
  const int64_t now = clock_.NowMicros();
  {
    MutexLock lock(mu_);
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
    MutexLock lock(mu_);
    if (rate_slices_.size() >= 100'000)
      rate_slices_.clear();  // bound the memory; loses tokens only
    // A slice this server still held is replaced (its tokens are lost, never doubled).
    rate_slices_[who.account_id] = RateSlice{take - 1, now + kRateSliceLifetimeMicros, rate, burst};
    return Status::Ok();
  }
  return limited;  // persistent contention on one account's bucket is itself a high rate
}

StatusOr<int64_t> Limits::ChargeRecords(const Principal& who, QuotaKind kind, int64_t n) {
  StatusOr<int64_t> left = TryChargeRecords(who, kind, n);
  if (!left.ok() && left.status().reason() == "quota_exceeded") {
    quota_denials_.fetch_add(1, std::memory_order_relaxed);
  }
  return left;
}

StatusOr<int64_t> Limits::TryChargeRecords(const Principal& who, QuotaKind kind, int64_t n) {
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
    MutexLock lock(mu_);
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
    tripwires_.RecordVolume(who, n);
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
      MutexLock lock(mu_);
      QuotaLease& lease = leases_[key];
      if (lease.limit == limit) lease.left += taken;  // unspent: give it back
    }
    if (!r.ok()) return r.status();
    tripwires_.RaiseAlert("quota_reached", who.account_id, detail, mark);
    return ResourceExhausted("daily record quota exhausted", "quota_exceeded");
  }
  if (r->value == limit) tripwires_.RaiseAlert("quota_reached", who.account_id, detail, mark);
  int64_t left = 0;
  {
    MutexLock lock(mu_);
    QuotaLease& lease = leases_[key];
    if (lease.limit != limit) lease = QuotaLease{0, limit};
    lease.left += reserved - need;
    left = lease.left + (limit - r->value);
  }
  tripwires_.RecordVolume(who, n);
  return left;
}

StatusOr<int64_t> Limits::ChargeRecordsUpTo(const Principal& who, QuotaKind kind, int64_t n) {
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
      MutexLock lock(mu_);
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

Status Limits::ChargeMiss(const Principal& who) {
  RETURN_IF_ERROR(ChargeRecords(who, QuotaKind::kRead, 1).status());
  tripwires_.RecordMiss(who);
  return Status::Ok();
}

Status Limits::ChargeReveal(const Principal& who, std::string_view collection,
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

int64_t Limits::QuotaDenialCount() const { return quota_denials_.load(std::memory_order_relaxed); }

int64_t Limits::RateDenialCount() const { return rate_denials_.load(std::memory_order_relaxed); }

}  // namespace warden::access
