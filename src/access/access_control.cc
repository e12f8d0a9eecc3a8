// Accounts, credentials and sessions: bootstrap, login, authentication.
#include "access/access_control.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "access/totp.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;

namespace internal {

std::string NewId(std::string_view prefix) {
  std::array<uint8_t, 8> raw;
  crypto::RandomBytes(raw);
  return std::string(prefix) + HexEncode(raw);
}

SecretBytes NewToken(std::string_view prefix) {
  SecretBytes raw = SecretBytes::Random(kTokenRandomBytes);
  std::string text(prefix);
  text += Base64Encode(raw.span(), /*url=*/true);
  SecretBytes token = SecretBytes::CopyFrom(text);
  SecureWipe(text);
  return token;
}

bool HasTokenShape(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + kTokenTextChars || !token.starts_with(prefix)) return false;
  return std::all_of(token.begin() + static_cast<ptrdiff_t>(prefix.size()), token.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
}

std::optional<std::string> NormalizeUsername(std::string_view username) {
  if (username.size() < 3 || username.size() > 64) return std::nullopt;
  std::string out;
  out.reserve(username.size());
  for (char c : username) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
    out.push_back(c);
  }
  if (out[0] == '.' || out[0] == '_' || out[0] == '-') return std::nullopt;
  return out;
}

