#include "schema/record_reader.h"

#include <set>

namespace warden::schema {
namespace {

using nlohmann::json;

Status LineError(uint64_t line, std::string_view what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + std::string(what), "bad_record");
}

json SplitList(const FieldSchema& f, std::string_view cell) {
  json items = json::array();
  size_t pos = 0;
  while (pos <= cell.size()) {
    size_t end = std::min(cell.find(';', pos), cell.size());
    std::string_view part = cell.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    if (f.item_type != FieldType::kObject) {
      items.push_back(std::string(part));
      continue;
    }
    json obj = json::object();
    size_t ppos = 0;
    for (size_t i = 0; i < f.item_fields.size() && ppos <= part.size(); ++i) {
      size_t pend =
          i + 1 == f.item_fields.size() ? part.size() : std::min(part.find(':', ppos), part.size());
      std::string_view value = part.substr(ppos, pend - ppos);
      if (!value.empty()) obj[f.item_fields[i].name] = std::string(value);
      ppos = pend + 1;
    }
    items.push_back(std::move(obj));
  }
  return items;
}

// Cells of a line without quotes: split at every comma.
void SplitAtCommas(std::string_view line, std::vector<std::string>& cells) {
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string_view::npos; start = comma + 1) {
    cells.emplace_back(line.substr(start, comma - start));
  }
  cells.emplace_back(line.substr(start));
}

}  // namespace

void CsvRecordScanner::Reset() {
  in_quotes_ = false;
  quoted_cell_ = false;
  cell_empty_ = true;
  bytes_ = 0;
  cell_.clear();
}

CsvRecordScanner::LineEnd CsvRecordScanner::Feed(std::string_view line,
                                                 std::vector<std::string>* cells) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  bytes_ += line.size() + 1;
  if (bytes_ > kMaxRecordBytes) {
    Reset();
    return LineEnd::kTooLong;
  }
  // Outside quotes a line starts a record; without a quote it is the record.
  if (!in_quotes_ && line.find('"') == std::string_view::npos) {
    if (cells != nullptr) SplitAtCommas(line, *cells);
    Reset();
    return LineEnd::kRecordEnds;
  }
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes_) {
      if (c == '"') {
        const bool doubled = i + 1 < line.size() && line[i + 1] == '"';
        if (!doubled) {
          in_quotes_ = false;
          continue;
        }
        ++i;  // "" inside quotes is one quote
      }
      if (cells != nullptr) cell_.push_back(c);
      continue;
    }
    if (c == ',') {
      if (cells != nullptr) cells->push_back(std::move(cell_));
      cell_.clear();
      cell_empty_ = true;
      quoted_cell_ = false;
    } else if (c == '"' && cell_empty_ && !quoted_cell_) {
      in_quotes_ = true;
      quoted_cell_ = true;
    } else if (c == '"' || quoted_cell_) {
      Reset();
      return LineEnd::kStrayQuote;
    } else {
      if (cells != nullptr) cell_.push_back(c);
      cell_empty_ = false;
    }
  }
  if (in_quotes_) {
    if (cells != nullptr) cell_.push_back('\n');  // a quoted field spans lines
    return LineEnd::kRecordContinues;
  }
  if (cells != nullptr) cells->push_back(std::move(cell_));
  Reset();
  return LineEnd::kRecordEnds;
}

RecordReader::RecordReader(std::istream& in, RecordFormat format,
                           const CollectionSchema* collection)
    : in_(in), format_(format), collection_(collection) {}

std::optional<RecordFormat> RecordReader::FormatOfPath(std::string_view path) {
  if (path.ends_with(".csv")) return RecordFormat::kCsv;
  if (path.ends_with(".jsonl") || path.ends_with(".ndjson") || path.ends_with(".json")) {
    return RecordFormat::kJsonLines;
  }
  return std::nullopt;
}

RecordFormat RecordReader::SniffFormat(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  for (char c : head) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' ? RecordFormat::kJsonLines : RecordFormat::kCsv;
  }
  return RecordFormat::kCsv;
}

