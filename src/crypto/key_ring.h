// KeyRing: the unsealed key hierarchy of one store (docs/keys.md).
//
//   root key (sealed: Shamir shares, an HSM, or a development key file)
//    ├─ service master          → DeriveServiceKey("audit-sign"), ...
//    │                          → EnvelopeKeysFor("account-secret"), ..., versioned
//    └─ per collection: key-encryption key (KEK), versioned
//        ├─ data keys (DEKs), versioned     → SealRecord / OpenRecord
//        └─ blind-index seed                → one derived key per index
//
// Every key below the root is random and stored only wrapped (AES-256-GCM)
// by its parent, in State(): a serialisation the caller persists (in the
// store's meta space) and hands back to Load(). State() holds no plaintext
// key and carries a MAC under a root-derived key, so a state altered on disk,
// or a root key that does not belong to it, is refused by Load().
//
// Mutations (AddCollection, rotations, Rekey, RetireDataKey) compute the new
// state, pass it to the StatePersister if one is set, and take effect only
// when that returns OK; without a persister the caller must persist State()
// before the next SealRecord, or records sealed under a new version become
// unreadable after a restart.
//
// Thread safety: all methods may be called concurrently. Seal/Open/BlindIndex
// take a shared lock only; mutations and EnvelopeKeysFor take it exclusively
// (and hold it while the persister runs, which therefore must not call back
// into the KeyRing).
// Unwrapped keys live in SecretBytes (locked, excluded from core dumps, wiped).
#ifndef WARDEN_CRYPTO_KEY_RING_H_
#define WARDEN_CRYPTO_KEY_RING_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/envelope.h"

namespace warden::crypto {

inline constexpr size_t kRootKeySize = 32;
// Raw size of a key ring identity; KeyRingId() is its lower-case hex.
inline constexpr size_t kKeyRingIdSize = 16;
// Blind indexes are HMAC-SHA256 truncated to 128 bits: collision-free in
// practice at any record count Warden will hold (docs/keys.md, "Blind
// indexes"), so an index hit never needs a decrypt to confirm it.
inline constexpr size_t kBlindIndexSize = 16;

// Receives the complete new state before a mutation takes effect; a non-OK
// status cancels the mutation.
using StatePersister = std::function<Status(std::string_view state)>;

struct CollectionKeyVersions {
  uint32_t kek_version = 0;
  uint32_t data_key_version = 0;            // used for new seals
  std::vector<uint32_t> data_key_versions;  // all that can still open, ascending
};

class KeyRing {
 public:
  // A fresh hierarchy with a new random identity and no collections.
  // kInvalidArgument unless `root_key` is kRootKeySize bytes.
  static StatusOr<std::unique_ptr<KeyRing>> Create(SecretBytes root_key);
  // Restores a hierarchy from State(). kDataLoss if `state` is malformed, was
  // altered, or does not belong to `root_key`.
  static StatusOr<std::unique_ptr<KeyRing>> Load(SecretBytes root_key, std::string_view state);

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // The serialised hierarchy: wrapped keys and versions, never a plaintext key.
  std::string State() const;
  // 32 lower-case hex characters naming this store; binds shares and records.
  std::string_view KeyRingId() const { return keyring_id_hex_; }
  void SetStatePersister(StatePersister persister);

  // Creates the KEK, first data key and blind-index seed of `collection`.
  // OK if it exists. Names are 1-64 characters of [A-Za-z0-9_.-].
  Status AddCollection(std::string_view collection);
  bool HasCollection(std::string_view collection) const;
  std::vector<std::string> Collections() const;

  // Seals `plaintext` under the collection's current data key. The result
  // (docs/ciphertext_format.md) opens only with the same collection, record
  // key and field set. kNotFound ("unknown_collection") for a collection never
  // added.
  [[nodiscard]] StatusOr<std::string> SealRecord(std::string_view collection,
                                                 std::string_view record_key,
                                                 std::string_view field_set,
                                                 std::span<const uint8_t> plaintext) const;
  // Opens what SealRecord produced. kDataLoss with reason
  //   "malformed_ciphertext"          the header is truncated or unknown,
  //   "unknown_key_version"           the data key it names is not (or no longer) held,
  //   "record_authentication_failed"  altered, or sealed for another record,
  //                                   field set, collection or store.
  [[nodiscard]] StatusOr<std::string> OpenRecord(std::string_view collection,
                                                 std::string_view record_key,
                                                 std::string_view field_set,
                                                 std::string_view ciphertext) const;

  // kBlindIndexSize raw bytes: HMAC-SHA256 of `normalised_term` under the key
  // of (collection, index_name), truncated. Deterministic for a store; the
  // caller normalises (schema layer) and builds compound terms with
  // CompoundIndexTerm.
  [[nodiscard]] StatusOr<std::string> BlindIndex(std::string_view collection,
                                                 std::string_view index_name,
                                                 std::string_view normalised_term) const;

