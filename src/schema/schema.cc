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

StatusOr<FieldSchema> ParseField(const json& j, const std::string& path, bool in_object) {
  RETURN_IF_ERROR(CheckKeys(j, path,
                            {"name", "type", "required", "sensitivity", "mask", "index", "values",
                             "min_length", "max_length", "min", "max", "not_future", "charset",
                             "max_items", "birth_date_field", "gender_field", "fields"}));
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
  RETURN_IF_ERROR(Get(j, path, "max_items", f.max_items));
  RETURN_IF_ERROR(Get(j, path, "birth_date_field", f.birth_date_field));
  RETURN_IF_ERROR(Get(j, path, "gender_field", f.gender_field));
  if (j.contains("charset")) {
    RETURN_IF_ERROR(Get(j, path, "charset", s));
    if (s != "key") return Bad(path + ".charset", "only \"key\" is supported");
    f.key_charset = true;
  }
  FieldType vt = f.value_type();
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

StatusOr<CollectionSchema> ParseCollection(const json& j, const std::string& path) {
  RETURN_IF_ERROR(CheckKeys(j, path, {"name", "key", "fields", "indexes"}));
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
    if (f.index == IndexKind::kExact) c.indexes.push_back({f.name, {f.name}, ""});
  }
  if (auto it = j.find("indexes"); it != j.end()) {
    if (!it->is_array()) return Bad(path + ".indexes", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& ij = (*it)[i];
      std::string ip = path + ".indexes[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(CheckKeys(ij, ip, {"name", "fields", "item_field"}));
      IndexSchema index;
      RETURN_IF_ERROR(Get(ij, ip, "name", index.name));
      RETURN_IF_ERROR(Get(ij, ip, "item_field", index.item_field));
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
  return c;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) { return NameOf(kTypeNames, type); }
std::optional<FieldType> ParseFieldTypeName(std::string_view name) {
  return ValueOf(kTypeNames, name);
}
std::string_view SensitivityName(Sensitivity s) { return NameOf(kSensitivityNames, s); }
std::string_view MaskRuleName(MaskRule m) { return NameOf(kMaskNames, m); }

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
