#include "cli/leak_sample.h"

#include <algorithm>
#include <fstream>

#include "core/secret.h"
#include "schema/record_reader.h"
#include "schema/resident_id.h"
#include "schema/schema.h"
#include "schema/values.h"

namespace warden::cli {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "national_id: checksum" from a FieldInvalid status; the message otherwise.
std::string Problem(const Status& status) {
  if (status.fields().empty()) return status.message();
  return status.fields()[0].field + ": " + status.fields()[0].rule;
}

SampleFormat Detect(const std::string& path, std::istream& in) {
  if (std::optional<schema::RecordFormat> f = schema::RecordReader::FormatOfPath(path)) {
    return *f == schema::RecordFormat::kCsv ? SampleFormat::kCsv : SampleFormat::kJsonLines;
  }
  std::string line;
  SampleFormat format = SampleFormat::kIds;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.starts_with("\xEF\xBB\xBF")) l = Trim(l.substr(3));
    if (l.empty() || l.starts_with('#')) continue;
    if (l.starts_with('{')) {
      format = SampleFormat::kJsonLines;
    } else if (l.find(',') != std::string_view::npos) {
      format = SampleFormat::kCsv;
    }
    break;
  }
  SecureWipe(line);
  in.clear();
  in.seekg(0);
  return format;
}

class SampleBuilder {
 public:
  SampleBuilder(LeakSample& sample, const Clock& clock)
      : sample_(sample), today_(schema::CivilDateOfMicros(clock.NowMicros())) {}

  StatusOr<std::string> NationalId(std::string_view text) const {
    ASSIGN_OR_RETURN(schema::ResidentId id, schema::ParseResidentId(text, today_, "national_id"));
    return std::move(id.number);
  }

  static StatusOr<std::string> Phone(std::string_view text, std::string_view field) {
    return schema::NormalisePhone(text, field);
  }

  void Reject(uint64_t line, const std::string& why) {
    RejectWithNote("line " + std::to_string(line) + ": " + why);
  }

  // `note` names the line already (the record reader's errors do).
  void RejectWithNote(std::string note) {
    ++sample_.rejected;
    if (sample_.rejections.size() < LeakSample::kMaxRejectionNotes) {
      sample_.rejections.push_back(std::move(note));
    }
  }

  // One line of a plain-text file: a national ID, or a phone number.
  void AddPlainLine(uint64_t line, std::string_view text) {
    ++sample_.lines_read;
    StatusOr<std::string> id = NationalId(text);
    if (id.ok()) {
      sample_.national_ids.push_back(std::move(id).value());
      return;
    }
    StatusOr<std::string> phone = Phone(text, "phone");
    if (phone.ok()) {
      sample_.phones.push_back(std::move(phone).value());
      return;
    }
    // Report what the line most likely meant to be.
    const bool phone_like = text.starts_with('+') || text.size() < 15;
    Reject(line, Problem(phone_like ? phone.status() : id.status()));
  }

  // One record: its national_id and phones, all valid, or nothing of it.
  void AddRecord(uint64_t line, const nlohmann::json& record) {
    ++sample_.lines_read;
    std::vector<std::string> ids;
    std::vector<std::string> phones;
    if (const auto it = record.find("national_id"); it != record.end() && !it->is_null()) {
      if (!it->is_string()) return Reject(line, "national_id: type");
      StatusOr<std::string> id = NationalId(Trim(it->get_ref<const std::string&>()));
      if (!id.ok()) return Reject(line, Problem(id.status()));
      ids.push_back(std::move(id).value());
    }
    if (const auto it = record.find("phones"); it != record.end() && !it->is_null()) {
      nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string field = "phones[" + std::to_string(i) + "]";
        if (!list[i].is_string()) return Reject(line, field + ": type");
        StatusOr<std::string> phone = Phone(Trim(list[i].get_ref<const std::string&>()), field);
        if (!phone.ok()) return Reject(line, Problem(phone.status()));
        phones.push_back(std::move(phone).value());
      }
    }
    if (ids.empty() && phones.empty()) return Reject(line, "neither national_id nor phones");
    for (std::string& id : ids) sample_.national_ids.push_back(std::move(id));
    for (std::string& phone : phones) sample_.phones.push_back(std::move(phone));
  }

  // Sorts and drops repeats, wiping the repeated copies.
  void Finish() {
    for (std::vector<std::string>* values : {&sample_.national_ids, &sample_.phones}) {
      std::sort(values->begin(), values->end());
      auto end = std::unique(values->begin(), values->end());
      for (auto it = end; it != values->end(); ++it) SecureWipe(*it);
      values->erase(end, values->end());
    }
  }

 private:
  LeakSample& sample_;
  schema::CivilDate today_;
};

}  // namespace

LeakSample::~LeakSample() {
  for (std::string& s : national_ids) SecureWipe(s);
  for (std::string& s : phones) SecureWipe(s);
}

std::string_view SampleFormatName(SampleFormat format) {
  switch (format) {
    case SampleFormat::kAuto:
      return "auto";
    case SampleFormat::kIds:
      return "ids";
    case SampleFormat::kCsv:
      return "csv";
    case SampleFormat::kJsonLines:
      return "jsonl";
  }
  return "auto";
}

StatusOr<LeakSample> ReadLeakSample(const std::string& path, SampleFormat format,
                                    const Clock& clock) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open the sample file " + path, "file_unreadable");
  LeakSample sample;
  sample.format = format == SampleFormat::kAuto ? Detect(path, in) : format;
  SampleBuilder builder(sample, clock);
  if (sample.format == SampleFormat::kIds) {
    std::string line;
    uint64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::string_view text = Trim(line);
      if (number == 1 && text.starts_with("\xEF\xBB\xBF")) text = Trim(text.substr(3));
      if (text.empty() || text.starts_with('#')) continue;
      builder.AddPlainLine(number, text);
    }
    SecureWipe(line);
  } else {
    const schema::CollectionSchema* persons = schema::Schema::Registry().Find("persons");
    schema::RecordReader reader(in,
                                sample.format == SampleFormat::kCsv
                                    ? schema::RecordFormat::kCsv
                                    : schema::RecordFormat::kJsonLines,
                                persons);
    while (std::optional<schema::RecordReader::Row> row = reader.Next()) {
      if (!row->record.ok()) {
        ++sample.lines_read;
        builder.RejectWithNote(row->record.status().message());
        continue;
      }
      builder.AddRecord(row->line, *row->record);
    }
  }
  builder.Finish();
  return sample;
}

}  // namespace warden::cli
