#include "schema/resident_id.h"

#include <gtest/gtest.h>

#include "schema/division_table.h"

namespace warden::schema {
namespace {

const CivilDate kToday{2024, 6, 1};

std::string RuleOf(const StatusOr<ResidentId>& r) {
  if (r.ok() || r.status().fields().empty()) return "";
  return r.status().fields()[0].rule;
}

// Completes 17 digits with their check character.
std::string WithCheck(std::string first17) {
  first17.push_back(ResidentIdCheckChar(first17));
  return first17;
}

TEST(ResidentIdTest, StandardExampleIsValid) {
  // The example of GB 11643-1999: Beijing Chaoyang, 1949-12-31, female.
  StatusOr<ResidentId> id = ParseResidentId("11010519491231002X", kToday);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->number, "11010519491231002X");
  EXPECT_EQ(id->division, 110105u);
  EXPECT_EQ(id->birth_date, (CivilDate{1949, 12, 31}));
  EXPECT_FALSE(id->male);
}

TEST(ResidentIdTest, KnownAnswerCheckCharacters) {
  EXPECT_EQ(ResidentIdCheckChar("11010519491231002"), 'X');
  EXPECT_EQ(ResidentIdCheckChar("44052418800101001"), '4');
  EXPECT_EQ(ResidentIdCheckChar("31011519800101001"), '6');
  // All-zero digits sum to 0: remainder 0 gives '1'.
  EXPECT_EQ(ResidentIdCheckChar("00000000000000000"), '1');
}

TEST(ResidentIdTest, OddSequenceIsMale) {
  StatusOr<ResidentId> id = ParseResidentId(WithCheck("31011519800101001"), kToday);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->male);
}

TEST(ResidentIdTest, LowerCaseXIsRejectedWithClearRule) {
  StatusOr<ResidentId> id = ParseResidentId("11010519491231002x", kToday);
  EXPECT_EQ(RuleOf(id), "lowercase_x");
  EXPECT_NE(id.status().message().find("upper case"), std::string::npos);
  EXPECT_EQ(id.status().fields()[0].field, "national_id");
}

TEST(ResidentIdTest, EverySingleDigitMutationIsRejected) {
  const std::string valid = "11010519491231002X";
  const std::string alphabet = "0123456789X";
  int mutations = 0;
  for (size_t pos = 0; pos < valid.size(); ++pos) {
    for (char c : alphabet) {
      if (c == valid[pos] || (c == 'X' && pos != 17)) continue;
      std::string mutated = valid;
      mutated[pos] = c;
      EXPECT_FALSE(ParseResidentId(mutated, kToday).ok()) << "position " << pos << " -> " << c;
      ++mutations;
    }
  }
  EXPECT_EQ(mutations, 17 * 9 + 10);
}

TEST(ResidentIdTest, AdjacentTranspositionsAreRejectedWhereTheChecksumCatchesThem) {
  const std::string valid = WithCheck("31011519870312453");
  int caught = 0;
  for (size_t pos = 0; pos + 1 < 17; ++pos) {
    if (valid[pos] == valid[pos + 1]) continue;
    std::string swapped = valid;
    std::swap(swapped[pos], swapped[pos + 1]);
    // MOD 11-2 with distinct adjacent weights detects every such swap.
    ASSERT_NE(ResidentIdCheckChar(swapped.substr(0, 17)), valid[17]);
    EXPECT_FALSE(ParseResidentId(swapped, kToday).ok()) << "swap at " << pos;
    ++caught;
  }
  EXPECT_GT(caught, 10);
}

TEST(ResidentIdTest, FutureBirthDateIsRejected) {
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31011520240602001"), kToday)), "future_date");
  EXPECT_TRUE(ParseResidentId(WithCheck("31011520240601001"), kToday).ok());
}

TEST(ResidentIdTest, ThirtiethOfFebruaryIsRejected) {
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31011519900230001"), kToday)), "date");
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31011519000229001"), kToday)), "date");
  EXPECT_TRUE(ParseResidentId(WithCheck("31011520000229001"), kToday).ok());
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31011519901301001"), kToday)), "date");
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31011519900100001"), kToday)), "date");
}

TEST(ResidentIdTest, UnknownDivisionCodeIsRejected) {
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("99999919800101001"), kToday)), "division_code");
  // A province code alone is not a place of registration.
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("31000019800101001"), kToday)), "division_code");
  // Development zones have statistical codes, not GB/T 2260 codes.
  EXPECT_EQ(RuleOf(ParseResidentId(WithCheck("13017119800101001"), kToday)), "division_code");
}

TEST(ResidentIdTest, HistoricalDivisionCodesAreAccepted) {
  for (const char* code : {"110103", "110104", "310103", "310108"}) {
    StatusOr<ResidentId> id = ParseResidentId(WithCheck(std::string(code) + "19700101001"), kToday);
    EXPECT_TRUE(id.ok()) << code << ": " << id.status().ToString();
  }
  const Division* chongwen = DivisionTable::Get().Find(110103);
  ASSERT_NE(chongwen, nullptr);
  EXPECT_TRUE(chongwen->historical);
}

