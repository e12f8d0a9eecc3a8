// ApiRoutes(): the one list of the calls of Warden's HTTP API (SPEC §5).
//
// Each entry says, in one place, how its call is authenticated, whether it
// must state a purpose and under which action the audit trail records it.
// Handlers are mounted against their entry (MountCall, MountPublicCall in
// api_context.h), which applies those rules, so a call cannot be served with
// another purpose or audit rule than its entry says. A test checks the list
// against the OpenAPI document docs/openapi.yaml in both directions, so the
// document, the list and the server cannot drift apart.
#ifndef WARDEN_API_API_ROUTES_H_
#define WARDEN_API_API_ROUTES_H_

#include <optional>
#include <span>
#include <string_view>

#include "audit/audit_entry.h"
#include "core/status.h"
#include "http/http.h"
#include "http/router.h"

namespace warden::api {

// Who may call: nobody needs credentials (kAnyone); a bearer session token
// or API key is required (kBearer); or the one-time init token of
// /v1/auth/bootstrap, which its handler checks (kInitToken). Roles are
// checked by the access layer.
enum class RouteAuth { kAnyone, kBearer, kInitToken };

struct ApiRoute {
  http::HttpMethod method;
  std::string_view pattern;
  std::string_view operation_id;  // the OpenAPI operationId
  RouteAuth auth;
  // The call reads or writes personal data, so it requires a
  // Warden-Purpose header (SPEC §4); 400 "purpose_required" without one.
  bool purpose_required;
  // The action under which the audit trail records the call, its refusals
  // (a missing purpose included) and its failures; nullopt for the calls
  // that write no entry (health, metrics). Every call that requires a
  // purpose has one.
  std::optional<audit::AuditAction> audit;
};

// Every call of SPEC §5, in the order of the SPEC table.
std::span<const ApiRoute> ApiRoutes();

// The API route for (method, pattern), or nullptr.
const ApiRoute* FindApiRoute(http::HttpMethod method, std::string_view pattern);

// The API route with this OpenAPI operationId, or nullptr.
const ApiRoute* FindApiRoute(std::string_view operation_id);

// A start-up check: OK if `router` has a route
// for every ApiRoutes() entry; otherwise kInternal naming the first missing
// call, so a server is never started with part of the API unmounted.
Status CheckApiRoutesMounted(const http::Router& router);

}  // namespace warden::api

#endif  // WARDEN_API_API_ROUTES_H_
