#include "core/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warden {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string message = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return NotFound(std::move(message));
  if (err == ENOSPC || err == EDQUOT || err == EIO) return Unavailable(std::move(message));
  return Internal(std::move(message));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open dir", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : ErrnoStatus("fsync dir", dir, err);
}

FileInfo InfoOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  StatusOr<size_t> ReadAt(uint64_t offset, size_t n, std::string& out) override {
    const size_t old = out.size();
    out.resize(old + n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out.data() + old + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        out.resize(old);
        return ErrnoStatus("read", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(old + got);
    return got;
  }

  StatusOr<FileInfo> Stat() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
    return InfoOf(st);
  }

 private:
  const int fd_;
  const std::string path_;
};

class PosixAppendableFile : public AppendableFile {
 public:
  PosixAppendableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override { return WriteAll(fd_, data, path_); }
  Status Sync() override {
    return ::fdatasync(fd_) == 0 ? Status::Ok() : ErrnoStatus("fdatasync", path_, errno);
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? Status::Ok() : ErrnoStatus("close", path_, errno);
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem : public FileSystem {
 public:
  StatusOr<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    std::string out;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return ErrnoStatus("read", path, err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Status WriteFileAtomic(const std::string& path, std::string_view contents, int mode) override {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus("create", tmp, errno);
    Status st = WriteAll(fd, contents, tmp);
    if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus("fsync", tmp, errno);
    ::close(fd);
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
      st = ErrnoStatus("rename", path, errno);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    return SyncDir(DirOf(path));
  }

  StatusOr<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(fd, path));
  }

  StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(const std::string& path,
                                                           int mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<AppendableFile>(new PosixAppendableFile(fd, path));
  }

  StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return InfoOf(st);
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    return ::truncate(path.c_str(), static_cast<off_t>(size)) == 0
               ? Status::Ok()
               : ErrnoStatus("truncate", path, errno);
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status CreateDirs(const std::string& path, int mode) override {
    if (path.empty()) return Status::Ok();
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      std::string prefix = path.substr(0, pos);
      if (prefix.empty()) continue;
      if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
        return ErrnoStatus("mkdir", prefix, errno);
      }
    }
    return Status::Ok();
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus("opendir", path, errno);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status Remove(const std::string& path) override {
    return ::unlink(path.c_str()) == 0 ? Status::Ok() : ErrnoStatus("unlink", path, errno);
  }

  StatusOr<uint64_t> FreeBytes(const std::string& path) override {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return ErrnoStatus("statvfs", path, errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
};

}  // namespace

FileSystem& FileSystem::Default() {
  static PosixFileSystem* fs = new PosixFileSystem();
  return *fs;
}

class FaultInjectingFileSystem::FaultyFile : public AppendableFile {
 public:
  FaultyFile(std::unique_ptr<AppendableFile> base, const FaultInjectingFileSystem& owner)
      : base_(std::move(base)), owner_(owner) {}
  Status Append(std::string_view data) override {
    if (owner_.writes_fail()) return owner_.InjectedFailure();
    return base_->Append(data);
  }
  Status Sync() override {
    if (owner_.writes_fail()) return owner_.InjectedFailure();
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }

 private:
  std::unique_ptr<AppendableFile> base_;
  const FaultInjectingFileSystem& owner_;
};

Status FaultInjectingFileSystem::InjectedFailure() const {
  return Unavailable("injected write failure: no space left on device");
}

StatusOr<std::string> FaultInjectingFileSystem::ReadFile(const std::string& path) {
  return base_.ReadFile(path);
}

Status FaultInjectingFileSystem::WriteFileAtomic(const std::string& path, std::string_view contents,
                                                 int mode) {
  if (writes_fail_) return InjectedFailure();
  return base_.WriteFileAtomic(path, contents, mode);
}

StatusOr<std::unique_ptr<AppendableFile>> FaultInjectingFileSystem::OpenAppendable(
    const std::string& path, int mode) {
  if (writes_fail_) return InjectedFailure();
  ASSIGN_OR_RETURN(auto file, base_.OpenAppendable(path, mode));
  return std::unique_ptr<AppendableFile>(new FaultyFile(std::move(file), *this));
}

StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectingFileSystem::OpenRandomAccess(
    const std::string& path) {
  return base_.OpenRandomAccess(path);
}

StatusOr<FileInfo> FaultInjectingFileSystem::Stat(const std::string& path) {
  return base_.Stat(path);
}

Status FaultInjectingFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (writes_fail_) return InjectedFailure();
  return base_.Truncate(path, size);
}

bool FaultInjectingFileSystem::Exists(const std::string& path) { return base_.Exists(path); }

Status FaultInjectingFileSystem::CreateDirs(const std::string& path, int mode) {
  if (writes_fail_) return InjectedFailure();
  return base_.CreateDirs(path, mode);
}

StatusOr<std::vector<std::string>> FaultInjectingFileSystem::ListDir(const std::string& path) {
  return base_.ListDir(path);
}

Status FaultInjectingFileSystem::Remove(const std::string& path) { return base_.Remove(path); }

StatusOr<uint64_t> FaultInjectingFileSystem::FreeBytes(const std::string& path) {
  if (writes_fail_) return uint64_t{0};
  return base_.FreeBytes(path);
}

}  // namespace warden