  // A 32-byte key for another layer, stable across rotations and rekeys:
  // "audit-hash", "audit-sign" (an Ed25519 seed), "token-hash", "canary", ...
  // Purposes are 1-64 characters of [a-z0-9-].
  [[nodiscard]] StatusOr<SecretBytes> DeriveServiceKey(std::string_view purpose) const;

  // The versioned key with which another layer seals envelopes
  // (crypto/envelope.h) for `purpose`: "account-secret", "audit-context"
  // (1-64 characters of [a-z0-9-]). Version v is HKDF-SHA256 of the service
  // master (salt = key ring id, info "warden-envelope-key-v1:" purpose ":" v),
  // so it survives KEK rotations and rekeys; the state records only the
  // current version, 1 until the first RotateEnvelopeKey. The set is shared:
  // a rotation through this KeyRing reaches every holder at once.
  [[nodiscard]] StatusOr<std::shared_ptr<const EnvelopeKeys>> EnvelopeKeysFor(
      std::string_view purpose);
  // The version new envelopes of `purpose` are sealed under.
  [[nodiscard]] StatusOr<uint32_t> EnvelopeKeyVersion(std::string_view purpose) const;

  // --- Rotation -----------------------------------------------------------
  // A new data key version for new seals; older versions still open.
  [[nodiscard]] StatusOr<uint32_t> RotateDataKey(std::string_view collection);
  // A new KEK version; every data key and the index seed are re-wrapped under
  // it (no record is rewritten) and the old KEK is forgotten.
  [[nodiscard]] StatusOr<uint32_t> RotateKek(std::string_view collection);
  // Re-wraps everything under `new_root` (kRootKeySize bytes). The caller then
  // seals `new_root` anew (new shares, see root_seal.h) and must persist the
  // new SealConfig and this state together.
  Status Rekey(SecretBytes new_root);
  [[nodiscard]] StatusOr<CollectionKeyVersions> Versions(std::string_view collection) const;

  // For the background re-encryption pass: the data key version a sealed
  // record names (kDataLoss if its header is malformed).
  [[nodiscard]] static StatusOr<uint32_t> DataKeyVersionOf(std::string_view ciphertext);
  // Opens `ciphertext` and seals it again under the current data key; nullopt
  // when it already is under the current version (nothing to write). The pass
  // is idempotent, so it can stop anywhere and resume from a saved cursor.
  [[nodiscard]] StatusOr<std::optional<std::string>> ReencryptRecord(
      std::string_view collection, std::string_view record_key, std::string_view field_set,
      std::string_view ciphertext) const;
  // Forgets data key `version` once no record uses it (after a completed
  // pass); records still under it become unreadable. kConflict for the
  // current version, kNotFound for a version not held.
  Status RetireDataKey(std::string_view collection, uint32_t version);
  // A new version of `purpose`'s envelope key for new seals. Versions are
  // derived, so none is forgotten: envelopes under older ones keep opening.
  [[nodiscard]] StatusOr<uint32_t> RotateEnvelopeKey(std::string_view purpose);

 private:
  struct WrappedCollection;
  struct WrappedState;
  struct CollectionKeys;

  KeyRing(SecretBytes root_key, std::string keyring_id);

  static StatusOr<std::unique_ptr<KeyRing>> FromWrapped(SecretBytes root_key, WrappedState wrapped);
  std::string Serialise(const WrappedState& wrapped, const SecretBytes& mac_key) const;
  // Persists `draft` (serialised under `mac_key`) through the persister, if any.
  Status Persist(const WrappedState& draft, const SecretBytes& mac_key) const REQUIRES_SHARED(mu_);
  const CollectionKeys* FindCollection(std::string_view collection) const REQUIRES_SHARED(mu_);
  // Version `version` of `purpose`'s envelope key.
  StatusOr<SecretBytes> DeriveEnvelopeKey(std::string_view purpose, uint32_t version) const
      REQUIRES_SHARED(mu_);
  // The current version of `purpose`'s envelope key (1 until it is rotated).
  uint32_t CurrentEnvelopeKeyVersion(std::string_view purpose) const REQUIRES_SHARED(mu_);

  const std::string keyring_id_;  // raw bytes
  const std::string keyring_id_hex_;

  mutable SharedMutex mu_;
  SecretBytes root_key_ GUARDED_BY(mu_);
  SecretBytes state_mac_key_ GUARDED_BY(mu_);
  SecretBytes service_master_ GUARDED_BY(mu_);
  std::unique_ptr<WrappedState> wrapped_ GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<CollectionKeys>, std::less<>> collections_ GUARDED_BY(mu_);
  // Envelope key sets handed out, by purpose; rotations add to them.
  std::map<std::string, std::shared_ptr<EnvelopeKeys>, std::less<>> envelope_keys_ GUARDED_BY(mu_);
  StatePersister persister_ GUARDED_BY(mu_);
};

// An unambiguous encoding of several normalised values for a compound index
// (e.g. name + birth date): each part length-prefixed, so ("ab","c") and
// ("a","bc") differ.
std::string CompoundIndexTerm(std::initializer_list<std::string_view> parts);

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_KEY_RING_H_
