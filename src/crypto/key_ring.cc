#include "crypto/key_ring.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <utility>

#include "core/bytes.h"
#include "crypto/envelope.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kStateFormat = "warden-keyring-v1";
constexpr uint8_t kWrapFormatV1 = 0x01;
constexpr size_t kWrappedKeySize = 1 + kGcmNonceSize + kAes256KeySize + kGcmTagSize;
constexpr size_t kMaxNameLength = 64;

constexpr std::string_view kKindServiceMaster = "service-master";
constexpr std::string_view kKindKek = "kek";
constexpr std::string_view kKindDataKey = "data-key";
constexpr std::string_view kKindIndexSeed = "index-seed";

bool IsNameChar(char c, bool allow_upper_and_dot) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') return true;
  return allow_upper_and_dot && ((c >= 'A' && c <= 'Z') || c == '_' || c == '.');
}

Status CheckName(std::string_view field, std::string_view name, bool allow_upper_and_dot) {
  const char* rule =
      allow_upper_and_dot ? "1-64 characters of [A-Za-z0-9_.-]" : "1-64 characters of [a-z0-9-]";
  if (name.empty() || name.size() > kMaxNameLength) {
    return FieldInvalid(std::string(field), "length", std::string(field) + " must be " + rule);
  }
  for (char c : name) {
    if (!IsNameChar(c, allow_upper_and_dot)) {
      return FieldInvalid(std::string(field), "charset", std::string(field) + " must be " + rule);
    }
  }
  return Status::Ok();
}

Status CheckCollection(std::string_view collection) {
  return CheckName("collection", collection, true);
}

std::string WrapAssociatedData(std::string_view keyring_id, std::string_view kind,
                               std::string_view collection, uint32_t version) {
  std::string aad = "warden-wrap-v1";
  aad.push_back('\0');
  for (std::string_view part : {keyring_id, kind, collection}) {
    PutBigEndian32(aad, static_cast<uint32_t>(part.size()));
    aad.append(part);
  }
  PutBigEndian32(aad, version);
  return aad;
}

