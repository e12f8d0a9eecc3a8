// The personal-data routes: look-up, search, reveal, write, erase, batch and
// a person's cases. Each handler is the whole data path of its call, top to
// bottom: who is asking and why, may they, the sealed read or write, the
// tripwire, the quota, the mask, and the durable audit entry before the answer.
#include <set>

#include "api/api_context.h"
#include "api/routes.h"

namespace warden::api {
namespace {

using access::Operation;
using access::QuotaKind;
using audit::AuditAction;
using audit::AuditEvent;
using audit::AuditSubject;
using audit::IdentifierKind;
using schema::CollectionSchema;
using schema::Record;

// How the audit trail names a record key of `collection`: national IDs,
// case and waybill numbers by kind; any other key as "collection/key".
AuditSubject KeySubject(const CollectionSchema& collection, std::string_view key) {
  const schema::FieldSchema* field = collection.Field(collection.key_field);
  if (field != nullptr && field->type == schema::FieldType::kCnResidentId) {
    return {IdentifierKind::kNationalId, std::string(key)};
  }
  if (collection.name == "cases") return {IdentifierKind::kCaseNumber, std::string(key)};
  if (collection.name == "deliveries") return {IdentifierKind::kWaybillNumber, std::string(key)};
  return {IdentifierKind::kOther, collection.name + "/" + std::string(key)};
}

// Adds the resident IDs and phone numbers in `value` (a scalar, a list, or
// list items that are objects) to `out`.
void AddIdentifiers(const schema::FieldSchema& field, const nlohmann::json& value,
                    std::vector<AuditSubject>& out) {
  if (value.is_array()) {
    for (const nlohmann::json& item : value) AddIdentifiers(field, item, out);
    return;
  }
  if (value.is_object()) {
    for (const schema::FieldSchema& sub : field.item_fields) {
      if (auto it = value.find(sub.name); it != value.end()) AddIdentifiers(sub, *it, out);
    }
    return;
  }
  if (!value.is_string()) return;
  switch (field.value_type()) {
    case schema::FieldType::kCnResidentId:
      out.push_back({IdentifierKind::kNationalId, value.get<std::string>()});
      break;
    case schema::FieldType::kPhone:
      out.push_back({IdentifierKind::kPhone, value.get<std::string>()});
      break;
    default:
      break;
  }
}

// The identifiers a record holds, for the audit entry (hashed there): its key
// and every resident ID and phone number in it.
void AddSubjects(const CollectionSchema& collection, const Record& record,
                 std::vector<AuditSubject>& out) {
  out.push_back(KeySubject(collection, schema::RecordKeyOf(collection, record)));
  for (const schema::FieldSchema& field : collection.fields) {
    if (field.name == collection.key_field) continue;
    if (auto it = record.find(field.name); it != record.end()) AddIdentifiers(field, *it, out);
  }
}

// The division a record belongs to, for a division-scoped account: a
// person's registration division (the first six digits of the ID number), a
// case's station; empty when the collection has none (then a scoped account
// is refused, fail closed).
std::string DivisionOf(const CollectionSchema& collection, const Record& record) {
  for (const schema::FieldSchema& field : collection.fields) {
    auto it = record.find(field.name);
    if (it == record.end() || !it->is_string()) continue;
    if (field.type == schema::FieldType::kDivisionCode && field.name == "station") {
      return it->get<std::string>();
    }
    if (field.name == collection.key_field && field.type == schema::FieldType::kCnResidentId) {
      return it->get<std::string>().substr(0, 6);
    }
  }
  return "";
}

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
  return access::CheckDivision(scope.who, DivisionOf(collection, record));
}

// The answer to a look-up that found nothing the account may see: one miss
// charged to the quota, then 404. `withheld` names the refusal for the audit
// entry when the record exists outside the account's scope.
Status AnswerMiss(const RequestScope& scope, AuditEvent& event, const Status& withheld) {
  if (!withheld.ok()) event.error_reason = withheld.reason();
  RETURN_IF_ERROR(scope.access().limits().ChargeMiss(scope.who));
  return NotFound("no such record");
}

http::Response RecordsAnswer(const CollectionSchema& collection, const std::vector<Record>& records,
                             const access::FieldView& view, bool truncated) {
  nlohmann::json results = nlohmann::json::array();
  for (const Record& r : records) results.push_back(view.Present(collection, r));
  return http::Response::Json(200, {{"results", std::move(results)}, {"truncated", truncated}});
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
    RETURN_IF_ERROR(scope.access().tripwires().CheckCanary(scope.who, collection.name,
                                                           schema::RecordKeyOf(collection, r)));
    Status st = access::CheckDivision(scope.who, DivisionOf(collection, r));
    if (!st.ok()) {
      event.error_reason = st.reason();  // answered as no hit; the trail keeps it
      AddSubjects(collection, r, withheld);
      continue;
    }
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
  return RecordsAnswer(collection, records, access::ViewFor(scope.who, collection.name), truncated);
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

Answer GetRecord(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kRead)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  const std::string key(req.Param("key"));
  return RunAudited(
      scope, AuditAction::kRead, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        event.subjects.push_back(KeySubject(*collection, key));
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kLookup, collection->name));
        StatusOr<Record> record = ReadActedOn(scope, *collection, key, event);
        if (record.status().code() == StatusCode::kNotFound) {
          return AnswerMiss(scope, event, Status::Ok());
        }
        RETURN_IF_ERROR(record.status());
        Status released = ReleaseCheck(scope, *collection, *record);
        if (released.reason() == "division_forbidden") return AnswerMiss(scope, event, released);
        RETURN_IF_ERROR(released);
        RETURN_IF_ERROR(
            scope.access().limits().ChargeRecords(scope.who, QuotaKind::kRead, 1).status());
        event.result_count = 1;
        return http::Response::Json(
            200, access::ViewFor(scope.who, collection->name).Present(*collection, *record));
      });
}

