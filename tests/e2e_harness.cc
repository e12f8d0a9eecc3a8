#include "tests/e2e_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "access/totp.h"
#include "core/clock.h"
#include "core/file_system.h"
#include "core/mutex.h"
#include "http/tls.h"
#include "node/data_dir.h"
#include "node/seal_gate.h"
#include "store/open_store.h"

namespace warden::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// Writing to a connection the server has closed must be an error, not a signal.
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Waits for `pid` up to `timeout`; its exit code, -1 for a signal, nullopt if still running.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

// ---- Answer ----

const std::string* Answer::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string Answer::ErrorCode() const {
  if (!body_json.is_object() || !body_json.contains("error")) return "";
  const json& e = body_json["error"];
  return e.is_object() && e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>()
                                                                      : "";
}

bool Answer::NamesField(std::string_view field, std::string_view rule) const {
  if (!IsSpecError()) return false;
  for (const json& f : body_json["error"]["fields"]) {
    if (f["field"] == field && (rule.empty() || f["rule"] == rule)) return true;
  }
  return false;
}

bool Answer::IsSpecError() const {
  if (!body_json.is_object() || body_json.size() != 1 || !body_json.contains("error")) return false;
  const json& e = body_json["error"];
  if (!e.is_object() || !e.contains("code") || !e["code"].is_string() ||
      e["code"].get<std::string>().empty() || !e.contains("message") || !e["message"].is_string() ||
      !e.contains("fields") || !e["fields"].is_array()) {
    return false;
  }
  for (const json& f : e["fields"]) {
    if (!f.is_object() || !f.contains("field") || !f["field"].is_string() || !f.contains("rule") ||
        !f["rule"].is_string()) {
      return false;
    }
  }
  return true;
}

std::ostream& operator<<(std::ostream& out, const Answer& answer) {
  out << "status " << answer.status;
  if (!answer.transport_error.empty()) out << " (" << answer.transport_error << ")";
  return out << " " << answer.body.substr(0, 600);
}

// ---- Client ----

Client::Client(uint16_t port, std::string ca_pem, bool tls)
    : port_(port), ca_pem_(std::move(ca_pem)), tls_(tls) {}

http::TestClient::Options Client::options() const {
  http::TestClient::Options o;
  o.tls = tls_;
  o.ca_pem = ca_pem_;
  o.timeout = std::chrono::milliseconds(20'000);
  return o;
}

namespace {

// With WARDEN_E2E_EXCHANGES naming a folder, every well-formed call (Call,
// not raw bytes) is appended there as one JSON line {method, target, status,
// request, content_type, body}, one file per process, for
// tests/console/openapi_exchanges_check.mjs to check against
// docs/openapi.yaml.
void LogExchange(std::string_view method, std::string_view target,
                 const std::optional<json>& request, const Answer& answer) {
  static const char* folder = std::getenv("WARDEN_E2E_EXCHANGES");
  if (folder == nullptr || *folder == '\0' || !answer.transport_error.empty()) return;
  struct Log {
    Mutex mu;
    std::ofstream out GUARDED_BY(mu);
  };
  static Log* log = new Log;  // never destroyed: calls may come from any thread until exit
  json line = {{"method", method}, {"target", target}, {"status", answer.status}};
  if (request) line["request"] = *request;
  const std::string* type = answer.Header("content-type");
  line["content_type"] = type ? *type : "";
  line["body"] = answer.body_json.is_discarded() ? json(answer.body) : answer.body_json;
  MutexLock lock(log->mu);
  if (!log->out.is_open()) {
    std::filesystem::create_directories(folder);
    log->out.open(std::string(folder) + "/exchanges-" + std::to_string(getpid()) + ".jsonl",
                  std::ios::app);
  }
  log->out << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
}

}  // namespace

Answer Client::Call(std::string_view method, std::string_view target, const Headers& headers,
                    const std::optional<json>& body) {
  Answer answer = CallRaw(method, target, headers, body ? body->dump() : std::string());
  LogExchange(method, target, body, answer);
  return answer;
}

Answer Client::CallRaw(std::string_view method, std::string_view target, const Headers& headers,
                       std::string_view body, std::string_view content_type) {
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  for (const auto& [name, value] : headers) req.append(name).append(": ").append(value) += "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (!body.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);
  return Exchange(req, /*fresh=*/false);
}

Answer Client::SendBytes(std::string_view bytes) { return Exchange(bytes, /*fresh=*/true); }

Answer Client::Exchange(std::string_view bytes, bool fresh) {
  Answer answer;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = connection_ != nullptr && !fresh;
    if (!reused) {
      connection_.reset();
      auto connected = http::TestClient::Connect(port_, options());
      if (!connected.ok()) {
        answer.transport_error = connected.status().ToString();
        return answer;
      }
      connection_ = std::move(connected).value();
    }
    Status sent = connection_->Send(bytes);
    StatusOr<http::ClientResponse> got =
        sent.ok() ? connection_->Receive() : StatusOr<http::ClientResponse>(sent);
    if (!got.ok()) {
      connection_.reset();
      answer.transport_error = got.status().ToString();
      // A kept-alive connection the server had already closed: once more, fresh.
      if (reused) continue;
      return answer;
    }
    answer.status = got->status;
    answer.headers = got->headers;
    answer.body = got->body;
    answer.body_json = json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    answer.transport_error.clear();
    const std::string* connection = answer.Header("connection");
    if (fresh || (connection != nullptr && connection->find("close") != std::string::npos)) {
      connection_.reset();
    }
    return answer;
  }
  return answer;
}

