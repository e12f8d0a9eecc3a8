// Router: maps (method, path) to a handler.
//
// Patterns are absolute paths whose segments are literals or "{name}"
// parameters: "/v1/{collection}/{key}/reveal". Matching works on the decoded
// segments of a Request (ParseTarget). Among the patterns that match a path
// the most specific wins, comparing segment by segment from the left with a
// literal beating a parameter: "/v1/audit/verify" beats
// "/v1/{collection}/{key}", and "/v1/{collection}/search" reserves "search"
// so that GET /v1/persons/search is a 405 (Allow: POST), not a lookup of key
// "search". No match is 404 "not_found"; a match without a route for the
// method is 405 "method_not_allowed" with an Allow header.
//
// Handlers return StatusOr<Response>; a non-OK Status is rendered by
// ErrorResponse(). Two kinds exist:
//   - Handler: synchronous. Runs on the server's I/O thread that owns the
//     connection. It may block briefly (an audit fsync): while it does, the
//     other connections of that I/O thread wait, so blocking must stay in the
//     low milliseconds. Anything longer belongs in an AsyncHandler.
//   - AsyncHandler: receives a Responder and may answer later from any
//     thread (for example after an audit batch is durable). The Request stays
//     valid and the connection reads nothing more until the Responder is used.
//
// Thread safety: build the Router (Add*) before the server starts; after
// that it is immutable and Find() may be called from any thread.
#ifndef WARDEN_HTTP_ROUTER_H_
#define WARDEN_HTTP_ROUTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/http.h"

namespace warden::http {

// Delivers the answer of an AsyncHandler. Move-only; Send() at most once,
// from any thread. Destroying a Responder that was never used answers 500
// "internal", so a forgotten path cannot hang a connection.
class Responder {
 public:
  // The receiving end: the server's connection, or a test.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void Complete(StatusOr<Response> result) = 0;
  };

  Responder() = default;
  explicit Responder(std::shared_ptr<Sink> sink) : sink_(std::move(sink)) {}
  // A Responder that calls `fn` (on the thread that calls Send).
  static Responder FromCallback(std::function<void(StatusOr<Response>)> fn);

  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void Send(StatusOr<Response> result);
  bool sent() const { return sink_ == nullptr; }

 private:
  std::shared_ptr<Sink> sink_;
};

using Handler = std::function<StatusOr<Response>(const Request&)>;
using AsyncHandler = std::function<void(const Request&, Responder)>;

// A compiled route pattern. Stable address for the Router's lifetime.
struct RouteSpec {
  HttpMethod method = HttpMethod::kOther;
  std::string pattern;  // as registered; also the metrics label
  size_t id = 0;        // dense index in registration order
  // One entry per segment: the literal, or empty for a parameter.
  std::vector<std::string> literals;
  // One entry per segment: the parameter name, or empty for a literal.
  std::vector<std::string> params;
  // Bit (n-1-i) set when segment i is a literal; a larger value is more specific.
  uint64_t specificity = 0;

  // The segment index of "{name}", or -1.
  int ParamIndex(std::string_view name) const;
};

class Router {
 public:
  struct Route {
    RouteSpec spec;
    Handler handler;  // exactly one of handler / async_handler is set
    AsyncHandler async_handler;
  };

  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Errors: kInvalidArgument for a malformed pattern (must start with "/",
  // no empty segments, parameters "{[a-z0-9_]+}" unique per pattern, at most
  // 32 segments); kConflict when a route with the same method and shape
  // exists.
  Status Add(HttpMethod method, std::string_view pattern, Handler handler);
  Status AddAsync(HttpMethod method, std::string_view pattern, AsyncHandler handler);

  // The route for `request` (and records it with request.set_route()), or
  // nullptr with `*error` set to the 404 or 405 answer.
  const Route* Find(Request& request, Response* error) const;

  // Runs `request` through Find and the handler and returns the answer; an
  // AsyncHandler must answer before returning. For tests and tools; the
  // server calls Find itself.
  Response Serve(Request& request) const;

  size_t size() const { return routes_.size(); }
  const RouteSpec& spec(size_t id) const { return routes_[id]->spec; }
  // True if a route with this method and exact pattern text is registered.
  bool Has(HttpMethod method, std::string_view pattern) const;

 private:
  Status AddRoute(HttpMethod method, std::string_view pattern, Handler handler,
                  AsyncHandler async_handler);
  std::vector<std::unique_ptr<Route>> routes_;
  // by_size_[n]: the routes with n segments.
  std::vector<std::vector<const Route*>> by_size_;
};

// Parses a pattern into `spec` (literals, params, specificity).
Status CompileRoutePattern(std::string_view pattern, RouteSpec& spec);

}  // namespace warden::http

#endif  // WARDEN_HTTP_ROUTER_H_
