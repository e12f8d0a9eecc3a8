#include "schema/record_reader.h"

#include <gtest/gtest.h>

#include <sstream>

#include "schema/csv_pieces_test_util.h"

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

// Inputs where a CSV grammar can go wrong: quoting, line breaks inside and
// between records, CRLF, broken records and where reading resumes after them.
const std::string kTrickyCsv[] = {
    "a,b\r\n1,2\r\n3,4\r\n",                            // CRLF line ends
    "a,b\n\"x,y\",2\n\"\",\"\"\n",                      // quoted commas, empty quoted cells
    "a,b\n\"say \"\"hi\"\"\",2\n3,4\n",                 // doubled quotes
    "a,b\n\"two\nlines\",2\n3,4\n",                     // a quoted line break
    "a,b\r\n\"two\r\nlines\",2\r\n3,4\r\n",             // a quoted CRLF
    "a,b\n\"x\n\"\"q\"\" starts a line\n,\",2\n3,4\n",  // quoted lines that look like records
    "a,b\n\"x\n\"\n,2\n",                               // a closing quote alone on a line
    "a,b\n\"x\ry\",2\n",                                // a bare CR inside quotes
    "a,b\nx\"y,2\n3,4\n",                               // a stray quote in an unquoted cell
    "a,b\n\"x\"y,2\n3,4\n",                             // text after a closing quote
    "a,b\n\"x\ny\"z,2\n\"3\",4\n",                      // a stray quote on a record's second line
    "a,b\n1,2\n\"open,3\nmore\n",                       // unterminated at the end of the file
    "a,b\n\n1,2\n\r\n3,4\n",                            // blank lines
    "a,b\n1,2\n\"x\ny\",3",                             // no line break at the end
    "\"a\nb\",c\n1,2\n",                                // a header spanning lines
    "\uFEFFa,b\n1,2\n",                                 // a byte order mark
    "a,b\n1,2,3\n4\n5,6\n",                             // wrong cell counts
};

TEST(CsvRecordScannerTest, RecordsStartWhereTheScannerSaysTheLastOneEnded) {
  for (const std::string& text : kTrickyCsv) {
    // Lines (1-based) on which the scanner has a record start, blank ones
    // left out: the reader skips those.
    std::vector<uint64_t> starts;
    CsvRecordScanner scanner;
    std::istringstream in(text);
    std::string line;
    bool at_start = true;
    for (uint64_t n = 1; std::getline(in, line); ++n) {
      const bool blank = line.empty() || line == "\r";
      if (at_start && !blank && n > 1) starts.push_back(n);
      at_start = scanner.EndsRecord(line);
      if (n == 1 && !at_start) starts.push_back(0);  // the header spans lines: no row
    }
    std::vector<uint64_t> rows;
    for (const RowOutcome& row : ReadCsvRows(text)) rows.push_back(row.line);
    std::erase(starts, 0);
    EXPECT_EQ(rows, starts) << text;
  }
}

TEST(CsvRecordScannerTest, ReadingInPiecesCutAtRecordEndsGivesTheSameRows) {
  for (const std::string& text : kTrickyCsv) {
    std::optional<std::vector<RowOutcome>> pieces = ReadCsvRowsInPieces(text);
    ASSERT_TRUE(pieces.has_value()) << text;
    EXPECT_EQ(*pieces, ReadCsvRows(text)) << text;
  }
}

TEST(CsvRecordScannerTest, AnOverlongQuotedRecordEndsWhereTheReaderGivesUp) {
  std::string text = "a,b\n\"";
  for (int i = 0; i < 1100; ++i) text += std::string(1000, 'x') + "\n";
  // The reader resumes after the line where the record passed 1 MiB: the
  // rest of the field reads as records, its closing quote as a stray one.
  text += "end\",2\n3,4\n";
  std::vector<RowOutcome> whole = ReadCsvRows(text);
  ASSERT_FALSE(whole.empty());
  EXPECT_NE(whole[0].outcome.find("longer than 1 MiB"), std::string::npos);
  EXPECT_EQ(whole.back().outcome, "{\"a\":\"3\",\"b\":\"4\"}");
  EXPECT_EQ(ReadCsvRowsInPieces(text), whole);
}

TEST(CsvRecordScannerTest, CellsOfAQuotedRecordSpanningLines) {
  CsvRecordScanner scanner;
  std::vector<std::string> cells;
  using LineEnd = CsvRecordScanner::LineEnd;
  EXPECT_EQ(scanner.Feed("1,\"a \"\"b\"\"\r", &cells), LineEnd::kRecordContinues);
  EXPECT_TRUE(scanner.inside_quotes());
  EXPECT_EQ(scanner.Feed("c\",,3", &cells), LineEnd::kRecordEnds);
  EXPECT_FALSE(scanner.inside_quotes());
  EXPECT_EQ(cells, (std::vector<std::string>{"1", "a \"b\"\nc", "", "3"}));
  cells.clear();
  EXPECT_EQ(scanner.Feed("x\"y", &cells), LineEnd::kStrayQuote);
  EXPECT_EQ(scanner.Feed("", &cells), LineEnd::kRecordEnds);
}

TEST(RecordReaderTest, EmptyInputHasNoRows) {
  EXPECT_TRUE(ReadAll("", RecordFormat::kCsv).empty());
  EXPECT_TRUE(ReadAll("", RecordFormat::kJsonLines).empty());
}

}  // namespace
}  // namespace warden::schema
