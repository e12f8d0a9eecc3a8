#include "schema/record.h"

#include <algorithm>

#include "schema/division_table.h"
#include "schema/resident_id.h"
#include "schema/values.h"

namespace warden::schema {
namespace {

using nlohmann::json;

// Collects violations; the first one's message becomes the Status message.
class Violations {
 public:
  void Add(const Status& s) {
    if (first_message_.empty()) first_message_ = s.message();
    for (const FieldViolation& v : s.fields()) list_.push_back(v);
  }
  void Add(std::string field, std::string rule, const std::string& message) {
    if (first_message_.empty()) first_message_ = message;
    list_.push_back({std::move(field), std::move(rule)});
  }
  bool empty() const { return list_.empty(); }
  Status ToStatus() {
    std::string message = first_message_;
    if (list_.size() > 1) message += " (and " + std::to_string(list_.size() - 1) + " more)";
    return Status(StatusCode::kUnprocessable, "validation_failed", std::move(message),
                  std::move(list_));
  }

 private:
  std::string first_message_;
  std::vector<FieldViolation> list_;
};

std::optional<json> NormaliseObjectItem(const FieldSchema& f, const json& in,
                                        const std::string& path, const CivilDate& today,
                                        Violations& errors) {
  if (!in.is_object()) {
    errors.Add(path, "type", path + ": must be an object");
    return std::nullopt;
  }
  json out = json::object();
  bool ok = true;
  for (const auto& [key, value] : in.items()) {
    if (f.ItemField(key) == nullptr) {
      errors.Add(path + "." + key, "unknown_field", path + "." + key + ": no such field");
      ok = false;
    }
  }
  for (const FieldSchema& item : f.item_fields) {
    std::string ip = path + "." + item.name;
    auto it = in.find(item.name);
    if (it == in.end() || it->is_null()) {
      if (item.required) {
        errors.Add(ip, "required", ip + ": is required");
        ok = false;
      }
      continue;
    }
    StatusOr<json> v = NormaliseScalar(item, item.type, *it, ip, today);
    if (!v.ok()) {
      errors.Add(v.status());
      ok = false;
      continue;
    }
    out[item.name] = std::move(v).value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<json> NormaliseField(const FieldSchema& f, const json& in, const CivilDate& today,
                                   Violations& errors) {
  if (f.type != FieldType::kList) {
    StatusOr<json> v = NormaliseScalar(f, f.type, in, f.name, today);
    if (!v.ok()) {
      errors.Add(v.status());
      return std::nullopt;
    }
    return std::move(v).value();
  }
  json items = json::array();
  if (in.is_array()) {
    items = in;
  } else if (in.is_string() && f.item_type != FieldType::kObject) {
    // A single value, or ';'-separated values as in CSV.
    std::string_view s = in.get_ref<const std::string&>();
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t end = std::min(s.find(';', pos), s.size());
      std::string_view part = s.substr(pos, end - pos);
      if (!part.empty()) items.push_back(std::string(part));
      pos = end + 1;
    }
  } else {
    errors.Add(f.name, "type", f.name + ": must be a list");
    return std::nullopt;
  }
  size_t max_items = f.max_items ? f.max_items : kMaxListItems;
  if (items.size() > max_items) {
    errors.Add(f.name, "max_items", f.name + ": at most " + std::to_string(max_items) + " items");
    return std::nullopt;
  }
  json out = json::array();
  bool ok = true;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string path = f.name + "[" + std::to_string(i) + "]";
    if (f.item_type == FieldType::kObject) {
      std::optional<json> item = NormaliseObjectItem(f, items[i], path, today, errors);
      if (!item) {
        ok = false;
        continue;
      }
      out.push_back(std::move(*item));
      continue;
    }
    StatusOr<json> v = NormaliseScalar(f, f.item_type, items[i], path, today);
    if (!v.ok()) {
      errors.Add(v.status());
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(std::move(v).value());
  }
  if (f.required && ok && out.empty()) {
    errors.Add(f.name, "required", f.name + ": needs at least one item");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return out;
}

// Checks that a resident ID agrees with the birth date and gender fields.
void CheckResidentIdAgreement(const CollectionSchema& c, const FieldSchema& f, json& record,
                              const CivilDate& today, Violations& errors) {
  auto id_it = record.find(f.name);
  if (id_it == record.end() || !id_it->is_string()) return;
  StatusOr<ResidentId> id = ParseResidentId(id_it->get_ref<const std::string&>(), today, f.name);
  if (!id.ok()) return;
  if (!f.birth_date_field.empty()) {
    std::string expected = FormatIsoDate(id->birth_date);
    auto it = record.find(f.birth_date_field);
    if (it == record.end()) {
      const FieldSchema* b = c.Field(f.birth_date_field);
      if (b != nullptr && !b->required) record[f.birth_date_field] = expected;
    } else if (it->is_string() && *it != expected) {
      errors.Add(f.birth_date_field, "national_id_mismatch",
                 f.birth_date_field + ": does not agree with " + f.name + " (positions 7-14)");
    }
  }
  if (!f.gender_field.empty()) {
    std::string expected = id->male ? "male" : "female";
    auto it = record.find(f.gender_field);
    if (it == record.end()) {
      const FieldSchema* g = c.Field(f.gender_field);
      if (g != nullptr && !g->required) record[f.gender_field] = expected;
    } else if (it->is_string() && *it != expected) {
      errors.Add(f.gender_field, "national_id_mismatch",
                 f.gender_field + ": does not agree with " + f.name + " (position 17)");
    }
  }
}

std::string TermText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

bool IsHanLead(std::string_view s) {
  return !s.empty() && static_cast<unsigned char>(s[0]) >= 0xE0;
}

size_t Utf8Len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

std::string MaskName(std::string_view name) {
  static constexpr std::string_view kCompoundSurnames[] = {
      "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒",
      "夏侯", "宇文", "长孙", "端木", "独孤", "南宫", "西门", "轩辕", "呼延", "澹台", "万俟"};
  std::string out;
  bool han_name = IsHanLead(name) && name.find(' ') == std::string_view::npos &&
                  name.find("·") == std::string_view::npos;
  size_t keep = 1;  // characters kept at the start of each part
  if (han_name) {
    for (std::string_view cs : kCompoundSurnames) {
      if (name.starts_with(cs) && name.size() > cs.size()) keep = 2;
    }
  }
  if (han_name) {
    // SPEC §3: 张* — the surname and one star, whatever the given name's
    // length, so the mask does not tell how long the name is.
    size_t end = 0;
    for (size_t kept = 0; kept < keep && end < name.size(); ++kept) {
      end += std::min(Utf8Len(static_cast<unsigned char>(name[end])), name.size() - end);
    }
    return std::string(name.substr(0, end)) + "*";
  }
  size_t kept_in_part = 0;
  for (size_t i = 0; i < name.size();) {
    size_t len = std::min(Utf8Len(static_cast<unsigned char>(name[i])), name.size() - i);
    std::string_view ch = name.substr(i, len);
    i += len;
    if (ch == " " || ch == "·" || ch == "-") {
      out += ch;
      kept_in_part = 0;
      continue;
    }
    out += kept_in_part < keep ? std::string(ch) : std::string("*");
    ++kept_in_part;
  }
  return out;
}

std::string MaskPhone(std::string_view e164) {
  // +86 mobile numbers are by far the most common; other countries keep
  // their country code digits as written up to the first 3 digits.
  size_t cc_len = 2;
  if (e164.starts_with("+86") || e164.starts_with("+1") || e164.starts_with("+7")) {
    cc_len = e164.starts_with("+86") ? 2 : 1;
  } else {
    cc_len = std::min<size_t>(3, e164.size() > 1 ? e164.size() - 1 : 0);
  }
  if (e164.size() < 1 + cc_len + 5 || e164[0] != '+') return "****";
  std::string_view cc = e164.substr(1, cc_len);
  std::string_view nsn = e164.substr(1 + cc_len);
  size_t head = nsn.size() >= 10 ? 3 : 1;
  size_t tail = 4;
  if (head + tail >= nsn.size()) tail = 2;
  return "+" + std::string(cc) + " " + std::string(nsn.substr(0, head)) +
         std::string(nsn.size() - head - tail, '*') + std::string(nsn.substr(nsn.size() - tail));
}

}  // namespace

StatusOr<Record> ValidateRecord(const CollectionSchema& collection, const json& input,
                                const Clock& clock) {
  if (!input.is_object()) {
    return Status(StatusCode::kUnprocessable, "validation_failed", "a record is a JSON object",
                  {{"", "type"}});
  }
  CivilDate today = CivilDateOfMicros(clock.NowMicros());
  Violations errors;
  Record out = json::object();
  for (const auto& [key, value] : input.items()) {
    if (collection.Field(key) == nullptr) {
      errors.Add(key, "unknown_field", key + ": no such field in " + collection.name);
    }
  }
  for (const FieldSchema& f : collection.fields) {
    auto it = input.find(f.name);
    bool absent = it == input.end() || it->is_null() ||
                  (it->is_string() && it->get_ref<const std::string&>().empty() &&
                   f.type != FieldType::kText);
    if (absent) {
      if (f.required) errors.Add(f.name, "required", f.name + ": is required");
      continue;
    }
    std::optional<json> v = NormaliseField(f, *it, today, errors);
    if (v) out[f.name] = std::move(*v);
  }
  for (const FieldSchema& f : collection.fields) {
    if (f.type == FieldType::kCnResidentId) {
      CheckResidentIdAgreement(collection, f, out, today, errors);
    }
  }
  if (!errors.empty()) return errors.ToStatus();
  return out;
}

std::vector<IndexTerm> IndexTerms(const CollectionSchema& collection, const Record& record) {
  std::vector<IndexTerm> terms;
  for (const IndexSchema& index : collection.indexes) {
    size_t first = terms.size();
    if (index.fields.size() == 1) {
      auto it = record.find(index.fields[0]);
      if (it == record.end() || it->is_null()) continue;
      if (it->is_array()) {
        for (const json& item : *it) {
          if (!index.item_field.empty()) {
            auto sub = item.find(index.item_field);
            if (sub == item.end() || sub->is_null()) continue;
            terms.push_back({index.name, TermText(*sub)});
          } else {
            terms.push_back({index.name, TermText(item)});
          }
        }
      } else {
        terms.push_back({index.name, TermText(*it)});
      }
    } else {
      std::string value;
      bool complete = true;
      for (size_t i = 0; i < index.fields.size() && complete; ++i) {
        auto it = record.find(index.fields[i]);
        complete = it != record.end() && !it->is_null();
        if (!complete) break;
        if (i > 0) value.push_back(kIndexTermSeparator);
        value += TermText(*it);
      }
      if (complete) terms.push_back({index.name, std::move(value)});
    }
    // Remove duplicates within this index (a person twice in one case).
    std::sort(terms.begin() + static_cast<long>(first), terms.end(),
              [](const IndexTerm& a, const IndexTerm& b) { return a.value < b.value; });
    terms.erase(std::unique(terms.begin() + static_cast<long>(first), terms.end()), terms.end());
  }
  return terms;
}

StatusOr<IndexTerm> QueryTerm(const CollectionSchema& collection, std::string_view index_name,
                              const json& query, const Clock& clock) {
  const IndexSchema* index = collection.Index(index_name);
  if (index == nullptr) {
    return NotFound("no index " + std::string(index_name) + " on " + collection.name,
                    "unknown_index");
  }
  if (!query.is_object()) return InvalidArgument("a query is a JSON object", "query_mismatch");
  CivilDate today = CivilDateOfMicros(clock.NowMicros());
  std::string value;
  size_t used = 0;
  for (size_t i = 0; i < index->fields.size(); ++i) {
    const FieldSchema* f = collection.Field(index->fields[i]);
    if (f == nullptr) return Internal("index names an unknown field");
    const FieldSchema* vf = f;
    FieldType type = f->value_type();
    std::vector<std::string> names{f->name};
    if (index->fields.size() == 1) {
      names.push_back(index->name);
      if (f->type == FieldType::kList) {
        if (!index->item_field.empty()) {
          vf = f->ItemField(index->item_field);
          if (vf == nullptr) return Internal("index names an unknown item field");
          type = vf->type;
          names.push_back(vf->name);
        } else {
          names.push_back(std::string(FieldTypeName(type)));
        }
      }
    }
    const json* member = nullptr;
    std::string member_name;
    for (const std::string& n : names) {
      auto it = query.find(n);
      if (it != query.end() && member == nullptr) {
        member = &*it;
        member_name = n;
      }
    }
    if (member == nullptr || member->is_null()) {
      return InvalidArgument("the search by " + index->name + " needs " + f->name,
                             "query_mismatch");
    }
    ++used;
    ASSIGN_OR_RETURN(json v, NormaliseScalar(*vf, type, *member, member_name, today));
    if (i > 0) value.push_back(kIndexTermSeparator);
    value += TermText(v);
  }
  if (query.size() != used) {
    return InvalidArgument(
        "the search by " + index->name + " takes exactly the fields of the index",
        "query_mismatch");
  }
  return IndexTerm{index->name, std::move(value)};
}

std::string MaskValue(MaskRule rule, std::string_view value) {
  switch (rule) {
    case MaskRule::kNone:
      return std::string(value);
    case MaskRule::kIdNumber:
      // The province only: the date, sequence and check character are what
      // single a person out (docs/access.md, "Masks as a whole").
      if (value.size() <= 2) return std::string(value.size(), '*');
      return std::string(value.substr(0, 2)) + std::string(value.size() - 2, '*');
    case MaskRule::kDivisionProvince:
      if (value.size() != 6) return std::string(value.size(), '*');
      return std::string(value.substr(0, 2)) + "0000";
    case MaskRule::kPhone:
      return MaskPhone(value);
    case MaskRule::kName:
      return MaskName(value);
    case MaskRule::kYearOnly:
      return std::string(value.substr(0, std::min<size_t>(4, value.size())));
    case MaskRule::kAddressDistrict: {
      auto m = DivisionTable::Get().MatchAddress(value);
      if (!m) return "***";
      return std::string(value.substr(0, m->prefix_bytes)) + "***";
    }
    case MaskRule::kWithhold:
      return {};
  }
  return {};
}

Record MaskRecord(const CollectionSchema& collection, const Record& record) {
  Record out = json::object();
  auto mask_json = [](MaskRule rule, const json& v) -> json {
    if (rule == MaskRule::kNone || !v.is_string()) return v;
    return MaskValue(rule, v.get_ref<const std::string&>());
  };
  for (const auto& [key, value] : record.items()) {
    const FieldSchema* f = collection.Field(key);
    if (f == nullptr || f->mask == MaskRule::kWithhold) continue;
    if (f->type != FieldType::kList || !value.is_array()) {
      out[key] = mask_json(f->mask, value);
      continue;
    }
    json items = json::array();
    for (const json& item : value) {
      if (f->item_type != FieldType::kObject || !item.is_object()) {
        items.push_back(mask_json(f->mask, item));
        continue;
      }
      json masked = json::object();
      for (const auto& [ik, iv] : item.items()) {
        const FieldSchema* sub = f->ItemField(ik);
        if (sub == nullptr || sub->mask == MaskRule::kWithhold) continue;
        masked[ik] = mask_json(sub->mask, iv);
      }
      items.push_back(std::move(masked));
    }
    out[key] = std::move(items);
  }
  return out;
}

std::string RecordKeyOf(const CollectionSchema& collection, const Record& record) {
  auto it = record.find(collection.key_field);
  if (it == record.end() || it->is_null()) return {};
  return TermText(*it);
}

StatusOr<std::string> NormaliseKey(const CollectionSchema& collection, std::string_view key,
                                   const Clock& clock) {
  const FieldSchema* field = collection.Field(collection.key_field);
  if (field == nullptr) return Internal("the collection's key names no field");
  ASSIGN_OR_RETURN(json value, NormaliseScalar(*field, field->type, json(std::string(key)),
                                               field->name, CivilDateOfMicros(clock.NowMicros())));
  return TermText(value);
}

std::string RecordDivision(const CollectionSchema& collection, const Record& record) {
  const FieldSchema* field = collection.Field(collection.division_field);
  if (field == nullptr) return "";
  auto it = record.find(field->name);
  if (it == record.end() || !it->is_string()) return "";
  const std::string& value = it->get_ref<const std::string&>();
  return field->type == FieldType::kCnResidentId ? value.substr(0, 6) : value;
}

StatusOr<IndexTerm> ReferenceTerm(const CollectionSchema& collection, const IndexSchema& index,
                                  std::string_view key, const Clock& clock) {
  const std::string& member = index.item_field.empty() ? index.fields.front() : index.item_field;
  return QueryTerm(collection, index.name, json{{member, std::string(key)}}, clock);
}

}  // namespace warden::schema
