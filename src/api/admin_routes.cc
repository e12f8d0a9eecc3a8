// The security officer's calls: accounts, roles, API keys, policies and
// alerts. Every call is audited as an admin action;
// none of them reads personal data.
#include "api/routes.h"

namespace warden::api {
namespace {

using access::Operation;

constexpr size_t kMaxCanariesPerCall = 1000;

nlohmann::json AccountJson(const access::AccountInfo& a) {
  return {{"account_id", a.account_id},
          {"username", a.username},
          {"kind", a.kind == access::AccountKind::kHuman ? "human" : "service"},
          {"roles", a.roles.Names()},
          {"suspended", a.suspended},
          {"suspended_reason", a.suspended_reason},
          {"state", a.state},
          {"daily_read_quota", a.daily_read_quota},
          {"result_cap", a.result_cap}};
}

// 200 when applied, 202 when a second security officer must approve.
http::Response ChangeJson(const access::ChangeResult& r) {
  nlohmann::json out = {{"applied", r.applied}};
  if (!r.request_id.empty()) out["request_id"] = r.request_id;
  if (!r.account_id.empty()) out["account_id"] = r.account_id;
  if (!r.enrolment_part.empty()) {
    out["enrolment_code_part"] = std::string(r.enrolment_part.view());
  }
  return http::Response::Json(r.applied ? 200 : 202, std::move(out));
}

StatusOr<access::Role> RoleParam(std::string_view field, const nlohmann::json& v) {
  std::optional<access::Role> role =
      v.is_string() ? access::ParseRole(v.get<std::string>()) : std::nullopt;
  if (!role) return FieldInvalid(std::string(field), "enum", "unknown role");
  return *role;
}

StatusOr<access::Policy> PolicyParam(const nlohmann::json& v) {
  if (!v.is_object()) return FieldInvalid("policy", "type", "policy must be an object");
  return access::DecodePolicy(v.dump());
}

// Runs an admin call: security officer (or as `op` says), audited with
// `detail` naming the operation (never secrets).
Answer AdminCall(const RequestScope& scope, Operation op, std::string detail,
                 const std::function<StatusOr<http::Response>(const RequestScope&)>& body) {
  return RunAudited(scope, "", [&](audit::AuditEvent& event) -> StatusOr<http::Response> {
    event.detail = std::move(detail);
    RETURN_IF_ERROR(access::Authorize(scope.who, op, ""));
    return body(scope);
  });
}

Answer ListAccounts(const RequestScope& scope) {
  return AdminCall(scope, Operation::kManageAccounts, "list accounts",
                   [](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(std::vector<access::AccountInfo> accounts,
                                      s.access().administration().ListAccounts(s.who));
                     nlohmann::json out = nlohmann::json::array();
                     for (const auto& a : accounts) out.push_back(AccountJson(a));
                     return http::Response::Json(200, {{"accounts", std::move(out)}});
                   });
}

Answer GetAccount(const RequestScope& scope) {
  const std::string id(scope.request.Param("account"));
  return AdminCall(scope, Operation::kManageAccounts, "get account " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(std::vector<access::AccountInfo> accounts,
                                      s.access().administration().ListAccounts(s.who));
                     for (const auto& a : accounts) {
                       if (a.account_id == id) return http::Response::Json(200, AccountJson(a));
                     }
                     return NotFound("no such account");
                   });
}

// {"username", "roles": [...]} for a person, or {"service": name, "policy":
// {...}} for a service account. Either waits for a second security officer;
// a person's answer carries one half of the enrolment code.
Answer CreateAccount(const RequestScope& scope) {
  return AdminCall(scope, Operation::kManageAccounts, "create account",
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
                     if (body->contains("service")) {
                       ASSIGN_OR_RETURN(
                           access::Policy policy,
                           PolicyParam(body->value("policy", nlohmann::json::object())));
                       if (!(*body)["service"].is_string())
                         return FieldInvalid("service", "type", "service must be a name");
                       ASSIGN_OR_RETURN(access::ChangeResult r,
                                        s.access().administration().CreateServiceAccount(
                                            s.who, (*body)["service"].get<std::string>(), policy));
                       return ChangeJson(r);
                     }
                     if (!body->contains("username") || !(*body)["username"].is_string()) {
                       return FieldInvalid("username", "required", "username is required");
                     }
                     if (body->contains("password")) {
                       return FieldInvalid("password", "not_accepted",
                                           "the holder sets their own password when enrolling");
                     }
                     access::RoleSet roles;
                     for (const auto& r : body->value("roles", nlohmann::json::array())) {
                       ASSIGN_OR_RETURN(access::Role role, RoleParam("roles", r));
                       roles.Add(role);
                     }
                     ASSIGN_OR_RETURN(access::ChangeResult r,
                                      s.access().administration().CreateHumanAccount(
                                          s.who, (*body)["username"].get<std::string>(), roles));
                     return ChangeJson(r);
                   });
}

