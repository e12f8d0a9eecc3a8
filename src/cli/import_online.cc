#include "cli/import_online.h"

#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "cli/http_client.h"
#include "core/bounded_queue.h"
#include "core/file_system.h"
#include "ingest/bulk_import.h"
#include "ingest/rejects_file.h"
#include "schema/reject_line.h"

namespace warden::cli {
namespace {

using nlohmann::json;

struct Batch {
  std::vector<uint64_t> lines;                // every row, in order
  std::vector<std::optional<Status>> errors;  // a local reject per row, or nullopt (sent)
  std::string body;
  uint64_t sent = 0;
  uint64_t bytes_done = 0;
  // Outcome, set by a sender.
  Status status;
  std::vector<std::string> rejects;  // per row: empty or a rejects line
  uint64_t created = 0;
  uint64_t replaced = 0;
  std::promise<void> done;
  std::future<void> ready = done.get_future();
};

struct Progress {
  uint64_t file_size = 0;
  int64_t mtime_ns = 0;
  uint64_t line = 0;  // rows before it are acknowledged
  uint64_t read = 0, created = 0, replaced = 0, rejected = 0;
  uint64_t rejects_bytes = 0;

  std::string ToJson() const {
    return json{{"file_size", file_size}, {"mtime_ns", mtime_ns},
                {"line", line},           {"read", read},
                {"created", created},     {"replaced", replaced},
                {"rejected", rejected},   {"rejects_bytes", rejects_bytes}}
        .dump();
  }
  static std::optional<Progress> FromJson(std::string_view text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    Progress p;
    try {
      p.file_size = j.at("file_size").get<uint64_t>();
      p.mtime_ns = j.at("mtime_ns").get<int64_t>();
      p.line = j.at("line").get<uint64_t>();
      p.read = j.at("read").get<uint64_t>();
      p.created = j.at("created").get<uint64_t>();
      p.replaced = j.at("replaced").get<uint64_t>();
      p.rejected = j.at("rejected").get<uint64_t>();
      p.rejects_bytes = j.at("rejects_bytes").get<uint64_t>();
    } catch (const json::exception&) {
      return std::nullopt;
    }
    return p;
  }
};

// A per-record error of the batch answer as a Status for the rejects file.
Status RecordError(const json& result) {
  const json& error = result.value("error", json::object());
  std::vector<FieldViolation> fields;
  if (auto it = error.find("fields"); it != error.end() && it->is_array()) {
    for (const json& f : *it) {
      if (f.is_object()) fields.push_back({f.value("field", ""), f.value("rule", "")});
    }
  }
  return Status(StatusCode::kUnprocessable, error.value("code", "rejected"),
                error.value("message", "rejected by the server"), std::move(fields));
}

class Sender {
 public:
  Sender(const OnlineImportOptions& options, std::string purpose)
      : options_(options), purpose_(std::move(purpose)) {}

  // `client` is the calling thread's keep-alive connection.
  void Send(HttpClient& client, Batch& batch) {
    const std::string path = "/v1/" + options_.collection + "/batch";
    std::vector<std::string> headers = {
        "Authorization: Bearer " + std::string(options_.token.view()),
        "Warden-Purpose: " + purpose_, "Content-Type: application/json"};
    StatusOr<HttpResult> result = Status::Ok();
    for (int attempt = 0;; ++attempt) {
      result = client.Call("POST", path, headers, batch.body);
      const bool retry = !result.ok() || result->status == 429 || result->status == 503;
      if (!retry || attempt >= 8) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(attempt, 5)));
    }
    for (std::string& h : headers) SecureWipe(h);
    batch.rejects.assign(batch.lines.size(), std::string());
    if (!result.ok()) {
      batch.status = result.status();
      return;
    }
    json answer = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    if (result->status != 200 || !answer.is_object() || !answer.contains("results")) {
      std::string message = "the server answered " + std::to_string(result->status);
      if (answer.is_object() && answer.contains("error") && answer["error"].is_object()) {
        message += ": " + answer["error"].value("message", "");
      }
      batch.status = Status(StatusCode::kUnavailable, "batch_refused", message);
      return;
    }
    // results[i] answers the i-th record sent; map back to rows.
    std::vector<size_t> row_of;
    for (size_t r = 0; r < batch.lines.size(); ++r) {
      if (!batch.errors[r]) row_of.push_back(r);
    }
    const json& results = answer["results"];
    if (!results.is_array() || results.size() != row_of.size()) {
      batch.status = Internal("the server's batch answer does not match the request");
      return;
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const json& r = results[i];
      const int status = r.value("status", 0);
      if (status == 201) {
        ++batch.created;
      } else if (status == 200) {
        ++batch.replaced;
      } else {
        batch.rejects[row_of[i]] = schema::RejectLine(batch.lines[row_of[i]], RecordError(r));
      }
    }
  }

