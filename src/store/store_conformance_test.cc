// The Store conformance suite: every backend runs every test here.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "store/memory_store.h"
#include "store/postgres_store.h"
#include "store/rocksdb_store.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace warden {
namespace {

using std::string_literals::operator""s;

// One backend under test. Open() may be called again after the previous
// store was destroyed; a durable backend then shows the same data.
class Backend {
 public:
  virtual ~Backend() = default;
  // Empty when the backend can run here; otherwise why the test skips.
  virtual std::string SkipReason() const { return {}; }
  virtual StatusOr<std::unique_ptr<Store>> Open() = 0;
  virtual bool durable() const = 0;
};

class MemoryBackend : public Backend {
 public:
  StatusOr<std::unique_ptr<Store>> Open() override {
    return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  }
  bool durable() const override { return false; }
};

class RocksDbBackend : public Backend {
 public:
  StatusOr<std::unique_ptr<Store>> Open() override {
    if (dir_.path().empty()) return Internal("no scratch directory");
    RocksDbOptions options;
    options.block_cache_bytes = 8 << 20;
    options.bulk_load_chunk_bytes = 4096;  // several chunks even in small tests
    ASSIGN_OR_RETURN(auto store, RocksDbStore::Open(dir_.path() + "/db", options));
    return std::unique_ptr<Store>(std::move(store));
  }
  bool durable() const override { return true; }

 private:
  ScratchDir dir_;
};

// A fresh schema per test in the database named by WARDEN_TEST_PG.
class PostgresBackend : public Backend {
 public:
  PostgresBackend() {
    static std::atomic<int> serial{0};
    schema_ = "warden_test_" + std::to_string(getpid()) + "_" + std::to_string(serial++);
  }
  ~PostgresBackend() override {
    if (!TestPostgresConnection().empty()) {
      PostgresStore::DropSchema(TestPostgresConnection(), schema_).IgnoreError();
    }
  }
  std::string SkipReason() const override {
    return TestPostgresConnection().empty() ? "WARDEN_TEST_PG is unset; scripts/test sets it"
                                            : std::string();
  }
  StatusOr<std::unique_ptr<Store>> Open() override {
    PostgresOptions options;
    options.connection = TestPostgresConnection();
    options.schema = schema_;
    options.pool_size = 4;
    ASSIGN_OR_RETURN(auto store, PostgresStore::Open(options));
    return std::unique_ptr<Store>(std::move(store));
  }
  bool durable() const override { return true; }

 private:
  std::string schema_;
};

struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<Backend>()> make;
};

// Keeps GoogleTest from dumping the parameter's bytes.
void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }

std::string ParamName(const testing::TestParamInfo<BackendParam>& info) { return info.param.name; }

std::vector<BackendParam> AllBackends() {
  return {
      {"Memory", [] { return std::unique_ptr<Backend>(std::make_unique<MemoryBackend>()); }},
      {"RocksDb", [] { return std::unique_ptr<Backend>(std::make_unique<RocksDbBackend>()); }},
      {"Postgres", [] { return std::unique_ptr<Backend>(std::make_unique<PostgresBackend>()); }},
  };
}

