// RunningServer: a Warden server assembled from a data directory — store,
// schema, seal gate, routes, metrics, TLS and the HTTP server — as `warden
// serve` and `warden demo` run it.
//
// Lifetime: Start() then Stop() (or destruction). Not copyable; the methods
// are not meant to be called concurrently with each other, while the server
// itself serves from its own threads.
#ifndef WARDEN_SERVER_SERVER_RUNNER_H_
#define WARDEN_SERVER_SERVER_RUNNER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/policy.h"
#include "api/api_context.h"
#include "http/http_server.h"
#include "http/metrics.h"
#include "http/router.h"
#include "node/seal_gate.h"

namespace warden::server {

struct ServeOptions {
  std::string data_dir;
  std::string store_spec;  // empty: the data directory's store
  std::string address = "127.0.0.1";
  uint16_t port = 8443;
  std::string tls_cert_file;  // both empty: plain HTTP, loopback only (G10)
  std::string tls_key_file;
  // False for a throwaway certificate whose caller says what it is (the
  // demo's self-signed one): no near-expiry warning at start.
  bool warn_certificate_expiry = true;
  std::string pkcs11_pin_file;  // PKCS#11 mode: unseal at start with this PIN
  size_t io_threads = 0;
  // Limits no approved policy may pass (SPEC §4: ceilings belong in the
  // server's configuration, not in the API).
  access::PolicyCeiling policy_ceiling;
  // Where signed audit checkpoints are shipped besides DIR/audit-checkpoints.jsonl
  // (docs/audit_format.md, "Shipping off the machine"): files to append to,
  // and a remote syslog collector as tcp://HOST:PORT.
  std::vector<std::string> audit_ship_files;
  std::string audit_syslog;
  // Zero: the AuditLog's default.
  std::chrono::milliseconds audit_checkpoint_interval{0};
  // Security officers who must approve an export job (at least 1).
  size_t export_approvals = 1;
};

class RunningServer {
 public:
  // Opens the store and the seal configuration and starts listening. A
  // development-mode store is unsealed at once (and says so loudly on
  // stderr); a PKCS#11 store too when a PIN file is given; a Shamir store
  // waits sealed for shares.
  static StatusOr<std::unique_ptr<RunningServer>> Start(const ServeOptions& options);
  ~RunningServer();

  node::SealGate& gate() { return *gate_; }
  const schema::Schema& schema() const { return schema_; }
  Store& store() { return *store_; }
  uint16_t port() const { return http_->port(); }
  bool tls() const { return tls_ != nullptr; }
  // "https://127.0.0.1:8443"
  std::string url() const;

  // Stops accepting, drains in-flight requests, seals.
  void Stop();

 private:
  RunningServer() = default;

  ServeOptions options_;
  std::unique_ptr<Store> store_;
  schema::Schema schema_;
  http::Metrics metrics_;
  std::unique_ptr<node::SealGate> gate_;
  std::unique_ptr<api::ApiContext> context_;
  std::unique_ptr<http::Router> router_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace warden::server

#endif  // WARDEN_SERVER_SERVER_RUNNER_H_
