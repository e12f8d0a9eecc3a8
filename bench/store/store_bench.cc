// Throughput of each Store backend on this machine: bulk load, point reads
// and durable (synced) writes of record + two index entries, with 1 and 16
// writers to show group commit, and increments of one hot counter. PostgreSQL runs when
// WARDEN_TEST_PG is set.
//
// Usage: store_bench [--seconds S] [--records N] [--dir DIR]
//   --seconds  wall time per measurement (default 2)
//   --records  records bulk-loaded before the reads (default 200000)
//   --dir      parent directory of the RocksDB data (default: the temp dir)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "store/memory_store.h"
#include "store/postgres_store.h"
#include "store/rocksdb_store.h"

namespace {

using warden::Space;
using warden::Store;
using Clock = std::chrono::steady_clock;

double g_seconds = 2.0;
uint64_t g_records = 200000;

std::string RecordKey(uint64_t n) {
  std::string key = "persons/";
  warden::PutBigEndian64(key, n * 0x9e3779b97f4a7c15ULL);  // spread like hashed keys
  return key;
}

// Runs op(thread, i) on `threads` threads for g_seconds; returns ops/s.
double Rate(int threads, const std::function<bool(int, uint64_t)>& op) {
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  auto deadline = Clock::now() + std::chrono::duration<double>(g_seconds);
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      uint64_t i = 0;
      while (Clock::now() < deadline) {
        if (!op(t, i++)) {
          failed = true;
          return;
        }
      }
      done += i;
    });
  }
  for (auto& thread : pool) thread.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) return -1;
  return static_cast<double>(done.load()) / elapsed;
}

void Run(const char* name, Store& store) {
  const std::string value(200, '\x5a');  // a sealed record's size

  auto load_start = Clock::now();
  auto loader = store.StartBulkLoad();
  if (!loader.ok()) {
    std::printf("%s: bulk load: %s\n", name, loader.status().ToString().c_str());
    return;
  }
  for (uint64_t n = 0; n < g_records; ++n) {
    std::string key = RecordKey(n);
    if (!(*loader)->Add(Space::kRecords, key, value).ok() ||
        !(*loader)->Add(Space::kIndex, "phone/" + key, "").ok()) {
      std::printf("%s: bulk add failed\n", name);
      return;
    }
  }
  if (warden::Status s = (*loader)->Finish(); !s.ok()) {
    std::printf("%s: bulk finish: %s\n", name, s.ToString().c_str());
    return;
  }
  loader->reset();
  double load_rate = static_cast<double>(2 * g_records) /
                     std::chrono::duration<double>(Clock::now() - load_start).count();

  auto read = [&](int t, uint64_t i) {
    thread_local std::mt19937_64 rng(std::random_device{}() + static_cast<uint64_t>(t));
    (void)i;
    auto got = store.Get(Space::kRecords, RecordKey(rng() % g_records));
    return got.ok() && got->has_value();
  };
  auto write = [&](int t, uint64_t i) {
    std::string id = std::to_string(t) + "/" + std::to_string(i);
    warden::WriteBatch batch;
    batch.Put(Space::kRecords, "new/" + id, value);
    batch.Put(Space::kIndex, "idx-a/" + id, "");
    batch.Put(Space::kIndex, "idx-b/" + id, "");
    return store.Write(batch).ok();
  };
  // One hot counter shared by every thread, like one account's quota.
  auto counter = [&](int, uint64_t) { return store.AddToCounter("quota/hot", 1, 1LL << 60).ok(); };

  std::printf("%-9s %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f\n", name, load_rate,
              Rate(1, read), Rate(2, read), Rate(1, write), Rate(16, write), Rate(1, counter),
              Rate(16, counter));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string parent = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) g_seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--records") == 0) g_records = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--dir") == 0) parent = argv[i + 1];
  }
  std::printf("%llu records of 200 B + 1 index entry each; %.1f s per figure; ops/s\n",
              static_cast<unsigned long long>(g_records), g_seconds);
  std::printf("%-9s %12s %12s %12s %12s %12s %12s %12s\n", "backend", "bulk-load", "get x1",
              "get x2", "write x1", "write x16", "hot ctr x1", "hot ctr x16");

  {
    warden::MemoryStore memory;
    Run("memory", memory);
  }
  {
    std::string dir = parent + "/warden-store-bench-" + std::to_string(getpid());
    warden::RocksDbOptions options;
    options.block_cache_bytes = size_t{256} << 20;
    auto rocks = warden::RocksDbStore::Open(dir, options);
    if (rocks.ok()) {
      Run("rocksdb", **rocks);
    } else {
      std::printf("rocksdb: %s\n", rocks.status().ToString().c_str());
    }
    rocks = warden::Internal("closed");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  if (const char* conn = std::getenv("WARDEN_TEST_PG"); conn != nullptr && *conn != '\0') {
    warden::PostgresOptions options;
    options.connection = conn;
    options.schema = "warden_bench_" + std::to_string(getpid());
    options.pool_size = 16;
    {
      auto pg = warden::PostgresStore::Open(options);
      if (pg.ok()) {
        Run("postgres", **pg);
      } else {
        std::printf("postgres: %s\n", pg.status().ToString().c_str());
      }
    }
    warden::PostgresStore::DropSchema(conn, options.schema).IgnoreError();
  } else {
    std::printf("postgres: skipped (WARDEN_TEST_PG unset)\n");
  }
  return 0;
}