class StoreConformanceTest : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    const std::string missing = backend_->SkipReason();
    WARDEN_REQUIRE_OR_SKIP(missing.empty(), missing);
    auto store = backend_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override { store_.reset(); }

  void Put(Space space, std::string key, std::string value) {
    WriteBatch batch;
    batch.Put(space, std::move(key), std::move(value));
    Status status = store_->Write(batch);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  std::optional<std::string> Get(Space space, std::string_view key) {
    auto got = store_->Get(space, key);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::nullopt;
  }
  std::vector<std::string> ScanKeys(Space space, std::string_view start, std::string_view end,
                                    size_t limit = 1000) {
    auto got = store_->Scan(space, start, end, limit);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> keys;
    if (got.ok()) {
      for (const KeyValue& kv : *got) keys.push_back(kv.key);
    }
    return keys;
  }
  static std::string Counter(int64_t v) {
    std::string out;
    PutBigEndian64(out, static_cast<uint64_t>(v));
    return out;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, AbsentKeyReadsAsNullopt) {
  EXPECT_EQ(Get(Space::kRecords, "missing"), std::nullopt);
  EXPECT_TRUE(ScanKeys(Space::kRecords, "", "").empty());
}

TEST_P(StoreConformanceTest, PutGetOverwriteDelete) {
  Put(Space::kRecords, "k", "v1");
  EXPECT_EQ(Get(Space::kRecords, "k"), "v1");
  Put(Space::kRecords, "k", "v2");
  EXPECT_EQ(Get(Space::kRecords, "k"), "v2");
  WriteBatch del;
  del.Delete(Space::kRecords, "k");
  ASSERT_TRUE(store_->Write(del).ok());
  EXPECT_EQ(Get(Space::kRecords, "k"), std::nullopt);
}

TEST_P(StoreConformanceTest, DeletingAnAbsentKeyIsHarmless) {
  WriteBatch del;
  del.Delete(Space::kMeta, "never-written");
  EXPECT_TRUE(store_->Write(del).ok());
  EXPECT_EQ(Get(Space::kMeta, "never-written"), std::nullopt);
}

TEST_P(StoreConformanceTest, EmptyValueIsDistinctFromAbsent) {
  Put(Space::kRecords, "empty", "");
  EXPECT_EQ(Get(Space::kRecords, "empty"), "");
}

TEST_P(StoreConformanceTest, SpacesDoNotShareKeys) {
  Put(Space::kRecords, "same", "record");
  Put(Space::kMeta, "same", "meta");
  Put(Space::kIndex, "same", "");
  Put(Space::kAudit, "same", "audit");
  EXPECT_EQ(Get(Space::kRecords, "same"), "record");
  EXPECT_EQ(Get(Space::kMeta, "same"), "meta");
  EXPECT_EQ(Get(Space::kIndex, "same"), "");
  EXPECT_EQ(Get(Space::kAudit, "same"), "audit");
  EXPECT_EQ(Get(Space::kCounters, "same"), std::nullopt);
  EXPECT_EQ(ScanKeys(Space::kRecords, "", "").size(), 1u);
}

TEST_P(StoreConformanceTest, BinaryKeysAndValuesWithZeroAndFfBytesRoundTrip) {
  const std::vector<std::string> keys = {"\x00"s,     "\x00\x00"s, "a\x00z"s,  "\xff"s,
                                         "\xff\xff"s, "\x00\xff"s, "\x7f\x80"s};
  for (const std::string& key : keys) Put(Space::kRecords, key, "v\x00\xff"s + key);
  for (const std::string& key : keys) EXPECT_EQ(Get(Space::kRecords, key), "v\x00\xff"s + key);
  EXPECT_EQ(Get(Space::kRecords, "a"), std::nullopt);  // "a\0z" is not "a"
  EXPECT_EQ(Get(Space::kRecords, ""), std::nullopt);
}

TEST_P(StoreConformanceTest, ScanOrdersKeysAsUnsignedBytes) {
  const std::vector<std::string> keys = {"\xff"s,  "\x80"s, "\x7f"s,     "\x00"s,    "a"s,
                                         "a\x00"s, "ab"s,   "\x00\x01"s, "\xfe\xff"s};
  for (const std::string& key : keys) Put(Space::kMeta, key, "v");
  std::vector<std::string> expected = {"\x00"s, "\x00\x01"s, "a"s,        "a\x00"s, "ab"s,
                                       "\x7f"s, "\x80"s,     "\xfe\xff"s, "\xff"s};
  EXPECT_EQ(ScanKeys(Space::kMeta, "", ""), expected);
}

TEST_P(StoreConformanceTest, ScanReturnsValuesWithKeys) {
  Put(Space::kAudit, "1", "one");
  Put(Space::kAudit, "2", "two");
  auto got = store_->Scan(Space::kAudit, "", "", 10);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<KeyValue>{{"1", "one"}, {"2", "two"}}));
}