int64_t DayNumber(int64_t unix_micros) { return unix_micros / 86'400'000'000; }
int64_t HourNumber(int64_t unix_micros) { return unix_micros / 3'600'000'000; }

std::string PeriodKey(int64_t period) {
  std::string digits = std::to_string(std::max<int64_t>(period, 0));
  return std::string(digits.size() < 10 ? 10 - digits.size() : 0, '0') + digits;
}

}  // namespace internal

using namespace internal;  // NOLINT: this file's own helpers

namespace {

Status InvalidCredentials() {
  return Unauthenticated("invalid username, password or one-time code", "invalid_credentials");
}

Status NotAuthenticated() {
  return Unauthenticated("missing, invalid or expired credentials", "unauthenticated");
}

Status AccountSuspended() {
  return Locked("account suspended; a security officer must reinstate it", "account_suspended");
}

std::string AssociatedData(std::string_view field, std::string_view account_id) {
  std::string ad = "warden/access/v1/";
  ad += field;
  ad += '/';
  ad += account_id;
  return ad;
}

}  // namespace

// ---- Account record ----

std::string AccessControl::Account::Encode() const {
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

StatusOr<AccessControl::Account> AccessControl::Account::Decode(std::string_view text) {
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

AccountInfo AccessControl::Account::Info() const {
  std::string_view state_name = "active";
  if (state == State::kAwaitingApproval) state_name = "awaiting_approval";
  if (state == State::kAwaitingEnrolment) state_name = "awaiting_enrolment";
  return AccountInfo{
      id, username, kind, roles, suspended, suspended_reason, std::string(state_name)};
}

// ---- Construction ----

StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(Store& store, const Clock& clock,
                                                               AccessKeys keys,
                                                               AccessOptions options) {
  if (keys.token_hash_key.size() != 32 ||
      keys.unversioned_seal_key.size() != crypto::kAes256KeySize) {
    return InvalidArgument("access keys must be 32 bytes each");
  }
  if (keys.seal_keys == nullptr) return InvalidArgument("access seal keys are required");
  auto derive = [&](std::string_view label) {
    return crypto::HkdfSha256(keys.token_hash_key, {}, AsBytes(label), 32);
  };
  ASSIGN_OR_RETURN(SecretBytes canary_key, derive("warden access canary v1"));
  ASSIGN_OR_RETURN(SecretBytes lockout_key, derive("warden access lockout v1"));
  return std::unique_ptr<AccessControl>(new AccessControl(store, clock, std::move(keys),
                                                          std::move(options), std::move(canary_key),
                                                          std::move(lockout_key)));
}

AccessControl::AccessControl(Store& store, const Clock& clock, AccessKeys keys,
                             AccessOptions options, SecretBytes canary_key, SecretBytes lockout_key)
    : store_(store),
      clock_(clock),
      keys_(std::move(keys)),
      options_(std::move(options)),
      hasher_(options_.argon2),
      token_mac_(keys_.token_hash_key),
      canary_mac_(canary_key),
      lockout_mac_(lockout_key) {}

AccessControl::~AccessControl() = default;

void AccessControl::SetAlertSink(AlertSink sink) { sink_ = std::move(sink); }

// ---- Helpers ----

StatusOr<std::string> AccessControl::Seal(std::string_view field, std::string_view account_id,
                                          std::span<const uint8_t> plaintext) const {
  ASSIGN_OR_RETURN(std::string sealed, keys_.seal_keys->Seal(crypto::EnvelopeUse::kAccountSecret,
                                                             {field, account_id}, plaintext));
  return Base64Encode(sealed);
}

StatusOr<SecretBytes> AccessControl::Open(std::string_view field, std::string_view account_id,
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

std::string AccessControl::TokenHashHex(std::string_view token) const {
  return HexEncode(token_mac_.Compute(AsBytes(token)));
}

StatusOr<std::optional<AccessControl::Account>> AccessControl::LoadAccount(
    std::string_view account_id) {
  const std::string key = AccountKey(account_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, key));
  if (!raw) return std::optional<Account>();
  {
    std::lock_guard lock(cache_mu_);
    auto it = account_cache_.find(key);
    if (it != account_cache_.end() && it->second.raw == *raw) {
      return std::optional<Account>(*it->second.account);
    }
  }
  ASSIGN_OR_RETURN(Account a, Account::Decode(*raw));
  auto shared = std::make_shared<const Account>(a);
  std::lock_guard lock(cache_mu_);
  if (account_cache_.size() >= 100'000) account_cache_.clear();  // bound the memory
  account_cache_[key] = CachedAccount{std::move(*raw), std::move(shared)};
  return std::optional<Account>(std::move(a));
}

Status AccessControl::UpdateAccount(std::string_view account_id,
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
    Status st = store_.Write(batch);
    if (st.code() != StatusCode::kConflict) return st;
  }
  return Conflict("account changed concurrently; retry");
}

StatusOr<Enrollment> AccessControl::NewEnrollment(Account& account) {
  SecretBytes secret = SecretBytes::Random(kTotpSecretSize);
  ASSIGN_OR_RETURN(account.totp_sealed, Seal("totp", account.id, secret.span()));
  account.totp_last_step = std::numeric_limits<int64_t>::min();
  Enrollment e;
  e.account_id = account.id;
  e.totp_secret_base32 = Base32Encode(secret);
  e.otpauth_uri = OtpauthUri(options_.totp_issuer, account.username, secret);
  ASSIGN_OR_RETURN(e.qr_text, QrCodeText(e.otpauth_uri));
  return e;
}

StatusOr<std::shared_ptr<const std::map<Role, Policy>>> AccessControl::LoadRolePolicies() {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kRolePoliciesKey));
  const std::string text = raw.value_or("");
  {
    std::lock_guard lock(cache_mu_);
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
  std::lock_guard lock(cache_mu_);
  role_policies_raw_ = text;
  role_policies_ = out;
  return std::shared_ptr<const std::map<Role, Policy>>(out);
}

// ---- Bootstrap ----

StatusOr<std::vector<SecretBytes>> AccessControl::CreateBootstrapTokens() {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kBootstrapKey));
  if (raw) {
    json state = json::parse(*raw, nullptr, false);
    if (state.is_discarded()) return DataLoss("stored bootstrap state is malformed");
    for (const json& t : state.value("tokens", json::array())) {
      if (t.value("state", "") == "used") {
        return Conflict("a first security officer already exists", "already_bootstrapped");
      }
    }
  }
  std::vector<SecretBytes> tokens;
  json stored = json::array();
  for (int i = 0; i < 2; ++i) {
    tokens.push_back(NewToken(kBootstrapPrefix));
    stored.push_back({{"state", "pending"}, {"hash", TokenHashHex(tokens.back().view())}});
  }
  WriteBatch batch;
  batch.Expect(Space::kMeta, std::string(kBootstrapKey), raw);
  batch.Put(Space::kMeta, std::string(kBootstrapKey), json{{"tokens", stored}}.dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return tokens;
}

StatusOr<Enrollment> AccessControl::Bootstrap(const SecretBytes& token, std::string_view username,
                                              const SecretBytes& password) {
  const Status invalid = Unauthenticated("invalid or used bootstrap token", "bootstrap_invalid");
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kBootstrapKey));
  if (!raw || !HasTokenShape(token.view(), kBootstrapPrefix)) return invalid;
  json state = json::parse(*raw, nullptr, false);
  if (state.is_discarded() || !state.contains("tokens") || !state["tokens"].is_array()) {
    return invalid;
  }
  const std::string hash = TokenHashHex(token.view());
  json* match = nullptr;
  for (json& t : state["tokens"]) {
    // Every entry is compared, so the time taken does not say which matched.
    if (ConstantTimeEquals(t.value("hash", ""), hash) && t.value("state", "") == "pending") {
      match = &t;
    }
  }
  if (match == nullptr) return invalid;
  std::optional<std::string> name = NormalizeUsername(username);
  if (!name) return FieldInvalid("username", "format", "3-64 characters of a-z 0-9 . _ -");
  RETURN_IF_ERROR(CheckPasswordRule(password));

  Account a;
  a.id = NewId("a_");
  a.username = *name;
  a.kind = AccountKind::kHuman;
  a.roles.Add(Role::kSecurityOfficer);
  a.created_at_micros = clock_.NowMicros();
  a.created_by = "bootstrap";
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(password));
  ASSIGN_OR_RETURN(a.password_sealed, Seal("password", a.id, AsBytes(password_hash)));
  SecureWipe(password_hash);
  ASSIGN_OR_RETURN(Enrollment e, NewEnrollment(a));
  *match = json{{"state", "used"}, {"account", a.id}};

  WriteBatch batch;
  batch.Expect(Space::kMeta, std::string(kBootstrapKey), raw);
  batch.Expect(Space::kMeta, UserKey(a.username), std::nullopt);
  batch.Put(Space::kMeta, std::string(kBootstrapKey), state.dump());
  batch.Put(Space::kMeta, AccountKey(a.id), a.Encode());
  batch.Put(Space::kMeta, UserKey(a.username), a.id);
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) return invalid;  // raced with another bootstrap
  RETURN_IF_ERROR(st);
  return e;
}

