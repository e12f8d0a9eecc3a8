// Pkcs11RootKeyWrapper: seals the root key with a key that never leaves an
// HSM (SPEC G3), through any PKCS#11 module (tested against SoftHSM2).
//
// The wrapping key is an AES-256 secret key object created inside the token
// (CKA_TOKEN, CKA_SENSITIVE, not CKA_EXTRACTABLE). The root key is sealed by
// the token with CKM_AES_GCM under a random 96-bit IV, with the store's key
// ring id as associated data, so a wrapped root key copied to another store
// does not unwrap there. Wrapped form: IV (12) | ciphertext (32) | tag (16).
//
// The module is loaded with dlopen; C_Initialize/C_Finalize are reference
// counted per module path, so several wrappers may live in one process.
// One wrapper is one logged-in session and is not thread-safe.
//
// Errors: kUnavailable when the module or token cannot be reached,
// kUnauthenticated for a refused PIN, kNotFound when the wrapping key is
// absent, kDataLoss when a wrapped root key does not unwrap. Messages carry
// the PKCS#11 return code name, never the PIN.
#ifndef WARDEN_CRYPTO_PKCS11_H_
#define WARDEN_CRYPTO_PKCS11_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/root_seal.h"

namespace warden::crypto {

struct Pkcs11Options {
  std::string module_path;          // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;          // used when slot_id is not set
  std::optional<uint64_t> slot_id;  // takes precedence over token_label
  std::string key_label = "warden-root-wrapping-key";
};

class Pkcs11RootKeyWrapper {
 public:
  // Loads the module, finds the token, opens a session and logs in as user.
  [[nodiscard]] static StatusOr<std::unique_ptr<Pkcs11RootKeyWrapper>> Open(
      const Pkcs11Options& options, const SecretBytes& pin);
  ~Pkcs11RootKeyWrapper();  // closes the session; finalizes the module if last
  Pkcs11RootKeyWrapper(const Pkcs11RootKeyWrapper&) = delete;
  Pkcs11RootKeyWrapper& operator=(const Pkcs11RootKeyWrapper&) = delete;

  // Creates the wrapping key in the token. kConflict if one with the label exists.
  [[nodiscard]] Status GenerateWrappingKey();
  [[nodiscard]] bool HasWrappingKey();
  // OK only if the wrapping key is sensitive, not extractable, and the token
  // refuses to reveal its value.
  [[nodiscard]] Status CheckWrappingKeyStaysInToken();

  [[nodiscard]] StatusOr<std::string> WrapRootKey(const SecretBytes& root,
                                                  std::string_view keyring_id);
  [[nodiscard]] StatusOr<SecretBytes> UnwrapRootKey(std::string_view wrapped,
                                                    std::string_view keyring_id);

 private:
  struct Impl;
  explicit Pkcs11RootKeyWrapper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// For `warden init --pkcs11`: creates the wrapping key if the token lacks it,
// wraps `root` and returns a pkcs11-mode SealConfig (no secret inside).
[[nodiscard]] StatusOr<SealConfig> SealRootKeyWithPkcs11(const Pkcs11Options& options,
                                                         const SecretBytes& pin,
                                                         const SecretBytes& root,
                                                         std::string_view keyring_id);
// For `warden serve` of a pkcs11-mode store: unwraps the root key named by
// `config` and checks it against the verifier (kPermissionDenied
// "wrong_root_key" if it does not match).
[[nodiscard]] StatusOr<SecretBytes> UnsealWithPkcs11(const SealConfig& config,
                                                     const SecretBytes& pin);

// A PIN (or passphrase) from a file: the first line, without its line end.
// kPermissionDenied if the file is readable by group or others.
[[nodiscard]] StatusOr<SecretBytes> ReadPinFile(const std::string& path);
// A PIN typed at the controlling terminal without echo, after `prompt`.
// kUnavailable when there is no terminal.
[[nodiscard]] StatusOr<SecretBytes> ReadPinFromTerminal(std::string_view prompt);

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_PKCS11_H_
