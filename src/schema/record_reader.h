// RecordReader: a streaming reader of CSV and JSON Lines record files, for
// `warden validate` and imports.
//
// CSV (RFC 4180): the first row names the fields; fields are separated by
// commas and may be quoted with '"' (a doubled quote inside stands for one);
// quoted fields may span lines; CRLF or LF line ends. With a collection
// schema, an empty cell is an absent field, a list field's cell holds its
// items separated by ';', and a list<object> item is written as its item
// fields' values joined by ':' in schema order (cases.persons:
// "110105194912310021:suspect"). JSON Lines: one JSON object per line; blank
// lines are skipped.
//
// Memory is bounded by the longest line; records over kMaxRecordBytes are
// rejected. Not thread-safe; one reader per stream. The stream must outlive
// the reader.
//
// CsvRecordScanner is that CSV grammar on its own, one physical line at a
// time: the reader reads cells with it, and whoever cuts a CSV text into
// pieces to read them in parallel (the offline import) finds with it where
// records end, so a cut never falls inside a record the reader reads as one.
#ifndef WARDEN_SCHEMA_RECORD_READER_H_
#define WARDEN_SCHEMA_RECORD_READER_H_

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "schema/schema.h"

namespace warden::schema {

enum class RecordFormat { kCsv, kJsonLines };

// Where CSV records end and, when asked, their cells, fed one physical line
// after another. A record ends with the first line that leaves no quoted field
// open; one that breaks the grammar (a stray quote) or grows past
// kMaxRecordBytes ends, broken, with the line where that shows, and the next
// line starts a new record. Not thread-safe.
class CsvRecordScanner {
 public:
  static constexpr size_t kMaxRecordBytes = 1 << 20;

  enum class LineEnd {
    kRecordContinues,  // a quoted field spans into the next line
    kRecordEnds,
    kStrayQuote,  // a quote inside an unquoted field or after a closing one
    kTooLong,     // the record passed kMaxRecordBytes
  };

  // Feeds the next line, without its '\n' (a '\r' before it is dropped, also
  // inside a quoted field: a quoted line break is read as '\n'). With `cells`,
  // appends the cells the line completes; at kRecordEnds the record's cells
  // are all there (an empty line is one empty cell).
  LineEnd Feed(std::string_view line, std::vector<std::string>* cells);
  // Feed without reading cells: true when a record (whole or broken) ends
  // with `line`.
  bool EndsRecord(std::string_view line) {
    return Feed(line, nullptr) != LineEnd::kRecordContinues;
  }
  // True between a line that left a quoted field open and the one closing
  // it: a text that ends here ends inside a record.
  bool inside_quotes() const { return in_quotes_; }
  // Forgets the record in progress.
  void Reset();

 private:
  bool in_quotes_ = false;
  bool quoted_cell_ = false;  // the current cell was quoted
  bool cell_empty_ = true;    // nothing of the current cell read yet
  size_t bytes_ = 0;          // of the record so far
  std::string cell_;          // the current cell, when reading cells
};

class RecordReader {
 public:
  static constexpr size_t kMaxRecordBytes = CsvRecordScanner::kMaxRecordBytes;

  struct Row {
    uint64_t line = 0;  // 1-based line where the record starts
    // The record as a JSON object of strings (CSV) or as parsed (JSON Lines),
    // or an InvalidArgument status naming the line and what is wrong.
    StatusOr<nlohmann::json> record = nlohmann::json::object();
  };

  // `collection` may be null (every CSV cell is then a string).
  RecordReader(std::istream& in, RecordFormat format, const CollectionSchema* collection);

  // The format for a file name (".csv", ".jsonl", ".ndjson", ".json"), else
  // nullopt.
  static std::optional<RecordFormat> FormatOfPath(std::string_view path);
  // Guesses from the first bytes: '{' after optional white space is JSON Lines.
  static RecordFormat SniffFormat(std::string_view head);

  // The next record, or nullopt at the end of the stream. A bad record
  // yields a Row with an error and reading continues with the next one; a
  // bad CSV header makes every later call return nullopt after one error row.
  std::optional<Row> Next();

 private:
  // Reads one CSV record (possibly several physical lines) into cells_.
  // Returns false at end of stream.
  bool ReadCsvRecord(Status& error);
  nlohmann::json CsvRowToJson(Status& error) const;
  std::optional<Row> NextJsonLine();

  std::istream& in_;
  RecordFormat format_;
  const CollectionSchema* collection_;
  uint64_t line_ = 0;  // physical lines consumed
  bool header_read_ = false;
  bool failed_ = false;
  std::vector<std::string> header_;
  std::vector<const FieldSchema*> header_fields_;
  CsvRecordScanner csv_;
  std::vector<std::string> cells_;
  std::string line_buf_;
};

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_RECORD_READER_H_
