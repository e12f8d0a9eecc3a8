// PostgresStore: the Store on PostgreSQL (or a PostgreSQL-compatible
// distributed engine) through libpq, for deployments where many stateless
// Warden servers share one database.
//
// Layout: one table per Space, `warden_<space>` with `k bytea PRIMARY KEY`
// and a value column (`v bytea`; none for the index; `v bigint` for
// counters, read and written as 8-byte big-endian like the other backends).
// Every table is keyed on `k` alone, so each can be distributed on its key;
// see the migration in postgres_store.cc for Citus, YugabyteDB and
// CockroachDB. Keys are limited by the btree entry size (about 2.7 kB).
//
// Schema changes are versioned migrations recorded in
// `warden_schema_version`; migration N runs once, in one transaction, even
// when several servers start at the same time.
//
// Every statement is prepared and takes binary parameters; no value is ever
// spliced into SQL text, and error messages carry the SQLSTATE and primary
// message only (never DETAIL, which can quote key values).
//
// Durability: a Write() or AddToCounter() returns OK after COMMIT returned,
// i.e. after the server flushed its WAL (synchronous_commit must stay on).
// Atomicity of conditions: see Write() in postgres_store.cc.
//
// Thread safety: all methods may be called concurrently; each call borrows
// one connection from a fixed pool (blocking while all are busy).
#ifndef WARDEN_STORE_POSTGRES_STORE_H_
#define WARDEN_STORE_POSTGRES_STORE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "store/store.h"

typedef struct pg_conn PGconn;

namespace warden {

struct PostgresOptions {
  // A libpq connection string: "host=... dbname=..." or "postgresql://...".
  std::string connection;
  int pool_size = 8;
  // A schema to create (when missing) and use; empty uses the connection's
  // search_path. Letters, digits and '_' only.
  std::string schema;
  // Attempts of a transaction that failed on a serialization failure or a
  // deadlock before Write() gives up with kUnavailable.
  int max_attempts = 8;
};

class PostgresStore : public Store {
 public:
  // Connects the whole pool and runs pending migrations. kUnavailable when
  // the server cannot be reached; kInvalidArgument on a bad schema name;
  // kInternal when the database holds a schema newer than this code knows.
  static StatusOr<std::unique_ptr<PostgresStore>> Open(const PostgresOptions& options);
  ~PostgresStore() override;

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) override;
  Status Write(const WriteBatch& batch) override;
  StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start, std::string_view end,
                                       size_t limit) override;
  StatusOr<CounterResult> AddToCounter(std::string_view key, int64_t delta, int64_t limit) override;
  uint64_t ChangeCount() const override { return changes_.load(std::memory_order_relaxed); }
  std::string_view Backend() const override { return "postgres"; }

  // Binary COPY of each chunk into a session-local staging table, merged into
  // the space tables with INSERT ... ON CONFLICT DO UPDATE (last value added
  // wins) in the same transaction as the COPY. Holds one pooled connection
  // until the loader is destroyed.
  StatusOr<std::unique_ptr<BulkLoader>> StartBulkLoad() override;

  // The schema version this code migrates to.
  static int LatestSchemaVersion();
  // Drops `schema` and everything in it (for tests and teardown tooling).
  static Status DropSchema(const std::string& connection, const std::string& schema);

  struct Connection;

 private:
  class Lease;
  class CopyBulkLoader;

  PostgresStore() = default;
  Status Migrate(Connection& conn);
  Lease Acquire();
  void Release(Connection* conn);
  Status TryWrite(Connection& conn, const WriteBatch& batch, bool& retry);

  PostgresOptions options_;
  Mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_ GUARDED_BY(mu_);
  std::atomic<uint64_t> changes_{0};
};

}  // namespace warden

#endif  // WARDEN_STORE_POSTGRES_STORE_H_
