#include "ingest/bulk_import.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <future>
#include <istream>
#include <memory>
#include <streambuf>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/bounded_queue.h"
#include "core/bytes.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "crypto/primitives.h"
#include "ingest/rejects_file.h"
#include "schema/record.h"
#include "schema/reject_line.h"

namespace warden::ingest {
namespace {

using schema::CsvRecordScanner;
using schema::RecordFormat;
using schema::RecordReader;

constexpr std::string_view kMarkerPrefix = "import/";

// An istream source over bytes it does not own.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }
};

// A set of 64-bit key fingerprints (open addressing). A hit means "maybe
// present"; the caller confirms it with a store read.
class FingerprintSet {
 public:
  FingerprintSet() : slots_(size_t{1} << 16, 0) {}
  bool MaybeContains(uint64_t fp) const {
    fp = fp == 0 ? 1 : fp;
    for (size_t i = fp & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == fp) return true;
      if (slots_[i] == 0) return false;
    }
  }
  void Insert(uint64_t fp) {
    fp = fp == 0 ? 1 : fp;
    if ((size_ + 1) * 10 > slots_.size() * 7) Grow();
    if (Place(slots_, fp)) ++size_;
  }

 private:
  static bool Place(std::vector<uint64_t>& slots, uint64_t fp) {
    for (size_t i = fp & (slots.size() - 1);; i = (i + 1) & (slots.size() - 1)) {
      if (slots[i] == fp) return false;
      if (slots[i] == 0) {
        slots[i] = fp;
        return true;
      }
    }
  }
  void Grow() {
    std::vector<uint64_t> bigger(slots_.size() * 2, 0);
    for (uint64_t fp : slots_) {
      if (fp != 0) Place(bigger, fp);
    }
    slots_.swap(bigger);
  }

  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

// One row's outcome from a worker.
struct RowResult {
  uint64_t line = 0;
  Status status;                                    // not OK: a reject
  std::vector<std::pair<Space, KeyValue>> entries;  // entries[0] is the record
  std::optional<schema::Record> record;             // kept for kLastWins replacements
};

// A run of whole records of the input.
struct Unit {
  uint64_t first_line = 0;  // file line of the first byte
  uint64_t end_offset = 0;  // file offset after the unit
  uint64_t end_line = 0;    // file line after the unit
  std::string text;         // for CSV, prefixed by the header record
  std::vector<RowResult> rows;
  std::promise<void> done;
  std::future<void> ready = done.get_future();
};

// The progress marker of one file's import.
struct Marker {
  uint64_t offset = 0;  // input bytes committed
  uint64_t line = 1;    // file line at `offset`
  ImportCounts counts;
  uint64_t rejects_bytes = 0;
  bool complete = false;

  std::string ToJson() const {
    nlohmann::json j = {{"offset", offset},
                        {"line", line},
                        {"read", counts.read},
                        {"imported", counts.imported},
                        {"replaced", counts.replaced},
                        {"rejected", counts.rejected},
                        {"rejects_bytes", rejects_bytes},
                        {"complete", complete}};
    return j.dump();
  }
  static StatusOr<Marker> FromJson(std::string_view text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    Marker m;
    auto get = [&](const char* name, uint64_t& out) {
      auto it = j.find(name);
      if (it == j.end() || !it->is_number_unsigned()) return false;
      out = it->get<uint64_t>();
      return true;
    };
    if (!j.is_object() || !get("offset", m.offset) || !get("line", m.line) ||
        !get("read", m.counts.read) || !get("imported", m.counts.imported) ||
        !get("replaced", m.counts.replaced) || !get("rejected", m.counts.rejected) ||
        !get("rejects_bytes", m.rejects_bytes) || !j.contains("complete") ||
        !j["complete"].is_boolean()) {
      return DataLoss("the import progress marker is unreadable", "bad_import_marker");
    }
    m.complete = j["complete"].get<bool>();
    return m;
  }
};

StatusOr<std::string> MarkerKey(const BulkImportOptions& options, const FileInfo& file) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(options.input_path, ec);
  if (ec) return Unavailable("cannot resolve the input path");
  std::string id = options.collection;
  id.push_back('\0');
  id += abs.lexically_normal().string();
  id.push_back('\0');
  id += std::to_string(file.size) + ":" + std::to_string(file.mtime_ns);
  crypto::Sha256Digest digest = crypto::Sha256(AsBytes(id));
  return std::string(kMarkerPrefix) + HexEncode(digest);
}

