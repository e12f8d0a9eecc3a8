// AccessControl: who is asking, for what, and how much they may see (SPEC §4,
// G1, G4, G5, G7, G10).
//
// The HTTP layer calls, per request and in this order:
//
//   ASSIGN_OR_RETURN(Principal who, access.Authenticate(bearer, peer));  // 401, 423
//   RETURN_IF_ERROR(access.CheckRate(who));                              // 429 rate_limited
//   ASSIGN_OR_RETURN(Purpose why, ParsePurpose(purpose_hdr, reason_hdr)); // 400
//   RETURN_IF_ERROR(access.Authorize(who, Operation::kLookup, "persons")); // 403
//   ... read the record ...
//   RETURN_IF_ERROR(access.CheckCanary(who, "persons", key));      // 423, account suspended
//   RETURN_IF_ERROR(access.CheckDivision(who, division_of_record)); // 403
//   ASSIGN_OR_RETURN(int64_t left, access.ChargeRecords(who, QuotaKind::kRead, 1)); // 429
//   FieldView view = access.ViewFor(who, "persons");   // mask per field
//   ... audit (durable), then respond ...
//
// Every record is checked and charged before any byte of it is sent, so a
// canary suspends the account before a further record is served and a scraping
// loop stops at exactly its quota.
//
// State. Everything persistent is in the Store, so several servers sharing one
// store enforce one quota and one lockout per account:
//   Space::kMeta      acct/<id>            account (password hash and TOTP secret sealed)
//                     user/<username>      -> account id
//                     sess/<hex keyed hash of token>, key/<hex keyed hash of API key>
//                     keyid/<key id>       -> keyed hash, for revocation by id
//                     policy/roles         stored role policies
//                     request/<id>         changes awaiting a second security officer
//                     alert/<time><rand>   alerts
//                     mark/<kind>/<...>    alert de-duplication marks
//                     canary/<hex keyed hash of collection and key>
//                     lock/<hex keyed hash of username>  failed-login window (also for
//                                          names that do not exist)
//                     bootstrap            keyed hashes of the two one-time bootstrap tokens
//   Space::kCounters  quota/<id>/<r|w>/<day>   records per UTC day
//                     rate/<id>                token bucket as a theoretical arrival time,
//                                              shared by every server (taken in slices)
//                     miss/<id>/<hour>         look-ups and searches that found nothing
//                     vol/<id>/<hour>, volrole/<role>/<hour>, volacct/<role>/<hour>
// Tokens, API keys, passwords and TOTP secrets never appear in the Store, in
// errors or in alerts in the clear.
//
// Thread safety: all methods may be called concurrently. Clock, Store and the
// alert sink must outlive this object.
#ifndef WARDEN_ACCESS_ACCESS_CONTROL_H_
#define WARDEN_ACCESS_ACCESS_CONTROL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/field_view.h"
#include "access/password.h"
#include "access/policy.h"
#include "access/purpose.h"
#include "access/roles.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/envelope.h"
#include "crypto/primitives.h"
#include "store/store.h"

