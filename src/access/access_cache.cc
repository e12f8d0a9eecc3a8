// The access cache and the store's access generation.
#include "access/access_cache.h"

#include "access/access_internal.h"

namespace warden::access {

namespace {

int64_t Nanos(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

AccessCache::AccessCache(Store& store, const Clock& clock)
    : store_(store),
      clock_(clock),
      confirmed_at_(clock.MonotonicNanos() - 2 * Nanos(kMaxStaleness)) {}

void AccessCache::StampChange(WriteBatch& batch) {
  // A fresh random value, so that every change moves it (no read, no
  // conflict between concurrent changes).
  batch.Put(Space::kMeta, std::string(kGenerationKey), internal::NewId("g_"));
}

void AccessCache::Invalidate() { epoch_.fetch_add(1, std::memory_order_acq_rel); }

Status AccessCache::Poll() {
  const int64_t started = clock_.MonotonicNanos();
  polls_.fetch_add(1, std::memory_order_relaxed);
  ASSIGN_OR_RETURN(std::optional<std::string> generation, store_.Get(Space::kMeta, kGenerationKey));
  if (!generation_read_ || generation != generation_) {
    generation_ = std::move(generation);
    generation_read_ = true;
    Invalidate();
  }
  // Published after the epoch moved: whoever sees this reading fresh uses
  // only values read after it.
  confirmed_at_.store(started, std::memory_order_release);
  return Status::Ok();
}

StatusOr<uint64_t> AccessCache::Epoch() {
  const int64_t age = clock_.MonotonicNanos() - confirmed_at_.load(std::memory_order_acquire);
  if (age >= Nanos(kPollInterval) && age < Nanos(kMaxStaleness)) {
    // Still fresh enough: one caller reads the generation, the others go on.
    // A failed reading is retried by the next caller; the last one holds
    // until kMaxStaleness.
    if (!polling_.exchange(true, std::memory_order_acq_rel)) {
      {
        MutexLock lock(poll_mu_);
        Poll().IgnoreError();
      }
      polling_.store(false, std::memory_order_release);
    }
  } else if (age >= Nanos(kMaxStaleness)) {
    MutexLock lock(poll_mu_);
    // Another caller may have read it while this one waited.
    const int64_t now = clock_.MonotonicNanos();
    if (now - confirmed_at_.load(std::memory_order_acquire) >= Nanos(kPollInterval)) {
      RETURN_IF_ERROR(Poll());
    }
  }
  return epoch_.load(std::memory_order_acquire);
}

StatusOr<AccessCache::Read> AccessCache::Get(std::string_view key, bool keep_absent) {
  ASSIGN_OR_RETURN(uint64_t epoch, Epoch());
  {
    MutexLock lock(mu_);
    auto it = entries_.find(std::string(key));
    if (it != entries_.end() && it->second.epoch == epoch) {
      return Read{it->second.value, epoch, true};
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_.Get(Space::kMeta, key));
  if (value || keep_absent) Keep(key, value, epoch);
  return Read{std::move(value), epoch, false};
}

StatusOr<AccessCache::Read> AccessCache::GetFresh(std::string_view key) {
  ASSIGN_OR_RETURN(uint64_t epoch, Epoch());
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_.Get(Space::kMeta, key));
  if (value) {
    Keep(key, *value, epoch);
  } else {
    Erase(key);
  }
  return Read{std::move(value), epoch, false};
}

void AccessCache::Refresh(std::string_view key, std::string value, uint64_t epoch) {
  Keep(key, std::move(value), epoch);
}

void AccessCache::Keep(std::string_view key, std::optional<std::string> value, uint64_t epoch) {
  MutexLock lock(mu_);
  // A value read under an epoch that has since moved would never be used.
  if (epoch != epoch_.load(std::memory_order_acquire)) return;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::string(key)] = Entry{std::move(value), epoch};
}

void AccessCache::Erase(std::string_view key) {
  MutexLock lock(mu_);
  entries_.erase(std::string(key));
}

StatusOr<std::shared_ptr<const std::unordered_set<std::string>>> AccessCache::Keys(
    std::string_view prefix) {
  ASSIGN_OR_RETURN(uint64_t epoch, Epoch());
  MutexLock lock(key_sets_mu_);
  KeySet& set = key_sets_[std::string(prefix)];
  if (set.keys && set.epoch == epoch) return set.keys;
  auto keys = std::make_shared<std::unordered_set<std::string>>();
  std::string start(prefix);
  const std::string end = PrefixEnd(prefix);
  constexpr size_t kPage = 1024;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> page, store_.Scan(Space::kMeta, start, end, kPage));
    if (!page.empty()) start = page.back().key + '\0';
    for (KeyValue& kv : page) keys->insert(std::move(kv.key));
    if (page.size() < kPage) break;
  }
  // Read under `epoch`: used only until it moves.
  set = KeySet{std::move(keys), epoch};
  return set.keys;
}

}  // namespace warden::access
