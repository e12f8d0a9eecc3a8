// Synthetic records for tests, demos and benchmarks: never real people.
//
// PersonGenerator, CaseGenerator and DeliveryGenerator are deterministic for
// a seed: record i is a pure function of (seed, i), so output streams in
// constant memory at any count, and cases and deliveries refer to the very
// persons a PersonGenerator with the same seed produces.
//
// Persons: ID numbers valid under GB 11643-1999 and unique (a keyed
// permutation of the space of (county, birth date, sequence) triples, so no
// set of issued numbers is kept), over current county codes weighted by
// approximate province population; birth dates 1930-2020; surnames from the
// real frequency distribution; addresses inside the division of the ID
// number; unique mobile numbers (another keyed permutation).
//
// Canaries: a reproducible choice of record indices from the seed. Canary
// records are ordinary records; only the operator's separate list says which.
//
// Generators are immutable after construction and thread-safe; the record
// structs are reused between calls to avoid allocation.
//
// Writing records (generator_writers.cc) is derived from the built-in
// schema: each record type binds the schema's field names to its members
// once, and one writer per format (CSV, JSON Lines, JSON) walks the
// collection's fields in schema order, writing each value as its field type
// asks. An empty text or list is an absent field: an empty CSV cell, no JSON
// member.
#ifndef WARDEN_SCHEMA_GENERATOR_H_
#define WARDEN_SCHEMA_GENERATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace warden::schema {

// The output forms of every generated record type R, written by walking R's
// collection in the built-in schema.
template <typename R>
struct GeneratedRecord {
  // One CSV row (with '\n') in the columns of CsvHeaderOf(collection).
  void AppendCsv(std::string& out) const;
  // One JSON Lines row (with '\n').
  void AppendJsonLine(std::string& out) const;
  nlohmann::json ToJson() const;
};

struct PersonRecord : GeneratedRecord<PersonRecord> {
  std::string national_id;
  std::string name;
  std::string_view gender;  // "male" / "female"
  std::string birth_date;   // YYYY-MM-DD
  std::string_view ethnicity;
  std::string birthplace;  // six-digit division code
  std::string hukou_address;
  std::string current_address;
  std::array<std::string, 2> phones;
  int phone_count = 1;
  int height_cm = 0;
  std::string_view education;
  std::string_view marital_status;
  std::string_view notes;  // empty: absent
  uint32_t current_county = 0;
};

struct CaseRecord : GeneratedRecord<CaseRecord> {
  std::string case_no;
  std::string opened_on;
  std::string_view category;
  std::string station;
  std::string summary;
  struct Party {
    std::string national_id;
    std::string_view role;
  };
  std::array<Party, 3> persons;
  int person_count = 1;
  std::string_view status;
  bool monitor = false;
};

struct DeliveryRecord : GeneratedRecord<DeliveryRecord> {
  std::string waybill_no;
  std::string shipped_on;
  std::string recipient_name;
  std::string recipient_phone;
  std::string recipient_address;
  std::string_view courier;
  std::string_view instructions;  // empty: absent
};

extern template struct GeneratedRecord<PersonRecord>;
extern template struct GeneratedRecord<CaseRecord>;
extern template struct GeneratedRecord<DeliveryRecord>;

// The CSV header line (with '\n') of a built-in collection's generated
// records: its field names in schema order. Empty for other names.
std::string_view CsvHeaderOf(std::string_view collection);

class PersonGenerator {
 public:
  explicit PersonGenerator(uint64_t seed);
  ~PersonGenerator();
  PersonGenerator(const PersonGenerator&) = delete;
  PersonGenerator& operator=(const PersonGenerator&) = delete;

  // How many distinct persons one seed can produce.
  uint64_t Capacity() const;
  // Person `index` (< Capacity()).
  void At(uint64_t index, PersonRecord& out) const;
  // Only the ID number of person `index`, cheaper than At().
  void NationalIdAt(uint64_t index, std::string& out) const;
  // Sequential access: person 0, 1, 2, ...
  void Next(PersonRecord& out) { At(next_++, out); }

 private:
  struct Tables;
  uint64_t seed_;
  std::unique_ptr<Tables> t_;
  uint64_t next_ = 0;
  friend class CaseGenerator;
  friend class DeliveryGenerator;
};

// Cases naming persons among the first `population` persons of the seed.
class CaseGenerator {
 public:
  CaseGenerator(uint64_t seed, uint64_t population);
  void At(uint64_t index, CaseRecord& out) const;
  void Next(CaseRecord& out) { At(next_++, out); }

 private:
  uint64_t seed_;
  uint64_t population_;
  PersonGenerator persons_;
  uint64_t next_ = 0;
};

// Deliveries to persons among the first `population` persons of the seed.
class DeliveryGenerator {
 public:
  DeliveryGenerator(uint64_t seed, uint64_t population);
  void At(uint64_t index, DeliveryRecord& out) const;
  void Next(DeliveryRecord& out) { At(next_++, out); }

 private:
  uint64_t seed_;
  uint64_t population_;
  PersonGenerator persons_;
  uint64_t next_ = 0;
};

// The canary indices among `count` records: `canaries` distinct indices,
// chosen reproducibly from the seed. kInvalidArgument if canaries > count.
StatusOr<std::unordered_set<uint64_t>> ChooseCanaries(uint64_t seed, uint64_t count,
                                                      uint64_t canaries);

// Appends `s` as a CSV cell (quoted when it holds , " or a line break).
void AppendCsvCell(std::string& out, std::string_view s);
// Appends `s` as a JSON string literal.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_GENERATOR_H_