// The index a search body addresses: the first whose query term it forms.
StatusOr<std::pair<const schema::IndexSchema*, schema::IndexTerm>> ResolveSearch(
    const ApiContext& ctx, const CollectionSchema& collection, const nlohmann::json& query) {
  Status last = InvalidArgument(
      "the search names no index of this collection (phone; name and birth_date; name)",
      "query_mismatch");
  for (const schema::IndexSchema& index : collection.indexes) {
    StatusOr<schema::IndexTerm> term = schema::QueryTerm(collection, index.name, query, ctx.clock);
    if (term.ok()) return std::make_pair(&index, std::move(term).value());
    if (term.status().reason() != "query_mismatch") last = term.status();
  }
  return last;
}

Answer SearchRecords(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kSearch)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  ASSIGN_OR_RETURN(const nlohmann::json* query, JsonObjectBody(req));
  return RunAudited(
      scope, AuditAction::kSearch, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        // A search by the key itself is a look-up that returns a list.
        if (query->size() == 1 && query->contains(collection->key_field)) {
          RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kSearch, collection->name));
          const nlohmann::json& key = (*query)[collection->key_field];
          if (!key.is_string()) {
            return FieldInvalid(collection->key_field, "type", "the key must be a string");
          }
          ASSIGN_OR_RETURN(std::optional<Record> record,
                           scope.barrier().Get(*collection, key.get<std::string>()));
          std::vector<Record> found;
          if (record) found.push_back(std::move(*record));
          return ServeRecords(scope, *collection, std::move(found), false, event);
        }
        ASSIGN_OR_RETURN(auto resolved, ResolveSearch(ctx, *collection, *query));
        const auto& [index, term] = resolved;
        const bool by_name_only = index->fields.size() == 1 && index->fields[0] == "name";
        RETURN_IF_ERROR(access::Authorize(
            scope.who, by_name_only ? Operation::kSearchByName : Operation::kSearch,
            collection->name));
        const auto cap = static_cast<size_t>(std::max<int64_t>(1, access::ResultCap(scope.who)));
        ASSIGN_OR_RETURN(SearchResult found, scope.barrier().Search(*collection, term, cap));
        return ServeRecords(scope, *collection, std::move(found.records), found.truncated, event);
      });
}