// format (1) | nonce (12) | GCM(child) (32) | tag (16), under `parent`.
StatusOr<std::string> WrapKey(const SecretBytes& parent, const SecretBytes& child,
                              std::string_view aad) {
  std::string out(kWrappedKeySize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = kWrapFormatV1;
  RandomBytes({p + 1, kGcmNonceSize});
  RETURN_IF_ERROR(Aes256GcmSealInto(parent, {p + 1, kGcmNonceSize}, child.span(), AsBytes(aad),
                                    {p + 1 + kGcmNonceSize, kAes256KeySize + kGcmTagSize}));
  return out;
}

StatusOr<SecretBytes> UnwrapKey(const SecretBytes& parent, std::string_view wrapped,
                                std::string_view aad, std::string_view what) {
  if (wrapped.size() != kWrappedKeySize || static_cast<uint8_t>(wrapped[0]) != kWrapFormatV1) {
    return DataLoss("key ring state: wrapped " + std::string(what) + " is malformed",
                    "keyring_state_invalid");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(wrapped.data());
  SecretBytes child(kAes256KeySize);
  Status st = Aes256GcmOpenInto(parent, {p + 1, kGcmNonceSize},
                                {p + 1 + kGcmNonceSize, kAes256KeySize + kGcmTagSize}, AsBytes(aad),
                                child.mutable_span());
  if (!st.ok()) {
    return DataLoss("key ring state: wrapped " + std::string(what) +
                        " does not open under its parent key (altered or moved)",
                    "keyring_state_invalid");
  }
  return child;
}

StatusOr<SecretBytes> StateMacKey(const SecretBytes& root, std::string_view keyring_id) {
  return HkdfSha256(root, AsBytes(keyring_id), AsBytes("warden-keyring-state-mac-v1"),
                    kHmacSha256Size);
}

Status KeyRingStateInvalid(std::string message) {
  return DataLoss("key ring state: " + std::move(message), "keyring_state_invalid");
}

}  // namespace

struct KeyRing::WrappedCollection {
  uint32_t kek_version = 0;
  std::string kek;  // under the root key
  uint32_t data_key_version = 0;
  std::map<uint32_t, std::string> data_keys;  // under the KEK
  std::string index_seed;                     // under the KEK
};

struct KeyRing::WrappedState {
  std::string service_master;  // under the root key
  std::map<std::string, WrappedCollection, std::less<>> collections;
  // Current envelope key version by purpose; a purpose never rotated (at 1)
  // is absent, so a state without rotations reads as before envelope keys.
  std::map<std::string, uint32_t, std::less<>> envelope_key_versions;
};

struct KeyRing::CollectionKeys {
  uint32_t kek_version = 0;
  SecretBytes kek;
  uint32_t data_key_version = 0;
  std::map<uint32_t, SecretBytes> data_keys;
  SecretBytes index_seed;

  // Derived blind-index keys, created on first use; never removed, so a
  // pointer obtained under index_mu stays valid for the KeyRing's lifetime.
  mutable SharedMutex index_mu;
  mutable std::map<std::string, std::unique_ptr<HmacSha256Key>, std::less<>> index_keys;
};

KeyRing::KeyRing(SecretBytes root_key, std::string keyring_id)
    : keyring_id_(std::move(keyring_id)),
      keyring_id_hex_(HexEncode(keyring_id_)),
      root_key_(std::move(root_key)),
      wrapped_(std::make_unique<WrappedState>()) {}

KeyRing::~KeyRing() = default;

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Create(SecretBytes root_key) {
  if (root_key.size() != kRootKeySize) {
    return InvalidArgument("root key must be 32 bytes", "invalid_root_key");
  }
  std::string id(kKeyRingIdSize, '\0');
  RandomBytes({reinterpret_cast<uint8_t*>(id.data()), id.size()});
  std::unique_ptr<KeyRing> ring(new KeyRing(std::move(root_key), std::move(id)));
  WriterMutexLock lock(ring->mu_);  // not shared yet; taken for the analysis
  ASSIGN_OR_RETURN(ring->state_mac_key_, StateMacKey(ring->root_key_, ring->keyring_id_));
  ring->service_master_ = SecretBytes::Random(kAes256KeySize);
  ASSIGN_OR_RETURN(ring->wrapped_->service_master,
                   WrapKey(ring->root_key_, ring->service_master_,
                           WrapAssociatedData(ring->keyring_id_, kKindServiceMaster, "", 0)));
  return ring;
}

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Load(SecretBytes root_key, std::string_view state) {
  if (root_key.size() != kRootKeySize) {
    return InvalidArgument("root key must be 32 bytes", "invalid_root_key");
  }
  Json json = Json::parse(state, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return KeyRingStateInvalid("not a JSON object");
  std::string keyring_id;
  std::string mac;
  WrappedState wrapped;
  // nlohmann reports type mismatches by exception; none leaves this function.
  try {
    if (json.at("format").get<std::string>() != kStateFormat) {
      return KeyRingStateInvalid("unknown format");
    }
    std::optional<std::string> id = HexDecode(json.at("keyring_id").get<std::string>());
    std::optional<std::string> mac_bytes = HexDecode(json.at("mac").get<std::string>());
    if (!id || id->size() != kKeyRingIdSize) return KeyRingStateInvalid("bad keyring_id");
    if (!mac_bytes || mac_bytes->size() != kHmacSha256Size) return KeyRingStateInvalid("bad mac");
    keyring_id = *id;
    mac = *mac_bytes;
    json.erase("mac");
    ASSIGN_OR_RETURN(SecretBytes mac_key, StateMacKey(root_key, keyring_id));
    HmacSha256Tag expected = HmacSha256(mac_key, AsBytes(json.dump()));
    if (!ConstantTimeEquals(AsBytes(mac), expected)) {
      return DataLoss(
          "key ring state does not verify under this root key (wrong root key, or the state was "
          "altered)",
          "keyring_state_mismatch");
    }
    auto b64 = [](const Json& j) -> std::string {
      return Base64Decode(j.get<std::string>()).value_or("");
    };
    wrapped.service_master = b64(json.at("service_master"));
    for (const auto& [name, c] : json.at("collections").items()) {
      WrappedCollection wc;
      wc.kek_version = c.at("kek_version").get<uint32_t>();
      wc.kek = b64(c.at("kek"));
      wc.data_key_version = c.at("data_key_version").get<uint32_t>();
      wc.index_seed = b64(c.at("index_seed"));
      for (const auto& [version, dk] : c.at("data_keys").items()) {
        wc.data_keys[static_cast<uint32_t>(std::stoul(version))] = b64(dk);
      }
      wrapped.collections.emplace(name, std::move(wc));
    }
    if (json.contains("envelope_keys")) {
      for (const auto& [purpose, version] : json.at("envelope_keys").items()) {
        if (!CheckName("purpose", purpose, false).ok() || version.get<uint32_t>() < 2) {
          return KeyRingStateInvalid("bad envelope key version");
        }
        wrapped.envelope_key_versions[purpose] = version.get<uint32_t>();
      }
    }
  } catch (const std::exception&) {
    return KeyRingStateInvalid("missing or mistyped member");
  }
  std::unique_ptr<KeyRing> ring(new KeyRing(std::move(root_key), std::move(keyring_id)));
  WriterMutexLock lock(ring->mu_);  // not shared yet; taken for the analysis
  ASSIGN_OR_RETURN(ring->state_mac_key_, StateMacKey(ring->root_key_, ring->keyring_id_));
  const std::string& id = ring->keyring_id_;
  ASSIGN_OR_RETURN(ring->service_master_,
                   UnwrapKey(ring->root_key_, wrapped.service_master,
                             WrapAssociatedData(id, kKindServiceMaster, "", 0), "service master"));
  for (const auto& [name, wc] : wrapped.collections) {
    RETURN_IF_ERROR(CheckCollection(name));
    auto keys = std::make_unique<CollectionKeys>();
    keys->kek_version = wc.kek_version;
    keys->data_key_version = wc.data_key_version;
    ASSIGN_OR_RETURN(keys->kek, UnwrapKey(ring->root_key_, wc.kek,
                                          WrapAssociatedData(id, kKindKek, name, wc.kek_version),
                                          "KEK of " + name));
    ASSIGN_OR_RETURN(keys->index_seed, UnwrapKey(keys->kek, wc.index_seed,
                                                 WrapAssociatedData(id, kKindIndexSeed, name, 0),
                                                 "index seed of " + name));
    for (const auto& [version, blob] : wc.data_keys) {
      ASSIGN_OR_RETURN(
          SecretBytes dek,
          UnwrapKey(keys->kek, blob, WrapAssociatedData(id, kKindDataKey, name, version),
                    "data key of " + name));
      keys->data_keys.emplace(version, std::move(dek));
    }
    if (!keys->data_keys.contains(wc.data_key_version)) {
      return KeyRingStateInvalid("current data key of " + name + " is missing");
    }
    ring->collections_.emplace(name, std::move(keys));
  }
  *ring->wrapped_ = std::move(wrapped);
  return ring;
}

std::string KeyRing::Serialise(const WrappedState& wrapped, const SecretBytes& mac_key) const {
  Json json = Json::object();
  json["format"] = kStateFormat;
  json["keyring_id"] = keyring_id_hex_;
  json["service_master"] = Base64Encode(wrapped.service_master);
  Json collections = Json::object();
  for (const auto& [name, wc] : wrapped.collections) {
    Json c = Json::object();
    c["kek_version"] = wc.kek_version;
    c["kek"] = Base64Encode(wc.kek);
    c["data_key_version"] = wc.data_key_version;
    c["index_seed"] = Base64Encode(wc.index_seed);
    Json data_keys = Json::object();
    for (const auto& [version, blob] : wc.data_keys) {
      data_keys[std::to_string(version)] = Base64Encode(blob);
    }
    c["data_keys"] = std::move(data_keys);
    collections[name] = std::move(c);
  }
  json["collections"] = std::move(collections);
  if (!wrapped.envelope_key_versions.empty()) {
    json["envelope_keys"] = wrapped.envelope_key_versions;
  }
  json["mac"] = HexEncode(HmacSha256(mac_key, AsBytes(json.dump())));
  return json.dump();
}

std::string KeyRing::State() const {
  ReaderMutexLock lock(mu_);
  return Serialise(*wrapped_, state_mac_key_);
}

void KeyRing::SetStatePersister(StatePersister persister) {
  WriterMutexLock lock(mu_);
  persister_ = std::move(persister);
}

Status KeyRing::Persist(const WrappedState& draft, const SecretBytes& mac_key) const {
  if (!persister_) return Status::Ok();
  return persister_(Serialise(draft, mac_key)).WithContext("persisting key ring state");
}

const KeyRing::CollectionKeys* KeyRing::FindCollection(std::string_view collection) const {
  auto it = collections_.find(collection);
  return it == collections_.end() ? nullptr : it->second.get();
}

Status KeyRing::AddCollection(std::string_view collection) {
  RETURN_IF_ERROR(CheckCollection(collection));
  WriterMutexLock lock(mu_);
  if (FindCollection(collection) != nullptr) return Status::Ok();
  const std::string name(collection);
  auto keys = std::make_unique<CollectionKeys>();
  keys->kek_version = 1;
  keys->data_key_version = 1;
  keys->kek = SecretBytes::Random(kAes256KeySize);
  keys->index_seed = SecretBytes::Random(kAes256KeySize);
  SecretBytes dek = SecretBytes::Random(kAes256KeySize);
  WrappedCollection wc;
  wc.kek_version = 1;
  wc.data_key_version = 1;
  ASSIGN_OR_RETURN(
      wc.kek, WrapKey(root_key_, keys->kek, WrapAssociatedData(keyring_id_, kKindKek, name, 1)));
  ASSIGN_OR_RETURN(wc.index_seed,
                   WrapKey(keys->kek, keys->index_seed,
                           WrapAssociatedData(keyring_id_, kKindIndexSeed, name, 0)));
  ASSIGN_OR_RETURN(wc.data_keys[1],
                   WrapKey(keys->kek, dek, WrapAssociatedData(keyring_id_, kKindDataKey, name, 1)));
  keys->data_keys.emplace(1, std::move(dek));
  WrappedState draft = *wrapped_;
  draft.collections.emplace(name, std::move(wc));
  RETURN_IF_ERROR(Persist(draft, state_mac_key_));
  *wrapped_ = std::move(draft);
  collections_.emplace(name, std::move(keys));
  return Status::Ok();
}

bool KeyRing::HasCollection(std::string_view collection) const {
  ReaderMutexLock lock(mu_);
  return FindCollection(collection) != nullptr;
}

std::vector<std::string> KeyRing::Collections() const {
  ReaderMutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, keys] : collections_) out.push_back(name);
  return out;
}

