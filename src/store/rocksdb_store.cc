#include "store/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <system_error>
#include <utility>

#include "core/bytes.h"

namespace warden {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

// RocksDB messages name files and operations, never keys or values.
Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = "rocksdb " + std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return DataLoss(std::move(message));
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete() ||
      s.IsShutdownInProgress()) {
    return Unavailable(std::move(message));
  }
  if (s.IsInvalidArgument()) return InvalidArgument(std::move(message));
  return Internal(std::move(message));
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

// True when every key `batch` touches is a counter (see "Counters" in the header).
bool TouchesOnlyCounters(const WriteBatch& batch) {
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.space != Space::kCounters) return false;
  }
  for (const WriteBatch::Condition& c : batch.conditions()) {
    if (c.space != Space::kCounters) return false;
  }
  return true;
}

bool Lz4Supported() {
  static const bool supported = [] {
    auto all = rocksdb::GetSupportedCompressions();
    return std::find(all.begin(), all.end(), rocksdb::kLZ4Compression) != all.end();
  }();
  return supported;
}

rocksdb::ColumnFamilyOptions FamilyOptions(Space space, const RocksDbOptions& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the cache too, so their memory is bounded
  // however many files 100 M records make; those of L0 stay pinned.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  rocksdb::ColumnFamilyOptions family;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  family.write_buffer_size = options.write_buffer_bytes;
  family.level_compaction_dynamic_level_bytes = true;
  // Records, index entries and counters are ciphertext, keyed hashes and
  // integers: compression costs CPU and saves nothing. Audit entries and
  // metadata carry structure worth compressing.
  bool compressible = space == Space::kAudit || space == Space::kMeta;
  family.compression =
      compressible && Lz4Supported() ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  return family;
}

}  // namespace

// Holds the stripes of a set of (space, key) pairs, locked in ascending order.
class RocksDbStore::KeyLocks {
 public:
  // A set of stripes chosen at run time: beyond what the analysis can follow.
  KeyLocks(RocksDbStore& store, std::vector<size_t> stripes) NO_THREAD_SAFETY_ANALYSIS
      : store_(store) {
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    stripes_ = std::move(stripes);
    for (size_t s : stripes_) store_.stripes_[s].Lock();
  }
  ~KeyLocks() NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) store_.stripes_[*it].Unlock();
  }
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

 private:
  RocksDbStore& store_;
  std::vector<size_t> stripes_;
};

size_t RocksDbStore::StripeOf(Space space, std::string_view key) {
  size_t h = std::hash<std::string_view>{}(key);
  h ^= (static_cast<size_t>(space) + 1) * 0x9e3779b97f4a7c15ULL;
  return h % kLockStripes;
}

StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const std::string& path,
                                                           const RocksDbOptions& options) {
  if (path.empty()) return InvalidArgument("store path is empty");
  std::error_code ec;
  if (options.create_if_missing) {
    std::filesystem::create_directories(path, ec);
    if (ec) return Unavailable("cannot create store directory: " + ec.message());
    std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }

  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->path_ = path;
  store->options_ = options;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = options.create_if_missing;
  db.max_open_files = options.max_open_files;
  db.max_background_jobs = options.background_jobs;
  if (options.env != nullptr) db.env = options.env;
  db.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
      options.write_buffer_total_bytes, cache, /*allow_stall=*/true);
  // Writers queue for the WAL and the memtables in a pipeline; a group's
  // leader syncs the WAL once for all of its members.
  db.enable_pipelined_write = true;
  db.max_log_file_size = 16 << 20;
  db.keep_log_file_num = 4;
  db.max_total_wal_size = 512 << 20;
  if (options.collect_statistics) {
    store->statistics_ = rocksdb::CreateDBStatistics();
    db.statistics = store->statistics_;
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kSpaceCount; ++i) {
    auto space = static_cast<Space>(i);
    descriptors.emplace_back(std::string(SpaceName(space)), FamilyOptions(space, options, cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db, path, descriptors, &handles, &raw), "open"));
  store->db_.reset(raw);
  store->default_family_ = handles[0];
  for (int i = 0; i < kSpaceCount; ++i) store->families_[i] = handles[i + 1];
  return store;
}

RocksDbStore::~RocksDbStore() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : families_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->DestroyColumnFamilyHandle(default_family_).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

StatusOr<std::optional<std::string>> RocksDbStore::Get(Space space, std::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Family(space), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocks(s, "get"));
  return std::optional<std::string>(std::move(value));
}

Status RocksDbStore::Write(const WriteBatch& batch) {
  Status st = WriteOnce(batch);
  if (st.code() != StatusCode::kUnavailable || !TryResume()) return st;
  return WriteOnce(batch);
}

