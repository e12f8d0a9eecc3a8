// Health, seal and unseal, key rotation, metrics, and mounting everything.
#include "api/api_routes.h"
#include "server/console_routes.h"
#include "server/routes.h"

namespace warden::server {
namespace {

using access::Operation;
using audit::AuditAction;

// Appends an audit entry for a system event that has no session behind it.
Status AuditSystemEvent(UnsealedServices& services, AuditAction action, const api::Request& req,
                        std::string detail) {
  audit::AuditEvent event;
  event.action = action;
  event.actor.account = "system";
  event.actor.client_address = req.client_address;
  event.detail = std::move(detail);
  return services.audit->Append(event).status();
}

StatusOr<api::Response> Health(const ApiContext& ctx, const api::Request&) {
  // Nothing more than the state: no version, no counts (threat: open dashboards).
  // While the audit trail cannot be written every data call answers 503, so
  // the health check says so too (and a load balancer stops sending traffic).
  std::shared_ptr<UnsealedServices> services = ctx.gate.services();
  if (services == nullptr) return api::Response::Json(200, {{"status", "sealed"}});
  if (!services->audit->healthy()) {
    return api::Response::Json(503, {{"status", "audit_unavailable"}});
  }
  return api::Response::Json(200, {{"status", "ok"}});
}

StatusOr<api::Response> Unseal(const ApiContext& ctx, const api::Request& req) {
  if (!ctx.gate.sealed()) return Conflict("the server is already unsealed", "already_unsealed");
  if (!req.json.is_object() || !req.json.contains("share") || !req.json["share"].is_string()) {
    return FieldInvalid("share", "required", "send {\"share\": \"...\"}");
  }
  std::string share = req.json["share"].get<std::string>();
  StatusOr<crypto::UnsealProgress> progress = ctx.gate.SubmitShare(share);
  SecureWipe(share);
  RETURN_IF_ERROR(progress);
  if (progress->complete) {
    if (auto services = ctx.gate.services()) {
      RETURN_IF_ERROR(AuditSystemEvent(*services, AuditAction::kUnseal, req, "unsealed"));
    }
  }
  return api::Response::Json(200, {{"sealed", ctx.gate.sealed()},
                                   {"progress", progress->progress},
                                   {"threshold", progress->threshold}});
}

StatusOr<api::Response> SealNow(const ApiContext& ctx, const api::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope, BeginRequest(ctx, req, PurposeRule::kNone));
  // Synchronous on purpose: the entry is durable before the keys are dropped.
  Answer audited =
      RunAudited(scope, AuditAction::kSeal, "", [&](audit::AuditEvent&) -> StatusOr<api::Response> {
        RETURN_IF_ERROR(scope.access().Authorize(scope.who, Operation::kOperate, ""));
        return api::Response::Json(200, {{"sealed", true}});
      });
  RETURN_IF_ERROR(scope.audit().Append(*audited.audit_event).status());
  RETURN_IF_ERROR(audited.answer);
  ctx.gate.Seal();
  return api::Response::Json(200, {{"sealed", true}});
}

// {"collection": "persons", "key": "data_key" | "kek"}: a new key version;
// existing records keep opening with theirs. {"key": "account_secret" |
// "audit_context"}: a new version of that envelope key; what it sealed before
// keeps opening.
Answer Rotate(const ApiContext& ctx, const api::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope, BeginRequest(ctx, req, PurposeRule::kNone));
  return RunAudited(
      scope, AuditAction::kRotate, "", [&](audit::AuditEvent& event) -> StatusOr<api::Response> {
        RETURN_IF_ERROR(scope.access().Authorize(scope.who, Operation::kOperate, ""));
        ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(req));
        std::string kind = body->value("key", "data_key");
        if (kind == "account_secret" || kind == "audit_context") {
          ASSIGN_OR_RETURN(uint32_t version,
                           scope.services->keys->RotateEnvelopeKey(
                               kind == "account_secret" ? "account-secret" : "audit-context"));
          event.detail = "rotate " + kind;
          return api::Response::Json(
              200, {{"rotated", kind}, {"versions", nlohmann::json{{kind, version}}}});
        }
        std::vector<std::string> collections;
        if (body->contains("collection")) {
          ASSIGN_OR_RETURN(const schema::CollectionSchema* c,
                           FindCollection(ctx, body->value("collection", "")));
          collections.push_back(c->name);
        } else {
          for (const auto& c : ctx.schema.collections()) collections.push_back(c.name);
        }
        if (kind != "data_key" && kind != "kek") {
          return FieldInvalid("key", "enum",
                              "key must be data_key, kek, account_secret or audit_context");
        }
        nlohmann::json versions = nlohmann::json::object();
        for (const std::string& c : collections) {
          StatusOr<uint32_t> v = kind == "kek" ? scope.services->keys->RotateKek(c)
                                               : scope.services->keys->RotateDataKey(c);
          RETURN_IF_ERROR(v);
          versions[c] = *v;
        }
        event.detail = "rotate " + kind;
        return api::Response::Json(200, {{"rotated", kind}, {"versions", versions}});
      });
}

StatusOr<api::Response> MetricsText(const ApiContext& ctx, const api::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope, BeginRequest(ctx, req, PurposeRule::kNone));
  RETURN_IF_ERROR(scope.access().Authorize(scope.who, Operation::kOperate, ""));
  std::string text = ctx.metrics ? ctx.metrics->Render() : std::string();
  return api::Response::Text(200, "text/plain; version=0.0.4", std::move(text));
}

}  // namespace

Status MountSystemRoutes(api::Router& router, const ApiContext& ctx) {
  using M = api::HttpMethod;
  const ApiContext* c = &ctx;
  RETURN_IF_ERROR(
      router.Add(M::kGet, "/healthz", [c](const api::Request& r) { return Health(*c, r); }));
  RETURN_IF_ERROR(
      router.Add(M::kPost, "/v1/sys/unseal", [c](const api::Request& r) { return Unseal(*c, r); }));
  RETURN_IF_ERROR(
      router.Add(M::kPost, "/v1/sys/seal", [c](const api::Request& r) { return SealNow(*c, r); }));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kPost, "/v1/sys/rotate", Rotate));
  RETURN_IF_ERROR(
      router.Add(M::kGet, "/metrics", [c](const api::Request& r) { return MetricsText(*c, r); }));
  return Status::Ok();
}

Status MountApi(api::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountSystemRoutes(router, ctx));
  RETURN_IF_ERROR(MountAuthRoutes(router, ctx));
  RETURN_IF_ERROR(MountRecordRoutes(router, ctx));
  RETURN_IF_ERROR(MountAuditRoutes(router, ctx));
  RETURN_IF_ERROR(MountAdminRoutes(router, ctx));
  RETURN_IF_ERROR(MountConsoleRoutes(router, ctx));
  return api::CheckApiRoutesMounted(router);
}

}  // namespace warden::server
