// Health, seal and unseal, key rotation, metrics, and mounting everything.
#include "api/api_routes.h"
#include "api/console_routes.h"
#include "api/routes.h"

namespace warden::api {
namespace {

using access::Operation;
using audit::AuditAction;

// Appends an audit entry for a system event that has no session behind it.
Status AuditSystemEvent(node::UnsealedServices& services, AuditAction action,
                        const http::Request& req, std::string detail) {
  audit::AuditEvent event;
  event.action = action;
  event.actor.account = "system";
  event.actor.client_address = req.client_address;
  event.detail = std::move(detail);
  return services.audit->Append(event).status();
}

StatusOr<http::Response> Health(const ApiContext& ctx, const ApiRoute&, const http::Request&) {
  // Nothing more than the state: no version, no counts (threat: open dashboards).
  // While the audit trail cannot be written every data call answers 503, so
  // the health check says so too (and a load balancer stops sending traffic).
  std::shared_ptr<node::UnsealedServices> services = ctx.gate.services();
  if (services == nullptr) return http::Response::Json(200, {{"status", "sealed"}});
  if (!services->audit->healthy()) {
    return http::Response::Json(503, {{"status", "audit_unavailable"}});
  }
  return http::Response::Json(200, {{"status", "ok"}});
}

StatusOr<http::Response> Unseal(const ApiContext& ctx, const ApiRoute& route,
                                const http::Request& req) {
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
      RETURN_IF_ERROR(AuditSystemEvent(*services, *route.audit, req, "unsealed"));
    }
  }
  return http::Response::Json(200, {{"sealed", ctx.gate.sealed()},
                                    {"progress", progress->progress},
                                    {"threshold", progress->threshold}});
}

Answer SealNow(const RequestScope& scope) {
  Answer audited = RunAudited(scope, "", [&](audit::AuditEvent&) -> StatusOr<http::Response> {
    RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kOperate, ""));
    return http::Response::Json(200, {{"sealed", true}});
  });
  if (!audited.audit_event) return audited;
  // Synchronous on purpose: the entry is durable before the keys are dropped.
  RETURN_IF_ERROR(scope.audit().Append(*audited.audit_event).status());
  audited.audit_written = true;
  if (audited.answer.ok()) scope.ctx.gate.Seal();
  return audited;
}

// {"collection": "persons", "key": "data_key" | "kek"}: a new key version;
// existing records keep opening with theirs. {"key": "account_secret" |
// "audit_context"}: a new version of that envelope key; what it sealed before
// keeps opening.
Answer Rotate(const RequestScope& scope) {
  const ApiContext& ctx = scope.ctx;
  return RunAudited(scope, "", [&](audit::AuditEvent& event) -> StatusOr<http::Response> {
    RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kOperate, ""));
    ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
    std::string kind = body->value("key", "data_key");
    if (kind == "account_secret" || kind == "audit_context") {
      ASSIGN_OR_RETURN(uint32_t version,
                       scope.services->keys->RotateEnvelopeKey(
                           kind == "account_secret" ? "account-secret" : "audit-context"));
      event.detail = "rotate " + kind;
      return http::Response::Json(
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
    return http::Response::Json(200, {{"rotated", kind}, {"versions", versions}});
  });
}

Answer MetricsText(const RequestScope& scope) {
  RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kOperate, ""));
  http::Metrics* metrics = scope.ctx.metrics;
  std::string text = metrics ? metrics->Render() : std::string();
  return http::Response::Text(200, "text/plain; version=0.0.4", std::move(text));
}

}  // namespace

Status MountSystemRoutes(http::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountPublicCall(router, ctx, "getHealth", Health));
  RETURN_IF_ERROR(MountPublicCall(router, ctx, "unseal", Unseal));
  RETURN_IF_ERROR(MountCall(router, ctx, "seal", SealNow));
  RETURN_IF_ERROR(MountCall(router, ctx, "rotateKeys", Rotate));
  return MountCall(router, ctx, "getMetrics", MetricsText);
}

Status MountApi(http::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountSystemRoutes(router, ctx));
  RETURN_IF_ERROR(MountAuthRoutes(router, ctx));
  RETURN_IF_ERROR(MountRecordRoutes(router, ctx));
  RETURN_IF_ERROR(MountAuditRoutes(router, ctx));
  RETURN_IF_ERROR(MountAdminRoutes(router, ctx));
  RETURN_IF_ERROR(MountExportRoutes(router, ctx));
  RETURN_IF_ERROR(MountConsoleRoutes(router, ctx));
  return api::CheckApiRoutesMounted(router);
}

}  // namespace warden::api
