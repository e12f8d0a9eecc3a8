#include "api/record_call.h"

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "crypto/primitives.h"
#include "http/router.h"

namespace warden::api {
namespace {

using audit::AuditSubject;
using audit::IdentifierKind;

// The audit trail's kind for a schema identifier.
IdentifierKind AuditKindOf(schema::IdentifierKind kind) {
  switch (kind) {
    case schema::IdentifierKind::kNationalId:
      return IdentifierKind::kNationalId;
    case schema::IdentifierKind::kPhone:
      return IdentifierKind::kPhone;
    case schema::IdentifierKind::kCaseNumber:
      return IdentifierKind::kCaseNumber;
    case schema::IdentifierKind::kWaybillNumber:
      return IdentifierKind::kWaybillNumber;
    case schema::IdentifierKind::kNone:
      break;
  }
  return IdentifierKind::kOther;
}

// Appends the identifiers in `value` (a scalar, a list, or list items that
// are objects), each by its field's identifier kind.
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
  if (!value.is_string() || field.identifier == schema::IdentifierKind::kNone) return;
  out.push_back({AuditKindOf(field.identifier), value.get<std::string>()});
}

constexpr std::string_view kHandlePrefix = "h_";
constexpr size_t kHandleNonceSize = 12;
constexpr std::string_view kHandleContext = "warden record handle v1";

// The key handles are sealed under: drawn at first use, never written
// anywhere, so a restart voids every handle.
const SecretBytes& HandleKey() {
  static const SecretBytes* key = new SecretBytes(SecretBytes::Random(32));
  return *key;
}

Status HandleRefused() {
  return NotFound("the result has expired or belongs to another session: search again",
                  "open_expired");
}

}  // namespace

StatusOr<std::string> RecordHandle(const RequestScope& scope,
                                   const schema::CollectionSchema& collection,
                                   std::string_view key) {
  const std::string sealed_fields = nlohmann::json{
      {"s", scope.who.session_id},
      {"c", collection.name},
      {"k", key},
      {"e",
       scope.ctx.clock.NowSeconds() +
           kRecordHandleTtlSeconds}}.dump();
  uint8_t nonce[kHandleNonceSize];
  crypto::RandomNonceBytes(nonce);
  ASSIGN_OR_RETURN(
      std::string sealed,
      crypto::Aes256GcmSeal(HandleKey(), nonce, AsBytes(sealed_fields), AsBytes(kHandleContext)));
  std::string bytes(reinterpret_cast<const char*>(nonce), kHandleNonceSize);
  bytes += sealed;
  return std::string(kHandlePrefix) + Base64Encode(bytes, /*url=*/true);
}

bool IsRecordHandle(std::string_view segment) { return segment.starts_with(kHandlePrefix); }

StatusOr<std::string> KeyOfRecordHandle(const RequestScope& scope,
                                        const schema::CollectionSchema& collection,
                                        std::string_view handle) {
  if (!IsRecordHandle(handle)) return HandleRefused();
  std::optional<std::string> bytes = Base64Decode(handle.substr(kHandlePrefix.size()));
  if (!bytes || bytes->size() <= kHandleNonceSize) return HandleRefused();
  const std::string_view all(*bytes);
  StatusOr<std::string> opened =
      crypto::Aes256GcmOpen(HandleKey(), AsBytes(all.substr(0, kHandleNonceSize)),
                            AsBytes(all.substr(kHandleNonceSize)), AsBytes(kHandleContext));
  if (!opened.ok()) return HandleRefused();
  const nlohmann::json fields = nlohmann::json::parse(*opened, nullptr, false);
  if (!fields.is_object() || fields.value("s", "") != scope.who.session_id ||
      scope.who.session_id.empty() || fields.value("c", "") != collection.name ||
      fields.value("e", int64_t{0}) <= scope.ctx.clock.NowSeconds()) {
    return HandleRefused();
  }
  return fields.value("k", "");
}

Status RecordCall::Authorize(access::Operation op) const {
  return access::Authorize(scope.who, op, collection.name);
}

Answer RecordCall::Audited(std::optional<access::Operation> op, const AuditedBody& body) const {
  return RunAudited(scope, collection.name,
                    [&](audit::AuditEvent& event) -> StatusOr<http::Response> {
                      if (subject) event.subjects.push_back(*subject);
                      if (op) RETURN_IF_ERROR(Authorize(*op));
                      RETURN_IF_ERROR(key_status);
                      return body(event);
                    });
}

StatusOr<RecordCall> ResolveRecordCall(const RequestScope& scope) {
  const http::Request& req = scope.request;
  ASSIGN_OR_RETURN(const schema::CollectionSchema* collection,
                   FindCollection(scope.ctx, req.path(1)));
  RecordCall call{scope, *collection, "", std::nullopt, Status::Ok()};
  const http::RouteSpec* route = req.route();
  if (route != nullptr && route->params.size() > 2 && !route->params[2].empty()) {
    const std::string_view given = req.path(2);
    if (IsRecordHandle(given)) {
      ASSIGN_OR_RETURN(call.key, KeyOfRecordHandle(scope, *collection, given));
    } else if (StatusOr<std::string> key =
                   schema::NormaliseKey(*collection, given, scope.ctx.clock);
               key.ok()) {
      call.key = std::move(key).value();
    } else {
      call.key = std::string(given);
      call.key_status = key.status();
    }
    call.subject = KeySubject(*collection, call.key);
  }
  return call;
}

CallHandler OnRecordCall(std::function<Answer(const RecordCall&)> handler) {
  return [handler = std::move(handler)](const RequestScope& scope) -> Answer {
    ASSIGN_OR_RETURN(RecordCall call, ResolveRecordCall(scope));
    return handler(call);
  };
}

std::string StoredKey(const schema::CollectionSchema& collection, std::string_view given,
                      const Clock& clock) {
  StatusOr<std::string> key = schema::NormaliseKey(collection, given, clock);
  return key.ok() ? std::move(key).value() : std::string(given);
}

AuditSubject KeySubject(const schema::CollectionSchema& collection, std::string_view key) {
  const schema::FieldSchema* field = collection.Field(collection.key_field);
  if (field != nullptr && field->identifier != schema::IdentifierKind::kNone) {
    return {AuditKindOf(field->identifier), std::string(key)};
  }
  return {IdentifierKind::kOther, collection.name + "/" + std::string(key)};
}

void AddSubjects(const schema::CollectionSchema& collection, const schema::Record& record,
                 std::vector<AuditSubject>& out) {
  out.push_back(KeySubject(collection, schema::RecordKeyOf(collection, record)));
  for (const schema::FieldSchema& field : collection.fields) {
    if (field.name == collection.key_field) continue;
    if (auto it = record.find(field.name); it != record.end()) AddIdentifiers(field, *it, out);
  }
}

void AddSampleIdentifiers(const schema::Schema& schema, const nlohmann::json& record,
                          std::vector<AuditSubject>& out) {
  if (!record.is_object()) return;
  for (const schema::CollectionSchema& collection : schema.collections()) {
    for (const schema::FieldSchema& field : collection.fields) {
      if (auto it = record.find(field.name); it != record.end()) AddIdentifiers(field, *it, out);
    }
  }
}

}  // namespace warden::api
