#include "schema/record_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace warden::schema {
namespace {

using nlohmann::json;

std::vector<RecordReader::Row> ReadAll(const std::string& text, RecordFormat format,
                                       const CollectionSchema* c = nullptr) {
  std::istringstream in(text);
  RecordReader reader(in, format, c);
  std::vector<RecordReader::Row> rows;
  while (auto row = reader.Next()) rows.push_back(std::move(*row));
  return rows;
}

const CollectionSchema* Persons() { return Schema::Registry().Find("persons"); }
const CollectionSchema* Cases() { return Schema::Registry().Find("cases"); }

TEST(RecordReaderTest, CsvHeaderNamesFieldsAndQuotesFollowRfc4180) {
  auto rows = ReadAll("name,notes\r\n张三,\"said \"\"hi\"\", left\"\r\n李四,\"two\nlines\"\n",
                      RecordFormat::kCsv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(*rows[0].record, (json{{"name", "张三"}, {"notes", "said \"hi\", left"}}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ((*rows[1].record)["notes"], "two\nlines");
}

TEST(RecordReaderTest, ListCellsAreSplitAndEmptyCellsAreAbsent) {
  auto rows = ReadAll("national_id,phones,notes\n11010519491231002X,13800138000;13912345678,\n",
                      RecordFormat::kCsv, Persons());
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].record.ok());
  EXPECT_EQ((*rows[0].record)["phones"], json::array({"13800138000", "13912345678"}));
  EXPECT_FALSE(rows[0].record->contains("notes"));
}

TEST(RecordReaderTest, ObjectListItemsAreColonSeparated) {
  auto rows = ReadAll("case_no,persons\nA1,11010519491231002X:suspect;110105491231002:victim\n",
                      RecordFormat::kCsv, Cases());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ((*rows[0].record)["persons"],
            json::array({json{{"national_id", "11010519491231002X"}, {"role", "suspect"}},
                         json{{"national_id", "110105491231002"}, {"role", "victim"}}}));
}

TEST(RecordReaderTest, WrongFieldCountNamesTheLineAndReadingContinues) {
  auto rows = ReadAll("a,b\n1,2\n1,2,3\n4,5\n", RecordFormat::kCsv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].record.ok());
  ASSERT_FALSE(rows[1].record.ok());
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_NE(rows[1].record.status().message().find("line 3"), std::string::npos);
  EXPECT_TRUE(rows[2].record.ok());
}

TEST(RecordReaderTest, StrayAndUnterminatedQuotesAreErrors) {
  auto rows = ReadAll("a\nx\"y\n\"open\n", RecordFormat::kCsv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].record.ok());
  EXPECT_FALSE(rows[1].record.ok());
}

TEST(RecordReaderTest, RepeatedHeaderFieldStopsReading) {
  auto rows = ReadAll("a,a\n1,2\n", RecordFormat::kCsv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].record.ok());
}

TEST(RecordReaderTest, JsonLinesSkipsBlankLinesAndReportsBadOnes) {
  auto rows = ReadAll("{\"a\":1}\n\n[1]\n{bad\n{\"b\":\"x\"}\r\n", RecordFormat::kJsonLines);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(*rows[0].record, (json{{"a", 1}}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_NE(rows[1].record.status().message().find("not a JSON object"), std::string::npos);
  EXPECT_NE(rows[2].record.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_EQ(rows[3].line, 5u);
  EXPECT_TRUE(rows[3].record.ok());
}

TEST(RecordReaderTest, FormatFromNameOrContent) {
  EXPECT_EQ(RecordReader::FormatOfPath("x.csv"), RecordFormat::kCsv);
  EXPECT_EQ(RecordReader::FormatOfPath("x.jsonl"), RecordFormat::kJsonLines);
  EXPECT_EQ(RecordReader::FormatOfPath("-"), std::nullopt);
  EXPECT_EQ(RecordReader::SniffFormat("  {\"a\":1}"), RecordFormat::kJsonLines);
  EXPECT_EQ(RecordReader::SniffFormat("national_id,name"), RecordFormat::kCsv);
}

TEST(RecordReaderTest, EmptyInputHasNoRows) {
  EXPECT_TRUE(ReadAll("", RecordFormat::kCsv).empty());
  EXPECT_TRUE(ReadAll("", RecordFormat::kJsonLines).empty());
}

}  // namespace
}  // namespace warden::schema
