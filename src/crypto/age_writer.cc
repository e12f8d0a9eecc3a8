#include "crypto/age_writer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "core/bytes.h"
#include "core/c_ptr.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

using CipherCtx = CPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

constexpr std::string_view kBech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::string_view kRecipientHrp = "age";
constexpr size_t kPolyTagSize = 16;
constexpr size_t kChachaNonceSize = 12;

// BIP 173's checksum over the expanded human-readable part and the data.
uint32_t Bech32Polymod(std::span<const uint8_t> values) {
  constexpr std::array<uint32_t, 5> kGen = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                            0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (size_t i = 0; i < kGen.size(); ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<uint8_t> ExpandHrp(std::string_view hrp) {
  std::vector<uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

Status Malformed(std::string message) {
  return InvalidArgument("recipient: " + std::move(message) +
                             " (an age X25519 recipient is \"age1\" and 58 Bech32 characters)",
                         "recipient_malformed");
}

// Standard base64 without padding, as age writes every binary value.
std::string Base64NoPad(std::span<const uint8_t> bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// ChaCha20-Poly1305 (RFC 8439) of `plaintext` with empty associated data,
// appending ciphertext || tag to `out`.
Status ChachaSeal(const SecretBytes& key, std::span<const uint8_t, kChachaNonceSize> nonce,
                  std::span<const uint8_t> plaintext, std::vector<uint8_t>& out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  const size_t at = out.size();
  out.resize(at + plaintext.size() + kPolyTagSize);
  int len = 0;
  int final_len = 0;
  if (!ctx || key.size() != 32 ||
      EVP_EncryptInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) !=
          1 ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.data() + at, &len, plaintext.data(),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + at + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kPolyTagSize,
                          out.data() + at + plaintext.size()) != 1) {
    return Internal("ChaCha20-Poly1305 encryption failed");
  }
  return Status::Ok();
}

std::span<const uint8_t> Bytes(std::string_view s) { return AsBytes(s); }

}  // namespace

StatusOr<AgeRecipient> ParseAgeRecipient(std::string_view text) {
  if (text.size() < 8 || text.size() > 90) return Malformed("wrong length");
  const bool has_lower =
      std::any_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  const bool has_upper =
      std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (has_lower && has_upper) return Malformed("mixed case");
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const size_t sep = lower.rfind('1');
  if (sep == std::string::npos || lower.substr(0, sep) != kRecipientHrp) {
    return Malformed("not an age1 recipient");
  }
  std::vector<uint8_t> values = ExpandHrp(kRecipientHrp);
  std::vector<uint8_t> data;
  for (char c : std::string_view(lower).substr(sep + 1)) {
    const size_t v = kBech32Charset.find(c);
    if (v == std::string_view::npos) return Malformed("a character outside Bech32");
    data.push_back(static_cast<uint8_t>(v));
  }
  if (data.size() < 6) return Malformed("wrong length");
  values.insert(values.end(), data.begin(), data.end());
  if (Bech32Polymod(values) != 1) return Malformed("wrong checksum");
  data.resize(data.size() - 6);
  // 5-bit groups to bytes; the padding bits must be zero and fewer than 5.
  std::vector<uint8_t> bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t v : data) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (acc & ((1U << bits) - 1)) != 0 || bytes.size() != 32) {
    return Malformed("wrong length");
  }
  AgeRecipient recipient;
  std::copy(bytes.begin(), bytes.end(), recipient.public_key.begin());
  // A key of low order gives an all-zero shared secret, which OpenSSL refuses.
  SecretBytes probe = SecretBytes::Random(kX25519KeySize);
  if (!X25519(probe, recipient.public_key).ok()) {
    return InvalidArgument("recipient: the key is a low-order point no one can decrypt for",
                           "recipient_low_order");
  }
  return recipient;
}

std::string FormatAgeRecipient(const AgeRecipient& recipient) {
  std::vector<uint8_t> data;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : recipient.public_key) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push_back(static_cast<uint8_t>((acc >> bits) & 31));
    }
  }
  if (bits > 0) data.push_back(static_cast<uint8_t>((acc << (5 - bits)) & 31));
  std::vector<uint8_t> values = ExpandHrp(kRecipientHrp);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  const uint32_t mod = Bech32Polymod(values) ^ 1;
  std::string out = std::string(kRecipientHrp) + "1";
  for (uint8_t v : data) out += kBech32Charset[v];
  for (int i = 0; i < 6; ++i) out += kBech32Charset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

