// Mounting the server's routes on a Router. Every call of SPEC §5 is mounted
// by exactly one of these; MountApi mounts them all and checks the result
// against api::ApiRoutes().
#ifndef WARDEN_API_ROUTES_H_
#define WARDEN_API_ROUTES_H_

#include "api/api_context.h"
#include "http/router.h"

namespace warden::api {

Status MountSystemRoutes(http::Router& router, const ApiContext& ctx);
Status MountAuthRoutes(http::Router& router, const ApiContext& ctx);
Status MountRecordRoutes(http::Router& router, const ApiContext& ctx);
Status MountAuditRoutes(http::Router& router, const ApiContext& ctx);
Status MountAdminRoutes(http::Router& router, const ApiContext& ctx);
Status MountExportRoutes(http::Router& router, const ApiContext& ctx);

// All of the above; kInternal if a call of SPEC §5 is left unmounted.
// `ctx` must outlive the router.
Status MountApi(http::Router& router, const ApiContext& ctx);

// The body of POST /v1/audit/trace's answer; `warden audit trace` prints the
// offline trace in the same shape.
nlohmann::json TraceReportJson(const audit::TraceReport& report);

}  // namespace warden::api

#endif  // WARDEN_API_ROUTES_H_
