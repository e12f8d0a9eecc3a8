#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "core/bytes.h"
#include "core/c_ptr.h"

namespace warden {
namespace {

// Type OIDs of the parameters (pg_type.oid; fixed in every PostgreSQL).
constexpr unsigned kByteaOid = 17;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kByteaArrayOid = 1001;
constexpr unsigned kInt8ArrayOid = 1016;

enum class ValueKind { kBytes, kNone, kInt64 };

struct Table {
  const char* name;
  ValueKind kind;
};

// Indexed by Space.
constexpr std::array<Table, kSpaceCount> kTables = {{
    {"warden_records", ValueKind::kBytes},
    {"warden_index", ValueKind::kNone},
    {"warden_audit", ValueKind::kBytes},
    {"warden_meta", ValueKind::kBytes},
    {"warden_counters", ValueKind::kInt64},
}};

const Table& TableOf(Space space) { return kTables[static_cast<size_t>(space)]; }

// Each migration runs once, in one transaction, in order. Never edit one
// that has shipped; add the next.
//
// Distribution: every table is keyed on `k` alone, so it can be sharded on
// it. Citus: after migration 1, `SELECT create_distributed_table(t, 'k')`
// for each warden_* table (the counters and conditions stay single-shard
// statements, since each touches one key per statement). YugabyteDB: the
// same DDL hash-shards on the primary key. CockroachDB: the same DDL ranges
// on the primary key; its SERIALIZABLE retries surface as SQLSTATE 40001,
// which Write() retries.
const std::vector<std::vector<std::string>>& Migrations() {
  static const std::vector<std::vector<std::string>> migrations = {
      // 1: the spaces.
      {
          "CREATE TABLE warden_records (k bytea PRIMARY KEY, v bytea NOT NULL)",
          "CREATE TABLE warden_index (k bytea PRIMARY KEY)",
          "CREATE TABLE warden_audit (k bytea PRIMARY KEY, v bytea NOT NULL)",
          "CREATE TABLE warden_meta (k bytea PRIMARY KEY, v bytea NOT NULL)",
          "CREATE TABLE warden_counters (k bytea PRIMARY KEY, v bigint NOT NULL)",
      },
  };
  return migrations;
}

using Result = CPtr<PGresult, PQclear>;

bool IsRetryable(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";  // serialization failure, deadlock
}

std::string SqlState(const PGresult* r) {
  const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return state == nullptr ? std::string() : std::string(state);
}

// The SQLSTATE and primary message only: DETAIL may quote key values.
Status FromResult(const PGresult* r, PGconn* pg, std::string_view what) {
  std::string state = SqlState(r);
  const char* primary = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = "postgres " + std::string(what) + ": " +
                        (state.empty() ? std::string("no result") : "SQLSTATE " + state) +
                        (primary != nullptr ? std::string(" ") + primary : std::string());
  if (PQstatus(pg) == CONNECTION_BAD || state.starts_with("08") || state.starts_with("53") ||
      state.starts_with("57") || state.empty() || IsRetryable(state)) {
    return Unavailable(std::move(message));
  }
  // 22003: a counter left the int64 range; 54000: a key too long for the index.
  if (state == "22003" || state == "54000") return InvalidArgument(std::move(message));
  return Internal(std::move(message));
}

void PutInt32(std::string& out, int32_t v) { PutBigEndian32(out, static_cast<uint32_t>(v)); }

// A one-dimensional binary array of `element_oid` for a binary parameter.
std::string BinaryArray(unsigned element_oid, const std::vector<std::string_view>& elements) {
  std::string out;
  PutInt32(out, 1);  // dimensions
  PutInt32(out, 0);  // no nulls
  PutInt32(out, static_cast<int32_t>(element_oid));
  PutInt32(out, static_cast<int32_t>(elements.size()));
  PutInt32(out, 1);  // lower bound
  for (std::string_view e : elements) {
    PutInt32(out, static_cast<int32_t>(e.size()));
    out.append(e);
  }
  return out;
}

std::string Int64Param(int64_t v) {
  std::string out;
  PutBigEndian64(out, static_cast<uint64_t>(v));
  return out;
}

std::string ValueColumn(ValueKind kind) { return kind == ValueKind::kNone ? "''::bytea" : "v"; }

// Prepared statements of every connection: name, SQL, parameter types.
struct Statement {
  std::string name;
  std::string sql;
  std::vector<unsigned> types;
};

std::string Name(const char* verb, Space space) {
  return std::string(verb) + "_" + std::string(SpaceName(space));
}

std::vector<Statement> Statements() {
  std::vector<Statement> out;
  for (int i = 0; i < kSpaceCount; ++i) {
    auto space = static_cast<Space>(i);
    const Table& t = TableOf(space);
    std::string table = t.name;
    std::string value = ValueColumn(t.kind);
    out.push_back(
        {Name("get", space), "SELECT " + value + " FROM " + table + " WHERE k = $1", {kByteaOid}});
    out.push_back({Name("scan", space),
                   "SELECT k, " + value + " FROM " + table + " WHERE k >= $1 ORDER BY k LIMIT $2",
                   {kByteaOid, kInt8Oid}});
    out.push_back(
        {Name("scan_range", space),
         "SELECT k, " + value + " FROM " + table + " WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3",
         {kByteaOid, kByteaOid, kInt8Oid}});
    out.push_back({Name("lock", space),
                   "SELECT " + value + " FROM " + table + " WHERE k = $1 FOR UPDATE",
                   {kByteaOid}});
    std::string placeholder = t.kind == ValueKind::kBytes   ? "(k, v) VALUES ($1, ''::bytea)"
                              : t.kind == ValueKind::kInt64 ? "(k, v) VALUES ($1, 0)"
                                                            : "(k) VALUES ($1)";
    out.push_back(
        {Name("claim", space),
         "INSERT INTO " + table + " " + placeholder + " ON CONFLICT DO NOTHING RETURNING 1",
         {kByteaOid}});
    out.push_back({Name("unclaim", space), "DELETE FROM " + table + " WHERE k = $1", {kByteaOid}});
    out.push_back(
        {Name("delete", space), "DELETE FROM " + table + " WHERE k = ANY($1)", {kByteaArrayOid}});
    if (t.kind == ValueKind::kNone) {
      out.push_back(
          {Name("upsert", space),
           "INSERT INTO " + table + " (k) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING",
           {kByteaArrayOid}});
    } else {
      bool int64 = t.kind == ValueKind::kInt64;
      out.push_back({Name("upsert", space),
                     "INSERT INTO " + table + " (k, v) SELECT * FROM unnest($1::bytea[], $2::" +
                         (int64 ? "int8" : "bytea") +
                         "[]) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                     {kByteaArrayOid, int64 ? kInt8ArrayOid : kByteaArrayOid}});
    }
  }
  // Counters. Sums are compared as numeric so that no comparison overflows;
  // only a sum below INT64_MIN can still fail (SQLSTATE 22003).
  const std::string unapplied =
      " SELECT v, true FROM up UNION ALL SELECT v, false FROM warden_counters"
      " WHERE k = $1 AND NOT EXISTS (SELECT 1 FROM up)";
  out.push_back({"counter_upsert",
                 "WITH up AS (INSERT INTO warden_counters AS c (k, v) VALUES ($1, $2)"
                 " ON CONFLICT (k) DO UPDATE SET v = c.v + excluded.v"
                 " WHERE c.v::numeric + excluded.v::numeric <= $3::numeric RETURNING c.v)" +
                     unapplied,
                 {kByteaOid, kInt8Oid, kInt8Oid}});
  out.push_back({"counter_update",
                 "WITH up AS (UPDATE warden_counters AS c SET v = c.v + $2"
                 " WHERE c.k = $1 AND c.v::numeric + $2::numeric <= $3::numeric RETURNING c.v)" +
                     unapplied,
                 {kByteaOid, kInt8Oid, kInt8Oid}});
  return out;
}

bool ValidSchemaName(const std::string& schema) {
  if (schema.empty() || schema.size() > 63) return false;
  return std::all_of(schema.begin(), schema.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

struct PostgresStore::Connection {
  PGconn* pg = nullptr;
  bool ready = false;  // connected, search_path set, statements prepared
  ~Connection() {
    if (pg != nullptr) PQfinish(pg);
  }

  // Runs SQL without parameters (BEGIN, COMMIT, DDL).
  StatusOr<Result> Run(const std::string& sql, std::string_view what) {
    Result r(PQexec(pg, sql.c_str()));
    return Check(std::move(r), what);
  }

  // Runs a prepared statement; every parameter and result column is binary.
  StatusOr<Result> Prepared(const std::string& name, const std::vector<std::string_view>& params,
                            std::string_view what) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats(params.size(), 1);
    for (std::string_view p : params) {
      values.push_back(p.data());
      lengths.push_back(static_cast<int>(p.size()));
    }
    Result r(PQexecPrepared(pg, name.c_str(), static_cast<int>(params.size()), values.data(),
                            lengths.data(), formats.data(), /*resultFormat=*/1));
    return Check(std::move(r), what);
  }

  StatusOr<Result> Check(Result r, std::string_view what) {
    ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) {
      return r;
    }
    last_sqlstate = SqlState(r.get());
    if (PQstatus(pg) == CONNECTION_BAD) ready = false;
    return FromResult(r.get(), pg, what);
  }

  void Rollback() { Result(PQexec(pg, "ROLLBACK")); }

  // One statement of a pipeline: a prepared statement with binary
  // parameters, or (empty name) the parameterless SQL in `sql`.
  struct Call {
    std::string name;
    std::vector<std::string> params;
    const char* sql = nullptr;
  };

  // Sends `calls` in one round trip (libpq pipeline mode) and returns the
  // first error. Without an explicit BEGIN the calls form one implicit
  // transaction, committed at the pipeline's sync point (and durable when
  // its result arrives, as any commit); after an error the rest is skipped
  // and everything rolled back.
  Status Pipeline(const std::vector<Call>& calls, std::string_view what) {
    if (PQenterPipelineMode(pg) != 1) return Unavailable("postgres: cannot enter pipeline mode");
    Status first;
    for (const Call& call : calls) {
      int sent = 0;
      if (call.name.empty()) {
        sent = PQsendQueryParams(pg, call.sql, 0, nullptr, nullptr, nullptr, nullptr, 1);
      } else {
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats(call.params.size(), 1);
        for (const std::string& p : call.params) {
          values.push_back(p.data());
          lengths.push_back(static_cast<int>(p.size()));
        }
        sent = PQsendQueryPrepared(pg, call.name.c_str(), static_cast<int>(call.params.size()),
                                   values.data(), lengths.data(), formats.data(), 1);
      }
      if (sent != 1) {
        first = Unavailable("postgres " + std::string(what) + ": cannot send");
        break;
      }
    }
    if (first.ok() && PQpipelineSync(pg) != 1) {
      first = Unavailable("postgres " + std::string(what) + ": cannot sync");
    }
    if (first.ok()) {
      // Results of each call, each followed by a null; then the sync's.
      for (size_t nulls = 0; nulls <= calls.size();) {
        Result r(PQgetResult(pg));
        if (!r) {
          ++nulls;
          if (PQstatus(pg) == CONNECTION_BAD) break;
          continue;
        }
        ExecStatusType status = PQresultStatus(r.get());
        if (status == PGRES_PIPELINE_SYNC) break;
        if (status == PGRES_FATAL_ERROR && first.ok()) {
          last_sqlstate = SqlState(r.get());
          first = FromResult(r.get(), pg, what);
        }
      }
    }
    if (PQstatus(pg) == CONNECTION_BAD || PQexitPipelineMode(pg) != 1) {
      ready = false;
      if (first.ok()) first = Unavailable("postgres " + std::string(what) + ": connection lost");
    }
    return first;
  }

  std::string last_sqlstate;
};

namespace {

Status Connect(const PostgresOptions& options, PostgresStore::Connection& conn, bool prepare) {
  if (conn.pg != nullptr) {
    PQfinish(conn.pg);
    conn.pg = nullptr;
  }
  conn.ready = false;
  conn.pg = PQconnectdb(options.connection.c_str());
  if (conn.pg == nullptr || PQstatus(conn.pg) != CONNECTION_OK) {
    // libpq's message names the host and the reason, never a password.
    std::string why = conn.pg != nullptr ? PQerrorMessage(conn.pg) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Unavailable("postgres connect: " + why);
  }
  // Server notices (e.g. "drop cascades to ...") are not errors; drop them
  // rather than let libpq print them on stderr.
  PQsetNoticeProcessor(
      conn.pg, [](void*, const char*) {}, nullptr);
  if (!options.schema.empty()) {
    RETURN_IF_ERROR(conn.Run("SET search_path TO \"" + options.schema + "\"", "search_path"));
  }
  if (prepare) {
    for (const Statement& s : Statements()) {
      Result r(PQprepare(conn.pg, s.name.c_str(), s.sql.c_str(), static_cast<int>(s.types.size()),
                         reinterpret_cast<const Oid*>(s.types.data())));
      RETURN_IF_ERROR(conn.Check(std::move(r), "prepare " + s.name));
    }
  }
  conn.ready = prepare;
  return Status::Ok();
}

}  // namespace

// A borrowed connection, reconnected first if it broke; returned on destruction.
class PostgresStore::Lease {
 public:
  Lease(PostgresStore& store, Connection* conn) : store_(&store), conn_(conn) {}
  Lease(Lease&& other) noexcept
      : store_(other.store_), conn_(std::exchange(other.conn_, nullptr)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (conn_ != nullptr) store_->Release(conn_);
  }
  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_; }

  Status EnsureReady() {
    if (conn_->ready && PQstatus(conn_->pg) == CONNECTION_OK) return Status::Ok();
    return Connect(store_->options_, *conn_, /*prepare=*/true);
  }

 private:
  PostgresStore* store_;
  Connection* conn_;
};

StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresOptions& options) {
  if (!options.schema.empty() && !ValidSchemaName(options.schema)) {
    return InvalidArgument("postgres schema name must be 1-63 of [a-z0-9_]");
  }
  if (options.pool_size < 1) return InvalidArgument("postgres pool size must be at least 1");
  std::unique_ptr<PostgresStore> store(new PostgresStore());
  store->options_ = options;
  store->options_.max_attempts = std::max(1, options.max_attempts);

  auto first = std::make_unique<Connection>();
  PostgresOptions unscoped = options;
  unscoped.schema.clear();
  RETURN_IF_ERROR(Connect(unscoped, *first, /*prepare=*/false));
  if (!options.schema.empty()) {
    auto created = first->Run("CREATE SCHEMA IF NOT EXISTS \"" + options.schema + "\"", "schema");
    // A concurrent creator may win the race (23505/42P06); the schema exists.
    if (!created.ok() && first->last_sqlstate != "23505" && first->last_sqlstate != "42P06") {
      return created.status();
    }
  }
  RETURN_IF_ERROR(Connect(options, *first, /*prepare=*/false));
  RETURN_IF_ERROR(store->Migrate(*first));
  RETURN_IF_ERROR(Connect(options, *first, /*prepare=*/true));
  store->connections_.push_back(std::move(first));
  for (int i = 1; i < options.pool_size; ++i) {
    auto conn = std::make_unique<Connection>();
    RETURN_IF_ERROR(Connect(options, *conn, /*prepare=*/true));
    store->connections_.push_back(std::move(conn));
  }
  MutexLock lock(store->mu_);  // not shared yet; taken for the analysis
  for (auto& conn : store->connections_) store->idle_.push_back(conn.get());
  return store;
}

PostgresStore::~PostgresStore() = default;

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status PostgresStore::Migrate(Connection& conn) {
  const std::string create =
      "CREATE TABLE IF NOT EXISTS warden_schema_version (version integer PRIMARY KEY,"
      " applied_at timestamptz NOT NULL DEFAULT now())";
  // Concurrent creators can collide on the catalog; the loser retries.
  for (int attempt = 0;; ++attempt) {
    auto created = conn.Run(create, "create schema_version");
    if (created.ok()) break;
    if (attempt == 3 || (conn.last_sqlstate != "23505" && conn.last_sqlstate != "42P07")) {
      return created.status();
    }
  }
  ASSIGN_OR_RETURN(
      Result newest,
      conn.Run("SELECT coalesce(max(version), 0) FROM warden_schema_version", "schema version"));
  if (std::atoi(PQgetvalue(newest.get(), 0, 0)) > LatestSchemaVersion()) {
    return Internal("postgres schema is newer than this server; upgrade the server");
  }
  const auto& migrations = Migrations();
  for (size_t i = 0; i < migrations.size(); ++i) {
    RETURN_IF_ERROR(conn.Run("BEGIN", "migration begin"));
    uint32_t version = static_cast<uint32_t>(i + 1);
    std::string param;
    PutBigEndian32(param, version);
    const char* values[] = {param.data()};
    int lengths[] = {4};
    int formats[] = {1};
    const Oid types[] = {23};  // int4
    Result claimed(PQexecParams(conn.pg,
                                "INSERT INTO warden_schema_version (version) VALUES ($1)"
                                " ON CONFLICT DO NOTHING RETURNING version",
                                1, types, values, lengths, formats, 1));
    auto checked = conn.Check(std::move(claimed), "migration claim");
    if (!checked.ok()) {
      conn.Rollback();
      return checked.status();
    }
    if (PQntuples(checked->get()) == 0) {  // applied before, by us or a peer
      conn.Rollback();
      continue;
    }
    for (const std::string& sql : migrations[i]) {
      auto done = conn.Run(sql, "migration " + std::to_string(version));
      if (!done.ok()) {
        conn.Rollback();
        return done.status();
      }
    }
    RETURN_IF_ERROR(conn.Run("COMMIT", "migration commit"));
  }
  return Status::Ok();
}

PostgresStore::Lease PostgresStore::Acquire() {
  MutexLock lock(mu_);
  lock.Wait(available_, [&]() REQUIRES(mu_) { return !idle_.empty(); });
  Connection* conn = idle_.back();
  idle_.pop_back();
  return Lease(*this, conn);
}

void PostgresStore::Release(Connection* conn) {
  {
    MutexLock lock(mu_);
    idle_.push_back(conn);
  }
  available_.notify_one();
}

StatusOr<std::optional<std::string>> PostgresStore::Get(Space space, std::string_view key) {
  // Reads are idempotent: one that failed on a broken connection is retried
  // once on a fresh one (a server restart or failover, an idle timeout).
  for (int attempt = 0;; ++attempt) {
    Lease conn = Acquire();
    RETURN_IF_ERROR(conn.EnsureReady());
    StatusOr<Result> r = conn->Prepared(Name("get", space), {key}, "get");
    if (!r.ok()) {
      if (attempt == 0 && !conn->ready) continue;
      return r.status();
    }
    if (PQntuples(r->get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(
        std::string(PQgetvalue(r->get(), 0, 0), static_cast<size_t>(PQgetlength(r->get(), 0, 0))));
  }
}

StatusOr<std::vector<KeyValue>> PostgresStore::Scan(Space space, std::string_view start,
                                                    std::string_view end, size_t limit) {
  std::vector<KeyValue> out;
  if (limit == 0) return out;
  std::string limit_param = Int64Param(static_cast<int64_t>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max()))));
  StatusOr<Result> r = Internal("unreachable");
  for (int attempt = 0;; ++attempt) {  // retried once like Get()
    Lease conn = Acquire();
    RETURN_IF_ERROR(conn.EnsureReady());
    r = end.empty() ? conn->Prepared(Name("scan", space), {start, limit_param}, "scan")
                    : conn->Prepared(Name("scan_range", space), {start, end, limit_param}, "scan");
    if (r.ok() || attempt > 0 || conn->ready) break;
  }
  if (!r.ok()) return r.status();
  PGresult* res = r->get();
  int rows = PQntuples(res);
  out.reserve(static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    out.push_back(
        {std::string(PQgetvalue(res, i, 0), static_cast<size_t>(PQgetlength(res, i, 0))),
         std::string(PQgetvalue(res, i, 1), static_cast<size_t>(PQgetlength(res, i, 1)))});
  }
  return out;
}

// One transaction (or one statement when that suffices), in as few round
// trips as the conditions allow (see Connection::Pipeline):
//  1. Conditions, in (space, key) order. An expected value is checked on the
//     row locked with SELECT ... FOR UPDATE. An expected absence "claims" the
//     key by inserting a placeholder row (ON CONFLICT DO NOTHING): a
//     concurrent writer of that key then waits on the unique index until this
//     transaction ends, so absence is locked just as a present row would be.
//     Placeholders of keys the batch does not write are deleted again before
//     COMMIT, so no other transaction ever sees one.
//  2. Per space: one DELETE ... = ANY($1) and one INSERT ... SELECT unnest(...)
//     ON CONFLICT DO UPDATE over the batch's final op per key.
// Serialization failures and deadlocks roll back and are retried.
Status PostgresStore::Write(const WriteBatch& batch) {
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.value) RETURN_IF_ERROR(CheckValueShape(op.space, *op.value));
  }
  if (batch.empty() && batch.conditions().empty()) return Status::Ok();
  Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    Lease conn = Acquire();
    RETURN_IF_ERROR(conn.EnsureReady());
    bool retry = false;
    last = TryWrite(*conn, batch, retry);
    if (!retry) return last;
  }
  return last;
}