 private:
  const OnlineImportOptions& options_;
  const std::string purpose_;
};

}  // namespace

StatusOr<OnlineImportSummary> RunOnlineImport(const OnlineImportOptions& options) {
  if (options.batch_records == 0 || options.batch_records > 1000) {
    return InvalidArgument("--batch must be 1..1000");
  }
  if (options.connections < 1) return InvalidArgument("--connections must be at least 1");
  std::ifstream in(options.input_path, std::ios::binary);
  if (!in) return NotFound("cannot open the input file");
  struct stat st {};
  if (::stat(options.input_path.c_str(), &st) != 0) return Unavailable("cannot stat the input");
  const std::string progress_path = options.progress_path.empty()
                                        ? options.input_path + ".import-progress"
                                        : options.progress_path;
  FileSystem& fs = FileSystem::Default();

  Progress progress;
  progress.file_size = static_cast<uint64_t>(st.st_size);
  progress.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  OnlineImportSummary summary;
  if (options.resume && fs.Exists(progress_path)) {
    ASSIGN_OR_RETURN(std::string text, fs.ReadFile(progress_path));
    std::optional<Progress> saved = Progress::FromJson(text);
    if (!saved) return DataLoss("the progress file is unreadable", "bad_import_progress");
    if (saved->file_size != progress.file_size || saved->mtime_ns != progress.mtime_ns) {
      return Conflict(
          "the input changed since the import began; remove " + progress_path + " to start over",
          "input_changed");
    }
    progress = *saved;
    summary.resumed_at_line = progress.line;
  }
  ingest::RejectsFile rejects;
  RETURN_IF_ERROR(rejects.Open(fs, options.rejects_path, progress.rejects_bytes));

  schema::RecordFormat format;
  if (options.format) {
    format = *options.format;
  } else if (auto f = schema::RecordReader::FormatOfPath(options.input_path)) {
    format = *f;
  } else {
    format = in.peek() == '{' ? schema::RecordFormat::kJsonLines : schema::RecordFormat::kCsv;
  }
  schema::RecordReader reader(in, format, options.schema);
  const std::string purpose =
      "import/" + std::filesystem::path(options.input_path).filename().string();
  Sender sender(options, purpose);

  // Senders take batches from `queue`; the calling thread consumes them in
  // order from `in_flight`, which bounds both.
  const size_t max_in_flight = static_cast<size_t>(options.connections) * 2;
  BoundedQueue<std::shared_ptr<Batch>> queue(max_in_flight);
  std::vector<std::thread> senders;
  for (int i = 0; i < options.connections; ++i) {
    senders.emplace_back([&] {
      HttpClient client(options.addr,
                        TlsTrust{.insecure = options.insecure, .ca_file = options.ca_file});
      while (std::optional<std::shared_ptr<Batch>> batch = queue.Pop()) {
        sender.Send(client, **batch);
        (*batch)->done.set_value();
      }
    });
  }
  std::deque<std::shared_ptr<Batch>> in_flight;
  uint64_t rows_this_run = 0;
  auto last_saved = std::chrono::steady_clock::now();
  Status status;

  // Consumes the oldest batch: rejects, counts, progress.
  auto consume = [&]() -> Status {
    std::shared_ptr<Batch> batch = std::move(in_flight.front());
    in_flight.pop_front();
    batch->ready.wait();
    ++summary.requests;
    RETURN_IF_ERROR(batch->status);
    for (size_t r = 0; r < batch->lines.size(); ++r) {
      ++progress.read;
      if (batch->errors[r]) {
        rejects.Add(schema::RejectLine(batch->lines[r], *batch->errors[r]));
        ++progress.rejected;
      } else if (!batch->rejects[r].empty()) {
        rejects.Add(batch->rejects[r]);
        ++progress.rejected;
      }
    }
    progress.created += batch->created;
    progress.replaced += batch->replaced;
    rows_this_run += batch->lines.size();
    if (!batch->lines.empty()) progress.line = batch->lines.back() + 1;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_saved >= std::chrono::seconds(1)) {
      last_saved = now;
      RETURN_IF_ERROR(rejects.Sync());
      progress.rejects_bytes = rejects.size();
      RETURN_IF_ERROR(fs.WriteFileAtomic(progress_path, progress.ToJson()));
    }
    if (options.on_progress) {
      options.on_progress(rows_this_run, batch->bytes_done, progress.file_size);
    }
    return Status::Ok();
  };

  auto batch = std::make_shared<Batch>();
  auto dispatch = [&]() -> Status {
    if (batch->lines.empty()) return Status::Ok();
    if (batch->sent > 0) batch->body += "]}";
    const std::streampos pos = in.tellg();
    batch->bytes_done = pos >= 0 ? static_cast<uint64_t>(pos) : progress.file_size;
    if (batch->sent == 0) {
      batch->rejects.assign(batch->lines.size(), std::string());
      batch->done.set_value();
    } else {
      queue.Push(batch);
    }
    in_flight.push_back(std::move(batch));
    batch = std::make_shared<Batch>();
    while (in_flight.size() >= max_in_flight) RETURN_IF_ERROR(consume());
    return Status::Ok();
  };

  while (status.ok()) {
    std::optional<schema::RecordReader::Row> row = reader.Next();
    if (!row) break;
    if (row->line < progress.line) continue;  // acknowledged by an earlier run
    batch->lines.push_back(row->line);
    if (!row->record.ok()) {
      batch->errors.push_back(row->record.status());
    } else {
      batch->errors.push_back(std::nullopt);
      batch->body += batch->sent == 0 ? "{\"records\":[" : ",";
      batch->body += row->record->dump(-1, ' ', false, json::error_handler_t::replace);
      ++batch->sent;
    }
    if (batch->sent >= options.batch_records || batch->lines.size() >= 4 * options.batch_records) {
      status = dispatch();
    }
  }
  if (status.ok() && in.bad()) status = Unavailable("reading the input failed");
  if (status.ok()) status = dispatch();
  while (status.ok() && !in_flight.empty()) status = consume();
  if (status.ok()) {
    queue.Close();
  } else {
    queue.Abort();
  }
  for (std::thread& t : senders) t.join();
  // Batches handed to senders but not consumed (after an error) are done now.
  Status synced = rejects.Sync();
  if (status.ok()) status = synced;
  if (status.ok()) {
    fs.Remove(progress_path).IgnoreError();
  } else if (synced.ok()) {
    progress.rejects_bytes = rejects.size();
    fs.WriteFileAtomic(progress_path, progress.ToJson()).IgnoreError();
  }
  RETURN_IF_ERROR(status);
  summary.read = progress.read;
  summary.created = progress.created;
  summary.replaced = progress.replaced;
  summary.rejected = progress.rejected;
  return summary;
}

}  // namespace warden::cli
