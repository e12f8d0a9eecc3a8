// Limits: how much one account may take — its request rate and its daily
// record quotas (SPEC G4) — enforced alike by every server on one store.
//
// Every record is charged before any byte of it is sent, so a scraping loop
// stops at exactly its quota. A look-up or search that finds nothing costs a
// read unit too (ChargeMiss), so absent keys are no free existence oracle.
//
// Layout, in Space::kCounters:
//   quota/<id>/<r|w>/<day>   records per UTC day (reserved in leases)
//   rate/<id>                token bucket as a theoretical arrival time,
//                            shared by every server (taken in slices)
// Charged records and misses are passed on to Tripwires (volume and
// miss-rate alerts); a spent quota raises a "quota_reached" alert there.
//
// Thread safety: all methods may be called concurrently. The Store, Clock
// and Tripwires must outlive this object.
#ifndef WARDEN_ACCESS_LIMITS_H_
#define WARDEN_ACCESS_LIMITS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/principal.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "store/store.h"

namespace warden::access {

class Tripwires;

enum class QuotaKind { kRead, kWrite };  // erasures count as writes

class Limits {
 public:
  Limits(Store& store, const Clock& clock, Tripwires& tripwires);
  Limits(const Limits&) = delete;
  Limits& operator=(const Limits&) = delete;

  // Token bucket of the policy's rate and burst, one per account shared by
  // every server on the store: a GCRA theoretical arrival time ("rate/<id>")
  // from which a server takes slices of RateSliceSize tokens by
  // compare-and-set and spends them from memory for at most one second (and
  // only while the policy's rate and burst are unchanged). Over any interval
  // t, N servers admit at most burst + rate * t + N * (slice - 1) requests.
  // 429 "rate_limited"; a store error when no slice can be taken.
  Status CheckRate(const Principal& who);
  // Charges `n` records to today's quota of `kind`, all or nothing; returns
  // what is left. Quota is reserved from the shared store counter in leases
  // (QuotaLeaseSize) and spent from memory, so most charges do not wait for
  // a synced write; records served never exceed the quota, and a server's
  // unspent lease is simply lost at the end of the day or at exit. 429
  // "quota_exceeded" (and an alert) when it would pass the quota.
  StatusOr<int64_t> ChargeRecords(const Principal& who, QuotaKind kind, int64_t n);
  // A look-up or search that found nothing the account may see: charges one
  // read unit (so absent keys are no free existence oracle) and counts the
  // miss; `miss_alert_per_hour` misses in an hour raise a "miss_rate" alert.
  // 429 "quota_exceeded" like a record.
  Status ChargeMiss(const Principal& who);
  // Charges min(n, what is left) and returns the amount charged (≥ 1), for
  // searches that truncate; 429 "quota_exceeded" when nothing is left.
  StatusOr<int64_t> ChargeRecordsUpTo(const Principal& who, QuotaKind kind, int64_t n);
  // Authorises a reveal of `fields` and charges one read unit per field.
  // 403 "reveal_forbidden" naming the first field that may not be revealed.
  Status ChargeReveal(const Principal& who, std::string_view collection,
                      const std::vector<std::string>& fields);

  // Requests this process refused for a spent daily quota ("quota_exceeded")
  // or a rate above the policy's ("rate_limited"), for metrics.
  int64_t QuotaDenialCount() const;
  int64_t RateDenialCount() const;

 private:
  Status TakeRateToken(const Principal& who);
  // ChargeRecords without counting a denial (ChargeRecordsUpTo retries).
  StatusOr<int64_t> TryChargeRecords(const Principal& who, QuotaKind kind, int64_t n);

  Store& store_;
  const Clock& clock_;
  Tripwires& tripwires_;

  // Tokens taken from an account's shared bucket and not yet spent.
  struct RateSlice {
    int64_t left = 0;
    int64_t expires_micros = 0;
    double rate = 0;  // the policy the slice was taken under
    int64_t burst = 0;
  };
  // Quota reserved from the shared counter but not yet spent, per counter key,
  // valid only while the policy's limit is the one it was reserved under (a
  // lowered quota ends every server's lease at its next charge).
  struct QuotaLease {
    int64_t left = 0;
    int64_t limit = 0;
  };
  Mutex mu_;
  std::unordered_map<std::string, RateSlice> rate_slices_ GUARDED_BY(mu_);
  std::unordered_map<std::string, QuotaLease> leases_ GUARDED_BY(mu_);
  std::atomic<int64_t> quota_denials_{0};
  std::atomic<int64_t> rate_denials_{0};
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_LIMITS_H_
