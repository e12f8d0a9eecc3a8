// The auditor's calls: the trail, its verification, a person's access report
// and the leak trace. The audit layer appends the auditor's own read entry
// before any answer (reading the trail is itself audited, G6).
#include <unordered_map>

#include "api/record_call.h"
#include "api/routes.h"
#include "core/bytes.h"

namespace warden::api {
namespace {

using access::Operation;

// Mounts an auditor's call: the handler runs once the account may read the
// trail. Each reads through AuditLog (Query, Verify, ReportAccess, Trace),
// which makes the reader's entry durable before it returns what was read.
Status MountAuditorCall(http::Router& router, const ApiContext& ctx, std::string_view operation_id,
                        StatusOr<http::Response> (*handler)(const RequestScope&)) {
  return MountCall(router, ctx, operation_id, [handler](const RequestScope& scope) -> Answer {
    RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kReadAudit, ""));
    Answer answer = handler(scope);
    answer.audit_written = true;
    return answer;
  });
}

// Account id -> username, so the trail names people as well as ids.
using Usernames = std::unordered_map<std::string, std::string>;

StatusOr<Usernames> UsernamesOf(const RequestScope& scope) {
  ASSIGN_OR_RETURN(std::vector<access::AccountName> accounts,
                   scope.access().administration().ListAccountNames(scope.who));
  Usernames names;
  for (access::AccountName& a : accounts) names.emplace(a.account_id, std::move(a.username));
  return names;
}

// "" for an id that names no account ("system", or none before a login).
std::string UsernameOf(const Usernames& names, const std::string& account_id) {
  auto it = names.find(account_id);
  return it == names.end() ? std::string() : it->second;
}

nlohmann::json RecordJson(const audit::AuditRecord& r, const Usernames& names) {
  const audit::AuditEntry& e = r.entry;
  nlohmann::json subjects = nlohmann::json::array();
  for (const audit::HashedSubject& s : e.subjects) {
    subjects.push_back({{"kind", audit::IdentifierKindName(s.kind)}, {"hash", HexEncode(s.hash)}});
  }
  return {{"seq", e.seq},
          {"time", FormatRfc3339(e.time_micros)},
          {"action", audit::AuditActionName(e.action)},
          {"outcome", audit::AuditOutcomeName(e.outcome)},
          {"status", e.status},
          {"error", e.error_reason},
          {"account", e.account},
          {"username", UsernameOf(names, e.account)},
          {"session", e.session},
          {"role", e.role},
          {"client_address", e.client_address},
          {"collection", e.collection},
          {"purpose", e.purpose_kind.empty() ? std::string()
                                             : e.purpose_kind + "/" + r.context.purpose_reference},
          {"reason", r.context.reason},
          {"result_count", e.result_count},
          {"subjects", std::move(subjects)}};
}

StatusOr<int64_t> TimeParam(const http::Request& req, std::string_view name, int64_t fallback) {
  const std::string* v = req.Query(name);
  if (v == nullptr) return fallback;
  // Unix seconds; RFC 3339 parsing is left to clients.
  char* end = nullptr;
  long long seconds = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || seconds < 0) {
    return FieldInvalid(std::string(name), "unix_seconds",
                        std::string(name) + " must be Unix seconds");
  }
  return static_cast<int64_t>(seconds) * 1'000'000;
}

StatusOr<http::Response> ListAudit(const RequestScope& scope) {
  const http::Request& req = scope.request;
  audit::AuditQuery query;
  ASSIGN_OR_RETURN(query.from_micros, TimeParam(req, "from", 0));
  ASSIGN_OR_RETURN(query.to_micros, TimeParam(req, "to", INT64_MAX / 2));
  if (const std::string* a = req.Query("account")) query.account = *a;
  if (const std::string* a = req.Query("action")) {
    query.action = audit::ParseAuditAction(*a);
    if (!query.action) return FieldInvalid("action", "enum", "unknown audit action");
  }
  if (const std::string* after = req.Query("after"))
    query.after_seq = std::strtoull(after->c_str(), nullptr, 10);
  if (const std::string* limit = req.Query("limit")) {
    query.limit =
        std::min<size_t>(audit::kMaxQueryLimit, std::strtoull(limit->c_str(), nullptr, 10));
  }
  ASSIGN_OR_RETURN(audit::AuditPage page, scope.audit().Query(ActorOf(scope), query));
  ASSIGN_OR_RETURN(Usernames names, UsernamesOf(scope));
  nlohmann::json entries = nlohmann::json::array();
  for (const audit::AuditRecord& r : page.records) entries.push_back(RecordJson(r, names));
  nlohmann::json out = {{"entries", std::move(entries)}};
  if (page.next_after_seq) out["next_after"] = *page.next_after_seq;
  return http::Response::Json(200, out);
}

