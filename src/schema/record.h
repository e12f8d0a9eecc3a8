// Records of a collection: validation on write, blind-index terms, search
// query terms, masks and keys.
//
// A Record is a JSON object of normalised values keyed by field name; list
// fields are arrays, list<object> items are objects. Every function here is
// pure and thread-safe.
#ifndef WARDEN_SCHEMA_RECORD_H_
#define WARDEN_SCHEMA_RECORD_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "schema/schema.h"

namespace warden::schema {

using Record = nlohmann::json;

// The separator between the parts of a compound index term.
inline constexpr char kIndexTermSeparator = '\x1f';

// Validates and normalises `input` (a JSON object) against `collection`.
// Returns the normalised record, or a 422 "validation_failed" Status whose
// fields() lists every violation (field path and rule) and whose message
// names the first. Unknown fields fail with rule "unknown_field", missing
// required ones with "required"; JSON null counts as absent. A resident ID
// must agree with its birth_date and gender fields (rule
// "national_id_mismatch" on those fields); when they are absent and
// optional, they are filled in from the number.
StatusOr<Record> ValidateRecord(const CollectionSchema& collection, const nlohmann::json& input,
                                const Clock& clock);

struct IndexTerm {
  std::string index;
  std::string value;
  bool operator==(const IndexTerm&) const = default;
};

// The normalised terms `record` (from ValidateRecord) contributes to each of
// the collection's blind indexes: one per list item, one compound term (parts
// joined by kIndexTermSeparator) when every part is present, none for absent
// fields. Duplicates within one index are removed.
std::vector<IndexTerm> IndexTerms(const CollectionSchema& collection, const Record& record);

// Normalises a search request for `index` into the term IndexTerms would have
// written. `query` is an object naming each field of the index (a list field
// may also be named by its item type or the index name, e.g. {"phone": ...}
// for index "phones"). Errors: kNotFound for an unknown index,
// kInvalidArgument ("query_mismatch") for missing or extra members, 422 for
// values that do not validate.
StatusOr<IndexTerm> QueryTerm(const CollectionSchema& collection, std::string_view index,
                              const nlohmann::json& query, const Clock& clock = Clock::Real());

// A copy of `record` with every field's mask rule applied (SPEC §3). Fields
// with MaskRule::kWithhold are left out.
Record MaskRecord(const CollectionSchema& collection, const Record& record);
// The masked form of one normalised scalar value.
std::string MaskValue(MaskRule rule, std::string_view value);

// The record's key (the value of the key field as text); empty if absent.
std::string RecordKeyOf(const CollectionSchema& collection, const Record& record);

// `key` as ValidateRecord normalises the key field (a 15-digit ID number to
// its 18-digit form, full-width digits folded, surrounding spaces trimmed),
// so that a key typed in a path names the record as it is stored. The
// key field's 422 when `key` is not a valid key of the collection.
StatusOr<std::string> NormaliseKey(const CollectionSchema& collection, std::string_view key,
                                   const Clock& clock);

// The division of `record` for division-scoped accounts: the value of the
// collection's division_field, the first six digits for an ID number; empty
// when the collection has none or the record lacks it.
std::string RecordDivision(const CollectionSchema& collection, const Record& record);

// The term of `index`, one that refers_to another collection, that finds the
// records of `collection` referring to the record `key` of that collection.
// Errors as QueryTerm's, naming the indexed (item) field.
StatusOr<IndexTerm> ReferenceTerm(const CollectionSchema& collection, const IndexSchema& index,
                                  std::string_view key, const Clock& clock);

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_RECORD_H_