namespace warden::access {

// Key material, from the key hierarchy.
struct AccessKeys {
  // Keys the hashes of session tokens, API keys and the bootstrap token; subkeys
  // derived from it (HKDF, distinct labels) key canary markers and lockout
  // entries. 32 bytes.
  SecretBytes token_hash_key;
  // Seal TOTP secrets and password hashes at rest: envelopes of use
  // kAccountSecret (docs/ciphertext_format.md) bound to the field and the
  // account id, under the current version; any held version opens. The key
  // ring's "account-secret" envelope key, shared so that a rotation applies at
  // once. Non-null.
  std::shared_ptr<const crypto::EnvelopeKeys> seal_keys;
  // Opens secrets sealed before they had a key version (nonce | ciphertext,
  // associated data "warden/access/v1/<field>/<account id>"); seals nothing.
  // 32 bytes.
  SecretBytes unversioned_seal_key;
};

struct AccessOptions {
  Argon2Params argon2 = Argon2Params::Interactive();
  std::chrono::seconds session_ttl{std::chrono::hours(8)};
  std::chrono::seconds session_idle{std::chrono::minutes(15)};
  std::chrono::seconds api_key_ttl{std::chrono::hours(24 * 90)};
  std::chrono::seconds api_key_idle{std::chrono::hours(24 * 30)};
  int lockout_failures = 5;
  std::chrono::seconds lockout_window{std::chrono::minutes(15)};
  std::chrono::seconds lockout_duration{std::chrono::minutes(15)};
  // last_seen of a session is rewritten at most this often (idle timeout resolution).
  std::chrono::seconds last_seen_resolution{std::chrono::seconds(30)};
  // A change request unapproved this long expires.
  std::chrono::seconds grant_approval_ttl{std::chrono::hours(24)};
  // An approved enrolment unredeemed this long expires (a new reset is needed).
  std::chrono::seconds enrolment_ttl{std::chrono::hours(72)};
  // Limits no policy may pass, whoever approves it (server configuration).
  PolicyCeiling policy_ceiling;
  // Volume alert: an account's records in one hour above `volume_factor` times
  // both its own and its role's hourly baseline (last 7 days), and at least
  // `volume_floor`.
  double volume_factor = 10.0;
  int64_t volume_floor = 100;
  // A look-up or search that finds nothing costs one read unit; an account's
  // misses in one hour reaching this raise a "miss_rate" alert (once per hour).
  int64_t miss_alert_per_hour = 50;
  std::string totp_issuer = "Warden";
};

enum class QuotaKind { kRead, kWrite };  // erasures count as writes

struct Principal {
  std::string account_id;
  std::string username;
  AccountKind kind = AccountKind::kHuman;
  RoleSet roles;
  EffectivePolicy policy;
  // Names the session or API key in audit records ("s_…" / "k_…"); not a secret.
  std::string session_id;
  std::string client_addr;
};

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

// What a person needs to set up their authenticator; shown once.
struct Enrollment {
  std::string account_id;
  SecretBytes totp_secret_base32;
  SecretBytes otpauth_uri;
  SecretBytes qr_text;  // UTF-8 half blocks, for a terminal
};

// A bearer credential, shown once.
struct IssuedToken {
  SecretBytes token;
  std::string id;  // session id or API key id
  int64_t expires_at_micros = 0;
  RoleSet roles;
};

struct AccountInfo {
  std::string account_id;
  std::string username;
  AccountKind kind = AccountKind::kHuman;
  RoleSet roles;
  bool suspended = false;
  std::string suspended_reason;
  std::string state;  // active, awaiting_approval, awaiting_enrolment
};

// An API key as listed: never the key itself, which is shown once.
struct ApiKeyInfo {
  std::string key_id;
  std::string account_id;
  int64_t created_micros = 0;
  int64_t expires_at_micros = 0;
  int64_t last_used_micros = 0;  // to within AccessOptions::last_seen_resolution
};

// The outcome of an administrative change: applied at once, or waiting for
// a second security officer (SPEC §4 "two people for every data grant").
struct ChangeResult {
  bool applied = false;
  std::string request_id;  // set when a second security officer must approve
  std::string account_id;  // the account concerned (new accounts: its id)
  // Half of a new account's (or a reset's) enrolment code, for the requesting
  // officer to hand to the holder; the approver gets the other half.
  SecretBytes enrolment_part;
};

// What a second security officer's approval released. The enrolment part or
// the API key is shown once, to the approver.
struct ApprovalResult {
  std::string kind;  // ChangeRequestInfo::kind
  std::string account_id;
  SecretBytes enrolment_part;          // create_account, reset_credentials
  std::optional<IssuedToken> api_key;  // api_key
};

// A change awaiting approval, as listed (no secrets).
struct ChangeRequestInfo {
  std::string id;
  // create_account, create_service, grant_role, account_policy, role_policy,
  // api_key, reset_credentials
  std::string kind;
  std::string account_id;   // empty for role_policy
  std::string username;     // of account_id, when it has one
  std::string role;         // grant_role, role_policy
  std::string policy_json;  // account_policy, role_policy, create_service
  std::string requested_by;
  int64_t requested_at_micros = 0;
  int64_t expires_at_micros = 0;
};

class AccessControl {
 public:
  // kInvalidArgument if a key is not 32 bytes or `keys.seal_keys` is null.
  static StatusOr<std::unique_ptr<AccessControl>> Create(Store& store, const Clock& clock,
                                                         AccessKeys keys,
                                                         AccessOptions options = {});
  ~AccessControl();
  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  void SetAlertSink(AlertSink sink);