TEST_P(StoreConformanceTest, ScanStartIsInclusiveEndExclusiveAndLimitHolds) {
  for (char c = 'a'; c <= 'j'; ++c) Put(Space::kRecords, std::string(1, c), "v");
  EXPECT_EQ(ScanKeys(Space::kRecords, "c", "f"), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(ScanKeys(Space::kRecords, "c", "", 2), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(ScanKeys(Space::kRecords, "bb", "d"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ScanKeys(Space::kRecords, "h", ""), (std::vector<std::string>{"h", "i", "j"}));
  EXPECT_TRUE(ScanKeys(Space::kRecords, "c", "c").empty());
  EXPECT_TRUE(ScanKeys(Space::kRecords, "f", "c").empty());
  EXPECT_TRUE(ScanKeys(Space::kRecords, "a", "", 0).empty());
  EXPECT_TRUE(ScanKeys(Space::kRecords, "k", "").empty());
}

TEST_P(StoreConformanceTest, ScanPagesThroughEverythingInOrder) {
  std::vector<std::string> written;
  for (int i = 0; i < 250; ++i) {
    std::string key;
    PutBigEndian32(key, static_cast<uint32_t>(i * 7919 % 1000));
    written.push_back(key);
    Put(Space::kAudit, key, "e");
  }
  std::sort(written.begin(), written.end());
  std::vector<std::string> seen;
  std::string start;
  while (true) {
    std::vector<std::string> page = ScanKeys(Space::kAudit, start, "", 33);
    if (page.empty()) break;
    seen.insert(seen.end(), page.begin(), page.end());
    start = page.back() + '\0';  // the smallest key after the last one
  }
  EXPECT_EQ(seen, written);
}

TEST_P(StoreConformanceTest, PrefixScanFindsExactlyThePrefix) {
  for (std::string key : {"ab"s, "ab\x00"s, "ab\xff\xff"s, "abc"s, "ac"s, "aa\xff"s, "a"s, "b"s}) {
    Put(Space::kIndex, key, "");
  }
  EXPECT_EQ(ScanKeys(Space::kIndex, "ab", PrefixEnd("ab")),
            (std::vector<std::string>{"ab", "ab\x00"s, "abc", "ab\xff\xff"s}));
  // A prefix ending in 0xff carries into the byte before it.
  EXPECT_EQ(ScanKeys(Space::kIndex, "aa\xff"s, PrefixEnd("aa\xff"s)),
            (std::vector<std::string>{"aa\xff"s}));
}

TEST(PrefixEndTest, CarriesPastTrailingFfBytes) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd("a\xff"s), "b");
  EXPECT_EQ(PrefixEnd("a\xff\xff"s), "b");
  EXPECT_EQ(PrefixEnd("\x00"s), "\x01"s);
}

TEST(PrefixEndTest, AllFfPrefixHasNoEnd) {
  EXPECT_EQ(PrefixEnd("\xff\xff"s), "");
  EXPECT_EQ(PrefixEnd(""), "");
}

TEST_P(StoreConformanceTest, BatchAppliesAcrossSpaces) {
  Put(Space::kIndex, "stale", "");
  WriteBatch batch;
  batch.Put(Space::kRecords, "r1", "sealed");
  batch.Put(Space::kIndex, "i1/r1", "");
  batch.Put(Space::kIndex, "i2/r1", "");
  batch.Delete(Space::kIndex, "stale");
  ASSERT_TRUE(store_->Write(batch).ok());
  EXPECT_EQ(Get(Space::kRecords, "r1"), "sealed");
  EXPECT_EQ(ScanKeys(Space::kIndex, "", ""), (std::vector<std::string>{"i1/r1", "i2/r1"}));
}

TEST_P(StoreConformanceTest, LaterOpOnTheSameKeyWins) {
  WriteBatch batch;
  batch.Put(Space::kRecords, "a", "first");
  batch.Put(Space::kRecords, "a", "second");
  batch.Put(Space::kRecords, "b", "doomed");
  batch.Delete(Space::kRecords, "b");
  batch.Delete(Space::kRecords, "c");
  batch.Put(Space::kRecords, "c", "reborn");
  ASSERT_TRUE(store_->Write(batch).ok());
  EXPECT_EQ(Get(Space::kRecords, "a"), "second");
  EXPECT_EQ(Get(Space::kRecords, "b"), std::nullopt);
  EXPECT_EQ(Get(Space::kRecords, "c"), "reborn");
}

TEST_P(StoreConformanceTest, ConditionOnAbsentKeyHoldsOnlyWhileAbsent) {
  WriteBatch create;
  create.Expect(Space::kRecords, "p1", std::nullopt);
  create.Put(Space::kRecords, "p1", "v1");
  create.Put(Space::kIndex, "ix/p1", "");
  ASSERT_TRUE(store_->Write(create).ok());

  WriteBatch again;
  again.Expect(Space::kRecords, "p1", std::nullopt);
  again.Put(Space::kRecords, "p1", "v2");
  again.Put(Space::kIndex, "ix2/p1", "");
  EXPECT_EQ(store_->Write(again).code(), StatusCode::kConflict);
  EXPECT_EQ(Get(Space::kRecords, "p1"), "v1");
  EXPECT_EQ(Get(Space::kIndex, "ix2/p1"), std::nullopt);
}

TEST_P(StoreConformanceTest, ConditionOnExpectedValue) {
  Put(Space::kMeta, "version", "3");
  WriteBatch stale;
  stale.Expect(Space::kMeta, "version", "2");
  stale.Put(Space::kMeta, "version", "3'");
  stale.Put(Space::kRecords, "side-effect", "x");
  EXPECT_EQ(store_->Write(stale).code(), StatusCode::kConflict);
  EXPECT_EQ(Get(Space::kMeta, "version"), "3");
  EXPECT_EQ(Get(Space::kRecords, "side-effect"), std::nullopt);

  WriteBatch current;
  current.Expect(Space::kMeta, "version", "3");
  current.Put(Space::kMeta, "version", "4");
  EXPECT_TRUE(store_->Write(current).ok());
  EXPECT_EQ(Get(Space::kMeta, "version"), "4");
}

TEST_P(StoreConformanceTest, ExpectingAValueOfAnAbsentKeyConflicts) {
  WriteBatch batch;
  batch.Expect(Space::kMeta, "ghost", "");
  batch.Put(Space::kMeta, "ghost", "x");
  EXPECT_EQ(store_->Write(batch).code(), StatusCode::kConflict);
  EXPECT_EQ(Get(Space::kMeta, "ghost"), std::nullopt);
}

TEST_P(StoreConformanceTest, OneFailingConditionAmongManyAppliesNothing) {
  Put(Space::kMeta, "a", "1");
  Put(Space::kMeta, "b", "2");
  WriteBatch batch;
  batch.Expect(Space::kMeta, "a", "1");
  batch.Expect(Space::kMeta, "b", "wrong");
  batch.Expect(Space::kMeta, "c", std::nullopt);
  batch.Delete(Space::kMeta, "a");
  batch.Put(Space::kMeta, "c", "3");
  EXPECT_EQ(store_->Write(batch).code(), StatusCode::kConflict);
  EXPECT_EQ(Get(Space::kMeta, "a"), "1");
  EXPECT_EQ(Get(Space::kMeta, "c"), std::nullopt);
}

TEST_P(StoreConformanceTest, ConditionOnAKeyTheBatchDoesNotWrite) {
  Put(Space::kMeta, "lease", "holder-1");
  WriteBatch batch;
  batch.Expect(Space::kMeta, "lease", "holder-1");
  batch.Put(Space::kAudit, "0001", "entry");
  EXPECT_TRUE(store_->Write(batch).ok());
  EXPECT_EQ(Get(Space::kAudit, "0001"), "entry");
  EXPECT_EQ(Get(Space::kMeta, "lease"), "holder-1");
}

TEST_P(StoreConformanceTest, ConcurrentCreatesOfOneKeyHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> winners{0}, conflicts{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      WriteBatch batch;
      batch.Expect(Space::kRecords, "contested", std::nullopt);
      batch.Put(Space::kRecords, "contested", "owner-" + std::to_string(t));
      batch.Put(Space::kIndex, "owner/" + std::to_string(t), "");
      Status status = store_->Write(batch);
      if (status.ok()) {
        ++winners;
      } else if (status.code() == StatusCode::kConflict) {
        ++conflicts;
      } else {
        ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(errors.load(), 0);
  std::vector<std::string> index = ScanKeys(Space::kIndex, "owner/", PrefixEnd("owner/"));
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(Get(Space::kRecords, "contested"), "owner-" + index[0].substr(6));
}

TEST_P(StoreConformanceTest, CompareAndSwapLosesNoUpdateUnderContention) {
  constexpr int kThreads = 4, kIncrements = 25;
  Put(Space::kMeta, "cas", "0");
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        auto current = store_->Get(Space::kMeta, "cas");
        if (!current.ok() || !current->has_value()) {
          ++errors;
          return;
        }
        WriteBatch batch;
        batch.Expect(Space::kMeta, "cas", **current);
        batch.Put(Space::kMeta, "cas", std::to_string(std::stoi(**current) + 1));
        Status status = store_->Write(batch);
        if (status.ok()) {
          ++done;
        } else if (status.code() != StatusCode::kConflict) {
          ++errors;
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(Get(Space::kMeta, "cas"), std::to_string(kThreads * kIncrements));
}

TEST_P(StoreConformanceTest, CounterStartsAtZeroAndAccumulates) {
  auto first = store_->AddToCounter("quota/a", 5, 100);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->applied);
  EXPECT_EQ(first->value, 5);
  auto second = store_->AddToCounter("quota/a", -2, 100);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->applied);
  EXPECT_EQ(second->value, 3);
  EXPECT_EQ(Get(Space::kCounters, "quota/a"), Counter(3));
  auto other = store_->AddToCounter("quota/b", 0, 100);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->value, 0);
}

TEST_P(StoreConformanceTest, CounterRefusesToPassItsLimit) {
  ASSERT_TRUE(store_->AddToCounter("c", 9, 10).ok());
  auto refused = store_->AddToCounter("c", 2, 10);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->applied);
  EXPECT_EQ(refused->value, 9);
  auto exact = store_->AddToCounter("c", 1, 10);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->applied);
  EXPECT_EQ(exact->value, 10);
  EXPECT_EQ(Get(Space::kCounters, "c"), Counter(10));
}