namespace {

Status UnknownCollection() {
  return NotFound("no keys for this collection (never added to the key ring)",
                  "unknown_collection");
}

}  // namespace

StatusOr<std::string> KeyRing::SealRecord(std::string_view collection, std::string_view record_key,
                                          std::string_view field_set,
                                          std::span<const uint8_t> plaintext) const {
  ReaderMutexLock lock(mu_);
  const CollectionKeys* keys = FindCollection(collection);
  if (keys == nullptr) return UnknownCollection();
  const uint32_t version = keys->data_key_version;
  return SealEnvelope(EnvelopeUse::kRecord, keyring_id_, {collection, record_key, field_set},
                      version, keys->data_keys.find(version)->second, plaintext);
}

StatusOr<std::string> KeyRing::OpenRecord(std::string_view collection, std::string_view record_key,
                                          std::string_view field_set,
                                          std::string_view ciphertext) const {
  ReaderMutexLock lock(mu_);
  const CollectionKeys* keys = FindCollection(collection);
  if (keys == nullptr) return UnknownCollection();
  return OpenEnvelope(EnvelopeUse::kRecord, keyring_id_, {collection, record_key, field_set},
                      ciphertext, [keys](uint32_t version) -> const SecretBytes* {
                        auto it = keys->data_keys.find(version);
                        return it == keys->data_keys.end() ? nullptr : &it->second;
                      });
}

