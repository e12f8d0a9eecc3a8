// Bootstrap, enrolment, login, sessions and credential verification.
#include "access/authenticator.h"

#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "access/account_store.h"
#include "access/totp.h"
#include "access/tripwires.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

namespace {

Status InvalidCredentials() {
  return Unauthenticated("invalid username, password or one-time code", "invalid_credentials");
}

// A code matching a step already used: the right code, replayed. Said
// plainly (only after the password matched) so the holder waits for the
// next code rather than retrying the same one.
Status TotpReused() {
  return Unauthenticated(
      "this one-time code was already used; wait for the next code (a new one every 30 s) and "
      "sign in again",
      "totp_reused");
}

Status NotAuthenticated() {
  return Unauthenticated("missing, invalid or expired credentials", "unauthenticated");
}

Status AccountSuspended() {
  return Locked("account suspended; a security officer must reinstate it", "account_suspended");
}

}  // namespace

Authenticator::Authenticator(Store& store, const Clock& clock, AccountStore& accounts,
                             Tripwires& tripwires, AccessOptions options,
                             const SecretBytes& lockout_key)
    : store_(store),
      clock_(clock),
      accounts_(accounts),
      tripwires_(tripwires),
      options_(std::move(options)),
      hasher_(options_.argon2),
      lockout_mac_(lockout_key) {}

StatusOr<Enrollment> Authenticator::NewEnrollment(Account& account) {
  SecretBytes secret = SecretBytes::Random(kTotpSecretSize);
  ASSIGN_OR_RETURN(account.totp_sealed, accounts_.Seal("totp", account.id, secret.span()));
  account.totp_last_step = std::numeric_limits<int64_t>::min();
  Enrollment e;
  e.account_id = account.id;
  e.totp_secret_base32 = Base32Encode(secret);
  e.otpauth_uri = OtpauthUri(options_.totp_issuer, account.username, secret);
  ASSIGN_OR_RETURN(e.qr_text, QrCodeText(e.otpauth_uri));
  return e;
}

// ---- Bootstrap ----

StatusOr<std::vector<SecretBytes>> Authenticator::CreateBootstrapTokens() {
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
    stored.push_back(
        {{"state", "pending"}, {"hash", accounts_.TokenHashHex(tokens.back().view())}});
  }
  WriteBatch batch;
  batch.Expect(Space::kMeta, std::string(kBootstrapKey), raw);
  batch.Put(Space::kMeta, std::string(kBootstrapKey), json{{"tokens", stored}}.dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return tokens;
}

StatusOr<Enrollment> Authenticator::Bootstrap(const SecretBytes& token, std::string_view username,
                                              const SecretBytes& password) {
  const Status invalid = Unauthenticated("invalid or used bootstrap token", "bootstrap_invalid");
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kBootstrapKey));
  if (!raw || !HasTokenShape(token.view(), kBootstrapPrefix)) return invalid;
  json state = json::parse(*raw, nullptr, false);
  if (state.is_discarded() || !state.contains("tokens") || !state["tokens"].is_array()) {
    return invalid;
  }
  const std::string hash = accounts_.TokenHashHex(token.view());
  json* match = nullptr;
  for (json& t : state["tokens"]) {
    // Every entry is compared, so the time taken does not say which matched.
    if (ConstantTimeEquals(t.value("hash", ""), hash) && t.value("state", "") == "pending") {
      match = &t;
    }
  }
  if (match == nullptr) return invalid;
  std::optional<std::string> name = NormalizeUsername(username);
  if (!name) return FieldInvalid("username", "format", kUsernameRule);
  RETURN_IF_ERROR(CheckPasswordRule(password));

  Account a = Account::New(*name, AccountKind::kHuman, {Role::kSecurityOfficer}, "bootstrap",
                           clock_.NowMicros());
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(password));
  ASSIGN_OR_RETURN(a.password_sealed, accounts_.Seal("password", a.id, AsBytes(password_hash)));
  SecureWipe(password_hash);
  ASSIGN_OR_RETURN(Enrollment e, NewEnrollment(a));
  *match = json{{"state", "used"}, {"account", a.id}};

  WriteBatch spend_token;
  spend_token.Expect(Space::kMeta, std::string(kBootstrapKey), raw);
  spend_token.Put(Space::kMeta, std::string(kBootstrapKey), state.dump());
  Status st = accounts_.Insert(a, std::move(spend_token));
  if (st.code() == StatusCode::kConflict) return invalid;  // raced with another bootstrap
  RETURN_IF_ERROR(st);
  return e;
}