// "line 12: not valid JSON" from a reader that saw part of the file → the
// message without its (local) line prefix.
std::string WithoutLinePrefix(const std::string& message) {
  if (!message.starts_with("line ")) return message;
  size_t colon = message.find(": ");
  if (colon == std::string::npos) return message;
  return message.substr(colon + 2);
}

Status AtFileLine(const Status& status, uint64_t line) {
  std::string message = WithoutLinePrefix(status.message());
  if (status.reason() == "bad_record") message = "line " + std::to_string(line) + ": " + message;
  return Status(status.code(), status.reason(), message, status.fields());
}

class Importer {
 public:
  Importer(Store& store, const schema::CollectionSchema& collection,
           node::UnsealedServices& services, const Clock& clock, const BulkImportOptions& options,
           int workers, FileSystem& fs)
      : store_(store),
        collection_(collection),
        services_(services),
        clock_(clock),
        options_(options),
        workers_(workers),
        fs_(fs),
        work_(static_cast<size_t>(workers) * 8),
        // Units in flight: enough to keep every worker busy while the
        // calling thread commits.
        order_(static_cast<size_t>(workers) * 8) {}

  StatusOr<ImportSummary> Run();

 private:
  struct Pending {
    std::vector<std::pair<Space, KeyValue>> entries;
    bool dropped = false;
  };

  Status OpenInput();
  Status ReadHeader();
  void ReaderLoop(uint64_t offset, uint64_t line);
  StatusOr<uint64_t> NextUnitEnd(std::string& buffer, uint64_t buffer_offset, size_t from,
                                 uint64_t& lines);
  void WorkerLoop();
  void Process(Unit& unit) const;
  Status Apply(RowResult& row);
  Status AddPending(RowResult& row);
  Status Commit(uint64_t offset, uint64_t line, bool complete);
  void Audit(const ImportSummary& summary, const Status& outcome);

  Store& store_;
  const schema::CollectionSchema& collection_;
  node::UnsealedServices& services_;
  const Clock& clock_;
  const BulkImportOptions& options_;
  const int workers_;
  FileSystem& fs_;

  std::unique_ptr<RandomAccessFile> file_;
  FileInfo input_;  // size and mtime when opened
  RecordFormat format_ = RecordFormat::kCsv;
  std::string header_;  // CSV header record with its line end(s)
  uint64_t header_lines_ = 0;
  size_t header_bytes_ = 0;

  BoundedQueue<std::shared_ptr<Unit>> work_;
  BoundedQueue<std::shared_ptr<Unit>> order_;
  Mutex reader_mu_;
  Status reader_status_ GUARDED_BY(reader_mu_);

  RejectsFile rejects_;
  std::string marker_key_;
  Marker marker_;
  bool check_store_ = false;
  FingerprintSet written_;
  std::vector<Pending> pending_;
  std::unordered_map<std::string, size_t> pending_at_;  // record store key → pending_ index
  size_t pending_bytes_ = 0;
  uint64_t commits_ = 0;
};

Status Importer::OpenInput() {
  StatusOr<std::unique_ptr<RandomAccessFile>> file = fs_.OpenRandomAccess(options_.input_path);
  if (!file.ok()) return file.status().WithContext("opening the input file");
  file_ = std::move(file).value();
  StatusOr<FileInfo> info = file_->Stat();
  if (!info.ok()) return info.status().WithContext("opening the input file");
  input_ = *info;
  return Status::Ok();
}

Status Importer::ReadHeader() {
  std::string head;
  ASSIGN_OR_RETURN(size_t n, file_->ReadAt(0, 64 << 10, head));
  (void)n;
  if (options_.format) {
    format_ = *options_.format;
  } else if (auto f = RecordReader::FormatOfPath(options_.input_path)) {
    format_ = *f;
  } else {
    format_ = RecordReader::SniffFormat(head);
  }
  if (format_ != RecordFormat::kCsv) return Status::Ok();
  // The header is the first CSV record.
  if (input_.size == 0) return Status::Ok();
  CsvRecordScanner boundary;
  size_t at = 0;
  while (true) {
    size_t nl = head.find('\n', at);
    if (nl == std::string::npos) {
      if (head.size() < input_.size && head.size() <= RecordReader::kMaxRecordBytes) {
        ASSIGN_OR_RETURN(size_t more, file_->ReadAt(head.size(), 64 << 10, head));
        if (more > 0) continue;
      }
      if (at < head.size()) ++header_lines_;  // the header is all there is
      at = head.size();
      break;
    }
    ++header_lines_;
    const bool ends = boundary.EndsRecord(std::string_view(head).substr(at, nl - at));
    at = nl + 1;
    if (ends) break;
  }
  header_bytes_ = at;
  header_ = head.substr(0, at);
  if (header_.empty() || header_.back() != '\n') header_.push_back('\n');
  // Let the reader judge the header alone.
  ViewStreamBuf buf(header_);
  std::istream in(&buf);
  RecordReader reader(in, format_, &collection_);
  if (std::optional<RecordReader::Row> row = reader.Next(); row && !row->record.ok()) {
    return InvalidArgument(
        "the CSV header is invalid: " + WithoutLinePrefix(row->record.status().message()),
        "bad_header");
  }
  return Status::Ok();
}

