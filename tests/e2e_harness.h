// The end-to-end harness: a real `warden` server process over HTTPS, with its
// data directory, its unseal shares and an account of every role.
//
// A Deployment runs, in order: `warden init` in a fresh temporary directory, a
// self-signed certificate, `warden serve --listen 127.0.0.1:0` with TLS (the
// port is read from the server's log), K unseal shares over HTTPS, the
// bootstrap of the first security officer and the creation and login of one
// account per role (TOTP codes computed here). Tests talk to it with Client,
// which writes real HTTP/1.1 over TLS and keeps its connection alive.
//
// The binary is the one CMake built (WARDEN_BINARY). Everything here aborts
// the calling test with a gtest failure on a setup error; nothing throws.
//
// Thread safety: none; one test thread.
#ifndef WARDEN_TESTS_E2E_HARNESS_H_
#define WARDEN_TESTS_E2E_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/test_client.h"

namespace warden::e2e {

using nlohmann::json;

// Header name -> value, sent as given (tests may send hostile values).
using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP answer as the client saw it.
struct Answer {
  int status = 0;  // 0 when no answer arrived (connection error)
  std::string transport_error;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  json body_json;  // discarded when the body is not JSON

  const std::string* Header(std::string_view name) const;
  // error.code of a SPEC error body, or "" when there is none.
  std::string ErrorCode() const;
  // Whether error.fields names `field` (and `rule`, when given).
  bool NamesField(std::string_view field, std::string_view rule = {}) const;
  // Whether the body is exactly the SPEC error shape:
  // {"error":{"code":string,"message":string,"fields":[{"field","rule"}...]}}.
  bool IsSpecError() const;
};

// For gtest messages: "status 404 {body}".
std::ostream& operator<<(std::ostream& out, const Answer& answer);

// An HTTPS (or plain) HTTP/1.1 client bound to one server port. Reuses its
// connection until the server closes it or asks to.
class Client {
 public:
  Client(uint16_t port, std::string ca_pem, bool tls = true);

  // A well-formed request; `body` (when set) is sent as application/json.
  Answer Call(std::string_view method, std::string_view target, const Headers& headers = {},
              const std::optional<json>& body = std::nullopt);
  // The same with a raw body and content type.
  Answer CallRaw(std::string_view method, std::string_view target, const Headers& headers,
                 std::string_view body, std::string_view content_type = "application/json");
  // Sends `bytes` exactly as given on a fresh connection and reads one answer.
  Answer SendBytes(std::string_view bytes);

  uint16_t port() const { return port_; }

 private:
  Answer Exchange(std::string_view bytes, bool fresh);
  http::TestClient::Options options() const;

  uint16_t port_;
  std::string ca_pem_;
  bool tls_;
  std::unique_ptr<http::TestClient> connection_;
};

// A human account and, once logged in, its session.
struct Account {
  std::string username;
  std::string password;
  std::string id;
  std::string totp_secret;  // Base32
  std::string token;        // bearer token of the current session
  int64_t last_totp_step = -1;