// One change per call: {"grant": role} | {"revoke": role} | {"suspend":
// reason} | {"reinstate": true} | {"reset_credentials": true} | {"policy": {...}}.
Answer UpdateAccount(const RequestScope& scope) {
  const std::string id(scope.request.Param("account"));
  return AdminCall(
      scope, Operation::kManageAccounts, "update account " + id,
      [&](const RequestScope& s) -> StatusOr<http::Response> {
        ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
        if (body->size() != 1) return InvalidArgument("send exactly one change", "one_change");
        // The key and value are read from the object itself, not from the
        // iteration proxy (a temporary).
        const auto first = body->begin();
        const std::string change = first.key();
        const nlohmann::json& value = first.value();
        if (change == "grant") {
          ASSIGN_OR_RETURN(access::Role role, RoleParam("grant", value));
          ASSIGN_OR_RETURN(access::ChangeResult r,
                           s.access().administration().GrantRole(s.who, id, role));
          return ChangeJson(r);
        }
        if (change == "revoke") {
          ASSIGN_OR_RETURN(access::Role role, RoleParam("revoke", value));
          RETURN_IF_ERROR(s.access().administration().RevokeRole(s.who, id, role));
          return http::Response::Json(200, {{"revoked", value}});
        }
        if (change == "suspend" && value.is_string()) {
          RETURN_IF_ERROR(
              s.access().administration().SuspendAccount(s.who, id, value.get<std::string>()));
          return http::Response::Json(200, {{"suspended", true}});
        }
        if (change == "reinstate" && value == true) {
          RETURN_IF_ERROR(s.access().administration().ReinstateAccount(s.who, id));
          return http::Response::Json(200, {{"suspended", false}});
        }
        if (change == "reset_credentials" && value == true) {
          ASSIGN_OR_RETURN(access::ChangeResult r,
                           s.access().administration().ResetCredentials(s.who, id));
          return ChangeJson(r);
        }
        if (change == "policy") {
          ASSIGN_OR_RETURN(access::Policy policy, PolicyParam(value));
          ASSIGN_OR_RETURN(access::ChangeResult r,
                           s.access().administration().SetAccountPolicy(s.who, id, policy));
          return ChangeJson(r);
        }
        return FieldInvalid(change, "unknown_change", "unknown account change");
      });
}

Answer ListRequests(const RequestScope& scope) {
  return AdminCall(scope, Operation::kManageAccounts, "list change requests",
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(std::vector<access::ChangeRequestInfo> requests,
                                      s.access().administration().ListRequests(s.who));
                     nlohmann::json out = nlohmann::json::array();
                     for (const access::ChangeRequestInfo& r : requests) {
                       nlohmann::json item = {
                           {"request_id", r.id},
                           {"kind", r.kind},
                           {"account_id", r.account_id},
                           {"username", r.username},
                           {"requested_by", r.requested_by},
                           {"requested_at", FormatRfc3339(r.requested_at_micros)},
                           {"expires_at", FormatRfc3339(r.expires_at_micros)}};
                       if (!r.role.empty()) item["role"] = r.role;
                       if (!r.policy_json.empty())
                         item["policy"] = nlohmann::json::parse(r.policy_json);
                       out.push_back(std::move(item));
                     }
                     return http::Response::Json(200, {{"requests", std::move(out)}});
                   });
}

// Applies a request filed by another security officer. What it releases (the
// second half of an enrolment code, or an API key) is shown here, once.
Answer ApproveRequest(const RequestScope& scope) {
  const std::string id(scope.request.Param("request"));
  return AdminCall(scope, Operation::kManageAccounts, "approve change request " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(access::ApprovalResult r,
                                      s.access().administration().ApproveRequest(s.who, id));
                     nlohmann::json out = {{"approved", true}, {"kind", r.kind}};
                     if (!r.account_id.empty()) out["account_id"] = r.account_id;
                     if (!r.enrolment_part.empty()) {
                       out["enrolment_code_part"] = std::string(r.enrolment_part.view());
                     }
                     if (r.api_key) {
                       out["key_id"] = r.api_key->id;
                       out["api_key"] = std::string(r.api_key->token.view());
                       out["expires_at"] = FormatRfc3339(r.api_key->expires_at_micros);
                     }
                     return http::Response::Json(200, std::move(out));
                   });
}

