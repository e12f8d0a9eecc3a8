#include "server/server_runner.h"

#include <filesystem>
#include <iostream>

#include "api/routes.h"
#include "audit/audit_sink.h"
#include "core/file_system.h"
#include "http/tls.h"
#include "node/data_dir.h"
#include "store/open_store.h"

namespace warden::server {
namespace {

constexpr int64_t kCertificateWarningDays = 30;

// Loads the certificate, warns when it is close to expiry (an expired
// certificate was one of the 2022 failures) and builds the TLS context.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> LoadTls(const ServeOptions& options,
                                                             http::Metrics& metrics) {
  ASSIGN_OR_RETURN(
      http::TlsCredentials credentials,
      http::LoadTlsCredentials(FileSystem::Default(), options.tls_cert_file, options.tls_key_file));
  ASSIGN_OR_RETURN(int64_t days, http::CertificateDaysToExpiry(credentials.certificate_chain_pem,
                                                               Clock::Real().NowSeconds()));
  if (days < 0) return Unavailable("the TLS certificate has expired", "certificate_expired");
  if (days < kCertificateWarningDays && options.warn_certificate_expiry) {
    std::cerr << "warden: WARNING: the TLS certificate expires in " << days << " days\n";
  }
  std::string pem = credentials.certificate_chain_pem;
  RETURN_IF_ERROR(metrics.GaugeCallback(
      "warden_tls_certificate_expiry_days", "Whole days until the server certificate expires", {},
      [pem] {
        auto d = http::CertificateDaysToExpiry(pem, Clock::Real().NowSeconds());
        return d.ok() ? static_cast<double>(*d) : -1.0;
      }));
  return http::MakeServerTlsContext(credentials);
}

// Alerts go to the log (never with personal data or secrets) and to metrics.
void RaiseAlert(http::Metrics& metrics, std::string_view kind, std::string_view account,
                std::string_view detail) {
  std::cerr << "warden: ALERT " << kind << (account.empty() ? "" : " account=") << account << ": "
            << detail << "\n";
  auto counter =
      metrics.Counter("warden_alerts_total", "Alerts raised", {{"kind", std::string(kind)}});
  if (counter.ok()) (*counter)->Increment();
}

// Unseals at start where no person has to be present: development key file
// (with a loud warning) or an HSM with a PIN file.
Status AutoUnseal(node::SealGate& gate, const ServeOptions& options) {
  const crypto::SealConfig& config = gate.config();
  if (config.mode == crypto::SealMode::kDev) {
    std::cerr << "\n" << crypto::kDevModeWarning << "\n\n";
    ASSIGN_OR_RETURN(SecretBytes root, crypto::UnsealWithDevKeyFile(config));
    return gate.UnsealWithRootKey(std::move(root));
  }
  if (config.mode == crypto::SealMode::kPkcs11 && !options.pkcs11_pin_file.empty()) {
    ASSIGN_OR_RETURN(SecretBytes pin, crypto::ReadPinFile(options.pkcs11_pin_file));
    ASSIGN_OR_RETURN(SecretBytes root, crypto::UnsealWithPkcs11(config, pin));
    return gate.UnsealWithRootKey(std::move(root));
  }
  return Status::Ok();
}

// Audit latency buckets: a synced group commit takes from tens of
// microseconds (battery-backed cache) to tens of milliseconds (a busy disk).
constexpr double kCommitBuckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                     0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};

// The audit writer's commits: how long each sync took and how many entries
// it made durable.
Status WatchAuditCommits(http::Metrics& metrics, audit::AuditLogOptions& options) {
  ASSIGN_OR_RETURN(http::HistogramMetric * latency,
                   metrics.Histogram("warden_audit_commit_seconds",
                                     "Time to make one group of audit entries durable (the sync)",
                                     kCommitBuckets));
  ASSIGN_OR_RETURN(http::CounterMetric * entries,
                   metrics.Counter("warden_audit_entries_total", "Audit entries made durable"));
  options.on_commit = [latency, entries](size_t n, std::chrono::nanoseconds took) {
    latency->Observe(std::chrono::duration<double>(took).count());
    entries->Increment(n);
  };
  return Status::Ok();
}

// Gauges and counters read from the unsealed services (zero while sealed).
Status WatchServices(http::Metrics& metrics, const node::SealGate& gate) {
  const node::SealGate* g = &gate;
  RETURN_IF_ERROR(metrics.GaugeCallback(
      "warden_audit_queue_depth", "Audit entries waiting for the writer", {}, [g] {
        auto s = g->services();
        return s ? static_cast<double>(s->audit->queue_depth()) : 0.0;
      }));
  RETURN_IF_ERROR(metrics.GaugeCallback("warden_audit_healthy",
                                        "1 while audit entries can be written", {}, [g] {
                                          auto s = g->services();
                                          return s && s->audit->healthy() ? 1.0 : 0.0;
                                        }));
  const char* help = "Requests refused for a spent daily quota or a rate above the policy";
  RETURN_IF_ERROR(metrics.CounterCallback(
      "warden_quota_denials_total", help, {{"reason", "quota_exceeded"}}, [g]() -> uint64_t {
        auto s = g->services();
        return s ? static_cast<uint64_t>(s->access->limits().QuotaDenialCount()) : 0;
      }));
  return metrics.CounterCallback(
      "warden_quota_denials_total", help, {{"reason", "rate_limited"}}, [g]() -> uint64_t {
        auto s = g->services();
        return s ? static_cast<uint64_t>(s->access->limits().RateDenialCount()) : 0;
      });
}

