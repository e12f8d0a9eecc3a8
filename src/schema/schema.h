// The schema: collections of records, their fields, blind indexes and masks
// (SPEC §3), and the built-in `registry` schema with `persons`, `cases` and
// `deliveries`. The file format is JSON; docs/data_model.md describes it and
// data/registry.schema.json is the built-in schema in that format.
//
// Schema objects are immutable after Parse() and safe to share between
// threads. Pointers returned by Find() and Field() live as long as the Schema.
#ifndef WARDEN_SCHEMA_SCHEMA_H_
#define WARDEN_SCHEMA_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace warden::schema {

enum class FieldType {
  kCnResidentId,
  kPhone,
  kName,
  kAddress,
  kDivisionCode,
  kDate,
  kText,
  kEnum,
  kInt,
  kBool,
  kObject,  // only as a list item: a small record with its own fields
  kList,
};

// How much harm disclosure does (PIPL's personal vs sensitive personal
// information). Lower layers may use it to choose keys and audit detail.
enum class Sensitivity { kInternal, kPersonal, kSensitive };

// How a field is shown to a role that may not reveal it (SPEC §3).
enum class MaskRule {
  kNone,              // shown as is
  kIdNumber,          // 31****************: the province (first 2 digits) only
  kDivisionProvince,  // 310115 -> 310000: the province of a division code
  kPhone,             // +86 138****5678
  kName,              // 张* / J*** S****
  kYearOnly,          // 1987
  kAddressDistrict,   // 上海市浦东新区*** : division names only
  kWithhold,          // not shown at all
};

enum class IndexKind { kNone, kExact };

// How the audit trail names a value of a field, so that a leaked value hashes
// to what the trail recorded (docs/audit_format.md, "What is clear, hashed and
// sealed"). The names are the trail's identifier kinds.
enum class IdentifierKind {
  kNone,           // not an identifier (a record key is then named "collection/key")
  kNationalId,     // "national_id"
  kPhone,          // "phone"
  kCaseNumber,     // "case_no"
  kWaybillNumber,  // "waybill_no"
};

std::string_view FieldTypeName(FieldType type);
std::optional<FieldType> ParseFieldTypeName(std::string_view name);
std::string_view SensitivityName(Sensitivity s);
std::string_view MaskRuleName(MaskRule m);
std::string_view IdentifierKindName(IdentifierKind kind);

struct FieldSchema {
  std::string name;
  FieldType type = FieldType::kText;
  // For kList: the type and constraints of the items are in this struct's
  // item_* members and in `values`/`min_length`/... below.
  FieldType item_type = FieldType::kText;
  std::vector<FieldSchema> item_fields;  // for item_type kObject
  bool required = false;
  Sensitivity sensitivity = Sensitivity::kPersonal;
  IndexKind index = IndexKind::kNone;  // kExact if the field is part of an index
  MaskRule mask = MaskRule::kNone;
  // Set from the (item) type unless the schema says ("identifier"): a
  // cn_resident_id is a national ID, a phone a phone; case and waybill
  // numbers are text the schema marks.
  IdentifierKind identifier = IdentifierKind::kNone;

  // Constraints; which apply depends on the (item) type.
  std::vector<std::string> values;  // kEnum: the allowed values
  size_t min_length = 0;            // kText/kName/kAddress, in code points
  size_t max_length = 0;            // 0: the type's default
  int64_t min = INT64_MIN;          // kInt
  int64_t max = INT64_MAX;
  bool not_future = false;  // kDate
  // kDivisionCode: an abolished or renamed code is accepted too (a place of
  // birth keeps the code it had then); otherwise only current codes.
  bool historical = false;
  bool key_charset = false;  // kText: only [A-Za-z0-9_-] (record keys)
  size_t max_items = 0;      // kList; 0: default 16
  // kCnResidentId: fields of the same record that must agree with the number.
  std::string birth_date_field;
  std::string gender_field;  // an enum whose values include "male" and "female"

  // The type whose value rules apply (item type for lists).
  FieldType value_type() const { return type == FieldType::kList ? item_type : type; }
  const FieldSchema* ItemField(std::string_view field_name) const;
};

// An exact-match blind index over one field (one term per list item) or
// several scalar fields (one compound term, parts joined by 0x1f).
struct IndexSchema {
  std::string name;
  std::vector<std::string> fields;
  // For an index over a list of objects: the item field the term is taken
  // from (cases.persons → national_id).
  std::string item_field;
  // One term matches many records (a name alone), so searching by it is the
  // narrower right of name-only search. Unless the schema says ("broad"), an
  // index over one name field is broad.
  bool broad = false;
  // The collection whose keys the terms are ("refers_to"; cases.persons →
  // persons), so that the records referring to one record can be listed;
  // empty when the terms are no keys. The index has one field.
  std::string refers_to;
};

struct CollectionSchema {
  std::string name;
  std::string key_field;
  std::vector<FieldSchema> fields;
  std::vector<IndexSchema> indexes;
  // The scalar field that places a record in a division, for accounts scoped
  // to divisions (SPEC §4): a division_code, or a cn_resident_id whose first
  // six digits are the holder's registration division. Unless the schema
  // says ("division"), a key of type cn_resident_id; empty when the
  // collection has none (a scoped account is then refused, fail closed).
  std::string division_field;

  const FieldSchema* Field(std::string_view field_name) const;
  const IndexSchema* Index(std::string_view index_name) const;
  // The first index whose terms are keys of `collection`, or nullptr.
  const IndexSchema* IndexReferringTo(std::string_view collection) const;
};

class Schema {
 public:
  // The built-in `registry` schema (data/registry.schema.json). Never destroyed.
  static const Schema& Registry();

  // Parses a schema file. Errors are kInvalidArgument naming the JSON path of
  // the first problem ("collections[1].fields[3].type: unknown type").
  static StatusOr<Schema> Parse(std::string_view text);

  const std::string& name() const { return name_; }
  const std::vector<CollectionSchema>& collections() const { return collections_; }
  const CollectionSchema* Find(std::string_view collection) const;

 private:
  std::string name_;
  std::vector<CollectionSchema> collections_;
};

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_SCHEMA_H_
