// A blocking HTTP/1.1 client over plain TCP or OpenSSL, for tests and
// benchmarks of HttpServer. It writes exactly the bytes it is given, so tests
// can send malformed, slow or hostile requests that a normal client library
// would refuse or "fix".
//
// Not for production use. Not thread-safe; one client per thread.
#ifndef WARDEN_HTTP_TEST_CLIENT_H_
#define WARDEN_HTTP_TEST_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace warden::http {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;

  // The first header named `name` (lower-case), or nullptr.
  const std::string* Header(std::string_view name) const;
  // The body parsed as JSON (discarded value if it is not JSON).
  nlohmann::json Json() const;
};

class TestClient {
 public:
  struct Options {
    bool tls = true;
    std::string ca_pem;   // trusted roots; verification on when non-empty
    int min_version = 0;  // TLS1_2_VERSION etc.; 0 = library default
    int max_version = 0;
    // OpenSSL security level; lowered to let the client offer obsolete
    // protocols, so the server's refusal is what is tested.
    int security_level = -1;
    std::string tls12_ciphers;  // empty = library default
    std::chrono::milliseconds timeout{5000};
  };

  // Connects to 127.0.0.1:`port` and, with TLS, completes the handshake.
  // Errors: kUnavailable with the system or OpenSSL error text.
  static StatusOr<std::unique_ptr<TestClient>> Connect(uint16_t port, const Options& options);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  Status Send(std::string_view bytes);
  // Reads one response (Content-Length bodies only).
  StatusOr<ClientResponse> Receive();
  // Sends a well-formed request and reads the answer.
  StatusOr<ClientResponse> Roundtrip(std::string_view method, std::string_view target,
                                     std::string_view body = {},
                                     std::string_view content_type = "application/json",
                                     std::string_view extra_headers = {});
  // True if the server closes the connection within `timeout` (EOF or
  // reset); false if data arrives or the time passes.
  bool WaitClosed(std::chrono::milliseconds timeout);
  // The negotiated protocol ("TLSv1.3"), empty for plain connections.
  std::string tls_version() const;

 private:
  TestClient() = default;
  // Reads more bytes into buffer_: their count, 0 on EOF, -1 on error or
  // timeout, -2 when a non-blocking read found nothing yet.
  long ReadMore();
  bool PollClosed(std::chrono::milliseconds timeout);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace warden::http

#endif  // WARDEN_HTTP_TEST_CLIENT_H_
