#include "api/api_context.h"

namespace warden::api {

StatusOr<std::shared_ptr<node::UnsealedServices>> RequireUnsealed(const ApiContext& ctx) {
  std::shared_ptr<node::UnsealedServices> services = ctx.gate.services();
  if (services == nullptr) return Unavailable("the server is sealed", "sealed");
  return services;
}

StatusOr<std::string_view> BearerToken(const http::Request& req) {
  const std::string* header = req.Header("authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (header == nullptr || header->size() <= kScheme.size() ||
      std::string_view(*header).substr(0, kScheme.size()) != kScheme) {
    return Unauthenticated("a bearer token is required");
  }
  return std::string_view(*header).substr(kScheme.size());
}

StatusOr<RequestScope> BeginRequest(const ApiContext& ctx, const ApiRoute& route,
                                    const http::Request& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<node::UnsealedServices> services, RequireUnsealed(ctx));
  ASSIGN_OR_RETURN(std::string_view token, BearerToken(req));
  ASSIGN_OR_RETURN(access::Principal who,
                   services->access->authenticator().Authenticate(token, req.client_address));
  RETURN_IF_ERROR(services->access->limits().CheckRate(who));
  RequestScope scope{ctx, route, req, std::move(services), std::move(who), std::nullopt};
  if (!route.purpose_required) return scope;
  const std::string* purpose = req.Header("warden-purpose");
  const std::string* reason = req.Header("warden-reason");
  StatusOr<access::Purpose> parsed = access::ParsePurpose(purpose ? *purpose : std::string_view(),
                                                          reason ? *reason : std::string_view());
  if (parsed.ok()) {
    scope.purpose = std::move(parsed).value();
    return scope;
  }
  // The refusal is audited like any other (account, session, action,
  // reason), so a stolen credential cannot be tested silently.
  if (!route.audit) return Internal("a call that requires a purpose has no audit action");
  audit::AuditEvent refusal;
  refusal.actor = ActorOf(scope);
  refusal.action = *route.audit;
  refusal.collection = std::string(req.Param("collection"));
  refusal.outcome = audit::AuditOutcome::kDenied;
  refusal.status = static_cast<uint16_t>(HttpStatusOf(parsed.status().code()));
  refusal.error_reason = parsed.status().reason();
  RETURN_IF_ERROR(scope.audit().Append(refusal).status());
  return parsed.status();
}

std::string RolesLabel(const access::RoleSet& roles) {
  std::string label;
  for (const std::string& name : roles.Names()) label += (label.empty() ? "" : ",") + name;
  return label;
}

audit::AuditActor ActorOf(const RequestScope& scope) {
  audit::AuditActor actor;
  actor.account = scope.who.account_id;
  actor.session = scope.who.session_id;
  actor.role = RolesLabel(scope.who.roles);
  actor.client_address = scope.request.client_address;
  if (scope.purpose) {
    actor.purpose_kind = std::string(access::PurposeKindName(scope.purpose->kind));
    actor.purpose_reference = scope.purpose->reference;
    actor.reason = scope.purpose->reason;
  }
  return actor;
}

Answer RunAudited(const RequestScope& scope, std::string_view collection, const AuditedBody& body) {
  if (!scope.route.audit) {
    return Internal("API call " + std::string(scope.route.operation_id) + " has no audit action");
  }
  audit::AuditEvent event;
  event.actor = ActorOf(scope);
  event.action = *scope.route.audit;
  event.collection = std::string(collection);
  StatusOr<http::Response> answer = body(event);
  // A body may name a refusal it answered as something else (a record
  // outside the division scope answered as no hit): the entry is then a
  // denial with that reason, whatever the client saw.
  if (answer.ok()) {
    event.outcome =
        event.error_reason.empty() ? audit::AuditOutcome::kSuccess : audit::AuditOutcome::kDenied;
    event.status = static_cast<uint16_t>(answer->status);
  } else {
    const Status& st = answer.status();
    const int http = HttpStatusOf(st.code());
    event.outcome = http < 500 ? audit::AuditOutcome::kDenied : audit::AuditOutcome::kFailed;
    event.status = static_cast<uint16_t>(http);
    if (event.error_reason.empty() || st.reason() != "not_found") {
      event.error_reason = st.reason();
    }
  }
  Answer out(std::move(answer));
  out.audit_event = std::move(event);
  out.services = scope.services;
  return out;
}

