#include "http/http.h"

#include <array>

#include "http/router.h"

namespace warden::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::array<uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Characters allowed raw in a path or query (RFC 3986 pchar plus "/", "?"
// and the query delimiters); everything else must be percent-encoded.
bool IsAllowedRaw(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7F) return false;
  switch (c) {
    case '"':
    case '<':
    case '>':
    case '\\':
    case '^':
    case '`':
    case '{':
    case '|':
    case '}':
    case '#':
      return false;
    default:
      return true;
  }
}

enum class Part { kPath, kQuery };

// Percent-decodes `in` into `out`. For path segments an encoded "/", "\" or
// any control character is refused; for queries "+" means space and control
// characters are refused. Returns false on any violation.
bool Decode(std::string_view in, Part part, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) return false;
      if (part == Part::kPath && (c == '/' || c == '\\')) return false;
    } else if (!IsAllowedRaw(c)) {
      return false;
    } else if (part == Part::kQuery && c == '+') {
      c = ' ';
    }
    out.push_back(c);
  }
  return IsValidUtf8(out);
}

Status BadPath(std::string_view why) {
  return InvalidArgument("invalid request path: " + std::string(why), "bad_path");
}

Status BadQuery(std::string_view why) {
  return InvalidArgument("invalid query string: " + std::string(why), "bad_query");
}

}  // namespace

std::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kHead:
      return "HEAD";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
    case HttpMethod::kOptions:
      return "OPTIONS";
    case HttpMethod::kOther:
      return "OTHER";
  }
  return "OTHER";
}

HttpMethod ParseHttpMethod(std::string_view name) {
  if (name == "GET") return HttpMethod::kGet;
  if (name == "POST") return HttpMethod::kPost;
  if (name == "PUT") return HttpMethod::kPut;
  if (name == "PATCH") return HttpMethod::kPatch;
  if (name == "DELETE") return HttpMethod::kDelete;
  if (name == "HEAD") return HttpMethod::kHead;
  if (name == "OPTIONS") return HttpMethod::kOptions;
  return HttpMethod::kOther;
}

void Request::Reset() {
  method = HttpMethod::kOther;
  method_name.clear();
  target.clear();
  body.clear();
  json = nullptr;
  client_address.clear();
  trailing_slash = false;
  tls.secure = false;
  tls.version.clear();
  tls.cipher.clear();
  tls.peer_certificate_sha256.clear();
  path_count_ = 0;
  query_count_ = 0;
  header_count_ = 0;
  route_ = nullptr;
}

void Request::AddPathSegment(std::string_view segment) {
  if (path_count_ == path_.size()) path_.emplace_back();
  path_[path_count_++].assign(segment);
}

const std::string* Request::Query(std::string_view name) const {
  for (size_t i = 0; i < query_count_; ++i) {
    if (query_[i].first == name) return &query_[i].second;
  }
  return nullptr;
}

void Request::AddQuery(std::string_view name, std::string_view value) {
  if (query_count_ == query_.size()) query_.emplace_back();
  auto& slot = query_[query_count_++];
  slot.first.assign(name);
  slot.second.assign(value);
}

const std::string* Request::Header(std::string_view name) const {
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].first, name)) return &headers_[i].second;
  }
  return nullptr;
}

void Request::AddHeader(std::string_view name, std::string_view value) {
  if (header_count_ == headers_.size()) headers_.emplace_back();
  auto& slot = headers_[header_count_++];
  slot.first.resize(name.size());
  for (size_t i = 0; i < name.size(); ++i) slot.first[i] = AsciiLower(name[i]);
  slot.second.assign(value);
}

std::string_view Request::Param(std::string_view name) const {
  if (route_ == nullptr) return {};
  const int index = route_->ParamIndex(name);
  if (index < 0 || static_cast<size_t>(index) >= path_count_) return {};
  return path_[static_cast<size_t>(index)];
}

