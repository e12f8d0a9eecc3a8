// The one AEAD envelope in which Warden keeps a value at rest
// (docs/ciphertext_format.md): a record (the barrier, through KeyRing), an
// account's password hash or TOTP secret, an audit entry's context.
//
//   format (1) | algorithm (1) | key version (4, big-endian) | nonce (12)
//   | AES-256-GCM ciphertext (n) | tag (16)
//
// The associated data, never stored, names the use, the store, the header and
// the caller's binding (where the value belongs):
//
//   label 0x00 | u32 len | key ring id | format | algorithm | u32 key version
//   | u32 len | binding[0] | u32 len | binding[1] | ...
//
// Labels are fixed and contain no 0x00 and every other part is
// length-prefixed, so no two (use, store, header, binding) encode alike: an
// envelope opens only for the use, store, key version and place it was sealed
// for. The header is parsed from untrusted bytes (a disk, a backup, a
// database row), so the parser is total: any input yields a header or a
// kDataLoss status, never undefined behaviour.
//
// Thread safety: the free functions share no state; EnvelopeKeys is
// internally synchronised.
#ifndef WARDEN_CRYPTO_ENVELOPE_H_
#define WARDEN_CRYPTO_ENVELOPE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "crypto/primitives.h"

namespace warden::crypto {

inline constexpr uint8_t kEnvelopeFormatV1 = 0x01;
inline constexpr uint8_t kAlgorithmAes256Gcm = 0x01;
inline constexpr size_t kEnvelopeHeaderSize = 1 + 1 + 4 + kGcmNonceSize;
// Bytes an envelope adds to its plaintext.
inline constexpr size_t kEnvelopeOverhead = kEnvelopeHeaderSize + kGcmTagSize;

// What an envelope holds. Each use has its own label in the associated data,
// so an envelope of one use never opens as another. Never reuse a label.
enum class EnvelopeUse : uint8_t {
  kRecord,         // "warden-record-v1"; binding: collection, record key, field set
  kAccountSecret,  // "warden-account-secret-v1"; binding: field, account id
  kAuditContext,   // "warden-audit-context-v2"; binding: account, session of the entry
};

// The domain label of `use`.
std::string_view EnvelopeLabel(EnvelopeUse use);

struct EnvelopeHeader {
  uint8_t format = kEnvelopeFormatV1;
  uint8_t algorithm = kAlgorithmAes256Gcm;
  uint32_t key_version = 0;
  std::array<uint8_t, kGcmNonceSize> nonce{};
};

// Parses the header of an envelope. kDataLoss (reason "malformed_ciphertext")
// when `sealed` is shorter than header + tag, names a format or algorithm this
// build does not know, or key version 0 (never issued).
[[nodiscard]] StatusOr<EnvelopeHeader> ParseEnvelopeHeader(std::string_view sealed);

// Appends the kEnvelopeHeaderSize bytes of `header` to `out`.
void AppendEnvelopeHeader(const EnvelopeHeader& header, std::string& out);

// Appends the associated data of an envelope (see above) to `out`.
// `keyring_id` is the key ring's raw identity (KeyRing::KeyRingId() decoded).
void AppendEnvelopeAssociatedData(EnvelopeUse use, std::string_view keyring_id,
                                  const EnvelopeHeader& header,
                                  std::initializer_list<std::string_view> binding,
                                  std::string& out);

// Seals `plaintext` under `key` (kAes256KeySize bytes), which is version
// `key_version` (>= 1) of its key, with a fresh random nonce. The result
// opens only with the same use, key ring id and binding.
[[nodiscard]] StatusOr<std::string> SealEnvelope(EnvelopeUse use, std::string_view keyring_id,
                                                 std::initializer_list<std::string_view> binding,
                                                 uint32_t key_version, const SecretBytes& key,
                                                 std::span<const uint8_t> plaintext);

// The key of `version`, or null when it is not held. Called at most once per
// open, on the caller's thread.
using EnvelopeKeyLookup = std::function<const SecretBytes*(uint32_t version)>;

// Opens what SealEnvelope made, with the key `find_key` returns for the
// version the header names. kDataLoss with reason
//   "malformed_ciphertext"   the header is truncated or unknown (ParseEnvelopeHeader),
//   "unknown_key_version"    `find_key` holds no key of that version (retired,
//                            or newer than the loaded key state),
//   "<use>_authentication_failed" (record_, account_secret_, audit_context_)
//                            altered, or sealed for another binding, use,
//                            key version or store.
// Messages name no key, binding value or plaintext.
[[nodiscard]] StatusOr<std::string> OpenEnvelope(EnvelopeUse use, std::string_view keyring_id,
                                                 std::initializer_list<std::string_view> binding,
                                                 std::string_view sealed,
                                                 const EnvelopeKeyLookup& find_key);

// EnvelopeKeys: the versions of one key that seals envelopes outside the
// record barrier (account secrets, audit contexts), for one store. New
// envelopes are sealed under the current version, the highest held; an
// envelope opens under whichever held version its header names. The KeyRing
// makes one per purpose (KeyRing::EnvelopeKeysFor) and adds a version when it
// rotates, so every holder of the shared set seals under the new version from
// then on while older envelopes keep opening.
//
// Thread safety: all methods may be called concurrently. Keys live in
// SecretBytes and are wiped with the set.
class EnvelopeKeys {
 public:
  // An empty set for the store `keyring_id` (raw bytes, bound into every
  // envelope). Seal fails until a version is added.
  explicit EnvelopeKeys(std::string keyring_id);
  EnvelopeKeys(const EnvelopeKeys&) = delete;
  EnvelopeKeys& operator=(const EnvelopeKeys&) = delete;

  // Holds `key` (kAes256KeySize bytes) as `version` (>= 1). kInvalidArgument
  // for another size or version 0; kConflict when the version is held.
  Status Add(uint32_t version, SecretBytes key);
  // The version new envelopes are sealed under; 0 while the set is empty.
  uint32_t current_version() const;

  // SealEnvelope under the current version. kInternal while the set is empty.
  [[nodiscard]] StatusOr<std::string> Seal(EnvelopeUse use,
                                           std::initializer_list<std::string_view> binding,
                                           std::span<const uint8_t> plaintext) const;
  // OpenEnvelope with the held versions; its errors.
  [[nodiscard]] StatusOr<std::string> Open(EnvelopeUse use,
                                           std::initializer_list<std::string_view> binding,
                                           std::string_view sealed) const;

 private:
  const std::string keyring_id_;
  mutable SharedMutex mu_;
  std::map<uint32_t, SecretBytes> keys_ GUARDED_BY(mu_);  // the last is current
};

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_ENVELOPE_H_
