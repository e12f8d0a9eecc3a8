// RejectsFile: the rejects file of an import (offline or online), one
// schema::RejectLine per rejected row in file order.
//
// Lines are buffered by Add() and written and made durable by Sync(), so a
// length read from size() after a successful Sync() is on disk and can be
// recorded in a progress marker. A resumed import opens the file at the
// length it recorded, cutting off whatever a stopped run wrote after it, so
// no row is rejected twice. Everything goes through a FileSystem, so tests can
// make writes fail.
//
// Not thread-safe. The FileSystem must outlive the file.
#ifndef WARDEN_INGEST_REJECTS_FILE_H_
#define WARDEN_INGEST_REJECTS_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/file_system.h"
#include "core/status.h"

namespace warden::ingest {

class RejectsFile {
 public:
  RejectsFile() = default;
  RejectsFile(const RejectsFile&) = delete;
  RejectsFile& operator=(const RejectsFile&) = delete;

  // Opens `path` (creating it, mode 0600) and cuts it to `keep_bytes`, the
  // length a resumed import recorded (0 to start over). kDataLoss
  // "rejects_truncated" when the file is shorter than that; the file
  // system's error otherwise.
  Status Open(FileSystem& fs, const std::string& path, uint64_t keep_bytes);
  void Add(std::string_view line) { buffer_.append(line); }
  // Writes what was added and syncs it. On failure what was added is
  // dropped and the file is cut back to its length after the last successful
  // Sync, where the file system allows (a resumed import cuts it there in any
  // case).
  Status Sync();
  // Cuts the file back to `bytes` (at most its synced length) and drops what
  // was added since the last Sync: for an import that stops and must leave
  // only the rejects of what it committed.
  Status Rewind(uint64_t bytes);
  // Bytes written and buffered.
  uint64_t size() const { return size_ + buffer_.size(); }

 private:
  FileSystem* fs_ = nullptr;
  std::string path_;
  std::unique_ptr<AppendableFile> file_;
  uint64_t size_ = 0;  // written and synced
  std::string buffer_;
};

}  // namespace warden::ingest

#endif  // WARDEN_INGEST_REJECTS_FILE_H_