TEST_P(StoreConformanceTest, CounterBelowANegativeLimitIsRefusedFromZero) {
  auto refused = store_->AddToCounter("neg", 1, -1);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->applied);
  EXPECT_EQ(refused->value, 0);
  EXPECT_EQ(Get(Space::kCounters, "neg"), std::nullopt);
}

TEST_P(StoreConformanceTest, CounterOverflowPastInt64MaxIsRefused) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto full = store_->AddToCounter("big", kMax, kMax);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_TRUE(full->applied);
  auto over = store_->AddToCounter("big", 1, kMax);
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  EXPECT_FALSE(over->applied);
  EXPECT_EQ(over->value, kMax);
}

TEST_P(StoreConformanceTest, CounterUnderflowIsAnErrorAndChangesNothing) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  ASSERT_TRUE(store_->AddToCounter("low", kMin, 0).ok());
  auto under = store_->AddToCounter("low", -1, 0);
  EXPECT_EQ(under.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Get(Space::kCounters, "low"), Counter(kMin));
}

TEST_P(StoreConformanceTest, EightThreadsNeverPushACounterAboveItsLimit) {
  constexpr int kThreads = 8, kAttempts = 40, kLimit = 100;
  std::atomic<int> applied{0}, errors{0};
  std::atomic<int64_t> highest{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAttempts; ++i) {
        auto result = store_->AddToCounter("hot", 1, kLimit);
        if (!result.ok()) {
          ++errors;
          continue;
        }
        if (result->applied) ++applied;
        int64_t seen = highest.load();
        while (result->value > seen && !highest.compare_exchange_weak(seen, result->value)) {
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(applied.load(), kLimit);
  EXPECT_EQ(highest.load(), kLimit);
  EXPECT_EQ(Get(Space::kCounters, "hot"), Counter(kLimit));
}

TEST_P(StoreConformanceTest, MalformedValuesAreRejectedAndNothingIsApplied) {
  WriteBatch index_with_value;
  index_with_value.Put(Space::kRecords, "r", "v");
  index_with_value.Put(Space::kIndex, "i", "not-empty");
  EXPECT_EQ(store_->Write(index_with_value).code(), StatusCode::kInvalidArgument);
  WriteBatch short_counter;
  short_counter.Put(Space::kRecords, "r", "v");
  short_counter.Put(Space::kCounters, "c", "1234567");
  EXPECT_EQ(store_->Write(short_counter).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Get(Space::kRecords, "r"), std::nullopt);
  EXPECT_EQ(Get(Space::kCounters, "c"), std::nullopt);
}

TEST_P(StoreConformanceTest, CounterWrittenThroughABatchIsReadByAddToCounter) {
  Put(Space::kCounters, "seeded", Counter(40));
  auto result = store_->AddToCounter("seeded", 2, 100);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->value, 42);
}

TEST_P(StoreConformanceTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 16, kBatches = 20;
  uint64_t before = store_->ChangeCount();
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        WriteBatch batch;
        batch.Put(Space::kRecords, "r/" + id, "sealed-" + id);
        batch.Put(Space::kIndex, "a/" + id, "");
        batch.Put(Space::kIndex, "b/" + id, "");
        if (!store_->Write(batch).ok()) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(ScanKeys(Space::kRecords, "r/", PrefixEnd("r/"), 10000).size(),
            size_t{kThreads * kBatches});
  EXPECT_EQ(ScanKeys(Space::kIndex, "", "", 10000).size(), size_t{2 * kThreads * kBatches});
  EXPECT_EQ(store_->ChangeCount() - before, uint64_t{kThreads * kBatches});
}

TEST_P(StoreConformanceTest, ReaderNeverSeesAnIndexEntryWithoutItsRecord) {
  constexpr uint32_t kBatches = 60;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, seen{0};
  std::thread reader([&] {
    for (bool last = false; !last;) {
      last = done;  // one full pass after the writer finished
      for (uint32_t i = 0; i < kBatches; ++i) {
        std::string id;
        PutBigEndian32(id, i);
        auto index = store_->Get(Space::kIndex, "by-phone/" + id);
        if (!index.ok() || !index->has_value()) continue;
        ++seen;
        auto record = store_->Get(Space::kRecords, "person/" + id);
        if (!record.ok() || !record->has_value()) ++torn;
      }
    }
  });
  for (uint32_t i = 0; i < kBatches; ++i) {
    std::string id;
    PutBigEndian32(id, i);
    WriteBatch batch;
    batch.Put(Space::kIndex, "by-phone/" + id, "");
    batch.Put(Space::kRecords, "person/" + id, "sealed");
    batch.Put(Space::kIndex, "by-name/" + id, "");
    ASSERT_TRUE(store_->Write(batch).ok());
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(seen.load(), 0);
}

TEST_P(StoreConformanceTest, ChangeCountCountsCommittedChangesOnly) {
  uint64_t before = store_->ChangeCount();
  Put(Space::kMeta, "x", "1");
  WriteBatch failing;
  failing.Expect(Space::kMeta, "x", "2");
  failing.Put(Space::kMeta, "x", "3");
  EXPECT_EQ(store_->Write(failing).code(), StatusCode::kConflict);
  ASSERT_TRUE(store_->AddToCounter("n", 1, 10).ok());
  ASSERT_TRUE(store_->AddToCounter("n", 100, 10).ok());  // refused
  WriteBatch check_only;  // a condition that holds, and nothing to change
  check_only.Expect(Space::kMeta, "x", "1");
  EXPECT_TRUE(store_->Write(check_only).ok());
  EXPECT_TRUE(store_->Write(WriteBatch()).ok());
  EXPECT_EQ(store_->ChangeCount() - before, 2u);
}

TEST_P(StoreConformanceTest, LargeValueRoundTrips) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  Put(Space::kRecords, "big", big);
  EXPECT_EQ(Get(Space::kRecords, "big"), big);
}

TEST_P(StoreConformanceTest, BulkLoadAcceptsAnyOrderAndTheLastValueWins) {
  auto loader = store_->StartBulkLoad();
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) {
    std::string key;
    PutBigEndian32(key, static_cast<uint32_t>((i * 7919) % 500));
    keys.push_back(key);
    ASSERT_TRUE((*loader)->Add(Space::kRecords, key, "old-" + key).ok());
    ASSERT_TRUE((*loader)->Add(Space::kIndex, "ix" + key, "").ok());
  }
  for (const std::string& key : keys) {
    ASSERT_TRUE((*loader)->Add(Space::kRecords, key, "new-" + key).ok());
  }
  ASSERT_TRUE((*loader)->Add(Space::kRecords, keys[3], "last-word").ok());
  EXPECT_EQ((*loader)->count(), 1501u);
  Status finished = (*loader)->Finish();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  const std::string last_word_key = keys[3];
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(ScanKeys(Space::kRecords, "", "", 10000), keys);
  EXPECT_EQ(ScanKeys(Space::kIndex, "", "", 10000).size(), 500u);
  for (const std::string& key : keys) {
    EXPECT_EQ(Get(Space::kRecords, key), key == last_word_key ? "last-word" : "new-" + key);
  }
}

