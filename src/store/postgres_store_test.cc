// PostgreSQL-specific properties: migrations, connection failures, error
// messages without values, and the OpenStore factory. Needs WARDEN_TEST_PG.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/open_store.h"
#include "store/store_test_util.h"

namespace warden {
namespace {

class PostgresStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestPostgresConnection();
    WARDEN_REQUIRE_OR_SKIP(!conn_.empty(), "WARDEN_TEST_PG is unset; scripts/test sets it");
    static std::atomic<int> serial{0};
    schema_ = "warden_pgtest_" + std::to_string(getpid()) + "_" + std::to_string(serial++);
  }
  void TearDown() override {
    if (!conn_.empty()) PostgresStore::DropSchema(conn_, schema_).IgnoreError();
  }
  PostgresOptions Options() const {
    PostgresOptions options;
    options.connection = conn_;
    options.schema = schema_;
    options.pool_size = 2;
    return options;
  }
  // Runs `sql` in the test schema and returns the first value of the first row.
  std::string Query(const std::string& sql) {
    PGconn* pg = PQconnectdb(conn_.c_str());
    std::string out = "<error>";
    PGresult* r = PQexec(pg, ("SET search_path TO " + schema_ + "; " + sql).c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
    PQfinish(pg);
    return out;
  }

  std::string conn_;
  std::string schema_;
};

TEST_F(PostgresStoreTest, MigrationsRunOnceAcrossOpens) {
  for (int i = 0; i < 3; ++i) {
    auto store = PostgresStore::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  EXPECT_EQ(Query("SELECT count(*) FROM warden_schema_version"),
            std::to_string(PostgresStore::LatestSchemaVersion()));
  EXPECT_EQ(Query("SELECT max(version) FROM warden_schema_version"),
            std::to_string(PostgresStore::LatestSchemaVersion()));
}

TEST_F(PostgresStoreTest, ConcurrentFirstOpensMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!PostgresStore::Open(Options()).ok()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM warden_schema_version"),
            std::to_string(PostgresStore::LatestSchemaVersion()));
}

TEST_F(PostgresStoreTest, SchemaNewerThanTheCodeRefusesToOpen) {
  ASSERT_TRUE(PostgresStore::Open(Options()).ok());
  Query("INSERT INTO warden_schema_version (version) VALUES (999) RETURNING version");
  auto store = PostgresStore::Open(Options());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST_F(PostgresStoreTest, HostileSchemaNameIsRejected) {
  PostgresOptions options = Options();
  options.schema = "x\"; DROP TABLE y; --";
  EXPECT_EQ(PostgresStore::Open(options).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailable) {
  PostgresOptions options;
  options.connection = "host=127.0.0.1 port=1 connect_timeout=2 dbname=none";
  EXPECT_EQ(PostgresStore::Open(options).status().code(), StatusCode::kUnavailable);
}

TEST_F(PostgresStoreTest, ValuesAreStoredAsBinaryInTheirTables) {
  auto store = PostgresStore::Open(Options());
  ASSERT_TRUE(store.ok());
  WriteBatch batch;
  batch.Put(Space::kRecords, std::string("\x00\x01", 2), std::string("\xff\x00", 2));
  batch.Put(Space::kIndex, "ix", "");
  ASSERT_TRUE((*store)->Write(batch).ok());
  ASSERT_TRUE((*store)->AddToCounter("quota", 41, 100).ok());
  EXPECT_EQ(Query("SELECT encode(k, 'hex') || ':' || encode(v, 'hex') FROM warden_records"),
            "0001:ff00");
  EXPECT_EQ(Query("SELECT encode(k, 'escape') FROM warden_index"), "ix");
  EXPECT_EQ(Query("SELECT v FROM warden_counters"), "41");
}

TEST_F(PostgresStoreTest, PlaceholderOfAFailedClaimNeverStays) {
  auto store = PostgresStore::Open(Options());
  ASSERT_TRUE(store.ok());
  WriteBatch guarded;
  guarded.Expect(Space::kMeta, "lock", std::nullopt);
  guarded.Expect(Space::kMeta, "other", "missing-so-this-fails");
  guarded.Put(Space::kAudit, "a", "b");
  EXPECT_EQ((*store)->Write(guarded).code(), StatusCode::kConflict);
  WriteBatch passes;
  passes.Expect(Space::kMeta, "lock", std::nullopt);
  passes.Put(Space::kAudit, "a", "b");
  ASSERT_TRUE((*store)->Write(passes).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM warden_meta"), "0");
}

// A key past the btree entry limit makes the last statement of a batch fail
// on the server, after the earlier ones ran in the same round trip.
TEST_F(PostgresStoreTest, ServerErrorLateInABatchRollsBackAllOfIt) {
  auto store = PostgresStore::Open(Options());
  ASSERT_TRUE(store.ok());
  std::string huge_key(9000, '\0');
  std::mt19937 rng(7);  // incompressible, so no compression brings it under the limit
  for (char& c : huge_key) c = static_cast<char>(rng());
  for (bool conditional : {false, true}) {
    WriteBatch batch;
    if (conditional) batch.Expect(Space::kMeta, "guard", std::nullopt);
    batch.Put(Space::kRecords, "r", "v");
    batch.Put(Space::kMeta, "m", "v");
    batch.Put(Space::kCounters, huge_key, std::string(8, '\0'));
    Status status = (*store)->Write(batch);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_EQ((*store)->Get(Space::kRecords, "r")->has_value(), false);
    EXPECT_EQ((*store)->Get(Space::kMeta, "m")->has_value(), false);
    EXPECT_EQ((*store)->Get(Space::kMeta, "guard")->has_value(), false);
  }
  // The pooled connections are still usable.
  for (int i = 0; i < 4; ++i) {
    WriteBatch batch;
    batch.Put(Space::kRecords, "r", "v");
    batch.Put(Space::kMeta, "m", "v");
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  EXPECT_EQ((*store)->Get(Space::kMeta, "m")->value_or(""), "v");
}

TEST_F(PostgresStoreTest, ReadsSurviveTheServerDroppingConnections) {
  if (IsPostgresSpec(conn_) && conn_.find("://") != std::string::npos) {
    GTEST_SKIP() << "needs a keyword connection string to set application_name";
  }
  PostgresOptions options = Options();
  options.connection = conn_ + " application_name=" + schema_;
  auto store = PostgresStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  WriteBatch batch;
  batch.Put(Space::kMeta, "k", "v");
  ASSERT_TRUE((*store)->Write(batch).ok());
  EXPECT_EQ(Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                  " WHERE application_name = '" +
                  schema_ + "'"),
            "2");
  for (int i = 0; i < 3; ++i) {
    auto got = (*store)->Get(Space::kMeta, "k");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->value_or(""), "v");
  }
  // Writes after the loss reconnect too (the failed one was never retried).
  ASSERT_TRUE((*store)->Write(batch).ok());
}

TEST_F(PostgresStoreTest, OpenStoreRoutesConnectionStringsToPostgres) {
  EXPECT_TRUE(IsPostgresSpec("postgres://u@h/db"));
  EXPECT_TRUE(IsPostgresSpec("postgresql://h/db"));
  EXPECT_TRUE(IsPostgresSpec("host=127.0.0.1 dbname=x"));
  EXPECT_TRUE(IsPostgresSpec(" dbname = x"));
  EXPECT_FALSE(IsPostgresSpec("/var/lib/warden"));
  EXPECT_FALSE(IsPostgresSpec("data"));
  EXPECT_FALSE(IsPostgresSpec("./a=b"));
  auto store = OpenStore(conn_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Backend(), "postgres");
}

TEST(OpenStoreTest, DirectoryOpensRocksDb) {
  ScratchDir dir;
  auto store = OpenStore(dir.path() + "/data");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Backend(), "rocksdb");
  EXPECT_EQ(OpenStore("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden
