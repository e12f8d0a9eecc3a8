#include "schema/generator.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <unordered_set>

#include "schema/division_table.h"
#include "schema/record.h"
#include "schema/record_reader.h"

namespace warden::schema {
namespace {

using nlohmann::json;

const FakeClock kClock(1'717'200'000'000'000);  // 2024-06-01

const CollectionSchema& Collection(const char* name) { return *Schema::Registry().Find(name); }

TEST(GeneratorTest, EveryGeneratedPersonValidates) {
  PersonGenerator gen(42);
  PersonRecord p;
  for (int i = 0; i < 20000; ++i) {
    gen.Next(p);
    StatusOr<Record> r = ValidateRecord(Collection("persons"), p.ToJson(), kClock);
    ASSERT_TRUE(r.ok()) << "person " << i << ": " << r.status().ToString();
  }
}

TEST(GeneratorTest, EveryGeneratedCaseAndDeliveryValidates) {
  CaseGenerator cases(7, 1000);
  DeliveryGenerator deliveries(7, 1000);
  CaseRecord c;
  DeliveryRecord d;
  for (int i = 0; i < 3000; ++i) {
    cases.Next(c);
    StatusOr<Record> r = ValidateRecord(Collection("cases"), c.ToJson(), kClock);
    ASSERT_TRUE(r.ok()) << "case " << i << ": " << r.status().ToString();
    deliveries.Next(d);
    r = ValidateRecord(Collection("deliveries"), d.ToJson(), kClock);
    ASSERT_TRUE(r.ok()) << "delivery " << i << ": " << r.status().ToString();
  }
}

// Generated records of every collection written in `format` and read back:
// every row is valid, and the fields seen are exactly the schema's.
template <typename Generator, typename Row>
void ExpectReadBackValid(Generator gen, const char* collection, RecordFormat format) {
  std::string text = format == RecordFormat::kCsv ? std::string(CsvHeaderOf(collection)) : "";
  Row row;
  for (int i = 0; i < 500; ++i) {
    gen.Next(row);
    if (format == RecordFormat::kCsv) {
      row.AppendCsv(text);
    } else {
      row.AppendJsonLine(text);
    }
  }
  std::istringstream in(text);
  RecordReader reader(in, format, &Collection(collection));
  std::set<std::string> seen;
  int valid = 0;
  while (auto read = reader.Next()) {
    ASSERT_TRUE(read->record.ok()) << read->record.status().ToString();
    StatusOr<Record> r = ValidateRecord(Collection(collection), *read->record, kClock);
    ASSERT_TRUE(r.ok()) << collection << " line " << read->line << ": " << r.status().ToString();
    for (const auto& [name, value] : read->record->items()) seen.insert(name);
    ++valid;
  }
  EXPECT_EQ(valid, 500) << collection;
  std::set<std::string> fields;
  for (const FieldSchema& f : Collection(collection).fields) fields.insert(f.name);
  EXPECT_EQ(seen, fields) << collection << ": a field of the schema is never written";
}

TEST(GeneratorTest, CsvAndJsonLinesOutputValidateThroughTheReader) {
  for (RecordFormat format : {RecordFormat::kCsv, RecordFormat::kJsonLines}) {
    ExpectReadBackValid<PersonGenerator, PersonRecord>(PersonGenerator(4), "persons", format);
    ExpectReadBackValid<CaseGenerator, CaseRecord>(CaseGenerator(4, 100), "cases", format);
    ExpectReadBackValid<DeliveryGenerator, DeliveryRecord>(DeliveryGenerator(4, 100), "deliveries",
                                                           format);
  }
}

TEST(GeneratorTest, CsvHeaderIsTheSchemasFieldsInOrder) {
  for (const CollectionSchema& c : Schema::Registry().collections()) {
    std::string expected;
    for (const FieldSchema& f : c.fields) expected += (expected.empty() ? "" : ",") + f.name;
    EXPECT_EQ(CsvHeaderOf(c.name), expected + "\n");
  }
  EXPECT_EQ(CsvHeaderOf("no_such_collection"), "");
}

TEST(GeneratorTest, AnEmptyValueIsAnAbsentFieldInEveryFormat) {
  PersonRecord p;
  PersonGenerator(6).At(0, p);
  p.notes = {};
  std::string csv, jsonl;
  p.AppendCsv(csv);
  p.AppendJsonLine(jsonl);
  EXPECT_TRUE(csv.ends_with(",\n")) << csv;  // notes is the last column
  EXPECT_EQ(jsonl.find("notes"), std::string::npos) << jsonl;
  EXPECT_FALSE(p.ToJson().contains("notes"));
  p.notes = "户籍迁入";
  csv.clear();
  p.AppendCsv(csv);
  EXPECT_TRUE(csv.ends_with(",户籍迁入\n")) << csv;
  EXPECT_EQ(p.ToJson()["notes"], "户籍迁入");
}

TEST(GeneratorTest, ListAndObjectCellsAreQuotedWhenAValueNeedsIt) {
  CaseRecord c;
  CaseGenerator(2, 10).At(0, c);
  c.person_count = 2;
  c.persons[1].national_id = "a,\"b\"";
  std::string csv(CsvHeaderOf("cases"));
  c.AppendCsv(csv);
  std::istringstream in(csv);
  RecordReader reader(in, RecordFormat::kCsv, &Collection("cases"));
  auto row = reader.Next();
  ASSERT_TRUE(row && row->record.ok()) << csv;
  EXPECT_EQ((*row->record)["persons"][1]["national_id"], "a,\"b\"");
  EXPECT_EQ((*row->record)["summary"], c.summary);
  EXPECT_EQ(c.ToJson()["persons"][1]["national_id"], "a,\"b\"");
}

TEST(GeneratorTest, SameSeedGivesSamePersonsAndOtherSeedsDiffer) {
  PersonGenerator a(9), b(9), c(10);
  PersonRecord pa, pb, pc;
  for (uint64_t i : {0ull, 1ull, 999ull, 123456ull}) {
    a.At(i, pa);
    b.At(i, pb);
    c.At(i, pc);
    EXPECT_EQ(pa.ToJson(), pb.ToJson());
    EXPECT_NE(pa.national_id, pc.national_id);
    std::string id;
    a.NationalIdAt(i, id);
    EXPECT_EQ(id, pa.national_id);
  }
}

TEST(GeneratorTest, IdNumbersAndPhonesAreUnique) {
  PersonGenerator gen(1);
  PersonRecord p;
  std::unordered_set<std::string> ids, phones;
  for (int i = 0; i < 200000; ++i) {
    gen.Next(p);
    ASSERT_TRUE(ids.insert(p.national_id).second) << "duplicate ID at " << i;
    for (int j = 0; j < p.phone_count; ++j) {
      ASSERT_TRUE(phones.insert(p.phones[static_cast<size_t>(j)]).second) << "duplicate phone";
    }
  }
  EXPECT_GT(gen.Capacity(), 1'000'000'000ull);
}

TEST(GeneratorTest, AddressesAgreeWithTheDivisionCode) {
  PersonGenerator gen(5);
  PersonRecord p;
  const DivisionTable& table = DivisionTable::Get();
  for (int i = 0; i < 5000; ++i) {
    gen.Next(p);
    auto hukou = table.MatchAddress(p.hukou_address);
    ASSERT_TRUE(hukou.has_value()) << p.hukou_address;
    EXPECT_EQ(std::to_string(hukou->code), p.national_id.substr(0, 6)) << p.hukou_address;
    EXPECT_EQ(p.birthplace, p.national_id.substr(0, 6));
    auto current = table.MatchAddress(p.current_address);
    ASSERT_TRUE(current.has_value());
    EXPECT_EQ(current->code, p.current_county);
  }
}

TEST(GeneratorTest, PopulousProvincesDominateAndSurnamesFollowFrequency) {
  PersonGenerator gen(11);
  PersonRecord p;
  int guangdong = 0, tibet = 0, wang = 0, rare = 0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    gen.Next(p);
    if (p.national_id.starts_with("44")) ++guangdong;
    if (p.national_id.starts_with("54")) ++tibet;
    if (p.name.starts_with("王")) ++wang;
    if (p.name.starts_with("诸葛")) ++rare;
  }
  // Guangdong holds ~9% of the population, Tibet ~0.26%.
  EXPECT_GT(guangdong, n * 6 / 100);
  EXPECT_LT(tibet, n * 1 / 100);
  EXPECT_GT(wang, n * 5 / 100);
  EXPECT_LT(rare, n / 1000);
}

TEST(GeneratorTest, CasesReferToPersonsOfTheSameSeed) {
  const uint64_t population = 500;
  PersonGenerator persons(21);
  std::unordered_set<std::string> ids;
  std::string id;
  for (uint64_t i = 0; i < population; ++i) {
    persons.NationalIdAt(i, id);
    ids.insert(id);
  }
  CaseGenerator cases(21, population);
  CaseRecord c;
  std::unordered_set<std::string> case_numbers;
  for (int i = 0; i < 2000; ++i) {
    cases.Next(c);
    EXPECT_TRUE(case_numbers.insert(c.case_no).second);
    for (int k = 0; k < c.person_count; ++k) {
      EXPECT_TRUE(ids.count(c.persons[static_cast<size_t>(k)].national_id));
    }
  }
  DeliveryGenerator deliveries(21, population);
  DeliveryRecord d;
  std::unordered_set<std::string> waybills;
  for (int i = 0; i < 2000; ++i) {
    deliveries.Next(d);
    EXPECT_TRUE(waybills.insert(d.waybill_no).second);
  }
}

TEST(GeneratorTest, CanariesAreReproducibleAndDistinct) {
  auto a = ChooseCanaries(77, 1000, 25);
  auto b = ChooseCanaries(77, 1000, 25);
  auto c = ChooseCanaries(78, 1000, 25);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), 25u);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  for (uint64_t i : *a) EXPECT_LT(i, 1000u);
  EXPECT_FALSE(ChooseCanaries(1, 10, 11).ok());
  EXPECT_EQ(ChooseCanaries(1, 1, 1)->size(), 1u);
}

// FNV-1a, enough to notice any changed byte of a generated stream.
uint64_t Fingerprint(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

enum class Form { kCsv, kJsonLine, kJson };

// The first `count` records of `gen` in one form, one after the other.
template <typename Generator, typename Row>
std::string Stream(Generator gen, Form form, int count) {
  std::string out;
  Row row;
  for (int i = 0; i < count; ++i) {
    gen.Next(row);
    if (form == Form::kCsv) row.AppendCsv(out);
    if (form == Form::kJsonLine) row.AppendJsonLine(out);
    if (form == Form::kJson) out += row.ToJson().dump() + "\n";
  }
  return out;
}

// The bytes `warden gen` writes for a seed are part of its contract: tests,
// demos and benchmarks rely on the same seed giving the same files.
TEST(GeneratorTest, OutputForASeedStaysTheSame) {
  constexpr int kCount = 3000;
  struct Expected {
    const char* what;
    std::string text;
    uint64_t fingerprint;
  };
  using P = PersonGenerator;
  using C = CaseGenerator;
  using D = DeliveryGenerator;
  const Expected streams[] = {
      {"persons csv", Stream<P, PersonRecord>(P(1), Form::kCsv, kCount), 8811694541032141392ULL},
      {"persons jsonl", Stream<P, PersonRecord>(P(1), Form::kJsonLine, kCount),
       7183859809945477749ULL},
      {"persons json", Stream<P, PersonRecord>(P(1), Form::kJson, kCount), 3622605288973095809ULL},
      {"cases csv", Stream<C, CaseRecord>(C(1, 1000), Form::kCsv, kCount), 87736559221450697ULL},
      {"cases jsonl", Stream<C, CaseRecord>(C(1, 1000), Form::kJsonLine, kCount),
       7232497814105463971ULL},
      {"cases json", Stream<C, CaseRecord>(C(1, 1000), Form::kJson, kCount),
       18375566244133174833ULL},
      {"deliveries csv", Stream<D, DeliveryRecord>(D(1, 1000), Form::kCsv, kCount),
       14380738503292460942ULL},
      {"deliveries jsonl", Stream<D, DeliveryRecord>(D(1, 1000), Form::kJsonLine, kCount),
       17631152264991967793ULL},
      {"deliveries json", Stream<D, DeliveryRecord>(D(1, 1000), Form::kJson, kCount),
       14021096435079330893ULL},
  };
  for (const Expected& e : streams) {
    EXPECT_EQ(Fingerprint(e.text), e.fingerprint) << e.what << " changed; it starts:\n"
                                                  << e.text.substr(0, 600);
  }
}

TEST(GeneratorTest, JsonWriterEscapesAndCsvWriterQuotes) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\"");
  EXPECT_EQ(json::parse(out), "a\"b\\c\n\x01");
  out.clear();
  AppendCsvCell(out, "x,\"y\"");
  EXPECT_EQ(out, "\"x,\"\"y\"\"\"");
}

}  // namespace
}  // namespace warden::schema
