// Test support for the store layer: scratch directories and backend
// factories used by the conformance suite, the crash test and benchmarks.
#ifndef WARDEN_STORE_STORE_TEST_UTIL_H_
#define WARDEN_STORE_STORE_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

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

}  // namespace warden

#endif  // WARDEN_STORE_STORE_TEST_UTIL_H_