// ---- Login ----

std::string AccessControl::LockKey(std::string_view username) const {
  return "lock/" + HexEncode(lockout_mac_.Compute(AsBytes(username)));
}

StatusOr<bool> AccessControl::IsLockedOut(const std::string& lock_key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, lock_key));
  if (!raw) return false;
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded()) return false;
  return j.value("locked_until", int64_t{0}) > clock_.NowMicros();
}

void AccessControl::RecordLoginFailure(const std::string& lock_key, std::string_view account_id) {
  const int64_t now = clock_.NowMicros();
  const int64_t window = std::chrono::microseconds(options_.lockout_window).count();
  for (int attempt = 0; attempt < 8; ++attempt) {
    StatusOr<std::optional<std::string>> raw = store_.Get(Space::kMeta, lock_key);
    if (!raw.ok()) return;
    std::vector<int64_t> failures;
    if (*raw) {
      json j = json::parse(**raw, nullptr, false);
      if (!j.is_discarded() && j.contains("failures") && j["failures"].is_array()) {
        for (const auto& t : j["failures"]) {
          if (t.is_number_integer() && t.get<int64_t>() > now - window) {
            failures.push_back(t.get<int64_t>());
          }
        }
      }
    }
    failures.push_back(now);
    json next = json::object();
    bool locks = static_cast<int>(failures.size()) >= options_.lockout_failures;
    if (locks) {
      next["locked_until"] = now + std::chrono::microseconds(options_.lockout_duration).count();
      next["failures"] = json::array();
    } else {
      next["failures"] = failures;
    }
    WriteBatch batch;
    batch.Expect(Space::kMeta, lock_key, *raw);
    batch.Put(Space::kMeta, lock_key, next.dump());
    Status st = store_.Write(batch);
    if (st.code() == StatusCode::kConflict) continue;
    if (st.ok() && locks) {
      // The lock entry's own name identifies the username without revealing it.
      RaiseAlert("lockout", std::string(account_id),
                 "login locked after repeated failures; lock " + lock_key.substr(5, 16),
                 std::nullopt);
    }
    return;
  }
}

