#include "access/password.h"

#include <sodium.h>

#include <array>

namespace warden::access {
namespace {

// libsodium declares its inputs non-null even when their length is zero.
const char* PasswordChars(const SecretBytes& password) {
  static const char kEmpty = '\0';
  return password.empty() ? &kEmpty : reinterpret_cast<const char*>(password.data());
}

}  // namespace

Argon2Params Argon2Params::Interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

Argon2Params Argon2Params::InsecureFastForTests() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  // The dummy hash has this hasher's parameters and a random password nobody knows.
  SecretBytes random = SecretBytes::Random(32);
  StatusOr<std::string> dummy = Hash(random);
  dummy_hash_ = dummy.ok() ? *dummy : std::string();
}

StatusOr<std::string> PasswordHasher::Hash(const SecretBytes& password) const {
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  if (crypto_pwhash_argon2id_str(out.data(), PasswordChars(password), password.size(),
                                 params_.opslimit, params_.memlimit) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out.data());
}

bool PasswordHasher::Verify(const std::string& encoded, const SecretBytes& password) const {
  if (encoded.empty() || encoded.size() >= crypto_pwhash_argon2id_STRBYTES) return false;
  std::array<char, crypto_pwhash_argon2id_STRBYTES> buf{};
  std::copy(encoded.begin(), encoded.end(), buf.begin());
  return crypto_pwhash_argon2id_str_verify(buf.data(), PasswordChars(password), password.size()) ==
         0;
}

bool PasswordHasher::NeedsRehash(const std::string& encoded) const {
  return crypto_pwhash_argon2id_str_needs_rehash(encoded.c_str(), params_.opslimit,
                                                 params_.memlimit) != 0;
}

void PasswordHasher::VerifyDummy(const SecretBytes& password) const {
  Verify(dummy_hash_, password);
}

Status CheckPasswordRule(const SecretBytes& password) {
  if (password.size() < kMinPasswordChars) {
    return FieldInvalid("password", "min_length", "a password has at least 12 characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    return FieldInvalid("password", "max_length", "a password has at most 1024 bytes");
  }
  return Status::Ok();
}

}  // namespace warden::access