// Finds where the unit starting at buffer[from] ends (after at least
// unit_bytes, at a record end), reading more of the file into `buffer` as
// needed. Returns the end index in `buffer` and the physical lines in it.
StatusOr<uint64_t> Importer::NextUnitEnd(std::string& buffer, uint64_t buffer_offset, size_t from,
                                         uint64_t& lines) {
  CsvRecordScanner boundary;
  lines = 0;
  size_t at = from;
  while (true) {
    size_t nl = buffer.find('\n', at);
    if (nl == std::string::npos) {
      const uint64_t file_at = buffer_offset + buffer.size();
      ASSIGN_OR_RETURN(
          size_t more,
          file_->ReadAt(file_at, std::max<size_t>(options_.unit_bytes, 1 << 20), buffer));
      if (more > 0) continue;
      if (at < buffer.size()) ++lines;  // a last line without its newline
      return buffer.size();
    }
    ++lines;
    bool ends = format_ == RecordFormat::kJsonLines ||
                boundary.EndsRecord(std::string_view(buffer).substr(at, nl - at));
    at = nl + 1;
    if (ends && at - from >= options_.unit_bytes) return at;
  }
}

void Importer::ReaderLoop(uint64_t offset, uint64_t line) {
  Status status;
  std::string buffer;
  uint64_t buffer_offset = offset;
  size_t from = 0;
  while (buffer_offset + from < input_.size) {
    uint64_t lines = 0;
    StatusOr<uint64_t> end = NextUnitEnd(buffer, buffer_offset, from, lines);
    if (!end.ok()) {
      status = end.status();
      break;
    }
    auto unit = std::make_shared<Unit>();
    unit->first_line = line;
    line += lines;
    unit->end_line = line;
    unit->end_offset = buffer_offset + *end;
    if (format_ == RecordFormat::kCsv) unit->text = header_;
    unit->text.append(buffer, from, *end - from);
    from = *end;
    if (from >= (size_t{4} << 20)) {  // keep the buffer small
      buffer.erase(0, from);
      buffer_offset += from;
      from = 0;
    }
    if (!order_.Push(unit)) return;  // aborted
    if (!work_.Push(unit)) return;
  }
  {
    MutexLock lock(reader_mu_);
    reader_status_ = status;
  }
  work_.Close();
  order_.Close();
}

void Importer::WorkerLoop() {
  while (std::optional<std::shared_ptr<Unit>> unit = work_.Pop()) {
    Process(**unit);
    (*unit)->done.set_value();
  }
}

void Importer::Process(Unit& unit) const {
  ViewStreamBuf buf(unit.text);
  std::istream in(&buf);
  RecordReader reader(in, format_, &collection_);
  const uint64_t skip = format_ == RecordFormat::kCsv ? header_lines_ : 0;
  const bool keep_record = options_.on_duplicate == DuplicatePolicy::kLastWins;
  while (std::optional<RecordReader::Row> row = reader.Next()) {
    RowResult result;
    result.line = unit.first_line + (row->line - 1 - skip);
    StatusOr<schema::Record> record =
        row->record.ok() ? schema::ValidateRecord(collection_, *row->record, clock_)
                         : StatusOr<schema::Record>(row->record.status());
    if (record.ok()) {
      auto entries = services_.barrier->Encode(collection_, *record);
      if (entries.ok()) {
        result.entries = std::move(entries).value();
        if (keep_record) result.record = std::move(record).value();
      } else {
        result.status = entries.status();
      }
    } else {
      result.status = AtFileLine(record.status(), result.line);
    }
    unit.rows.push_back(std::move(result));
  }
}

