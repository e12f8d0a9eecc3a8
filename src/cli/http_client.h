// HttpClient: the command line's HTTPS client (libcurl), for the commands that
// talk to a running server (unseal, import --addr, account, apikey). One
// client keeps one keep-alive connection. Not thread-safe; one per thread.
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

class HttpClient {
 public:
  // `base_url` like "https://127.0.0.1:8443". `insecure` accepts a
  // self-signed certificate (demo only); otherwise the system's CAs verify it.
  HttpClient(std::string base_url, bool insecure);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // kUnavailable when the server cannot be reached; any HTTP status is a result.
  StatusOr<HttpResult> Call(std::string_view method, std::string_view path,
                            const std::vector<std::string>& headers, std::string_view body);

 private:
  std::string base_url_;
  bool insecure_;
  void* curl_;  // CURL*
};

// One call on a fresh client.
StatusOr<HttpResult> HttpCall(const std::string& base_url, std::string_view method,
                              std::string_view path, const std::vector<std::string>& headers,
                              std::string_view body, bool insecure);

}  // namespace warden::cli

#endif  // WARDEN_CLI_HTTP_CLIENT_H_
