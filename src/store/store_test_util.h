// Test support for the store layer: scratch directories and backend
// factories used by the conformance suite, the crash test and benchmarks.
#ifndef WARDEN_STORE_STORE_TEST_UTIL_H_
#define WARDEN_STORE_STORE_TEST_UTIL_H_

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace warden {

// A fresh directory under the system temp directory, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "warden-store-test-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made != nullptr) path_ = made;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Empty when the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether the tests run in CI (CI=true), where every backend and service a
// test needs must be there: a missing one fails the test instead of skipping
// it, so that "100% passed" cannot hide a backend that never ran.
inline bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// In a test body or SetUp: unless `available`, skips the test with `why`
// (outside CI) or fails it (in CI, see RunningInCi).
#define WARDEN_REQUIRE_OR_SKIP(available, why)           \
  if (available) {                                       \
  } else if (::warden::RunningInCi())                    \
    GTEST_FAIL() << "required under CI=true: " << (why); \
  else                                                   \
    GTEST_SKIP() << (why)

// The PostgreSQL connection string for tests, or empty when WARDEN_TEST_PG is
// unset (PostgreSQL tests then skip, or fail under CI=true).
inline std::string TestPostgresConnection() {
  const char* conn = std::getenv("WARDEN_TEST_PG");
  return conn == nullptr ? std::string() : std::string(conn);
}

// For crash tests: starts `program` with `args` and its stdout on a pipe;
// returns its pid (-1 on failure) and the pipe's read end in `read_fd`.
inline pid_t SpawnWithStdoutPipe(const char* program, const std::vector<std::string>& args,
                                 int& read_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::vector<std::string> owned = args;
  std::vector<char*> argv = {const_cast<char*>(program)};
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(program, argv.data());
    _exit(127);
  }
  close(fds[1]);
  read_fd = fds[0];
  return pid;
}

// Reads from `fd` into `pending` until it holds at least `bytes`; false if
// they do not arrive within a minute (or the pipe closes first).
inline bool AwaitBytes(int fd, std::string& pending, size_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  char buffer[64];
  while (pending.size() < bytes && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    pending.append(buffer, size_t(n));
  }
  return pending.size() >= bytes;
}

// Appends to `pending` what is left in `fd` (the writer is gone), then
// closes it.
inline void DrainAndClose(int fd, std::string& pending) {
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) pending.append(buffer, size_t(n));
  close(fd);
}

}  // namespace warden

#endif  // WARDEN_STORE_STORE_TEST_UTIL_H_
