// Offline bulk import (`warden import --data DIR`): a CSV or JSON Lines file
// of one collection straight into a stopped server's store, on all cores.
//
//   reader thread   splits the file into units of whole records (a few
//                   hundred KiB, cut where schema::CsvRecordScanner, the
//                   reader's own grammar, ends a record, so line numbers
//                   stay exact), handed on through core BoundedQueues
//   N workers       parse, validate and normalise (schema::ValidateRecord),
//                   seal and index (RecordBarrier::Encode) each unit
//   calling thread  takes units in file order, applies the duplicate policy,
//                   writes rejects (ingest::RejectsFile, lines of
//                   schema::RejectLine), and commits records through the store's
//                   BulkLoader (sorted SST ingestion on RocksDB, binary COPY
//                   on PostgreSQL)
//
// Commits and resuming. Every commit is one load (StartBulkLoad … Finish)
// holding whole units and, last, a progress marker in Space::kMeta
// ("import/" + hex SHA-256 of collection, absolute path, size and mtime of
// the file) with the byte offset and line after the last committed unit, the
// counts so far and the length of the rejects file. A commit is atomic as long
// as the backend's loader does not split it (see BulkImportOptions::
// commit_bytes), so after kill -9 the store holds exactly the units before
// the marker. A re-run finds the marker, truncates the rejects file to the
// recorded length and continues after the offset: no row is lost, none is
// written or rejected twice. A finished import leaves its marker marked
// complete; running it again does nothing unless `resume` is false.
//
// Duplicate keys. Store keys derive from the record key (a keyed tag), so a
// key can never be stored twice; the policy decides which row wins:
//   kReject    the first row with a key wins; a later row with the same key,
//              or with a key already in the store, is rejected (rule
//              "duplicate_key" on the key field).
//   kLastWins  a later row replaces an earlier one. Within the uncommitted
//              part the earlier row's entries are dropped before they reach
//              the store; a key already in the store (from before, or from an
//              earlier commit) goes through RecordBarrier::Put, which removes
//              the old version's index entries in the same guarded batch, so
//              no stale index entry survives.
// Keys already in the store are found with a Get per row when the collection
// held records before the import (or it is resumed); otherwise a 64-bit
// fingerprint set of the keys written so far filters the Gets.
//
// Every run that reads the file appends one audit entry (AuditAction::kImport,
// outcome failed when it stops on an error) with the counts; the file name is
// sealed in its detail. A run that finds the import complete appends none.
//
// Thread safety: RunBulkImport blocks and uses the store, the barrier and the
// audit log from several threads (all three are thread-safe). One import per
// store at a time.
#ifndef WARDEN_INGEST_BULK_IMPORT_H_
#define WARDEN_INGEST_BULK_IMPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/file_system.h"
#include "core/status.h"
#include "node/seal_gate.h"
#include "schema/record_reader.h"
#include "schema/schema.h"
#include "store/store.h"

namespace warden::ingest {

enum class DuplicatePolicy { kReject, kLastWins };
// "reject" or "last-wins".
std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view name);

// The rows of one file over all runs of its import: read == imported +
// replaced + rejected.
struct ImportCounts {
  uint64_t read = 0;      // records read (blank lines are not records)
  uint64_t imported = 0;  // new records
  uint64_t replaced = 0;  // rows that replaced a record (kLastWins only)
  uint64_t rejected = 0;  // rows in the rejects file
};

struct ImportProgress {
  ImportCounts counts;
  uint64_t bytes_done = 0;  // of the input file, committed or in flight
  uint64_t bytes_total = 0;
};

// On PostgreSQL a load is committed in transactions of 16 MiB of COPY data;
// a commit must stay below that to be atomic.
inline constexpr size_t kPostgresCommitBytes = size_t{8} << 20;

struct BulkImportOptions {
  std::string input_path;
  std::string collection;
  std::optional<schema::RecordFormat> format;  // nullopt: from the name, else the content
  std::string rejects_path;                    // required; created or truncated
  DuplicatePolicy on_duplicate = DuplicatePolicy::kReject;
  int workers = 0;     // 0: one per core
  bool resume = true;  // false: ignore a progress marker and start over
  // Bytes of store entries per commit. On RocksDB the store must be opened
  // with RocksDbOptions::bulk_load_chunk_bytes above this (the loader would
  // split the commit otherwise); on PostgreSQL it is capped at
  // kPostgresCommitBytes.
  size_t commit_bytes = size_t{64} << 20;
  size_t unit_bytes = size_t{256} << 10;  // input bytes per work unit
  // Called on the calling thread after every unit.
  std::function<void(const ImportProgress&)> on_progress;
  // The account named in the audit entry.
  std::string audit_account = "offline-import";
};

struct ImportSummary {
  ImportCounts counts;
  uint64_t resumed_at_line = 0;   // first line read by this run when resumed; 0 otherwise
  bool already_complete = false;  // a finished marker was found; nothing was done
  uint64_t commits = 0;
  uint64_t bytes = 0;  // input file size
};

// Imports options.input_path into options.collection of `store` through the
// services of the unsealed store, reading the input and writing the rejects
// file through `fs`. Rows that fail are rejects, not errors.
// Errors: kNotFound (file, collection), kInvalidArgument (a CSV header that
// does not parse, bad options), kUnavailable (I/O, store), kDataLoss (an
// unreadable progress marker). After an error the committed part stays, the
// rejects file holds the rejects of that part only (where the file system
// lets it be cut back), and a re-run resumes after it.
StatusOr<ImportSummary> RunBulkImport(Store& store, const schema::Schema& schema,
                                      node::UnsealedServices& services, const Clock& clock,
                                      const BulkImportOptions& options,
                                      FileSystem& fs = FileSystem::Default());

}  // namespace warden::ingest

#endif  // WARDEN_INGEST_BULK_IMPORT_H_