  // ---- Bootstrap (G10) ----
  // Two fresh one-time tokens ("wdn_b_…"), meant for two different people:
  // each creates one of the first two security officers, so that every later
  // grant has a second approver who was not made by the first (G7). Only
  // their keyed hashes are stored; they replace any earlier unused ones.
  // kConflict "already_bootstrapped" once one has been used.
  StatusOr<std::vector<SecretBytes>> CreateBootstrapTokens();
  // Creates a security officer. 401 "bootstrap_invalid" for a wrong, used or
  // missing token; the token is dead afterwards.
  StatusOr<Enrollment> Bootstrap(const SecretBytes& token, std::string_view username,
                                 const SecretBytes& password);

  // ---- Sessions ----
  // Password + TOTP. 401 "invalid_credentials" for any wrong part or unknown
  // account (same message, and an Argon2id verification either way); 423
  // "account_locked" during a lockout (for unknown names too); 423
  // "account_suspended" for a suspended account with correct credentials.
  StatusOr<IssuedToken> Login(std::string_view username, const SecretBytes& password,
                              std::string_view totp_code, std::string_view client_addr);
  // Ends the session of `bearer_token`. OK also when it had already ended.
  Status Logout(std::string_view bearer_token);
  // A session token or API key -> who is asking. 401 "unauthenticated" for an
  // unknown, malformed, revoked, expired or idle credential; 423
  // "account_suspended".
  StatusOr<Principal> Authenticate(std::string_view bearer_token, std::string_view client_addr);

  // ---- Enrolment (the holder sets their own credentials) ----
  // Redeems the two halves of an approved enrolment code, one from each
  // security officer, sets `password` and returns the new TOTP secret; the
  // account can log in from then on and its earlier sessions are dead.
  // 401 "enrolment_invalid" for any wrong part, unknown name, expired or
  // already-used code (the same message); failures count toward the lockout.
  StatusOr<Enrollment> Enrol(std::string_view username, const SecretBytes& code_part_a,
                             const SecretBytes& code_part_b, const SecretBytes& password);
  // The holder of a session changes their own password. 401
  // "invalid_credentials" when `current` is wrong.
  Status ChangePassword(const Principal& who, const SecretBytes& current,
                        const SecretBytes& replacement);

  // ---- Per-request decisions ----
  // 403 "role_forbidden" or "collection_forbidden".
  Status Authorize(const Principal& who, Operation op, std::string_view collection) const;
  // 403 "division_forbidden" when the record's division code is outside the
  // account's scope (fail closed on a missing code when a scope is set).
  Status CheckDivision(const Principal& who, std::string_view record_division_code) const;
  FieldView ViewFor(const Principal& who, std::string_view collection) const;
  // The most records one search may return.
  int64_t ResultCap(const Principal& who) const { return who.policy.result_cap; }
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
  // unspent lease is simply lost at the end of the day or at exit. 429 "quota_exceeded" (and an
  // alert) when it would pass the quota.
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
  // Call before a record leaves the server. When (collection, key) is a
  // canary: suspends the account durably, raises an alert and returns 423
  // "account_suspended".
  Status CheckCanary(const Principal& who, std::string_view collection, std::string_view key);

