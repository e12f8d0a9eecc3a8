// Authorization: what a Principal may do with a collection and its records,
// decided from its roles and effective policy alone (SPEC §4, G4, G7).
//
//   RETURN_IF_ERROR(Authorize(who, Operation::kLookup, "persons"));  // 403
//   ... read the record ...
//   RETURN_IF_ERROR(CheckDivision(who, division_of_record));         // 403
//   FieldView view = ViewFor(who, "persons");                        // mask per field
//
// Thread safety: pure functions of their arguments; they read no store.
#ifndef WARDEN_ACCESS_AUTHORIZATION_H_
#define WARDEN_ACCESS_AUTHORIZATION_H_

#include <cstdint>
#include <string_view>

#include "access/field_view.h"
#include "access/principal.h"
#include "access/roles.h"
#include "core/status.h"

namespace warden::access {

// 403 "role_forbidden" when no role of `who` allows `op`, or
// "collection_forbidden" when its policy narrows `op` away from `collection`
// (a service account may do only what its policy's collections name).
Status Authorize(const Principal& who, Operation op, std::string_view collection);

// 403 "division_forbidden" when the record's division code is outside the
// account's scope (fail closed on a missing code when a scope is set).
Status CheckDivision(const Principal& who, std::string_view record_division_code);

// How each field of a `collection` record is shown to `who`.
FieldView ViewFor(const Principal& who, std::string_view collection);

// The most records one search may return.
inline int64_t ResultCap(const Principal& who) { return who.policy.result_cap; }

}  // namespace warden::access

#endif  // WARDEN_ACCESS_AUTHORIZATION_H_
