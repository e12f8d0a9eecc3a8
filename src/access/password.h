// Password hashing with Argon2id (libsodium crypto_pwhash_str).
//
// Default parameters are libsodium's INTERACTIVE set: opslimit 2 passes,
// memlimit 64 MiB, one lane (RFC 9106's second recommended option uses the
// same 64 MiB). Why not MODERATE (256 MiB, 3 passes): a login takes about
// 4x longer and a handful of concurrent logins would claim a gigabyte on the
// 2-core servers Warden targets; online guessing is already bounded by the
// lockout (5 failures / 15 minutes), and the stored hash is itself sealed with
// AES-256-GCM under a server key (see access_control.h), so an offline attack
// needs that key first. The encoded hash carries its parameters, so raising
// them later only affects new hashes; NeedsRehash() tells when to upgrade.
//
// Thread safety: immutable after construction; Hash and Verify may run
// concurrently.
#ifndef WARDEN_ACCESS_PASSWORD_H_
#define WARDEN_ACCESS_PASSWORD_H_

#include <cstdint>
#include <string>

#include "core/secret.h"
#include "core/status.h"

namespace warden::access {

struct Argon2Params {
  uint64_t opslimit;
  size_t memlimit;  // bytes

  // libsodium's INTERACTIVE: 2 passes, 64 MiB. The production default.
  static Argon2Params Interactive();
  // libsodium's minimum (1 pass, 8 KiB): for unit tests only, never for real passwords.
  static Argon2Params InsecureFastForTests();
};

inline constexpr size_t kMinPasswordChars = 12;
inline constexpr size_t kMaxPasswordBytes = 1024;

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Params params);

  // The encoded Argon2id string ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash"),
  // with a fresh random salt. kInternal if libsodium cannot allocate memory.
  StatusOr<std::string> Hash(const SecretBytes& password) const;

  // Whether `password` matches `encoded`. False on any malformed `encoded`.
  bool Verify(const std::string& encoded, const SecretBytes& password) const;

  // Whether `encoded` was made with weaker parameters than this hasher's.
  bool NeedsRehash(const std::string& encoded) const;

  // Runs a verification of the same cost against a fixed dummy hash, so that a
  // login for an unknown account takes as long as one for a known account.
  void VerifyDummy(const SecretBytes& password) const;

  const Argon2Params& params() const { return params_; }

 private:
  Argon2Params params_;
  std::string dummy_hash_;
};

// The password rule: kMinPasswordChars to kMaxPasswordBytes, valid UTF-8 is not
// required (it is hashed as bytes). FieldInvalid("password", ...) otherwise.
Status CheckPasswordRule(const SecretBytes& password);

}  // namespace warden::access

#endif  // WARDEN_ACCESS_PASSWORD_H_