Status PostgresStore::TryWrite(Connection& conn, const WriteBatch& batch, bool& retry) {
  // The final op per key, ordered by (space, key) so that transactions lock
  // rows in one global order.
  std::map<std::pair<Space, std::string_view>, const std::optional<std::string>*> final_ops;
  for (const WriteBatch::Op& op : batch.ops()) final_ops[{op.space, op.key}] = &op.value;

  std::array<std::vector<std::string_view>, kSpaceCount> deletes, put_keys, put_values;
  for (const auto& [where, value] : final_ops) {
    auto i = static_cast<size_t>(where.first);
    if (value->has_value()) {
      put_keys[i].push_back(where.second);
      put_values[i].push_back(**value);
    } else {
      deletes[i].push_back(where.second);
    }
  }
  // The batch's statements: per space one DELETE and one upsert.
  std::vector<Connection::Call> calls;
  for (size_t i = 0; i < kSpaceCount; ++i) {
    auto space = static_cast<Space>(i);
    if (!deletes[i].empty()) {
      calls.push_back({Name("delete", space), {BinaryArray(kByteaOid, deletes[i])}});
    }
    if (!put_keys[i].empty()) {
      Connection::Call call{Name("upsert", space), {BinaryArray(kByteaOid, put_keys[i])}};
      if (TableOf(space).kind != ValueKind::kNone) {
        unsigned oid = TableOf(space).kind == ValueKind::kInt64 ? kInt8Oid : kByteaOid;
        call.params.push_back(BinaryArray(oid, put_values[i]));
      }
      calls.push_back(std::move(call));
    }
  }

  auto fail = [&](Status status, bool in_transaction) {
    retry = IsRetryable(conn.last_sqlstate);
    conn.last_sqlstate.clear();
    if (in_transaction && PQstatus(conn.pg) == CONNECTION_OK) conn.Rollback();
    return status;
  };
  auto done = [&]() {
    if (!batch.empty()) changes_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  };

  if (batch.conditions().empty()) {
    // One round trip: a single statement commits by itself; several run as
    // the implicit transaction of one pipeline.
    if (calls.size() == 1) {
      std::vector<std::string_view> params(calls[0].params.begin(), calls[0].params.end());
      auto r = conn.Prepared(calls[0].name, params, "write");
      if (!r.ok()) return fail(r.status(), false);
      return done();
    }
    Status written = conn.Pipeline(calls, "write");
    if (!written.ok()) return fail(written, false);
    return done();
  }

  RETURN_IF_ERROR(conn.Run("BEGIN", "begin"));
  std::vector<const WriteBatch::Condition*> conditions;
  for (const WriteBatch::Condition& c : batch.conditions()) conditions.push_back(&c);
  std::sort(conditions.begin(), conditions.end(), [](const auto* a, const auto* b) {
    return std::tie(a->space, a->key) < std::tie(b->space, b->key);
  });
  std::set<std::pair<Space, std::string_view>> claimed;
  for (const WriteBatch::Condition* c : conditions) {
    if (!c->expected) {
      if (claimed.count({c->space, c->key}) != 0) continue;
      auto r = conn.Prepared(Name("claim", c->space), {c->key}, "condition");
      if (!r.ok()) return fail(r.status(), true);
      if (PQntuples(r->get()) == 0) {
        return fail(Conflict("condition failed on " + std::string(SpaceName(c->space)) + " key"),
                    true);
      }
      claimed.insert({c->space, c->key});
    } else {
      if (claimed.count({c->space, c->key}) != 0) {  // also expected absent
        return fail(Conflict("condition failed on " + std::string(SpaceName(c->space)) + " key"),
                    true);
      }
      auto r = conn.Prepared(Name("lock", c->space), {c->key}, "condition");
      if (!r.ok()) return fail(r.status(), true);
      bool matches =
          PQntuples(r->get()) == 1 &&
          std::string_view(PQgetvalue(r->get(), 0, 0),
                           static_cast<size_t>(PQgetlength(r->get(), 0, 0))) == *c->expected;
      if (!matches) {
        return fail(Conflict("condition failed on " + std::string(SpaceName(c->space)) + " key"),
                    true);
      }
    }
  }

  // Conditions hold and their keys are locked: the statements, the release
  // of claims the batch does not overwrite, and COMMIT go in one round trip.
  for (const auto& [space, key] : claimed) {
    if (final_ops.count({space, key}) != 0) continue;  // overwritten or deleted
    calls.push_back({Name("unclaim", space), {std::string(key)}});
  }
  calls.push_back({"", {}, "COMMIT"});
  Status committed = conn.Pipeline(calls, "write");
  if (!committed.ok()) return fail(committed, true);
  return done();
}

