// The personal-data routes: look-up, search, reveal, write, erase, batch and
// a person's cases. Each is one record call: ResolveRecordCall names the
// collection, the key and the key's audit subject from the path, then the
// handler is the whole data path of its call, top to bottom: may they, the
// sealed read or write, the tripwire, the quota, the mask, and the durable
// audit entry before the answer. Which collection is keyed how, placed in
// which division and referred to by which index is the schema's to say.
#include "api/record_call.h"
#include "api/routes.h"

namespace warden::api {
namespace {

using access::Operation;
using access::QuotaKind;
using audit::AuditEvent;
using audit::AuditSubject;
using schema::CollectionSchema;
using schema::Record;

// The checks every record passes before any byte of it is served, in this
// order: tripwire (suspends the account), division scope. A record outside
// the account's scope is answered as if it did not exist (404 for a look-up,
// no hit in a search, a miss charged either way), so the answer does not tell
// that the key or phone number is in the register; the audit entry keeps the
// refusal (outcome denied, reason "division_forbidden").
Status ReleaseCheck(const RequestScope& scope, const CollectionSchema& collection,
                    const Record& record) {
  RETURN_IF_ERROR(scope.access().tripwires().CheckCanary(scope.who, collection.name,
                                                         schema::RecordKeyOf(collection, record)));
  return access::CheckDivision(scope.who, schema::RecordDivision(collection, record));
}

// The answer to a look-up that found nothing the account may see: one miss
// charged to the quota, then 404. `withheld` names the refusal for the audit
// entry when the record exists outside the account's scope.
Status AnswerMiss(const RequestScope& scope, AuditEvent& event, const Status& withheld) {
  if (!withheld.ok()) event.error_reason = withheld.reason();
  RETURN_IF_ERROR(scope.access().limits().ChargeMiss(scope.who));
  return NotFound("no such record");
}

// The records as the account may see them, each with the handle that opens
// it for this session (record_call.h).
StatusOr<http::Response> RecordsAnswer(const RequestScope& scope,
                                       const CollectionSchema& collection,
                                       const std::vector<Record>& records,
                                       const access::FieldView& view, bool truncated) {
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json handles = nlohmann::json::array();
  for (const Record& r : records) {
    results.push_back(view.Present(collection, r));
    ASSIGN_OR_RETURN(std::string handle,
                     RecordHandle(scope, collection, schema::RecordKeyOf(collection, r)));
    handles.push_back(std::move(handle));
  }
  return http::Response::Json(
      200,
      {{"results", std::move(results)}, {"handles", std::move(handles)}, {"truncated", truncated}});
}

// Serves found records: every tripwire and scope check first (so a canary
// among them suspends the account before anything is sent), then the quota
// (truncating to what is left), then the masks.
StatusOr<http::Response> ServeRecords(const RequestScope& scope, const CollectionSchema& collection,
                                      std::vector<Record> records, bool truncated,
                                      AuditEvent& event) {
  for (const Record& r : records) AddSubjects(collection, r, event.subjects);
  std::vector<AuditSubject> withheld;
  std::vector<Record> in_scope;
  for (Record& r : records) {
    Status released = ReleaseCheck(scope, collection, r);
    if (released.reason() == "division_forbidden") {
      event.error_reason = released.reason();  // answered as no hit; the trail keeps it
      AddSubjects(collection, r, withheld);
      continue;
    }
    RETURN_IF_ERROR(released);
    in_scope.push_back(std::move(r));
  }
  records = std::move(in_scope);
  if (records.empty()) RETURN_IF_ERROR(scope.access().limits().ChargeMiss(scope.who));
  if (!records.empty()) {
    ASSIGN_OR_RETURN(int64_t charged,
                     scope.access().limits().ChargeRecordsUpTo(
                         scope.who, QuotaKind::kRead, static_cast<int64_t>(records.size())));
    if (charged < static_cast<int64_t>(records.size())) {
      records.resize(static_cast<size_t>(charged));
      truncated = true;
      event.subjects = withheld;
      for (const Record& r : records) AddSubjects(collection, r, event.subjects);
    }
  }
  event.result_count = records.size();
  return RecordsAnswer(scope, collection, records, access::ViewFor(scope.who, collection.name),
                       truncated);
}

// Reads the record a call acts on and names it in the audit entry: by its
// key until it is read, then by every identifier it holds.
StatusOr<Record> ReadActedOn(const RequestScope& scope, const CollectionSchema& collection,
                             std::string_view key, AuditEvent& event) {
  ASSIGN_OR_RETURN(std::optional<Record> record, scope.barrier().Get(collection, key));
  if (!record) return NotFound("no such record");
  event.subjects.clear();
  AddSubjects(collection, *record, event.subjects);
  return std::move(*record);
}

Answer GetRecord(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  return call.Audited(Operation::kLookup, [&](AuditEvent& event) -> StatusOr<http::Response> {
    StatusOr<Record> record = ReadActedOn(scope, collection, call.key, event);
    if (record.status().code() == StatusCode::kNotFound) {
      return AnswerMiss(scope, event, Status::Ok());
    }
    RETURN_IF_ERROR(record.status());
    Status released = ReleaseCheck(scope, collection, *record);
    if (released.reason() == "division_forbidden") return AnswerMiss(scope, event, released);
    RETURN_IF_ERROR(released);
    RETURN_IF_ERROR(scope.access().limits().ChargeRecords(scope.who, QuotaKind::kRead, 1).status());
    event.result_count = 1;
    return http::Response::Json(
        200, access::ViewFor(scope.who, collection.name).Present(collection, *record));
  });
}

// The index a search body addresses: the first whose query term it forms.
StatusOr<std::pair<const schema::IndexSchema*, schema::IndexTerm>> ResolveSearch(
    const ApiContext& ctx, const CollectionSchema& collection, const nlohmann::json& query) {
  std::string searches;  // "phones; name and birth_date; name"
  for (const schema::IndexSchema& index : collection.indexes) {
    searches += searches.empty() ? "" : "; ";
    for (size_t i = 0; i < index.fields.size(); ++i) {
      searches += (i == 0 ? "" : " and ") + index.fields[i];
    }
  }
  Status last = InvalidArgument("the search names no index of this collection (" + searches + ")",
                                "query_mismatch");
  for (const schema::IndexSchema& index : collection.indexes) {
    StatusOr<schema::IndexTerm> term = schema::QueryTerm(collection, index.name, query, ctx.clock);
    if (term.ok()) return std::make_pair(&index, std::move(term).value());
    if (term.status().reason() != "query_mismatch") last = term.status();
  }
  return last;
}

// The most records one search of the account may return.
size_t ResultCap(const RequestScope& scope) {
  return static_cast<size_t>(std::max<int64_t>(1, access::ResultCap(scope.who)));
}

Answer SearchRecords(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  ASSIGN_OR_RETURN(const nlohmann::json* query, JsonObjectBody(scope.request));
  return call.Audited(std::nullopt, [&](AuditEvent& event) -> StatusOr<http::Response> {
    // A search by the key itself is a look-up that returns a list.
    if (query->size() == 1 && query->contains(collection.key_field)) {
      RETURN_IF_ERROR(call.Authorize(Operation::kSearch));
      const nlohmann::json& key = (*query)[collection.key_field];
      if (!key.is_string()) {
        return FieldInvalid(collection.key_field, "type", "the key must be a string");
      }
      ASSIGN_OR_RETURN(std::optional<Record> record,
                       scope.barrier().Get(collection, StoredKey(collection, key.get<std::string>(),
                                                                 scope.ctx.clock)));
      std::vector<Record> found;
      if (record) found.push_back(std::move(*record));
      return ServeRecords(scope, collection, std::move(found), false, event);
    }
    ASSIGN_OR_RETURN(auto resolved, ResolveSearch(scope.ctx, collection, *query));
    const auto& [index, term] = resolved;
    RETURN_IF_ERROR(call.Authorize(index->broad ? Operation::kSearchByName : Operation::kSearch));
    ASSIGN_OR_RETURN(SearchResult found,
                     scope.barrier().Search(collection, term, ResultCap(scope)));
    return ServeRecords(scope, collection, std::move(found.records), found.truncated, event);
  });
}

Answer RevealRecord(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
  return call.Audited(Operation::kReveal, [&](AuditEvent& event) -> StatusOr<http::Response> {
    auto fields_it = body->find("fields");
    if (fields_it == body->end() || !fields_it->is_array() || fields_it->empty()) {
      return FieldInvalid("fields", "required", "name the fields to reveal");
    }
    std::vector<std::string> fields;
    for (const nlohmann::json& f : *fields_it) {
      if (!f.is_string() || collection.Field(f.get<std::string>()) == nullptr) {
        return FieldInvalid("fields", "unknown_field", "every entry must name a field");
      }
      fields.push_back(f.get<std::string>());
    }
    event.fields = fields;
    ASSIGN_OR_RETURN(Record record, ReadActedOn(scope, collection, call.key, event));
    RETURN_IF_ERROR(ReleaseCheck(scope, collection, record));
    RETURN_IF_ERROR(scope.access().limits().ChargeReveal(scope.who, collection.name, fields));
    nlohmann::json out = nlohmann::json::object();
    for (const std::string& f : fields) {
      if (auto it = record.find(f); it != record.end()) out[f] = *it;
    }
    event.result_count = 1;
    return http::Response::Json(200, {{"key", call.key}, {"fields", std::move(out)}});
  });
}

// Validates `input` as a record of `collection` stored under `key`.
StatusOr<Record> ValidateForKey(const ApiContext& ctx, const CollectionSchema& collection,
                                nlohmann::json input, std::string_view key) {
  auto key_it = input.find(collection.key_field);
  if (key_it == input.end()) {
    input[collection.key_field] = std::string(key);
  }
  ASSIGN_OR_RETURN(Record record, schema::ValidateRecord(collection, input, ctx.clock));
  if (schema::RecordKeyOf(collection, record) != key) {
    return FieldInvalid(collection.key_field, "key_mismatch",
                        "the record's key differs from the key in the path");
  }
  return record;
}

Answer WriteRecord(const RecordCall& call, bool patch) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
  return call.Audited(std::nullopt, [&](AuditEvent& event) -> StatusOr<http::Response> {
    for (const auto& [field, value] : body->items()) event.fields.push_back(field);
    RETURN_IF_ERROR(call.Authorize(Operation::kWrite));
    nlohmann::json input = *body;
    if (patch) {
      ASSIGN_OR_RETURN(std::optional<Record> current, scope.barrier().Get(collection, call.key));
      if (!current) return NotFound("no such record");
      input = *current;
      input.merge_patch(*body);  // RFC 7386: null removes a field
    }
    ASSIGN_OR_RETURN(Record record,
                     ValidateForKey(scope.ctx, collection, std::move(input), call.key));
    event.subjects.clear();
    AddSubjects(collection, record, event.subjects);
    RETURN_IF_ERROR(access::CheckDivision(scope.who, schema::RecordDivision(collection, record)));
    RETURN_IF_ERROR(
        scope.access().limits().ChargeRecords(scope.who, QuotaKind::kWrite, 1).status());
    ASSIGN_OR_RETURN(bool replaced, scope.barrier().Put(collection, record));
    event.result_count = 1;
    return http::Response::Json(replaced ? 200 : 201, {{"key", call.key}, {"created", !replaced}});
  });
}

Answer EraseRecord(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  return call.Audited(Operation::kErase, [&](AuditEvent& event) -> StatusOr<http::Response> {
    ASSIGN_OR_RETURN(Record current, ReadActedOn(scope, collection, call.key, event));
    RETURN_IF_ERROR(access::CheckDivision(scope.who, schema::RecordDivision(collection, current)));
    RETURN_IF_ERROR(
        scope.access().limits().ChargeRecords(scope.who, QuotaKind::kWrite, 1).status());
    RETURN_IF_ERROR(scope.barrier().Erase(collection, call.key));
    event.result_count = 1;
    return http::Response::NoContent();
  });
}

Answer BatchUpsert(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const CollectionSchema& collection = call.collection;
  const ApiOptions& options = scope.ctx.options;
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(scope.request));
  auto records_it = body->find("records");
  if (records_it == body->end() || !records_it->is_array()) {
    return FieldInvalid("records", "required", "records must be an array");
  }
  if (records_it->size() > options.max_batch_records) {
    return PayloadTooLarge("at most " + std::to_string(options.max_batch_records) +
                           " records per batch");
  }
  return call.Audited(Operation::kWrite, [&](AuditEvent& event) -> StatusOr<http::Response> {
    // Validate everything first; only valid records are charged and written.
    std::vector<nlohmann::json> results(records_it->size());
    std::vector<Record> valid;
    std::vector<size_t> valid_at;
    for (size_t i = 0; i < records_it->size(); ++i) {
      const nlohmann::json& input = (*records_it)[i];
      StatusOr<Record> record =
          input.is_object() ? schema::ValidateRecord(collection, input, scope.ctx.clock)
                            : StatusOr<Record>(FieldInvalid("records[" + std::to_string(i) + "]",
                                                            "type", "a record must be an object"));
      if (record.ok()) {
        record = access::CheckDivision(scope.who, schema::RecordDivision(collection, *record)).ok()
                     ? std::move(record)
                     : StatusOr<Record>(PermissionDenied("outside the account's division scope",
                                                         "division_forbidden"));
      }
      if (!record.ok()) {
        nlohmann::json fields = nlohmann::json::array();
        for (const FieldViolation& v : record.status().fields()) {
          fields.push_back({{"field", v.field}, {"rule", v.rule}});
        }
        results[i] = {{"index", i},
                      {"status", HttpStatusOf(record.status().code())},
                      {"error",
                       {{"code", record.status().reason()},
                        {"message", record.status().message()},
                        {"fields", std::move(fields)}}}};
        continue;
      }
      valid.push_back(std::move(record).value());
      valid_at.push_back(i);
    }
    if (!valid.empty()) {
      RETURN_IF_ERROR(
          scope.access()
              .limits()
              .ChargeRecords(scope.who, QuotaKind::kWrite, static_cast<int64_t>(valid.size()))
              .status());
    }
    // The valid records are written together: all of them or none.
    size_t written = 0;
    if (!valid.empty()) {
      ASSIGN_OR_RETURN(std::vector<bool> replaced, scope.barrier().PutMany(collection, valid));
      for (size_t v = 0; v < valid.size(); ++v) {
        AddSubjects(collection, valid[v], event.subjects);
        results[valid_at[v]] = {{"index", valid_at[v]},
                                {"key", schema::RecordKeyOf(collection, valid[v])},
                                {"status", replaced[v] ? 200 : 201}};
      }
      written = valid.size();
    }
    event.result_count = written;
    return http::Response::Json(200, {{"written", written},
                                      {"rejected", records_it->size() - written},
                                      {"results", std::move(results)}});
  });
}

