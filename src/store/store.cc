#include "store/store.h"

#include "core/bytes.h"

namespace warden {

std::string_view SpaceName(Space space) {
  switch (space) {
    case Space::kRecords:
      return "records";
    case Space::kIndex:
      return "index";
    case Space::kAudit:
      return "audit";
    case Space::kMeta:
      return "meta";
    case Space::kCounters:
      return "counters";
  }
  return "unknown";
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<uint8_t>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

Status CheckValueShape(Space space, std::string_view value) {
  if (static_cast<int>(space) >= kSpaceCount) return InvalidArgument("unknown store space");
  if (space == Space::kIndex && !value.empty()) {
    return InvalidArgument("index entries carry no value");
  }
  if (space == Space::kCounters && value.size() != 8) {
    return InvalidArgument("counter values are 8-byte big-endian integers");
  }
  return Status::Ok();
}

StatusOr<std::optional<int64_t>> BoundedCounterSum(int64_t current, int64_t delta, int64_t limit) {
  int64_t sum = 0;
  if (__builtin_add_overflow(current, delta, &sum)) {
    // Overflow upwards passes every limit; downwards is not representable.
    if (delta > 0) return std::optional<int64_t>();
    return InvalidArgument("counter would fall below the int64 range");
  }
  if (sum > limit) return std::optional<int64_t>();
  return std::optional<int64_t>(sum);
}

namespace {

// Applies entries through Store::Write in batches of kBatchOps.
class WriteBatchLoader : public BulkLoader {
 public:
  explicit WriteBatchLoader(Store& store) : store_(store) {}

  Status Add(Space space, std::string_view key, std::string_view value) override {
    if (finished_) return Internal("bulk load already finished");
    RETURN_IF_ERROR(CheckValueShape(space, value));
    batch_.Put(space, std::string(key), std::string(value));
    ++count_;
    if (batch_.size() >= kBatchOps) return Flush();
    return Status::Ok();
  }

  Status Finish() override {
    if (finished_) return Internal("bulk load already finished");
    finished_ = true;
    return Flush();
  }

  uint64_t count() const override { return count_; }

 private:
  static constexpr size_t kBatchOps = 1000;

  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    Status status = store_.Write(batch_);
    batch_.Clear();
    return status;
  }

  Store& store_;
  WriteBatch batch_;
  uint64_t count_ = 0;
  bool finished_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<BulkLoader>> Store::StartBulkLoad() {
  return std::unique_ptr<BulkLoader>(std::make_unique<WriteBatchLoader>(*this));
}

}  // namespace warden