StatusOr<CounterResult> PostgresStore::AddToCounter(std::string_view key, int64_t delta,
                                                    int64_t limit) {
  std::string delta_param = Int64Param(delta), limit_param = Int64Param(limit);
  // An absent counter becomes `delta` only when that is within the limit.
  const char* statement = delta <= limit ? "counter_upsert" : "counter_update";
  for (int attempt = 0;; ++attempt) {
    Lease conn = Acquire();
    RETURN_IF_ERROR(conn.EnsureReady());
    auto r = conn->Prepared(statement, {key, delta_param, limit_param}, "counter");
    if (!r.ok()) {
      bool retry = IsRetryable(conn->last_sqlstate);
      conn->last_sqlstate.clear();
      if (retry && attempt + 1 < options_.max_attempts) continue;
      return r.status();
    }
    PGresult* res = r->get();
    if (PQntuples(res) == 0) return CounterResult{0, false};
    if (PQgetlength(res, 0, 0) != 8 || PQgetlength(res, 0, 1) != 1) {
      return DataLoss("postgres counter: unexpected result shape");
    }
    CounterResult result;
    result.value = static_cast<int64_t>(GetBigEndian64(std::string_view(PQgetvalue(res, 0, 0), 8)));
    result.applied = PQgetvalue(res, 0, 1)[0] != 0;
    if (result.applied) changes_.fetch_add(1, std::memory_order_relaxed);
    return result;
  }
}