Answer RevealRecord(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kReveal)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(req));
  const std::string key(req.Param("key"));
  return RunAudited(
      scope, AuditAction::kReveal, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        event.subjects.push_back(KeySubject(*collection, key));
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kReveal, collection->name));
        auto fields_it = body->find("fields");
        if (fields_it == body->end() || !fields_it->is_array() || fields_it->empty()) {
          return FieldInvalid("fields", "required", "name the fields to reveal");
        }
        std::vector<std::string> fields;
        for (const nlohmann::json& f : *fields_it) {
          if (!f.is_string() || collection->Field(f.get<std::string>()) == nullptr) {
            return FieldInvalid("fields", "unknown_field", "every entry must name a field");
          }
          fields.push_back(f.get<std::string>());
        }
        event.fields = fields;
        ASSIGN_OR_RETURN(Record record, ReadActedOn(scope, *collection, key, event));
        RETURN_IF_ERROR(ReleaseCheck(scope, *collection, record));
        RETURN_IF_ERROR(scope.access().limits().ChargeReveal(scope.who, collection->name, fields));
        nlohmann::json out = nlohmann::json::object();
        for (const std::string& f : fields) {
          if (auto it = record.find(f); it != record.end()) out[f] = *it;
        }
        event.result_count = 1;
        return http::Response::Json(200, {{"key", key}, {"fields", std::move(out)}});
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

Answer WriteRecord(const ApiContext& ctx, const http::Request& req, bool patch) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kWrite)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(req));
  const std::string key(req.Param("key"));
  return RunAudited(
      scope, AuditAction::kWrite, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        event.subjects.push_back(KeySubject(*collection, key));
        for (const auto& [field, value] : body->items()) event.fields.push_back(field);
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kWrite, collection->name));
        nlohmann::json input = *body;
        if (patch) {
          ASSIGN_OR_RETURN(std::optional<Record> current, scope.barrier().Get(*collection, key));
          if (!current) return NotFound("no such record");
          input = *current;
          input.merge_patch(*body);  // RFC 7386: null removes a field
        }
        ASSIGN_OR_RETURN(Record record, ValidateForKey(ctx, *collection, std::move(input), key));
        event.subjects.clear();
        AddSubjects(*collection, record, event.subjects);
        RETURN_IF_ERROR(access::CheckDivision(scope.who, DivisionOf(*collection, record)));
        RETURN_IF_ERROR(
            scope.access().limits().ChargeRecords(scope.who, QuotaKind::kWrite, 1).status());
        ASSIGN_OR_RETURN(bool replaced, scope.barrier().Put(*collection, record));
        event.result_count = 1;
        return http::Response::Json(replaced ? 200 : 201, {{"key", key}, {"created", !replaced}});
      });
}

Answer EraseRecord(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kErase)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  const std::string key(req.Param("key"));
  return RunAudited(
      scope, AuditAction::kErase, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        event.subjects.push_back(KeySubject(*collection, key));
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kErase, collection->name));
        ASSIGN_OR_RETURN(Record current, ReadActedOn(scope, *collection, key, event));
        RETURN_IF_ERROR(access::CheckDivision(scope.who, DivisionOf(*collection, current)));
        RETURN_IF_ERROR(
            scope.access().limits().ChargeRecords(scope.who, QuotaKind::kWrite, 1).status());
        RETURN_IF_ERROR(scope.barrier().Erase(*collection, key));
        event.result_count = 1;
        return http::Response::NoContent();
      });
}

