// Internal to src/access: the stored account record, store key names and
// small helpers shared by the access_*.cc files. Not part of the layer's API.
#ifndef WARDEN_ACCESS_ACCESS_INTERNAL_H_
#define WARDEN_ACCESS_ACCESS_INTERNAL_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "access/access_control.h"

namespace warden::access {

struct AccessControl::Account {
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

  std::string Encode() const;
  static StatusOr<Account> Decode(std::string_view json);
  AccountInfo Info() const;
};

namespace internal {

inline constexpr std::string_view kSessionPrefix = "wdn_s_";
inline constexpr std::string_view kApiKeyPrefix = "wdn_k_";
inline constexpr std::string_view kBootstrapPrefix = "wdn_b_";
inline constexpr std::string_view kEnrolmentPrefix = "wdn_e_";
inline constexpr size_t kTokenRandomBytes = 32;  // 256 bits
inline constexpr size_t kTokenTextChars = 43;    // base64url of 32 bytes, unpadded

inline std::string AccountKey(std::string_view id) { return "acct/" + std::string(id); }
inline std::string UserKey(std::string_view username) { return "user/" + std::string(username); }
inline constexpr std::string_view kRolePoliciesKey = "policy/roles";
inline constexpr std::string_view kBootstrapKey = "bootstrap";
inline std::string RequestKey(std::string_view id) { return "request/" + std::string(id); }

// Whether holding `role` lets an account read personal data, or manage
// accounts: granting it needs a second security officer.
bool RoleNeedsApproval(Role role);

// 403 "self_grant".
Status SelfRefused();

// A random identifier "<prefix><16 hex>" (not a secret).
std::string NewId(std::string_view prefix);
// "wdn_x_" + base64url(32 random bytes).
SecretBytes NewToken(std::string_view prefix);
// Whether `token` has the shape NewToken(prefix) produces.
bool HasTokenShape(std::string_view token, std::string_view prefix);

// Lower-cases ASCII letters; nullopt unless 3-64 characters of [a-z0-9._-]
// after that, starting with a letter or digit.
std::optional<std::string> NormalizeUsername(std::string_view username);

int64_t DayNumber(int64_t unix_micros);
int64_t HourNumber(int64_t unix_micros);
// Zero-padded to 10 digits so keys sort in time order.
std::string PeriodKey(int64_t period);

// The stored form of an alert (JSON); Decode fails with kDataLoss.
std::string EncodeAlert(const Alert& alert);
StatusOr<Alert> DecodeAlert(std::string_view stored);

}  // namespace internal
}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCESS_INTERNAL_H_