// Applies one row in file order: the duplicate policy, then pending or Put.
Status Importer::Apply(RowResult& row) {
  ++marker_.counts.read;
  if (!row.status.ok()) {
    // Errors that are not about the row (a broken key ring) stop the import.
    if (row.status.code() != StatusCode::kUnprocessable &&
        row.status.code() != StatusCode::kInvalidArgument) {
      return row.status;
    }
    ++marker_.counts.rejected;
    rejects_.Add(schema::RejectLine(row.line, row.status));
    return Status::Ok();
  }
  const std::string& store_key = row.entries[0].second.key;
  const std::string_view tag = std::string_view(store_key).substr(collection_.name.size() + 1);
  uint64_t fp = 0;
  std::memcpy(&fp, tag.data(), std::min(tag.size(), sizeof fp));
  const bool last_wins = options_.on_duplicate == DuplicatePolicy::kLastWins;
  auto duplicate = [&] {
    ++marker_.counts.rejected;
    rejects_.Add(schema::RejectLine(
        row.line, FieldInvalid(collection_.key_field, "duplicate_key",
                               "a record with this key was given on an earlier line or is "
                               "already stored")));
  };

  if (auto it = pending_at_.find(store_key); it != pending_at_.end()) {
    if (!last_wins) {
      duplicate();
      return Status::Ok();
    }
    pending_[it->second].dropped = true;
    ++marker_.counts.replaced;
    pending_at_.erase(it);
    written_.Insert(fp);
    return AddPending(row);
  } else if (check_store_ || written_.MaybeContains(fp)) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(Space::kRecords, store_key));
    if (stored) {
      if (!last_wins) {
        duplicate();
        return Status::Ok();
      }
      // The guarded path removes the stored version's index entries.
      RETURN_IF_ERROR(services_.barrier->Put(collection_, *row.record).status());
      ++marker_.counts.replaced;
      return Status::Ok();
    }
  }
  ++marker_.counts.imported;
  written_.Insert(fp);
  return AddPending(row);
}

Status Importer::AddPending(RowResult& row) {
  const std::string& store_key = row.entries[0].second.key;
  size_t bytes = 0;
  for (const auto& [space, kv] : row.entries) bytes += kv.key.size() + kv.value.size() + 32;
  pending_bytes_ += bytes;
  pending_at_.emplace(store_key, pending_.size());
  pending_.push_back({std::move(row.entries), false});
  return Status::Ok();
}

Status Importer::Commit(uint64_t offset, uint64_t line, bool complete) {
  RETURN_IF_ERROR(rejects_.Sync());
  ASSIGN_OR_RETURN(std::unique_ptr<BulkLoader> loader, store_.StartBulkLoad());
  for (const Pending& p : pending_) {
    if (p.dropped) continue;
    for (const auto& [space, kv] : p.entries) RETURN_IF_ERROR(loader->Add(space, kv.key, kv.value));
  }
  // The marker (and with it the rejects length a stopped run rewinds to)
  // moves only once the commit is in.
  Marker next = marker_;
  next.offset = offset;
  next.line = line;
  next.rejects_bytes = rejects_.size();
  next.complete = complete;
  // Last, so a loader that split the commit after all would still never
  // record progress ahead of the data.
  RETURN_IF_ERROR(loader->Add(Space::kMeta, marker_key_, next.ToJson()));
  RETURN_IF_ERROR(loader->Finish());
  marker_ = next;
  ++commits_;
  pending_.clear();
  pending_at_.clear();
  pending_bytes_ = 0;
  return Status::Ok();
}

void Importer::Audit(const ImportSummary& summary, const Status& outcome) {
  audit::AuditEvent event;
  event.action = audit::AuditAction::kImport;
  event.actor.account = options_.audit_account;
  event.actor.purpose_kind = "import";
  const std::string name = std::filesystem::path(options_.input_path).filename().string();
  event.actor.purpose_reference = name;
  event.outcome = outcome.ok() ? audit::AuditOutcome::kSuccess : audit::AuditOutcome::kFailed;
  event.status = static_cast<uint16_t>(HttpStatusOf(outcome.code()));
  if (!outcome.ok()) event.error_reason = outcome.reason();
  event.collection = collection_.name;
  event.result_count = summary.counts.imported + summary.counts.replaced;
  event.detail =
      "offline import of " + name + ": read " + std::to_string(summary.counts.read) +
      ", imported " + std::to_string(summary.counts.imported) + ", replaced " +
      std::to_string(summary.counts.replaced) + ", rejected " +
      std::to_string(summary.counts.rejected) +
      (summary.resumed_at_line ? ", resumed at line " + std::to_string(summary.resumed_at_line)
                               : std::string());
  // The import's data is committed either way; an audit failure is reported
  // by the log's own alert and the caller sees the counts.
  services_.audit->Append(event).status().IgnoreError();
}

