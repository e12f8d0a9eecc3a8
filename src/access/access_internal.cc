#include "access/access_internal.h"

#include <algorithm>
#include <array>

#include "access/authorization.h"
#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::access::internal {

Status SelfRefused() {
  return PermissionDenied("no one may change their own account, roles or policy", "self_grant");
}

Status RequireAdmin(const Principal& actor, std::string_view target_account_id) {
  RETURN_IF_ERROR(Authorize(actor, Operation::kManageAccounts, ""));
  if (!target_account_id.empty() && actor.account_id == target_account_id) return SelfRefused();
  return Status::Ok();
}

std::string NewId(std::string_view prefix) {
  std::array<uint8_t, 8> raw;
  crypto::RandomBytes(raw);
  return std::string(prefix) + HexEncode(raw);
}

SecretBytes NewToken(std::string_view prefix) {
  SecretBytes raw = SecretBytes::Random(kTokenRandomBytes);
  std::string text(prefix);
  text += Base64Encode(raw.span(), /*url=*/true);
  SecretBytes token = SecretBytes::CopyFrom(text);
  SecureWipe(text);
  return token;
}

bool HasTokenShape(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + kTokenTextChars || !token.starts_with(prefix)) return false;
  return std::all_of(token.begin() + static_cast<ptrdiff_t>(prefix.size()), token.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
}

std::optional<std::string> NormalizeUsername(std::string_view username) {
  if (username.size() < 3 || username.size() > 64) return std::nullopt;
  std::string out;
  out.reserve(username.size());
  for (char c : username) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
    out.push_back(c);
  }
  if (out[0] == '.' || out[0] == '_' || out[0] == '-') return std::nullopt;
  return out;
}

int64_t DayNumber(int64_t unix_micros) { return unix_micros / 86'400'000'000; }
int64_t HourNumber(int64_t unix_micros) { return unix_micros / 3'600'000'000; }

std::string PeriodKey(int64_t period) {
  std::string digits = std::to_string(std::max<int64_t>(period, 0));
  return std::string(digits.size() < 10 ? 10 - digits.size() : 0, '0') + digits;
}

}  // namespace warden::access::internal