namespace {

// The ApiRoutes() entry `operation_id`, which must take a session (kBearer)
// exactly when `with_session`; kInternal naming the call otherwise.
StatusOr<const ApiRoute*> RouteToMount(std::string_view operation_id, bool with_session) {
  const ApiRoute* route = FindApiRoute(operation_id);
  if (route == nullptr) {
    return Internal("no API call " + std::string(operation_id) + " to mount");
  }
  if ((route->auth == RouteAuth::kBearer) != with_session) {
    return Internal("API call " + std::string(operation_id) +
                    " is mounted with other credentials than its route says");
  }
  return route;
}

// Sends `result` once its audit entry is durable; 503 "audit_unavailable"
// instead when the entry cannot be written. A route without an audit action
// answers at once; one with an action never answers success without its
// entry.
void SendWhenAudited(const ApiRoute& route, Answer result, http::Responder responder) {
  if (!result.audit_event && !result.audit_written && route.audit && result.answer.ok()) {
    return responder.Send(Internal(
        std::string(route.operation_id) + " answered without its audit entry; nothing was sent",
        "unaudited_answer"));
  }
  if (!result.audit_event || result.audit_written) return responder.Send(std::move(result.answer));
  // Responder is move-only and std::function needs a copyable callable.
  auto shared = std::make_shared<std::pair<http::Responder, StatusOr<http::Response>>>(
      std::move(responder), std::move(result.answer));
  result.services->audit->AppendAsync(*result.audit_event, [shared](StatusOr<uint64_t> seq) {
    if (seq.ok()) {
      shared->first.Send(std::move(shared->second));
    } else {
      shared->first.Send(seq.status());
    }
  });
}

}  // namespace

Status MountCall(http::Router& router, const ApiContext& ctx, std::string_view operation_id,
                 CallHandler handler) {
  ASSIGN_OR_RETURN(const ApiRoute* route, RouteToMount(operation_id, /*with_session=*/true));
  const ApiContext* c = &ctx;
  return router.AddAsync(route->method, route->pattern,
                         [c, route, handler = std::move(handler)](const http::Request& req,
                                                                  http::Responder responder) {
                           StatusOr<RequestScope> scope = BeginRequest(*c, *route, req);
                           if (!scope.ok()) return responder.Send(scope.status());
                           SendWhenAudited(*route, handler(*scope), std::move(responder));
                         });
}

Status MountPublicCall(http::Router& router, const ApiContext& ctx, std::string_view operation_id,
                       PublicHandler handler) {
  ASSIGN_OR_RETURN(const ApiRoute* route, RouteToMount(operation_id, /*with_session=*/false));
  const ApiContext* c = &ctx;
  return router.Add(route->method, route->pattern,
                    [c, route, handler = std::move(handler)](const http::Request& req) {
                      return handler(*c, *route, req);
                    });
}

StatusOr<const schema::CollectionSchema*> FindCollection(const ApiContext& ctx,
                                                         std::string_view name) {
  const schema::CollectionSchema* collection = ctx.schema.Find(name);
  if (collection == nullptr) return NotFound("no such collection", "unknown_collection");
  return collection;
}

StatusOr<const nlohmann::json*> JsonObjectBody(const http::Request& req) {
  if (!req.json.is_object()) return InvalidArgument("the body must be a JSON object", "bad_json");
  return &req.json;
}

}  // namespace warden::api
