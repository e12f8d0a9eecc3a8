#include "api/console_routes.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace warden::api {
namespace {

constexpr std::string_view kIndexName = "index.html";
constexpr std::string_view kConsolePath = "/console";

const ConsoleAsset* FindAsset(std::string_view name) {
  const std::span<const ConsoleAsset> assets = ConsoleAssets();
  auto it = std::lower_bound(assets.begin(), assets.end(), name,
                             [](const ConsoleAsset& a, std::string_view n) { return a.name < n; });
  if (it == assets.end() || it->name != name) return nullptr;
  return &*it;
}

StatusOr<http::Response> ServeAsset(const ApiContext& ctx, std::string_view name) {
  RETURN_IF_ERROR(RequireUnsealed(ctx).status());
  const ConsoleAsset* asset = FindAsset(name);
  std::optional<std::string_view> type = ConsoleContentType(name);
  if (asset == nullptr || !type) return NotFound("no such console file");
  return http::Response::Text(200, std::string(*type), std::string(asset->bytes));
}

StatusOr<http::Response> RedirectToConsole(const ApiContext& ctx) {
  RETURN_IF_ERROR(RequireUnsealed(ctx).status());
  http::Response r = http::Response::Text(302, "text/plain; charset=utf-8", "See /console\n");
  r.AddHeader("Location", std::string(kConsolePath));
  return r;
}

}  // namespace

std::optional<std::string_view> ConsoleContentType(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (name.size() > ext.size() && name.ends_with(ext)) return type;
  }
  return std::nullopt;
}

Status MountConsoleRoutes(http::Router& router, const ApiContext& ctx) {
  using M = http::HttpMethod;
  const ApiContext* c = &ctx;
  RETURN_IF_ERROR(
      router.Add(M::kGet, "/", [c](const http::Request&) { return RedirectToConsole(*c); }));
  RETURN_IF_ERROR(router.Add(M::kGet, kConsolePath,
                             [c](const http::Request&) { return ServeAsset(*c, kIndexName); }));
  return router.Add(M::kGet, "/console/{file}",
                    [c](const http::Request& r) { return ServeAsset(*c, r.Param("file")); });
}

}  // namespace warden::api
