// Sealing the root key (SPEC G3): how a sealed store gets its root key back.
//
// Three modes, recorded in a SealConfig kept as JSON in the data directory.
// The config holds no secret: only public identities, a verifier of the root
// key and, per mode, commitments to the shares or the HSM-wrapped root key.
//
//  - shamir: the root key is split K of N (1 <= K <= N <= 16). Each share is
//    text a person can copy:
//
//      warden-share-v1-<store>-<seal>-<K>of<N>-<index>-<payload>-<check>
//
//    <store> is the first 8 hex digits of the key ring id, <seal> 8 hex
//    digits that change on every split (so shares from before a rekey are
//    recognised), <payload> the 32-byte share in lower-case base32 and
//    <check> 8 hex digits of SHA-256 over everything before it (typos).
//    The config keeps a SHA-256 commitment to every share, so a share that
//    was altered, even with a recomputed check, is named and refused before
//    it is combined; the combined key is then checked against the verifier.
//  - pkcs11: the root key wrapped by a key that never leaves an HSM (pkcs11.h).
//  - dev: the root key in a file (mode 0600), only with an explicit --dev
//    flag; the server prints kDevModeWarning at every start.
#ifndef WARDEN_CRYPTO_ROOT_SEAL_H_
#define WARDEN_CRYPTO_ROOT_SEAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_system.h"
#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/shamir.h"

namespace warden::crypto {

inline constexpr std::string_view kDevModeWarning =
    "WARNING: Warden is running with a development key file (--dev). The root key is stored "
    "beside the data, so a copy of this machine's disk decrypts everything. This server is NOT "
    "fit for real data.";

enum class SealMode { kShamir, kPkcs11, kDev };
std::string_view SealModeName(SealMode mode);

// Where the HSM-wrapped root key lives and how to reach the wrapping key. The
// PIN is never part of it.
struct Pkcs11SealConfig {
  std::string module_path;
  std::string token_label;
  std::optional<uint64_t> slot_id;  // when set, used instead of the token label
  std::string key_label;
  std::string mechanism = "CKM_AES_GCM";
  std::string wrapped_root_key;  // raw bytes (base64 in JSON)
};

struct SealConfig {
  SealMode mode = SealMode::kShamir;
  std::string keyring_id;  // 32 hex digits (KeyRing::KeyRingId())
  std::string verifier;    // hex HMAC of the root key; see RootKeyVerifier
  // shamir
  int threshold = 0;
  int share_count = 0;
  std::string seal_id;                     // 8 hex digits, new on every split
  std::vector<std::string> share_digests;  // hex, index i at [i - 1]
  // pkcs11
  std::optional<Pkcs11SealConfig> pkcs11;
  // dev
  std::string dev_key_file;

  std::string ToJson() const;
  // kInvalidArgument naming the member that is missing or out of range.
  static StatusOr<SealConfig> FromJson(std::string_view json);
};

// Hex HMAC-SHA256 of a fixed label under a key derived from `root`, bound to
// the store. It reveals nothing of the root key and lets a rebuilt key be
// checked before it is used.
[[nodiscard]] StatusOr<std::string> RootKeyVerifier(const SecretBytes& root,
                                                    std::string_view keyring_id);
// kPermissionDenied ("wrong_root_key") unless `root` matches config.verifier.
[[nodiscard]] Status VerifyRootKey(const SealConfig& config, const SecretBytes& root);

struct ShamirSplitResult {
  std::vector<std::string> shares;  // index i at [i - 1]; shown once, never stored
  SealConfig config;                // mode shamir, ready to be written
};

// Splits `root` into text shares bound to the store `keyring_id` (32 hex
// digits) and a fresh seal id. kUnprocessable (FieldInvalid) for K/N out of
// range.
[[nodiscard]] StatusOr<ShamirSplitResult> SplitRootKey(const SecretBytes& root, int threshold,
                                                       int shares, std::string_view keyring_id);

// A share as parsed from text; the parser checks syntax and the check digits
// only. Whitespace anywhere is ignored and case does not matter.
struct ParsedShare {
  std::string store_prefix;  // 8 hex digits
  std::string seal_id;       // 8 hex digits
  int threshold = 0;
  int share_count = 0;
  RawShare share;
};
// kInvalidArgument with reason "share_malformed" or "share_checksum"; the
// message names the share index when it could be read.
[[nodiscard]] StatusOr<ParsedShare> ParseShare(std::string_view text);

struct UnsealProgress {
  int progress = 0;
  int threshold = 0;
  bool complete = false;
};

// Collects shares one at a time until the threshold, then rebuilds and
// verifies the root key. Each share is checked on arrival against the
// config; errors (kInvalidArgument unless noted) name the share index:
//   share_malformed, share_checksum   unreadable or mistyped
//   share_foreign                     from another store
//   share_stale                       from an earlier split (before a rekey)
//   share_tampered                    content differs from the share issued
//   share_duplicate (kConflict)       that index was already given
//   already_unsealed (kConflict)      the threshold was reached before
// A combination that fails the verifier (only possible if the config itself
// was altered) is kDataLoss and resets the session. Shares are held in
// SecretBytes and wiped once combined or on Reset().
//
// Thread-safe: concurrent Add calls are serialised.
class UnsealSession {
 public:
  // Precondition: config.mode == kShamir (otherwise every Add fails).
  explicit UnsealSession(SealConfig config);

  [[nodiscard]] StatusOr<UnsealProgress> Add(std::string_view share_text);
  UnsealProgress Progress() const;
  // The verified root key, once; kUnavailable before the threshold.
  [[nodiscard]] StatusOr<SecretBytes> TakeRootKey();
  // Forgets the shares given so far.
  void Reset();

 private:
  UnsealProgress ProgressLocked() const REQUIRES(mu_);

  const SealConfig config_;
  mutable Mutex mu_;
  std::vector<RawShare> shares_ GUARDED_BY(mu_);
  SecretBytes root_key_ GUARDED_BY(mu_);  // set at the threshold
  bool complete_ GUARDED_BY(mu_) = false;
};

// Development key file: the root key in hex with a header naming the store.
// Written 0600 through `fs`. Loading refuses a file readable by group or
// others (kPermissionDenied) or one that is malformed (kInvalidArgument).
[[nodiscard]] Status WriteDevKeyFile(const std::string& path, const SecretBytes& root,
                                     std::string_view keyring_id,
                                     FileSystem& fs = FileSystem::Default());
[[nodiscard]] StatusOr<SecretBytes> LoadDevKeyFile(const std::string& path,
                                                   FileSystem& fs = FileSystem::Default());
// For `warden init --dev-key-file F`: writes the key file and returns the
// dev-mode SealConfig naming it.
[[nodiscard]] StatusOr<SealConfig> SealRootKeyWithDevKeyFile(
    const std::string& path, const SecretBytes& root, std::string_view keyring_id,
    FileSystem& fs = FileSystem::Default());
// Loads the key file named by a dev-mode `config` and checks the verifier.
[[nodiscard]] StatusOr<SecretBytes> UnsealWithDevKeyFile(const SealConfig& config,
                                                         FileSystem& fs = FileSystem::Default());

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_ROOT_SEAL_H_