StatusOr<std::string> KeyRing::BlindIndex(std::string_view collection, std::string_view index_name,
                                          std::string_view normalised_term) const {
  ReaderMutexLock lock(mu_);
  const CollectionKeys* keys = FindCollection(collection);
  if (keys == nullptr) return UnknownCollection();
  const HmacSha256Key* index_key = nullptr;
  {
    ReaderMutexLock index_lock(keys->index_mu);
    auto it = keys->index_keys.find(index_name);
    if (it != keys->index_keys.end()) index_key = it->second.get();
  }
  if (index_key == nullptr) {
    RETURN_IF_ERROR(CheckName("index_name", index_name, true));
    std::string info = "warden-blind-index-v1:";
    info.append(index_name);
    ASSIGN_OR_RETURN(SecretBytes derived, HkdfSha256(keys->index_seed, AsBytes(keyring_id_),
                                                     AsBytes(info), kAes256KeySize));
    WriterMutexLock index_lock(keys->index_mu);
    auto [it, inserted] = keys->index_keys.try_emplace(std::string(index_name), nullptr);
    if (inserted) it->second = std::make_unique<HmacSha256Key>(derived);
    index_key = it->second.get();
  }
  HmacSha256Tag tag = index_key->Compute(AsBytes(normalised_term));
  return std::string(reinterpret_cast<const char*>(tag.data()), kBlindIndexSize);
}

