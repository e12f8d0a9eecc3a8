// Shipping off the machine (G6): checkpoints sent to a real syslog collector
// (rsyslogd on loopback, receiving over TCP) come back out of the
// collector's file as a copy that verifies and that catches a truncated store.
#include "audit/audit_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "audit/audit_log.h"
#include "audit/audit_test_util.h"
#include "audit/audit_verify.h"
#include "core/bytes.h"
#include "store/memory_store.h"
#include "store/store_test_util.h"

extern char** environ;

namespace warden::audit {
namespace {

using testing::Officer;
using testing::ReadOf;
using testing::SyntheticId;

std::string FindRsyslogd() {
  for (const char* path : {"/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/local/sbin/rsyslogd"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool Accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// rsyslogd in the foreground, receiving RFC 5424 over TCP on loopback and
// writing every message to `collected` with its timestamp, host and tag.
class SyslogCollector {
 public:
  static std::unique_ptr<SyslogCollector> Start(const std::string& binary) {
    std::string tmpl = ::testing::TempDir() + "syslog_collector_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return nullptr;
    auto c = std::unique_ptr<SyslogCollector>(new SyslogCollector());
    c->dir_ = tmpl;
    c->port_ = FreeLoopbackPort();
    const std::string conf = c->dir_ + "/rsyslog.conf";
    std::ofstream(conf) << "global(workDirectory=\"" << c->dir_ << "\")\n"
                        << "module(load=\"imtcp\")\n"
                        << "template(name=\"collected\" type=\"string\" string=\""
                        << "%TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME%: %msg%\\n\")\n"
                        << "ruleset(name=\"collect\") { action(type=\"omfile\" file=\""
                        << c->collected() << "\" template=\"collected\") }\n"
                        << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << c->port_
                        << "\" ruleset=\"collect\")\n";
    const std::string pid_file = c->dir_ + "/rsyslogd.pid";
    std::vector<std::string> args = {binary, "-n", "-f", conf, "-i", pid_file};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&c->pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      return nullptr;
    }
    for (int i = 0; i < 100 && !Accepts(c->port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Accepts(c->port_) ? std::move(c) : nullptr;
  }
  ~SyslogCollector() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  uint16_t port() const { return port_; }
  std::string collected() const { return dir_ + "/collected.log"; }

  // The collector's file once it holds `lines` checkpoint lines (it writes
  // asynchronously), or whatever it holds after a few seconds.
  std::string WaitForCheckpoints(size_t lines) const {
    std::string text;
    for (int i = 0; i < 100; ++i) {
      StatusOr<std::string> read = FileSystem::Default().Exists(collected())
                                       ? FileSystem::Default().ReadFile(collected())
                                       : StatusOr<std::string>(std::string());
      text = read.ok() ? *read : "";
      if (ParseShippedLog(text).checkpoints.size() >= lines) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return text;
  }

 private:
  SyslogCollector() = default;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST(RemoteSyslogSinkTest, CollectedCopyVerifiesAndCatchesATailCutWithItsCheckpoints) {
  const std::string rsyslogd = FindRsyslogd();
  WARDEN_REQUIRE_OR_SKIP(!rsyslogd.empty(), "rsyslogd is not installed (scripts/bootstrap)");
  std::unique_ptr<SyslogCollector> collector = SyslogCollector::Start(rsyslogd);
  ASSERT_NE(collector, nullptr) << "rsyslogd did not start";

  MemoryStore store;
  std::vector<AuditAlertKind> alerts;
  AuditLogOptions options;
  options.checkpoint_every = 10;
  options.checkpoint_interval = std::chrono::hours(1);
  options.sinks.push_back(std::make_shared<RemoteSyslogSink>("127.0.0.1", collector->port()));
  options.on_alert = [&alerts](const AuditAlert& a) { alerts.push_back(a.kind); };
  auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 35; ++i) {
    ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  log->reset();  // checkpoints at 10, 20, 30 and, at stop, 35
  EXPECT_TRUE(alerts.empty());

  const std::string collected = collector->WaitForCheckpoints(4);
  StatusOr<VerifyReport> copy = VerifyShippedLog(collected, {});
  ASSERT_TRUE(copy.ok());
  EXPECT_TRUE(copy->ok()) << copy->Summary();
  EXPECT_TRUE(copy->checkpoints_only);
  EXPECT_EQ(copy->checkpoints, 4u);
  EXPECT_EQ(copy->last_checkpoint_seq, 35u);

  VerifyOptions against;
  against.shipped = ParseShippedLog(collected).checkpoints;
  StatusOr<VerifyReport> intact = VerifyStoredLog(store, against);
  ASSERT_TRUE(intact.ok());
  EXPECT_TRUE(intact->ok()) << intact->Summary();

  // Disk access: the tail and its checkpoints go, the head is rewritten.
  WriteBatch cut;
  for (uint64_t s = 3; s <= 35; ++s) cut.Delete(Space::kAudit, audit_keys::Entry(s));
  for (uint64_t s : {10, 20, 30, 35}) cut.Delete(Space::kAudit, audit_keys::Checkpoint(s));
  std::string head;
  PutBigEndian64(head, 2);
  cut.Put(Space::kAudit, "m/head", head);
  ASSERT_TRUE(store.Write(cut).ok());
  StatusOr<VerifyReport> alone = VerifyStoredLog(store, {});
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE(alone->ok()) << alone->Summary();
  StatusOr<VerifyReport> cut_short = VerifyStoredLog(store, against);
  ASSERT_TRUE(cut_short.ok());
  ASSERT_FALSE(cut_short->ok()) << "truncation went unnoticed: " << cut_short->Summary();
  EXPECT_EQ(cut_short->chain_break->kind, ChainBreakKind::kTruncated);
  EXPECT_EQ(cut_short->chain_break->seq, 3u);
}

TEST(RemoteSyslogSinkTest, UnreachableCollectorFailsQuicklyAndIsAlertedWhileRequestsSucceed) {
  MemoryStore store;
  std::vector<AuditAlertKind> alerts;
  AuditLogOptions options;
  options.checkpoint_every = 2;
  options.sinks.push_back(std::make_shared<RemoteSyslogSink>(
      "127.0.0.1", FreeLoopbackPort(), "warden-audit", std::chrono::milliseconds(200)));
  options.on_alert = [&alerts](const AuditAlert& a) { alerts.push_back(a.kind); };
  auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
  ASSERT_TRUE(log.ok());
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  log->reset();
  EXPECT_EQ(std::count(alerts.begin(), alerts.end(), AuditAlertKind::kSinkFailed), 1);
  EXPECT_EQ(std::count(alerts.begin(), alerts.end(), AuditAlertKind::kSinkRecovered), 0);
}

TEST(SyslogAddressTest, TcpHostAndPortAreParsedAndAnythingElseNamesTheRule) {
  auto v4 = ParseSyslogAddress("tcp://192.0.2.7:6514");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->first, "192.0.2.7");
  EXPECT_EQ(v4->second, 6514);
  auto v6 = ParseSyslogAddress("tcp://[2001:db8::1]:514");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "2001:db8::1");
  for (const char* bad :
       {"udp://h:514", "tcp://h", "tcp://:514", "tcp://h:0", "tcp://h:70000", "tcp://h:51x"}) {
    EXPECT_EQ(ParseSyslogAddress(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace warden::audit
