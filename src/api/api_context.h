// ApiContext and RequestScope: what every route handler of the server shares,
// and the first steps of every authenticated request.
//
// A personal-data request reads top to bottom as (record_routes.cc):
//
//   ASSIGN_OR_RETURN(RequestScope scope, BeginRequest(ctx, req, kNeedsPurpose));
//        sealed → 503, no or bad token → 401, suspended → 423, rate → 429,
//        no or bad purpose → 400
//   return RunAudited(scope, action, collection, [&](AuditEvent& event) { ... });
//        authorise, read through the barrier, tripwire, quota, mask; the
//        audit entry is durable before the answer leaves (G1), and an answer
//        whose entry cannot be written becomes 503.
//
// Thread safety: ApiContext is shared by all threads and immutable after
// start-up except through its members' own synchronisation.
#ifndef WARDEN_API_API_CONTEXT_H_
#define WARDEN_API_API_CONTEXT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "access/access_control.h"
#include "access/purpose.h"
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
};

struct ApiContext {
  node::SealGate& gate;
  const schema::Schema& schema;
  const Clock& clock;
  http::Metrics* metrics = nullptr;
  ApiOptions options;
};

// An authenticated request and the services it runs against.
struct RequestScope {
  const http::Request& request;
  std::shared_ptr<node::UnsealedServices> services;
  access::Principal who;
  std::optional<access::Purpose> purpose;

  access::AccessControl& access() const { return *services->access; }
  audit::AuditLog& audit() const { return *services->audit; }
  RecordBarrier& barrier() const { return *services->barrier; }
};

// Whether a request must state its purpose (Warden-Purpose), and under which
// audit action a request refused for a missing or malformed purpose is
// recorded: the refusal is audited like any other (account, session,
// action, reason), so a stolen credential cannot be tested silently.
struct PurposeRule {
  bool required = false;
  audit::AuditAction refused_as = audit::AuditAction::kRead;

  static const PurposeRule kNone;
  static constexpr PurposeRule Required(audit::AuditAction action) { return {true, action}; }
};
inline constexpr PurposeRule PurposeRule::kNone{};

// The services or 503 "sealed".
StatusOr<std::shared_ptr<node::UnsealedServices>> RequireUnsealed(const ApiContext& ctx);

// The bearer credential of `req` or 401 "unauthenticated".
StatusOr<std::string_view> BearerToken(const http::Request& req);

// Authenticates, rate-limits and (with Required) parses the purpose headers;
// a purpose refusal (400) is audited first, synchronously, and becomes 503
// "audit_unavailable" when its entry cannot be written.
StatusOr<RequestScope> BeginRequest(const ApiContext& ctx, const http::Request& req,
                                    PurposeRule purpose_rule);

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
};

// Runs `body` and attaches its audit entry — success, denial or failure — to
// the answer. MountAudited releases the answer only once the entry is durable,
// and sends 503 "audit_unavailable" instead if it cannot be written (G1).
Answer RunAudited(const RequestScope& scope, audit::AuditAction action, std::string_view collection,
                  const std::function<StatusOr<http::Response>(audit::AuditEvent&)>& body);

using AuditedHandler = std::function<Answer(const ApiContext&, const http::Request&)>;

// Mounts `handler` so that its answer waits for its audit entry without
// holding an I/O thread: the entry joins the audit log's next group commit
// and the answer is sent from the completion.
Status MountAudited(http::Router& router, const ApiContext& ctx, http::HttpMethod method,
                    std::string_view pattern, AuditedHandler handler);

// The collection named by a path parameter or 404 "unknown_collection".
StatusOr<const schema::CollectionSchema*> FindCollection(const ApiContext& ctx,
                                                         std::string_view name);

// The JSON body as an object, or 400 "bad_json".
StatusOr<const nlohmann::json*> JsonObjectBody(const http::Request& req);

}  // namespace warden::api

#endif  // WARDEN_API_API_CONTEXT_H_