StatusOr<ImportSummary> Importer::Run() {
  if (options_.rejects_path.empty()) return InvalidArgument("a rejects file is required");
  RETURN_IF_ERROR(OpenInput());
  ASSIGN_OR_RETURN(marker_key_, MarkerKey(options_, input_));
  RETURN_IF_ERROR(ReadHeader());

  ImportSummary summary;
  summary.bytes = input_.size;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(Space::kMeta, marker_key_));
  if (stored && options_.resume) {
    ASSIGN_OR_RETURN(marker_, Marker::FromJson(*stored));
    if (marker_.complete) {
      summary.counts = marker_.counts;
      summary.already_complete = true;
      return summary;
    }
    summary.resumed_at_line = marker_.line;
  } else {
    marker_ = Marker();
    marker_.offset = header_bytes_;
    marker_.line = 1 + header_lines_;
  }
  RETURN_IF_ERROR(rejects_.Open(fs_, options_.rejects_path, marker_.rejects_bytes));

  const std::string prefix = collection_.name + "/";
  ASSIGN_OR_RETURN(std::vector<KeyValue> any,
                   store_.Scan(Space::kRecords, prefix, PrefixEnd(prefix), 1));
  check_store_ = !any.empty();

  uint64_t offset = marker_.offset;
  uint64_t line = marker_.line;
  std::thread reader([this, offset, line] { ReaderLoop(offset, line); });
  std::vector<std::thread> pool;
  for (int i = 0; i < workers_; ++i) pool.emplace_back([this] { WorkerLoop(); });

  Status status;
  ImportProgress progress;
  progress.bytes_total = input_.size;
  while (std::optional<std::shared_ptr<Unit>> next = order_.Pop()) {
    Unit& unit = **next;
    unit.ready.wait();
    for (RowResult& row : unit.rows) {
      status = Apply(row);
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
    offset = unit.end_offset;
    line = unit.end_line;
    if (pending_bytes_ >= options_.commit_bytes) {
      status = Commit(offset, line, false);
      if (!status.ok()) break;
    }
    if (options_.on_progress) {
      progress.counts = marker_.counts;
      progress.bytes_done = offset;
      options_.on_progress(progress);
    }
  }
  if (!status.ok()) {
    work_.Abort();
    order_.Abort();
  }
  reader.join();
  for (std::thread& t : pool) t.join();
  if (status.ok()) {
    MutexLock lock(reader_mu_);
    status = reader_status_;
  }
  if (status.ok()) status = Commit(offset, line, true);
  if (!status.ok()) {
    // Only the rejects of committed rows stay (a re-run would cut the rest).
    rejects_.Rewind(marker_.rejects_bytes).IgnoreError();
  }
  summary.counts = marker_.counts;
  summary.commits = commits_;
  Audit(summary, status);
  RETURN_IF_ERROR(status);
  return summary;
}

}  // namespace

std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view name) {
  if (name == "reject") return DuplicatePolicy::kReject;
  if (name == "last-wins") return DuplicatePolicy::kLastWins;
  return std::nullopt;
}

StatusOr<ImportSummary> RunBulkImport(Store& store, const schema::Schema& schema,
                                      node::UnsealedServices& services, const Clock& clock,
                                      const BulkImportOptions& options, FileSystem& fs) {
  const schema::CollectionSchema* collection = schema.Find(options.collection);
  if (collection == nullptr) return NotFound("no collection " + options.collection);
  if (options.unit_bytes == 0 || options.commit_bytes == 0) {
    return InvalidArgument("unit and commit sizes must be positive");
  }
  BulkImportOptions effective = options;
  if (store.Backend() == "postgres") {
    effective.commit_bytes = std::min(effective.commit_bytes, kPostgresCommitBytes);
  }
  const int workers = options.workers > 0
                          ? options.workers
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  Importer importer(store, *collection, services, clock, effective, workers, fs);
  return importer.Run();
}

}  // namespace warden::ingest
