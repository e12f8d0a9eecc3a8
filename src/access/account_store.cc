// The stored account record, its sealed secret fields, and role policies.
#include "access/account_store.h"

#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

namespace {

std::string AssociatedData(std::string_view field, std::string_view account_id) {
  std::string ad = "warden/access/v1/";
  ad += field;
  ad += '/';
  ad += account_id;
  return ad;
}

}  // namespace

// ---- Account record ----

Account Account::New(std::string username, AccountKind kind, RoleSet roles, std::string created_by,
                     int64_t now_micros) {
  Account a;
  a.id = NewId("a_");
  a.username = std::move(username);
  a.kind = kind;
  a.roles = std::move(roles);
  a.created_at_micros = now_micros;
  a.created_by = std::move(created_by);
  return a;
}

std::string Account::Encode() const {
  json j = {
      {"id", id},
      {"username", username},
      {"kind", kind == AccountKind::kService ? "service" : "human"},
      {"roles", roles.Names()},
      {"suspended", suspended},
      {"created_at", created_at_micros},
      {"created_by", created_by},
  };
  switch (state) {
    case State::kActive:
      break;
    case State::kAwaitingApproval:
      j["state"] = "awaiting_approval";
      break;
    case State::kAwaitingEnrolment:
      j["state"] = "awaiting_enrolment";
      j["enrol_a"] = enrolment_hash_a;
      j["enrol_b"] = enrolment_hash_b;
      j["enrol_expires"] = enrolment_expires_micros;
      break;
  }
  if (credential_epoch != 0) j["epoch"] = credential_epoch;
  if (!suspended_reason.empty()) j["suspended_reason"] = suspended_reason;
  if (!password_sealed.empty()) j["password"] = password_sealed;
  if (!totp_sealed.empty()) {
    j["totp"] = totp_sealed;
    j["totp_last_step"] = totp_last_step;
  }
  if (policy) j["policy"] = json::parse(EncodePolicy(*policy));
  return j.dump();
}

StatusOr<Account> Account::Decode(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [] { return DataLoss("stored account record is malformed"); };
  if (j.is_discarded() || !j.is_object()) return corrupt();
  Account a;
  try {
    a.id = j.at("id").get<std::string>();
    a.username = j.at("username").get<std::string>();
    a.kind =
        j.at("kind").get<std::string>() == "service" ? AccountKind::kService : AccountKind::kHuman;
    for (const auto& r : j.at("roles")) {
      std::optional<Role> role = ParseRole(r.get<std::string>());
      if (!role) return corrupt();
      a.roles.Add(*role);
    }
    a.suspended = j.at("suspended").get<bool>();
    a.created_at_micros = j.at("created_at").get<int64_t>();
    a.created_by = j.at("created_by").get<std::string>();
    a.suspended_reason = j.value("suspended_reason", "");
    a.password_sealed = j.value("password", "");
    a.totp_sealed = j.value("totp", "");
    if (j.contains("totp_last_step")) a.totp_last_step = j.at("totp_last_step").get<int64_t>();
    if (j.contains("policy")) {
      ASSIGN_OR_RETURN(a.policy, DecodePolicy(j.at("policy").dump()));
    }
    const std::string state = j.value("state", "active");
    if (state == "awaiting_approval") {
      a.state = State::kAwaitingApproval;
    } else if (state == "awaiting_enrolment") {
      a.state = State::kAwaitingEnrolment;
      a.enrolment_hash_a = j.at("enrol_a").get<std::string>();
      a.enrolment_hash_b = j.at("enrol_b").get<std::string>();
      a.enrolment_expires_micros = j.at("enrol_expires").get<int64_t>();
    } else if (state != "active") {
      return corrupt();
    }
    a.credential_epoch = j.value("epoch", int64_t{0});
  } catch (const json::exception&) {
    return corrupt();
  }
  return a;
}

// ---- Store ----

