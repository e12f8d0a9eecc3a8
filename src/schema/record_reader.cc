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

}  // namespace

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
  std::string cell;
  bool in_quotes = false;
  bool quoted_cell = false;
  size_t bytes = 0;
  while (std::getline(in_, line_buf_)) {
    ++line_;
    if (!line_buf_.empty() && line_buf_.back() == '\r') line_buf_.pop_back();
    bytes += line_buf_.size() + 1;
    if (bytes > kMaxRecordBytes) {
      error = LineError(line_, "record longer than 1 MiB");
      // Skip to the end of this physical line and resynchronise.
      return true;
    }
    const std::string& l = line_buf_;
    for (size_t i = 0; i < l.size(); ++i) {
      char c = l[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < l.size() && l[i + 1] == '"') {
            cell.push_back('"');
            ++i;
          } else {
            in_quotes = false;
          }
        } else {
          cell.push_back(c);
        }
        continue;
      }
      if (c == ',') {
        cells_.push_back(std::move(cell));
        cell.clear();
        quoted_cell = false;
      } else if (c == '"' && cell.empty() && !quoted_cell) {
        in_quotes = true;
        quoted_cell = true;
      } else if (c == '"' || quoted_cell) {
        error = LineError(line_, "stray quote in a CSV field");
        return true;
      } else {
        cell.push_back(c);
      }
    }
    if (in_quotes) {
      cell.push_back('\n');  // a quoted field spans lines
      continue;
    }
    cells_.push_back(std::move(cell));
    return true;
  }
  if (in_quotes) {
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