Answer RejectRequest(const RequestScope& scope) {
  const std::string id(scope.request.Param("request"));
  return AdminCall(scope, Operation::kManageAccounts, "reject change request " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     RETURN_IF_ERROR(s.access().administration().RejectRequest(s.who, id));
                     return http::Response::NoContent();
                   });
}

Answer UnlockAccount(const RequestScope& scope) {
  const std::string id(scope.request.Param("account"));
  return AdminCall(scope, Operation::kManageAccounts, "unlock account " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     RETURN_IF_ERROR(s.access().administration().ReinstateAccount(s.who, id));
                     return http::Response::Json(200, {{"suspended", false}});
                   });
}

// {"account": id, "ttl_days": n}: asks for a new API key, which the
// approving security officer receives, once.
Answer CreateApiKey(const RequestScope& scope) {
  return AdminCall(
      scope, Operation::kManageAccounts, "issue api key",
      [&](const RequestScope& s) -> StatusOr<http::Response> {
        ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
        if (!body->contains("account") || !(*body)["account"].is_string()) {
          return FieldInvalid("account", "required", "account is required");
        }
        std::optional<std::chrono::seconds> ttl;
        if (body->contains("ttl_days")) {
          const auto& days = (*body)["ttl_days"];
          if (!days.is_number_integer() || days.get<int64_t>() < 1 || days.get<int64_t>() > 366) {
            return FieldInvalid("ttl_days", "range", "ttl_days must be 1-366");
          }
          ttl = std::chrono::hours(24 * days.get<int64_t>());
        }
        ASSIGN_OR_RETURN(access::ChangeResult r,
                         s.access().administration().IssueApiKey(
                             s.who, (*body)["account"].get<std::string>(), ttl));
        return ChangeJson(r);
      });
}

Answer RevokeApiKey(const RequestScope& scope) {
  const std::string id(scope.request.Param("key_id"));
  return AdminCall(scope, Operation::kManageAccounts, "revoke api key " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     RETURN_IF_ERROR(s.access().administration().RevokeApiKey(s.who, id));
                     return http::Response::NoContent();
                   });
}

Answer ListApiKeys(const RequestScope& scope) {
  const std::string* account = scope.request.Query("account");
  return AdminCall(scope, Operation::kManageAccounts, "list api keys",
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(
                         std::vector<access::ApiKeyInfo> keys,
                         s.access().administration().ListApiKeys(s.who, account ? *account : ""));
                     nlohmann::json out = nlohmann::json::array();
                     for (const access::ApiKeyInfo& k : keys) {
                       out.push_back({{"key_id", k.key_id},
                                      {"account_id", k.account_id},
                                      {"created", FormatRfc3339(k.created_micros)},
                                      {"expires_at", FormatRfc3339(k.expires_at_micros)},
                                      {"last_used", FormatRfc3339(k.last_used_micros)}});
                     }
                     return http::Response::Json(200, {{"api_keys", std::move(out)}});
                   });
}

Answer PutPolicy(const RequestScope& scope) {
  const std::string name(scope.request.Param("policy"));
  return AdminCall(scope, Operation::kManageAccounts, "set role policy " + name,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(access::Role role, RoleParam("policy", nlohmann::json(name)));
                     ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
                     ASSIGN_OR_RETURN(access::Policy policy, PolicyParam(*body));
                     ASSIGN_OR_RETURN(
                         access::ChangeResult r,
                         s.access().administration().SetRolePolicy(s.who, role, policy));
                     return ChangeJson(r);
                   });
}

// The built-in defaults of each role, or of one.
Answer GetPolicies(const RequestScope& scope, bool one) {
  const std::string name(one ? scope.request.Param("policy") : "");
  return AdminCall(scope, Operation::kManageAccounts, "read policies",
                   [&](const RequestScope&) -> StatusOr<http::Response> {
                     nlohmann::json out = nlohmann::json::object();
                     for (int r = 0; r < access::kRoleCount; ++r) {
                       const auto role = static_cast<access::Role>(r);
                       const std::string role_name(access::RoleName(role));
                       if (one && role_name != name) continue;
                       out[role_name] =
                           nlohmann::json::parse(access::EncodePolicy(access::DefaultPolicy(role)));
                     }
                     if (out.empty()) return NotFound("no such policy");
                     return http::Response::Json(200, {{"defaults", std::move(out)}});
                   });
}

nlohmann::json AlertJson(const access::Alert& a) {
  nlohmann::json out = {{"id", a.id},
                        {"kind", a.kind},
                        {"account_id", a.account_id},
                        {"time", FormatRfc3339(a.at_micros)},
                        {"detail", a.detail},
                        {"acknowledged", !a.acknowledged_by.empty()}};
  if (!a.acknowledged_by.empty()) {
    out["acknowledged_by"] = a.acknowledged_by;
    out["acknowledged_at"] = FormatRfc3339(a.acknowledged_at_micros);
  }
  return out;
}

