// HttpClient: the command line's HTTPS client (libcurl), for the commands that
// talk to a running server (unseal, import --addr, account, apikey, audit
// trace --addr). One client keeps one keep-alive connection. Not thread-safe;
// one per thread.
#ifndef WARDEN_CLI_HTTP_CLIENT_H_
#define WARDEN_CLI_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace warden::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

// How the client checks the server's certificate.
struct TlsTrust {
  // Accept any certificate (a self-signed demo server). Overrides ca_file.
  bool insecure = false;
  // A PEM file of the certificate authorities to trust instead of the
  // system's (a private CA); empty: the system's CAs.
  std::string ca_file;
};

class HttpClient {
 public:
  // `base_url` like "https://127.0.0.1:8443". `insecure` accepts a
  // self-signed certificate (demo only); otherwise the system's CAs verify it.
  HttpClient(std::string base_url, bool insecure);
  HttpClient(std::string base_url, TlsTrust trust);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // kUnavailable when the server cannot be reached (or its certificate is
  // not trusted); any HTTP status is a result.
  StatusOr<HttpResult> Call(std::string_view method, std::string_view path,
                            const std::vector<std::string>& headers, std::string_view body);

 private:
  std::string base_url_;
  TlsTrust trust_;
  void* curl_;  // CURL*
};

// One call on a fresh client.
StatusOr<HttpResult> HttpCall(const std::string& base_url, std::string_view method,
                              std::string_view path, const std::vector<std::string>& headers,
                              std::string_view body, bool insecure);
StatusOr<HttpResult> HttpCall(const std::string& base_url, std::string_view method,
                              std::string_view path, const std::vector<std::string>& headers,
                              std::string_view body, const TlsTrust& trust);

}  // namespace warden::cli

#endif  // WARDEN_CLI_HTTP_CLIENT_H_
