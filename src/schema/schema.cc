#include "schema/schema.h"

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace warden::schema {
namespace embedded {
extern const std::string_view kRegistrySchemaJson;
}  // namespace embedded

namespace {

using nlohmann::json;

constexpr std::pair<FieldType, std::string_view> kTypeNames[] = {
    {FieldType::kCnResidentId, "cn_resident_id"},
    {FieldType::kPhone, "phone"},
    {FieldType::kName, "name"},
    {FieldType::kAddress, "address"},
    {FieldType::kDivisionCode, "division_code"},
    {FieldType::kDate, "date"},
    {FieldType::kText, "text"},
    {FieldType::kEnum, "enum"},
    {FieldType::kInt, "int"},
    {FieldType::kBool, "bool"},
    {FieldType::kObject, "object"},
    {FieldType::kList, "list"},
};

constexpr std::pair<Sensitivity, std::string_view> kSensitivityNames[] = {
    {Sensitivity::kInternal, "internal"},
    {Sensitivity::kPersonal, "personal"},
    {Sensitivity::kSensitive, "sensitive"},
};

constexpr std::pair<MaskRule, std::string_view> kMaskNames[] = {
    {MaskRule::kNone, "none"},          {MaskRule::kIdNumber, "id_number"},
    {MaskRule::kPhone, "phone"},        {MaskRule::kName, "name"},
    {MaskRule::kYearOnly, "year_only"}, {MaskRule::kAddressDistrict, "address_district"},
    {MaskRule::kWithhold, "withhold"},  {MaskRule::kDivisionProvince, "division_province"},
};

constexpr std::pair<IdentifierKind, std::string_view> kIdentifierNames[] = {
    {IdentifierKind::kNone, "none"},
    {IdentifierKind::kNationalId, "national_id"},
    {IdentifierKind::kPhone, "phone"},
    {IdentifierKind::kCaseNumber, "case_no"},
    {IdentifierKind::kWaybillNumber, "waybill_no"},
};

template <typename E, size_t N>
std::string_view NameOf(const std::pair<E, std::string_view> (&table)[N], E v) {
  for (const auto& [e, name] : table) {
    if (e == v) return name;
  }
  return "?";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::pair<E, std::string_view> (&table)[N], std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

Status Bad(const std::string& path, std::string_view what) {
  return InvalidArgument("schema: " + path + ": " + std::string(what), "invalid_schema");
}

// Reads an optional member of the expected JSON kind.
template <typename T>
Status Get(const json& obj, const std::string& path, const char* key, T& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Bad(path + "." + key, "must be a string");
    out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return Bad(path + "." + key, "must be true or false");
    out = it->template get<bool>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (!it->is_number_integer()) return Bad(path + "." + key, "must be an integer");
    out = it->template get<int64_t>();
  } else if constexpr (std::is_same_v<T, size_t>) {
    if (!it->is_number_unsigned()) return Bad(path + "." + key, "must be a non-negative integer");
    out = it->template get<size_t>();
  }
  return Status::Ok();
}

Status CheckKeys(const json& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  if (!obj.is_object()) return Bad(path, "must be an object");
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return Bad(path + "." + key, "unknown member");
  }
  return Status::Ok();
}

// The identifier kind of a field of value type `vt`: as the schema says, or
// the one its type implies. A kind must fit the type: national_id a
// cn_resident_id, phone a phone, case_no and waybill_no text.
Status ParseIdentifier(const json& j, const std::string& path, FieldType vt, IdentifierKind& out) {
  out = vt == FieldType::kCnResidentId ? IdentifierKind::kNationalId
        : vt == FieldType::kPhone      ? IdentifierKind::kPhone
                                       : IdentifierKind::kNone;
  if (!j.contains("identifier")) return Status::Ok();
  std::string name;
  RETURN_IF_ERROR(Get(j, path, "identifier", name));
  std::optional<IdentifierKind> kind = ValueOf(kIdentifierNames, name);
  if (!kind || *kind == IdentifierKind::kNone) {
    return Bad(path + ".identifier", "must be national_id, phone, case_no or waybill_no");
  }
  const FieldType fits = *kind == IdentifierKind::kNationalId ? FieldType::kCnResidentId
                         : *kind == IdentifierKind::kPhone    ? FieldType::kPhone
                                                              : FieldType::kText;
  if (vt != fits) {
    return Bad(path + ".identifier",
               name + " needs a field of type " + std::string(FieldTypeName(fits)));
  }
  out = *kind;
  return Status::Ok();
}

StatusOr<FieldSchema> ParseField(const json& j, const std::string& path, bool in_object) {
  RETURN_IF_ERROR(
      CheckKeys(j, path,
                {"name", "type", "required", "sensitivity", "mask", "index", "values", "min_length",
                 "max_length", "min", "max", "not_future", "historical", "charset", "max_items",
                 "birth_date_field", "gender_field", "identifier", "fields"}));
  FieldSchema f;
  RETURN_IF_ERROR(Get(j, path, "name", f.name));
  if (f.name.empty()) return Bad(path + ".name", "is required");
  for (char c : f.name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return Bad(path + ".name", "must be lower-case letters, digits and _");
    }
  }
  std::string type_name;
  RETURN_IF_ERROR(Get(j, path, "type", type_name));
  std::string_view tn = type_name;
  if (tn.starts_with("list<") && tn.ends_with(">")) {
    std::optional<FieldType> item = ParseFieldTypeName(tn.substr(5, tn.size() - 6));
    if (!item || *item == FieldType::kList) return Bad(path + ".type", "unknown list item type");
    if (in_object) return Bad(path + ".type", "lists cannot nest");
    f.type = FieldType::kList;
    f.item_type = *item;
  } else {
    std::optional<FieldType> t = ParseFieldTypeName(tn);
    if (!t || *t == FieldType::kList || *t == FieldType::kObject) {
      return Bad(path + ".type", "unknown type");
    }
    f.type = *t;
  }
  RETURN_IF_ERROR(Get(j, path, "required", f.required));
  std::string s;
  if (j.contains("sensitivity")) {
    RETURN_IF_ERROR(Get(j, path, "sensitivity", s));
    std::optional<Sensitivity> v = ValueOf(kSensitivityNames, s);
    if (!v) return Bad(path + ".sensitivity", "must be internal, personal or sensitive");
    f.sensitivity = *v;
  }
  if (j.contains("mask")) {
    RETURN_IF_ERROR(Get(j, path, "mask", s));
    std::optional<MaskRule> v = ValueOf(kMaskNames, s);
    if (!v) return Bad(path + ".mask", "unknown mask rule");
    f.mask = *v;
  }
  if (j.contains("index")) {
    RETURN_IF_ERROR(Get(j, path, "index", s));
    if (s == "exact") {
      f.index = IndexKind::kExact;
    } else if (s != "none") {
      return Bad(path + ".index", "must be none or exact");
    }
  }
  if (auto it = j.find("values"); it != j.end()) {
    if (!it->is_array() || it->empty()) return Bad(path + ".values", "must be a non-empty array");
    for (const json& v : *it) {
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
        return Bad(path + ".values", "must hold non-empty strings");
      }
      f.values.push_back(v.get<std::string>());
    }
  }
  RETURN_IF_ERROR(Get(j, path, "min_length", f.min_length));
  RETURN_IF_ERROR(Get(j, path, "max_length", f.max_length));
  RETURN_IF_ERROR(Get(j, path, "min", f.min));
  RETURN_IF_ERROR(Get(j, path, "max", f.max));
  RETURN_IF_ERROR(Get(j, path, "not_future", f.not_future));
  RETURN_IF_ERROR(Get(j, path, "historical", f.historical));
  RETURN_IF_ERROR(Get(j, path, "max_items", f.max_items));
  RETURN_IF_ERROR(Get(j, path, "birth_date_field", f.birth_date_field));
  RETURN_IF_ERROR(Get(j, path, "gender_field", f.gender_field));
  if (j.contains("charset")) {
    RETURN_IF_ERROR(Get(j, path, "charset", s));
    if (s != "key") return Bad(path + ".charset", "only \"key\" is supported");
    f.key_charset = true;
  }
  FieldType vt = f.value_type();
  RETURN_IF_ERROR(ParseIdentifier(j, path, vt, f.identifier));
  if (vt == FieldType::kEnum && f.values.empty()) return Bad(path + ".values", "enum needs values");
  if (vt != FieldType::kEnum && !f.values.empty()) return Bad(path + ".values", "only for enum");
  if (f.min > f.max) return Bad(path, "min exceeds max");
  if (f.max_length != 0 && f.min_length > f.max_length)
    return Bad(path, "min_length exceeds max_length");
  if (vt == FieldType::kObject) {
    auto it = j.find("fields");
    if (it == j.end() || !it->is_array() || it->empty()) {
      return Bad(path + ".fields", "list<object> needs fields");
    }
    std::set<std::string> names;
    for (size_t i = 0; i < it->size(); ++i) {
      ASSIGN_OR_RETURN(FieldSchema item,
                       ParseField((*it)[i], path + ".fields[" + std::to_string(i) + "]", true));
      if (!names.insert(item.name).second) return Bad(path + ".fields", "duplicate field name");
      f.item_fields.push_back(std::move(item));
    }
  } else if (j.contains("fields")) {
    return Bad(path + ".fields", "only for list<object>");
  }
  return f;
}

