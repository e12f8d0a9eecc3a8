// Mounting the server's routes on a Router. Every call of SPEC §5 is mounted
// by exactly one of these; MountApi mounts them all and checks the result
// against api::ApiRoutes().
#ifndef WARDEN_SERVER_ROUTES_H_
#define WARDEN_SERVER_ROUTES_H_

#include "api/router.h"
#include "server/api_context.h"

namespace warden::server {

Status MountSystemRoutes(api::Router& router, const ApiContext& ctx);
Status MountAuthRoutes(api::Router& router, const ApiContext& ctx);
Status MountRecordRoutes(api::Router& router, const ApiContext& ctx);
Status MountAuditRoutes(api::Router& router, const ApiContext& ctx);
Status MountAdminRoutes(api::Router& router, const ApiContext& ctx);

// All of the above; kInternal if a call of SPEC §5 is left unmounted.
// `ctx` must outlive the router.
Status MountApi(api::Router& router, const ApiContext& ctx);

// The body of POST /v1/audit/trace's answer; `warden audit trace` prints the
// offline trace in the same shape.
nlohmann::json TraceReportJson(const audit::TraceReport& report);

}  // namespace warden::server

#endif  // WARDEN_SERVER_ROUTES_H_
