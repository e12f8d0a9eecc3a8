// What the commands that administer a running server share (`warden account`,
// `warden apikey`, `warden audit trace --addr`): the connection options, an
// authenticated JSON call, and a readable form of the API's error body.
//
// Exit codes of these commands: 0 done; 1 the server refused (its error is
// printed); 2 the command could not run (bad options, no token, the server
// unreachable or its certificate not trusted).
#ifndef WARDEN_CLI_SERVER_API_H_
#define WARDEN_CLI_SERVER_API_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/http_client.h"
#include "core/secret.h"
#include "core/status.h"

namespace warden::cli {

// --addr, --token, --insecure, --cacert.
struct ServerArgs {
  std::string addr;
  std::string token;  // empty: the WARDEN_TOKEN environment variable
  bool insecure = false;
  std::string ca_file;
};

// Adds the four options to `cmd`. With `addr_required`, --addr must be given.
void AddServerOptions(CLI::App& cmd, ServerArgs& args, bool addr_required = true);

// An answer of the API: its status and its body parsed as JSON (discarded
// when it is not JSON).
struct ApiAnswer {
  long status = 0;
  std::string body;
  nlohmann::json json;

  bool ok() const { return status >= 200 && status < 300; }
};

// One keep-alive connection to the API with a bearer token. Not thread-safe.
class ServerApi {
 public:
  // Takes the token from `args` or else WARDEN_TOKEN, and wipes the copy in
  // `args`. kInvalidArgument when there is none.
  static StatusOr<std::unique_ptr<ServerApi>> Connect(ServerArgs& args);

  // `method` `path` with `body` (JSON text, may be empty) and any extra
  // headers ("Warden-Purpose: audit/x"). kUnavailable when the server cannot
  // be reached; every HTTP status is an answer.
  StatusOr<ApiAnswer> Call(std::string_view method, std::string_view path,
                           std::string_view body = {},
                           const std::vector<std::string>& extra_headers = {});

 private:
  ServerApi(const ServerArgs& args, SecretBytes token);

  HttpClient http_;
  SecretBytes token_;
};

// A non-2xx answer as one line: "422 validation_failed: username: username is
// required (required)"; several fields are listed after the message; a body
// that is not the API's error shape is shown briefly.
std::string DescribeApiError(const ApiAnswer& answer);

// Percent-encodes a path segment or query value.
std::string UrlEncode(std::string_view text);

}  // namespace warden::cli

#endif  // WARDEN_CLI_SERVER_API_H_