StatusOr<std::unique_ptr<AgeWriter>> AgeWriter::Start(const AgeRecipient& recipient, AgeSink sink) {
  const SecretBytes file_key = SecretBytes::Random(kAgeFileKeySize);
  const SecretBytes ephemeral = SecretBytes::Random(kX25519KeySize);
  ASSIGN_OR_RETURN(std::string share, X25519PublicKey(ephemeral));
  ASSIGN_OR_RETURN(SecretBytes shared, X25519(ephemeral, recipient.public_key));
  std::string salt = share;
  salt.append(reinterpret_cast<const char*>(recipient.public_key.data()),
              recipient.public_key.size());
  ASSIGN_OR_RETURN(SecretBytes wrap_key,
                   HkdfSha256(shared, Bytes(salt), Bytes("age-encryption.org/v1/X25519"), 32));
  std::vector<uint8_t> wrapped;
  const std::array<uint8_t, kChachaNonceSize> zero_nonce{};
  RETURN_IF_ERROR(ChachaSeal(wrap_key, zero_nonce, file_key.span(), wrapped));

  // The wrapped key is 32 bytes, 43 base64 characters: one body line, shorter
  // than the 64 columns after which age wraps.
  std::string header = "age-encryption.org/v1\n-> X25519 " + Base64NoPad(Bytes(share)) + "\n" +
                       Base64NoPad(wrapped) + "\n---";
  ASSIGN_OR_RETURN(SecretBytes mac_key, HkdfSha256(file_key, {}, Bytes("header"), 32));
  const HmacSha256Tag mac = HmacSha256(mac_key, Bytes(header));
  header += " " + Base64NoPad(mac) + "\n";

  std::array<uint8_t, kAgeNonceSize> nonce{};
  RandomBytes(nonce);
  ASSIGN_OR_RETURN(SecretBytes payload_key, HkdfSha256(file_key, nonce, Bytes("payload"), 32));
  RETURN_IF_ERROR(sink(Bytes(header)));
  RETURN_IF_ERROR(sink(nonce));
  return std::unique_ptr<AgeWriter>(new AgeWriter(std::move(payload_key), std::move(sink)));
}

AgeWriter::AgeWriter(SecretBytes payload_key, AgeSink sink)
    : payload_key_(std::move(payload_key)), sink_(std::move(sink)) {
  pending_.reserve(kAgeChunkSize + 1);
}

AgeWriter::~AgeWriter() { OPENSSL_cleanse(pending_.data(), pending_.capacity()); }

Status AgeWriter::Write(std::span<const uint8_t> plaintext) {
  if (done_) return Internal("the age writer is finished or failed");
  while (!plaintext.empty()) {
    // A full chunk is sent only once a further byte shows it is not the last.
    if (pending_.size() == kAgeChunkSize) RETURN_IF_ERROR(SendChunk(/*last=*/false));
    const size_t take = std::min(plaintext.size(), kAgeChunkSize - pending_.size());
    pending_.insert(pending_.end(), plaintext.begin(), plaintext.begin() + take);
    plaintext = plaintext.subspan(take);
  }
  return Status::Ok();
}

Status AgeWriter::Finish() {
  if (done_) return Internal("the age writer is finished or failed");
  RETURN_IF_ERROR(SendChunk(/*last=*/true));
  done_ = true;
  return Status::Ok();
}

Status AgeWriter::SendChunk(bool last) {
  std::array<uint8_t, kChachaNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<uint8_t>(counter_ >> (8 * i));
  nonce[11] = last ? 1 : 0;
  std::vector<uint8_t> sealed;
  sealed.reserve(pending_.size() + kPolyTagSize);
  Status st = ChachaSeal(payload_key_, nonce, pending_, sealed);
  OPENSSL_cleanse(pending_.data(), pending_.size());
  pending_.clear();
  if (st.ok()) st = sink_(sealed);
  if (!st.ok()) {
    done_ = true;
    return st;
  }
  ++counter_;
  return Status::Ok();
}

}  // namespace warden::crypto
