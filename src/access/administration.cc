// Administration: accounts, roles, API keys and policies. Changes that widen
// access are filed as requests for a second security officer
// (change_requests.cc).
#include "access/administration.h"

#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "access/account_store.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

namespace {

// Whether holding `role` lets an account read personal data, or manage
// accounts: granting it needs a second security officer.
bool RoleNeedsApproval(Role role) {
  switch (role) {
    case Role::kOperator:
    case Role::kAuditor:
      return false;
    case Role::kSecurityOfficer:
    case Role::kRegistrar:
    case Role::kOfficer:
    case Role::kInvestigator:
    case Role::kService:
      return true;
  }
  return true;
}

AccountInfo InfoOf(const Account& a) {
  std::string_view state_name = "active";
  if (a.state == Account::State::kAwaitingApproval) state_name = "awaiting_approval";
  if (a.state == Account::State::kAwaitingEnrolment) state_name = "awaiting_enrolment";
  return AccountInfo{
      a.id, a.username, a.kind, a.roles, a.suspended, a.suspended_reason, std::string(state_name)};
}

}  // namespace

Administration::Administration(Store& store, const Clock& clock, AccountStore& accounts,
                               AccessOptions options)
    : store_(store), clock_(clock), accounts_(accounts), options_(std::move(options)) {}

// ---- Accounts ----

StatusOr<ChangeResult> Administration::CreateHumanAccount(const Principal& actor,
                                                          std::string_view username,
                                                          const RoleSet& roles) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  RETURN_IF_ERROR(CheckRoleCombination(AccountKind::kHuman, roles));
  std::optional<std::string> name = NormalizeUsername(username);
  if (!name) return FieldInvalid("username", "format", kUsernameRule);
  Account a = Account::New(*name, AccountKind::kHuman, roles, actor.account_id, clock_.NowMicros());
  return FileNewAccount(actor, std::move(a), "username", "create_account", json::object());
}

StatusOr<ChangeResult> Administration::CreateServiceAccount(const Principal& actor,
                                                            std::string_view name,
                                                            const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::optional<std::string> normalized = NormalizeUsername(name);
  if (!normalized) return FieldInvalid("name", "format", kUsernameRule);
  RETURN_IF_ERROR(CheckPolicyCeiling(policy, options_.policy_ceiling));
  Account a = Account::New(*normalized, AccountKind::kService, {Role::kService}, actor.account_id,
                           clock_.NowMicros());
  a.policy = policy;
  return FileNewAccount(actor, std::move(a), "name", "create_service",
                        json{{"policy", json::parse(EncodePolicy(policy))}});
}

StatusOr<ChangeResult> Administration::FileNewAccount(const Principal& actor, Account account,
                                                      std::string_view name_field, std::string kind,
                                                      json detail) {
  // The account exists from now on (its name is taken) but has no
  // credential until a second officer approves (and, for a person, its
  // holder enrols).
  account.state = Account::State::kAwaitingApproval;
  Status st = accounts_.Insert(account);
  if (st.code() == StatusCode::kConflict) {
    return Conflict(std::string(name_field) + " taken", "username_taken");
  }
  RETURN_IF_ERROR(st);
  return FileRequest(actor, std::move(kind), account.id, std::move(detail));
}

StatusOr<std::vector<AccountInfo>> Administration::ListAccounts(const Principal& actor) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  ASSIGN_OR_RETURN(std::vector<Account> accounts, accounts_.LoadAll());
  std::vector<AccountInfo> out;
  out.reserve(accounts.size());
  for (const Account& a : accounts) {
    AccountInfo info = InfoOf(a);
    ASSIGN_OR_RETURN(EffectivePolicy limits, accounts_.EffectivePolicyOf(a));
    info.daily_read_quota = limits.daily_read_quota;
    info.result_cap = limits.result_cap;
    out.push_back(std::move(info));
  }
  return out;
}

StatusOr<std::vector<AccountName>> Administration::ListAccountNames(const Principal& actor) {
  if (!actor.roles.Has(Role::kAuditor) && !actor.roles.Has(Role::kSecurityOfficer)) {
    return PermissionDenied("only auditors and security officers may list account names",
                            "role_forbidden");
  }
  ASSIGN_OR_RETURN(std::vector<Account> accounts, accounts_.LoadAll());
  std::vector<AccountName> out;
  out.reserve(accounts.size());
  for (const Account& a : accounts) out.push_back({a.id, a.username, a.roles});
  return out;
}

Status Administration::SuspendAccount(const Principal& actor, std::string_view account_id,
                                      std::string_view reason) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return accounts_.Update(account_id, [&](Account& a) {
    a.suspended = true;
    a.suspended_reason = std::string(reason.substr(0, 200));
    return Status::Ok();
  });
}

Status Administration::ReinstateAccount(const Principal& actor, std::string_view account_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return accounts_.Update(account_id, [&](Account& a) {
    a.suspended = false;
    a.suspended_reason.clear();
    return Status::Ok();
  });
}

StatusOr<ChangeResult> Administration::ResetCredentials(const Principal& actor,
                                                        std::string_view account_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  if (target->kind != AccountKind::kHuman) {
    return FieldInvalid("account_id", "human_account", "only people have credentials to reset");
  }
  return FileRequest(actor, "reset_credentials", target->id, json::object());
}

