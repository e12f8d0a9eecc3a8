// The web console (web/console): static files compiled into the binary and
// served by the server itself, so what runs in the browser is exactly what
// was built and reviewed, and nothing is read from disk at run time.
//
//   GET /                  302 to /console
//   GET /console           the console page (index.html)
//   GET /console/{file}    one embedded file by exact name
//
// Every answer carries the server's security headers (a strict
// Content-Security-Policy, no-store, nosniff, frame denial). A name that is
// not embedded is 404 "not_found": there is no directory listing and no path
// to anything else (the request parser already refuses ".." and encoded
// slashes; a name is only ever compared with the embedded list). Like every
// call but /healthz and unseal, the console answers 503 "sealed" while the
// server is sealed (G3). The pages hold no data: everything they show comes
// from the authenticated, audited API.
#ifndef WARDEN_API_CONSOLE_ROUTES_H_
#define WARDEN_API_CONSOLE_ROUTES_H_

#include <optional>
#include <span>
#include <string_view>

#include "api/api_context.h"
#include "http/router.h"

namespace warden::api {

// One embedded file: its name in web/console and its bytes. The bytes live
// in static storage for the life of the process.
struct ConsoleAsset {
  std::string_view name;
  std::string_view bytes;
};

// Every embedded file, sorted by name (generated at build time by
// web/embed_console.cmake).
std::span<const ConsoleAsset> ConsoleAssets();

// The Content-Type for a console file name, by extension; nullopt for an
// extension the console does not serve.
std::optional<std::string_view> ConsoleContentType(std::string_view name);

// Mounts the three routes above. `ctx` must outlive the router.
Status MountConsoleRoutes(http::Router& router, const ApiContext& ctx);

}  // namespace warden::api

#endif  // WARDEN_API_CONSOLE_ROUTES_H_
