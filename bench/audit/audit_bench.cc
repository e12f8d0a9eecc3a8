// audit_bench: lookups/s with a durable audit entry per lookup against the
// same lookups audited to memory only, and against no audit at all.
//
// A "lookup" here is the storage and crypto part of GET /v1/persons/{id}: a
// point read of a sealed record from RocksDB, its AES-256-GCM opening, and
// (when audited) an AuditLog::Append naming the person's ID, which returns
// only when the entry is durable. HTTP, authentication and masking are not
// included; they cost the same in every configuration.
//
// Usage: audit_bench [--seconds S] [--records N] [--dir DIR]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "core/bytes.h"
#include "crypto/primitives.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace warden::audit {
namespace {

struct Result {
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  double entries_per_commit = 0;
};

std::string RecordKey(int i) {
  std::string digits = std::to_string(1000000 + i);
  return "110101199001" + digits.substr(digits.size() - 6);
}

class Bench {
 public:
  Bench(Store& records, int record_count)
      : records_(records),
        record_count_(record_count),
        key_(SecretBytes::CopyFrom(std::string(32, '\x5a'))) {}

  Status Load() {
    std::string plain(300, 'x');
    std::string nonce(crypto::kGcmNonceSize, '\0');
    WriteBatch batch;
    for (int i = 0; i < record_count_; ++i) {
      ASSIGN_OR_RETURN(std::string sealed,
                       crypto::Aes256GcmSeal(key_, AsBytes(nonce), AsBytes(plain), AsBytes("")));
      batch.Put(Space::kRecords, RecordKey(i), sealed);
      if (batch.size() == 10'000) {
        RETURN_IF_ERROR(records_.Write(batch));
        batch.Clear();
      }
    }
    if (!batch.empty()) RETURN_IF_ERROR(records_.Write(batch));
    return Status::Ok();
  }

  // Runs `threads` clients for `seconds`; `log` may be null (no audit).
  Result Run(AuditLog* log, Store* audit_store, int threads, double seconds) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> done{0};
    std::atomic<bool> failed{false};
    std::vector<std::vector<uint32_t>> latencies(static_cast<size_t>(threads));
    uint64_t commits_before = audit_store ? audit_store->ChangeCount() : 0;
    std::vector<std::thread> workers;
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937 rng(static_cast<uint32_t>(t) * 7919u + 1);
        std::uniform_int_distribution<int> pick(0, record_count_ - 1);
        std::string nonce(crypto::kGcmNonceSize, '\0');
        AuditEvent event;
        event.actor = {"officer-" + std::to_string(t),
                       "session-" + std::to_string(t),
                       "officer",
                       "192.0.2.7",
                       "case",
                       "C-2031-0042",
                       ""};
        event.action = AuditAction::kRead;
        event.collection = "persons";
        event.result_count = 1;
        auto& lat = latencies[static_cast<size_t>(t)];
        while (!stop.load(std::memory_order_relaxed)) {
          auto t0 = std::chrono::steady_clock::now();
          std::string key = RecordKey(pick(rng));
          auto sealed = records_.Get(Space::kRecords, key);
          if (!sealed.ok() || !sealed->has_value()) {
            failed = true;
            return;
          }
          auto plain = crypto::Aes256GcmOpen(key_, AsBytes(nonce), AsBytes(**sealed), AsBytes(""));
          if (!plain.ok()) {
            failed = true;
            return;
          }
          if (log != nullptr) {
            event.subjects = {{IdentifierKind::kNationalId, key}};
            if (!log->Append(event).ok()) {
              failed = true;
              return;
            }
          }
          auto t1 = std::chrono::steady_clock::now();
          lat.push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
          done.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : workers) w.join();
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed) {
      std::fprintf(stderr, "a lookup failed\n");
      std::exit(1);
    }
    std::vector<uint32_t> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    Result r;
    r.per_second = static_cast<double>(done.load()) / elapsed;
    if (!all.empty()) {
      r.p50_us = all[all.size() / 2];
      r.p99_us = all[all.size() * 99 / 100];
    }
    if (audit_store != nullptr) {
      uint64_t commits = audit_store->ChangeCount() - commits_before;
      r.entries_per_commit = commits ? static_cast<double>(done.load()) / commits : 0;
    }
    return r;
  }

 private:
  Store& records_;
  int record_count_;
  SecretBytes key_;
};

int Main(int argc, char** argv) {
  double seconds = 3;
  int records = 200'000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--records") == 0) records = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/audit_bench_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 1;
    dir = tmpl;
  }
  RocksDbOptions options;
  options.block_cache_bytes = size_t{256} << 20;
  auto store = RocksDbStore::Open(dir + "/db", options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  Bench bench(**store, records);
  if (Status st = bench.Load(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  SecretBytes hash_key = SecretBytes::CopyFrom(std::string(32, '\x11'));
  SecretBytes sign_seed = SecretBytes::CopyFrom(std::string(32, '\x22'));
  auto context_keys = std::make_shared<crypto::EnvelopeKeys>(std::string(16, 'b'));
  context_keys->Add(1, SecretBytes::CopyFrom(std::string(32, '\x55'))).IgnoreError();

  std::printf("records: %d sealed 300-byte records in RocksDB; %.1f s per run\n\n", records,
              seconds);
  std::printf("| audit | clients | lookups/s | p50 us | p99 us | entries/commit |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (int threads : {1, 8, 32, 128}) {
    Result none = bench.Run(nullptr, nullptr, threads, seconds);
    std::printf("| none | %d | %.0f | %.0f | %.0f | - |\n", threads, none.per_second, none.p50_us,
                none.p99_us);

    MemoryStore memory;
    auto mem_log = AuditLog::Open(memory, hash_key, sign_seed, context_keys, {});
    if (!mem_log.ok()) return 1;
    Result mem = bench.Run(mem_log->get(), &memory, threads, seconds);
    mem_log->reset();
    std::printf("| memory | %d | %.0f | %.0f | %.0f | %.1f |\n", threads, mem.per_second,
                mem.p50_us, mem.p99_us, mem.entries_per_commit);

    auto durable_log = AuditLog::Open(**store, hash_key, sign_seed, context_keys, {});
    if (!durable_log.ok()) return 1;
    Result durable = bench.Run(durable_log->get(), store->get(), threads, seconds);
    durable_log->reset();
    std::printf("| durable (RocksDB, synced) | %d | %.0f | %.0f | %.0f | %.1f |\n", threads,
                durable.per_second, durable.p50_us, durable.p99_us, durable.entries_per_commit);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace warden::audit

int main(int argc, char** argv) { return warden::audit::Main(argc, argv); }