StatusOr<http::Response> VerifyAudit(const RequestScope& scope) {
  audit::VerifyOptions options;
  options.expected_public_key = scope.audit().public_key();
  ASSIGN_OR_RETURN(audit::VerifyReport report, scope.audit().Verify(ActorOf(scope), options));
  nlohmann::json out = {
      {"ok", report.ok()},
      {"entries", report.entries},
      {"last_seq", report.last_seq},
      {"checkpoints", report.checkpoints},
      {"last_checkpoint_seq", report.last_checkpoint_seq},
      {"unsigned_entries", report.unsigned_entries},
      {"unsigned_age_seconds", static_cast<double>(report.unsigned_age_micros) / 1e6},
      {"macs_checked", report.macs_checked},
      {"summary", report.Summary()}};
  if (report.chain_break) {
    out["break"] = {{"kind", audit::ChainBreakKindName(report.chain_break->kind)},
                    {"seq", report.chain_break->seq},
                    {"message", report.chain_break->message}};
  }
  return http::Response::Json(200, out);
}

// GET /v1/persons/{id}/access-report: every entry that names the record, by
// its key as the trail names it.
StatusOr<http::Response> AccessReport(const RequestScope& scope) {
  ASSIGN_OR_RETURN(RecordCall person, ResolveRecordCall(scope));
  ASSIGN_OR_RETURN(audit::AccessReport report,
                   scope.audit().ReportAccess(ActorOf(scope), *person.subject));
  ASSIGN_OR_RETURN(Usernames names, UsernamesOf(scope));
  nlohmann::json entries = nlohmann::json::array();
  for (const audit::AuditRecord& r : report.records) entries.push_back(RecordJson(r, names));
  return http::Response::Json(200,
                              {{"entries", std::move(entries)}, {"truncated", report.truncated}});
}

// {"national_ids": [...], "phones": [...]} or {"records": [{...}, ...]} from
// which the identifiers are taken (national_id and phones of a person; the
// schema's identifier fields of any collection). Values must be normalised
// (IDs upper-case, phones E.164) as the schema layer writes them.
StatusOr<http::Response> TraceLeak(const RequestScope& scope) {
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
  std::vector<audit::AuditSubject> sample;
  auto take = [&sample](audit::IdentifierKind kind, const nlohmann::json& v) {
    if (v.is_string()) sample.push_back({kind, v.get<std::string>()});
  };
  for (const auto& id : body->value("national_ids", nlohmann::json::array()))
    take(audit::IdentifierKind::kNationalId, id);
  for (const auto& p : body->value("phones", nlohmann::json::array()))
    take(audit::IdentifierKind::kPhone, p);
  for (const auto& r : body->value("records", nlohmann::json::array())) {
    AddSampleIdentifiers(scope.ctx.schema, r, sample);
  }
  if (sample.empty()) return FieldInvalid("national_ids", "required", "the sample is empty");
  ASSIGN_OR_RETURN(audit::TraceReport report, scope.audit().Trace(ActorOf(scope), sample));
  ASSIGN_OR_RETURN(Usernames names, UsernamesOf(scope));
  nlohmann::json out = TraceReportJson(report);
  for (nlohmann::json& a : out["accounts"]) {
    a["username"] = UsernameOf(names, a["account"].get<std::string>());
  }
  return http::Response::Json(200, out);
}

}  // namespace

nlohmann::json TraceReportJson(const audit::TraceReport& report) {
  nlohmann::json accounts = nlohmann::json::array();
  for (const audit::TraceAccount& a : report.accounts) {
    nlohmann::json sessions = nlohmann::json::array();
    for (const audit::TraceSession& s : a.sessions) {
      sessions.push_back({{"session", s.session},
                          {"covered", s.covered},
                          {"first", FormatRfc3339(s.first_micros)},
                          {"last", FormatRfc3339(s.last_micros)}});
    }
    accounts.push_back({{"account", a.account},
                        {"role", a.role},
                        {"covered", a.covered},
                        {"coverage", a.coverage},
                        {"entries", a.entries},
                        {"first", FormatRfc3339(a.first_micros)},
                        {"last", FormatRfc3339(a.last_micros)},
                        {"purposes", a.purposes},
                        {"exports", a.exports},
                        {"sessions", std::move(sessions)}});
  }
  return {{"sample_size", report.sample_size},
          {"sample_matched", report.sample_matched},
          {"accounts", std::move(accounts)}};
}

Status MountAuditRoutes(http::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountAuditorCall(router, ctx, "listAudit", ListAudit));
  RETURN_IF_ERROR(MountAuditorCall(router, ctx, "verifyAudit", VerifyAudit));
  RETURN_IF_ERROR(MountAuditorCall(router, ctx, "traceLeak", TraceLeak));
  return MountAuditorCall(router, ctx, "getAccessReport", AccessReport);
}

}  // namespace warden::api
