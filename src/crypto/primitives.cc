#include "crypto/primitives.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/c_ptr.h"

namespace warden::crypto {
namespace {

using CipherCtx = CPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using Pkey = CPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using Kdf = CPtr<EVP_KDF, EVP_KDF_free>;
using KdfCtx = CPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

// The process-wide AES-256-GCM cipher, fetched once (EVP_CIPHER_fetch is not free).
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

int Len(size_t n) { return static_cast<int>(n); }

Status CheckGcmArgs(const SecretBytes& key, std::span<const uint8_t> nonce) {
  if (key.size() != kAes256KeySize) return Internal("AES-256-GCM key must be 32 bytes");
  if (nonce.size() != kGcmNonceSize) return Internal("AES-256-GCM nonce must be 12 bytes");
  if (Aes256Gcm() == nullptr) return Internal("AES-256-GCM unavailable in OpenSSL");
  return Status::Ok();
}

StatusOr<Pkey> RawPrivateKey(int type, const SecretBytes& key) {
  Pkey pkey(EVP_PKEY_new_raw_private_key(type, nullptr, key.data(), key.size()));
  if (!pkey) return Internal("invalid private key");
  return pkey;
}

StatusOr<std::string> RawPublicKey(const EVP_PKEY* pkey, size_t expected) {
  std::string out(expected, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<uint8_t*>(out.data()), &len) != 1 ||
      len != expected) {
    return Internal("cannot derive public key");
  }
  return out;
}

}  // namespace

void RandomBytes(std::span<uint8_t> out) {
  if (out.empty()) return;
  // RAND_bytes fails only if the CSPRNG cannot be seeded; nothing safe remains.
  if (RAND_bytes(out.data(), Len(out.size())) != 1) std::abort();
}

namespace {

// One AES-256-GCM context per thread, created with the cipher once and re-keyed
// per call: re-initialising an existing context skips the provider allocation
// that dominates the cost of sealing a record-sized input. The expanded key of
// the last call stays in the context until the thread exits (see docs/keys.md).
EVP_CIPHER_CTX* ThreadGcmContext() {
  thread_local CipherCtx ctx = [] {
    CipherCtx c(EVP_CIPHER_CTX_new());
    if (c && EVP_CipherInit_ex2(c.get(), Aes256Gcm(), nullptr, nullptr, 1, nullptr) != 1) {
      c.reset();
    }
    return c;
  }();
  return ctx.get();
}

}  // namespace

Status Aes256GcmSealInto(const SecretBytes& key, std::span<const uint8_t> nonce,
                         std::span<const uint8_t> plaintext,
                         std::span<const uint8_t> associated_data, std::span<uint8_t> out) {
  RETURN_IF_ERROR(CheckGcmArgs(key, nonce));
  if (out.size() != plaintext.size() + kGcmTagSize) {
    return Internal("AES-GCM output buffer has the wrong size");
  }
  EVP_CIPHER_CTX* ctx = ThreadGcmContext();
  if (ctx == nullptr ||
      EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), 1, nullptr) != 1) {
    return Internal("AES-GCM init failed");
  }
  int len = 0;
  if (!associated_data.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, associated_data.data(),
                                                    Len(associated_data.size())) != 1) {
    return Internal("AES-GCM associated data failed");
  }
  uint8_t* dst = out.data();
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, dst, &len, plaintext.data(), Len(plaintext.size())) != 1) {
      return Internal("AES-GCM encrypt failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx, dst + written, &len) != 1) return Internal("AES-GCM final failed");
  written += len;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, dst + written) != 1) {
    return Internal("AES-GCM tag failed");
  }
  return Status::Ok();
}

Status Aes256GcmOpenInto(const SecretBytes& key, std::span<const uint8_t> nonce,
                         std::span<const uint8_t> ciphertext_and_tag,
                         std::span<const uint8_t> associated_data, std::span<uint8_t> out) {
  RETURN_IF_ERROR(CheckGcmArgs(key, nonce));
  if (ciphertext_and_tag.size() < kGcmTagSize) return DataLoss("ciphertext shorter than its tag");
  const size_t body = ciphertext_and_tag.size() - kGcmTagSize;
  if (out.size() != body) return Internal("AES-GCM output buffer has the wrong size");
  EVP_CIPHER_CTX* ctx = ThreadGcmContext();
  if (ctx == nullptr ||
      EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), 0, nullptr) != 1) {
    return Internal("AES-GCM init failed");
  }
  int len = 0;
  if (!associated_data.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, associated_data.data(),
                                                    Len(associated_data.size())) != 1) {
    return Internal("AES-GCM associated data failed");
  }
  uint8_t* dst = out.data();
  int written = 0;
  if (body > 0) {
    if (EVP_DecryptUpdate(ctx, dst, &len, ciphertext_and_tag.data(), Len(body)) != 1) {
      return Internal("AES-GCM decrypt failed");
    }
    written = len;
  }
  // The tag is only read by OpenSSL; the const_cast satisfies the C signature.
  auto* tag = const_cast<uint8_t*>(ciphertext_and_tag.data() + body);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx, dst + written, &len) != 1) {
    SecureWipe(out);
    return DataLoss("ciphertext failed authentication");
  }
  return Status::Ok();
}

