// Authenticator: who is asking (SPEC G1, G10). The first two security
// officers are made with one-time bootstrap tokens; people enrol with a
// two-half code, log in with a password and a TOTP code and get a session;
// service accounts present API keys (issued through Administration).
// Authenticate turns either credential into the Principal of one request.
//
// Layout, in Space::kMeta:
//   sess/<hex keyed hash of token>   session: account, created, expires, last
//                                    seen, client address, credential epoch
//   key/<hex keyed hash of API key>  API key: account, created, expires, last seen
//   lock/<hex keyed hash of username>  failed-login window (also for names
//                                    that do not exist)
//   bootstrap                        keyed hashes of the two one-time bootstrap tokens
// Tokens, API keys, passwords and TOTP secrets never appear in the Store, in
// errors or in alerts in the clear.
//
// Thread safety: all methods may be called concurrently. The Store, Clock,
// AccountStore and Tripwires must outlive this object.
#ifndef WARDEN_ACCESS_AUTHENTICATOR_H_
#define WARDEN_ACCESS_AUTHENTICATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "access/access_options.h"
#include "access/password.h"
#include "access/principal.h"
#include "access/roles.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/primitives.h"
#include "store/store.h"

namespace warden::access {

class AccountStore;
class Tripwires;
struct Account;

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

class Authenticator {
 public:
  // `lockout_key` (32 bytes) keys the names of lockout entries.
  Authenticator(Store& store, const Clock& clock, AccountStore& accounts, Tripwires& tripwires,
                AccessOptions options, const SecretBytes& lockout_key);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

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

 private:
  // A fresh TOTP secret, sealed into `account`.
  StatusOr<Enrollment> NewEnrollment(Account& account);
  StatusOr<IssuedToken> NewSession(const Account& account, std::string_view client_addr);

  // Login throttling.
  std::string LockKey(std::string_view username) const;
  StatusOr<bool> IsLockedOut(const std::string& lock_key);
  void RecordLoginFailure(const std::string& lock_key, std::string_view account_id);

  Store& store_;
  const Clock& clock_;
  AccountStore& accounts_;
  Tripwires& tripwires_;
  const AccessOptions options_;
  const PasswordHasher hasher_;
  const crypto::HmacSha256Key lockout_mac_;
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_AUTHENTICATOR_H_