TEST_P(StoreConformanceTest, BulkLoadRerunIsHarmless) {
  Put(Space::kRecords, "existing", "before");
  for (int run = 0; run < 2; ++run) {
    auto loader = store_->StartBulkLoad();
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    for (int i = 0; i < 100; ++i) {
      std::string id = std::to_string(i);
      ASSERT_TRUE((*loader)->Add(Space::kRecords, "r" + id, "v" + id).ok());
      ASSERT_TRUE((*loader)->Add(Space::kIndex, "i" + id, "").ok());
    }
    ASSERT_TRUE((*loader)->Add(Space::kRecords, "existing", "after").ok());
    Status finished = (*loader)->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }
  EXPECT_EQ(ScanKeys(Space::kRecords, "", "", 1000).size(), 101u);
  EXPECT_EQ(ScanKeys(Space::kIndex, "", "", 1000).size(), 100u);
  EXPECT_EQ(Get(Space::kRecords, "r42"), "v42");
  EXPECT_EQ(Get(Space::kRecords, "existing"), "after");
}

TEST_P(StoreConformanceTest, BulkLoadRejectsMalformedValues) {
  auto loader = store_->StartBulkLoad();
  ASSERT_TRUE(loader.ok());
  EXPECT_EQ((*loader)->Add(Space::kIndex, "i", "value").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*loader)->Add(Space::kCounters, "c", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*loader)->Finish().ok());
  EXPECT_EQ(Get(Space::kIndex, "i"), std::nullopt);
}

TEST_P(StoreConformanceTest, WritesSurviveReopen) {
  if (!backend_->durable()) GTEST_SKIP() << "backend keeps nothing across reopen";
  Put(Space::kRecords, "kept", "value");
  ASSERT_TRUE(store_->AddToCounter("kept", 7, 10).ok());
  store_.reset();
  auto reopened = backend_->Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(Get(Space::kRecords, "kept"), "value");
  EXPECT_EQ(Get(Space::kCounters, "kept"), Counter(7));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, testing::ValuesIn(AllBackends()),
                         ParamName);

}  // namespace
}  // namespace warden