namespace {

// Incremented in every forked child, so that buffers inherited from the parent
// are discarded instead of handing out the parent's future nonces again.
std::atomic<uint64_t> g_fork_generation{0};

void RegisterForkHandler() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); });
    return true;
  }();
  (void)registered;
}

struct NonceBuffer {
  std::array<uint8_t, 4096> bytes{};
  size_t used = sizeof(bytes);
  uint64_t generation = 0;
};

}  // namespace

void RandomNonceBytes(std::span<uint8_t> out) {
  thread_local NonceBuffer buffer;
  if (out.size() > 64) {
    RandomBytes(out);
    return;
  }
  RegisterForkHandler();
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (buffer.generation != generation || buffer.bytes.size() - buffer.used < out.size()) {
    RandomBytes(buffer.bytes);
    buffer.used = 0;
    buffer.generation = generation;
  }
  std::memcpy(out.data(), buffer.bytes.data() + buffer.used, out.size());
  buffer.used += out.size();
}

StatusOr<std::string> Aes256GcmSeal(const SecretBytes& key, std::span<const uint8_t> nonce,
                                    std::span<const uint8_t> plaintext,
                                    std::span<const uint8_t> associated_data) {
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  RETURN_IF_ERROR(Aes256GcmSealInto(key, nonce, plaintext, associated_data,
                                    {reinterpret_cast<uint8_t*>(out.data()), out.size()}));
  return out;
}

StatusOr<std::string> Aes256GcmOpen(const SecretBytes& key, std::span<const uint8_t> nonce,
                                    std::span<const uint8_t> ciphertext_and_tag,
                                    std::span<const uint8_t> associated_data) {
  if (ciphertext_and_tag.size() < kGcmTagSize) return DataLoss("ciphertext shorter than its tag");
  std::string out(ciphertext_and_tag.size() - kGcmTagSize, '\0');
  Status st = Aes256GcmOpenInto(key, nonce, ciphertext_and_tag, associated_data,
                                {reinterpret_cast<uint8_t*>(out.data()), out.size()});
  if (!st.ok()) {
    SecureWipe(out);
    return st;
  }
  return out;
}

Sha256Digest Sha256(std::span<const uint8_t> data) {
  Sha256Digest out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

HmacSha256Tag HmacSha256(const SecretBytes& key, std::span<const uint8_t> data) {
  HmacSha256Tag out{};
  unsigned int len = 0;
  // One-shot HMAC cannot fail for SHA-256 with valid pointers.
  static const uint8_t kEmpty = 0;
  HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), Len(key.size()),
       data.empty() ? &kEmpty : data.data(), data.size(), out.data(), &len);
  return out;
}

namespace {

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// Library failures on these paths mean memory exhaustion or a broken OpenSSL;
// returning a wrong MAC would be worse than stopping.
void CheckOrDie(int ok) {
  if (ok != 1) std::abort();
}

}  // namespace

struct HmacSha256Key::State {
  EVP_MD_CTX* inner = nullptr;
  EVP_MD_CTX* outer = nullptr;
};

HmacSha256Key::HmacSha256Key(const SecretBytes& key) : state_(new State) {
  constexpr size_t kBlock = 64;
  SecretBytes block(kBlock);
  if (key.size() > kBlock) {
    Sha256Digest digest = Sha256(key.span());
    std::copy(digest.begin(), digest.end(), block.data());
    SecureWipe(digest);
  } else if (!key.empty()) {
    std::copy(key.data(), key.data() + key.size(), block.data());
  }
  SecretBytes pad(kBlock);
  state_->inner = EVP_MD_CTX_new();
  state_->outer = EVP_MD_CTX_new();
  CheckOrDie(state_->inner != nullptr && state_->outer != nullptr);
  for (size_t i = 0; i < kBlock; ++i) pad.data()[i] = block.data()[i] ^ 0x36;
  CheckOrDie(EVP_DigestInit_ex2(state_->inner, Sha256Md(), nullptr));
  CheckOrDie(EVP_DigestUpdate(state_->inner, pad.data(), kBlock));
  for (size_t i = 0; i < kBlock; ++i) pad.data()[i] = block.data()[i] ^ 0x5c;
  CheckOrDie(EVP_DigestInit_ex2(state_->outer, Sha256Md(), nullptr));
  CheckOrDie(EVP_DigestUpdate(state_->outer, pad.data(), kBlock));
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MD_CTX_free(state_->inner);
  EVP_MD_CTX_free(state_->outer);
  delete state_;
}