AccountStore::AccountStore(Store& store, const Clock& clock, AccessKeys keys)
    : store_(store),
      cache_(store, clock),
      keys_(std::move(keys)),
      token_mac_(keys_.token_hash_key) {}

StatusOr<std::shared_ptr<const Account>> AccountStore::Decoded(const std::string& key,
                                                               std::string raw) {
  {
    MutexLock lock(cache_mu_);
    auto it = account_cache_.find(key);
    if (it != account_cache_.end() && it->second.raw == raw) return it->second.account;
  }
  ASSIGN_OR_RETURN(Account a, Account::Decode(raw));
  auto shared = std::make_shared<const Account>(std::move(a));
  MutexLock lock(cache_mu_);
  if (account_cache_.size() >= 100'000) account_cache_.clear();  // bound the memory
  account_cache_[key] = CachedAccount{std::move(raw), shared};
  return std::shared_ptr<const Account>(std::move(shared));
}

StatusOr<std::optional<Account>> AccountStore::Load(std::string_view account_id) {
  const std::string key = AccountKey(account_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, key));
  if (!raw) return std::optional<Account>();
  ASSIGN_OR_RETURN(std::shared_ptr<const Account> account, Decoded(key, std::move(*raw)));
  return std::optional<Account>(*account);
}

StatusOr<std::shared_ptr<const Account>> AccountStore::LoadCached(std::string_view account_id) {
  const std::string key = AccountKey(account_id);
  ASSIGN_OR_RETURN(AccessCache::Read read, cache_.Get(key));
  if (!read.value) return std::shared_ptr<const Account>();
  return Decoded(key, std::move(*read.value));
}

Status AccountStore::WriteAccessChange(WriteBatch batch) {
  AccessCache::StampChange(batch);
  Status st = store_.Write(batch);
  cache_.Invalidate();  // whatever the outcome: an unavailable store may have applied it
  return st;
}

Status AccountStore::Update(std::string_view account_id,
                            const std::function<Status(Account&)>& change) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw,
                     store_.Get(Space::kMeta, AccountKey(account_id)));
    if (!raw) return NotFound("no such account", "account_not_found");
    ASSIGN_OR_RETURN(Account a, Account::Decode(*raw));
    RETURN_IF_ERROR(change(a));
    WriteBatch batch;
    batch.Expect(Space::kMeta, AccountKey(account_id), *raw);
    batch.Put(Space::kMeta, AccountKey(account_id), a.Encode());
    Status st = WriteAccessChange(std::move(batch));
    if (st.code() != StatusCode::kConflict) return st;
  }
  return Conflict("account changed concurrently; retry");
}

StatusOr<std::vector<Account>> AccountStore::LoadAll() {
  std::vector<Account> out;
  std::string start = AccountKey("");
  const std::string end = PrefixEnd(start);
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> page, store_.Scan(Space::kMeta, start, end, 256));
    for (const KeyValue& kv : page) {
      ASSIGN_OR_RETURN(Account a, Account::Decode(kv.value));
      out.push_back(std::move(a));
    }
    if (page.size() < 256) break;
    start = page.back().key + '\0';
  }
  return out;
}

Status AccountStore::Insert(const Account& account, WriteBatch batch) {
  batch.Expect(Space::kMeta, UserKey(account.username), std::nullopt);
  batch.Put(Space::kMeta, AccountKey(account.id), account.Encode());
  batch.Put(Space::kMeta, UserKey(account.username), account.id);
  return store_.Write(batch);
}

// ---- Role policies ----