StatusOr<SecretBytes> KeyRing::DeriveServiceKey(std::string_view purpose) const {
  RETURN_IF_ERROR(CheckName("purpose", purpose, false));
  std::string info = "warden-service-key-v1:";
  info.append(purpose);
  ReaderMutexLock lock(mu_);
  return HkdfSha256(service_master_, AsBytes(keyring_id_), AsBytes(info), kAes256KeySize);
}

StatusOr<SecretBytes> KeyRing::DeriveEnvelopeKey(std::string_view purpose, uint32_t version) const {
  std::string info = "warden-envelope-key-v1:";
  info.append(purpose).push_back(':');
  info += std::to_string(version);
  return HkdfSha256(service_master_, AsBytes(keyring_id_), AsBytes(info), kAes256KeySize);
}

StatusOr<std::shared_ptr<const EnvelopeKeys>> KeyRing::EnvelopeKeysFor(std::string_view purpose) {
  RETURN_IF_ERROR(CheckName("purpose", purpose, false));
  WriterMutexLock lock(mu_);
  auto it = envelope_keys_.find(purpose);
  if (it != envelope_keys_.end()) return std::shared_ptr<const EnvelopeKeys>(it->second);
  auto keys = std::make_shared<EnvelopeKeys>(keyring_id_);
  const uint32_t last = CurrentEnvelopeKeyVersion(purpose);
  for (uint32_t version = 1; version <= last; ++version) {
    ASSIGN_OR_RETURN(SecretBytes key, DeriveEnvelopeKey(purpose, version));
    RETURN_IF_ERROR(keys->Add(version, std::move(key)));
  }
  envelope_keys_.emplace(std::string(purpose), keys);
  return std::shared_ptr<const EnvelopeKeys>(std::move(keys));
}

StatusOr<uint32_t> KeyRing::EnvelopeKeyVersion(std::string_view purpose) const {
  RETURN_IF_ERROR(CheckName("purpose", purpose, false));
  ReaderMutexLock lock(mu_);
  return CurrentEnvelopeKeyVersion(purpose);
}

