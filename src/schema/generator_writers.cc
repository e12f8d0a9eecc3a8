// How generated records are written. The built-in schema says which fields a
// collection has, in which order and of which type; each record type says
// once which of its members holds which field (its FieldBinding table); one
// writer per format walks the collection's fields and writes every value as
// its type asks:
//
//   type             CSV cell                        JSON
//   text-like        the text, quoted when needed    a string
//   int, bool        172, true                       a number, true/false
//   list<T>          items joined by ';'             an array of strings
//   list<object>     items joined by ';', each its   an array of objects
//                    item fields' values joined by
//                    ':' in schema order
//
// which is what RecordReader reads back. An empty text or list is absent: an
// empty CSV cell, no JSON member.
#include <charconv>
#include <cstdlib>
#include <span>
#include <variant>

#include "schema/generator.h"
#include "schema/schema.h"

namespace warden::schema {
namespace {

using nlohmann::json;

// One scalar value of a generated record, viewed (valid while the record is
// unchanged): text (empty: absent), a whole number or a flag.
using Scalar = std::variant<std::string_view, int64_t, bool>;

// Where a record of type R keeps the value of the schema field `name`: a
// scalar field has `scalar`; a list field has `count` and `item`, which gives
// item k, or for a list of objects its member `item_field`.
template <typename R>
struct FieldBinding {
  std::string_view name;
  Scalar (*scalar)(const R&) = nullptr;
  size_t (*count)(const R&) = nullptr;
  std::string_view (*item)(const R&, size_t k, std::string_view item_field) = nullptr;
};

using P = PersonRecord;
const FieldBinding<P> kPersonFields[] = {
    {"national_id", [](const P& p) -> Scalar { return p.national_id; }},
    {"name", [](const P& p) -> Scalar { return p.name; }},
    {"gender", [](const P& p) -> Scalar { return p.gender; }},
    {"birth_date", [](const P& p) -> Scalar { return p.birth_date; }},
    {"ethnicity", [](const P& p) -> Scalar { return p.ethnicity; }},
    {"birthplace", [](const P& p) -> Scalar { return p.birthplace; }},
    {"hukou_address", [](const P& p) -> Scalar { return p.hukou_address; }},
    {"current_address", [](const P& p) -> Scalar { return p.current_address; }},
    {"phones", nullptr, [](const P& p) { return static_cast<size_t>(p.phone_count); },
     [](const P& p, size_t k, std::string_view) -> std::string_view { return p.phones[k]; }},
    {"height_cm", [](const P& p) -> Scalar { return int64_t{p.height_cm}; }},
    {"education", [](const P& p) -> Scalar { return p.education; }},
    {"marital_status", [](const P& p) -> Scalar { return p.marital_status; }},
    {"notes", [](const P& p) -> Scalar { return p.notes; }},
};

using C = CaseRecord;
const FieldBinding<C> kCaseFields[] = {
    {"case_no", [](const C& c) -> Scalar { return c.case_no; }},
    {"opened_on", [](const C& c) -> Scalar { return c.opened_on; }},
    {"category", [](const C& c) -> Scalar { return c.category; }},
    {"station", [](const C& c) -> Scalar { return c.station; }},
    {"summary", [](const C& c) -> Scalar { return c.summary; }},
    {"persons", nullptr, [](const C& c) { return static_cast<size_t>(c.person_count); },
     [](const C& c, size_t k, std::string_view item_field) -> std::string_view {
       const C::Party& party = c.persons[k];
       if (item_field == "national_id") return party.national_id;
       if (item_field == "role") return party.role;
       return {};
     }},
    {"status", [](const C& c) -> Scalar { return c.status; }},
    {"monitor", [](const C& c) -> Scalar { return c.monitor; }},
};

using D = DeliveryRecord;
const FieldBinding<D> kDeliveryFields[] = {
    {"waybill_no", [](const D& d) -> Scalar { return d.waybill_no; }},
    {"shipped_on", [](const D& d) -> Scalar { return d.shipped_on; }},
    {"recipient_name", [](const D& d) -> Scalar { return d.recipient_name; }},
    {"recipient_phone", [](const D& d) -> Scalar { return d.recipient_phone; }},
    {"recipient_address", [](const D& d) -> Scalar { return d.recipient_address; }},
    {"courier", [](const D& d) -> Scalar { return d.courier; }},
    {"instructions", [](const D& d) -> Scalar { return d.instructions; }},
};

bool IsAbsent(const Scalar& v) {
  const std::string_view* text = std::get_if<std::string_view>(&v);
  return text != nullptr && text->empty();
}

bool CsvCellNeedsQuotes(std::string_view s) {
  bool plain = true;
  for (char c : s) plain = plain && c != ',' && c != '"' && c != '\r' && c != '\n';
  return !plain;
}

void AppendCsvScalar(std::string& out, const Scalar& v) {
  if (const auto* text = std::get_if<std::string_view>(&v)) {
    AppendCsvCell(out, *text);
  } else if (const auto* number = std::get_if<int64_t>(&v)) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *number).ptr);
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

void AppendJsonScalar(std::string& out, const Scalar& v) {
  if (const auto* text = std::get_if<std::string_view>(&v)) {
    AppendJsonString(out, *text);
  } else {
    AppendCsvScalar(out, v);  // numbers and flags are written alike
  }
}

json JsonOf(const Scalar& v) {
  if (const auto* text = std::get_if<std::string_view>(&v)) return *text;
  if (const auto* number = std::get_if<int64_t>(&v)) return *number;
  return std::get<bool>(v);
}

// Writes the generated records of one built-in collection.
template <typename R>
class GeneratedRecordWriter {
 public:
  // The bindings must match the collection's fields one for one (scalar or
  // list alike): a built-in record type that does not fit the built-in schema
  // stops the process at its first record, which every test of it catches.
  GeneratedRecordWriter(std::string_view collection, std::span<const FieldBinding<R>> bindings) {
    const CollectionSchema* schema = Schema::Registry().Find(collection);
    if (schema == nullptr || schema->fields.size() != bindings.size()) std::abort();
    for (const FieldSchema& field : schema->fields) {
      const FieldBinding<R>* binding = nullptr;
      for (const FieldBinding<R>& b : bindings) {
        if (b.name == field.name) binding = &b;
      }
      const bool list = field.type == FieldType::kList;
      if (binding == nullptr || list != (binding->count != nullptr)) std::abort();
      columns_.push_back({&field, binding});
      if (!csv_header_.empty()) csv_header_.push_back(',');
      csv_header_ += field.name;
    }
    csv_header_.push_back('\n');
  }

