// RocksDbStore: the embedded Store, a RocksDB database in the data directory
// with one column family per Space.
//
// Durability: every Write() and AddToCounter() is written to the WAL and
// synced (WriteOptions::sync) before it returns. Concurrent writers join one
// RocksDB write group, whose leader syncs the WAL once for the whole group
// (group commit), so synced throughput grows with the number of writers.
//
// Atomicity of conditions: every Write() and AddToCounter() locks the keys it
// reads or writes (a fixed table of striped mutexes, taken in ascending
// stripe order, so there is no deadlock) and holds them until its batch is
// applied. A condition is therefore checked and its batch applied with no
// other change to those keys in between. Readers take no lock: a RocksDB
// batch becomes visible to Get() and Scan() all at once.
//
// Counters: a batch that touches only Space::kCounters keys, and every
// AddToCounter(), is applied without sync under its key locks, and the locks
// are released before the WAL sync that the call then waits for (early lock
// release). So one hot counter (an account's quota or rate) commits at group
// commit speed rather than one fsync at a time. The call still returns only
// when durable; what changes is that another caller may observe the new
// count up to one sync before it is durable. A later change that depended on
// it is durable only with it (the WAL is synced in order), so after a crash a
// counter can only be lower than some caller saw, never inconsistent with an
// acknowledged change. Every other batch is applied with its sync and is
// never visible before it is durable.
//
// Memory is bounded by configuration, independent of the number of records:
// one LRU block cache holds data, index and filter blocks, and memtables are
// charged to it through a WriteBufferManager.
//
// The process holds RocksDB's LOCK file: one process opens a directory at a
// time. Thread safety: all methods may be called concurrently.
#ifndef WARDEN_STORE_ROCKSDB_STORE_H_
#define WARDEN_STORE_ROCKSDB_STORE_H_

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "store/store.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Statistics;
}  // namespace rocksdb

namespace warden {

struct RocksDbOptions {
  // The shared LRU cache for data, index and filter blocks; memtables are
  // charged against it too.
  size_t block_cache_bytes = size_t{512} << 20;
  // All memtables of all spaces together; writes stall (not fail) above it.
  size_t write_buffer_total_bytes = size_t{128} << 20;
  // One memtable of one space.
  size_t write_buffer_bytes = size_t{32} << 20;
  int max_open_files = 4096;
  // Bloom filter bits per key for point lookups (0 disables).
  int bloom_bits_per_key = 10;
  int background_jobs = 2;
  // Create the directory and database when missing.
  bool create_if_missing = true;
  // Keep RocksDB statistics (a few percent of CPU) so Stats() is filled.
  bool collect_statistics = false;
  // Entries a BulkLoader buffers before writing a sorted file per space.
  size_t bulk_load_chunk_bytes = size_t{64} << 20;
  // After a write error that stops RocksDB (a full disk: RocksDB then refuses
  // every write until resumed), a later write first calls DB::Resume(), at
  // most this often, and is retried once when that succeeds. So the store
  // recovers by itself once space is freed, without a restart.
  std::chrono::milliseconds resume_interval{200};
  // The environment RocksDB runs in; null for the default. For fault
  // injection in tests; must outlive the store.
  rocksdb::Env* env = nullptr;
};

// Counters from RocksDB statistics; zero unless collect_statistics.
struct RocksDbStats {
  uint64_t wal_syncs = 0;             // WAL fsyncs
  uint64_t writes_done_by_self = 0;   // writes that led a write group
  uint64_t writes_done_by_other = 0;  // writes committed by another group leader
};

class RocksDbStore : public Store {
 public:
  // Opens (creating when allowed) the database in directory `path`.
  // kUnavailable when the directory is locked by another process or cannot
  // be read; kDataLoss when RocksDB finds corruption.
  static StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& path,
                                                      const RocksDbOptions& options = {});
  ~RocksDbStore() override;

  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) override;
  Status Write(const WriteBatch& batch) override;
  StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start, std::string_view end,
                                       size_t limit) override;
  StatusOr<CounterResult> AddToCounter(std::string_view key, int64_t delta, int64_t limit) override;
  uint64_t ChangeCount() const override { return changes_.load(std::memory_order_relaxed); }
  std::string_view Backend() const override { return "rocksdb"; }

  // Writes sorted SST files per space (chunks of bulk_load_chunk_bytes) in a
  // staging directory inside the data directory and ingests each chunk, all
  // spaces in one atomic ingestion. A crash mid-load leaves whole chunks
  // ingested; re-running the load overwrites them with the same values.
  StatusOr<std::unique_ptr<BulkLoader>> StartBulkLoad() override;

  RocksDbStats Stats() const;
  const std::string& path() const { return path_; }

 private:
  class KeyLocks;
  class SstBulkLoader;
  static constexpr size_t kLockStripes = 4096;

  RocksDbStore() = default;
  rocksdb::ColumnFamilyHandle* Family(Space space) const {
    return families_[static_cast<size_t>(space)];
  }
  static size_t StripeOf(Space space, std::string_view key);
  // Makes every write that returned before this call durable.
  Status SyncWal();
  Status WriteOnce(const WriteBatch& batch);
  StatusOr<CounterResult> AddToCounterOnce(std::string_view key, int64_t delta, int64_t limit);
  // After a failed write: DB::Resume() unless tried within resume_interval.
  // True when RocksDB accepts writes again.
  bool TryResume();

  std::string path_;
  RocksDbOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kSpaceCount> families_{};
  rocksdb::ColumnFamilyHandle* default_family_ = nullptr;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::array<Mutex, kLockStripes> stripes_;
  std::atomic<uint64_t> changes_{0};
  std::atomic<int64_t> last_resume_nanos_{0};  // steady clock; 0: never tried

  Mutex sync_mu_;
  std::condition_variable sync_finished_;
  uint64_t sync_requested_ GUARDED_BY(sync_mu_) = 0;
  uint64_t sync_done_ GUARDED_BY(sync_mu_) = 0;  // requests known durable
  bool syncing_ GUARDED_BY(sync_mu_) = false;
  std::atomic<uint64_t> bulk_loads_{0};
};

}  // namespace warden

#endif  // WARDEN_STORE_ROCKSDB_STORE_H_
