#include "api/api_routes.h"

#include <array>

namespace warden::api {
namespace {

using M = http::HttpMethod;
constexpr RouteAuth kAnyone = RouteAuth::kAnyone;
constexpr RouteAuth kBearer = RouteAuth::kBearer;

constexpr auto kRoutes = std::to_array<ApiRoute>({
    {M::kGet, "/healthz", "getHealth", kAnyone, false},
    {M::kPost, "/v1/sys/unseal", "unseal", kAnyone, false},
    {M::kPost, "/v1/auth/bootstrap", "bootstrap", kBearer, false},
    {M::kPost, "/v1/auth/login", "login", kAnyone, false},
    {M::kPost, "/v1/auth/logout", "logout", kBearer, false},
    {M::kPost, "/v1/auth/enrol", "enrol", kAnyone, false},
    {M::kPost, "/v1/auth/password", "changePassword", kBearer, false},
    {M::kGet, "/v1/{collection}/{key}", "getRecord", kBearer, true},
    {M::kPost, "/v1/{collection}/search", "searchRecords", kBearer, true},
    {M::kPost, "/v1/{collection}/{key}/reveal", "revealRecord", kBearer, true},
    {M::kPut, "/v1/{collection}/{key}", "putRecord", kBearer, true},
    {M::kPatch, "/v1/{collection}/{key}", "patchRecord", kBearer, true},
    {M::kDelete, "/v1/{collection}/{key}", "eraseRecord", kBearer, true},
    {M::kPost, "/v1/{collection}/batch", "batchUpsert", kBearer, true},
    {M::kGet, "/v1/persons/{id}/cases", "getPersonCases", kBearer, true},
    {M::kGet, "/v1/persons/{id}/access-report", "getAccessReport", kBearer, true},
    {M::kGet, "/v1/audit", "listAudit", kBearer, false},
    {M::kGet, "/v1/audit/verify", "verifyAudit", kBearer, false},
    {M::kPost, "/v1/audit/trace", "traceLeak", kBearer, true},
    {M::kGet, "/v1/admin/accounts", "listAccounts", kBearer, false},
    {M::kPost, "/v1/admin/accounts", "createAccount", kBearer, false},
    {M::kGet, "/v1/admin/accounts/{account}", "getAccount", kBearer, false},
    {M::kPatch, "/v1/admin/accounts/{account}", "updateAccount", kBearer, false},
    {M::kPost, "/v1/admin/accounts/{account}/unlock", "unlockAccount", kBearer, false},
    {M::kGet, "/v1/admin/api-keys", "listApiKeys", kBearer, false},
    {M::kPost, "/v1/admin/api-keys", "createApiKey", kBearer, false},
    {M::kDelete, "/v1/admin/api-keys/{key_id}", "revokeApiKey", kBearer, false},
    {M::kGet, "/v1/admin/policies", "listPolicies", kBearer, false},
    {M::kGet, "/v1/admin/policies/{policy}", "getPolicy", kBearer, false},
    {M::kPut, "/v1/admin/policies/{policy}", "putPolicy", kBearer, false},
    {M::kGet, "/v1/admin/requests", "listChangeRequests", kBearer, false},
    {M::kPost, "/v1/admin/requests/{request}/approve", "approveChangeRequest", kBearer, false},
    {M::kPost, "/v1/admin/requests/{request}/reject", "rejectChangeRequest", kBearer, false},
    {M::kGet, "/v1/admin/alerts", "listAlerts", kBearer, false},
    {M::kPost, "/v1/admin/alerts/{alert}/ack", "acknowledgeAlert", kBearer, false},
    {M::kPost, "/v1/admin/canaries", "registerCanaries", kBearer, false},
    {M::kPost, "/v1/exports", "requestExport", kBearer, true},
    {M::kPost, "/v1/exports/{id}/approve", "approveExport", kBearer, false},
    {M::kGet, "/v1/exports/{id}", "getExport", kBearer, false},
    {M::kGet, "/metrics", "getMetrics", kBearer, false},
    {M::kPost, "/v1/sys/seal", "seal", kBearer, false},
    {M::kPost, "/v1/sys/rotate", "rotateKeys", kBearer, false},
});

}  // namespace

std::span<const ApiRoute> ApiRoutes() { return kRoutes; }

const ApiRoute* FindApiRoute(http::HttpMethod method, std::string_view pattern) {
  for (const ApiRoute& r : kRoutes) {
    if (r.method == method && r.pattern == pattern) return &r;
  }
  return nullptr;
}

Status CheckApiRoutesMounted(const http::Router& router) {
  for (const ApiRoute& r : kRoutes) {
    if (!router.Has(r.method, r.pattern)) {
      return Internal("API call " + std::string(http::HttpMethodName(r.method)) + " " +
                      std::string(r.pattern) + " has no handler");
    }
  }
  return Status::Ok();
}

}  // namespace warden::api
