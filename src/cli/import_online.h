// Online import (`warden import --addr URL`): a CSV or JSON Lines file sent
// to a running server through POST /v1/{collection}/batch, several batches in
// flight on parallel keep-alive connections.
//
// Every request carries the token and `Warden-Purpose: import/<file name>`.
// The server validates each record and answers a result per record; every
// row it refuses, and every row the local reader cannot parse, becomes a line
// of the rejects file (the `warden validate` format). Duplicate keys follow
// the API's upsert semantics: a later row replaces an earlier one.
//
// Resuming: FILE.import-progress (beside the input, or `progress_path`)
// records the first line not yet acknowledged by the server in order, the
// counts and the length of the rejects file; it is rewritten atomically about
// once a second after the rejects file is synced. A re-run skips the rows
// before that line. Rows after it may have been written already; the server's
// upsert makes sending them again harmless (they count as replaced). A
// finished import removes the progress file.
//
// Failures of the whole request (401, 403, 400) stop the import; 429 and 503
// are retried with back-off. Not thread-safe; call from one thread.
#ifndef WARDEN_CLI_IMPORT_ONLINE_H_
#define WARDEN_CLI_IMPORT_ONLINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/secret.h"
#include "core/status.h"
#include "schema/record_reader.h"
#include "schema/schema.h"

namespace warden::cli {

struct OnlineImportOptions {
  std::string addr;  // https://host:port
  SecretBytes token;
  bool insecure = false;
  std::string ca_file;  // PEM of a private CA to trust; empty: the system's CAs
  std::string input_path;
  std::string collection;
  // For reading CSV cells into typed values (lists); the server's schema
  // decides validity.
  const schema::CollectionSchema* schema = nullptr;
  std::optional<schema::RecordFormat> format;
  std::string rejects_path;
  std::string progress_path;  // empty: input_path + ".import-progress"
  int connections = 4;
  size_t batch_records = 1000;
  bool resume = true;
  // Called after each acknowledged batch: rows handled by this run, input
  // bytes read.
  std::function<void(uint64_t rows, uint64_t bytes_done, uint64_t bytes_total)> on_progress;
};

struct OnlineImportSummary {
  uint64_t read = 0;
  uint64_t created = 0;
  uint64_t replaced = 0;
  uint64_t rejected = 0;
  uint64_t resumed_at_line = 0;  // 0 when the run started at the beginning
  uint64_t requests = 0;
};

StatusOr<OnlineImportSummary> RunOnlineImport(const OnlineImportOptions& options);

}  // namespace warden::cli

#endif  // WARDEN_CLI_IMPORT_ONLINE_H_
