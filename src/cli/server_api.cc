#include "cli/server_api.h"

#include <cstdlib>

namespace warden::cli {

void AddServerOptions(CLI::App& cmd, ServerArgs& args, bool addr_required) {
  CLI::Option* addr = cmd.add_option("--addr", args.addr, "Server URL, e.g. https://host:8443");
  if (addr_required) addr->required();
  cmd.add_option("--token", args.token,
                 "Session token or API key (better: the WARDEN_TOKEN variable, which keeps it "
                 "out of the process list)");
  cmd.add_option("--cacert", args.ca_file,
                 "PEM file of the certificate authority that signed the server's certificate "
                 "(a private CA)")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--insecure", args.insecure,
               "Accept any certificate, e.g. the demo's self-signed one (never in production)");
}

ServerApi::ServerApi(const ServerArgs& args, SecretBytes token)
    : http_(args.addr, TlsTrust{.insecure = args.insecure, .ca_file = args.ca_file}),
      token_(std::move(token)) {}

StatusOr<std::unique_ptr<ServerApi>> ServerApi::Connect(ServerArgs& args) {
  SecretBytes token = SecretBytes::CopyFrom(args.token);
  SecureWipe(args.token);
  args.token.clear();
  if (token.empty()) {
    if (const char* env = std::getenv("WARDEN_TOKEN")) token = SecretBytes::CopyFrom(env);
  }
  if (token.empty()) {
    return InvalidArgument("a token is required: --token or the WARDEN_TOKEN variable",
                           "token_required");
  }
  if (args.addr.empty()) return InvalidArgument("--addr is required", "addr_required");
  while (!args.addr.empty() && args.addr.back() == '/') args.addr.pop_back();
  return std::unique_ptr<ServerApi>(new ServerApi(args, std::move(token)));
}

StatusOr<ApiAnswer> ServerApi::Call(std::string_view method, std::string_view path,
                                    std::string_view body,
                                    const std::vector<std::string>& extra_headers) {
  std::vector<std::string> headers = extra_headers;
  std::string authorization = "Authorization: Bearer ";
  authorization.append(token_.view());
  headers.push_back(std::move(authorization));
  StatusOr<HttpResult> result = http_.Call(method, path, headers, body);
  SecureWipe(headers.back());
  if (!result.ok()) return result.status();
  ApiAnswer answer;
  answer.status = result->status;
  answer.body = std::move(result->body);
  answer.json = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  return answer;
}

std::string DescribeApiError(const ApiAnswer& answer) {
  std::string out = std::to_string(answer.status);
  const nlohmann::json& j = answer.json;
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    std::string body = answer.body.substr(0, 200);
    for (char& c : body) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return body.empty() ? out : out + ": " + body;
  }
  const nlohmann::json& e = j["error"];
  out += " " + e.value("code", std::string("error")) + ": ";
  const std::string message = e.value("message", std::string());
  std::vector<std::pair<std::string, std::string>> fields;
  for (const nlohmann::json& f : e.value("fields", nlohmann::json::array())) {
    if (!f.is_object()) continue;
    fields.emplace_back(f.value("field", std::string()), f.value("rule", std::string()));
  }
  if (fields.size() == 1) {
    return out + fields[0].first + ": " + message + " (" + fields[0].second + ")";
  }
  out += message;
  for (size_t i = 0; i < fields.size(); ++i) {
    out += (i == 0 ? " [" : ", ") + fields[i].first + " (" + fields[i].second + ")";
  }
  if (!fields.empty()) out += "]";
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' ||
        b == '_' || b == '.' || b == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

}  // namespace warden::cli
