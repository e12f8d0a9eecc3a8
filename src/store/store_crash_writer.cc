// Helper of store_crash_test: writes batches of one record and two index
// entries to a RocksDbStore from several threads, and after each batch is
// acknowledged (Write returned OK) writes its 8-byte batch number to stdout;
// every fourth batch also increments the counter "batches" and acknowledges
// that with the batch number's top bit set.
// Runs until killed.
//   store_crash_writer DIR FIRST_BATCH
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "store/rocksdb_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR FIRST_BATCH\n", argv[0]);
    return 2;
  }
  auto store = warden::RocksDbStore::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::atomic<uint64_t> next{std::strtoull(argv[2], nullptr, 10)};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (true) {
        uint64_t n = next.fetch_add(1);
        std::string id;
        warden::PutBigEndian64(id, n);
        warden::WriteBatch batch;
        batch.Put(warden::Space::kRecords, "rec/" + id, "sealed-record-" + std::to_string(n));
        batch.Put(warden::Space::kIndex, "a/" + id, "");
        batch.Put(warden::Space::kIndex, "b/" + id, "");
        warden::Status status = (*store)->Write(batch);
        if (!status.ok()) {
          std::fprintf(stderr, "write: %s\n", status.ToString().c_str());
          std::_Exit(1);
        }
        // 8 bytes < PIPE_BUF: each acknowledgement arrives whole.
        if (write(STDOUT_FILENO, id.data(), id.size()) != 8) std::_Exit(1);
        // Every fourth batch also counts itself on a shared counter, whose
        // increments are acknowledged with the top bit set.
        if (n % 4 == 0) {
          auto counted = (*store)->AddToCounter("batches", 1, INT64_MAX);
          if (!counted.ok() || !counted->applied) std::_Exit(1);
          std::string ack;
          warden::PutBigEndian64(ack, n | (uint64_t{1} << 63));
          if (write(STDOUT_FILENO, ack.data(), ack.size()) != 8) std::_Exit(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return 0;
}