StatusOr<IssuedToken> AccessControl::Login(std::string_view username, const SecretBytes& password,
                                           std::string_view totp_code,
                                           std::string_view client_addr) {
  std::optional<std::string> name = NormalizeUsername(username);
  const std::string lock_key = LockKey(name.value_or(std::string(username)));
  ASSIGN_OR_RETURN(bool locked, IsLockedOut(lock_key));
  if (locked) {
    return Locked("too many failed logins; try again later", "account_locked");
  }

  std::optional<Account> account;
  if (name) {
    ASSIGN_OR_RETURN(std::optional<std::string> id, store_.Get(Space::kMeta, UserKey(*name)));
    if (id) {
      ASSIGN_OR_RETURN(account, LoadAccount(*id));
    }
  }
  if (!account || account->kind != AccountKind::kHuman || account->password_sealed.empty() ||
      account->state != Account::State::kActive) {
    hasher_.VerifyDummy(password);  // same cost as a real verification
    RecordLoginFailure(lock_key, "");
    return InvalidCredentials();
  }

  bool password_ok = false;
  {
    ASSIGN_OR_RETURN(SecretBytes hash, Open("password", account->id, account->password_sealed));
    password_ok = hasher_.Verify(std::string(hash.view()), password);
  }
  if (!password_ok) {
    RecordLoginFailure(lock_key, account->id);
    return InvalidCredentials();
  }

  // The code must match a step later than the last one used, and claiming the
  // step is a compare-and-set on the account, so a code works once even when
  // two logins race with it.
  bool totp_ok = false;
  Status claim = UpdateAccount(account->id, [&](Account& a) -> Status {
    totp_ok = false;
    if (a.totp_sealed.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(SecretBytes secret, Open("totp", a.id, a.totp_sealed));
    std::optional<int64_t> step =
        MatchTotp(secret, totp_code, clock_.NowSeconds(), a.totp_last_step);
    if (!step) return Status::Ok();
    a.totp_last_step = *step;
    totp_ok = true;
    *account = a;
    return Status::Ok();
  });
  RETURN_IF_ERROR(claim);
  if (!totp_ok) {
    RecordLoginFailure(lock_key, account->id);
    return InvalidCredentials();
  }
  if (account->suspended) return AccountSuspended();

  RETURN_IF_ERROR(store_.Write([&] {
    WriteBatch b;
    b.Delete(Space::kMeta, lock_key);
    return b;
  }()));
  return NewSession(*account, client_addr);
}

StatusOr<IssuedToken> AccessControl::NewSession(const Account& account,
                                                std::string_view client_addr) {
  const int64_t now = clock_.NowMicros();
  IssuedToken t;
  t.token = NewToken(kSessionPrefix);
  t.id = NewId("s_");
  t.expires_at_micros = now + std::chrono::microseconds(options_.session_ttl).count();
  t.roles = account.roles;
  json rec = {{"id", t.id},
              {"account", account.id},
              {"created", now},
              {"expires", t.expires_at_micros},
              {"seen", now},
              {"addr", client_addr},
              {"epoch", account.credential_epoch}};
  WriteBatch batch;
  batch.Put(Space::kMeta, "sess/" + TokenHashHex(t.token.view()), rec.dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return t;
}

Status AccessControl::Logout(std::string_view bearer_token) {
  if (!HasTokenShape(bearer_token, kSessionPrefix)) return NotAuthenticated();
  WriteBatch batch;
  batch.Delete(Space::kMeta, "sess/" + TokenHashHex(bearer_token));
  return store_.Write(batch);
}

// ---- Enrolment ----

StatusOr<Enrollment> AccessControl::Enrol(std::string_view username, const SecretBytes& code_part_a,
                                          const SecretBytes& code_part_b,
                                          const SecretBytes& password) {
  const Status invalid =
      Unauthenticated("invalid, expired or used enrolment code", "enrolment_invalid");
  std::optional<std::string> name = NormalizeUsername(username);
  const std::string lock_key = LockKey(name.value_or(std::string(username)));
  ASSIGN_OR_RETURN(bool locked, IsLockedOut(lock_key));
  if (locked) return Locked("too many failed attempts; try again later", "account_locked");
  RETURN_IF_ERROR(CheckPasswordRule(password));

  std::optional<std::string> account_id;
  if (name) {
    ASSIGN_OR_RETURN(account_id, store_.Get(Space::kMeta, UserKey(*name)));
  }
  if (!account_id || !HasTokenShape(code_part_a.view(), kEnrolmentPrefix) ||
      !HasTokenShape(code_part_b.view(), kEnrolmentPrefix)) {
    RecordLoginFailure(lock_key, "");
    return invalid;
  }
  const std::string hash_a = TokenHashHex(code_part_a.view());
  const std::string hash_b = TokenHashHex(code_part_b.view());
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(password));
  std::optional<Enrollment> enrolled;
  Status st = UpdateAccount(*account_id, [&](Account& a) -> Status {
    // The holder may give the halves in either order.
    const bool codes_match = (ConstantTimeEquals(a.enrolment_hash_a, hash_a) &&
                              ConstantTimeEquals(a.enrolment_hash_b, hash_b)) ||
                             (ConstantTimeEquals(a.enrolment_hash_a, hash_b) &&
                              ConstantTimeEquals(a.enrolment_hash_b, hash_a));
    if (a.kind != AccountKind::kHuman || a.state != Account::State::kAwaitingEnrolment ||
        !codes_match || clock_.NowMicros() >= a.enrolment_expires_micros) {
      return invalid;
    }
    ASSIGN_OR_RETURN(a.password_sealed, Seal("password", a.id, AsBytes(password_hash)));
    ASSIGN_OR_RETURN(Enrollment e, NewEnrollment(a));
    a.state = Account::State::kActive;
    a.enrolment_hash_a.clear();
    a.enrolment_hash_b.clear();
    a.enrolment_expires_micros = 0;
    ++a.credential_epoch;
    enrolled = std::move(e);
    return Status::Ok();
  });
  SecureWipe(password_hash);
  if (st.reason() == "enrolment_invalid") RecordLoginFailure(lock_key, *account_id);
  RETURN_IF_ERROR(st);
  return std::move(*enrolled);
}

Status AccessControl::ChangePassword(const Principal& who, const SecretBytes& current,
                                     const SecretBytes& replacement) {
  if (who.kind != AccountKind::kHuman) {
    return FieldInvalid("account", "human_account", "only people have passwords");
  }
  ASSIGN_OR_RETURN(std::optional<Account> account, LoadAccount(who.account_id));
  if (!account || account->password_sealed.empty()) return NotAuthenticated();
  bool current_ok = false;
  {
    ASSIGN_OR_RETURN(SecretBytes hash, Open("password", account->id, account->password_sealed));
    current_ok = hasher_.Verify(std::string(hash.view()), current);
  }
  const std::string lock_key = LockKey(account->username);
  if (!current_ok) {
    RecordLoginFailure(lock_key, account->id);
    return InvalidCredentials();
  }
  RETURN_IF_ERROR(CheckPasswordRule(replacement));
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(replacement));
  Status st = UpdateAccount(account->id, [&](Account& a) -> Status {
    ASSIGN_OR_RETURN(a.password_sealed, Seal("password", a.id, AsBytes(password_hash)));
    return Status::Ok();
  });
  SecureWipe(password_hash);
  return st;
}