bool RocksDbStore::TryResume() {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_resume_nanos_.load(std::memory_order_relaxed);
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.resume_interval).count();
  if (last != 0 && now - last < interval) return false;
  // One caller per interval resumes; the others fail as they would have.
  if (!last_resume_nanos_.compare_exchange_strong(last, now)) return false;
  // Resume() clears a background error (a full disk) once the cause is gone:
  // it flushes what the failed writes left and lets writes in again. OK when
  // there was no background error to clear.
  return db_->Resume().ok();
}

Status RocksDbStore::WriteOnce(const WriteBatch& batch) {
  // The memtable is a skip list that remembers where its last insert went:
  // keys applied in order cost a short walk each instead of a search from
  // the top. A stable sort keeps the order of operations on one key, so the
  // last one still wins.
  std::vector<const WriteBatch::Op*> ordered;
  ordered.reserve(batch.ops().size());
  for (const WriteBatch::Op& op : batch.ops()) ordered.push_back(&op);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return a->space != b->space ? a->space < b->space : a->key < b->key;
  });
  rocksdb::WriteBatch rocks;
  std::vector<size_t> stripes;
  stripes.reserve(batch.ops().size() + batch.conditions().size());
  for (const WriteBatch::Op* op_ptr : ordered) {
    const WriteBatch::Op& op = *op_ptr;
    if (op.value) {
      RETURN_IF_ERROR(CheckValueShape(op.space, *op.value));
      RETURN_IF_ERROR(
          FromRocks(rocks.Put(Family(op.space), ToSlice(op.key), ToSlice(*op.value)), "batch put"));
    } else {
      RETURN_IF_ERROR(FromRocks(rocks.Delete(Family(op.space), ToSlice(op.key)), "batch delete"));
    }
    stripes.push_back(StripeOf(op.space, op.key));
  }
  for (const WriteBatch::Condition& c : batch.conditions()) {
    stripes.push_back(StripeOf(c.space, c.key));
  }

  const bool release_early = TouchesOnlyCounters(batch);
  {
    // Unconditional writes lock their keys too: otherwise one could land
    // between a conditional write's check and its commit.
    KeyLocks locks(*this, std::move(stripes));
    for (const WriteBatch::Condition& c : batch.conditions()) {
      ASSIGN_OR_RETURN(std::optional<std::string> current, Get(c.space, c.key));
      if (current != c.expected) {
        return Conflict("condition failed on " + std::string(SpaceName(c.space)) + " key");
      }
    }
    if (batch.empty()) return Status::Ok();
    RETURN_IF_ERROR(FromRocks(
        db_->Write(release_early ? rocksdb::WriteOptions() : SyncedWrite(), &rocks), "write"));
  }
  if (release_early) RETURN_IF_ERROR(SyncWal());
  changes_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status RocksDbStore::SyncWal() {
  // Group sync: a caller whose write returned registers a request; a sync
  // that starts after the registration covers it. One caller at a time
  // syncs, for every request registered before it started; the others wait.
  MutexLock lock(sync_mu_);
  const uint64_t mine = ++sync_requested_;
  while (sync_done_ < mine) {
    if (syncing_) {
      lock.Wait(sync_finished_);
      continue;
    }
    syncing_ = true;
    const uint64_t covers = sync_requested_;
    lock.Unlock();
    // An empty batch written with sync=true syncs the WAL through RocksDB's
    // ordinary synced write path (every live WAL file, in order).
    rocksdb::WriteBatch empty;
    rocksdb::Status s = db_->Write(SyncedWrite(), &empty);
    lock.Lock();
    syncing_ = false;
    if (s.ok()) sync_done_ = covers;
    sync_finished_.notify_all();
    RETURN_IF_ERROR(FromRocks(s, "sync"));
  }
  return Status::Ok();
}

StatusOr<std::vector<KeyValue>> RocksDbStore::Scan(Space space, std::string_view start,
                                                   std::string_view end, size_t limit) {
  std::vector<KeyValue> out;
  if (limit == 0) return out;
  rocksdb::ReadOptions read;
  rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Family(space)));
  for (it->Seek(ToSlice(start)); it->Valid() && out.size() < limit; it->Next()) {
    out.push_back({it->key().ToString(), it->value().ToString()});
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return out;
}

StatusOr<CounterResult> RocksDbStore::AddToCounter(std::string_view key, int64_t delta,
                                                   int64_t limit) {
  StatusOr<CounterResult> r = AddToCounterOnce(key, delta, limit);
  if (r.status().code() != StatusCode::kUnavailable || !TryResume()) return r;
  return AddToCounterOnce(key, delta, limit);
}