Response Response::Json(int status, const nlohmann::json& value) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::Text(int status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

int HttpStatusFor(const Status& status) {
  if (status.reason() == "unsupported_media_type") return 415;
  if (status.reason() == "header_too_large") return 431;
  return HttpStatusOf(status.code());
}

Response ErrorResponse(const Status& status) {
  nlohmann::json fields = nlohmann::json::array();
  for (const FieldViolation& v : status.fields()) {
    fields.push_back({{"field", v.field}, {"rule", v.rule}});
  }
  nlohmann::json body = {
      {"error", {{"code", status.reason()}, {"message", status.message()}, {"fields", fields}}}};
  return Response::Json(HttpStatusFor(status), body);
}

Response ErrorResponse(int http_status, std::string_view reason, std::string_view message) {
  nlohmann::json body = {
      {"error", {{"code", reason}, {"message", message}, {"fields", nlohmann::json::array()}}}};
  return Response::Json(http_status, body);
}

Status ParseTarget(std::string_view target, Request& request) {
  if (target.empty() || target[0] != '/') return BadPath("must start with '/'");
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);  // "//" still fails below as an empty segment
    request.trailing_slash = true;
  }
  std::string decoded;
  if (path.size() > 1) {
    size_t start = 1;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      const std::string_view raw = path.substr(start, end - start);
      if (raw.empty()) return BadPath("empty segment");
      if (!Decode(raw, Part::kPath, decoded)) return BadPath("bad character or encoding");
      if (decoded == "." || decoded == "..") return BadPath("dot segment");
      request.AddPathSegment(decoded);
      start = end + 1;
    }
  }
  if (q == std::string_view::npos) return Status::Ok();
  std::string_view query = target.substr(q + 1);
  std::string name;
  while (!query.empty()) {
    size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) return BadQuery("empty parameter");
    const size_t eq = pair.find('=');
    if (!Decode(pair.substr(0, eq), Part::kQuery, name) || name.empty()) {
      return BadQuery("bad parameter name");
    }
    if (!Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                Part::kQuery, decoded)) {
      return BadQuery("bad value of parameter '" + name + "'");
    }
    if (request.Query(name) != nullptr) return BadQuery("repeated parameter '" + name + "'");
    request.AddQuery(name, decoded);
  }
  return Status::Ok();
}

bool IsJsonContentType(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view type = content_type.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return EqualsIgnoreCase(type, "application/json");
}

bool IsSafeHeaderText(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

StatusOr<nlohmann::json> ParseJsonBody(std::string_view content_type, std::string_view body) {
  if (body.empty()) return nlohmann::json();
  if (!IsJsonContentType(content_type)) {
    return InvalidArgument("request bodies must be application/json", "unsupported_media_type");
  }
  // Depth check first, so a hostile body of a million '[' costs one pass.
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels at byte " + std::to_string(i),
                               "json_too_deep");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Re-run through the SAX interface to learn the position of the error
    // without exceptions.
    struct ErrorPosition : nlohmann::json_sax<nlohmann::json> {
      size_t position = 0;
      bool null() override { return true; }
      bool boolean(bool) override { return true; }
      bool number_integer(number_integer_t) override { return true; }
      bool number_unsigned(number_unsigned_t) override { return true; }
      bool number_float(number_float_t, const string_t&) override { return true; }
      bool string(string_t&) override { return true; }
      bool binary(binary_t&) override { return true; }
      bool start_object(size_t) override { return true; }
      bool key(string_t&) override { return true; }
      bool end_object() override { return true; }
      bool start_array(size_t) override { return true; }
      bool end_array() override { return true; }
      bool parse_error(size_t pos, const std::string&,
                       const nlohmann::detail::exception&) override {
        position = pos;
        return false;
      }
    } sax;
    nlohmann::json::sax_parse(body, &sax, nlohmann::json::input_format_t::json, true, false);
    // nlohmann counts characters read, so the offending byte is one before.
    const size_t offset = sax.position > 0 ? sax.position - 1 : 0;
    return InvalidArgument(
        "request body is not valid JSON (error at byte offset " + std::to_string(offset) + ")",
        "bad_json");
  }
  return value;
}

}  // namespace warden::http
