// FileSystem: the only way Warden's own code touches files (the stores'
// engines manage their own). Tests substitute FaultInjectingFileSystem to make
// writes fail (disk full, I/O error) and check that nothing half-written stays.
//
// All methods are thread-safe. Paths are plain POSIX paths.
#ifndef WARDEN_CORE_FILE_SYSTEM_H_
#define WARDEN_CORE_FILE_SYSTEM_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace warden {

// What Stat() tells of a file.
struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // last modification, nanoseconds since 1970
};

// A file open for reading at any offset. Thread-safe (positional reads).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Appends up to `n` bytes read at `offset` to `out` and returns how many;
  // fewer only at the end of the file (0 at or past it).
  virtual StatusOr<size_t> ReadAt(uint64_t offset, size_t n, std::string& out) = 0;
  // The open file's size and modification time.
  virtual StatusOr<FileInfo> Stat() = 0;
};

// A file open for appending. Not thread-safe; one writer at a time.
class AppendableFile {
 public:
  virtual ~AppendableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Writes `contents` to a temporary file, syncs it, renames it over `path`
  // and syncs the directory: readers see the old file or the new, never a mix.
  // `mode` is the permission of the new file (0600 for anything secret).
  virtual Status WriteFileAtomic(const std::string& path, std::string_view contents,
                                 int mode = 0600) = 0;
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) = 0;
  // Opens `path` for appending, creating it with `mode` if it is missing.
  virtual StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(const std::string& path,
                                                                   int mode = 0600) = 0;
  virtual StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // Cuts the file at `path` to its first `size` bytes.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Creates `path` and its parents with the given mode; OK if it exists.
  virtual Status CreateDirs(const std::string& path, int mode = 0700) = 0;
  // Names (not paths) of the entries of directory `path`, sorted.
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Bytes available to an unprivileged writer on the filesystem of `path`.
  virtual StatusOr<uint64_t> FreeBytes(const std::string& path) = 0;

  // The process-wide POSIX file system. Never destroyed.
  static FileSystem& Default();
};

// Wraps another FileSystem and fails writes on demand. Thread-safe.
class FaultInjectingFileSystem : public FileSystem {
 public:
  explicit FaultInjectingFileSystem(FileSystem& base) : base_(base) {}

  // While set, every write, append, sync, truncation and create fails with
  // kUnavailable ("no space left on device" style). Reads still work.
  void SetWritesFail(bool fail) { writes_fail_ = fail; }
  bool writes_fail() const { return writes_fail_; }

  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, std::string_view contents, int mode) override;
  StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override;
  StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(const std::string& path,
                                                           int mode) override;
  StatusOr<FileInfo> Stat(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  bool Exists(const std::string& path) override;
  Status CreateDirs(const std::string& path, int mode) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  Status Remove(const std::string& path) override;
  StatusOr<uint64_t> FreeBytes(const std::string& path) override;

 private:
  class FaultyFile;
  Status InjectedFailure() const;
  FileSystem& base_;
  std::atomic<bool> writes_fail_{false};
};

}  // namespace warden

#endif  // WARDEN_CORE_FILE_SYSTEM_H_