  std::string_view csv_header() const { return csv_header_; }

  void AppendCsv(const R& r, std::string& out) const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) out.push_back(',');
      const Column& c = columns_[i];
      if (c.binding->scalar != nullptr) {
        AppendCsvScalar(out, c.binding->scalar(r));
        continue;
      }
      const size_t start = out.size();
      const size_t count = c.binding->count(r);
      for (size_t k = 0; k < count; ++k) {
        if (k > 0) out.push_back(';');
        if (c.field->item_type != FieldType::kObject) {
          out += c.binding->item(r, k, {});
          continue;
        }
        for (const FieldSchema& item_field : c.field->item_fields) {
          if (&item_field != &c.field->item_fields.front()) out.push_back(':');
          out += c.binding->item(r, k, item_field.name);
        }
      }
      if (CsvCellNeedsQuotes(std::string_view(out).substr(start))) {
        const std::string cell = out.substr(start);
        out.resize(start);
        AppendCsvCell(out, cell);
      }
    }
    out.push_back('\n');
  }

  void AppendJsonLine(const R& r, std::string& out) const {
    char separator = '{';
    for (const Column& c : columns_) {
      const bool list = c.binding->scalar == nullptr;
      const Scalar v = list ? Scalar() : c.binding->scalar(r);
      const size_t count = list ? c.binding->count(r) : 0;
      if (list ? count == 0 : IsAbsent(v)) continue;
      out.push_back(separator);
      separator = ',';
      AppendJsonString(out, c.field->name);
      out.push_back(':');
      if (!list) {
        AppendJsonScalar(out, v);
        continue;
      }
      out.push_back('[');
      for (size_t k = 0; k < count; ++k) {
        if (k > 0) out.push_back(',');
        if (c.field->item_type != FieldType::kObject) {
          AppendJsonString(out, c.binding->item(r, k, {}));
          continue;
        }
        char item_separator = '{';
        for (const FieldSchema& item_field : c.field->item_fields) {
          out.push_back(item_separator);
          item_separator = ',';
          AppendJsonString(out, item_field.name);
          out.push_back(':');
          AppendJsonString(out, c.binding->item(r, k, item_field.name));
        }
        out.push_back('}');
      }
      out.push_back(']');
    }
    if (separator == '{') out.push_back('{');  // no member at all
    out += "}\n";
  }

  json ToJson(const R& r) const {
    json j = json::object();
    for (const Column& c : columns_) {
      if (c.binding->scalar != nullptr) {
        const Scalar v = c.binding->scalar(r);
        if (!IsAbsent(v)) j[c.field->name] = JsonOf(v);
        continue;
      }
      const size_t count = c.binding->count(r);
      if (count == 0) continue;
      json items = json::array();
      for (size_t k = 0; k < count; ++k) {
        if (c.field->item_type != FieldType::kObject) {
          items.push_back(c.binding->item(r, k, {}));
          continue;
        }
        json item = json::object();
        for (const FieldSchema& item_field : c.field->item_fields) {
          item[item_field.name] = c.binding->item(r, k, item_field.name);
        }
        items.push_back(std::move(item));
      }
      j[c.field->name] = std::move(items);
    }
    return j;
  }

 private:
  struct Column {
    const FieldSchema* field;
    const FieldBinding<R>* binding;
  };

  std::vector<Column> columns_;
  std::string csv_header_;
};

