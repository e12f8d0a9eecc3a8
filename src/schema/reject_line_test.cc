#include "schema/reject_line.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace warden::schema {
namespace {

using nlohmann::json;

json Parsed(const std::string& line) {
  EXPECT_TRUE(line.ends_with('\n')) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  return json::parse(line);
}

TEST(RejectLineTest, OneBrokenRuleNamesLineFieldAndRule) {
  std::string line = RejectLine(12, FieldInvalid("national_id", "checksum", "bad check character"));
  EXPECT_EQ(line,
            "{\"field\":\"national_id\",\"line\":12,\"message\":\"bad check character\","
            "\"rule\":\"checksum\"}\n");
}

TEST(RejectLineTest, AStatusWithoutFieldsGivesItsReasonAsTheRule) {
  json j = Parsed(RejectLine(3, InvalidArgument("line 3: not valid JSON", "bad_record")));
  EXPECT_EQ(j["line"], 3);
  EXPECT_EQ(j["field"], "");
  EXPECT_EQ(j["rule"], "bad_record");
  EXPECT_FALSE(j.contains("fields"));
}

TEST(RejectLineTest, SeveralBrokenRulesAreAllListed) {
  Status status(StatusCode::kUnprocessable, "validation_failed", "2 fields are invalid",
                {{"phones[1]", "phone"}, {"birth_date", "date"}});
  json j = Parsed(RejectLine(40, status));
  EXPECT_EQ(j["field"], "phones[1]");
  EXPECT_EQ(j["rule"], "phone");
  EXPECT_EQ(j["fields"], (json::array({json{{"field", "phones[1]"}, {"rule", "phone"}},
                                       json{{"field", "birth_date"}, {"rule", "date"}}})));
}

TEST(RejectLineTest, InvalidUtf8InTheMessageStillGivesValidJson) {
  json j = Parsed(RejectLine(1, InvalidArgument("header \xff\xfe is not UTF-8")));
  EXPECT_NE(j["message"].get<std::string>().find("header"), std::string::npos);
}

TEST(RejectLineTest, LineBreaksInTheMessageAreEscaped) {
  Parsed(RejectLine(1, InvalidArgument("first\nsecond")));
}

}  // namespace
}  // namespace warden::schema