// Abolished or renamed county-level codes, each beside the current code of
// the same place: they are checked against this list, not against the table.
struct Abolished {
  const char* code;
  const char* successor;
};
constexpr Abolished kAbolished[] = {
    {"120221", "120117"},  // 宁河县 -> 宁河区 (2015)
    {"610721", "610703"},  // 南郑县 -> 南郑区 (2017)
    {"320125", "320118"},  // 高淳县 -> 高淳区 (2013)
    {"350202", "350203"},  // 鼓浪屿区 -> 思明区 (2003)
    {"320901", "320902"},  // 盐城市 市辖区, a placeholder code no longer listed
    {"110228", "110118"},  // 密云县 -> 密云区 (2015)
    {"110229", "110119"},  // 延庆县 -> 延庆区 (2015)
    {"120225", "120119"},  // 蓟县 -> 蓟州区 (2016)
    {"310230", "310151"},  // 崇明县 -> 崇明区 (2016)
    {"330183", "330111"},  // 富阳市 -> 富阳区 (2014)
    {"130182", "130109"},  // 藁城市 -> 藁城区 (2014)
    {"370125", "370115"},  // 济阳县 -> 济阳区 (2018)
    {"310102", "310101"},  // 南市区 -> 黄浦区 (2000)
};

TEST(ResidentIdTest, IdsFromAbolishedDivisionsAreAccepted) {
  for (const Abolished& a : kAbolished) {
    for (const char* code : {a.code, a.successor}) {
      StatusOr<ResidentId> id =
          ParseResidentId(WithCheck(std::string(code) + "19700101001"), kToday);
      ASSERT_TRUE(id.ok()) << code << ": " << id.status().ToString();
      EXPECT_EQ(id->division, static_cast<uint32_t>(std::stoul(code)));
    }
    const Division* old_code = DivisionTable::Get().Find(a.code);
    ASSERT_NE(old_code, nullptr) << a.code;
    EXPECT_TRUE(old_code->historical) << a.code;
    const Division* current = DivisionTable::Get().Find(a.successor);
    ASSERT_NE(current, nullptr) << a.successor;
    EXPECT_FALSE(current->historical) << a.successor;
  }
}

TEST(ResidentIdTest, AbolishedDivisionsAreNeverGeneratedOrMatched) {
  const DivisionTable& table = DivisionTable::Get();
  for (const Division* d : table.Counties()) EXPECT_FALSE(d->historical) << d->code;
  // 天津市宁河县 names a division that no longer exists: an address with it
  // is placed in the province only, never in the abolished code.
  std::optional<DivisionTable::AddressMatch> m = table.MatchAddress("天津市宁河县芦台镇");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->code, 120000u);
  m = table.MatchAddress("天津市宁河区芦台街道");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->code, 120117u);
}

TEST(ResidentIdTest, FifteenDigitNumberIsConverted) {
  // 110105 491231 002: the standard's example in its pre-1999 form.
  StatusOr<ResidentId> id = ParseResidentId("110105491231002", kToday);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->number, "11010519491231002X");
  EXPECT_EQ(RuleOf(ParseResidentId("11010549123100X", kToday)), "format");
  EXPECT_EQ(RuleOf(ParseResidentId("110105490231002", kToday)), "date");
}

TEST(ResidentIdTest, WrongLengthAndLettersAreRejected) {
  EXPECT_EQ(RuleOf(ParseResidentId("", kToday)), "length");
  EXPECT_EQ(RuleOf(ParseResidentId("11010519491231002", kToday)), "length");
  EXPECT_EQ(RuleOf(ParseResidentId("11010519491231002XX", kToday)), "length");
  EXPECT_EQ(RuleOf(ParseResidentId("1101051949123100AX", kToday)), "format");
  EXPECT_EQ(RuleOf(ParseResidentId("11010519491231002Y", kToday)), "format");
}

TEST(ResidentIdTest, ErrorMessagesDoNotContainTheNumber) {
  StatusOr<ResidentId> id = ParseResidentId("11010519491231003X", kToday);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message().find("1101051949"), std::string::npos);
}

TEST(CivilDateTest, DayCountsRoundTrip) {
  for (int64_t d = -80000; d < 80000; d += 37) {
    CivilDate c = CivilFromDays(d);
    EXPECT_TRUE(IsValidCivilDate(c.year, c.month, c.day));
    EXPECT_EQ(DaysFromCivil(c), d);
  }
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(CivilDateOfMicros(1'700'000'000'000'000), (CivilDate{2023, 11, 14}));
}

}  // namespace
}  // namespace warden::schema
