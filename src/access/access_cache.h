// AccessCache: the access records every request reads — sessions, API keys,
// accounts, role policies — and what is derived from them (the canary
// markers), held in memory while nothing that changes access has happened
// (SPEC G5, G10). Internal to src/access.
//
// Every change that takes access away or alters it (logout, API key
// revocation, suspension, reinstatement, role, policy or credential change,
// a new canary) is written in one atomic batch with a fresh random value of
// the store's access generation (StampChange: Space::kMeta
// "access/generation"). The server that makes the change forgets its cache
// as soon as the write returns (Invalidate). Every server reads the
// generation again once its last reading is kPollInterval old and forgets
// its cache when the value moved; a cached value is used only while the
// generation was read less than kMaxStaleness ago (otherwise the request
// reads it first). So a change committed on one server takes effect on every
// server sharing the store within kMaxStaleness (500 ms).
//
// Forgetting is by epoch: every cached value carries the epoch it was read
// under, and Invalidate or a moved generation starts a new epoch. A value
// read while the epoch moves keeps the old epoch and is never used. Nothing
// absent is cached: a credential issued on another server is found at its
// first use, and a removed one is gone at once from the server removing it.
//
// Durations are measured on the Clock's monotonic reading.
//
// Thread safety: all methods may be called concurrently. The Store and Clock
// must outlive this object.
#ifndef WARDEN_ACCESS_ACCESS_CACHE_H_
#define WARDEN_ACCESS_ACCESS_CACHE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "store/store.h"

namespace warden::access {

class AccessCache {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{250};
  static constexpr std::chrono::milliseconds kMaxStaleness{500};
  // Beyond this many cached values the cache starts over (bounds memory).
  static constexpr size_t kMaxEntries = 100'000;

  AccessCache(Store& store, const Clock& clock);
  AccessCache(const AccessCache&) = delete;
  AccessCache& operator=(const AccessCache&) = delete;

  // Adds the generation's new value to `batch`, which then changes access.
  static void StampChange(WriteBatch& batch);

  // The current epoch, reading the store's generation first when the last
  // reading is kPollInterval old (one caller at a time reads it while the
  // reading is younger than kMaxStaleness; after that every caller waits
  // for a fresh one). The store's error when it cannot be read.
  StatusOr<uint64_t> Epoch();
  // Starts a new epoch: nothing cached before is used again.
  void Invalidate();

  // A Space::kMeta value read through the cache, and the epoch it was read
  // under (for Refresh).
  struct Read {
    std::optional<std::string> value;  // nullopt: absent from the store
    uint64_t epoch = 0;
    bool cached = false;  // true when it came from memory
  };
  // The cached value of `key` when it is of the current epoch, else the
  // store's (kept when present; with `keep_absent` also when absent, for
  // keys whose creation is itself stamped, such as the role policies).
  StatusOr<Read> Get(std::string_view key, bool keep_absent = false);
  // The store's value of `key`, bypassing and refreshing the cache.
  StatusOr<Read> GetFresh(std::string_view key);
  // After this server wrote `value` under `key` (a condition of the write
  // held it unchanged since a Get under `epoch`): keeps it, unless the epoch
  // moved meanwhile.
  void Refresh(std::string_view key, std::string value, uint64_t epoch);
  // Forgets the cached value of `key`.
  void Erase(std::string_view key);
  // The keys of Space::kMeta that start with `prefix` (a small set, such as
  // the canary markers), read again whenever the epoch moved.
  StatusOr<std::shared_ptr<const std::unordered_set<std::string>>> Keys(std::string_view prefix);

  // Generation readings taken from the store so far (for tests and metrics).
  int64_t PollCount() const { return polls_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::string_view kGenerationKey = "access/generation";

  // Reads the generation; starts a new epoch when it moved.
  Status Poll() REQUIRES(poll_mu_);
  void Keep(std::string_view key, std::optional<std::string> value, uint64_t epoch) EXCLUDES(mu_);

  Store& store_;
  const Clock& clock_;
  std::atomic<uint64_t> epoch_{1};
  // Monotonic nanoseconds at which the last successful reading started.
  std::atomic<int64_t> confirmed_at_;
  std::atomic<bool> polling_{false};
  std::atomic<int64_t> polls_{0};
  Mutex poll_mu_;
  std::optional<std::string> generation_ GUARDED_BY(poll_mu_);
  bool generation_read_ GUARDED_BY(poll_mu_) = false;

  struct Entry {
    std::optional<std::string> value;
    uint64_t epoch = 0;
  };
  Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);

  struct KeySet {
    std::shared_ptr<const std::unordered_set<std::string>> keys;
    uint64_t epoch = 0;
  };
  Mutex key_sets_mu_;  // held while a set is read, so one caller reads it
  std::unordered_map<std::string, KeySet> key_sets_ GUARDED_BY(key_sets_mu_);
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCESS_CACHE_H_
