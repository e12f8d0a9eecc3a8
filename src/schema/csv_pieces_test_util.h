// Test support: a CSV text read whole and read cut into pieces at the record
// ends CsvRecordScanner finds, each piece after a copy of the header record,
// the way the offline import reads a file in parallel. Where the scanner and
// the reader agree on the grammar the two readings give the same rows.
#ifndef WARDEN_SCHEMA_CSV_PIECES_TEST_UTIL_H_
#define WARDEN_SCHEMA_CSV_PIECES_TEST_UTIL_H_

#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "schema/record_reader.h"

namespace warden::schema {

// A row as read: the line it starts on, and its record or its error (with the
// line the error names) as text.
struct RowOutcome {
  uint64_t line = 0;
  std::string outcome;
  bool operator==(const RowOutcome&) const = default;
};

// "line 12: stray quote" → the error with its line moved by `shift`.
inline std::string ShiftedError(const std::string& message, int64_t shift) {
  std::string_view rest = message;
  uint64_t line = 0;
  if (!rest.starts_with("line ")) return message;
  rest.remove_prefix(5);
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), line);
  if (ec != std::errc()) return message;
  return "line " + std::to_string(static_cast<int64_t>(line) + shift) +
         std::string(end, rest.data() + rest.size());
}

// The rows of `text`, with line numbers moved by `shift`.
inline std::vector<RowOutcome> ReadCsvRows(const std::string& text, int64_t shift = 0,
                                           const CollectionSchema* collection = nullptr) {
  std::istringstream in(text);
  RecordReader reader(in, RecordFormat::kCsv, collection);
  std::vector<RowOutcome> rows;
  while (std::optional<RecordReader::Row> row = reader.Next()) {
    rows.push_back({static_cast<uint64_t>(static_cast<int64_t>(row->line) + shift),
                    row->record.ok() ? row->record->dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace)
                                     : ShiftedError(row->record.status().message(), shift)});
  }
  return rows;
}

// The rows of `text` read piece by piece; nullopt when the header record does
// not read on its own (the import refuses such a file before cutting it).
inline std::optional<std::vector<RowOutcome>> ReadCsvRowsInPieces(
    std::string_view text, const CollectionSchema* collection = nullptr) {
  std::vector<std::string> lines;  // each with its '\n', if it had one
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.find('\n', at), text.size() - 1) + 1;
    lines.emplace_back(text.substr(at, end - at));
    at = end;
  }
  auto without_newline = [](std::string_view line) {
    return line.ends_with('\n') ? line.substr(0, line.size() - 1) : line;
  };
  CsvRecordScanner scanner;
  size_t next = 0;
  std::string header;
  while (next < lines.size()) {
    header += lines[next];
    if (scanner.EndsRecord(without_newline(lines[next++]))) break;
  }
  if (!header.ends_with('\n')) header.push_back('\n');
  std::vector<RowOutcome> header_rows = ReadCsvRows(header, 0, collection);
  if (!header_rows.empty()) return std::nullopt;  // an error row: the header is bad
  const auto header_lines = static_cast<int64_t>(next);

  std::vector<RowOutcome> rows;
  while (next < lines.size()) {
    const auto first_line = static_cast<int64_t>(next) + 1;
    std::string piece = header;
    while (next < lines.size()) {
      piece += lines[next];
      if (scanner.EndsRecord(without_newline(lines[next++]))) break;
    }
    for (RowOutcome& row : ReadCsvRows(piece, first_line - 1 - header_lines, collection)) {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_CSV_PIECES_TEST_UTIL_H_
