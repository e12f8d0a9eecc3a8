// The validator's fast paths (NFKC quick checks, the mainland mobile-number
// path) against their slow paths over the synthetic data generator's value
// space: every value of every field of thousands of generated persons, cases
// and deliveries, every division and township name addresses are made of,
// and each of them respelt the way real input arrives (full-width forms,
// ideographic spaces, separators in phone numbers).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "schema/division_table.h"
#include "schema/generator.h"
#include "schema/values.h"

namespace warden::schema {
namespace {

using nlohmann::json;

#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kRecords = 400;  // instrumented builds are ~10x slower
#else
constexpr uint64_t kRecords = 4'000;
#endif

using Normaliser = std::function<StatusOr<std::string>(std::string_view, std::string_view)>;

struct Counts {
  uint64_t nfkc = 0;
  uint64_t phones = 0;
};

void ExpectSame(const Normaliser& fast_path, const Normaliser& slow_path, const std::string& text) {
  StatusOr<std::string> fast = fast_path(text, "f");
  StatusOr<std::string> slow = slow_path(text, "f");
  ASSERT_EQ(fast.ok(), slow.ok()) << text;
  if (fast.ok()) {
    ASSERT_EQ(*fast, *slow) << text;
  } else {
    ASSERT_EQ(fast.status().fields(), slow.status().fields()) << text;
    ASSERT_EQ(fast.status().message(), slow.status().message()) << text;
  }
}

// ASCII letters and digits as their full-width forms (U+FF01..U+FF5E), and
// spaces as ideographic spaces: input that NFKC changes.
std::string FullWidth(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == ' ') {
      out += "\u3000";
    } else if (u > 0x20 && u < 0x7f) {
      char32_t cp = 0xFF01 + (u - 0x21);
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += c;
    }
  }
  return out;
}

void CompareText(const std::string& s, Counts& n) {
  for (const std::string& v : {s, FullWidth(s), s + "\u3000" + s, "\u00A0" + s}) {
    ExpectSame(NormaliseNfkc, NormaliseNfkcSlow, v);
    ++n.nfkc;
  }
}

void ComparePhone(const std::string& p, Counts& n) {
  std::string spaced =
      p.size() == 11 ? p.substr(0, 3) + " " + p.substr(3, 4) + " " + p.substr(7) : p;
  for (const std::string& v : {p, "+86 " + spaced, "0086-" + p, FullWidth(p), p + "1"}) {
    ExpectSame(NormalisePhone, NormalisePhoneSlow, v);
    ++n.phones;
  }
}

// Every string in a generated record; phone fields also as phones.
void CompareRecord(const json& j, const std::string& key, Counts& n) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) CompareRecord(v, k, n);
  } else if (j.is_array()) {
    for (const json& v : j) CompareRecord(v, key, n);
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    CompareText(s, n);
    if (key.find("phone") != std::string::npos) ComparePhone(s, n);
  } else {
    CompareText(j.dump(), n);
  }
}

TEST(FastPathTest, GeneratedPersonsCasesAndDeliveriesGiveTheSameValues) {
  Counts n;
  PersonGenerator persons(7);
  CaseGenerator cases(7, kRecords);
  DeliveryGenerator deliveries(7, kRecords);
  PersonRecord p;
  CaseRecord c;
  DeliveryRecord d;
  uint64_t phone_fields = 0;
  for (uint64_t i = 0; i < kRecords; ++i) {
    persons.Next(p);
    CompareRecord(p.ToJson(), "", n);
    phone_fields += static_cast<uint64_t>(p.phone_count);
    if (i % 4 == 0) {
      cases.Next(c);
      CompareRecord(c.ToJson(), "", n);
      deliveries.Next(d);
      CompareRecord(d.ToJson(), "", n);
      ++phone_fields;
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(n.phones, phone_fields * 5);
  EXPECT_GT(n.nfkc, kRecords * 10 * 4) << "every field of every record";
}

TEST(FastPathTest, EveryDivisionAndTownshipNameGivesTheSameValue) {
  Counts n;
  const DivisionTable& table = DivisionTable::Get();
  for (const Division* county : table.Counties()) {
    CompareText(table.FullName(county->code), n);
    for (const Township& t : table.TownshipsOf(county->code)) {
      CompareText(table.FullName(county->code) + std::string(t.name), n);
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(n.nfkc, table.Counties().size() * 4);
}

}  // namespace
}  // namespace warden::schema