template <typename R>
const GeneratedRecordWriter<R>& WriterOf();

template <>
const GeneratedRecordWriter<PersonRecord>& WriterOf<PersonRecord>() {
  static const GeneratedRecordWriter<PersonRecord> writer("persons", kPersonFields);
  return writer;
}

template <>
const GeneratedRecordWriter<CaseRecord>& WriterOf<CaseRecord>() {
  static const GeneratedRecordWriter<CaseRecord> writer("cases", kCaseFields);
  return writer;
}

template <>
const GeneratedRecordWriter<DeliveryRecord>& WriterOf<DeliveryRecord>() {
  static const GeneratedRecordWriter<DeliveryRecord> writer("deliveries", kDeliveryFields);
  return writer;
}

}  // namespace

template <typename R>
void GeneratedRecord<R>::AppendCsv(std::string& out) const {
  WriterOf<R>().AppendCsv(static_cast<const R&>(*this), out);
}

template <typename R>
void GeneratedRecord<R>::AppendJsonLine(std::string& out) const {
  WriterOf<R>().AppendJsonLine(static_cast<const R&>(*this), out);
}

template <typename R>
json GeneratedRecord<R>::ToJson() const {
  return WriterOf<R>().ToJson(static_cast<const R&>(*this));
}

template struct GeneratedRecord<PersonRecord>;
template struct GeneratedRecord<CaseRecord>;
template struct GeneratedRecord<DeliveryRecord>;

std::string_view CsvHeaderOf(std::string_view collection) {
  if (collection == "persons") return WriterOf<PersonRecord>().csv_header();
  if (collection == "cases") return WriterOf<CaseRecord>().csv_header();
  if (collection == "deliveries") return WriterOf<DeliveryRecord>().csv_header();
  return {};
}

void AppendCsvCell(std::string& out, std::string_view s) {
  if (!CsvCellNeedsQuotes(s)) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace warden::schema
