// HttpServer: Warden's HTTP/1.1 server (Boost.Beast over Asio, OpenSSL TLS).
//
// Threading model. The server runs `io_threads` single-threaded io_contexts
// (default: one per hardware thread). One acceptor hands each connection to
// the next io_context in turn; from then on everything about that connection
// (TLS, parsing, the handler, the write) runs on that one thread, so a
// connection needs no locks. Synchronous handlers run inline on that thread:
// a handler that blocks (an audit fsync) delays the other connections of the
// same thread for as long, so blocking must stay brief; longer work goes to an
// AsyncHandler, which answers through a Responder from any thread (router.h).
// Requests on one connection are answered in order, one at a time.
//
// Security (SPEC G9, G10):
//   - Start() refuses to listen without TLS on any address that is not
//     loopback (kInvalidArgument "tls_required"), before binding.
//   - Every answer carries X-Content-Type-Options: nosniff, X-Frame-Options:
//     DENY, Referrer-Policy: no-referrer, a strict Content-Security-Policy,
//     Cross-Origin-Resource-Policy: same-origin, Cache-Control: no-store (a
//     handler may override any of these by setting the header itself), and
//     Strict-Transport-Security over TLS. There is no Server header.
//   - Limits: header bytes and count (431 "header_too_large"), body bytes
//     (413 "payload_too_large"), a deadline for the TLS handshake, for the
//     whole header from its first byte (slowloris), for the whole request and
//     for each write, an idle timeout between keep-alive requests, and a cap
//     on open connections (excess connections are closed at once).
//   - Malformed HTTP gets 400 "bad_request" and the connection is closed;
//     bad paths, queries, content types and JSON get their errors from
//     http.h and the connection stays usable.
//
// Shutdown: Stop() stops accepting, closes idle connections, lets requests
// in flight finish (their answers carry Connection: close) until
// `shutdown_grace`, then closes what is left and joins the threads. A
// synchronous handler still running is waited for.
//
// Thread safety: Start() and Stop() from one controlling thread; port() and
// open_connections() from any thread. The Router, the Metrics and the TLS
// context must outlive the server; async handlers must answer (or drop their
// Responder) before the server is destroyed.
#ifndef WARDEN_HTTP_HTTP_SERVER_H_
#define WARDEN_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "core/status.h"
#include "http/metrics.h"
#include "http/router.h"

namespace warden::http {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see HttpServer::port()
  // TLS context (MakeServerTlsContext); null serves plain HTTP, which Start()
  // allows on loopback addresses only.
  std::shared_ptr<boost::asio::ssl::context> tls;
  size_t io_threads = 0;  // 0: std::thread::hardware_concurrency()
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_header_fields = 100;
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_connections = 10'000;
  int listen_backlog = 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  // From the first byte of a request to the end of its header.
  std::chrono::milliseconds header_timeout{10'000};
  // From the first byte of a request to the end of its body.
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
};

class HttpServer {
 public:
  // `metrics` may be null. Built-in series (when given):
  //   warden_http_requests_total{route,status}
  //   warden_http_request_duration_seconds{route} (histogram)
  //   warden_http_open_connections
  //   warden_http_connections_rejected_total (connection cap)
  //   warden_tls_handshake_failures_total
  // `route` is the route pattern, or "unmatched".
  HttpServer(HttpServerOptions options, const Router& router, Metrics* metrics = nullptr);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Errors: kInvalidArgument
  // "tls_required" (plain HTTP on a non-loopback address), "bad_address";
  // kUnavailable when the address cannot be bound; kInternal if started twice.
  Status Start();

  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const { return port_.load(); }
  size_t open_connections() const { return open_connections_.load(); }

  // Graceful shutdown as described above. Idempotent.
  void Stop();

  class Impl;  // the per-thread machinery; public for the .cc only

 private:
  HttpServerOptions options_;
  const Router& router_;
  Metrics* metrics_;
  std::atomic<uint16_t> port_{0};
  std::atomic<size_t> open_connections_{0};
  std::unique_ptr<Impl> impl_;
};

// True if `address` is an IPv4 or IPv6 loopback address ("127.0.0.1",
// "::1"); "localhost" and other names are not resolved and count as not
// loopback.
bool IsLoopbackAddress(const std::string& address);

}  // namespace warden::http

#endif  // WARDEN_HTTP_HTTP_SERVER_H_