  // {"Authorization": "Bearer <token>"}
  Headers Auth() const;
  // Auth() plus Warden-Purpose (and Warden-Reason when not empty).
  Headers WithPurpose(std::string_view purpose = "case/2026-0042",
                      std::string_view reason = {}) const;
};

// A TOTP code for `account` that the server has not accepted yet (a code is
// accepted once per 30-second step); waits for the next step if it must.
std::string FreshTotp(Account& account);

// The result of running a program to completion.
struct ProgramRun {
  int exit_code = -1;  // -1 when it was killed by a signal or timed out
  std::string output;  // stdout and stderr, interleaved
};

// Runs `args` (args[0] is the program) with `stdin_text`; kills it after
// `timeout_ms`.
ProgramRun RunProgram(const std::vector<std::string>& args, std::string_view stdin_text = {},
                      int timeout_ms = 30'000);

// The `warden` binary under test.
std::string WardenBinary();

// A fresh directory under the system temp dir, removed (recursively) by the
// destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A `warden serve` child process. Stop() (or destruction) sends SIGTERM and
// waits, then SIGKILLs after a grace period.
class ServerProcess {
 public:
  // Starts `warden serve` with `extra_args` appended, logging to `log_path`,
  // and waits until it prints the address it serves on. Fails the test (and
  // returns null) when it exits or says nothing within the time limit.
  static std::unique_ptr<ServerProcess> Start(const std::string& data_dir,
                                              const std::vector<std::string>& extra_args,
                                              const std::string& log_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  bool running();
  // Exit code, or -1 when killed by a signal.
  int Stop();
  // SIGKILL, as a crash or power loss would end it.
  void Kill();
  std::string Log() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  int exit_code_ = -1;
};

// What `warden init` printed.
struct InitOutput {
  std::vector<std::string> shares;
  std::vector<std::string> bootstrap_tokens;  // two, one per first security officer
  int threshold = 0;
};

// Runs `warden init --data dir --shares 5 --threshold 3` and parses its output.
std::optional<InitOutput> InitDataDir(const std::string& data_dir);

// A synthetic GB 11643 resident ID: division + birth date (YYYYMMDD) +
// sequence (odd: male), with its ISO 7064 MOD 11-2 check character.
std::string ResidentId(std::string_view division, std::string_view birth_yyyymmdd, int sequence);
// The same number with a wrong check character.
std::string WithBadCheck(const std::string& id);

// A synthetic person that validates: born `birth` ("1985-03-07"), division
// 110105, `sequence` decides the gender, one mobile number per person.
struct SyntheticPerson {
  std::string id;
  std::string name;
  std::string birth_date;
  std::string phone_e164;
  json record;
};
SyntheticPerson MakePerson(int n, std::string_view name = "李秀英");

// One server with one account per role, shared by the tests of a suite.
class Deployment {
 public:
  struct Options {
    // Canary keys registered (offline, through the access layer) in the
    // persons collection before the server starts.
    std::vector<std::string> persons_canaries;
    // Accounts get a high request rate so tests measure the rule they test
    // and not the default rate limit.
    bool relax_rate_limits = true;
    // Appended to the `warden serve` command line at every start.
    std::vector<std::string> serve_args;
  };

  // Sets everything up; on failure reports it and returns null.
  static std::unique_ptr<Deployment> Create(const Options& options);
  static std::unique_ptr<Deployment> Create() { return Create(Options{}); }
  ~Deployment();

  Client& client() { return *client_; }
  // A client with its own connection (for raw and hostile requests).
  std::unique_ptr<Client> NewClient() const;
  uint16_t port() const { return process_->port(); }
  const std::string& data_dir() const { return data_dir_.path(); }
  const std::string& ca_pem() const { return ca_pem_; }
  const InitOutput& init() const { return init_; }
  ServerProcess& process() { return *process_; }

  // Accounts: "so" and "so2" (bootstrapped), "so3", "operator", "auditor",
  // "registrar", "officer", "officer2", "investigator".
  Account& account(const std::string& name) { return accounts_.at(name); }

  // Creates a human account holding `roles` the way a deployment does: asked
  // for by "so", approved by "so2", enrolled by its holder with both halves
  // of the code; then logs it in.
  std::optional<Account> AddAccount(const std::string& username,
                                    const std::vector<std::string>& roles);
  // `filed` is the answer to a change: 200 applied, or 202 with a request
  // that `approver` approves. Returns the approval's answer (or `filed`).
  Answer Approve(const Answer& filed, Account& approver);
  // Logs `account` in with a fresh TOTP code; stores the token.
  Answer Login(Account& account);
  // Submits the first `count` unseal shares; returns the last answer.
  Answer Unseal(int count);

  // Ends the server (SIGKILL when `crash`, else SIGTERM), starts it again on
  // the same data directory and unseals it. Sessions live in the store and
  // stay valid. False (with a test failure) if it does not come back.
  bool Restart(bool crash);

  // Writes `person` as the registrar; fails the test unless 201/200.
  void PutPerson(const SyntheticPerson& person);

  // The directory `warden init` made: what `warden serve --data` and the
  // offline commands take (data_dir() is its parent, which also holds the
  // certificate and the server's log).
  std::string warden_data_dir() const { return data_dir_.path() + "/data"; }
  // Stops the server (SIGTERM) and leaves it stopped, so that an offline
  // command may open the data directory. False (with a test failure) unless
  // it exits cleanly. Until Start(), client(), port() and process() must not
  // be used.
  bool Stop();
  // Starts the server again after Stop() on the same data directory and
  // unseals it; sessions stay valid, the port changes. True when already
  // serving.
  bool Start();
  bool serving() const { return process_ != nullptr; }

 private:
  Deployment() = default;
  bool SetUp(const Options& options);

  TempDir data_dir_;
  std::string ca_pem_;
  InitOutput init_;
  std::vector<std::string> serve_args_;
  std::unique_ptr<ServerProcess> process_;
  std::unique_ptr<Client> client_;
  std::map<std::string, Account> accounts_;
  bool relax_rate_limits_ = true;
};

// The fixture of a suite that shares one Deployment among its tests. A suite
// that needs other options defines its own SetUpTestSuite calling
// StartDeployment(options).
class E2eTest : public ::testing::Test {
 protected:
  static void StartDeployment(const Deployment::Options& options = {}) {
    deployment_ = Deployment::Create(options);
  }
  static void SetUpTestSuite() { StartDeployment(); }
  static void TearDownTestSuite() { deployment_.reset(); }
  void SetUp() override { ASSERT_NE(deployment_, nullptr) << "the deployment did not start"; }

  static Deployment& d() { return *deployment_; }
  static Client& client() { return deployment_->client(); }
  static Account& account(const std::string& name) { return deployment_->account(name); }

  static inline std::unique_ptr<Deployment> deployment_;
};

}  // namespace warden::e2e

#endif  // WARDEN_TESTS_E2E_HARNESS_H_
