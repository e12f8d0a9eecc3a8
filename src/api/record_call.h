// RecordCall: what a personal-data call acts on, resolved once from its path,
// and how the audit trail names records.
//
// Every record route's path is /v1/<collection>[/<key>]/...: the collection
// is the segment after /v1 and, when the route has a parameter after it, that
// parameter is the key of a record of the collection. ResolveRecordCall turns
// the path into the collection's schema, the key as the store holds it and the
// key as the audit trail names it, so that no handler reads the path itself:
//
//   MountCall(router, ctx, "getRecord", OnRecordCall(GetRecord));
//   Answer GetRecord(const RecordCall& call) {
//     return call.Audited(Operation::kLookup, [&](AuditEvent& event) { ... });
//   }
//
// How a collection's key and fields are named on the trail (national ID,
// phone, case or waybill number) is the schema's identifier attribute.
//
// A search answers each result with a handle beside it ("h_…"): a caller
// who sees only masked keys opens a result by putting its handle where the
// key goes (GET, reveal, cases). A handle is sealed under a key this process
// draws at start, names its session, collection, record key and expiry
// (kRecordHandleTtl), and opens nothing for any other session; the read it
// makes is audited under the record's own identifiers like any look-up.
//
// Thread safety: plain values and pure functions; a RecordCall lives for its
// handler's run (it refers to the RequestScope).
#ifndef WARDEN_API_RECORD_CALL_H_
#define WARDEN_API_RECORD_CALL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_context.h"
#include "schema/record.h"

namespace warden::api {

struct RecordCall {
  const RequestScope& scope;
  const schema::CollectionSchema& collection;
  // When the path names a record: its key as the store holds it (normalised
  // as the key field is on write), and how the audit trail names it
  // (KeySubject of the normalised key). Empty and nullopt for calls on the
  // whole collection (search, batch).
  std::string key;
  std::optional<audit::AuditSubject> subject;
  // The key field's error when the path's key is not a valid key of the
  // collection (then `key` and `subject` are the key as given): the same
  // field and rule a body with that key gets. Audited answers it.
  Status key_status;

  // 403 unless the account may do `op` on the collection.
  Status Authorize(access::Operation op) const;

  // Runs `body` as the call's audited step on the collection (RunAudited):
  // the entry names the record the path names, then `op` is authorised, then
  // an invalid path key is refused (key_status) before `body` runs.
  // Without `op` the body authorises: a search knows its operation only from
  // its query, and a write first names the fields it writes, so that a
  // refused write still names them.
  Answer Audited(std::optional<access::Operation> op, const AuditedBody& body) const;
};

// The record call of `scope`'s path: 404 "unknown_collection" for a
// collection the schema does not have.
StatusOr<RecordCall> ResolveRecordCall(const RequestScope& scope);

inline constexpr int64_t kRecordHandleTtlSeconds = 15 * 60;

// The handle of the record `key` of `collection` for `scope`'s session.
StatusOr<std::string> RecordHandle(const RequestScope& scope,
                                   const schema::CollectionSchema& collection,
                                   std::string_view key);

// Whether a path's key segment is a handle rather than a key.
bool IsRecordHandle(std::string_view segment);

// The record key `handle` names: 404 "open_expired" when it is altered,
// expired, or from another session or collection.
StatusOr<std::string> KeyOfRecordHandle(const RequestScope& scope,
                                        const schema::CollectionSchema& collection,
                                        std::string_view handle);

// A handler that runs on the resolved call, for MountCall.
CallHandler OnRecordCall(std::function<Answer(const RecordCall&)> handler);

// A key a client gave, as the store holds it: normalised as the key field is
// on write (a 15-digit ID number to 18 digits). A key that does not validate
// names no stored record and is kept as given.
std::string StoredKey(const schema::CollectionSchema& collection, std::string_view given,
                      const Clock& clock);

// How the audit trail names a record key of `collection`: by the key field's
// identifier kind (a national ID, a case or waybill number); any other key as
// "collection/key".
audit::AuditSubject KeySubject(const schema::CollectionSchema& collection, std::string_view key);

// Appends the identifiers a record holds, for its audit entry: its key and
// every identifier in its other fields (resident IDs, phone numbers).
void AddSubjects(const schema::CollectionSchema& collection, const schema::Record& record,
                 std::vector<audit::AuditSubject>& out);

// Appends the identifiers in a record of unknown collection, as a leaked
// sample gives them: the value of every identifier field of the schema's
// collections that the record has, by the field's name.
void AddSampleIdentifiers(const schema::Schema& schema, const nlohmann::json& record,
                          std::vector<audit::AuditSubject>& out);

}  // namespace warden::api

#endif  // WARDEN_API_RECORD_CALL_H_
