// Validation and normalisation of single field values (SPEC §3 types).
//
// Every function is pure and thread-safe (ICU and libphonenumber singletons
// are thread-safe). Errors are FieldInvalid statuses (422,
// "validation_failed") naming the field path and the broken rule; messages
// name the rule, never the value.
#ifndef WARDEN_SCHEMA_VALUES_H_
#define WARDEN_SCHEMA_VALUES_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "schema/resident_id.h"
#include "schema/schema.h"

namespace warden::schema {

// Default length limits, in code points, when the schema gives none.
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxAddressLength = 256;
inline constexpr size_t kMaxTextLength = 1000;
inline constexpr size_t kMaxListItems = 16;

// Unicode NFKC of well-formed UTF-8 (rule "utf8" otherwise). Text that is
// ASCII, made of NFKC-inert characters only, or that ICU's check finds
// normalised already is returned as it is without running the normaliser.
StatusOr<std::string> NormaliseNfkc(std::string_view text, std::string_view field);
// The same result, always through ICU's normaliser (the reference for the
// fast path's tests and fuzz target).
StatusOr<std::string> NormaliseNfkcSlow(std::string_view text, std::string_view field);

// libphonenumber parse (default region CN) and validity check; E.164 out.
// Rules: "format" (not a phone number), "invalid_number" (no such number range).
// Mainland mobile numbers (11 digits 13x-19x, optionally after +86, 0086 or
// 86, in groups separated by single spaces or hyphens) take a fast path that
// caches libphonenumber's verdict per five-digit prefix.
StatusOr<std::string> NormalisePhone(std::string_view text, std::string_view field);
// The same result, always through libphonenumber (the reference for the fast
// path's tests and fuzz target).
StatusOr<std::string> NormalisePhoneSlow(std::string_view text, std::string_view field);

// Normalises one scalar value `in` of type `type` under the constraints of
// `f` (for a list field, the item constraints), reporting errors at `path`.
// `today` bounds dates marked not_future and resident-ID birth dates.
StatusOr<nlohmann::json> NormaliseScalar(const FieldSchema& f, FieldType type,
                                         const nlohmann::json& in, const std::string& path,
                                         const CivilDate& today);

// Normalises one bare value of a scalar type with default constraints, for
// `warden validate --type`. kEnum, kObject and kList are rejected
// (kInvalidArgument); the error field is the type name.
StatusOr<std::string> NormaliseValue(FieldType type, std::string_view text, const Clock& clock);

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_VALUES_H_