Answer BatchUpsert(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kWrite)));
  ASSIGN_OR_RETURN(const CollectionSchema* collection,
                   FindCollection(ctx, req.Param("collection")));
  ASSIGN_OR_RETURN(const nlohmann::json* body, JsonObjectBody(req));
  auto records_it = body->find("records");
  if (records_it == body->end() || !records_it->is_array()) {
    return FieldInvalid("records", "required", "records must be an array");
  }
  if (records_it->size() > ctx.options.max_batch_records) {
    return PayloadTooLarge("at most " + std::to_string(ctx.options.max_batch_records) +
                           " records per batch");
  }
  return RunAudited(
      scope, AuditAction::kWrite, collection->name,
      [&](AuditEvent& event) -> StatusOr<http::Response> {
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kWrite, collection->name));
        // Validate everything first; only valid records are charged and written.
        std::vector<nlohmann::json> results(records_it->size());
        std::vector<Record> valid;
        std::vector<size_t> valid_at;
        for (size_t i = 0; i < records_it->size(); ++i) {
          const nlohmann::json& input = (*records_it)[i];
          StatusOr<Record> record =
              input.is_object()
                  ? schema::ValidateRecord(*collection, input, ctx.clock)
                  : StatusOr<Record>(FieldInvalid("records[" + std::to_string(i) + "]", "type",
                                                  "a record must be an object"));
          if (record.ok()) {
            record = access::CheckDivision(scope.who, DivisionOf(*collection, *record)).ok()
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
          ASSIGN_OR_RETURN(std::vector<bool> replaced, scope.barrier().PutMany(*collection, valid));
          for (size_t v = 0; v < valid.size(); ++v) {
            AddSubjects(*collection, valid[v], event.subjects);
            results[valid_at[v]] = {{"index", valid_at[v]},
                                    {"key", schema::RecordKeyOf(*collection, valid[v])},
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

Answer PersonCases(const ApiContext& ctx, const http::Request& req) {
  ASSIGN_OR_RETURN(RequestScope scope,
                   BeginRequest(ctx, req, PurposeRule::Required(AuditAction::kSearch)));
  ASSIGN_OR_RETURN(const CollectionSchema* cases, FindCollection(ctx, "cases"));
  const std::string id(req.Param("id"));
  return RunAudited(
      scope, AuditAction::kSearch, cases->name, [&](AuditEvent& event) -> StatusOr<http::Response> {
        event.subjects.push_back({IdentifierKind::kNationalId, id});
        RETURN_IF_ERROR(access::Authorize(scope.who, Operation::kSearch, cases->name));
        ASSIGN_OR_RETURN(schema::IndexTerm term,
                         schema::QueryTerm(*cases, "persons", {{"national_id", id}}, ctx.clock));
        const auto cap = static_cast<size_t>(std::max<int64_t>(1, access::ResultCap(scope.who)));
        ASSIGN_OR_RETURN(SearchResult found, scope.barrier().Search(*cases, term, cap));
        return ServeRecords(scope, *cases, std::move(found.records), found.truncated, event);
      });
}

}  // namespace

Status MountRecordRoutes(http::Router& router, const ApiContext& ctx) {
  using M = http::HttpMethod;
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kGet, "/v1/{collection}/{key}", GetRecord));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kPost, "/v1/{collection}/search", SearchRecords));
  RETURN_IF_ERROR(
      MountAudited(router, ctx, M::kPost, "/v1/{collection}/{key}/reveal", RevealRecord));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kPut, "/v1/{collection}/{key}",
                               [](const ApiContext& c, const http::Request& r) {
                                 return WriteRecord(c, r, /*patch=*/false);
                               }));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kPatch, "/v1/{collection}/{key}",
                               [](const ApiContext& c, const http::Request& r) {
                                 return WriteRecord(c, r, /*patch=*/true);
                               }));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kDelete, "/v1/{collection}/{key}", EraseRecord));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kPost, "/v1/{collection}/batch", BatchUpsert));
  RETURN_IF_ERROR(MountAudited(router, ctx, M::kGet, "/v1/persons/{id}/cases", PersonCases));
  return Status::Ok();
}

}  // namespace warden::api
