// G8: no acknowledged write is lost, and a record never appears without its
// index entries (or the reverse), across kill -9 at random moments; nor is an
// acknowledged counter increment.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "store/rocksdb_store.h"
#include "store/store_test_util.h"

namespace warden {
namespace {

// Batch numbers found under `prefix` in `space` (keys are prefix + 8-byte id).
std::set<uint64_t> Ids(Store& store, Space space, const std::string& prefix) {
  std::set<uint64_t> ids;
  std::string start = prefix;
  while (true) {
    auto page = store.Scan(space, start, PrefixEnd(prefix), 10000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->empty()) break;
    for (const KeyValue& kv : *page) {
      EXPECT_EQ(kv.key.size(), prefix.size() + 8);
      ids.insert(GetBigEndian64(std::string_view(kv.key).substr(prefix.size())));
    }
    start = page->back().key + '\0';
  }
  return ids;
}

TEST(StoreCrashTest, AcknowledgedBatchesSurviveKillNineAndNoneIsHalfVisible) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string dir = scratch.path() + "/db";
  std::mt19937_64 rng(std::random_device{}());
  std::set<uint64_t> acknowledged;
  constexpr int kRounds = 20;
  int rounds_with_writes = 0;
  int64_t counted = 0;  // acknowledged increments of the counter "batches"

  for (int round = 0; round < kRounds; ++round) {
    int fd = -1;
    pid_t pid = SpawnWithStdoutPipe(WARDEN_STORE_CRASH_WRITER,
                                    {dir, std::to_string(uint64_t(round) * 1'000'000)}, fd);
    ASSERT_GT(pid, 0);
    // Even rounds kill anywhere from start-up (recovery, open) on; odd rounds
    // wait for the first acknowledgement and kill mid-stream, however slow
    // the machine (or the sanitizer build) is to start the writer.
    std::string pending;
    if (round % 2 == 1) {
      ASSERT_TRUE(AwaitBytes(fd, pending, 8))
          << "round " << round << ": writer acknowledged nothing";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % (round % 2 == 1 ? 300 : 600)));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own, status " << status;

    size_t before = acknowledged.size();
    DrainAndClose(fd, pending);
    ASSERT_EQ(pending.size() % 8, 0u);
    for (size_t i = 0; i < pending.size(); i += 8) {
      uint64_t ack = GetBigEndian64(std::string_view(pending).substr(i, 8));
      if (ack >> 63) {
        ++counted;
      } else {
        acknowledged.insert(ack);
      }
    }
    if (acknowledged.size() > before) ++rounds_with_writes;

    auto store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    std::set<uint64_t> records = Ids(**store, Space::kRecords, "rec/");
    std::set<uint64_t> index_a = Ids(**store, Space::kIndex, "a/");
    std::set<uint64_t> index_b = Ids(**store, Space::kIndex, "b/");
    EXPECT_EQ(records, index_a) << "round " << round << ": record and index entry disagree";
    EXPECT_EQ(records, index_b) << "round " << round << ": record and index entry disagree";
    size_t lost = 0;
    for (uint64_t id : acknowledged) lost += records.count(id) == 0 ? 1 : 0;
    ASSERT_EQ(lost, 0u) << "round " << round << ": acknowledged batches lost";
    auto counter = (*store)->AddToCounter("batches", 0, INT64_MAX);
    ASSERT_TRUE(counter.ok()) << counter.status().ToString();
    ASSERT_GE(counter->value, counted) << "round " << round << ": acknowledged increments lost";
    for (uint64_t id : records) {
      std::string key = "rec/";
      PutBigEndian64(key, id);
      auto value = (*store)->Get(Space::kRecords, key);
      ASSERT_TRUE(value.ok() && value->has_value());
      ASSERT_EQ(**value, "sealed-record-" + std::to_string(id));
    }
  }
  // The test means something only if writers got batches acknowledged.
  EXPECT_GE(rounds_with_writes, kRounds / 2);
  EXPECT_GT(acknowledged.size(), 100u);
}

}  // namespace
}  // namespace warden
