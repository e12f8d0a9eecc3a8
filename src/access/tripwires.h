// Tripwires: canary records, volume and miss-rate alerts, and the stored list
// of alerts that security officers work through (SPEC G5).
//
// A canary is a (collection, record key) pair that looks like a real record;
// CheckCanary runs before a record leaves the server, and an account that
// reads one is suspended in the same request. Volume and misses are counted
// per account and hour as Limits charges them; an hour far above the
// account's own and its role's baseline, or with many look-ups that found
// nothing, raises an alert. Alerts never hold personal data or secrets.
//
// Layout:
//   Space::kMeta      canary/<hex keyed hash of collection and key>
//                     alert/<big-endian time><id>, alertid/<id> -> alert key
//                     mark/<kind>/<...>   de-duplication marks (one alert per period)
//   Space::kCounters  vol/<id>/<hour>, volrole/<role>/<hour>, volacct/<role>/<hour>
//                     miss/<id>/<hour>
//
// Thread safety: all methods may be called concurrently, except
// SetAlertSink, which is called before any other. The Store, Clock and
// AccountStore must outlive this object.
#ifndef WARDEN_ACCESS_TRIPWIRES_H_
#define WARDEN_ACCESS_TRIPWIRES_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/access_options.h"
#include "access/principal.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "crypto/primitives.h"
#include "store/store.h"

namespace warden::access {

class AccountStore;

struct Alert {
  std::string id;
  // canary_read, volume, quota_reached, miss_rate, lockout, and the audit
  // trail's own (audit_unavailable, audit_recovered, ...) without an account
  std::string kind;
  std::string account_id;  // empty for alerts about unknown usernames
  int64_t at_micros = 0;
  std::string detail;  // never personal data or secrets
  // Set once a security officer has acknowledged it.
  std::string acknowledged_by;
  int64_t acknowledged_at_micros = 0;
};

// Receives every alert as it is raised, after it is stored (wire it to the
// log and metrics). Called on the request's thread; must not block for long.
using AlertSink = std::function<void(const Alert&)>;

class Tripwires {
 public:
  // `canary_key` (32 bytes) keys the canary markers.
  Tripwires(Store& store, const Clock& clock, AccountStore& accounts, AccessOptions options,
            const SecretBytes& canary_key);
  Tripwires(const Tripwires&) = delete;
  Tripwires& operator=(const Tripwires&) = delete;

  void SetAlertSink(AlertSink sink);

  // ---- Canaries ----
  // Call before a record leaves the server. When (collection, key) is a
  // canary: suspends the account durably, raises an alert and returns 423
  // "account_suspended".
  Status CheckCanary(const Principal& who, std::string_view collection, std::string_view key);
  // Marks (collection, key) pairs as canaries (operator). The records
  // themselves are stored like any other; only a keyed hash of each pair is
  // kept. 403 "role_forbidden" for anyone but an operator.
  Status RegisterCanaries(const Principal& actor, std::string_view collection,
                          const std::vector<std::string>& keys);
  // The same for offline tools that already hold the data directory and keys
  // (`warden import` of a file made by `warden gen --canaries`).
  Status RegisterCanariesOffline(std::string_view collection, const std::vector<std::string>& keys);

  // ---- Volume and misses (counted by Limits) ----
  // `n` records charged to `who`. They are added to the hourly store counter
  // in batches of 128 per account and server (volume alerts are advisory;
  // quotas are exact); a "volume" alert when the hour crosses volume_floor *
  // 2^k records and is above volume_factor times both baselines.
  void RecordVolume(const Principal& who, int64_t n);
  // A look-up or search of `who` that found nothing; counted in batches of 8
  // per server; a "miss_rate" alert once per hour at miss_alert_per_hour.
  void RecordMiss(const Principal& who);

  // ---- Alerts ----
  // Stores an alert and passes it to the sink. With `dedupe_mark`, only the
  // first alert under that mark is raised. An alert that cannot be stored now
  // (the store is what failed) is kept in memory (up to 1,000) and stored with
  // the next alert that can be; the sink hears of it at once either way.
  // Never blocks on anything but the store write.
  void RaiseAlert(std::string kind, std::string account_id, std::string detail,
                  std::optional<std::string> dedupe_mark);
  // An alert about the system rather than an account (the audit trail's
  // kAuditUnavailable, ...), stored like any other.
  void RaiseSystemAlert(std::string kind, std::string detail);
  // Alerts raised at or after `since_micros`, oldest first, at most `limit`
  // (security officer).
  StatusOr<std::vector<Alert>> ListAlerts(const Principal& actor, int64_t since_micros,
                                          size_t limit);
  // Marks an alert as handled by `actor` and returns it. 404 "alert_not_found";
  // 403 "self_grant" for an alert about the actor's own account; 409
  // "already_acknowledged".
  StatusOr<Alert> AcknowledgeAlert(const Principal& actor, std::string_view alert_id);
  // Alerts raised by this process, per kind, for metrics.
  int64_t AlertCount(std::string_view kind) const;

 private:
  void FlushVolume(const Principal& who, int64_t hour, int64_t n);
  std::string CanaryKey(std::string_view collection, std::string_view key) const;

  Store& store_;
  const Clock& clock_;
  AccountStore& accounts_;
  const AccessOptions options_;
  const crypto::HmacSha256Key canary_mac_;
  AlertSink sink_;  // set before serving; read-only afterwards

  // Records and misses counted here and not yet added to the store counters.
  struct PendingVolume {
    int64_t hour = 0;
    int64_t records = 0;
  };
  Mutex volume_mu_;
  std::unordered_map<std::string, PendingVolume> volume_ GUARDED_BY(volume_mu_);
  std::unordered_map<std::string, PendingVolume> misses_ GUARDED_BY(volume_mu_);
  // Alerts raised while the store refused to keep them.
  Mutex pending_alerts_mu_;
  std::vector<Alert> pending_alerts_ GUARDED_BY(pending_alerts_mu_);
  static constexpr size_t kAlertKindSlots = 8;
  std::array<std::atomic<int64_t>, kAlertKindSlots> alert_counts_{};
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_TRIPWIRES_H_