Answer ListAlerts(const RequestScope& scope) {
  return AdminCall(scope, Operation::kManageAccounts, "list alerts",
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     int64_t since = 0;
                     if (const std::string* v = scope.request.Query("since"))
                       since = std::strtoll(v->c_str(), nullptr, 10) * 1'000'000;
                     ASSIGN_OR_RETURN(std::vector<access::Alert> alerts,
                                      s.access().tripwires().ListAlerts(s.who, since, 1000));
                     nlohmann::json out = nlohmann::json::array();
                     for (const access::Alert& a : alerts) out.push_back(AlertJson(a));
                     return http::Response::Json(200, {{"alerts", std::move(out)}});
                   });
}

Answer AcknowledgeAlert(const RequestScope& scope) {
  const std::string id(scope.request.Param("alert"));
  return AdminCall(scope, Operation::kManageAccounts, "acknowledge alert " + id,
                   [&](const RequestScope& s) -> StatusOr<http::Response> {
                     ASSIGN_OR_RETURN(access::Alert alert,
                                      s.access().tripwires().AcknowledgeAlert(s.who, id));
                     return http::Response::Json(200, AlertJson(alert));
                   });
}

// {"collection": c, "keys": [...]}: marks records as canaries (operator).
// Only keyed hashes of the pairs are kept; the answer says how many.
Answer RegisterCanaries(const RequestScope& scope) {
  return AdminCall(
      scope, Operation::kOperate, "register canaries",
      [&](const RequestScope& s) -> StatusOr<http::Response> {
        ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
        const nlohmann::json collection = body->value("collection", nlohmann::json());
        if (!collection.is_string() || !scope.ctx.schema.Find(collection.get<std::string>())) {
          return FieldInvalid("collection", "enum", "not a collection of the schema");
        }
        const nlohmann::json keys = body->value("keys", nlohmann::json());
        if (!keys.is_array() || keys.empty() || keys.size() > kMaxCanariesPerCall) {
          return FieldInvalid("keys", "size", "keys must be an array of 1-1000 record keys");
        }
        std::vector<std::string> list;
        for (const nlohmann::json& k : keys) {
          if (!k.is_string() || k.get_ref<const std::string&>().empty()) {
            return FieldInvalid("keys", "type", "every key must be a non-empty string");
          }
          list.push_back(k.get<std::string>());
        }
        RETURN_IF_ERROR(s.access().tripwires().RegisterCanaries(
            s.who, collection.get_ref<const std::string&>(), list));
        return http::Response::Json(201, {{"registered", list.size()}});
      });
}

}  // namespace

Status MountAdminRoutes(http::Router& router, const ApiContext& ctx) {
  auto policies = [](bool one) -> CallHandler {
    return [one](const RequestScope& scope) { return GetPolicies(scope, one); };
  };
  RETURN_IF_ERROR(MountCall(router, ctx, "listAccounts", ListAccounts));
  RETURN_IF_ERROR(MountCall(router, ctx, "createAccount", CreateAccount));
  RETURN_IF_ERROR(MountCall(router, ctx, "getAccount", GetAccount));
  RETURN_IF_ERROR(MountCall(router, ctx, "updateAccount", UpdateAccount));
  RETURN_IF_ERROR(MountCall(router, ctx, "unlockAccount", UnlockAccount));
  RETURN_IF_ERROR(MountCall(router, ctx, "listApiKeys", ListApiKeys));
  RETURN_IF_ERROR(MountCall(router, ctx, "createApiKey", CreateApiKey));
  RETURN_IF_ERROR(MountCall(router, ctx, "revokeApiKey", RevokeApiKey));
  RETURN_IF_ERROR(MountCall(router, ctx, "listPolicies", policies(/*one=*/false)));
  RETURN_IF_ERROR(MountCall(router, ctx, "getPolicy", policies(/*one=*/true)));
  RETURN_IF_ERROR(MountCall(router, ctx, "putPolicy", PutPolicy));
  RETURN_IF_ERROR(MountCall(router, ctx, "listChangeRequests", ListRequests));
  RETURN_IF_ERROR(MountCall(router, ctx, "approveChangeRequest", ApproveRequest));
  RETURN_IF_ERROR(MountCall(router, ctx, "rejectChangeRequest", RejectRequest));
  RETURN_IF_ERROR(MountCall(router, ctx, "listAlerts", ListAlerts));
  RETURN_IF_ERROR(MountCall(router, ctx, "acknowledgeAlert", AcknowledgeAlert));
  return MountCall(router, ctx, "registerCanaries", RegisterCanaries);
}

}  // namespace warden::api
