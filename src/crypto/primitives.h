// Cryptographic primitives on OpenSSL 3, in the libsodium/BoringSSL shape:
// fixed sizes as constants, keys only as SecretBytes, spans for inputs,
// results that cannot be ignored. Every function is thread-safe.
//
// Failures of the library itself are kInternal; a ciphertext or signature
// that does not verify is kDataLoss with a message that names no key material.
#ifndef WARDEN_CRYPTO_PRIMITIVES_H_
#define WARDEN_CRYPTO_PRIMITIVES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/secret.h"
#include "core/status.h"

namespace warden::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;
inline constexpr size_t kSha256Size = 32;
inline constexpr size_t kHmacSha256Size = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;
inline constexpr size_t kX25519KeySize = 32;

using Sha256Digest = std::array<uint8_t, kSha256Size>;
using HmacSha256Tag = std::array<uint8_t, kHmacSha256Size>;

// Fills `out` from the system CSPRNG.
void RandomBytes(std::span<uint8_t> out);

// Fills `out` (at most 64 bytes) with CSPRNG output drawn from a per-thread
// buffer refilled 4 KiB at a time, for values that must be unique and
// unpredictable but are not secret once used, such as AEAD nonces. A forked
// child never reuses its parent's buffer.
void RandomNonceBytes(std::span<uint8_t> out);

// AES-256-GCM. Returns ciphertext || 16-byte tag. `nonce` must be 12 bytes and
// never repeat under one key (callers use random nonces; see docs/ciphertext_format.md).
[[nodiscard]] StatusOr<std::string> Aes256GcmSeal(const SecretBytes& key,
                                                  std::span<const uint8_t> nonce,
                                                  std::span<const uint8_t> plaintext,
                                                  std::span<const uint8_t> associated_data);
// Inverse of Aes256GcmSeal; kDataLoss when the tag does not verify.
[[nodiscard]] StatusOr<std::string> Aes256GcmOpen(const SecretBytes& key,
                                                  std::span<const uint8_t> nonce,
                                                  std::span<const uint8_t> ciphertext_and_tag,
                                                  std::span<const uint8_t> associated_data);

// The same, writing into caller-owned memory: `out` must be exactly
// plaintext.size() + 16 (seal) or ciphertext_and_tag.size() - 16 (open) bytes.
// On an authentication failure `out` is wiped.
[[nodiscard]] Status Aes256GcmSealInto(const SecretBytes& key, std::span<const uint8_t> nonce,
                                       std::span<const uint8_t> plaintext,
                                       std::span<const uint8_t> associated_data,
                                       std::span<uint8_t> out);
[[nodiscard]] Status Aes256GcmOpenInto(const SecretBytes& key, std::span<const uint8_t> nonce,
                                       std::span<const uint8_t> ciphertext_and_tag,
                                       std::span<const uint8_t> associated_data,
                                       std::span<uint8_t> out);

[[nodiscard]] Sha256Digest Sha256(std::span<const uint8_t> data);
[[nodiscard]] HmacSha256Tag HmacSha256(const SecretBytes& key, std::span<const uint8_t> data);

// An HMAC-SHA256 key with its inner and outer hash states precomputed, for hot
// paths (blind indexes) that MAC many short inputs under one key. The states
// are key-equivalent; they live in OpenSSL contexts that are wiped when freed.
// Compute() is thread-safe (each call works on a thread-local copy).
class HmacSha256Key {
 public:
  explicit HmacSha256Key(const SecretBytes& key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  [[nodiscard]] HmacSha256Tag Compute(std::span<const uint8_t> data) const;

 private:
  struct State;
  State* state_;
};

// RFC 5869 HKDF-SHA256 producing `length` bytes (at most 255 * 32).
[[nodiscard]] StatusOr<SecretBytes> HkdfSha256(const SecretBytes& input_key,
                                               std::span<const uint8_t> salt,
                                               std::span<const uint8_t> info, size_t length);

// RFC 8032 Ed25519 with a 32-byte seed as the private key.
[[nodiscard]] StatusOr<std::string> Ed25519PublicKey(const SecretBytes& seed);
[[nodiscard]] StatusOr<std::string> Ed25519Sign(const SecretBytes& seed,
                                                std::span<const uint8_t> message);
[[nodiscard]] bool Ed25519Verify(std::span<const uint8_t> public_key,
                                 std::span<const uint8_t> message,
                                 std::span<const uint8_t> signature);

// RFC 7748 X25519.
[[nodiscard]] StatusOr<std::string> X25519PublicKey(const SecretBytes& private_key);
[[nodiscard]] StatusOr<SecretBytes> X25519(const SecretBytes& private_key,
                                           std::span<const uint8_t> peer_public_key);

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_PRIMITIVES_H_
