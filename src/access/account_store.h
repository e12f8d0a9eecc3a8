// AccountStore: the access layer's account records and the keys that protect
// them at rest (SPEC G2, G10). Internal to src/access: the layers above reach
// accounts only through Authenticator and Administration.
//
// Layout, in Space::kMeta:
//   acct/<id>         Account::Encode(): JSON; the password hash and the TOTP
//                     secret sealed (Seal), each bound to the field and the
//                     account id
//   user/<username>   -> account id; one account per name
//   policy/roles      the stored policy of each role (JSON, role name -> policy)
// Session tokens, API keys, bootstrap tokens and enrolment codes are stored by
// the other parts only as TokenHashHex of them.
//
// Load reads the store. LoadCached and LoadRolePolicies read through the
// AccessCache (access_cache.h): every change to an account or role policy,
// and every other access change written through WriteAccessChange, stamps
// the store's access generation, so it applies at once on this server and
// within AccessCache::kMaxStaleness on every other. Decoded accounts and role
// policies are reused while their stored bytes are unchanged. Every change is
// a compare-and-set on the stored bytes.
//
// Thread safety: all methods may be called concurrently. The Store must
// outlive this object.
#ifndef WARDEN_ACCESS_ACCOUNT_STORE_H_
#define WARDEN_ACCESS_ACCOUNT_STORE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/access_cache.h"
#include "access/access_options.h"
#include "access/policy.h"
#include "access/roles.h"
#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "crypto/primitives.h"
#include "store/store.h"

namespace warden::access {

// One account as stored under acct/<id>.
struct Account {
  std::string id;
  std::string username;
  AccountKind kind = AccountKind::kHuman;
  RoleSet roles;
  bool suspended = false;
  std::string suspended_reason;
  std::string password_sealed;  // base64 of nonce || AES-GCM(Argon2id string)
  std::string totp_sealed;      // base64 of nonce || AES-GCM(raw TOTP secret)
  int64_t totp_last_step = std::numeric_limits<int64_t>::min();
  std::optional<Policy> policy;
  int64_t created_at_micros = 0;
  std::string created_by;
  // Whether the account can be used: a new account waits for a second
  // security officer, then for its holder to enrol.
  enum class State { kActive, kAwaitingApproval, kAwaitingEnrolment };
  State state = State::kActive;
  // While kAwaitingEnrolment: keyed hashes of the two code halves, and when
  // the code stops working.
  std::string enrolment_hash_a;
  std::string enrolment_hash_b;
  int64_t enrolment_expires_micros = 0;
  // Bumped at every enrolment; a session made under another value is dead.
  int64_t credential_epoch = 0;

  // A new active account with a fresh id "a_<16 hex>", created at
  // `now_micros` by `created_by` (an account id, or "bootstrap").
  static Account New(std::string username, AccountKind kind, RoleSet roles, std::string created_by,
                     int64_t now_micros);

  std::string Encode() const;
  // kDataLoss when `json` is not a well-formed account record.
  static StatusOr<Account> Decode(std::string_view json);
};

class AccountStore {
 public:
  // `keys` are 32 bytes each (AccessControl::Create checks).
  AccountStore(Store& store, const Clock& clock, AccessKeys keys);
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // ---- Accounts ----
  // The account `account_id`; nullopt when there is none. kDataLoss for a
  // malformed record.
  StatusOr<std::optional<Account>> Load(std::string_view account_id);
  // The same through the access cache, for the checks of every request.
  StatusOr<std::shared_ptr<const Account>> LoadCached(std::string_view account_id);
  // Every account, in id order. kDataLoss for a malformed record.
  StatusOr<std::vector<Account>> LoadAll();
  // Applies `change` to the stored account by compare-and-set, calling it
  // again on the fresh record when another writer got there first (up to 8
  // times). 404 "account_not_found"; an error `change` returns (nothing is
  // written); kConflict when the account kept changing.
  Status Update(std::string_view account_id, const std::function<Status(Account&)>& change);
  // Stores `account` as a new record and claims its username, in one atomic
  // write with the changes and conditions of `batch`. kConflict when the name
  // is taken or a condition of `batch` fails (then nothing is written).
  Status Insert(const Account& account, WriteBatch batch = {});

  // Writes `batch`, a change of access other than to an account or role
  // policy (logout, API key revocation, canaries), with the access
  // generation's new value; this server's cache is forgotten once it returns.
  Status WriteAccessChange(WriteBatch batch);
  // The cache of access records (sessions, API keys) read on every request.
  AccessCache& cache() { return cache_; }

  // ---- Role policies ----
  // The stored policy of each role (absent: none stored), through the cache.
  StatusOr<std::shared_ptr<const std::map<Role, Policy>>> LoadRolePolicies();
  // Replaces the stored policy of `role` by compare-and-set; kConflict when
  // the role policies kept changing.
  Status StoreRolePolicy(Role role, const Policy& policy);
  // The account's policy resolved over its roles' (ResolvePolicy).
  StatusOr<EffectivePolicy> EffectivePolicyOf(const Account& account);

  // ---- Secrets at rest ----
  // Seals `plaintext` as the secret `field` ("password", "totp") of
  // `account_id` in an envelope under the current account-secret key version,
  // bound to the field and the account id; the result is text for the record.
  StatusOr<std::string> Seal(std::string_view field, std::string_view account_id,
                             std::span<const uint8_t> plaintext) const;
  // The reverse of Seal, under any held key version; also opens secrets sealed
  // before key versions (AccessKeys::unversioned_seal_key). kDataLoss when
  // `sealed` is malformed, or was sealed for another field or account, or
  // under another key.
  StatusOr<SecretBytes> Open(std::string_view field, std::string_view account_id,
                             std::string_view sealed) const;
  // The name under which a bearer token (session, API key, bootstrap token,
  // enrolment code half) is stored: hex of its HMAC-SHA256 under the token
  // hash key.
  std::string TokenHashHex(std::string_view token) const;

 private:
  // Decoded `raw` of `key`, reusing the last decoding of the same bytes.
  StatusOr<std::shared_ptr<const Account>> Decoded(const std::string& key, std::string raw);

  Store& store_;
  AccessCache cache_;
  const AccessKeys keys_;
  const crypto::HmacSha256Key token_mac_;

  // Decoded accounts and role policies, reused while the stored bytes are
  // unchanged.
  struct CachedAccount {
    std::string raw;
    std::shared_ptr<const Account> account;
  };
  Mutex cache_mu_;
  std::unordered_map<std::string, CachedAccount> account_cache_ GUARDED_BY(cache_mu_);
  std::string role_policies_raw_ GUARDED_BY(cache_mu_);
  std::shared_ptr<const std::map<Role, Policy>> role_policies_ GUARDED_BY(cache_mu_);
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCOUNT_STORE_H_