Status PostgresStore::DropSchema(const std::string& connection, const std::string& schema) {
  if (!ValidSchemaName(schema)) return InvalidArgument("postgres schema name is invalid");
  PostgresOptions options;
  options.connection = connection;
  Connection conn;
  RETURN_IF_ERROR(Connect(options, conn, /*prepare=*/false));
  return conn.Run("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE", "drop schema").status();
}

// Rows go to a temporary staging table through binary COPY; each chunk is
// merged into the space tables in the transaction of its COPY.
class PostgresStore::CopyBulkLoader : public BulkLoader {
 public:
  CopyBulkLoader(Lease lease) : conn_(std::move(lease)) {}
  ~CopyBulkLoader() override {
    if (PQstatus(conn_->pg) == CONNECTION_OK) {
      conn_->Run("DROP TABLE IF EXISTS pg_temp.warden_bulk_staging", "drop staging")
          .status()
          .IgnoreError();
    }
  }

  Status Start() {
    RETURN_IF_ERROR(conn_.EnsureReady());
    return conn_
        ->Run(
            "CREATE TEMP TABLE IF NOT EXISTS warden_bulk_staging (seq bigserial,"
            " space smallint NOT NULL, k bytea NOT NULL, v bytea, n bigint)"
            " ON COMMIT DELETE ROWS",
            "create staging")
        .status();
  }

