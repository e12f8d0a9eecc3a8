// AgeWriter: encryption to one X25519 recipient in the age v1 file format
// (https://age-encryption.org/v1), so that the recipient of an export opens it
// with the standard `age` tool (`age -d -i identity.txt`).
//
// Debian ships no C or C++ age library, so the format is written here on
// OpenSSL primitives. Encryption only; nothing here decrypts. The file is
//
//   age-encryption.org/v1
//   -> X25519 <b64 ephemeral share>        one stanza: the file key wrapped
//   <b64 ChaCha20-Poly1305(wrap key, 0, file key)>
//   --- <b64 HMAC-SHA256(HKDF(file key, "", "header"), header up to "---")>
//   <16-byte nonce> <STREAM chunks>
//
// where share = X25519(e, 9) for a fresh ephemeral e, wrap key =
// HKDF-SHA256(X25519(e, recipient), salt share || recipient,
// "age-encryption.org/v1/X25519"), payload key = HKDF-SHA256(file key, salt
// nonce, "payload"), and chunk i is ChaCha20-Poly1305 of 64 KiB of plaintext
// (the last may be shorter, never empty unless the whole payload is) under the
// nonce u88be(i) || (last ? 1 : 0). "b64" is standard base64 without padding.
//
// Thread safety: an AgeWriter is used by one thread at a time. Plaintext is
// held in memory only (at most one chunk) and wiped when sent or dropped.
#ifndef WARDEN_CRYPTO_AGE_WRITER_H_
#define WARDEN_CRYPTO_AGE_WRITER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/status.h"

namespace warden::crypto {

inline constexpr size_t kAgeChunkSize = 64 * 1024;
inline constexpr size_t kAgeFileKeySize = 16;
inline constexpr size_t kAgeNonceSize = 16;

// An X25519 recipient's public key.
struct AgeRecipient {
  std::array<uint8_t, 32> public_key{};
};

// Parses a recipient string "age1..." (Bech32, human-readable part "age",
// 32 bytes). kInvalidArgument naming the rule otherwise: reason
// "recipient_malformed" (not Bech32, wrong prefix, wrong checksum, wrong
// length) or "recipient_low_order" (a key no sender can agree with).
StatusOr<AgeRecipient> ParseAgeRecipient(std::string_view text);
// The canonical "age1..." string of a recipient.
std::string FormatAgeRecipient(const AgeRecipient& recipient);

// Where ciphertext goes, in order; an error stops the writer.
using AgeSink = std::function<Status(std::span<const uint8_t>)>;

class AgeWriter {
 public:
  // Draws a file key and an ephemeral key and writes the header to `sink`.
  static StatusOr<std::unique_ptr<AgeWriter>> Start(const AgeRecipient& recipient, AgeSink sink);
  ~AgeWriter();
  AgeWriter(const AgeWriter&) = delete;
  AgeWriter& operator=(const AgeWriter&) = delete;

  // Encrypts `plaintext`, sending every full chunk once it is known not to be
  // the last. kInternal after Finish or a sink error.
  Status Write(std::span<const uint8_t> plaintext);
  // Sends the last chunk. Without Finish the file is incomplete and `age`
  // refuses it (the last-chunk flag is missing), so a writer cut short never
  // leaves a file that decrypts to a truncated export.
  Status Finish();

 private:
  AgeWriter(SecretBytes payload_key, AgeSink sink);
  Status SendChunk(bool last);

  SecretBytes payload_key_;
  AgeSink sink_;
  std::vector<uint8_t> pending_;  // plaintext not yet sent; wiped after use
  uint64_t counter_ = 0;
  bool done_ = false;
};

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_AGE_WRITER_H_