StatusOr<CounterResult> RocksDbStore::AddToCounterOnce(std::string_view key, int64_t delta,
                                                       int64_t limit) {
  std::optional<int64_t> sum;
  {
    KeyLocks locks(*this, {StripeOf(Space::kCounters, key)});
    ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(Space::kCounters, key));
    if (stored && stored->size() != 8) return DataLoss("counter value is not 8 bytes");
    int64_t current = stored ? static_cast<int64_t>(GetBigEndian64(*stored)) : 0;
    ASSIGN_OR_RETURN(sum, BoundedCounterSum(current, delta, limit));
    if (!sum) return CounterResult{current, false};
    std::string encoded;
    PutBigEndian64(encoded, static_cast<uint64_t>(*sum));
    RETURN_IF_ERROR(FromRocks(
        db_->Put(rocksdb::WriteOptions(), Family(Space::kCounters), ToSlice(key), ToSlice(encoded)),
        "counter"));
  }
  RETURN_IF_ERROR(SyncWal());
  changes_.fetch_add(1, std::memory_order_relaxed);
  return CounterResult{*sum, true};
}

RocksDbStats RocksDbStore::Stats() const {
  RocksDbStats stats;
  if (!statistics_) return stats;
  stats.wal_syncs = statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  stats.writes_done_by_self = statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_SELF);
  stats.writes_done_by_other = statistics_->getTickerCount(rocksdb::WRITE_DONE_BY_OTHER);
  return stats;
}

// Buffers entries per space; every bulk_load_chunk_bytes it sorts them,
// writes one SST file per non-empty space and ingests those files in one
// atomic IngestExternalFiles call (later chunks overwrite earlier ones).
class RocksDbStore::SstBulkLoader : public BulkLoader {
 public:
  SstBulkLoader(RocksDbStore& store, std::string staging)
      : store_(store), staging_(std::move(staging)) {}
  ~SstBulkLoader() override {
    std::error_code ec;
    std::filesystem::remove_all(staging_, ec);
  }

  Status Add(Space space, std::string_view key, std::string_view value) override {
    if (finished_) return Internal("bulk load already finished");
    RETURN_IF_ERROR(CheckValueShape(space, value));
    auto& entries = pending_[static_cast<size_t>(space)];
    entries.push_back({std::string(key), std::string(value)});
    pending_bytes_ += key.size() + value.size() + 64;
    ++count_;
    if (pending_bytes_ >= store_.options_.bulk_load_chunk_bytes) return IngestChunk();
    return Status::Ok();
  }

  Status Finish() override {
    if (finished_) return Internal("bulk load already finished");
    finished_ = true;
    RETURN_IF_ERROR(IngestChunk());
    std::error_code ec;
    std::filesystem::remove_all(staging_, ec);
    return Status::Ok();
  }

  uint64_t count() const override { return count_; }

 private:
  Status IngestChunk() {
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (int i = 0; i < kSpaceCount; ++i) {
      auto& entries = pending_[i];
      if (entries.empty()) continue;
      // Stable sort keeps the order of equal keys; the last one added wins.
      std::stable_sort(entries.begin(), entries.end(),
                       [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
      auto space = static_cast<Space>(i);
      rocksdb::Options options(rocksdb::DBOptions(), store_.db_->GetOptions(store_.Family(space)));
      rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, store_.Family(space));
      std::string file =
          staging_ + "/" + std::to_string(chunks_) + "-" + std::string(SpaceName(space)) + ".sst";
      RETURN_IF_ERROR(FromRocks(writer.Open(file), "bulk load open"));
      for (size_t j = 0; j < entries.size(); ++j) {
        if (j + 1 < entries.size() && entries[j + 1].key == entries[j].key) continue;
        RETURN_IF_ERROR(FromRocks(writer.Put(ToSlice(entries[j].key), ToSlice(entries[j].value)),
                                  "bulk load add"));
      }
      RETURN_IF_ERROR(FromRocks(writer.Finish(), "bulk load finish file"));
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = store_.Family(space);
      arg.external_files = {file};
      arg.options.move_files = true;
      args.push_back(std::move(arg));
      entries.clear();
      entries.shrink_to_fit();
    }
    pending_bytes_ = 0;
    ++chunks_;
    if (args.empty()) return Status::Ok();
    RETURN_IF_ERROR(FromRocks(store_.db_->IngestExternalFiles(args), "bulk load ingest"));
    store_.changes_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }

  RocksDbStore& store_;
  std::string staging_;
  std::array<std::vector<KeyValue>, kSpaceCount> pending_;
  size_t pending_bytes_ = 0;
  uint64_t count_ = 0;
  uint64_t chunks_ = 0;
  bool finished_ = false;
};

StatusOr<std::unique_ptr<BulkLoader>> RocksDbStore::StartBulkLoad() {
  // Named so RocksDB never mistakes it for one of its own files; a staging
  // directory left by a crash is removed when the next load starts there.
  std::string staging = path_ + "/bulk-load-" + std::to_string(bulk_loads_.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
  std::filesystem::create_directories(staging, ec);
  if (ec) return Unavailable("cannot create bulk load directory: " + ec.message());
  return std::unique_ptr<BulkLoader>(std::make_unique<SstBulkLoader>(*this, std::move(staging)));
}

}  // namespace warden
