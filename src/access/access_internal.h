// Internal to src/access: store key names and small helpers shared by the
// parts of the access layer. Not part of the layer's API.
#ifndef WARDEN_ACCESS_ACCESS_INTERNAL_H_
#define WARDEN_ACCESS_ACCESS_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "access/principal.h"
#include "core/secret.h"
#include "core/status.h"

namespace warden::access::internal {

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

// 403 "self_grant".
Status SelfRefused();

// For the security officer's calls: 403 "role_forbidden" unless `actor` may
// manage accounts, "self_grant" when `target_account_id` (if any) is the
// actor's own.
Status RequireAdmin(const Principal& actor, std::string_view target_account_id);

// A random identifier "<prefix><16 hex>" (not a secret).
std::string NewId(std::string_view prefix);
// "wdn_x_" + base64url(32 random bytes).
SecretBytes NewToken(std::string_view prefix);
// Whether `token` has the shape NewToken(prefix) produces.
bool HasTokenShape(std::string_view token, std::string_view prefix);

// Lower-cases ASCII letters; nullopt unless 3-64 characters of [a-z0-9._-]
// after that, starting with a letter or digit.
std::optional<std::string> NormalizeUsername(std::string_view username);
// The rule NormalizeUsername applies, as a refusal names it.
inline constexpr char kUsernameRule[] = "3-64 characters of a-z 0-9 . _ -";

int64_t DayNumber(int64_t unix_micros);
int64_t HourNumber(int64_t unix_micros);
// Zero-padded to 10 digits so keys sort in time order.
std::string PeriodKey(int64_t period);

}  // namespace warden::access::internal

#endif  // WARDEN_ACCESS_ACCESS_INTERNAL_H_
