// Store: the storage interface every backend implements (embedded RocksDB,
// PostgreSQL, in-memory for tests).
//
// A Store is a set of ordered byte-string key/value spaces. It never sees
// plaintext personal data: the barrier above it (RecordBarrier) hands it only
// sealed records and keyed hashes. Keys compare as unsigned bytes.
//
// Durability (G8): when Write() or AddToCounter() returns OK, the change has
// been synced to stable storage (or to the database's committed WAL) and
// survives kill -9 and power loss. A WriteBatch is atomic: after a crash either
// all of it is visible or none of it.
//
// Thread safety: all methods may be called concurrently from any thread.
// Implementations group concurrent synced writes into one sync (group commit).
#ifndef WARDEN_STORE_STORE_H_
#define WARDEN_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace warden {

// The key spaces. Their numeric values are persisted; never renumber.
enum class Space : uint8_t {
  kRecords = 0,   // sealed records, keyed by the barrier's record key
  kIndex = 1,     // blind-index entries: key only, value empty
  kAudit = 2,     // the audit chain, keyed by big-endian sequence number
  kMeta = 3,      // wrapped keys, schema, accounts, sessions, policies, alerts
  kCounters = 4,  // int64 counters (quotas, rates); use AddToCounter
};
inline constexpr int kSpaceCount = 5;
std::string_view SpaceName(Space space);

struct KeyValue {
  std::string key;
  std::string value;
  bool operator==(const KeyValue&) const = default;
};

// A group of changes applied atomically, optionally guarded by conditions.
class WriteBatch {
 public:
  struct Op {
    Space space;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  struct Condition {
    Space space;
    std::string key;
    std::optional<std::string> expected;  // nullopt: the key must be absent
  };

  void Put(Space space, std::string key, std::string value) {
    ops_.push_back({space, std::move(key), std::move(value)});
  }
  void Delete(Space space, std::string key) {
    ops_.push_back({space, std::move(key), std::nullopt});
  }
  // The batch applies only if, at commit, `key` holds `expected` (or is absent
  // when nullopt); otherwise Write() returns kConflict and changes nothing.
  void Expect(Space space, std::string key, std::optional<std::string> expected) {
    conditions_.push_back({space, std::move(key), std::move(expected)});
  }

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Condition>& conditions() const { return conditions_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() {
    ops_.clear();
    conditions_.clear();
  }

 private:
  std::vector<Op> ops_;
  std::vector<Condition> conditions_;
};

// The outcome of a bounded counter increment.
struct CounterResult {
  int64_t value = 0;     // the counter after the call
  bool applied = false;  // false when the increment would have passed the limit
};

// Loads many entries at once, for the offline import. Entries may be added in
// any order; a key added twice keeps the value added last. Nothing is
// guaranteed visible before Finish() returns OK; after a crash before that,
// any subset may be visible, so a loader is re-run from the start: re-adding
// the same keys and values is harmless (a load is idempotent).
// Conditions and counters are not part of a load.
//
// Not thread-safe: one thread drives one loader. Other Store calls may run
// concurrently; they may or may not observe entries of an unfinished load.
class BulkLoader {
 public:
  virtual ~BulkLoader() = default;
  // kIndex values must be empty and kCounters values 8 bytes, as for Write().
  virtual Status Add(Space space, std::string_view key, std::string_view value) = 0;
  // Makes every added entry visible and durable. The loader is spent after.
  virtual Status Finish() = 0;
  // Entries added so far.
  virtual uint64_t count() const = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // nullopt when the key is absent.
  virtual StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) = 0;

  // Applies `batch` atomically and durably. kConflict when a condition fails
  // (then nothing is applied). Conditions are checked atomically with respect
  // to every other Write and AddToCounter. kInvalidArgument when a value
  // breaks CheckValueShape (nothing applied); kUnavailable when the backend
  // cannot be reached or cannot sync (the batch may or may not be applied).
  // Within a batch, a later op on the same key wins.
  virtual Status Write(const WriteBatch& batch) = 0;

  // Entries of `space` with start <= key < end, ascending, at most `limit`.
  // An empty `end` means "to the end of the space".
  virtual StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start,
                                               std::string_view end, size_t limit) = 0;

  // Adds `delta` to the counter `key` (absent counts as 0; stored as 8-byte
  // big-endian two's complement) in Space::kCounters
  // unless the result would exceed `limit`; atomic and durable. Servers that
  // share a store share the counter, so a quota holds across them.
  virtual StatusOr<CounterResult> AddToCounter(std::string_view key, int64_t delta,
                                               int64_t limit) = 0;

  // The number of changes committed through this handle since it was opened
  // (Write() batches with at least one op, applied AddToCounter() calls and
  // bulk-load chunks); monotonic. For metrics and maintenance jobs.
  virtual uint64_t ChangeCount() const = 0;

  // A short name of the backend ("rocksdb", "postgres", "memory").
  virtual std::string_view Backend() const = 0;

  // A loader for many entries (see BulkLoader). The default applies entries
  // through Write() in batches; backends override it with a faster path.
  // The loader must not outlive this Store.
  virtual StatusOr<std::unique_ptr<BulkLoader>> StartBulkLoad();
};

// Value rules every backend enforces in Write() and BulkLoader::Add()
// (kInvalidArgument otherwise): an index entry has an empty value; a counter
// value is 8 bytes (big-endian two's complement, as AddToCounter stores it).
Status CheckValueShape(Space space, std::string_view value);

// `current + delta` for AddToCounter: nullopt when the sum would pass `limit`
// (including a sum above INT64_MAX); kInvalidArgument when it would fall
// below INT64_MIN.
StatusOr<std::optional<int64_t>> BoundedCounterSum(int64_t current, int64_t delta, int64_t limit);

// The smallest key greater than every key that starts with `prefix`
// (empty when there is none, i.e. prefix is all 0xff): the `end` for a prefix Scan.
std::string PrefixEnd(std::string_view prefix);

}  // namespace warden

#endif  // WARDEN_STORE_STORE_H_