  Status Add(Space space, std::string_view key, std::string_view value) override {
    if (finished_) return Internal("bulk load already finished");
    RETURN_IF_ERROR(CheckValueShape(space, value));
    if (copy_.empty()) copy_.assign("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    copy_.push_back('\0');
    copy_.push_back('\4');  // four fields
    PutInt32(copy_, 2);
    copy_.push_back('\0');
    copy_.push_back(static_cast<char>(space));
    PutInt32(copy_, static_cast<int32_t>(key.size()));
    copy_.append(key);
    bool counter = space == Space::kCounters;
    PutInt32(copy_, counter ? -1 : static_cast<int32_t>(value.size()));
    if (!counter) copy_.append(value);
    PutInt32(copy_, counter ? 8 : -1);
    if (counter) copy_.append(value);
    spaces_[static_cast<size_t>(space)] = true;
    ++count_;
    if (copy_.size() >= kChunkBytes) return Flush();
    return Status::Ok();
  }

  Status Finish() override {
    if (finished_) return Internal("bulk load already finished");
    finished_ = true;
    return Flush();
  }

  uint64_t count() const override { return count_; }

 private:
  static constexpr size_t kChunkBytes = size_t{16} << 20;

  Status Flush() {
    if (copy_.empty()) return Status::Ok();
    copy_.append("\377\377", 2);  // trailer
    Status status = CopyAndMerge();
    if (!status.ok() && PQstatus(conn_->pg) == CONNECTION_OK) conn_->Rollback();
    copy_.clear();
    spaces_ = {};
    return status;
  }

  Status CopyAndMerge() {
    RETURN_IF_ERROR(conn_->Run("BEGIN", "begin"));
    RETURN_IF_ERROR(conn_
                        ->Run("COPY warden_bulk_staging (space, k, v, n) FROM STDIN"
                              " (FORMAT binary)",
                              "copy")
                        .status());
    constexpr size_t kPiece = 1 << 20;
    for (size_t at = 0; at < copy_.size(); at += kPiece) {
      size_t n = std::min(kPiece, copy_.size() - at);
      if (PQputCopyData(conn_->pg, copy_.data() + at, static_cast<int>(n)) != 1) {
        return Unavailable("postgres copy: connection lost");
      }
    }
    if (PQputCopyEnd(conn_->pg, nullptr) != 1) return Unavailable("postgres copy: connection lost");
    Status copied;
    while (PGresult* raw = PQgetResult(conn_->pg)) {
      Result r(raw);
      if (PQresultStatus(raw) != PGRES_COMMAND_OK && copied.ok()) {
        copied = FromResult(raw, conn_->pg, "copy");
      }
    }
    RETURN_IF_ERROR(copied);
    for (int i = 0; i < kSpaceCount; ++i) {
      if (!spaces_[i]) continue;
      const Table& t = kTables[i];
      std::string where = " FROM warden_bulk_staging WHERE space = " + std::to_string(i);
      std::string sql;
      if (t.kind == ValueKind::kNone) {
        sql = std::string("INSERT INTO ") + t.name + " (k) SELECT DISTINCT k" + where +
              " ON CONFLICT DO NOTHING";
      } else {
        const char* column = t.kind == ValueKind::kInt64 ? "n" : "v";
        sql = std::string("INSERT INTO ") + t.name + " (k, v) SELECT DISTINCT ON (k) k, " + column +
              where + " ORDER BY k, seq DESC ON CONFLICT (k) DO UPDATE SET v = excluded.v";
      }
      RETURN_IF_ERROR(conn_->Run(sql, "bulk merge").status());
    }
    return conn_->Run("COMMIT", "commit").status();
  }

  Lease conn_;
  std::string copy_;
  std::array<bool, kSpaceCount> spaces_{};
  uint64_t count_ = 0;
  bool finished_ = false;
};

StatusOr<std::unique_ptr<BulkLoader>> PostgresStore::StartBulkLoad() {
  auto loader = std::make_unique<CopyBulkLoader>(Acquire());
  RETURN_IF_ERROR(loader->Start());
  return std::unique_ptr<BulkLoader>(std::move(loader));
}

}  // namespace warden
