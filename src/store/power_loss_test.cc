// G8, the power-loss half: what the store acknowledged survives a power cut
// that loses every byte not synced, which a kill -9 (page cache kept) cannot
// show. First the harness itself: it must lose what was not synced, or a
// passing store test would mean nothing.
#include "store/power_loss_file_system.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/mutex.h"
#include "store/rocksdb_store.h"
#include "store/store_test_util.h"

namespace warden {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(PowerLossFileSystemTest, KeepsWhatWasSyncedAndLosesTheRest) {
  ScratchDir scratch;
  auto fs = std::make_shared<PowerLossFileSystem>();
  const std::string synced = scratch.path() + "/synced";
  const std::string never = scratch.path() + "/never-synced";
  std::unique_ptr<rocksdb::FSWritableFile> a, b;
  ASSERT_TRUE(fs->NewWritableFile(synced, {}, &a, nullptr).ok());
  ASSERT_TRUE(fs->NewWritableFile(never, {}, &b, nullptr).ok());
  ASSERT_TRUE(a->Append("durable|", {}, nullptr).ok());
  ASSERT_TRUE(a->Sync({}, nullptr).ok());
  ASSERT_TRUE(a->Append("in the page cache only", {}, nullptr).ok());
  ASSERT_TRUE(a->Flush({}, nullptr).ok());
  ASSERT_TRUE(b->Append("never synced", {}, nullptr).ok());
  ASSERT_TRUE(b->Flush({}, nullptr).ok());
  EXPECT_EQ(Slurp(synced), "durable|in the page cache only");  // the OS has it all

  fs->PowerOff();
  EXPECT_FALSE(a->Append("after the cut", {}, nullptr).ok());
  EXPECT_FALSE(a->Sync({}, nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> c;
  EXPECT_FALSE(fs->NewWritableFile(scratch.path() + "/late", {}, &c, nullptr).ok());
  a->Close({}, nullptr).PermitUncheckedError();
  b->Close({}, nullptr).PermitUncheckedError();
  StatusOr<uint64_t> dropped = fs->DropUnsyncedData();
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, std::string("in the page cache only").size() + 12);
  EXPECT_EQ(Slurp(synced), "durable|");
  EXPECT_FALSE(std::filesystem::exists(never));
  EXPECT_FALSE(std::filesystem::exists(scratch.path() + "/late"));
}

// The harness sees a missing sync: RocksDB writes without WriteOptions::sync
// are acknowledged and then lost at the cut.
TEST(PowerLossFileSystemTest, UnsyncedRocksDbWritesAreLost) {
  ScratchDir scratch;
  auto fs = std::make_shared<PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = PowerLossFileSystem::NewEnv(fs);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = env.get();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, scratch.path(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  ASSERT_TRUE(db->Put(synced, "synced", "kept").ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "unsynced/" + std::to_string(i), "lost").ok());
  }
  fs->PowerOff();
  db.reset();
  ASSERT_TRUE(fs->DropUnsyncedData().ok());

  options.env = rocksdb::Env::Default();
  ASSERT_TRUE(rocksdb::DB::Open(options, scratch.path(), &raw).ok());
  db.reset(raw);
  std::string value;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "synced", &value).ok());
  EXPECT_EQ(value, "kept");
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "unsynced/99", &value).IsNotFound())
      << "a write that was never synced survived the power cut: the harness loses nothing";
}

// Writers commit batches of a record and its two index entries, and counter
// increments, until the power fails at a random moment; after the reboot
// every acknowledged batch and increment is there, whole.
TEST(PowerLossTest, EveryAcknowledgedWriteOfTheStoreSurvives) {
  ScratchDir scratch;
  const std::string dir = scratch.path() + "/db";
  std::mt19937_64 rng(std::random_device{}());
  std::set<uint64_t> acknowledged;
  int64_t counted = 0;
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    auto fs = std::make_shared<PowerLossFileSystem>();
    std::unique_ptr<rocksdb::Env> env = PowerLossFileSystem::NewEnv(fs);
    RocksDbOptions options;
    options.env = env.get();
    options.block_cache_bytes = size_t{16} << 20;
    options.write_buffer_bytes = size_t{256} << 10;  // flushes (SST files) mid-run too
    {
      StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(dir, options);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      std::atomic<bool> stop{false};
      Mutex acks_mu;
      std::vector<uint64_t> acks;
      int64_t increments = 0;
      std::vector<std::thread> writers;
      for (int w = 0; w < 3; ++w) {
        writers.emplace_back([&, w] {
          for (uint64_t i = 0; !stop.load(); ++i) {
            const uint64_t id = uint64_t(round) << 40 | uint64_t(w) << 32 | i;
            std::string suffix;
            PutBigEndian64(suffix, id);
            WriteBatch batch;
            batch.Put(Space::kRecords, "rec/" + suffix,
                      "sealed-record-" + std::to_string(id) + std::string(200, 'x'));
            batch.Put(Space::kIndex, "a/" + suffix, "");
            batch.Put(Space::kIndex, "b/" + suffix, "");
            if (!(*store)->Write(batch).ok()) return;
            const bool counted_too = (*store)->AddToCounter("batches", 1, INT64_MAX).ok();
            MutexLock lock(acks_mu);
            acks.push_back(id);
            if (counted_too) ++increments;
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
      fs->PowerOff();
      stop = true;
      for (std::thread& t : writers) t.join();
      MutexLock lock(acks_mu);
      acknowledged.insert(acks.begin(), acks.end());
      counted += increments;
    }  // the store closes with the power off: nothing more reaches the disk
    StatusOr<uint64_t> dropped = fs->DropUnsyncedData();
    ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();

    StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    size_t lost = 0;
    for (uint64_t id : acknowledged) {
      std::string suffix;
      PutBigEndian64(suffix, id);
      auto record = (*store)->Get(Space::kRecords, "rec/" + suffix);
      auto a = (*store)->Get(Space::kIndex, "a/" + suffix);
      auto b = (*store)->Get(Space::kIndex, "b/" + suffix);
      ASSERT_TRUE(record.ok() && a.ok() && b.ok());
      if (!record->has_value() || !a->has_value() || !b->has_value()) ++lost;
    }
    ASSERT_EQ(lost, 0u) << "round " << round << ": acknowledged batches lost of "
                        << acknowledged.size() << " (" << *dropped << " unsynced bytes dropped)";
    StatusOr<CounterResult> counter = (*store)->AddToCounter("batches", 0, INT64_MAX);
    ASSERT_TRUE(counter.ok());
    EXPECT_GE(counter->value, counted) << "round " << round << ": acknowledged increments lost";
  }
  EXPECT_GT(acknowledged.size(), 100u) << "too few writes for the test to mean anything";
}

}  // namespace
}  // namespace warden
