// ApiRoutes(): the one list of the calls of Warden's HTTP API (SPEC §5).
//
// The server mounts handlers against it, and a test checks it against the
// OpenAPI document docs/openapi.yaml in both directions, so the document,
// the list and the server cannot drift apart.
#ifndef WARDEN_API_API_ROUTES_H_
#define WARDEN_API_API_ROUTES_H_

#include <span>
#include <string_view>

#include "core/status.h"
#include "http/http.h"
#include "http/router.h"

namespace warden::api {

// Who may call: nobody needs credentials (kAnyone), or a bearer token (a
// session token, an API key, or for /v1/auth/bootstrap the one-time init
// token) is required. Roles are checked by the access layer.
enum class RouteAuth { kAnyone, kBearer };

struct ApiRoute {
  http::HttpMethod method;
  std::string_view pattern;
  std::string_view operation_id;  // the OpenAPI operationId
  RouteAuth auth;
  // The call reads or writes personal data, so it requires a
  // Warden-Purpose header (SPEC §4); 400 "purpose_required" without one.
  bool purpose_required;
};

// Every call of SPEC §5, in the order of the SPEC table.
std::span<const ApiRoute> ApiRoutes();

// The API route for (method, pattern), or nullptr.
const ApiRoute* FindApiRoute(http::HttpMethod method, std::string_view pattern);

// A start-up check: OK if `router` has a route
// for every ApiRoutes() entry; otherwise kInternal naming the first missing
// call, so a server is never started with part of the API unmounted.
Status CheckApiRoutesMounted(const http::Router& router);

}  // namespace warden::api

#endif  // WARDEN_API_API_ROUTES_H_