// <data>/exports (mode 0700), emptied: no request is running yet, so any file
// there is the ciphertext of a download a killed process never finished.
StatusOr<std::string> PrepareExportDir(const std::string& data_dir) {
  const std::filesystem::path dir = std::filesystem::path(data_dir) / "exports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) return Unavailable("cannot prepare the export directory " + dir.string());
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  return dir.string();
}

}  // namespace

StatusOr<std::unique_ptr<RunningServer>> RunningServer::Start(const ServeOptions& options) {
  std::unique_ptr<RunningServer> s(new RunningServer());
  s->options_ = options;
  ASSIGN_OR_RETURN(crypto::SealConfig config, node::ReadSealConfig(options.data_dir));
  ASSIGN_OR_RETURN(std::string spec, node::StoreSpecOf(options.data_dir, options.store_spec));
  ASSIGN_OR_RETURN(s->store_, OpenStore(spec));
  ASSIGN_OR_RETURN(s->schema_, node::ReadSchema(*s->store_));

  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    ASSIGN_OR_RETURN(s->tls_, LoadTls(options, s->metrics_));
  }

  node::SealGateOptions gate_options;
  gate_options.access.policy_ceiling = options.policy_ceiling;
  gate_options.audit.sinks.push_back(std::make_shared<audit::JsonlFileSink>(
      FileSystem::Default(), node::CheckpointSinkPath(options.data_dir), /*ship_entries=*/false));
  if (options.audit_checkpoint_interval.count() > 0) {
    gate_options.audit.checkpoint_interval = options.audit_checkpoint_interval;
  }
  for (const std::string& file : options.audit_ship_files) {
    gate_options.audit.sinks.push_back(std::make_shared<audit::JsonlFileSink>(
        FileSystem::Default(), file, /*ship_entries=*/false));
  }
  if (!options.audit_syslog.empty()) {
    ASSIGN_OR_RETURN(auto collector, audit::ParseSyslogAddress(options.audit_syslog));
    gate_options.audit.sinks.push_back(
        std::make_shared<audit::RemoteSyslogSink>(collector.first, collector.second));
  }
  http::Metrics* metrics = &s->metrics_;
  // Audit alerts reach the log and metrics through the access layer, which
  // stores them with its own (seal_gate.cc).
  gate_options.on_access_alert = [metrics](const access::Alert& alert) {
    RaiseAlert(*metrics, alert.kind, alert.account_id, alert.detail);
  };
  RETURN_IF_ERROR(WatchAuditCommits(s->metrics_, gate_options.audit));
  s->gate_ = std::make_unique<node::SealGate>(*s->store_, s->schema_, std::move(config),
                                              Clock::Real(), std::move(gate_options));
  node::SealGate* gate = s->gate_.get();
  RETURN_IF_ERROR(s->metrics_.GaugeCallback("warden_sealed", "1 while the server is sealed", {},
                                            [gate] { return gate->sealed() ? 1.0 : 0.0; }));
  RETURN_IF_ERROR(WatchServices(s->metrics_, *gate));
  RETURN_IF_ERROR(AutoUnseal(*s->gate_, options));

  api::ApiOptions api_options;
  ASSIGN_OR_RETURN(api_options.export_dir, PrepareExportDir(options.data_dir));
  api_options.export_approvals = options.export_approvals;
  s->context_.reset(
      new api::ApiContext{*s->gate_, s->schema_, Clock::Real(), &s->metrics_, api_options});
  s->router_ = std::make_unique<http::Router>();
  RETURN_IF_ERROR(api::MountApi(*s->router_, *s->context_));

  http::HttpServerOptions http;
  http.address = options.address;
  http.port = options.port;
  http.tls = s->tls_;
  http.io_threads = options.io_threads;
  s->http_ = std::make_unique<http::HttpServer>(http, *s->router_, &s->metrics_);
  RETURN_IF_ERROR(s->http_->Start());
  return s;
}

RunningServer::~RunningServer() { Stop(); }

std::string RunningServer::url() const {
  const bool v6 = options_.address.find(':') != std::string::npos;
  return std::string(tls() ? "https://" : "http://") + (v6 ? "[" : "") + options_.address +
         (v6 ? "]" : "") + ":" + std::to_string(port());
}

void RunningServer::Stop() {
  if (http_) http_->Stop();
  if (gate_) gate_->Seal();
}

}  // namespace warden::server
