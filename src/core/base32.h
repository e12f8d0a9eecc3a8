// Base32 (RFC 4648 section 6, the "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
// alphabet), written without '=' padding: the text form of TOTP secrets
// (upper case, as authenticator apps show them) and of root-key shares
// (lower case).
//
// Secret-safe: both directions run in time that depends only on the lengths,
// never on the bytes or characters (no table lookups or branches on them),
// write only into the caller's buffer, and wipe their own intermediate state.
// The caller owns and wipes the buffers. Thread safety: pure functions.
#ifndef WARDEN_CORE_BASE32_H_
#define WARDEN_CORE_BASE32_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace warden {

enum class Base32Case { kUpper, kLower };

// How Base32Decode reads text.
enum class Base32Reading {
  // Exactly what Base32Encode writes, in either case: no padding, no spaces,
  // a length some byte string encodes to, unused trailing bits zero.
  kCanonical,
  // As people type it from an authenticator app: spaces and '=' are skipped
  // wherever they stand, and trailing bits that do not fill a byte are
  // dropped whatever they hold.
  kLenient,
};

// Characters of the unpadded encoding of `bytes` bytes.
constexpr size_t Base32EncodedSize(size_t bytes) { return (bytes * 8 + 4) / 5; }
// The most bytes `chars` characters decode to.
constexpr size_t Base32MaxDecodedSize(size_t chars) { return chars * 5 / 8; }

// Writes the encoding of `bytes` to the first Base32EncodedSize(bytes.size())
// characters of `out`. Precondition (checked; the process stops otherwise):
// `out` holds that many.
void Base32Encode(std::span<char> out, std::span<const uint8_t> bytes, Base32Case letter_case);

// Decodes `text` into the start of `out`; returns the number of bytes
// written. nullopt when a character is outside the alphabet (either case
// accepted), the text breaks the `reading` rules, or `out` is too small; what
// was written to `out` is then wiped.
[[nodiscard]] std::optional<size_t> Base32Decode(std::span<uint8_t> out, std::string_view text,
                                                 Base32Reading reading);

}  // namespace warden

#endif  // WARDEN_CORE_BASE32_H_
