// TOTP second factor (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second
// steps, 6 digits, accepted one step either side of now. Enrolment hands the
// secret out once, as an otpauth:// URI (Key URI Format, as read by common
// authenticator apps) and as a QR code of that URI.
//
// Everything that contains the secret — the secret, its Base32 text, the URI,
// the QR code — is a SecretBytes. Thread safety: pure functions.
#ifndef WARDEN_ACCESS_TOTP_H_
#define WARDEN_ACCESS_TOTP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"

namespace warden::access {

inline constexpr size_t kTotpSecretSize = 20;  // 160 bits, as RFC 4226 recommends
inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpWindowSteps = 1;

// RFC 4648 Base32 without padding (the otpauth:// form).
SecretBytes Base32Encode(const SecretBytes& bytes);
// Accepts either case, '=' padding and spaces; nullopt on any other character.
std::optional<SecretBytes> Base32Decode(std::string_view text);

// The time step of `unix_seconds` (floor division; times before 1970 are step < 0).
int64_t TotpStep(int64_t unix_seconds);

// The HOTP value of `secret` at `step`, as a zero-padded decimal string of
// `digits` (6 to 8) characters.
std::string HotpCode(const SecretBytes& secret, int64_t step, int digits = kTotpDigits);

// The current code for `secret` at `unix_seconds` (for `warden totp` and tests).
std::string TotpCode(const SecretBytes& secret, int64_t unix_seconds, int digits = kTotpDigits);

// The step within ±kTotpWindowSteps of now whose code equals `code`
// (constant-time comparison) and which is greater than `last_used_step`, so a
// code is accepted once; nullopt otherwise.
std::optional<int64_t> MatchTotp(const SecretBytes& secret, std::string_view code,
                                 int64_t unix_seconds, int64_t last_used_step);

// Whether `code` is the code of a step within ±kTotpWindowSteps of now that
// is not after `last_used_step`: a code that was already used (or an older
// one), as against a wrong one. Constant-time like MatchTotp.
bool TotpAlreadyUsed(const SecretBytes& secret, std::string_view code, int64_t unix_seconds,
                     int64_t last_used_step);

// "otpauth://totp/Warden:alice?secret=...&issuer=Warden&algorithm=SHA1&digits=6&period=30"
// with the label and issuer percent-encoded.
SecretBytes OtpauthUri(std::string_view issuer, std::string_view account_name,
                       const SecretBytes& secret);

// A QR code of `text` (error correction M) drawn with Unicode half blocks,
// two modules per character row, dark on a light quiet zone of 2 modules: for
// a terminal. kInternal if libqrencode fails (for example on text too long).
StatusOr<SecretBytes> QrCodeText(const SecretBytes& text);
// The same code as a standalone SVG document, for the web console.
StatusOr<SecretBytes> QrCodeSvg(const SecretBytes& text);

}  // namespace warden::access

#endif  // WARDEN_ACCESS_TOTP_H_