// ---- Authentication ----

StatusOr<Principal> AccessControl::Authenticate(std::string_view bearer_token,
                                                std::string_view client_addr) {
  std::string record_key;
  int64_t idle_micros = 0;
  if (HasTokenShape(bearer_token, kSessionPrefix)) {
    record_key = "sess/" + TokenHashHex(bearer_token);
    idle_micros = std::chrono::microseconds(options_.session_idle).count();
  } else if (HasTokenShape(bearer_token, kApiKeyPrefix)) {
    record_key = "key/" + TokenHashHex(bearer_token);
    idle_micros = std::chrono::microseconds(options_.api_key_idle).count();
  } else {
    return NotAuthenticated();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, record_key));
  if (!raw) return NotAuthenticated();
  json rec = json::parse(*raw, nullptr, false);
  if (rec.is_discarded()) return DataLoss("stored credential record is malformed");

  const int64_t now = clock_.NowMicros();
  const int64_t seen = rec.value("seen", int64_t{0});
  if (now >= rec.value("expires", int64_t{0}) || now - seen >= idle_micros) {
    WriteBatch expire;
    expire.Delete(Space::kMeta, record_key);
    store_.Write(expire).IgnoreError();  // best effort: the check above already refuses it
    return NotAuthenticated();
  }

  ASSIGN_OR_RETURN(std::optional<Account> account, LoadAccount(rec.value("account", "")));
  if (!account) return NotAuthenticated();
  if (account->suspended) return AccountSuspended();
  bool is_key = record_key.starts_with("key/");
  if (is_key != (account->kind == AccountKind::kService)) return NotAuthenticated();
  // An account awaiting approval or re-enrolment has no usable credential,
  // and a session from before the last enrolment is dead.
  if (account->state != Account::State::kActive) return NotAuthenticated();
  if (!is_key && rec.value("epoch", int64_t{0}) != account->credential_epoch) {
    return NotAuthenticated();
  }

  if (now - seen >= std::chrono::microseconds(options_.last_seen_resolution).count()) {
    rec["seen"] = now;
    WriteBatch touch;
    touch.Expect(Space::kMeta, record_key, *raw);  // never resurrect a revoked credential
    touch.Put(Space::kMeta, record_key, rec.dump());
    store_.Write(touch).IgnoreError();  // a lost race means another request touched it
  }

  ASSIGN_OR_RETURN(auto role_policies, LoadRolePolicies());
  Principal p;
  p.account_id = account->id;
  p.username = account->username;
  p.kind = account->kind;
  p.roles = account->roles;
  p.policy = ResolvePolicy(account->roles, *role_policies, account->policy);
  p.session_id = rec.value("id", "");
  p.client_addr = std::string(client_addr);
  return p;
}

}  // namespace warden::access