// Whether an index is over one field of type name (a list of names too).
bool IsOneNameField(const CollectionSchema& c, const IndexSchema& index) {
  if (index.fields.size() != 1) return false;
  const FieldSchema* f = c.Field(index.fields[0]);
  return f != nullptr && f->value_type() == FieldType::kName;
}

// The collection's division field: as the schema says ("division"), or a
// key of type cn_resident_id. It must be a scalar division_code or
// cn_resident_id field.
Status ParseDivision(const json& j, const std::string& path, CollectionSchema& c) {
  const FieldSchema* key = c.Field(c.key_field);
  c.division_field = key->type == FieldType::kCnResidentId ? key->name : "";
  RETURN_IF_ERROR(Get(j, path, "division", c.division_field));
  if (c.division_field.empty()) return Status::Ok();
  const FieldSchema* f = c.Field(c.division_field);
  if (f == nullptr ||
      (f->type != FieldType::kDivisionCode && f->type != FieldType::kCnResidentId)) {
    return Bad(path + ".division", "must name a division_code or cn_resident_id field");
  }
  return Status::Ok();
}

StatusOr<CollectionSchema> ParseCollection(const json& j, const std::string& path) {
  RETURN_IF_ERROR(CheckKeys(j, path, {"name", "key", "fields", "indexes", "division"}));
  CollectionSchema c;
  RETURN_IF_ERROR(Get(j, path, "name", c.name));
  RETURN_IF_ERROR(Get(j, path, "key", c.key_field));
  if (c.name.empty()) return Bad(path + ".name", "is required");
  auto fields = j.find("fields");
  if (fields == j.end() || !fields->is_array() || fields->empty()) {
    return Bad(path + ".fields", "must be a non-empty array");
  }
  for (size_t i = 0; i < fields->size(); ++i) {
    ASSIGN_OR_RETURN(FieldSchema f,
                     ParseField((*fields)[i], path + ".fields[" + std::to_string(i) + "]", false));
    if (c.Field(f.name) != nullptr) return Bad(path + ".fields", "duplicate field " + f.name);
    c.fields.push_back(std::move(f));
  }
  const FieldSchema* key = c.Field(c.key_field);
  if (key == nullptr) return Bad(path + ".key", "must name a field");
  if (key->type == FieldType::kList || !key->required) {
    return Bad(path + ".key", "must name a required scalar field");
  }
  for (FieldSchema& f : c.fields) {
    std::string fp = path + ".fields." + f.name;
    if (!f.birth_date_field.empty()) {
      const FieldSchema* b = c.Field(f.birth_date_field);
      if (f.type != FieldType::kCnResidentId || b == nullptr || b->type != FieldType::kDate) {
        return Bad(fp + ".birth_date_field", "must name a date field of the same collection");
      }
    }
    if (!f.gender_field.empty()) {
      const FieldSchema* g = c.Field(f.gender_field);
      if (f.type != FieldType::kCnResidentId || g == nullptr || g->type != FieldType::kEnum) {
        return Bad(fp + ".gender_field", "must name an enum field of the same collection");
      }
    }
    if (f.index == IndexKind::kExact) {
      IndexSchema index{f.name, {f.name}, "", false, ""};
      index.broad = IsOneNameField(c, index);
      c.indexes.push_back(std::move(index));
    }
  }
  if (auto it = j.find("indexes"); it != j.end()) {
    if (!it->is_array()) return Bad(path + ".indexes", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& ij = (*it)[i];
      std::string ip = path + ".indexes[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(CheckKeys(ij, ip, {"name", "fields", "item_field", "broad", "refers_to"}));
      IndexSchema index;
      RETURN_IF_ERROR(Get(ij, ip, "name", index.name));
      RETURN_IF_ERROR(Get(ij, ip, "item_field", index.item_field));
      RETURN_IF_ERROR(Get(ij, ip, "refers_to", index.refers_to));
      if (index.name.empty()) return Bad(ip + ".name", "is required");
      if (c.Index(index.name) != nullptr) return Bad(ip + ".name", "duplicate index");
      auto fl = ij.find("fields");
      if (fl == ij.end() || !fl->is_array() || fl->empty()) {
        return Bad(ip + ".fields", "must be a non-empty array");
      }
      for (const json& fj : *fl) {
        if (!fj.is_string()) return Bad(ip + ".fields", "must hold field names");
        index.fields.push_back(fj.get<std::string>());
      }
      for (const std::string& fname : index.fields) {
        const FieldSchema* f = c.Field(fname);
        if (f == nullptr) return Bad(ip + ".fields", "unknown field " + fname);
        if (f->type == FieldType::kList && index.fields.size() > 1) {
          return Bad(ip + ".fields", "a list field is indexed on its own");
        }
        bool object_items = f->type == FieldType::kList && f->item_type == FieldType::kObject;
        if (object_items != !index.item_field.empty()) {
          return Bad(ip + ".item_field", "needed exactly for a list<object> field");
        }
        if (object_items && f->ItemField(index.item_field) == nullptr) {
          return Bad(ip + ".item_field", "unknown item field");
        }
      }
      if (!index.refers_to.empty() && index.fields.size() != 1) {
        return Bad(ip + ".refers_to", "needs an index of one field");
      }
      index.broad = IsOneNameField(c, index);
      RETURN_IF_ERROR(Get(ij, ip, "broad", index.broad));
      c.indexes.push_back(std::move(index));
    }
  }
  for (const IndexSchema& index : c.indexes) {
    for (const std::string& fname : index.fields) {
      for (FieldSchema& f : c.fields) {
        if (f.name == fname) f.index = IndexKind::kExact;
      }
    }
  }
  RETURN_IF_ERROR(ParseDivision(j, path, c));
  return c;
}

