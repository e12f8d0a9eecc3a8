// The export calls (SPEC G4): recipients, requests, the second person's
// approval or rejection, status, and the requester's one download. The job
// logic is ExportJobs (export_jobs.h); each handler here is its call's audit
// entry and answer.
#include "api/export_jobs.h"
#include "api/routes.h"

namespace warden::api {
namespace {

using nlohmann::json;

// A recipient as the API shows it: the stored form, time in seconds.
json RecipientJson(const ExportRecipient& r) {
  json out = RecipientToJson(r);
  out["registered_at"] = r.registered_at_micros / 1'000'000;
  return out;
}

// A job as its requester and the approvers see it: never its keys.
json JobJson(const ExportJob& j) {
  return {{"id", j.id},
          {"collection", j.collection},
          {"fields", j.fields},
          {"requester", j.requester},
          {"requester_role", j.requester_role},
          {"purpose_kind", j.purpose_kind},
          {"recipient_id", j.recipient_id},
          {"state", j.state},
          {"approvers", j.approvers},
          {"approvals_required", j.approvals_required},
          {"rejected_by", j.rejected_by},
          {"failure", j.failure},
          {"records_requested", j.key_count},
          {"key_list_sha256", j.key_list_sha256},
          {"created_at", j.created_at_micros / 1'000'000},
          {"expires_at", j.expires_at_micros / 1'000'000},
          {"records_exported", j.exported_records},
          {"tracers", j.tracer_records}};
}

// Runs an export call audited under its route's action, `detail` naming it.
Answer ExportCall(
    const RequestScope& scope, std::string detail,
    const std::function<StatusOr<http::Response>(ExportJobs&, audit::AuditEvent&)>& body) {
  return RunAudited(scope, "", [&](audit::AuditEvent& event) -> StatusOr<http::Response> {
    event.detail = std::move(detail);
    ExportJobs jobs(scope);
    return body(jobs, event);
  });
}

Answer RegisterRecipient(const RequestScope& scope) {
  return ExportCall(scope, "register export recipient",
                    [&](ExportJobs& jobs, audit::AuditEvent& event) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(const json* body, JsonObjectBody(scope.request));
                      ASSIGN_OR_RETURN(ExportRecipient r, jobs.RegisterRecipient(*body));
                      event.detail = "register export recipient " + r.id + " (" + r.name + ", " +
                                     r.organisation + ")";
                      return http::Response::Json(201, RecipientJson(r));
                    });
}

Answer ListRecipients(const RequestScope& scope) {
  return ExportCall(scope, "list export recipients",
                    [&](ExportJobs& jobs, audit::AuditEvent&) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(std::vector<ExportRecipient> list, jobs.ListRecipients());
                      json out = json::array();
                      for (const ExportRecipient& r : list) out.push_back(RecipientJson(r));
                      return http::Response::Json(200, {{"recipients", std::move(out)}});
                    });
}

Answer GetRecipient(const RequestScope& scope) {
  const std::string id(scope.request.Param("id"));
  return ExportCall(
      scope, "get export recipient " + id,
      [&](ExportJobs& jobs, audit::AuditEvent&) -> StatusOr<http::Response> {
        RETURN_IF_ERROR(access::Authorize(scope.who, access::Operation::kManageAccounts, ""));
        ASSIGN_OR_RETURN(ExportRecipient r, jobs.GetRecipient(id));
        return http::Response::Json(200, RecipientJson(r));
      });
}

Answer RequestExport(const RequestScope& scope) {
  return ExportCall(scope, "export request",
                    [&](ExportJobs& jobs, audit::AuditEvent& event) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(const json* body, JsonObjectBody(scope.request));
                      ASSIGN_OR_RETURN(ExportJob job, jobs.Request(*body, event));
                      return http::Response::Json(202, JobJson(job));
                    });
}

Answer ListExports(const RequestScope& scope) {
  return ExportCall(scope, "list exports",
                    [&](ExportJobs& jobs, audit::AuditEvent&) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(std::vector<ExportJob> list, jobs.List());
                      json out = json::array();
                      for (const ExportJob& j : list) out.push_back(JobJson(j));
                      return http::Response::Json(200, {{"exports", std::move(out)}});
                    });
}

Answer GetExport(const RequestScope& scope) {
  const std::string id(scope.request.Param("id"));
  return ExportCall(scope, "get export " + id,
                    [&](ExportJobs& jobs, audit::AuditEvent&) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(ExportJob job, jobs.Get(id));
                      return http::Response::Json(200, JobJson(job));
                    });
}

Answer DecideExport(const RequestScope& scope, bool approve) {
  const std::string id(scope.request.Param("id"));
  return ExportCall(scope, (approve ? "approve export " : "reject export ") + id,
                    [&](ExportJobs& jobs, audit::AuditEvent& event) -> StatusOr<http::Response> {
                      ASSIGN_OR_RETURN(ExportJob job, approve ? jobs.Approve(id) : jobs.Reject(id));
                      event.collection = job.collection;
                      event.detail += " (now " + job.state + ", requested by " + job.requester +
                                      ", recipient " + job.recipient_id + ")";
                      return http::Response::Json(200, JobJson(job));
                    });
}

// The ciphertext, once; the entry (action export) names every exported
// identifier, so the access report and the leak trace see the export.
Answer DownloadExport(const RequestScope& scope) {
  const std::string id(scope.request.Param("id"));
  return ExportCall(
      scope, "download export " + id,
      [&](ExportJobs& jobs, audit::AuditEvent& event) -> StatusOr<http::Response> {
        ASSIGN_OR_RETURN(ExportFile file, jobs.Download(id, event));
        http::Response r =
            http::Response::Text(200, "application/octet-stream", std::move(file.ciphertext));
        r.AddHeader("Content-Disposition", "attachment; filename=\"" + id + ".jsonl.age\"");
        return r;
      });
}

}  // namespace

Status MountExportRoutes(http::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountCall(router, ctx, "registerExportRecipient", RegisterRecipient));
  RETURN_IF_ERROR(MountCall(router, ctx, "listExportRecipients", ListRecipients));
  RETURN_IF_ERROR(MountCall(router, ctx, "getExportRecipient", GetRecipient));
  RETURN_IF_ERROR(MountCall(router, ctx, "requestExport", RequestExport));
  RETURN_IF_ERROR(MountCall(router, ctx, "listExports", ListExports));
  RETURN_IF_ERROR(MountCall(router, ctx, "getExport", GetExport));
  RETURN_IF_ERROR(MountCall(router, ctx, "approveExport", [](const RequestScope& scope) {
    return DecideExport(scope, /*approve=*/true);
  }));
  RETURN_IF_ERROR(MountCall(router, ctx, "rejectExport", [](const RequestScope& scope) {
    return DecideExport(scope, /*approve=*/false);
  }));
  return MountCall(router, ctx, "downloadExport", DownloadExport);
}

}  // namespace warden::api
