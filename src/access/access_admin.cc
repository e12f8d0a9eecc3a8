// Administration: accounts, roles with two-person approval, API keys,
// policies, alerts, canary registration.
#include <nlohmann/json.hpp>

#include "access/access_control.h"
#include "access/access_internal.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

namespace {

Status SelfRefused() {
  return PermissionDenied("no one may change their own account, roles or policy", "self_grant");
}

}  // namespace

Status AccessControl::RequireAdmin(const Principal& actor,
                                   std::string_view target_account_id) const {
  RETURN_IF_ERROR(Authorize(actor, Operation::kManageAccounts, ""));
  if (!target_account_id.empty() && actor.account_id == target_account_id) return SelfRefused();
  return Status::Ok();
}

StatusOr<Enrollment> AccessControl::CreateHumanAccount(const Principal& actor,
                                                       std::string_view username,
                                                       const SecretBytes& password,
                                                       const RoleSet& roles) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  if (roles.Has(Role::kInvestigator)) {
    return PermissionDenied("investigator is granted with GrantRole and a second approval",
                            "approval_required");
  }
  RETURN_IF_ERROR(CheckRoleCombination(AccountKind::kHuman, roles));
  std::optional<std::string> name = NormalizeUsername(username);
  if (!name) return FieldInvalid("username", "format", "3-64 characters of a-z 0-9 . _ -");
  RETURN_IF_ERROR(CheckPasswordRule(password));

  Account a;
  a.id = NewId("a_");
  a.username = *name;
  a.kind = AccountKind::kHuman;
  a.roles = roles;
  a.created_at_micros = clock_.NowMicros();
  a.created_by = actor.account_id;
  ASSIGN_OR_RETURN(std::string hash, hasher_.Hash(password));
  ASSIGN_OR_RETURN(a.password_sealed, Seal("password", a.id, AsBytes(hash)));
  SecureWipe(hash);
  // Every human account gets a second factor, whatever its roles (G10).
  ASSIGN_OR_RETURN(Enrollment e, NewEnrollment(a));

  WriteBatch batch;
  batch.Expect(Space::kMeta, UserKey(a.username), std::nullopt);
  batch.Put(Space::kMeta, AccountKey(a.id), a.Encode());
  batch.Put(Space::kMeta, UserKey(a.username), a.id);
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) return Conflict("username taken", "username_taken");
  RETURN_IF_ERROR(st);
  return e;
}

StatusOr<std::string> AccessControl::CreateServiceAccount(const Principal& actor,
                                                          std::string_view name,
                                                          const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::optional<std::string> normalized = NormalizeUsername(name);
  if (!normalized) return FieldInvalid("name", "format", "3-64 characters of a-z 0-9 . _ -");
  Account a;
  a.id = NewId("a_");
  a.username = *normalized;
  a.kind = AccountKind::kService;
  a.roles.Add(Role::kService);
  a.policy = policy;
  a.created_at_micros = clock_.NowMicros();
  a.created_by = actor.account_id;
  WriteBatch batch;
  batch.Expect(Space::kMeta, UserKey(a.username), std::nullopt);
  batch.Put(Space::kMeta, AccountKey(a.id), a.Encode());
  batch.Put(Space::kMeta, UserKey(a.username), a.id);
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) return Conflict("name taken", "username_taken");
  RETURN_IF_ERROR(st);
  return a.id;
}

StatusOr<RoleGrantResult> AccessControl::GrantRole(const Principal& actor,
                                                   std::string_view account_id, Role role) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  ASSIGN_OR_RETURN(std::optional<Account> target, LoadAccount(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  RoleSet wanted = target->roles;
  wanted.Add(role);
  RETURN_IF_ERROR(CheckRoleCombination(target->kind, wanted));

  if (role == Role::kInvestigator) {
    RoleGrantResult result;
    result.grant_id = NewId("g_");
    const int64_t now = clock_.NowMicros();
    json grant = {
        {"account", target->id},
        {"role", RoleName(role)},
        {"requested_by", actor.account_id},
        {"requested_at", now},
        {"expires", now + std::chrono::microseconds(options_.grant_approval_ttl).count()}};
    WriteBatch batch;
    batch.Put(Space::kMeta, "grant/" + result.grant_id, grant.dump());
    RETURN_IF_ERROR(store_.Write(batch));
    return result;
  }
  RETURN_IF_ERROR(UpdateAccount(account_id, [&](Account& a) {
    a.roles.Add(role);
    return CheckRoleCombination(a.kind, a.roles);
  }));
  return RoleGrantResult{true, ""};
}

Status AccessControl::ApproveRoleGrant(const Principal& actor, std::string_view grant_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  const std::string key = "grant/" + std::string(grant_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, key));
  if (!raw) return NotFound("no such pending grant", "grant_not_found");
  json grant = json::parse(*raw, nullptr, false);
  if (grant.is_discarded()) return DataLoss("stored grant is malformed");
  const std::string target = grant.value("account", "");
  if (grant.value("requested_by", "") == actor.account_id) {
    return PermissionDenied("a second security officer must approve this grant",
                            "second_approver_required");
  }
  if (target == actor.account_id) return SelfRefused();
  if (clock_.NowMicros() >= grant.value("expires", int64_t{0})) {
    return Conflict("the grant request has expired", "grant_expired");
  }
  std::optional<Role> role = ParseRole(grant.value("role", ""));
  if (!role) return DataLoss("stored grant names an unknown role");
  RETURN_IF_ERROR(UpdateAccount(target, [&](Account& a) {
    a.roles.Add(*role);
    return CheckRoleCombination(a.kind, a.roles);
  }));
  WriteBatch done;
  done.Delete(Space::kMeta, key);
  return store_.Write(done);
}

