// The on-disk form of a sealed record (docs/ciphertext_format.md):
//
//   format (1) | algorithm (1) | data key version (4, big-endian) | nonce (12)
//   | AES-256-GCM ciphertext (n) | tag (16)
//
// and the associated data that binds it to its place. This header is parsed
// from untrusted bytes (a disk, a backup), so the parser is total: any input
// yields a header or a kDataLoss status, never undefined behaviour.
//
// Thread safety: free functions without shared state.
#ifndef WARDEN_CRYPTO_CIPHERTEXT_H_
#define WARDEN_CRYPTO_CIPHERTEXT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/primitives.h"

namespace warden::crypto {

inline constexpr uint8_t kRecordFormatV1 = 0x01;
inline constexpr uint8_t kAlgorithmAes256Gcm = 0x01;
inline constexpr size_t kRecordHeaderSize = 1 + 1 + 4 + kGcmNonceSize;
// Bytes a sealed record adds to its plaintext.
inline constexpr size_t kRecordOverhead = kRecordHeaderSize + kGcmTagSize;

struct RecordHeader {
  uint8_t format = kRecordFormatV1;
  uint8_t algorithm = kAlgorithmAes256Gcm;
  uint32_t key_version = 0;
  std::array<uint8_t, kGcmNonceSize> nonce{};
};

// Parses the header of a sealed record. kDataLoss (reason "malformed_ciphertext")
// when `ciphertext` is shorter than header + tag, or names a format or
// algorithm this build does not know.
[[nodiscard]] StatusOr<RecordHeader> ParseRecordHeader(std::string_view ciphertext);

// Appends the kRecordHeaderSize bytes of `header` to `out`.
void AppendRecordHeader(const RecordHeader& header, std::string& out);

// The associated data of a record: a domain label, the key ring's identity,
// the format, algorithm and key version, and the collection, record key and
// field set, each length-prefixed so that no two different bindings encode
// alike. Appended to `out`.
void AppendRecordAssociatedData(std::string_view keyring_id, const RecordHeader& header,
                                std::string_view collection, std::string_view record_key,
                                std::string_view field_set, std::string& out);

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_CIPHERTEXT_H_