uint32_t KeyRing::CurrentEnvelopeKeyVersion(std::string_view purpose) const {
  auto current = wrapped_->envelope_key_versions.find(purpose);
  return current == wrapped_->envelope_key_versions.end() ? 1 : current->second;
}

StatusOr<uint32_t> KeyRing::RotateEnvelopeKey(std::string_view purpose) {
  RETURN_IF_ERROR(CheckName("purpose", purpose, false));
  WriterMutexLock lock(mu_);
  const uint32_t last = CurrentEnvelopeKeyVersion(purpose);
  if (last == std::numeric_limits<uint32_t>::max()) {
    return Conflict("envelope key versions exhausted", "key_versions_exhausted");
  }
  const uint32_t version = last + 1;
  ASSIGN_OR_RETURN(SecretBytes key, DeriveEnvelopeKey(purpose, version));
  WrappedState draft = *wrapped_;
  draft.envelope_key_versions[std::string(purpose)] = version;
  RETURN_IF_ERROR(Persist(draft, state_mac_key_));
  *wrapped_ = std::move(draft);
  auto held = envelope_keys_.find(purpose);
  if (held != envelope_keys_.end()) RETURN_IF_ERROR(held->second->Add(version, std::move(key)));
  return version;
}

StatusOr<uint32_t> KeyRing::RotateDataKey(std::string_view collection) {
  WriterMutexLock lock(mu_);
  auto it = collections_.find(collection);
  if (it == collections_.end()) return UnknownCollection();
  CollectionKeys& keys = *it->second;
  if (keys.data_key_version == std::numeric_limits<uint32_t>::max()) {
    return Conflict("data key versions exhausted", "key_versions_exhausted");
  }
  const uint32_t version = keys.data_key_version + 1;
  SecretBytes dek = SecretBytes::Random(kAes256KeySize);
  WrappedState draft = *wrapped_;
  WrappedCollection& wc = draft.collections.find(collection)->second;
  ASSIGN_OR_RETURN(
      wc.data_keys[version],
      WrapKey(keys.kek, dek, WrapAssociatedData(keyring_id_, kKindDataKey, it->first, version)));
  wc.data_key_version = version;
  RETURN_IF_ERROR(Persist(draft, state_mac_key_));
  *wrapped_ = std::move(draft);
  keys.data_keys.emplace(version, std::move(dek));
  keys.data_key_version = version;
  return version;
}

StatusOr<uint32_t> KeyRing::RotateKek(std::string_view collection) {
  WriterMutexLock lock(mu_);
  auto it = collections_.find(collection);
  if (it == collections_.end()) return UnknownCollection();
  CollectionKeys& keys = *it->second;
  const std::string& name = it->first;
  if (keys.kek_version == std::numeric_limits<uint32_t>::max()) {
    return Conflict("KEK versions exhausted", "key_versions_exhausted");
  }
  const uint32_t version = keys.kek_version + 1;
  SecretBytes kek = SecretBytes::Random(kAes256KeySize);
  WrappedState draft = *wrapped_;
  WrappedCollection& wc = draft.collections.find(collection)->second;
  wc.kek_version = version;
  ASSIGN_OR_RETURN(
      wc.kek, WrapKey(root_key_, kek, WrapAssociatedData(keyring_id_, kKindKek, name, version)));
  ASSIGN_OR_RETURN(
      wc.index_seed,
      WrapKey(kek, keys.index_seed, WrapAssociatedData(keyring_id_, kKindIndexSeed, name, 0)));
  for (const auto& [dek_version, dek] : keys.data_keys) {
    ASSIGN_OR_RETURN(
        wc.data_keys[dek_version],
        WrapKey(kek, dek, WrapAssociatedData(keyring_id_, kKindDataKey, name, dek_version)));
  }
  RETURN_IF_ERROR(Persist(draft, state_mac_key_));
  *wrapped_ = std::move(draft);
  keys.kek = std::move(kek);
  keys.kek_version = version;
  return version;
}

