#include "http/router.h"

#include <algorithm>

namespace warden::http {
namespace {

constexpr size_t kMaxSegments = 32;

class CallbackSink : public Responder::Sink {
 public:
  explicit CallbackSink(std::function<void(StatusOr<Response>)> fn) : fn_(std::move(fn)) {}
  void Complete(StatusOr<Response> result) override { fn_(std::move(result)); }

 private:
  std::function<void(StatusOr<Response>)> fn_;
};

bool IsParamChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool Matches(const RouteSpec& spec, const Request& request) {
  for (size_t i = 0; i < spec.literals.size(); ++i) {
    if (spec.params[i].empty() && spec.literals[i] != request.path(i)) return false;
  }
  return true;
}

}  // namespace

Responder Responder::FromCallback(std::function<void(StatusOr<Response>)> fn) {
  return Responder(std::make_shared<CallbackSink>(std::move(fn)));
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (sink_ != nullptr) sink_->Complete(Internal("request was not answered"));
    sink_ = std::move(other.sink_);
  }
  return *this;
}

Responder::~Responder() {
  if (sink_ != nullptr) sink_->Complete(Internal("request was not answered"));
}

void Responder::Send(StatusOr<Response> result) {
  if (sink_ == nullptr) return;
  std::shared_ptr<Sink> sink = std::move(sink_);
  sink_ = nullptr;
  sink->Complete(std::move(result));
}

int RouteSpec::ParamIndex(std::string_view name) const {
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Status CompileRoutePattern(std::string_view pattern, RouteSpec& spec) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("route pattern '" + std::string(pattern) + "': " + std::string(why),
                           "bad_route_pattern");
  };
  if (pattern.empty() || pattern[0] != '/') return bad("must start with '/'");
  spec.pattern.assign(pattern);
  spec.literals.clear();
  spec.params.clear();
  if (pattern.size() > 1) {
    size_t start = 1;
    while (start <= pattern.size()) {
      size_t end = pattern.find('/', start);
      if (end == std::string_view::npos) end = pattern.size();
      const std::string_view seg = pattern.substr(start, end - start);
      if (seg.empty()) return bad("empty segment");
      if (seg.front() == '{') {
        if (seg.size() < 3 || seg.back() != '}') return bad("bad parameter");
        const std::string_view name = seg.substr(1, seg.size() - 2);
        if (!std::all_of(name.begin(), name.end(), IsParamChar)) return bad("bad parameter name");
        if (spec.ParamIndex(name) >= 0) return bad("repeated parameter");
        spec.literals.emplace_back();
        spec.params.emplace_back(name);
      } else {
        if (seg.find_first_of("{}?#%") != std::string_view::npos) return bad("bad literal");
        spec.literals.emplace_back(seg);
        spec.params.emplace_back();
      }
      start = end + 1;
    }
  }
  const size_t n = spec.literals.size();
  if (n > kMaxSegments) return bad("too many segments");
  spec.specificity = 0;
  for (size_t i = 0; i < n; ++i) {
    if (spec.params[i].empty()) spec.specificity |= uint64_t{1} << (n - 1 - i);
  }
  return Status::Ok();
}

Status Router::Add(HttpMethod method, std::string_view pattern, Handler handler) {
  return AddRoute(method, pattern, std::move(handler), nullptr);
}

Status Router::AddAsync(HttpMethod method, std::string_view pattern, AsyncHandler handler) {
  return AddRoute(method, pattern, nullptr, std::move(handler));
}

Status Router::AddRoute(HttpMethod method, std::string_view pattern, Handler handler,
                        AsyncHandler async_handler) {
  if (method == HttpMethod::kOther) return InvalidArgument("route needs a named method");
  if (!handler && !async_handler) return InvalidArgument("route needs a handler");
  auto route = std::make_unique<Route>();
  RETURN_IF_ERROR(CompileRoutePattern(pattern, route->spec));
  route->spec.method = method;
  route->spec.id = routes_.size();
  route->handler = std::move(handler);
  route->async_handler = std::move(async_handler);
  const size_t n = route->spec.literals.size();
  if (by_size_.size() <= n) by_size_.resize(n + 1);
  for (const Route* other : by_size_[n]) {
    if (other->spec.method == method && other->spec.literals == route->spec.literals) {
      return Conflict("route " + std::string(HttpMethodName(method)) + " " + std::string(pattern) +
                      " clashes with " + other->spec.pattern);
    }
  }
  by_size_[n].push_back(route.get());
  routes_.push_back(std::move(route));
  return Status::Ok();
}

bool Router::Has(HttpMethod method, std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(), [&](const auto& r) {
    return r->spec.method == method && r->spec.pattern == pattern;
  });
}

const Router::Route* Router::Find(Request& request, Response* error) const {
  const size_t n = request.path_size();
  const Route* best = nullptr;  // most specific match with the method
  uint64_t best_shape = 0;      // specificity of the most specific path match
  bool any = false;
  if (n < by_size_.size()) {
    for (const Route* r : by_size_[n]) {
      if (!Matches(r->spec, request)) continue;
      if (!any || r->spec.specificity > best_shape) {
        best_shape = r->spec.specificity;
        best = nullptr;
        any = true;
      }
      if (r->spec.specificity == best_shape && r->spec.method == request.method) best = r;
    }
  }
  if (best != nullptr) {
    request.set_route(&best->spec);
    return best;
  }
  if (!any) {
    *error = ErrorResponse(404, "not_found", "no such endpoint");
    return nullptr;
  }
  std::string allow;
  for (const Route* r : by_size_[n]) {
    if (r->spec.specificity != best_shape || !Matches(r->spec, request)) continue;
    if (!allow.empty()) allow += ", ";
    allow += HttpMethodName(r->spec.method);
  }
  *error = ErrorResponse(405, "method_not_allowed", "method not allowed on this endpoint");
  error->AddHeader("Allow", std::move(allow));
  return nullptr;
}

Response Router::Serve(Request& request) const {
  Response error;
  const Route* route = Find(request, &error);
  if (route == nullptr) return error;
  StatusOr<Response> result = Internal("handler did not answer synchronously");
  if (route->handler) {
    result = route->handler(request);
  } else {
    route->async_handler(request, Responder::FromCallback(
                                      [&result](StatusOr<Response> r) { result = std::move(r); }));
  }
  if (!result.ok()) return ErrorResponse(result.status());
  return std::move(result).value();
}

}  // namespace warden::http
