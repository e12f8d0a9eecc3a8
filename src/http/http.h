// The HTTP request and response model of Warden's API, independent of the
// network library, so handlers and the router are testable without sockets.
//
// A Request is filled by the server (or by a test) and handed to a handler
// as a const reference that stays valid until the handler has answered. It
// is built for reuse: the server keeps one Request per connection and
// Reset()s it between requests, so strings keep their capacity and the hot
// path does not allocate.
//
// Strict input rules (SPEC G9), enforced by ParseTarget and ParseJsonBody:
//   - the target is origin-form ("/a/b?x=y"); no fragment, no raw bytes
//     outside printable ASCII;
//   - path segments are percent-decoded; "." and ".." (also encoded), empty
//     segments ("//", a trailing "/"), encoded "/" or "\" (%2F, %5C), encoded
//     NUL or control characters, invalid percent-encoding and invalid UTF-8
//     are rejected with 400 "bad_path";
//   - query parameters are decoded the same way ("+" is a space); malformed
//     or repeated names are rejected with 400 "bad_query";
//   - a request body must be declared "application/json" (415
//     "unsupported_media_type" otherwise) and be one JSON value nested at
//     most kMaxJsonDepth deep (400 "bad_json" naming the byte offset).
//
// Thread safety: plain values; no internal synchronisation.
#ifndef WARDEN_HTTP_HTTP_H_
#define WARDEN_HTTP_HTTP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace warden::http {

enum class HttpMethod : uint8_t { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// "GET", "POST", ...; "OTHER" for kOther.
std::string_view HttpMethodName(HttpMethod method);
// kOther for anything that is not one of the named methods (case-sensitive).
HttpMethod ParseHttpMethod(std::string_view name);

// What the TLS layer learnt about the peer. Empty when the connection is
// plain (loopback only) or the client presented no certificate.
struct TlsPeerInfo {
  bool secure = false;  // the request arrived over TLS
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_128_GCM_SHA256"
  // Lower-case hex SHA-256 of the verified client certificate (DER), for
  // service accounts bound to a certificate (mTLS); empty if none.
  std::string peer_certificate_sha256;
};

struct RouteSpec;  // router.h

class Request {
 public:
  HttpMethod method = HttpMethod::kOther;
  std::string method_name;  // as received, for logs and 405 answers
  std::string target;       // raw request target, as received
  std::string body;
  // The parsed body, or null when the body is empty. Set by the server
  // before the handler runs (ParseJsonBody).
  nlohmann::json json;
  std::string client_address;  // "127.0.0.1:53211"
  TlsPeerInfo tls;
  // The path ended in one "/" (dropped from the segments): "/console/".
  bool trailing_slash = false;

  // Clears every field but keeps allocated capacity.
  void Reset();

  // Decoded path segments: "/v1/persons/1" → {"v1", "persons", "1"}.
  size_t path_size() const { return path_count_; }
  std::string_view path(size_t i) const { return path_[i]; }
  void AddPathSegment(std::string_view segment);

  // Decoded query parameters, in order of appearance, names unique.
  size_t query_size() const { return query_count_; }
  // The value of `name`, or nullptr when absent.
  const std::string* Query(std::string_view name) const;
  void AddQuery(std::string_view name, std::string_view value);

  // Header names are stored lower-case; lookup is case-insensitive. When a
  // header repeats, Header() returns the first occurrence.
  const std::string* Header(std::string_view name) const;
  void AddHeader(std::string_view name, std::string_view value);
  size_t header_size() const { return header_count_; }
  std::pair<std::string_view, std::string_view> header(size_t i) const {
    return {headers_[i].first, headers_[i].second};
  }

  // Set by the Router when it picks a route; null before.
  const RouteSpec* route() const { return route_; }
  void set_route(const RouteSpec* route) { route_ = route; }
  // The path segment matched by "{name}" in the route pattern; empty if the
  // route has no such parameter.
  std::string_view Param(std::string_view name) const;

 private:
  // Slots are reused across Reset(); only the first *_count_ are live.
  std::vector<std::string> path_;
  size_t path_count_ = 0;
  std::vector<std::pair<std::string, std::string>> query_;
  size_t query_count_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t header_count_ = 0;
  const RouteSpec* route_ = nullptr;
};

// A response. Defaults: 200, JSON content type, Cache-Control: no-store and
// the security headers added by the server unless a header of the same name
// is set here.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. Names and values must not contain CR, LF or NUL; the
  // server answers 500 instead of sending a response that does.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, const nlohmann::json& value);
  static Response Text(int status, std::string content_type, std::string body);
  // 204 with no body.
  static Response NoContent() { return Response{204, "", "", {}}; }
  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The SPEC §5 error body for a non-OK `status`:
// {"error":{"code": reason, "message": ..., "fields":[{"field","rule"}]}},
// with HttpStatusOf(status.code()).
Response ErrorResponse(const Status& status);
// The same body with an explicit HTTP status, for errors the server itself
// finds before a handler runs (405, 415, 431).
Response ErrorResponse(int http_status, std::string_view reason, std::string_view message);

inline constexpr size_t kMaxJsonDepth = 64;

// Splits and decodes an origin-form target into `request` (path segments and
// query). Errors: 400 "bad_path" or "bad_query"; nothing about the target's
// content is echoed back.
Status ParseTarget(std::string_view target, Request& request);

// Checks the content type and parses `body` as one JSON value. An empty body
// yields null and is accepted with any content type. Errors: 415
// "unsupported_media_type" (a kInvalidArgument Status that HttpStatusFor
// maps to 415, so clients can tell a wrong content type from bad content),
// 400 "bad_json" naming the 0-based byte offset of the error, 400
// "json_too_deep".
StatusOr<nlohmann::json> ParseJsonBody(std::string_view content_type, std::string_view body);

// True if `content_type` is application/json, optionally with parameters
// (";charset=utf-8"); case-insensitive in type and subtype.
bool IsJsonContentType(std::string_view content_type);

// True if `s` may appear in a header name or value (no CR, LF or NUL).
bool IsSafeHeaderText(std::string_view s);

// The HTTP status the server uses for `status`: HttpStatusOf(code), except
// 415 for reason "unsupported_media_type" and 431 for "header_too_large",
// which have no StatusCode of their own.
int HttpStatusFor(const Status& status);

}  // namespace warden::http

#endif  // WARDEN_HTTP_HTTP_H_
