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
// rejected. Not
// thread-safe; one reader per stream. The stream must outlive the reader.
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

class RecordReader {
 public:
  static constexpr size_t kMaxRecordBytes = 1 << 20;

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
  std::vector<std::string> cells_;
  std::string line_buf_;
};

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_RECORD_READER_H_
