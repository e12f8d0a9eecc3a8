// MemoryStore: a Store held in process memory, for tests and benchmarks of
// the layers above. Not durable. Thread-safe (one mutex).
#ifndef WARDEN_STORE_MEMORY_STORE_H_
#define WARDEN_STORE_MEMORY_STORE_H_

#include <array>
#include <atomic>
#include <map>

#include "core/mutex.h"
#include "store/store.h"

namespace warden {

class MemoryStore : public Store {
 public:
  StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) override;
  Status Write(const WriteBatch& batch) override;
  StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start, std::string_view end,
                                       size_t limit) override;
  StatusOr<CounterResult> AddToCounter(std::string_view key, int64_t delta, int64_t limit) override;
  uint64_t ChangeCount() const override { return changes_.load(); }
  std::string_view Backend() const override { return "memory"; }

  // While set, every write fails with kUnavailable (fault injection for tests).
  void SetWritesFail(bool fail) { writes_fail_ = fail; }

 private:
  using Map = std::map<std::string, std::string, std::less<>>;
  Map& space(Space s) REQUIRES(mu_) { return spaces_[static_cast<size_t>(s)]; }

  Mutex mu_;
  std::array<Map, kSpaceCount> spaces_ GUARDED_BY(mu_);
  std::atomic<uint64_t> changes_{0};
  std::atomic<bool> writes_fail_{false};
};

}  // namespace warden

#endif  // WARDEN_STORE_MEMORY_STORE_H_