  // ---- Administration (security officer; never on oneself) ----
  // Every change that lets an account read personal data, and every new
  // account or security officer, is a request that a second security officer
  // approves (ApproveRequest); narrowing changes apply at once. No
  // administrator ever receives a usable credential of another account.
  //
  // A person's account with `roles`, unusable until approved and then
  // enrolled by its holder: the result carries one half of the enrolment
  // code, the approval the other.
  StatusOr<ChangeResult> CreateHumanAccount(const Principal& actor, std::string_view username,
                                            const RoleSet& roles);
  // A service account (role `service`) with `policy` naming its collections;
  // usable once approved. 422 "ceiling" for a policy above the server's ceiling.
  StatusOr<ChangeResult> CreateServiceAccount(const Principal& actor, std::string_view name,
                                              const Policy& policy);
  // Data roles (registrar, officer, investigator) and security_officer wait
  // for approval; operator and auditor apply at once.
  StatusOr<ChangeResult> GrantRole(const Principal& actor, std::string_view account_id, Role role);
  // Applies a pending request. 403 "second_approver_required" when `actor`
  // asked for it, "self_grant" when it concerns `actor`; 404
  // "request_not_found"; 409 "request_expired".
  StatusOr<ApprovalResult> ApproveRequest(const Principal& actor, std::string_view request_id);
  // Drops a pending request (any security officer, the requester included); a
  // new account that was never approved is removed with it.
  Status RejectRequest(const Principal& actor, std::string_view request_id);
  // Pending, unexpired requests, oldest first.
  StatusOr<std::vector<ChangeRequestInfo>> ListRequests(const Principal& actor);
  Status RevokeRole(const Principal& actor, std::string_view account_id, Role role);
  Status SuspendAccount(const Principal& actor, std::string_view account_id,
                        std::string_view reason);
  Status ReinstateAccount(const Principal& actor, std::string_view account_id);
  // A holder who lost their password or authenticator: once approved, the
  // account's password and second factor are void, its sessions end, and it
  // must be enrolled again with a new two-half code.
  StatusOr<ChangeResult> ResetCredentials(const Principal& actor, std::string_view account_id);
  // An API key ("wdn_k_…") for a service account, issued when a second
  // security officer approves and shown once in the approval; `ttl` defaults
  // to the options'.
  StatusOr<ChangeResult> IssueApiKey(const Principal& actor, std::string_view account_id,
                                     std::optional<std::chrono::seconds> ttl = std::nullopt);
  Status RevokeApiKey(const Principal& actor, std::string_view key_id);
  // Every live API key, or those of one account (`account_id` non-empty).
  StatusOr<std::vector<ApiKeyInfo>> ListApiKeys(const Principal& actor,
                                                std::string_view account_id);
  // A policy that widens what the role or account may take (PolicyWidens)
  // waits for approval; one that only narrows applies at once. 422 "ceiling"
  // above the server's policy ceiling.
  StatusOr<ChangeResult> SetRolePolicy(const Principal& actor, Role role, const Policy& policy);
  StatusOr<ChangeResult> SetAccountPolicy(const Principal& actor, std::string_view account_id,
                                          const Policy& policy);
  StatusOr<std::vector<AccountInfo>> ListAccounts(const Principal& actor);
  // Alerts raised at or after `since_micros`, oldest first, at most `limit`.
  StatusOr<std::vector<Alert>> ListAlerts(const Principal& actor, int64_t since_micros,
                                          size_t limit);
  // Marks an alert as handled by `actor` and returns it. 404 "alert_not_found";
  // 403 "self_grant" for an alert about the actor's own account; 409
  // "already_acknowledged".
  StatusOr<Alert> AcknowledgeAlert(const Principal& actor, std::string_view alert_id);

  // Stores an alert about the system rather than an account (the audit
  // trail's kAuditUnavailable, ...) and passes it to the sink. An alert that
  // cannot be stored now (the store is what failed) is kept in memory and
  // stored with the next alert that can be, so it reaches ListAlerts once the
  // store is back. Never blocks on anything but the store write.
  void RaiseSystemAlert(std::string kind, std::string detail);

  // ---- Tripwires (operator) ----
  // Marks (collection, key) pairs as canaries. The records themselves are
  // stored like any other; only a keyed hash of each pair is kept.
  Status RegisterCanaries(const Principal& actor, std::string_view collection,
                          const std::vector<std::string>& keys);
  // The same for offline tools that already hold the data directory and keys
  // (`warden import` of a file made by `warden gen --canaries`).
  Status RegisterCanariesOffline(std::string_view collection, const std::vector<std::string>& keys);

  // Alerts raised by this process, per kind, for metrics.
  int64_t AlertCount(std::string_view kind) const;
  // Requests this process refused for a spent daily quota ("quota_exceeded")
  // or a rate above the policy's ("rate_limited"), for metrics.
  int64_t QuotaDenialCount() const;
  int64_t RateDenialCount() const;

 private:
  struct Account;
  AccessControl(Store& store, const Clock& clock, AccessKeys keys, AccessOptions options,
                SecretBytes canary_key, SecretBytes lockout_key);

