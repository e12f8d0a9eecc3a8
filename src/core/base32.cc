#include "core/base32.h"

#include <cstdlib>

#include "core/secret.h"

namespace warden {
namespace {

// All ones when `condition` (0 or 1) is 1, else zero.
constexpr uint32_t MaskOf(uint32_t condition) { return 0u - condition; }

// 1 when lo <= c <= hi, else 0, without a branch (c, lo, hi below 2^31).
constexpr uint32_t InRange(uint32_t c, uint32_t lo, uint32_t hi) {
  return ((lo - 1u - c) & (c - hi - 1u)) >> 31;
}

// The character for a 5-bit value: a letter for 0-25, '2'-'7' for 26-31.
constexpr char SymbolOf(uint32_t v, uint32_t letter_a) {
  const uint32_t letter = MaskOf((v - 26u) >> 31);
  return static_cast<char>((letter & (letter_a + v)) | (~letter & (v + ('2' - 26u))));
}

void Wipe(uint32_t& v) { SecureWipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v)); }

}  // namespace

void Base32Encode(std::span<char> out, std::span<const uint8_t> bytes, Base32Case letter_case) {
  if (out.size() < Base32EncodedSize(bytes.size())) std::abort();  // a caller's bug
  const uint32_t letter_a = letter_case == Base32Case::kUpper ? 'A' : 'a';
  uint32_t buffer = 0;  // the `bits` low bits are pending
  int bits = 0;
  size_t n = 0;
  for (uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[n++] = SymbolOf((buffer >> bits) & 31u, letter_a);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out[n] = SymbolOf((buffer << (5 - bits)) & 31u, letter_a);
  Wipe(buffer);
}

std::optional<size_t> Base32Decode(std::span<uint8_t> out, std::string_view text,
                                   Base32Reading reading) {
  uint32_t buffer = 0;  // the `bits` low bits are pending
  int bits = 0;
  size_t n = 0;
  uint32_t invalid = 0;
  bool too_long = false;
  for (char ch : text) {
    if (reading == Base32Reading::kLenient && (ch == ' ' || ch == '=')) continue;
    const auto c = static_cast<uint32_t>(static_cast<uint8_t>(ch));
    const uint32_t upper = MaskOf(InRange(c, 'A', 'Z'));
    const uint32_t lower = MaskOf(InRange(c, 'a', 'z'));
    const uint32_t digit = MaskOf(InRange(c, '2', '7'));
    invalid |= ~(upper | lower | digit) & 1u;
    const uint32_t v =
        ((upper & (c - 'A')) | (lower & (c - 'a')) | (digit & (c - '2' + 26u))) & 31u;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (n == out.size()) {
        too_long = true;
        break;
      }
      out[n++] = static_cast<uint8_t>(buffer >> bits);
      buffer &= (1u << bits) - 1;
    }
  }
  // A canonical text ends within its last byte's character, padded with zeros.
  const bool canonical = bits < 5 && buffer == 0;
  Wipe(buffer);
  if (invalid != 0 || too_long || (reading == Base32Reading::kCanonical && !canonical)) {
    SecureWipe(out.first(n));
    return std::nullopt;
  }
  return n;
}

}  // namespace warden