Status AccessControl::RevokeRole(const Principal& actor, std::string_view account_id, Role role) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return UpdateAccount(account_id, [&](Account& a) {
    a.roles.Remove(role);
    return Status::Ok();
  });
}

Status AccessControl::SuspendAccount(const Principal& actor, std::string_view account_id,
                                     std::string_view reason) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return UpdateAccount(account_id, [&](Account& a) {
    a.suspended = true;
    a.suspended_reason = std::string(reason.substr(0, 200));
    return Status::Ok();
  });
}

Status AccessControl::ReinstateAccount(const Principal& actor, std::string_view account_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return UpdateAccount(account_id, [&](Account& a) {
    a.suspended = false;
    a.suspended_reason.clear();
    return Status::Ok();
  });
}

StatusOr<Enrollment> AccessControl::ResetTotp(const Principal& actor, std::string_view account_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  std::optional<Enrollment> out;
  RETURN_IF_ERROR(UpdateAccount(account_id, [&](Account& a) -> Status {
    if (a.kind != AccountKind::kHuman) {
      return FieldInvalid("account_id", "human_account", "only people have a second factor");
    }
    ASSIGN_OR_RETURN(Enrollment e, NewEnrollment(a));
    out = std::move(e);
    return Status::Ok();
  }));
  return std::move(*out);
}

StatusOr<IssuedToken> AccessControl::IssueApiKey(const Principal& actor,
                                                 std::string_view account_id,
                                                 std::optional<std::chrono::seconds> ttl) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  ASSIGN_OR_RETURN(std::optional<Account> target, LoadAccount(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  if (target->kind != AccountKind::kService) {
    return FieldInvalid("account_id", "service_account", "API keys are for service accounts");
  }
  const int64_t now = clock_.NowMicros();
  IssuedToken t;
  t.token = NewToken(kApiKeyPrefix);
  t.id = NewId("k_");
  t.expires_at_micros = now + std::chrono::microseconds(ttl.value_or(options_.api_key_ttl)).count();
  t.roles = target->roles;
  const std::string hash = TokenHashHex(t.token.view());
  json rec = {{"id", t.id},
              {"account", target->id},
              {"created", now},
              {"expires", t.expires_at_micros},
              {"seen", now}};
  WriteBatch batch;
  batch.Put(Space::kMeta, "key/" + hash, rec.dump());
  batch.Put(Space::kMeta, "keyid/" + t.id, hash);
  RETURN_IF_ERROR(store_.Write(batch));
  return t;
}

Status AccessControl::RevokeApiKey(const Principal& actor, std::string_view key_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  const std::string id_key = "keyid/" + std::string(key_id);
  ASSIGN_OR_RETURN(std::optional<std::string> hash, store_.Get(Space::kMeta, id_key));
  if (!hash) return NotFound("no such API key", "api_key_not_found");
  WriteBatch batch;
  batch.Delete(Space::kMeta, "key/" + *hash);
  batch.Delete(Space::kMeta, id_key);
  return store_.Write(batch);
}

StatusOr<std::vector<ApiKeyInfo>> AccessControl::ListApiKeys(const Principal& actor,
                                                             std::string_view account_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::vector<ApiKeyInfo> out;
  std::string start = "keyid/";
  const std::string end = PrefixEnd("keyid/");
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> page, store_.Scan(Space::kMeta, start, end, 256));
    for (const KeyValue& id_entry : page) {
      ASSIGN_OR_RETURN(std::optional<std::string> raw,
                       store_.Get(Space::kMeta, "key/" + id_entry.value));
      if (!raw) continue;  // revoked between the two reads
      json rec = json::parse(*raw, nullptr, false);
      if (rec.is_discarded()) return DataLoss("stored API key record is malformed");
      ApiKeyInfo info{rec.value("id", ""), rec.value("account", ""),
                      rec.value("created", int64_t{0}), rec.value("expires", int64_t{0}),
                      rec.value("seen", int64_t{0})};
      if (!account_id.empty() && info.account_id != account_id) continue;
      out.push_back(std::move(info));
    }
    if (page.size() < 256) break;
    start = page.back().key + '\0';
  }
  return out;
}

