// Crash test (G1): a child process appends audit entries from several threads
// to a RocksDB store and reports each acknowledged seq through a pipe; it is
// killed with SIGKILL at random moments, again and again. After every restart
// each acknowledged entry must be in the store and the chain must verify.
//
// The child is this same test binary, re-executed with only the child test
// selected and WARDEN_AUDIT_CRASH_CHILD naming its store directory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include "audit/audit_log.h"
#include "audit/audit_test_util.h"
#include "store/rocksdb_store.h"

namespace warden::audit {
namespace {

using testing::Officer;
using testing::ReadOf;
using testing::SyntheticId;

constexpr const char* kChildEnv = "WARDEN_AUDIT_CRASH_CHILD";
constexpr const char* kPipeEnv = "WARDEN_AUDIT_CRASH_PIPE";

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "audit_crash_XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

StatusOr<std::unique_ptr<RocksDbStore>> OpenSmallStore(const std::string& path) {
  RocksDbOptions options;
  options.block_cache_bytes = size_t{16} << 20;
  options.write_buffer_total_bytes = size_t{16} << 20;
  options.write_buffer_bytes = size_t{4} << 20;
  return RocksDbStore::Open(path, options);
}

// Runs only inside the child process: appends until killed.
TEST(AuditCrashChild, AppendUntilKilled) {
  const char* dir = std::getenv(kChildEnv);
  const char* pipe_fd = std::getenv(kPipeEnv);
  if (dir == nullptr || pipe_fd == nullptr) GTEST_SKIP() << "runs only as the crash child";
  int fd = std::atoi(pipe_fd);
  auto store = OpenSmallStore(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  AuditLogOptions options;
  options.checkpoint_every = 64;
  auto log = AuditLog::Open(**store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        StatusOr<uint64_t> seq =
            (*log)->Append(ReadOf(Officer("officer-" + std::to_string(t)), SyntheticId(i)));
        if (!seq.ok()) continue;
        uint64_t v = *seq;
        // 8 bytes < PIPE_BUF: each report arrives whole.
        if (::write(fd, &v, sizeof(v)) != sizeof(v)) std::_Exit(3);
      }
    });
  }
  for (auto& t : threads) t.join();
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

// Starts the child, collects acknowledged seqs for `run_for`, kills it.
std::vector<uint64_t> RunChildAndKill(const std::string& dir, std::chrono::milliseconds run_for) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  // Everything the child needs is built before fork(): between fork and exec
  // only async-signal-safe calls are allowed.
  std::string exe = SelfPath();
  std::string filter = "--gtest_filter=AuditCrashChild.*";
  std::string child_env = std::string(kChildEnv) + "=" + dir;
  std::string pipe_env = std::string(kPipeEnv) + "=100";
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(child_env.data());
  envp.push_back(pipe_env.data());
  envp.push_back(nullptr);
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 100);  // survives exec; the original fds close on exec
    ::execve(exe.c_str(), argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::vector<uint64_t> acked;
  std::string pending;
  auto deadline = std::chrono::steady_clock::now() + run_for;
  bool killed = false;
  for (;;) {
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    ::poll(&p, 1, 5);
    char buf[4096];
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n == 0) break;  // the child is gone and the pipe drained
    if (n < 0) continue;
    pending.append(buf, static_cast<size_t>(n));
    size_t whole = pending.size() / 8 * 8;
    for (size_t i = 0; i < whole; i += 8) {
      uint64_t v;
      std::memcpy(&v, pending.data() + i, 8);
      acked.push_back(v);
    }
    pending.erase(0, whole);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the child ended before it was killed";
  return acked;
}

TEST(AuditCrashTest, EveryAcknowledgedEntrySurvivesKillNine) {
  if (std::getenv(kChildEnv) != nullptr) GTEST_SKIP();
  const std::string dir = MakeTempDir() + "/db";
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> run_ms(150, 700);
  uint64_t total_acked = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<uint64_t> acked = RunChildAndKill(dir, std::chrono::milliseconds(run_ms(rng)));
    total_acked += acked.size();
    auto store = OpenSmallStore(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (uint64_t seq : acked) {
      auto entry = (*store)->Get(Space::kAudit, audit_keys::Entry(seq));
      ASSERT_TRUE(entry.ok());
      ASSERT_TRUE(entry->has_value()) << "acknowledged entry " << seq << " lost in round " << round;
    }
    StatusOr<VerifyReport> report = VerifyStoredLog(**store, {});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << "round " << round << ": " << report->Summary();
  }
  EXPECT_GT(total_acked, 100u) << "the child hardly appended anything";
  std::cout << "acknowledged entries over 6 kills: " << total_acked << "\n";
}

TEST(AuditRocksDbTest, LogSurvivesReopenAndVerifiesWithQueriesIntact) {
  if (std::getenv(kChildEnv) != nullptr) GTEST_SKIP();
  const std::string dir = MakeTempDir() + "/db";
  {
    auto store = OpenSmallStore(dir);
    ASSERT_TRUE(store.ok());
    AuditLogOptions options;
    options.checkpoint_every = 16;
    options.checkpoint_interval = std::chrono::hours(1);
    auto log = AuditLog::Open(**store, testing::TestHashKey(), testing::TestSignSeed(),
                              testing::TestContextKeys(), std::move(options));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*log)->Append(ReadOf(Officer("alice"), SyntheticId(i))).ok());
    }
  }
  auto store = OpenSmallStore(dir);
  ASSERT_TRUE(store.ok());
  auto log = AuditLog::Open(**store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), {});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->last_seq(), 100u);
  StatusOr<AccessReport> report =
      (*log)->ReportAccess(testing::Auditor(), {IdentifierKind::kNationalId, SyntheticId(42)});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->records.size(), 1u);
  EXPECT_EQ(report->records[0].entry.seq, 43u);
  StatusOr<VerifyReport> verified = (*log)->Verify(testing::Auditor(), {});
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->Summary();
  EXPECT_EQ(verified->checkpoints, 7u);       // every 16 entries, and one at stop over 97..100
  EXPECT_EQ(verified->unsigned_entries, 1u);  // the access report's own entry, 101
}

}  // namespace
}  // namespace warden::audit