// ---- Accounts ----

Headers Account::Auth() const { return {{"Authorization", "Bearer " + token}}; }

Headers Account::WithPurpose(std::string_view purpose, std::string_view reason) const {
  Headers h = Auth();
  h.emplace_back("Warden-Purpose", std::string(purpose));
  if (!reason.empty()) h.emplace_back("Warden-Reason", std::string(reason));
  return h;
}

std::string FreshTotp(Account& account) {
  std::optional<SecretBytes> secret = access::Base32Decode(account.totp_secret);
  if (!secret) {
    ADD_FAILURE() << "bad TOTP secret for " << account.username;
    return "";
  }
  while (true) {
    const int64_t now_step = access::TotpStep(warden::Clock::Real().NowSeconds());
    // The server accepts one step either side of now, each step once.
    const int64_t step = std::max(now_step, account.last_totp_step + 1);
    if (step <= now_step + 1) {
      account.last_totp_step = step;
      return access::HotpCode(*secret, step);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// ---- Processes ----

std::string WardenBinary() {
  const char* override = std::getenv("WARDEN_E2E_BINARY");
  return override != nullptr ? override : WARDEN_BINARY;
}

ProgramRun RunProgram(const std::vector<std::string>& args, std::string_view stdin_text,
                      int timeout_ms) {
  ProgramRun run;
  int in_pipe[2];
  int out_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) {
    ADD_FAILURE() << "pipe failed";
    return run;
  }
  std::vector<char*> argv = Argv(args);
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(out_pipe[1], STDERR_FILENO);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (!stdin_text.empty()) {
    [[maybe_unused]] ssize_t n = write(in_pipe[1], stdin_text.data(), stdin_text.size());
  }
  close(in_pipe[1]);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    run.output.append(buf, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  std::optional<int> code = WaitFor(pid, std::chrono::milliseconds(5'000));
  if (!code) {
    kill(pid, SIGKILL);
    code = WaitFor(pid, std::chrono::milliseconds(5'000));
  }
  run.exit_code = code.value_or(-1);
  return run;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "warden-e2e-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& data_dir,
                                                    const std::vector<std::string>& extra_args,
                                                    const std::string& log_path) {
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->log_path_ = log_path;
  std::vector<std::string> args = {WardenBinary(), "serve", "--data", data_dir};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv = Argv(args);
  // A log left by an earlier run must not be mistaken for this one's.
  unlink(log_path.c_str());
  p->pid_ = fork();
  if (p->pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    const std::string log = p->Log();
    const size_t at = log.find("serving on http");
    if (at != std::string::npos) {
      const size_t end = log.find_first_of(" \n", at + 11);
      const std::string url = log.substr(at + 11, end - at - 11);
      const size_t colon = url.rfind(':');
      p->port_ = static_cast<uint16_t>(std::atoi(url.c_str() + colon + 1));
      if (p->port_ != 0) return p;
    }
    if (!p->running()) {
      ADD_FAILURE() << "warden serve exited with " << p->exit_code_ << ": " << log;
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "warden serve did not start: " << p->Log();
  return nullptr;
}

bool ServerProcess::running() {
  if (pid_ < 0) return false;
  std::optional<int> code = WaitFor(pid_, std::chrono::milliseconds(0));
  if (!code) return true;
  exit_code_ = *code;
  pid_ = -1;
  return false;
}

int ServerProcess::Stop() {
  if (running()) {
    kill(pid_, SIGTERM);
    std::optional<int> code = WaitFor(pid_, std::chrono::seconds(15));
    if (!code) {
      kill(pid_, SIGKILL);
      code = WaitFor(pid_, std::chrono::seconds(5));
    }
    exit_code_ = code.value_or(-1);
    pid_ = -1;
  }
  return exit_code_;
}

void ServerProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  exit_code_ = WaitFor(pid_, std::chrono::seconds(5)).value_or(-1);
  pid_ = -1;
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::Log() const { return ReadWholeFile(log_path_); }

std::optional<InitOutput> InitDataDir(const std::string& data_dir) {
  ProgramRun run =
      RunProgram({WardenBinary(), "init", "--data", data_dir, "--shares", "5", "--threshold", "3"});
  if (run.exit_code != 0) {
    ADD_FAILURE() << "warden init failed (" << run.exit_code << "): " << run.output;
    return std::nullopt;
  }
  InitOutput out;
  out.threshold = 3;
  std::istringstream lines(run.output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t share = line.find("share ");
    const size_t colon = line.find(": ");
    if (line.find("bootstrap token ") != std::string::npos && colon != std::string::npos) {
      out.bootstrap_tokens.push_back(line.substr(colon + 2));
    } else if (share != std::string::npos && colon != std::string::npos && share < colon &&
               line.find("Unseal") == std::string::npos) {
      out.shares.push_back(line.substr(colon + 2));
    }
  }
  if (out.shares.size() != 5 || out.bootstrap_tokens.size() != 2) {
    ADD_FAILURE() << "could not read shares and token from: " << run.output;
    return std::nullopt;
  }
  return out;
}

// ---- Synthetic data ----

namespace {

// `value` (non-negative) in decimal, zero-padded to `width` digits.
std::string Padded(int value, size_t width) {
  std::string digits = std::to_string(value);
  return std::string(digits.size() < width ? width - digits.size() : 0, '0') + digits;
}

}  // namespace

std::string ResidentId(std::string_view division, std::string_view birth_yyyymmdd, int sequence) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  std::string id = std::string(division) + std::string(birth_yyyymmdd) + Padded(sequence % 1000, 3);
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[static_cast<size_t>(i)] - '0') * kWeights[i];
  return id + "10X98765432"[sum % 11];
}

std::string WithBadCheck(const std::string& id) {
  std::string bad = id;
  bad.back() = bad.back() == '0' ? '1' : '0';
  return bad;
}

SyntheticPerson MakePerson(int n, std::string_view name) {
  SyntheticPerson p;
  const int year = 1950 + n % 50;
  const int month = 1 + (n / 50) % 12;
  const int day = 1 + (n / 600) % 28;
  p.birth_date = Padded(year, 4) + "-" + Padded(month, 2) + "-" + Padded(day, 2);
  const std::string compact =
      p.birth_date.substr(0, 4) + p.birth_date.substr(5, 2) + p.birth_date.substr(8, 2);
  const int sequence = (n / 16800) % 500 * 2 + 1;  // odd: male
  p.id = ResidentId("110105", compact, sequence);
  p.name = std::string(name);
  p.phone_e164 = "+86138" + Padded(10'000'000 + n, 8);
  p.record = {{"national_id", p.id},
              {"name", p.name},
              {"gender", "male"},
              {"birth_date", p.birth_date},
              {"ethnicity", "汉族"},
              {"birthplace", "110105"},
              {"hukou_address", "北京市朝阳区建外街道光华路8号"},
              {"current_address", "上海市浦东新区花木街道世纪大道100号"},
              {"phones", json::array({p.phone_e164})},
              {"height_cm", 175},
              {"education", "bachelor"},
              {"marital_status", "married"},
              {"notes", "synthetic test person"}};
  return p;
}

// ---- Deployment ----

namespace {

// Marks `keys` of `collection` as canaries through the access layer while no
// server holds the store, as `warden import` does for a file made by
// `warden gen --canaries`.
bool RegisterCanariesOffline(const std::string& data_dir, const InitOutput& init,
                             const std::string& collection, const std::vector<std::string>& keys) {
  auto spec = node::StoreSpecOf(data_dir, "");
  if (!spec.ok()) return false;
  auto store = OpenStore(*spec);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return false;
  }
  auto schema = node::ReadSchema(**store);
  auto config = node::ReadSealConfig(data_dir);
  if (!schema.ok() || !config.ok()) return false;
  node::SealGate gate(**store, *schema, *config, warden::Clock::Real(), {});
  for (int i = 0; i < init.threshold; ++i) {
    auto progress = gate.SubmitShare(init.shares[static_cast<size_t>(i)]);
    if (!progress.ok()) {
      ADD_FAILURE() << progress.status().ToString();
      return false;
    }
  }
  std::shared_ptr<node::UnsealedServices> services = gate.services();
  if (services == nullptr) return false;
  Status st = services->access->tripwires().RegisterCanariesOffline(collection, keys);
  EXPECT_TRUE(st.ok()) << st.ToString();
  services.reset();
  gate.Seal();
  return st.ok();
}

}  // namespace

std::unique_ptr<Deployment> Deployment::Create(const Options& options) {
  std::unique_ptr<Deployment> d(new Deployment());
  if (!d->SetUp(options)) return nullptr;
  return d;
}

Deployment::~Deployment() {
  client_.reset();
  if (process_ == nullptr) return;
  const bool crashed = !process_->running();
  const int code = process_->Stop();
  // A server that died under the tests, or that did not stop cleanly, is a finding.
  EXPECT_FALSE(crashed) << "warden serve died during the tests; its log:\n" << process_->Log();
  EXPECT_EQ(code, 0) << "warden serve did not stop cleanly; its log:\n" << process_->Log();
}

std::unique_ptr<Client> Deployment::NewClient() const {
  return std::make_unique<Client>(process_->port(), ca_pem_);
}

bool Deployment::SetUp(const Options& options) {
  relax_rate_limits_ = options.relax_rate_limits;
  const std::string dir = data_dir_.path() + "/data";
  std::optional<InitOutput> init = InitDataDir(dir);
  if (!init) return false;
  init_ = *init;
  if (!options.persons_canaries.empty() &&
      !RegisterCanariesOffline(dir, init_, "persons", options.persons_canaries)) {
    ADD_FAILURE() << "could not register canaries";
    return false;
  }

  auto credentials = http::GenerateSelfSignedCertificate();
  if (!credentials.ok()) {
    ADD_FAILURE() << credentials.status().ToString();
    return false;
  }
  ca_pem_ = credentials->certificate_chain_pem;
  const std::string cert = data_dir_.path() + "/cert.pem";
  const std::string key = data_dir_.path() + "/key.pem";
  Status written = http::WriteTlsCredentials(FileSystem::Default(), *credentials, cert, key);
  if (!written.ok()) {
    ADD_FAILURE() << written.ToString();
    return false;
  }
  serve_args_ = {"--listen",  "127.0.0.1:0", "--tls-cert",   cert,
                 "--tls-key", key,           "--io-threads", "2"};
  serve_args_.insert(serve_args_.end(), options.serve_args.begin(), options.serve_args.end());
  process_ = ServerProcess::Start(dir, serve_args_, data_dir_.path() + "/serve.log");
  if (!process_) return false;
  client_ = NewClient();

  Answer unsealed = Unseal(init_.threshold);
  if (unsealed.status != 200 || unsealed.body_json.value("sealed", true)) {
    ADD_FAILURE() << "unseal: " << unsealed;
    return false;
  }

  // The two bootstrap tokens make the first two security officers.
  for (size_t i = 0; i < 2; ++i) {
    const std::string name = i == 0 ? "so" : "so2";
    Account so{.username = i == 0 ? "so.first" : "so.second",
               .password = "correct horse battery staple " + name};
    Answer boot = client_->Call("POST", "/v1/auth/bootstrap",
                                {{"Authorization", "Bearer " + init_.bootstrap_tokens[i]}},
                                json{{"username", so.username}, {"password", so.password}});
    if (boot.status != 201) {
      ADD_FAILURE() << "bootstrap " << name << ": " << boot;
      return false;
    }
    so.id = boot.body_json.value("account_id", "");
    so.totp_secret = boot.body_json.value("totp_secret", "");
    accounts_[name] = so;
    if (Answer login = Login(accounts_[name]); login.status != 200) {
      ADD_FAILURE() << "login " << name << ": " << login;
      return false;
    }
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> roles = {
      {"so3", {"security_officer"}},     {"operator", {"operator"}}, {"auditor", {"auditor"}},
      {"registrar", {"registrar"}},      {"officer", {"officer"}},   {"officer2", {"officer"}},
      {"investigator", {"investigator"}}};
  for (const auto& [name, account_roles] : roles) {
    std::optional<Account> a = AddAccount("e2e." + name, account_roles);
    if (!a) return false;
    accounts_[name] = *a;
  }
  if (relax_rate_limits_) {
    // No one changes their own policy, and no one approves their own request:
    // "so2" asks for the first officers' higher rate, "so3" approves.
    for (const std::string name : {"so", "so2"}) {
      const std::string asker = name == "so" ? "so2" : "so";
      Answer relaxed =
          Approve(client_->Call("PATCH", "/v1/admin/accounts/" + accounts_[name].id,
                                accounts_[asker].Auth(),
                                json{{"policy", {{"rate_per_second", 1000}, {"burst", 1000}}}}),
                  accounts_["so3"]);
      if (relaxed.status != 200) {
        ADD_FAILURE() << "relax " << name << ": " << relaxed;
        return false;
      }
    }
  }
  return true;
}

bool Deployment::Restart(bool crash) {
  client_.reset();
  if (crash) {
    process_->Kill();
  } else if (int code = process_->Stop(); code != 0) {
    ADD_FAILURE() << "warden serve exited with " << code << ": " << process_->Log();
  }
  process_ = ServerProcess::Start(data_dir_.path() + "/data", serve_args_,
                                  data_dir_.path() + "/serve.log");
  if (!process_) return false;
  client_ = NewClient();
  Answer unsealed = Unseal(init_.threshold);
  if (unsealed.status != 200 || unsealed.body_json.value("sealed", true)) {
    ADD_FAILURE() << "unseal after restart: " << unsealed;
    return false;
  }
  return true;
}

bool Deployment::Stop() {
  client_.reset();
  if (process_ == nullptr) return true;
  const bool crashed = !process_->running();
  const int code = process_->Stop();
  const std::string log = process_->Log();
  process_.reset();
  EXPECT_FALSE(crashed) << "warden serve died before it was stopped; its log:\n" << log;
  EXPECT_EQ(code, 0) << "warden serve did not stop cleanly; its log:\n" << log;
  return !crashed && code == 0;
}

bool Deployment::Start() {
  if (process_ != nullptr) return true;
  process_ = ServerProcess::Start(warden_data_dir(), serve_args_, data_dir_.path() + "/serve.log");
  if (!process_) return false;
  client_ = NewClient();
  Answer unsealed = Unseal(init_.threshold);
  if (unsealed.status != 200 || unsealed.body_json.value("sealed", true)) {
    ADD_FAILURE() << "unseal after start: " << unsealed;
    return false;
  }
  return true;
}

Answer Deployment::Unseal(int count) {
  Answer last;
  for (int i = 0; i < count; ++i) {
    last = client_->Call("POST", "/v1/sys/unseal", {},
                         json{{"share", init_.shares[static_cast<size_t>(i)]}});
    if (last.status != 200) return last;
  }
  return last;
}

Answer Deployment::Login(Account& account) {
  Answer a = client_->Call("POST", "/v1/auth/login", {},
                           json{{"username", account.username},
                                {"password", account.password},
                                {"totp", FreshTotp(account)}});
  if (a.status == 200) account.token = a.body_json.value("token", "");
  return a;
}

Answer Deployment::Approve(const Answer& filed, Account& approver) {
  if (filed.status != 202) return filed;
  return client_->Call("POST",
                       "/v1/admin/requests/" + filed.body_json.value("request_id", "") + "/approve",
                       approver.Auth(), json::object());
}

std::optional<Account> Deployment::AddAccount(const std::string& username,
                                              const std::vector<std::string>& roles) {
  Account& so = accounts_.at("so");
  Account a{.username = username, .password = "synthetic password " + username};
  Answer created = client_->Call("POST", "/v1/admin/accounts", so.Auth(),
                                 json{{"username", a.username}, {"roles", roles}});
  if (created.status != 202) {
    ADD_FAILURE() << "create " << username << ": " << created;
    return std::nullopt;
  }
  a.id = created.body_json.value("account_id", "");
  Answer approved = Approve(created, accounts_.at("so2"));
  if (approved.status != 200) {
    ADD_FAILURE() << "approve " << username << ": " << approved;
    return std::nullopt;
  }
  Answer enrolled = client_->Call("POST", "/v1/auth/enrol", {},
                                  json{{"username", a.username},
                                       {"enrolment_codes",
                                        {created.body_json.value("enrolment_code_part", ""),
                                         approved.body_json.value("enrolment_code_part", "")}},
                                       {"password", a.password}});
  if (enrolled.status != 200) {
    ADD_FAILURE() << "enrol " << username << ": " << enrolled;
    return std::nullopt;
  }
  a.totp_secret = enrolled.body_json.value("totp_secret", "");
  if (relax_rate_limits_) {
    Answer relaxed =
        Approve(client_->Call("PATCH", "/v1/admin/accounts/" + a.id, so.Auth(),
                              json{{"policy", {{"rate_per_second", 1000}, {"burst", 1000}}}}),
                accounts_.at("so2"));
    if (relaxed.status != 200) {
      ADD_FAILURE() << "relax " << username << ": " << relaxed;
      return std::nullopt;
    }
  }
  if (Answer login = Login(a); login.status != 200) {
    ADD_FAILURE() << "login " << username << ": " << login;
    return std::nullopt;
  }
  return a;
}

void Deployment::PutPerson(const SyntheticPerson& person) {
  Answer put =
      client_->Call("PUT", "/v1/persons/" + person.id,
                    accounts_.at("registrar").WithPurpose("correction/e2e-load"), person.record);
  EXPECT_TRUE(put.status == 201 || put.status == 200) << put;
}

}  // namespace warden::e2e
