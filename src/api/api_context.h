// ApiContext and RequestScope: what every route handler of the server shares,
// and the first steps of every authenticated request.
//
// A handler is mounted against its entry of ApiRoutes() (api_routes.h), by
// operationId, and the entry's rules apply before and after it runs:
//
//   MountCall(router, ctx, "getRecord", OnRecordCall(GetRecord));
//     BeginRequest, as the entry says:
//        sealed → 503, no or bad token → 401, suspended → 423, rate → 429,
//        no or bad purpose → 400 (audited under the entry's action)
//     GetRecord(call), call resolved from the path (record_call.h):
//        return call.Audited(Operation::kLookup, [&](AuditEvent& event) { ... });
//        authorise, read through the barrier, tripwire, quota, mask; the
//        audit entry (the entry's action) is durable before the answer
//        leaves (G1), and an answer whose entry cannot be written becomes 503.
//
// Thread safety: ApiContext is shared by all threads and immutable after
// start-up except through its members' own synchronisation.
#ifndef WARDEN_API_API_CONTEXT_H_
#define WARDEN_API_API_CONTEXT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "access/access_control.h"
#include "access/purpose.h"
#include "api/api_routes.h"
#include "audit/audit_entry.h"
#include "core/clock.h"
#include "http/http.h"
#include "http/metrics.h"
#include "node/seal_gate.h"
#include "schema/schema.h"

namespace warden::api {

struct ApiOptions {
  size_t max_batch_records = 1000;
  // Who may read /metrics without a token: nobody by default (operators use a token).
  bool dev_mode = false;
  // Export jobs (export_jobs.h): the directory their ciphertext files are
  // written to (empty: downloads answer 503 "not_available"), how long a job
  // lives unapproved or undownloaded, how many security officers approve
  // it, and the most records and fields one job of each role may ask for.
  std::string export_dir;
  std::chrono::seconds export_expiry{24 * 3600};
  size_t export_approvals = 1;
  size_t export_max_rows_registrar = 100'000;
  size_t export_max_rows_investigator = 10'000;
  size_t export_max_fields_registrar = 64;
  size_t export_max_fields_investigator = 8;
};

struct ApiContext {
  node::SealGate& gate;
  const schema::Schema& schema;
  const Clock& clock;
  http::Metrics* metrics = nullptr;
  ApiOptions options;
};

// An authenticated request of one call of ApiRoutes() and the services it
// runs against. Lives for the handler's run; `purpose` is set when the route
// requires one.
struct RequestScope {
  const ApiContext& ctx;
  const ApiRoute& route;
  const http::Request& request;
  std::shared_ptr<node::UnsealedServices> services;
  access::Principal who;
  std::optional<access::Purpose> purpose;

  access::AccessControl& access() const { return *services->access; }
  audit::AuditLog& audit() const { return *services->audit; }
  RecordBarrier& barrier() const { return *services->barrier; }
};

// The services or 503 "sealed".
StatusOr<std::shared_ptr<node::UnsealedServices>> RequireUnsealed(const ApiContext& ctx);

// The bearer credential of `req` or 401 "unauthenticated".
StatusOr<std::string_view> BearerToken(const http::Request& req);

// Authenticates, rate-limits and, when `route` requires it, parses the
// purpose headers; a purpose refusal (400) is audited first under the
// route's action, synchronously, and becomes 503 "audit_unavailable" when
// its entry cannot be written. MountCall runs it before every handler.
StatusOr<RequestScope> BeginRequest(const ApiContext& ctx, const ApiRoute& route,
                                    const http::Request& req);

// "officer" or "registrar,officer": the roles as the audit trail names them.
std::string RolesLabel(const access::RoleSet& roles);

// Who acted and why, for the audit entry.
audit::AuditActor ActorOf(const RequestScope& scope);

// A handler's answer and, when the call is audited, the entry that must be
// durable before the answer may leave. Built implicitly from a Status or a
// Response, so RETURN_IF_ERROR and ASSIGN_OR_RETURN work in handlers.
struct Answer {
  Answer(Status status) : answer(std::move(status)) {}              // NOLINT: implicit by design
  Answer(http::Response response) : answer(std::move(response)) {}  // NOLINT
  Answer(StatusOr<http::Response> result) : answer(std::move(result)) {}  // NOLINT

  StatusOr<http::Response> answer;
  std::optional<audit::AuditEvent> audit_event;
  std::shared_ptr<node::UnsealedServices> services;  // whose audit log takes the event
  // Set when the call's entry is durable already: written by the handler
  // because an action had to follow it (sealing drops the keys the audit log
  // needs), or by the audit log itself as part of an auditor's read. The
  // answer is then sent at once.
  bool audit_written = false;
};

using AuditedBody = std::function<StatusOr<http::Response>(audit::AuditEvent&)>;

// Runs `body` and attaches its audit entry — success, denial or failure,
// under the route's action — to the answer. MountCall releases the answer
// only once the entry is durable, and sends 503 "audit_unavailable" instead
// if it cannot be written (G1). The route must have an audit action
// (500 "internal" otherwise). A successful answer of a route with an audit
// action that carries no entry is never sent: MountCall answers 500
// "unaudited_answer" instead.
Answer RunAudited(const RequestScope& scope, std::string_view collection, const AuditedBody& body);

// An authenticated call's handler; BeginRequest has run.
using CallHandler = std::function<Answer(const RequestScope&)>;
// A handler of a call without a session (health, unseal, login, enrolment,
// bootstrap with its init token): it checks what credentials it needs.
using PublicHandler = std::function<StatusOr<http::Response>(const ApiContext&, const ApiRoute&,
                                                             const http::Request&)>;

// Mounts `handler` for the ApiRoutes() entry `operation_id` (a kBearer
// route): BeginRequest as the entry says, then the handler; an answer that
// carries an audit entry waits for it without holding an I/O thread (the
// entry joins the audit log's next group commit and the answer is sent
// from the completion). kInternal for an unknown operationId or a route of
// another RouteAuth, so a server never starts with a call mounted wrongly.
Status MountCall(http::Router& router, const ApiContext& ctx, std::string_view operation_id,
                 CallHandler handler);

// Mounts `handler`, synchronous, for the ApiRoutes() entry `operation_id`,
// a route that takes no session (kAnyone or kInitToken); kInternal
// otherwise.
Status MountPublicCall(http::Router& router, const ApiContext& ctx, std::string_view operation_id,
                       PublicHandler handler);

// The collection named by a path parameter or 404 "unknown_collection".
StatusOr<const schema::CollectionSchema*> FindCollection(const ApiContext& ctx,
                                                         std::string_view name);

// The JSON body as an object, or 400 "bad_json".
StatusOr<const nlohmann::json*> JsonObjectBody(const http::Request& req);

}  // namespace warden::api

#endif  // WARDEN_API_API_CONTEXT_H_