// ---- Login ----

std::string Authenticator::LockKey(std::string_view username) const {
  return "lock/" + HexEncode(lockout_mac_.Compute(AsBytes(username)));
}

StatusOr<bool> Authenticator::IsLockedOut(const std::string& lock_key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, lock_key));
  if (!raw) return false;
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded()) return false;
  return j.value("locked_until", int64_t{0}) > clock_.NowMicros();
}

void Authenticator::RecordLoginFailure(const std::string& lock_key, std::string_view account_id) {
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
      tripwires_.RaiseAlert("lockout", std::string(account_id),
                            "login locked after repeated failures; lock " + lock_key.substr(5, 16),
                            std::nullopt);
    }
    return;
  }
}

StatusOr<IssuedToken> Authenticator::Login(std::string_view username, const SecretBytes& password,
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
      ASSIGN_OR_RETURN(account, accounts_.Load(*id));
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
    ASSIGN_OR_RETURN(SecretBytes hash,
                     accounts_.Open("password", account->id, account->password_sealed));
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
  bool totp_reused = false;
  Status claim = accounts_.Update(account->id, [&](Account& a) -> Status {
    totp_ok = false;
    if (a.totp_sealed.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(SecretBytes secret, accounts_.Open("totp", a.id, a.totp_sealed));
    std::optional<int64_t> step =
        MatchTotp(secret, totp_code, clock_.NowSeconds(), a.totp_last_step);
    if (!step) {
      totp_reused = TotpAlreadyUsed(secret, totp_code, clock_.NowSeconds(), a.totp_last_step);
      return Status::Ok();
    }
    a.totp_last_step = *step;
    totp_ok = true;
    *account = a;
    return Status::Ok();
  });
  RETURN_IF_ERROR(claim);
  if (!totp_ok) {
    RecordLoginFailure(lock_key, account->id);
    return totp_reused ? TotpReused() : InvalidCredentials();
  }
  if (account->suspended) return AccountSuspended();

  RETURN_IF_ERROR(store_.Write([&] {
    WriteBatch b;
    b.Delete(Space::kMeta, lock_key);
    return b;
  }()));
  return NewSession(*account, client_addr);
}

StatusOr<IssuedToken> Authenticator::NewSession(const Account& account,
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
  batch.Put(Space::kMeta, "sess/" + accounts_.TokenHashHex(t.token.view()), rec.dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return t;
}

Status Authenticator::Logout(std::string_view bearer_token) {
  if (!HasTokenShape(bearer_token, kSessionPrefix)) return NotAuthenticated();
  WriteBatch batch;
  batch.Delete(Space::kMeta, "sess/" + accounts_.TokenHashHex(bearer_token));
  return accounts_.WriteAccessChange(std::move(batch));
}

// ---- Enrolment ----

StatusOr<Enrollment> Authenticator::Enrol(std::string_view username, const SecretBytes& code_part_a,
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
  const std::string hash_a = accounts_.TokenHashHex(code_part_a.view());
  const std::string hash_b = accounts_.TokenHashHex(code_part_b.view());
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(password));
  std::optional<Enrollment> enrolled;
  Status st = accounts_.Update(*account_id, [&](Account& a) -> Status {
    // The holder may give the halves in either order.
    const bool codes_match = (ConstantTimeEquals(a.enrolment_hash_a, hash_a) &&
                              ConstantTimeEquals(a.enrolment_hash_b, hash_b)) ||
                             (ConstantTimeEquals(a.enrolment_hash_a, hash_b) &&
                              ConstantTimeEquals(a.enrolment_hash_b, hash_a));
    if (a.kind != AccountKind::kHuman || a.state != Account::State::kAwaitingEnrolment ||
        !codes_match || clock_.NowMicros() >= a.enrolment_expires_micros) {
      return invalid;
    }
    ASSIGN_OR_RETURN(a.password_sealed, accounts_.Seal("password", a.id, AsBytes(password_hash)));
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

Status Authenticator::ChangePassword(const Principal& who, const SecretBytes& current,
                                     const SecretBytes& replacement) {
  if (who.kind != AccountKind::kHuman) {
    return FieldInvalid("account", "human_account", "only people have passwords");
  }
  ASSIGN_OR_RETURN(std::optional<Account> account, accounts_.Load(who.account_id));
  if (!account || account->password_sealed.empty()) return NotAuthenticated();
  bool current_ok = false;
  {
    ASSIGN_OR_RETURN(SecretBytes hash,
                     accounts_.Open("password", account->id, account->password_sealed));
    current_ok = hasher_.Verify(std::string(hash.view()), current);
  }
  const std::string lock_key = LockKey(account->username);
  if (!current_ok) {
    RecordLoginFailure(lock_key, account->id);
    return InvalidCredentials();
  }
  RETURN_IF_ERROR(CheckPasswordRule(replacement));
  ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(replacement));
  Status st = accounts_.Update(account->id, [&](Account& a) -> Status {
    ASSIGN_OR_RETURN(a.password_sealed, accounts_.Seal("password", a.id, AsBytes(password_hash)));
    return Status::Ok();
  });
  SecureWipe(password_hash);
  return st;
}

// ---- Authentication ----

StatusOr<Principal> Authenticator::Authenticate(std::string_view bearer_token,
                                                std::string_view client_addr) {
  std::string record_key;
  int64_t idle_micros = 0;
  if (HasTokenShape(bearer_token, kSessionPrefix)) {
    record_key = "sess/" + accounts_.TokenHashHex(bearer_token);
    idle_micros = std::chrono::microseconds(options_.session_idle).count();
  } else if (HasTokenShape(bearer_token, kApiKeyPrefix)) {
    record_key = "key/" + accounts_.TokenHashHex(bearer_token);
    idle_micros = std::chrono::microseconds(options_.api_key_idle).count();
  } else {
    return NotAuthenticated();
  }
  AccessCache& cache = accounts_.cache();
  ASSIGN_OR_RETURN(AccessCache::Read read, cache.Get(record_key));
  const int64_t now = clock_.NowMicros();
  json rec;
  int64_t seen = 0;
  for (;;) {
    if (!read.value) return NotAuthenticated();
    rec = json::parse(*read.value, nullptr, false);
    if (rec.is_discarded()) return DataLoss("stored credential record is malformed");
    seen = rec.value("seen", int64_t{0});
    if (now < rec.value("expires", int64_t{0}) && now - seen < idle_micros) break;
    // Another server may have kept it in use: only the stored record ends it.
    if (read.cached) {
      ASSIGN_OR_RETURN(read, cache.GetFresh(record_key));
      continue;
    }
    WriteBatch expire;
    expire.Delete(Space::kMeta, record_key);
    store_.Write(expire).IgnoreError();  // best effort: the check above already refuses it
    cache.Erase(record_key);
    return NotAuthenticated();
  }
  const std::string& raw = *read.value;

  ASSIGN_OR_RETURN(std::shared_ptr<const Account> account,
                   accounts_.LoadCached(rec.value("account", "")));
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
    std::string touched = rec.dump();
    WriteBatch touch;
    touch.Expect(Space::kMeta, record_key, raw);  // never resurrect a revoked credential
    touch.Put(Space::kMeta, record_key, touched);
    if (store_.Write(touch).ok()) {
      cache.Refresh(record_key, std::move(touched), read.epoch);
    } else {
      // Another request or server touched it (or it is gone): read it again next time.
      cache.Erase(record_key);
    }
  }

  ASSIGN_OR_RETURN(auto role_policies, accounts_.LoadRolePolicies());
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
