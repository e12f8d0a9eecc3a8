#include "access/purpose.h"

#include <gtest/gtest.h>

namespace warden::access {
namespace {

TEST(PurposeTest, ParsesKindReferenceAndReason) {
  StatusOr<Purpose> p = ParsePurpose("case/2024-310115-0042", "witness statement check");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->kind, PurposeKind::kCase);
  EXPECT_EQ(p->reference, "2024-310115-0042");
  EXPECT_EQ(p->reason, "witness statement check");
  EXPECT_EQ(p->ToString(), "case/2024-310115-0042");
}

TEST(PurposeTest, EveryKindOfTheSpecIsAccepted) {
  for (const char* h :
       {"case/1", "subject-request/SR-9", "correction/c.1", "import/batch:7", "audit/Q3/2026"}) {
    EXPECT_TRUE(ParsePurpose(h, "").ok()) << h;
  }
}

TEST(PurposeTest, MissingPurposeIsPurposeRequired) {
  for (const char* h : {"", "   "}) {
    Status st = ParsePurpose(h, "").status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(st.reason(), "purpose_required");
    EXPECT_EQ(HttpStatusOf(st.code()), 400);
  }
}

TEST(PurposeTest, MalformedPurposesAreInvalidNamingTheRule) {
  struct Case {
    const char* header;
    const char* rule;
  } cases[] = {
      {"case", "format"},     {"curiosity/1", "kind"},   {"CASE/1", "kind"},
      {"case/", "reference"}, {"case/a b", "reference"}, {"case/<script>", "reference"},
      {"/123", "kind"},
  };
  for (const Case& c : cases) {
    Status st = ParsePurpose(c.header, "").status();
    EXPECT_EQ(st.reason(), "purpose_invalid") << c.header;
    ASSERT_EQ(st.fields().size(), 1u) << c.header;
    EXPECT_EQ(st.fields()[0].field, "Warden-Purpose");
    EXPECT_EQ(st.fields()[0].rule, c.rule) << c.header;
  }
  EXPECT_EQ(ParsePurpose("case/" + std::string(65, 'x'), "").status().reason(), "purpose_invalid");
  EXPECT_TRUE(ParsePurpose("case/" + std::string(64, 'x'), "").ok());
}

TEST(PurposeTest, ReasonLongerThan200CharactersRefused) {
  std::string han;
  for (int i = 0; i < 200; ++i) han += "\u6848";  // 200 characters, 600 bytes
  EXPECT_TRUE(ParsePurpose("case/1", han).ok());
  Status st = ParsePurpose("case/1", han + "x").status();
  EXPECT_EQ(st.reason(), "purpose_invalid");
  EXPECT_EQ(st.fields()[0].field, "Warden-Reason");
  EXPECT_EQ(st.fields()[0].rule, "length");
}

TEST(PurposeTest, ReasonWithControlCharactersOrBadUtf8Refused) {
  EXPECT_EQ(ParsePurpose("case/1", "line\nbreak").status().fields()[0].rule, "control_character");
  EXPECT_EQ(ParsePurpose("case/1", "\xC0\xAF").status().fields()[0].rule, "utf8");
  EXPECT_EQ(ParsePurpose("case/1", "\xE6\xA1").status().fields()[0].rule, "utf8");
}

}  // namespace
}  // namespace warden::access