// GET /v1/persons/{id}/cases: the records of the collection the path ends in
// (cases) that refer to the record the path names (a person), through the
// index the schema marks as referring to that record's collection.
Answer ReferringRecords(const RecordCall& call) {
  const RequestScope& scope = call.scope;
  const http::Request& req = scope.request;
  ASSIGN_OR_RETURN(const CollectionSchema* listed,
                   FindCollection(scope.ctx, req.path(req.path_size() - 1)));
  return RunAudited(scope, listed->name, [&](AuditEvent& event) -> StatusOr<http::Response> {
    event.subjects.push_back(*call.subject);
    RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kSearch, listed->name));
    const schema::IndexSchema* index = listed->IndexReferringTo(call.collection.name);
    if (index == nullptr) {
      return NotFound("no index of " + listed->name + " refers to " + call.collection.name,
                      "unknown_index");
    }
    ASSIGN_OR_RETURN(schema::IndexTerm term,
                     schema::ReferenceTerm(*listed, *index, call.key, scope.ctx.clock));
    ASSIGN_OR_RETURN(SearchResult found, scope.barrier().Search(*listed, term, ResultCap(scope)));
    return ServeRecords(scope, *listed, std::move(found.records), found.truncated, event);
  });
}

}  // namespace

Status MountRecordRoutes(http::Router& router, const ApiContext& ctx) {
  auto write = [](bool patch) {
    return OnRecordCall([patch](const RecordCall& call) { return WriteRecord(call, patch); });
  };
  RETURN_IF_ERROR(MountCall(router, ctx, "getRecord", OnRecordCall(GetRecord)));
  RETURN_IF_ERROR(MountCall(router, ctx, "searchRecords", OnRecordCall(SearchRecords)));
  RETURN_IF_ERROR(MountCall(router, ctx, "revealRecord", OnRecordCall(RevealRecord)));
  RETURN_IF_ERROR(MountCall(router, ctx, "putRecord", write(/*patch=*/false)));
  RETURN_IF_ERROR(MountCall(router, ctx, "patchRecord", write(/*patch=*/true)));
  RETURN_IF_ERROR(MountCall(router, ctx, "eraseRecord", OnRecordCall(EraseRecord)));
  RETURN_IF_ERROR(MountCall(router, ctx, "batchUpsert", OnRecordCall(BatchUpsert)));
  return MountCall(router, ctx, "getPersonCases", OnRecordCall(ReferringRecords));
}

}  // namespace warden::api