HmacSha256Tag HmacSha256Key::Compute(std::span<const uint8_t> data) const {
  thread_local MdCtx scratch(EVP_MD_CTX_new());
  CheckOrDie(scratch != nullptr);
  HmacSha256Tag inner_hash{};
  HmacSha256Tag out{};
  static const uint8_t kEmpty = 0;
  CheckOrDie(EVP_MD_CTX_copy_ex(scratch.get(), state_->inner));
  CheckOrDie(EVP_DigestUpdate(scratch.get(), data.empty() ? &kEmpty : data.data(), data.size()));
  CheckOrDie(EVP_DigestFinal_ex(scratch.get(), inner_hash.data(), nullptr));
  CheckOrDie(EVP_MD_CTX_copy_ex(scratch.get(), state_->outer));
  CheckOrDie(EVP_DigestUpdate(scratch.get(), inner_hash.data(), inner_hash.size()));
  CheckOrDie(EVP_DigestFinal_ex(scratch.get(), out.data(), nullptr));
  return out;
}

StatusOr<SecretBytes> HkdfSha256(const SecretBytes& input_key, std::span<const uint8_t> salt,
                                 std::span<const uint8_t> info, size_t length) {
  if (length == 0 || length > 255 * kSha256Size) return Internal("HKDF length out of range");
  Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return Internal("HKDF unavailable");
  KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return Internal("HKDF context failed");
  char digest[] = "SHA256";
  static uint8_t empty_byte = 0;
  OSSL_PARAM params[5];
  int n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(input_key.empty() ? &empty_byte : input_key.data()),
      input_key.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<uint8_t*>(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    const_cast<uint8_t*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return Internal("HKDF derive failed");
  }
  return out;
}

StatusOr<std::string> Ed25519PublicKey(const SecretBytes& seed) {
  if (seed.size() != kEd25519SeedSize) return Internal("Ed25519 seed must be 32 bytes");
  ASSIGN_OR_RETURN(Pkey pkey, RawPrivateKey(EVP_PKEY_ED25519, seed));
  return RawPublicKey(pkey.get(), kEd25519PublicKeySize);
}

StatusOr<std::string> Ed25519Sign(const SecretBytes& seed, std::span<const uint8_t> message) {
  if (seed.size() != kEd25519SeedSize) return Internal("Ed25519 seed must be 32 bytes");
  ASSIGN_OR_RETURN(Pkey pkey, RawPrivateKey(EVP_PKEY_ED25519, seed));
  MdCtx ctx(EVP_MD_CTX_new());
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len, message.data(),
                     message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return Internal("Ed25519 signing failed");
  }
  return sig;
}

bool Ed25519Verify(std::span<const uint8_t> public_key, std::span<const uint8_t> message,
                   std::span<const uint8_t> signature) {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  Pkey pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

StatusOr<std::string> X25519PublicKey(const SecretBytes& private_key) {
  if (private_key.size() != kX25519KeySize) return Internal("X25519 key must be 32 bytes");
  ASSIGN_OR_RETURN(Pkey pkey, RawPrivateKey(EVP_PKEY_X25519, private_key));
  return RawPublicKey(pkey.get(), kX25519KeySize);
}

StatusOr<SecretBytes> X25519(const SecretBytes& private_key,
                             std::span<const uint8_t> peer_public_key) {
  if (private_key.size() != kX25519KeySize || peer_public_key.size() != kX25519KeySize) {
    return InvalidArgument("X25519 keys must be 32 bytes");
  }
  ASSIGN_OR_RETURN(Pkey mine, RawPrivateKey(EVP_PKEY_X25519, private_key));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public_key.data(),
                                        peer_public_key.size()));
  if (!peer) return InvalidArgument("invalid X25519 public key");
  PkeyCtx ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  SecretBytes shared(kX25519KeySize);
  size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != kX25519KeySize) {
    return InvalidArgument("X25519 key agreement failed (low-order point?)");
  }
  return shared;
}

}  // namespace warden::crypto