// ---- Roles and policies ----

StatusOr<ChangeResult> Administration::GrantRole(const Principal& actor,
                                                 std::string_view account_id, Role role) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  RoleSet wanted = target->roles;
  wanted.Add(role);
  RETURN_IF_ERROR(CheckRoleCombination(target->kind, wanted));
  if (RoleNeedsApproval(role)) {
    return FileRequest(actor, "grant_role", target->id,
                       json{{"role", std::string(RoleName(role))}});
  }
  RETURN_IF_ERROR(accounts_.Update(account_id, [&](Account& a) {
    a.roles.Add(role);
    return CheckRoleCombination(a.kind, a.roles);
  }));
  ChangeResult done;
  done.applied = true;
  done.account_id = target->id;
  return done;
}

Status Administration::RevokeRole(const Principal& actor, std::string_view account_id, Role role) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  return accounts_.Update(account_id, [&](Account& a) {
    a.roles.Remove(role);
    return Status::Ok();
  });
}

StatusOr<ChangeResult> Administration::SetRolePolicy(const Principal& actor, Role role,
                                                     const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  // A security officer's own limits come from their role's policy.
  if (actor.roles.Has(role)) return SelfRefused();
  RETURN_IF_ERROR(CheckPolicyCeiling(policy, options_.policy_ceiling));
  ASSIGN_OR_RETURN(auto stored, accounts_.LoadRolePolicies());
  std::map<Role, Policy> proposed = *stored;
  proposed[role] = policy;
  const RoleSet just_role{role};
  if (PolicyWidens(ResolvePolicy(just_role, *stored, std::nullopt),
                   ResolvePolicy(just_role, proposed, std::nullopt))) {
    return FileRequest(
        actor, "role_policy", "",
        json{{"role", std::string(RoleName(role))}, {"policy", json::parse(EncodePolicy(policy))}});
  }
  RETURN_IF_ERROR(accounts_.StoreRolePolicy(role, policy));
  ChangeResult done;
  done.applied = true;
  return done;
}

StatusOr<ChangeResult> Administration::SetAccountPolicy(const Principal& actor,
                                                        std::string_view account_id,
                                                        const Policy& policy) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  RETURN_IF_ERROR(CheckPolicyCeiling(policy, options_.policy_ceiling));
  ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  ASSIGN_OR_RETURN(EffectivePolicy before, accounts_.EffectivePolicyOf(*target));
  Account changed = *target;
  changed.policy = policy;
  ASSIGN_OR_RETURN(EffectivePolicy after, accounts_.EffectivePolicyOf(changed));
  if (PolicyWidens(before, after)) {
    return FileRequest(actor, "account_policy", target->id,
                       json{{"policy", json::parse(EncodePolicy(policy))}});
  }
  RETURN_IF_ERROR(accounts_.Update(account_id, [&](Account& a) {
    a.policy = policy;
    return Status::Ok();
  }));
  ChangeResult done;
  done.applied = true;
  done.account_id = target->id;
  return done;
}

// ---- API keys ----

StatusOr<ChangeResult> Administration::IssueApiKey(const Principal& actor,
                                                   std::string_view account_id,
                                                   std::optional<std::chrono::seconds> ttl) {
  RETURN_IF_ERROR(RequireAdmin(actor, account_id));
  ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(account_id));
  if (!target) return NotFound("no such account", "account_not_found");
  if (target->kind != AccountKind::kService) {
    return FieldInvalid("account_id", "service_account", "API keys are for service accounts");
  }
  const auto seconds = ttl.value_or(options_.api_key_ttl);
  return FileRequest(actor, "api_key", target->id, json{{"ttl_seconds", seconds.count()}});
}

StatusOr<IssuedToken> Administration::StoreApiKey(const Account& account,
                                                  std::chrono::seconds ttl) {
  const int64_t now = clock_.NowMicros();
  IssuedToken t;
  t.token = NewToken(kApiKeyPrefix);
  t.id = NewId("k_");
  t.expires_at_micros = now + std::chrono::microseconds(ttl).count();
  t.roles = account.roles;
  const std::string hash = accounts_.TokenHashHex(t.token.view());
  json rec = {{"id", t.id},
              {"account", account.id},
              {"created", now},
              {"expires", t.expires_at_micros},
              {"seen", now}};
  WriteBatch batch;
  batch.Put(Space::kMeta, "key/" + hash, rec.dump());
  batch.Put(Space::kMeta, "keyid/" + t.id, hash);
  RETURN_IF_ERROR(store_.Write(batch));
  return t;
}

Status Administration::RevokeApiKey(const Principal& actor, std::string_view key_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  const std::string id_key = "keyid/" + std::string(key_id);
  ASSIGN_OR_RETURN(std::optional<std::string> hash, store_.Get(Space::kMeta, id_key));
  if (!hash) return NotFound("no such API key", "api_key_not_found");
  WriteBatch batch;
  batch.Delete(Space::kMeta, "key/" + *hash);
  batch.Delete(Space::kMeta, id_key);
  return accounts_.WriteAccessChange(std::move(batch));
}

StatusOr<std::vector<ApiKeyInfo>> Administration::ListApiKeys(const Principal& actor,
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

}  // namespace warden::access