StatusOr<std::shared_ptr<const std::map<Role, Policy>>> AccountStore::LoadRolePolicies() {
  ASSIGN_OR_RETURN(AccessCache::Read read, cache_.Get(kRolePoliciesKey, /*keep_absent=*/true));
  const std::optional<std::string>& raw = read.value;
  const std::string text = raw.value_or("");
  {
    MutexLock lock(cache_mu_);
    if (role_policies_ && role_policies_raw_ == text) return role_policies_;
  }
  auto out = std::make_shared<std::map<Role, Policy>>();
  if (raw) {
    json j = json::parse(*raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return DataLoss("stored role policies are malformed");
    for (const auto& [name, p] : j.items()) {
      std::optional<Role> role = ParseRole(name);
      if (!role) return DataLoss("stored role policies name an unknown role");
      ASSIGN_OR_RETURN((*out)[*role], DecodePolicy(p.dump()));
    }
  }
  MutexLock lock(cache_mu_);
  role_policies_raw_ = text;
  role_policies_ = out;
  return std::shared_ptr<const std::map<Role, Policy>>(out);
}

Status AccountStore::StoreRolePolicy(Role role, const Policy& policy) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kRolePoliciesKey));
    json all = raw ? json::parse(*raw, nullptr, false) : json::object();
    if (all.is_discarded()) return DataLoss("stored role policies are malformed");
    all[std::string(RoleName(role))] = json::parse(EncodePolicy(policy));
    WriteBatch batch;
    batch.Expect(Space::kMeta, std::string(kRolePoliciesKey), raw);
    batch.Put(Space::kMeta, std::string(kRolePoliciesKey), all.dump());
    Status st = WriteAccessChange(std::move(batch));
    if (st.code() != StatusCode::kConflict) return st;
  }
  return Conflict("role policies changed concurrently; retry");
}

StatusOr<EffectivePolicy> AccountStore::EffectivePolicyOf(const Account& account) {
  ASSIGN_OR_RETURN(auto role_policies, LoadRolePolicies());
  return ResolvePolicy(account.roles, *role_policies, account.policy);
}

// ---- Secrets at rest ----

StatusOr<std::string> AccountStore::Seal(std::string_view field, std::string_view account_id,
                                         std::span<const uint8_t> plaintext) const {
  ASSIGN_OR_RETURN(std::string sealed, keys_.seal_keys->Seal(crypto::EnvelopeUse::kAccountSecret,
                                                             {field, account_id}, plaintext));
  return Base64Encode(sealed);
}

StatusOr<SecretBytes> AccountStore::Open(std::string_view field, std::string_view account_id,
                                         std::string_view sealed) const {
  std::optional<std::string> blob = Base64Decode(sealed);
  if (!blob) return DataLoss("sealed account secret is malformed", "malformed_ciphertext");
  StatusOr<std::string> plain =
      keys_.seal_keys->Open(crypto::EnvelopeUse::kAccountSecret, {field, account_id}, *blob);
  // Secrets sealed before key versions are nonce | ciphertext | tag. Their
  // first byte is random, so no format byte tells the layouts apart; GCM
  // authentication does, as at most one of the two opens.
  if (!plain.ok() && blob->size() >= crypto::kGcmNonceSize + crypto::kGcmTagSize) {
    std::string ad = AssociatedData(field, account_id);  // of the unversioned layout
    std::span<const uint8_t> bytes = AsBytes(*blob);
    StatusOr<std::string> unversioned =
        crypto::Aes256GcmOpen(keys_.unversioned_seal_key, bytes.first(crypto::kGcmNonceSize),
                              bytes.subspan(crypto::kGcmNonceSize), AsBytes(ad));
    if (unversioned.ok()) plain = std::move(unversioned);
  }
  if (!plain.ok() && plain.status().reason() == "malformed_ciphertext") {
    return DataLoss(
        "sealed account secret opens neither as an envelope nor in the unversioned "
        "layout (altered, or sealed for another field, account or store)",
        "malformed_ciphertext");
  }
  RETURN_IF_ERROR(plain.status());
  SecretBytes out = SecretBytes::CopyFrom(*plain);
  SecureWipe(*plain);
  return out;
}

std::string AccountStore::TokenHashHex(std::string_view token) const {
  return HexEncode(token_mac_.Compute(AsBytes(token)));
}

}  // namespace warden::access
