#include "store/power_loss_file_system.h"

#include <filesystem>
#include <utility>

namespace warden {
namespace {

// What every change gets once the power is off.
rocksdb::IOStatus PowerFailure() { return rocksdb::IOStatus::IOError("simulated power failure"); }

}  // namespace

using rocksdb::DataVerificationInfo;
using rocksdb::FileOptions;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// A writable file that reports what it writes and syncs to its file system.
class PowerLossFileSystem::TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(PowerLossFileSystem& fs, std::string name, std::unique_ptr<FSWritableFile> file)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) fs_.Appended(name_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options, const DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) fs_.Appended(name_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) fs_.Resized(name_, offset + data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const DataVerificationInfo& info, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) fs_.Resized(name_, offset + data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->Truncate(size, options, dbg);
    if (s.ok()) fs_.Resized(name_, size);
    return s;
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    return target()->Flush(options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) fs_.Synced(name_);
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) fs_.Synced(name_);
    return s;
  }
  // Starts write-back of a range without waiting for it: no durability.
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (fs_.powered_off()) return PowerFailure();
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  // Closing makes nothing durable; after the cut it only releases the file.
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = target()->Close(options, dbg);
    return fs_.powered_off() ? PowerFailure() : s;
  }

 private:
  PowerLossFileSystem& fs_;
  const std::string name_;
};

PowerLossFileSystem::PowerLossFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::unique_ptr<rocksdb::Env> PowerLossFileSystem::NewEnv(
    const std::shared_ptr<PowerLossFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

void PowerLossFileSystem::PowerOff() { powered_off_.store(true); }

StatusOr<uint64_t> PowerLossFileSystem::DropUnsyncedData() {
  if (!powered_off()) return Conflict("the power is still on");
  MutexLock lock(mu_);
  uint64_t dropped = 0;
  for (const auto& [name, state] : files_) {
    std::error_code ec;
    const uintmax_t on_disk = std::filesystem::file_size(name, ec);
    if (ec) continue;  // deleted before the cut
    if (state.created && state.synced == 0) {
      dropped += on_disk;
      std::filesystem::remove(name, ec);
    } else if (on_disk > state.synced) {
      dropped += on_disk - state.synced;
      std::filesystem::resize_file(name, state.synced, ec);
    }
    if (ec) return Internal("dropping the unsynced part of " + name + ": " + ec.message());
  }
  files_.clear();
  return dropped;
}

uint64_t PowerLossFileSystem::synced_bytes() const {
  MutexLock lock(mu_);
  uint64_t total = 0;
  for (const auto& [name, state] : files_) total += state.synced;
  return total;
}

IOStatus PowerLossFileSystem::Track(const std::string& fname, bool reopened,
                                    std::unique_ptr<FSWritableFile>* file) {
  {
    MutexLock lock(mu_);
    auto [it, inserted] = files_.try_emplace(fname);
    FileState& state = it->second;
    if (!reopened) {
      state = FileState{0, 0, true};
    } else if (inserted) {
      // A file from before: what it holds now is durable.
      std::error_code ec;
      const uintmax_t size = std::filesystem::file_size(fname, ec);
      state.size = state.synced = ec ? 0 : size;
    }
  }
  *file = std::make_unique<TrackedFile>(*this, fname, std::move(*file));
  return IOStatus::OK();
}

void PowerLossFileSystem::Appended(const std::string& fname, uint64_t bytes) {
  MutexLock lock(mu_);
  files_[fname].size += bytes;
}

void PowerLossFileSystem::Synced(const std::string& fname) {
  MutexLock lock(mu_);
  FileState& state = files_[fname];
  state.synced = state.size;
}

void PowerLossFileSystem::Resized(const std::string& fname, uint64_t size) {
  MutexLock lock(mu_);
  FileState& state = files_[fname];
  state.size = size;
  if (state.synced > size) state.synced = size;
}

IOStatus PowerLossFileSystem::NewWritableFile(const std::string& fname, const FileOptions& options,
                                              std::unique_ptr<FSWritableFile>* result,
                                              IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  return s.ok() ? Track(fname, /*reopened=*/false, result) : s;
}

IOStatus PowerLossFileSystem::ReopenWritableFile(const std::string& fname,
                                                 const FileOptions& options,
                                                 std::unique_ptr<FSWritableFile>* result,
                                                 IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  return s.ok() ? Track(fname, /*reopened=*/true, result) : s;
}

IOStatus PowerLossFileSystem::ReuseWritableFile(const std::string& fname,
                                                const std::string& old_fname,
                                                const FileOptions& options,
                                                std::unique_ptr<FSWritableFile>* result,
                                                IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (!s.ok()) return s;
  {
    MutexLock lock(mu_);
    files_.erase(old_fname);
  }
  return Track(fname, /*reopened=*/false, result);
}

// Not used by the store's RocksDB configuration; refused rather than
// written untracked.
IOStatus PowerLossFileSystem::NewRandomRWFile(const std::string&, const FileOptions&,
                                              std::unique_ptr<rocksdb::FSRandomRWFile>*,
                                              IODebugContext*) {
  return IOStatus::NotSupported("PowerLossFileSystem does not track random-access writes");
}

IOStatus PowerLossFileSystem::RenameFile(const std::string& src, const std::string& target,
                                         const IOOptions& options, IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = FileSystemWrapper::RenameFile(src, target, options, dbg);
  if (!s.ok()) return s;
  MutexLock lock(mu_);
  auto it = files_.find(src);
  if (it == files_.end()) {
    files_.erase(target);
  } else {
    files_[target] = it->second;
    files_.erase(src);
  }
  return s;
}

IOStatus PowerLossFileSystem::LinkFile(const std::string& src, const std::string& target,
                                       const IOOptions& options, IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = FileSystemWrapper::LinkFile(src, target, options, dbg);
  if (!s.ok()) return s;
  MutexLock lock(mu_);
  if (auto it = files_.find(src); it != files_.end()) files_[target] = it->second;
  return s;
}

IOStatus PowerLossFileSystem::DeleteFile(const std::string& fname, const IOOptions& options,
                                         IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = FileSystemWrapper::DeleteFile(fname, options, dbg);
  if (s.ok()) {
    MutexLock lock(mu_);
    files_.erase(fname);
  }
  return s;
}

IOStatus PowerLossFileSystem::Truncate(const std::string& fname, size_t size,
                                       const IOOptions& options, IODebugContext* dbg) {
  if (powered_off()) return PowerFailure();
  IOStatus s = FileSystemWrapper::Truncate(fname, size, options, dbg);
  if (s.ok()) Resized(fname, size);
  return s;
}

}  // namespace warden