  // Accounts.
  StatusOr<std::optional<Account>> LoadAccount(std::string_view account_id);
  Status SaveAccount(const Account& account, const std::optional<std::string>& expected);
  // Applies `change` to the stored account with optimistic concurrency.
  Status UpdateAccount(std::string_view account_id, const std::function<Status(Account&)>& change);
  StatusOr<Enrollment> NewEnrollment(Account& account);
  // Change requests (access_requests.cc).
  StatusOr<ChangeResult> FileRequest(const Principal& actor, std::string kind,
                                     std::string account_id, nlohmann::json detail);
  StatusOr<ApprovalResult> ApplyRequest(const Principal& actor, const nlohmann::json& request);
  StatusOr<IssuedToken> StoreApiKey(const Account& account, std::chrono::seconds ttl);
  StatusOr<EffectivePolicy> EffectivePolicyOf(const Account& account);
  Status StoreRolePolicy(Role role, const Policy& policy);
  StatusOr<std::string> Seal(std::string_view field, std::string_view account_id,
                             std::span<const uint8_t> plaintext) const;
  StatusOr<SecretBytes> Open(std::string_view field, std::string_view account_id,
                             std::string_view sealed) const;
  StatusOr<std::shared_ptr<const std::map<Role, Policy>>> LoadRolePolicies();
  Status RequireAdmin(const Principal& actor, std::string_view target_account_id) const;

  // Login throttling.
  std::string LockKey(std::string_view username) const;
  StatusOr<bool> IsLockedOut(const std::string& lock_key);
  void RecordLoginFailure(const std::string& lock_key, std::string_view account_id);

  // Credentials.
  std::string TokenHashHex(std::string_view token) const;
  StatusOr<IssuedToken> NewSession(const Account& account, std::string_view client_addr);

  Status TakeRateToken(const Principal& who);
  void RecordMiss(const Principal& who);
  // ChargeRecords without counting a denial (ChargeRecordsUpTo retries).
  StatusOr<int64_t> TryChargeRecords(const Principal& who, QuotaKind kind, int64_t n);

  // Volume and alerts. Records are added to the hourly store counter in
  // batches of kVolumeBatch (128) per account and server (volume alerts are
  // advisory; quotas are exact).
  void RecordVolume(const Principal& who, int64_t n);
  void FlushVolume(const Principal& who, int64_t hour, int64_t n);
  void RaiseAlert(std::string kind, std::string account_id, std::string detail,
                  std::optional<std::string> dedupe_mark);
  std::string CanaryKey(std::string_view collection, std::string_view key) const;

  Store& store_;
  const Clock& clock_;
  AccessKeys keys_;
  AccessOptions options_;
  PasswordHasher hasher_;
  crypto::HmacSha256Key token_mac_;
  crypto::HmacSha256Key canary_mac_;
  crypto::HmacSha256Key lockout_mac_;
  AlertSink sink_;  // set before serving; read-only afterwards

  // Decoded accounts and role policies, reused while the stored bytes are
  // unchanged (every request still reads the store, so a suspension or
  // policy change on another server applies at once).
  struct CachedAccount {
    std::string raw;
    std::shared_ptr<const Account> account;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedAccount> account_cache_;  // guarded by cache_mu_
  std::string role_policies_raw_;                                 // guarded by cache_mu_
  std::shared_ptr<const std::map<Role, Policy>> role_policies_;   // guarded by cache_mu_

  // Tokens taken from an account's shared bucket and not yet spent.
  struct RateSlice {
    int64_t left = 0;
    int64_t expires_micros = 0;
    double rate = 0;  // the policy the slice was taken under
    int64_t burst = 0;
  };
  struct PendingVolume {
    int64_t hour = 0;
    int64_t records = 0;
  };
  std::mutex limits_mu_;
  std::unordered_map<std::string, RateSlice> rate_slices_;  // guarded by limits_mu_
  std::unordered_map<std::string, PendingVolume> volume_;   // guarded by limits_mu_
  std::unordered_map<std::string, PendingVolume> misses_;   // guarded by limits_mu_
  // Quota reserved from the shared counter but not yet spent, per counter key,
  // valid only while the policy's limit is the one it was reserved under (a
  // lowered quota ends every server's lease at its next charge).
  struct QuotaLease {
    int64_t left = 0;
    int64_t limit = 0;
  };
  std::unordered_map<std::string, QuotaLease> leases_;  // guarded by limits_mu_
  // Alerts raised while the store refused to keep them.
  std::mutex pending_alerts_mu_;
  std::vector<Alert> pending_alerts_;  // guarded by pending_alerts_mu_
  static constexpr size_t kAlertKindSlots = 8;
  std::array<std::atomic<int64_t>, kAlertKindSlots> alert_counts_{};
  std::atomic<int64_t> quota_denials_{0};
  std::atomic<int64_t> rate_denials_{0};
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCESS_CONTROL_H_
