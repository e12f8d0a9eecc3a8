// Fuzz target for the request decoders: the first line is a request target
// (ParseTarget), the rest a JSON body (ParseJsonBody). Neither may crash,
// leak or hang, and whatever they accept must satisfy their contracts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/http.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view target = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  warden::http::Request request;
  if (warden::http::ParseTarget(target, request).ok()) {
    for (size_t i = 0; i < request.path_size(); ++i) {
      const std::string_view segment = request.path(i);
      Check(!segment.empty() && segment != "." && segment != "..");
      Check(segment.find('/') == std::string_view::npos);
      Check(segment.find('\0') == std::string_view::npos);
      Check(segment.find('\r') == std::string_view::npos);
      Check(segment.find('\n') == std::string_view::npos);
    }
  }
  warden::StatusOr<nlohmann::json> json = warden::http::ParseJsonBody("application/json", body);
  if (json.ok() && !body.empty()) {
    // What was accepted serialises back without throwing.
    Check(!json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).empty());
  }
  return 0;
}
