#include "ingest/rejects_file.h"

namespace warden::ingest {

Status RejectsFile::Open(FileSystem& fs, const std::string& path, uint64_t keep_bytes) {
  fs_ = &fs;
  path_ = path;
  size_ = 0;
  buffer_.clear();
  StatusOr<std::unique_ptr<AppendableFile>> file = fs.OpenAppendable(path, 0600);
  if (!file.ok()) return file.status().WithContext("opening the rejects file");
  file_ = std::move(file).value();
  StatusOr<FileInfo> info = fs.Stat(path);
  if (!info.ok()) return info.status().WithContext("opening the rejects file");
  if (info->size < keep_bytes) {
    return DataLoss("the rejects file is shorter than the import progress recorded",
                    "rejects_truncated");
  }
  // Appends go to the end of the file, wherever it was cut.
  if (Status s = fs.Truncate(path, keep_bytes); !s.ok()) {
    return s.WithContext("cutting the rejects file to the recorded progress");
  }
  size_ = keep_bytes;
  return Status::Ok();
}

Status RejectsFile::Sync() {
  if (file_ == nullptr) return Internal("the rejects file is not open");
  Status s = file_->Append(buffer_);
  if (s.ok()) s = file_->Sync();
  if (!s.ok()) {
    // Best effort: what did reach the file is not recorded anywhere.
    Rewind(size_).IgnoreError();
    return s.WithContext("writing the rejects file");
  }
  size_ += buffer_.size();
  buffer_.clear();
  return Status::Ok();
}

Status RejectsFile::Rewind(uint64_t bytes) {
  if (file_ == nullptr) return Internal("the rejects file is not open");
  buffer_.clear();
  if (bytes > size_) bytes = size_;
  if (Status s = fs_->Truncate(path_, bytes); !s.ok()) {
    return s.WithContext("cutting back the rejects file");
  }
  size_ = bytes;
  return Status::Ok();
}

}  // namespace warden::ingest
