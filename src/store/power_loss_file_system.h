// PowerLossFileSystem: a RocksDB FileSystem for tests that loses, at a
// simulated power failure, everything the operating system had not been told
// to make durable, as a real power cut does (a SIGKILL keeps the page cache,
// so a missing fsync passes a kill -9 test; it does not pass this one).
//
// It tracks every file written through it: its length and the length at its
// last Sync/Fsync. PowerOff() is the moment of the cut: from then on every
// write, sync, rename, delete and new file fails, so nothing done after it
// can reach the disk. DropUnsyncedData(), once the database is closed, makes
// the disk look as it would after the reboot: each tracked file cut back to
// its synced length, and a file created and never synced removed.
//
// Simplifications, each in the direction of keeping more than a real disk
// might: renames and deletions are durable when they return (real ones need
// the directory synced), and data written to files this instance did not
// open is not tracked.
//
// Thread-safe.
#ifndef WARDEN_STORE_POWER_LOSS_FILE_SYSTEM_H_
#define WARDEN_STORE_POWER_LOSS_FILE_SYSTEM_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace warden {

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // Over the default file system.
  PowerLossFileSystem();

  const char* Name() const override { return "PowerLossFileSystem"; }

  // The cut: every later change fails with an I/O error.
  void PowerOff();
  bool powered_off() const { return powered_off_.load(); }

  // After PowerOff and once nothing writes any more (the database closed):
  // cuts each tracked file back to its synced length and removes those
  // created here and never synced. Returns how many bytes were dropped.
  StatusOr<uint64_t> DropUnsyncedData();

  // Bytes written through this file system and synced, all files together.
  uint64_t synced_bytes() const;

  // An Env for RocksDbOptions::env on this file system; `fs` must outlive it.
  static std::unique_ptr<rocksdb::Env> NewEnv(const std::shared_ptr<PowerLossFileSystem>& fs);

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& fname, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;

 private:
  // What is known of one file written here.
  struct FileState {
    uint64_t size = 0;     // bytes written
    uint64_t synced = 0;   // bytes durable: `size` at the last Sync/Fsync
    bool created = false;  // created (or emptied) by this file system
  };

  class TrackedFile;
  friend class TrackedFile;

  // Wraps `file`, just opened as `fname` (emptied unless `reopened`).
  rocksdb::IOStatus Track(const std::string& fname, bool reopened,
                          std::unique_ptr<rocksdb::FSWritableFile>* file);
  void Appended(const std::string& fname, uint64_t bytes) EXCLUDES(mu_);
  void Synced(const std::string& fname) EXCLUDES(mu_);
  void Resized(const std::string& fname, uint64_t size) EXCLUDES(mu_);

  std::atomic<bool> powered_off_{false};
  mutable Mutex mu_;
  std::map<std::string, FileState> files_ GUARDED_BY(mu_);
};

}  // namespace warden

#endif  // WARDEN_STORE_POWER_LOSS_FILE_SYSTEM_H_