bool RecordReader::ReadCsvRecord(Status& error) {
  cells_.clear();
  while (std::getline(in_, line_buf_)) {
    ++line_;
    switch (csv_.Feed(line_buf_, &cells_)) {
      case CsvRecordScanner::LineEnd::kRecordContinues:
        continue;
      case CsvRecordScanner::LineEnd::kRecordEnds:
        return true;
      case CsvRecordScanner::LineEnd::kStrayQuote:
        error = LineError(line_, "stray quote in a CSV field");
        return true;
      case CsvRecordScanner::LineEnd::kTooLong:
        error = LineError(line_, "record longer than 1 MiB");
        return true;
    }
  }
  if (csv_.inside_quotes()) {
    csv_.Reset();
    error = LineError(line_, "unterminated quoted CSV field at end of file");
    return true;
  }
  return false;
}

json RecordReader::CsvRowToJson(Status& error) const {
  json obj = json::object();
  if (cells_.size() != header_.size()) {
    error = LineError(line_, "has " + std::to_string(cells_.size()) + " fields, the header " +
                                 std::to_string(header_.size()));
    return obj;
  }
  for (size_t i = 0; i < cells_.size(); ++i) {
    const std::string& cell = cells_[i];
    const FieldSchema* f = header_fields_[i];
    if (f == nullptr) {
      obj[header_[i]] = cell;  // unknown or schemaless: validation decides
      continue;
    }
    if (cell.empty()) continue;  // absent
    if (f->type == FieldType::kList) {
      obj[header_[i]] = SplitList(*f, cell);
    } else {
      obj[header_[i]] = cell;
    }
  }
  return obj;
}

std::optional<RecordReader::Row> RecordReader::NextJsonLine() {
  while (std::getline(in_, line_buf_)) {
    ++line_;
    if (!line_buf_.empty() && line_buf_.back() == '\r') line_buf_.pop_back();
    std::string_view l = line_buf_;
    if (line_ == 1 && l.starts_with("\xEF\xBB\xBF")) l.remove_prefix(3);
    size_t first = l.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    Row row;
    row.line = line_;
    if (l.size() > kMaxRecordBytes) {
      row.record = LineError(line_, "record longer than 1 MiB");
      return row;
    }
    json j = json::parse(l, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      row.record = LineError(line_, "not valid JSON");
    } else if (!j.is_object()) {
      row.record = LineError(line_, "not a JSON object");
    } else {
      row.record = std::move(j);
    }
    return row;
  }
  return std::nullopt;
}

std::optional<RecordReader::Row> RecordReader::Next() {
  if (failed_) return std::nullopt;
  if (format_ == RecordFormat::kJsonLines) return NextJsonLine();
  if (!header_read_) {
    header_read_ = true;
    Status error;
    if (!ReadCsvRecord(error)) return std::nullopt;
    if (!error.ok() || cells_.empty()) {
      failed_ = true;
      return Row{1, error.ok() ? LineError(1, "missing CSV header") : error};
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < cells_.size(); ++i) {
      std::string name = cells_[i];
      if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.erase(0, 3);
      if (name.empty() || !seen.insert(name).second) {
        failed_ = true;
        return Row{1, LineError(1, "CSV header has an empty or repeated field name")};
      }
      header_.push_back(name);
      header_fields_.push_back(collection_ ? collection_->Field(name) : nullptr);
    }
  }
  while (true) {
    Status error;
    uint64_t start = line_ + 1;
    if (!ReadCsvRecord(error)) return std::nullopt;
    if (error.ok() && cells_.size() == 1 && cells_[0].empty()) continue;  // blank line
    Row row;
    row.line = start;
    if (!error.ok()) {
      row.record = error;
      return row;
    }
    json obj = CsvRowToJson(error);
    if (!error.ok()) {
      row.record = error;
    } else {
      row.record = std::move(obj);
    }
    return row;
  }
}

}  // namespace warden::schema