Status AccessControl::SetRolePolicy(const Principal& actor, Role role, const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  // A security officer's own limits come from their role's policy.
  if (actor.roles.Has(role)) return SelfRefused();
  for (int attempt = 0; attempt < 8; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, kRolePoliciesKey));
    json all = raw ? json::parse(*raw, nullptr, false) : json::object();
    if (all.is_discarded()) return DataLoss("stored role policies are malformed");
    all[std::string(RoleName(role))] = json::parse(EncodePolicy(policy));
    WriteBatch batch;
    batch.Expect(Space::kMeta, std::string(kRolePoliciesKey), raw);
    batch.Put(Space::kMeta, std::string(kRolePoliciesKey), all.dump());
    Status st = store_.Write(batch);
    if (st.code() != StatusCode::kConflict) return st;
  }
  return Conflict("role policies changed concurrently; retry");
}

Status AccessControl::SetAccountPolicy(const Principal& actor, std::string_view account_id,
                                       const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return UpdateAccount(account_id, [&](Account& a) {
    a.policy = policy;
    return Status::Ok();
  });
}

StatusOr<std::vector<AccountInfo>> AccessControl::ListAccounts(const Principal& actor) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::vector<AccountInfo> out;
  std::string start = "acct/";
  const std::string end = PrefixEnd("acct/");
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> page, store_.Scan(Space::kMeta, start, end, 256));
    for (const KeyValue& kv : page) {
      ASSIGN_OR_RETURN(Account a, Account::Decode(kv.value));
      out.push_back(a.Info());
    }
    if (page.size() < 256) break;
    start = page.back().key + '\0';
  }
  return out;
}

StatusOr<std::vector<Alert>> AccessControl::ListAlerts(const Principal& actor, int64_t since_micros,
                                                       size_t limit) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::string start = "alert/";
  PutBigEndian64(start, static_cast<uint64_t>(std::max<int64_t>(since_micros, 0)));
  ASSIGN_OR_RETURN(std::vector<KeyValue> page,
                   store_.Scan(Space::kMeta, start, PrefixEnd("alert/"), limit));
  std::vector<Alert> out;
  for (const KeyValue& kv : page) {
    ASSIGN_OR_RETURN(Alert alert, DecodeAlert(kv.value));
    out.push_back(std::move(alert));
  }
  return out;
}

StatusOr<Alert> AccessControl::AcknowledgeAlert(const Principal& actor, std::string_view alert_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  ASSIGN_OR_RETURN(std::optional<std::string> key,
                   store_.Get(Space::kMeta, "alertid/" + std::string(alert_id)));
  if (!key) return NotFound("no such alert", "alert_not_found");
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, *key));
  if (!raw) return NotFound("no such alert", "alert_not_found");
  ASSIGN_OR_RETURN(Alert alert, DecodeAlert(*raw));
  // Nobody closes an alert about themselves.
  if (alert.account_id == actor.account_id) return SelfRefused();
  if (!alert.acknowledged_by.empty()) {
    return Conflict("alert already acknowledged by " + alert.acknowledged_by,
                    "already_acknowledged");
  }
  alert.acknowledged_by = actor.account_id;
  alert.acknowledged_at_micros = clock_.NowMicros();
  WriteBatch batch;
  batch.Expect(Space::kMeta, *key, *raw);  // a concurrent acknowledgement loses
  batch.Put(Space::kMeta, *key, EncodeAlert(alert));
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) {
    return Conflict("alert acknowledged concurrently", "already_acknowledged");
  }
  RETURN_IF_ERROR(st);
  return alert;
}

Status AccessControl::RegisterCanaries(const Principal& actor, std::string_view collection,
                                       const std::vector<std::string>& keys) {
  RETURN_IF_ERROR(Authorize(actor, Operation::kOperate, ""));
  return RegisterCanariesOffline(collection, keys);
}

Status AccessControl::RegisterCanariesOffline(std::string_view collection,
                                              const std::vector<std::string>& keys) {
  WriteBatch batch;
  for (const std::string& key : keys) {
    batch.Put(Space::kMeta, CanaryKey(collection, key), "");
    if (batch.size() >= 1000) {
      RETURN_IF_ERROR(store_.Write(batch));
      batch.Clear();
    }
  }
  if (!batch.empty()) RETURN_IF_ERROR(store_.Write(batch));
  return Status::Ok();
}

}  // namespace warden::access
