#include "store/memory_store.h"

#include "core/bytes.h"

namespace warden {

StatusOr<std::optional<std::string>> MemoryStore::Get(Space s, std::string_view key) {
  MutexLock lock(mu_);
  const Map& m = space(s);
  auto it = m.find(key);
  if (it == m.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryStore::Write(const WriteBatch& batch) {
  if (writes_fail_) return Unavailable("memory store: injected write failure");
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.value) RETURN_IF_ERROR(CheckValueShape(op.space, *op.value));
  }
  MutexLock lock(mu_);
  for (const WriteBatch::Condition& c : batch.conditions()) {
    const Map& m = space(c.space);
    auto it = m.find(c.key);
    bool present = it != m.end();
    if (present != c.expected.has_value() || (present && it->second != *c.expected)) {
      return Conflict("condition failed on " + std::string(SpaceName(c.space)) + " key");
    }
  }
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.value) {
      space(op.space)[op.key] = *op.value;
    } else {
      space(op.space).erase(op.key);
    }
  }
  if (!batch.empty()) ++changes_;
  return Status::Ok();
}

StatusOr<std::vector<KeyValue>> MemoryStore::Scan(Space s, std::string_view start,
                                                  std::string_view end, size_t limit) {
  MutexLock lock(mu_);
  std::vector<KeyValue> out;
  const Map& m = space(s);
  for (auto it = m.lower_bound(start); it != m.end() && out.size() < limit; ++it) {
    if (!end.empty() && it->first >= end) break;
    out.push_back({it->first, it->second});
  }
  return out;
}

StatusOr<CounterResult> MemoryStore::AddToCounter(std::string_view key, int64_t delta,
                                                  int64_t limit) {
  if (writes_fail_) return Unavailable("memory store: injected write failure");
  MutexLock lock(mu_);
  Map& m = space(Space::kCounters);
  auto it = m.find(key);
  if (it != m.end() && it->second.size() != 8) return DataLoss("counter value is not 8 bytes");
  int64_t current = it == m.end() ? 0 : static_cast<int64_t>(GetBigEndian64(it->second));
  ASSIGN_OR_RETURN(std::optional<int64_t> sum, BoundedCounterSum(current, delta, limit));
  if (!sum) return CounterResult{current, false};
  std::string encoded;
  PutBigEndian64(encoded, static_cast<uint64_t>(*sum));
  m[std::string(key)] = std::move(encoded);
  ++changes_;
  return CounterResult{*sum, true};
}

}  // namespace warden
