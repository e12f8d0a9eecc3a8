// Masks as a whole (SPEC §3, docs/access.md "Masks as a whole"): from
// everything one role's view shows of a record, how many resident ID numbers
// remain possible?
//
// The count starts from what the server would send — FieldView::Present over
// a generated record — and enumerates every number GB 11643 allows that
// agrees with it: division codes from the GB/T 2260 table that the ID
// validator accepts, calendar dates up to today, sequences of the right
// parity, and the check character. Other fields (a division code, an
// address's division names) do not prove where the number was issued, but
// usually agree with it; the count assumes the attacker's best guess and takes
// the smallest count over "the number's division lies inside this visible
// division", for every visible division, and "anywhere".
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "access/field_view.h"
#include "access/policy.h"
#include "schema/division_table.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "schema/resident_id.h"
#include "schema/schema.h"

namespace warden::access {
namespace {

using nlohmann::json;
using schema::CivilDate;
using schema::FieldType;

constexpr std::array<int, 17> kWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr std::string_view kCheckChars = "10X98765432";
constexpr int64_t kRequiredCandidates = 10'000;

// What a view tells about the resident ID number of a record.
struct IdEvidence {
  std::string pattern = std::string(18, '*');  // known characters, '*' where masked
  int birth_year = 0;                          // 0: not shown
  std::optional<CivilDate> birth_date;         // shown in full
  std::optional<bool> male;
  // Division-code prefixes shown elsewhere ("31" for a province, "3101" for
  // a city, "310115" for a district).
  std::vector<std::string> divisions;
};

// "310000" -> "31", "310100" -> "3101", "310115" -> "310115".
std::string DivisionPrefix(std::string code) {
  while (code.size() >= 2 && code.ends_with("00")) code.resize(code.size() - 2);
  return code;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads the evidence out of a presented record, field by field, by the
// schema's types: the resident ID itself, the date and gender fields the ID
// must agree with, division codes and addresses.
IdEvidence EvidenceOf(const schema::CollectionSchema& collection, const json& shown) {
  IdEvidence e;
  const schema::FieldSchema* id_field = collection.Field(collection.key_field);
  for (const schema::FieldSchema& f : collection.fields) {
    auto it = shown.find(f.name);
    if (it == shown.end() || !it->is_string()) continue;
    const std::string v = it->get<std::string>();
    if (f.type == FieldType::kCnResidentId && v.size() == 18) {
      e.pattern = v;
    } else if (id_field != nullptr && f.name == id_field->birth_date_field) {
      if (v.size() >= 4 && IsDigits(v.substr(0, 4))) e.birth_year = std::stoi(v.substr(0, 4));
      if (v.size() == 10) {
        e.birth_date =
            CivilDate{e.birth_year, std::stoi(v.substr(5, 2)), std::stoi(v.substr(8, 2))};
      }
    } else if (id_field != nullptr && f.name == id_field->gender_field) {
      if (v == "male" || v == "female") e.male = v == "male";
    } else if (f.type == FieldType::kDivisionCode && v.size() == 6 && IsDigits(v)) {
      e.divisions.push_back(DivisionPrefix(v));
    } else if (f.type == FieldType::kAddress) {
      if (auto m = schema::DivisionTable::Get().MatchAddress(v)) {
        e.divisions.push_back(DivisionPrefix(std::to_string(m->code)));
      }
    }
  }
  return e;
}

bool Agrees(char shown, char actual) { return shown == '*' || shown == actual; }

int WeightedSum(std::string_view digits, size_t first) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) sum += (digits[i] - '0') * kWeights[first + i];
  return sum % 11;
}

// Every division code the ID validator accepts in positions 1-6.
const std::vector<std::string>& IdDivisionCodes() {
  static const std::vector<std::string>* codes = [] {
    auto* out = new std::vector<std::string>();
    const CivilDate today{2024, 1, 1};
    for (uint32_t code = 100000; code <= 999999; ++code) {
      if (schema::DivisionTable::Get().Find(code) == nullptr) continue;
      std::string first17 = std::to_string(code) + "19800101001";
      std::string number = first17 + schema::ResidentIdCheckChar(first17);
      if (schema::ParseResidentId(number, today).ok()) out->push_back(std::to_string(code));
    }
    return out;
  }();
  return *codes;
}

// How many valid numbers agree with `e` and lie inside division `inside`
// ("" for anywhere). Counted exactly: the parts are enumerated separately and
// joined through their weighted sums modulo 11, which decide the check character.
int64_t CountCandidates(const IdEvidence& e, std::string_view inside, const CivilDate& today) {
  std::array<int64_t, 11> divisions{}, dates{}, sequences{};
  for (const std::string& code : IdDivisionCodes()) {
    if (!code.starts_with(inside)) continue;
    bool ok = true;
    for (size_t i = 0; i < 6; ++i) ok = ok && Agrees(e.pattern[i], code[i]);
    if (ok) ++divisions[static_cast<size_t>(WeightedSum(code, 0))];
  }
  const int first_year = e.birth_year != 0 ? e.birth_year : 1900;
  const int last_year = e.birth_year != 0 ? e.birth_year : today.year;
  for (int64_t day = schema::DaysFromCivil({first_year, 1, 1});
       day <= schema::DaysFromCivil({last_year, 12, 31}); ++day) {
    const CivilDate d = schema::CivilFromDays(day);
    if (d > today || (e.birth_date && d != *e.birth_date)) continue;
    char text[9];
    std::snprintf(text, sizeof(text), "%04d%02d%02d", d.year, d.month, d.day);
    bool ok = true;
    for (size_t i = 0; i < 8; ++i) ok = ok && Agrees(e.pattern[6 + i], text[i]);
    if (ok) ++dates[static_cast<size_t>(WeightedSum(std::string_view(text, 8), 6))];
  }
  for (int seq = 0; seq < 1000; ++seq) {
    if (e.male && (seq % 2 == 1) != *e.male) continue;
    char text[4];
    std::snprintf(text, sizeof(text), "%03d", seq);
    bool ok = true;
    for (size_t i = 0; i < 3; ++i) ok = ok && Agrees(e.pattern[14 + i], text[i]);
    if (ok) ++sequences[static_cast<size_t>(WeightedSum(std::string_view(text, 3), 14))];
  }
  int64_t total = 0;
  for (size_t a = 0; a < 11; ++a) {
    for (size_t b = 0; b < 11; ++b) {
      for (size_t c = 0; c < 11; ++c) {
        if (!Agrees(e.pattern[17], kCheckChars[(a + b + c) % 11])) continue;
        total += divisions[a] * dates[b] * sequences[c];
      }
    }
  }
  return total;
}

// The attacker's best guess: the fewest candidates over every visible
// division that the shown ID digits do not contradict.
int64_t Candidates(const IdEvidence& e, const CivilDate& today) {
  int64_t fewest = CountCandidates(e, "", today);
  for (const std::string& inside : e.divisions) {
    const int64_t n = CountCandidates(e, inside, today);
    if (n > 0) fewest = std::min(fewest, n);
  }
  return fewest;
}

// Whether `id` is among the numbers `e` allows (so the count is of a set
// that holds the truth).
bool Consistent(const IdEvidence& e, const std::string& id) {
  for (size_t i = 0; i < 18; ++i) {
    if (!Agrees(e.pattern[i], id[i])) return false;
  }
  if (e.birth_year != 0 && std::stoi(id.substr(6, 4)) != e.birth_year) return false;
  return !e.male || ((id[16] - '0') % 2 == 1) == *e.male;
}

const CivilDate kToday = schema::CivilDateOfMicros(Clock::Real().NowMicros());

schema::Record GeneratedPerson(const schema::PersonGenerator& gen, uint64_t index) {
  schema::PersonRecord p;
  gen.At(index, p);
  StatusOr<schema::Record> r = schema::ValidateRecord(*schema::Schema::Registry().Find("persons"),
                                                      p.ToJson(), Clock::Real());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : schema::Record::object();
}

EffectivePolicy DefaultsOf(Role role) { return ResolvePolicy(RoleSet{role}, {}, std::nullopt); }

struct Figures {
  int64_t fewest = INT64_MAX;
  int64_t median = 0;
};

// The candidate counts of `role`'s view over the first `count` generated persons.
Figures PersonFigures(Role role, uint64_t count) {
  const schema::CollectionSchema& persons = *schema::Schema::Registry().Find("persons");
  const FieldView view = FieldView::For(RoleSet{role}, DefaultsOf(role), "persons");
  schema::PersonGenerator gen(/*seed=*/20260311);
  std::vector<int64_t> counts;
  for (uint64_t i = 0; i < count; ++i) {
    const schema::Record record = GeneratedPerson(gen, i);
    const IdEvidence e = EvidenceOf(persons, view.Present(persons, record));
    EXPECT_TRUE(Consistent(e, record["national_id"].get<std::string>())) << i;
    counts.push_back(Candidates(e, kToday));
  }
  std::sort(counts.begin(), counts.end());
  return {counts.front(), counts[counts.size() / 2]};
}

TEST(MaskCandidatesTest, EveryMaskedRoleLeavesAtLeastTenThousandIdNumbers) {
  for (Role role : {Role::kOfficer, Role::kInvestigator, Role::kRegistrar, Role::kService}) {
    const Figures f = PersonFigures(role, 300);
    EXPECT_GE(f.fewest, kRequiredCandidates) << RoleName(role);
    std::printf("persons, %s view: at least %lld candidates, median %lld\n",
                std::string(RoleName(role)).c_str(), static_cast<long long>(f.fewest),
                static_cast<long long>(f.median));
  }
}

TEST(MaskCandidatesTest, DutyRolesSeeNothingOfAPerson) {
  const schema::CollectionSchema& persons = *schema::Schema::Registry().Find("persons");
  schema::PersonGenerator gen(7);
  const schema::Record record = GeneratedPerson(gen, 0);
  for (Role role : {Role::kOperator, Role::kSecurityOfficer, Role::kAuditor}) {
    EXPECT_TRUE(
        FieldView::For(RoleSet{role}, DefaultsOf(role), "persons").Present(persons, record).empty())
        << RoleName(role);
  }
}

TEST(MaskCandidatesTest, TheCaseViewOfAPartyLeavesAtLeastTenThousand) {
  const schema::CollectionSchema& cases = *schema::Schema::Registry().Find("cases");
  const schema::CollectionSchema& persons = *schema::Schema::Registry().Find("persons");
  const FieldView view =
      FieldView::For(RoleSet{Role::kOfficer}, DefaultsOf(Role::kOfficer), "cases");
  schema::CaseGenerator gen(20260311, 1000);
  for (uint64_t i = 0; i < 20; ++i) {
    schema::CaseRecord c;
    gen.At(i, c);
    StatusOr<schema::Record> r = schema::ValidateRecord(cases, c.ToJson(), Clock::Real());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const json shown = view.Present(cases, *r);
    ASSERT_TRUE(shown.contains("persons"));
    for (const json& party : shown["persons"]) {
      // A party shows its masked number only; the station may be near it.
      IdEvidence e = EvidenceOf(persons, {{"national_id", party["national_id"]}});
      e.divisions.push_back(DivisionPrefix(shown["station"].get<std::string>()));
      EXPECT_GE(Candidates(e, kToday), kRequiredCandidates) << party;
    }
  }
}

// The counter itself: the officer view before issue 11 (first 3 and last 4
// ID characters, the full birthplace code, birth year, gender, district
// addresses) left a few dozen numbers. A counter that did not see this would
// prove nothing.
TEST(MaskCandidatesTest, CounterSeesThatTheOldOfficerViewAlmostGaveTheNumberAway) {
  const schema::CollectionSchema& persons = *schema::Schema::Registry().Find("persons");
  const FieldView view =
      FieldView::For(RoleSet{Role::kOfficer}, DefaultsOf(Role::kOfficer), "persons");
  schema::PersonGenerator gen(20260311);
  const schema::Record record = GeneratedPerson(gen, 1);
  json old_view = view.Present(persons, record);
  const std::string id = record["national_id"];
  old_view["national_id"] = id.substr(0, 3) + std::string(11, '*') + id.substr(14);
  old_view["birthplace"] = record["birthplace"];
  const IdEvidence e = EvidenceOf(persons, old_view);
  ASSERT_TRUE(Consistent(e, id));
  const int64_t n = Candidates(e, kToday);
  EXPECT_GE(n, 1);
  EXPECT_LE(n, 40) << "month and day over the check character: about 366 / 11";
}

}  // namespace
}  // namespace warden::access