// The field a term of `index` is taken from: the item field of a list of
// objects, else the indexed field.
const FieldSchema* TermField(const CollectionSchema& c, const IndexSchema& index) {
  const FieldSchema* f = c.Field(index.fields[0]);
  return index.item_field.empty() ? f : f->ItemField(index.item_field);
}

// An index's "refers_to" must name another collection whose key has the
// type of the index's terms.
Status CheckReferences(const Schema& schema, const CollectionSchema& c, const std::string& path) {
  for (const IndexSchema& index : c.indexes) {
    if (index.refers_to.empty()) continue;
    const std::string ip = path + ".indexes." + index.name + ".refers_to";
    const CollectionSchema* target = schema.Find(index.refers_to);
    if (target == nullptr || target == &c) return Bad(ip, "must name another collection");
    if (TermField(c, index)->value_type() != target->Field(target->key_field)->type) {
      return Bad(ip, "the terms must have the type of " + target->name + "'s key");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view FieldTypeName(FieldType type) { return NameOf(kTypeNames, type); }
std::optional<FieldType> ParseFieldTypeName(std::string_view name) {
  return ValueOf(kTypeNames, name);
}
std::string_view SensitivityName(Sensitivity s) { return NameOf(kSensitivityNames, s); }
std::string_view MaskRuleName(MaskRule m) { return NameOf(kMaskNames, m); }
std::string_view IdentifierKindName(IdentifierKind kind) { return NameOf(kIdentifierNames, kind); }

const FieldSchema* FieldSchema::ItemField(std::string_view field_name) const {
  for (const FieldSchema& f : item_fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const FieldSchema* CollectionSchema::Field(std::string_view field_name) const {
  for (const FieldSchema& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

const IndexSchema* CollectionSchema::Index(std::string_view index_name) const {
  for (const IndexSchema& i : indexes) {
    if (i.name == index_name) return &i;
  }
  return nullptr;
}

const IndexSchema* CollectionSchema::IndexReferringTo(std::string_view collection) const {
  for (const IndexSchema& i : indexes) {
    if (i.refers_to == collection) return &i;
  }
  return nullptr;
}

const CollectionSchema* Schema::Find(std::string_view collection) const {
  for (const CollectionSchema& c : collections_) {
    if (c.name == collection) return &c;
  }
  return nullptr;
}

StatusOr<Schema> Schema::Parse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("schema: not valid JSON", "invalid_schema");
  RETURN_IF_ERROR(CheckKeys(j, "$", {"schema", "collections"}));
  Schema schema;
  RETURN_IF_ERROR(Get(j, "$", "schema", schema.name_));
  auto cols = j.find("collections");
  if (cols == j.end() || !cols->is_array() || cols->empty()) {
    return Bad("$.collections", "must be a non-empty array");
  }
  for (size_t i = 0; i < cols->size(); ++i) {
    ASSIGN_OR_RETURN(CollectionSchema c,
                     ParseCollection((*cols)[i], "collections[" + std::to_string(i) + "]"));
    if (schema.Find(c.name) != nullptr) return Bad("$.collections", "duplicate " + c.name);
    schema.collections_.push_back(std::move(c));
  }
  for (size_t i = 0; i < schema.collections_.size(); ++i) {
    RETURN_IF_ERROR(
        CheckReferences(schema, schema.collections_[i], "collections[" + std::to_string(i) + "]"));
  }
  return schema;
}

const Schema& Schema::Registry() {
  static const Schema* registry = [] {
    StatusOr<Schema> s = Parse(embedded::kRegistrySchemaJson);
    // The built-in schema is part of the binary; a parse failure is a build bug.
    if (!s.ok()) std::abort();
    return new Schema(std::move(s).value());
  }();
  return *registry;
}

}  // namespace warden::schema
