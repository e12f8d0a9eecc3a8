// Byte-string helpers: hex and base64 (standard and URL-safe) codecs and
// fixed-width big-endian integers, used for keys on disk and tokens on the wire.
#ifndef WARDEN_CORE_BYTES_H_
#define WARDEN_CORE_BYTES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace warden {

// A view of a string's bytes.
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(std::span<const uint8_t> bytes);
inline std::string HexEncode(std::string_view bytes) { return HexEncode(AsBytes(bytes)); }
// nullopt on odd length or a non-hex character (either case accepted).
std::optional<std::string> HexDecode(std::string_view hex);

// RFC 4648 base64; `url` selects the URL-safe alphabet without padding.
std::string Base64Encode(std::span<const uint8_t> bytes, bool url = false);
inline std::string Base64Encode(std::string_view bytes, bool url = false) {
  return Base64Encode(AsBytes(bytes), url);
}
// Accepts either alphabet, with or without padding; nullopt on bad input.
std::optional<std::string> Base64Decode(std::string_view text);

// Big-endian fixed-width integers, so that encoded keys sort numerically.
void PutBigEndian64(std::string& out, uint64_t v);
void PutBigEndian32(std::string& out, uint32_t v);
uint64_t GetBigEndian64(std::string_view in);  // precondition: in.size() >= 8
uint32_t GetBigEndian32(std::string_view in);  // precondition: in.size() >= 4

}  // namespace warden

#endif  // WARDEN_CORE_BYTES_H_