Status KeyRing::Rekey(SecretBytes new_root) {
  if (new_root.size() != kRootKeySize) {
    return InvalidArgument("root key must be 32 bytes", "invalid_root_key");
  }
  WriterMutexLock lock(mu_);
  if (new_root == root_key_) {
    return InvalidArgument("the new root key equals the current one", "invalid_root_key");
  }
  ASSIGN_OR_RETURN(SecretBytes mac_key, StateMacKey(new_root, keyring_id_));
  WrappedState draft = *wrapped_;
  ASSIGN_OR_RETURN(draft.service_master,
                   WrapKey(new_root, service_master_,
                           WrapAssociatedData(keyring_id_, kKindServiceMaster, "", 0)));
  for (auto& [name, wc] : draft.collections) {
    const CollectionKeys& keys = *collections_.find(name)->second;
    ASSIGN_OR_RETURN(wc.kek,
                     WrapKey(new_root, keys.kek,
                             WrapAssociatedData(keyring_id_, kKindKek, name, keys.kek_version)));
  }
  RETURN_IF_ERROR(Persist(draft, mac_key));
  *wrapped_ = std::move(draft);
  root_key_ = std::move(new_root);
  state_mac_key_ = std::move(mac_key);
  return Status::Ok();
}

StatusOr<CollectionKeyVersions> KeyRing::Versions(std::string_view collection) const {
  ReaderMutexLock lock(mu_);
  const CollectionKeys* keys = FindCollection(collection);
  if (keys == nullptr) return UnknownCollection();
  CollectionKeyVersions out;
  out.kek_version = keys->kek_version;
  out.data_key_version = keys->data_key_version;
  for (const auto& [version, key] : keys->data_keys) out.data_key_versions.push_back(version);
  return out;
}

StatusOr<uint32_t> KeyRing::DataKeyVersionOf(std::string_view ciphertext) {
  ASSIGN_OR_RETURN(EnvelopeHeader header, ParseEnvelopeHeader(ciphertext));
  return header.key_version;
}

StatusOr<std::optional<std::string>> KeyRing::ReencryptRecord(std::string_view collection,
                                                              std::string_view record_key,
                                                              std::string_view field_set,
                                                              std::string_view ciphertext) const {
  ASSIGN_OR_RETURN(uint32_t version, DataKeyVersionOf(ciphertext));
  ASSIGN_OR_RETURN(CollectionKeyVersions versions, Versions(collection));
  if (version == versions.data_key_version) {
    // Authenticate anyway: the pass must not bless a record it cannot open.
    ASSIGN_OR_RETURN(std::string plaintext,
                     OpenRecord(collection, record_key, field_set, ciphertext));
    SecureWipe(plaintext);
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::string plaintext,
                   OpenRecord(collection, record_key, field_set, ciphertext));
  StatusOr<std::string> sealed = SealRecord(collection, record_key, field_set, AsBytes(plaintext));
  SecureWipe(plaintext);
  if (!sealed.ok()) return sealed.status();
  return std::optional<std::string>(std::move(sealed).value());
}

Status KeyRing::RetireDataKey(std::string_view collection, uint32_t version) {
  WriterMutexLock lock(mu_);
  auto it = collections_.find(collection);
  if (it == collections_.end()) return UnknownCollection();
  CollectionKeys& keys = *it->second;
  if (version == keys.data_key_version) {
    return Conflict("the current data key cannot be retired; rotate first", "key_in_use");
  }
  if (!keys.data_keys.contains(version)) {
    return NotFound("no such data key version", "unknown_key_version");
  }
  WrappedState draft = *wrapped_;
  draft.collections.find(collection)->second.data_keys.erase(version);
  RETURN_IF_ERROR(Persist(draft, state_mac_key_));
  *wrapped_ = std::move(draft);
  keys.data_keys.erase(version);
  return Status::Ok();
}

std::string CompoundIndexTerm(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    PutBigEndian32(out, static_cast<uint32_t>(part.size()));
    out.append(part);
  }
  return out;
}

}  // namespace warden::crypto
