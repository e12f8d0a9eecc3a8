#include "api/api_routes.h"

#include <algorithm>
#include <array>

namespace warden::api {
namespace {

using M = http::HttpMethod;
using A = audit::AuditAction;
constexpr RouteAuth kAnyone = RouteAuth::kAnyone;
constexpr RouteAuth kBearer = RouteAuth::kBearer;
constexpr std::nullopt_t kUnaudited = std::nullopt;
constexpr bool kPurpose = true;
constexpr bool kNoPurpose = false;

constexpr auto kRoutes = std::to_array<ApiRoute>({
    {M::kGet, "/healthz", "getHealth", kAnyone, kNoPurpose, kUnaudited},
    {M::kPost, "/v1/sys/unseal", "unseal", kAnyone, kNoPurpose, A::kUnseal},
    {M::kPost, "/v1/auth/bootstrap", "bootstrap", RouteAuth::kInitToken, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/auth/login", "login", kAnyone, kNoPurpose, A::kLogin},
    {M::kPost, "/v1/auth/logout", "logout", kBearer, kNoPurpose, A::kLogout},
    {M::kPost, "/v1/auth/enrol", "enrol", kAnyone, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/auth/password", "changePassword", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/{collection}/{key}", "getRecord", kBearer, kPurpose, A::kRead},
    {M::kPost, "/v1/{collection}/search", "searchRecords", kBearer, kPurpose, A::kSearch},
    {M::kPost, "/v1/{collection}/{key}/reveal", "revealRecord", kBearer, kPurpose, A::kReveal},
    {M::kPut, "/v1/{collection}/{key}", "putRecord", kBearer, kPurpose, A::kWrite},
    {M::kPatch, "/v1/{collection}/{key}", "patchRecord", kBearer, kPurpose, A::kWrite},
    {M::kDelete, "/v1/{collection}/{key}", "eraseRecord", kBearer, kPurpose, A::kErase},
    {M::kPost, "/v1/{collection}/batch", "batchUpsert", kBearer, kPurpose, A::kWrite},
    {M::kGet, "/v1/persons/{id}/cases", "getPersonCases", kBearer, kPurpose, A::kSearch},
    {M::kGet, "/v1/persons/{id}/access-report", "getAccessReport", kBearer, kPurpose,
     A::kAuditRead},
    {M::kGet, "/v1/audit", "listAudit", kBearer, kNoPurpose, A::kAuditRead},
    {M::kGet, "/v1/audit/verify", "verifyAudit", kBearer, kNoPurpose, A::kAuditRead},
    {M::kPost, "/v1/audit/trace", "traceLeak", kBearer, kPurpose, A::kAuditRead},
    {M::kGet, "/v1/admin/accounts", "listAccounts", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/accounts", "createAccount", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/admin/accounts/{account}", "getAccount", kBearer, kNoPurpose, A::kAdmin},
    {M::kPatch, "/v1/admin/accounts/{account}", "updateAccount", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/accounts/{account}/unlock", "unlockAccount", kBearer, kNoPurpose,
     A::kAdmin},
    {M::kGet, "/v1/admin/api-keys", "listApiKeys", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/api-keys", "createApiKey", kBearer, kNoPurpose, A::kAdmin},
    {M::kDelete, "/v1/admin/api-keys/{key_id}", "revokeApiKey", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/admin/policies", "listPolicies", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/admin/policies/{policy}", "getPolicy", kBearer, kNoPurpose, A::kAdmin},
    {M::kPut, "/v1/admin/policies/{policy}", "putPolicy", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/admin/requests", "listChangeRequests", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/requests/{request}/approve", "approveChangeRequest", kBearer, kNoPurpose,
     A::kAdmin},
    {M::kPost, "/v1/admin/requests/{request}/reject", "rejectChangeRequest", kBearer, kNoPurpose,
     A::kAdmin},
    {M::kGet, "/v1/admin/alerts", "listAlerts", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/alerts/{alert}/ack", "acknowledgeAlert", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/admin/canaries", "registerCanaries", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/exports/recipients", "registerExportRecipient", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/exports/recipients", "listExportRecipients", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/exports/recipients/{id}", "getExportRecipient", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/exports", "requestExport", kBearer, kPurpose, A::kExport},
    {M::kGet, "/v1/exports", "listExports", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/exports/{id}/approve", "approveExport", kBearer, kNoPurpose, A::kAdmin},
    {M::kPost, "/v1/exports/{id}/reject", "rejectExport", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/exports/{id}", "getExport", kBearer, kNoPurpose, A::kAdmin},
    {M::kGet, "/v1/exports/{id}/file", "downloadExport", kBearer, kNoPurpose, A::kExport},
    {M::kGet, "/metrics", "getMetrics", kBearer, kNoPurpose, kUnaudited},
    {M::kPost, "/v1/sys/seal", "seal", kBearer, kNoPurpose, A::kSeal},
    {M::kPost, "/v1/sys/rotate", "rotateKeys", kBearer, kNoPurpose, A::kRotate},
});

// G1: a call that reads or writes personal data is always on the trail.
static_assert(std::ranges::all_of(kRoutes, [](const ApiRoute& r) {
  return !r.purpose_required || r.audit.has_value();
}));

}  // namespace

std::span<const ApiRoute> ApiRoutes() { return kRoutes; }

const ApiRoute* FindApiRoute(http::HttpMethod method, std::string_view pattern) {
  for (const ApiRoute& r : kRoutes) {
    if (r.method == method && r.pattern == pattern) return &r;
  }
  return nullptr;
}

const ApiRoute* FindApiRoute(std::string_view operation_id) {
  for (const ApiRoute& r : kRoutes) {
    if (r.operation_id == operation_id) return &r;
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
