#include "http/http_server.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <optional>
#include <thread>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/mutex.h"

namespace warden::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::string_view kUnmatchedRoute = "unmatched";

// Headers on every answer unless the handler set the same name.
struct DefaultHeader {
  std::string_view name;
  std::string_view value;
  bool tls_only;
};
constexpr std::array<DefaultHeader, 7> kDefaultHeaders = {{
    {"Cache-Control", "no-store", false},
    {"X-Content-Type-Options", "nosniff", false},
    {"X-Frame-Options", "DENY", false},
    {"Referrer-Policy", "no-referrer", false},
    {"Content-Security-Policy",
     "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
     "object-src 'none'",
     false},
    {"Cross-Origin-Resource-Policy", "same-origin", false},
    {"Strict-Transport-Security", "max-age=63072000; includeSubDomains", true},
}};

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 423:
      return "Locked";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + 32) : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

// Fills a Request straight from Beast's parser callbacks: no intermediate
// header container, and the Request's buffers are reused across requests.
class RequestParser : public beast_http::basic_parser<true> {
 public:
  RequestParser(Request& request, const HttpServerOptions& options)
      : request_(request), max_fields_(options.max_header_fields) {
    header_limit(options.max_header_bytes);
    body_limit(options.max_body_bytes);
  }

 private:
  void on_request_impl(beast_http::verb, beast::string_view method, beast::string_view target,
                       int version, error_code& ec) override {
    if (version != 10 && version != 11) {
      ec = beast_http::error::bad_version;
      return;
    }
    request_.method_name.assign(method.data(), method.size());
    request_.method = ParseHttpMethod(request_.method_name);
    request_.target.assign(target.data(), target.size());
    version_ = version;
  }
  void on_response_impl(int, beast::string_view, int, error_code& ec) override {
    ec = beast_http::error::bad_method;
  }
  void on_field_impl(beast_http::field, beast::string_view name, beast::string_view value,
                     error_code& ec) override {
    if (request_.header_size() >= max_fields_) {
      ec = beast_http::error::header_limit;
      return;
    }
    if (!IsSafeHeaderText({value.data(), value.size()})) {
      ec = beast_http::error::bad_value;
      return;
    }
    request_.AddHeader({name.data(), name.size()}, {value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) request_.body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(beast::string_view body, error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Request& request_;
  size_t max_fields_;
  int version_ = 11;

 public:
  int http_version() const { return version_; }
};

// Per-route metric series, created lazily and then read without locks.
struct RouteMetrics {
  std::string label;
  HistogramMetric* latency = nullptr;
  std::array<std::atomic<CounterMetric*>, 500> by_status{};  // index: status - 100
};

// Paths do not end in "/". A GET or HEAD of "/x/" (a person typing
// "/console/") is sent to "/x"; any other method is told so.
Response TrailingSlashAnswer(const Request& request) {
  if (request.method != HttpMethod::kGet && request.method != HttpMethod::kHead) {
    return ErrorResponse(404, "not_found", "no such path; paths do not end in '/'");
  }
  std::string location = request.target;
  const size_t query = location.find('?');
  location.erase((query == std::string::npos ? location.size() : query) - 1, 1);
  Response r = Response::Text(301, "text/plain; charset=utf-8", "See " + location + "\n");
  r.AddHeader("Location", std::move(location));
  return r;
}

class Session;

// Whether asynchronous completions may still post to a shard's io_context;
// shared with the completion sinks, which may outlive the shard.
struct CompletionGate {
  Mutex mu;
  bool open GUARDED_BY(mu) = true;
};

// One I/O thread with its io_context and the connections it owns. The
// session list is touched only on this thread (or after it has stopped).
struct Shard {
  // Declared before `ioc` so it outlives the handlers the io_context
  // destroys (which may destroy sessions that unlink themselves).
  Session* sessions = nullptr;  // intrusive list head
  std::shared_ptr<CompletionGate> gate = std::make_shared<CompletionGate>();
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
};

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(HttpServer& server) : server_(server) {}

  HttpServer& server_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::optional<tcp::acceptor> acceptor_;
  size_t next_shard_ = 0;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
  std::string default_headers_;  // pre-rendered, for the common case

  std::vector<std::unique_ptr<RouteMetrics>> route_metrics_;  // by route id; last = unmatched
  GaugeMetric* open_gauge_ = nullptr;
  CounterMetric* rejected_ = nullptr;
  CounterMetric* tls_failures_ = nullptr;

  const HttpServerOptions& options() const { return server_.options_; }
  const Router& router() const { return server_.router_; }
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
  void CountRequest(const RouteSpec* route, int status, double seconds);
  void ConnectionOpened();
  void ConnectionClosed();
};

namespace {

// The Responder sink of async handlers: completes on the connection's thread.
class ConnectionSink;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, Shard& shard) : server_(server), shard_(shard) {}
  virtual ~Session() {
    if (prev_ != nullptr) {
      prev_->next_ = next_;
    } else if (shard_.sessions == this) {
      shard_.sessions = next_;
    }
    if (next_ != nullptr) next_->prev_ = prev_;
    server_.ConnectionClosed();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called on the shard's thread once the session is owned by a shared_ptr.
  void Link() {
    next_ = shard_.sessions;
    if (next_ != nullptr) next_->prev_ = this;
    shard_.sessions = this;
  }
  Session* next() const { return next_; }

  virtual void Start() = 0;
  // The server is stopping: close now if idle; finish otherwise.
  virtual void OnServerStopping() = 0;
  virtual void OnAsyncResult(StatusOr<Response> result) = 0;
  // After the I/O thread has stopped: drop any self-reference.
  void Release() { pending_self_.reset(); }

 protected:
  HttpServer::Impl& server_;
  Shard& shard_;
  // Held while an async handler owes an answer (no I/O keeps us alive then).
  std::shared_ptr<Session> pending_self_;

 private:
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
};

class ConnectionSink : public Responder::Sink {
 public:
  ConnectionSink(std::weak_ptr<Session> session, Shard& shard)
      : session_(std::move(session)), executor_(shard.ioc.get_executor()), gate_(shard.gate) {}

  void Complete(StatusOr<Response> result) override {
    MutexLock lock(gate_->mu);
    if (!gate_->open) return;  // server gone; the connection is already closed
    asio::post(executor_, [session = session_, result = std::move(result)]() mutable {
      if (auto s = session.lock()) s->OnAsyncResult(std::move(result));
    });
  }

 private:
  std::weak_ptr<Session> session_;
  asio::io_context::executor_type executor_;
  std::shared_ptr<CompletionGate> gate_;
};

template <bool kTls>
class HttpSession final : public Session {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  HttpSession(HttpServer::Impl& server, Shard& shard, tcp::socket socket)
      : Session(server, shard), stream_(MakeStream(server, std::move(socket))) {}

  void Start() override {
    Link();
    error_code ec;
    const tcp::endpoint peer = Tcp().socket().remote_endpoint(ec);
    if (!ec) {
      client_address_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    }
    // Small answers go out at once; we never write a partial answer.
    Tcp().socket().set_option(tcp::no_delay(true), ec);
    if constexpr (kTls) {
      state_ = State::kHandshake;
      Tcp().expires_after(Options().handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](error_code e) { self->OnHandshake(e); });
    } else {
      WaitForRequest();
    }
  }

  void OnServerStopping() override {
    if (state_ == State::kIdle || state_ == State::kHandshake || state_ == State::kClosing) {
      Tcp().cancel();
    }
  }

  void OnAsyncResult(StatusOr<Response> result) override {
    std::shared_ptr<Session> keep = std::move(pending_self_);
    if (state_ != State::kHandling) return;
    Respond(std::move(result));
  }

 private:
  enum class State { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing };

  static Stream MakeStream(HttpServer::Impl& server, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *server.options().tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<HttpSession> Self() {
    return std::static_pointer_cast<HttpSession>(shared_from_this());
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& Options() const { return server_.options(); }

  void OnHandshake(error_code ec) {
    if (ec) {
      if (server_.tls_failures_ != nullptr && !server_.stopping_.load()) {
        server_.tls_failures_->Increment();
      }
      return Close();
    }
    SSL* ssl = stream_.native_handle();
    tls_version_ = SSL_get_version(ssl);
    tls_cipher_ = SSL_get_cipher_name(ssl);
    if (X509* cert = SSL_get0_peer_certificate(ssl);
        cert != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
        static constexpr char kHex[] = "0123456789abcdef";
        for (unsigned int i = 0; i < len; ++i) {
          peer_sha256_ += kHex[md[i] >> 4];
          peer_sha256_ += kHex[md[i] & 15];
        }
      }
    }
    WaitForRequest();
  }

  // Waits (idle timeout) for the first bytes of the next request.
  void WaitForRequest() {
    state_ = State::kIdle;
    if (server_.stopping_.load()) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    Tcp().expires_after(Options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk), [self = Self()](error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->Close();
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    state_ = State::kReading;
    start_ = std::chrono::steady_clock::now();
    request_.Reset();
    parser_.emplace(request_, Options());
    Tcp().expires_after(Options().header_timeout);
    beast_http::async_read_header(stream_, buffer_, *parser_,
                                  [self = Self()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return Dispatch();
    const std::string* expect = request_.Header("expect");
    if (expect != nullptr && EqualsIgnoreCase(*expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Tcp().expires_after(Options().write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Tcp().expires_at(start_ + Options().request_timeout);
    beast_http::async_read(stream_, buffer_, *parser_, [self = Self()](error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(error_code ec) {
    if (ec == beast_http::error::header_limit) {
      close_after_ = true;
      linger_ = true;  // the rest of the header may still be arriving
      return Respond(ErrorResponse(431, "header_too_large", "request header too large"));
    }
    if (ec == beast_http::error::body_limit) {
      close_after_ = true;
      linger_ = true;  // the client may still be sending the body
      return Respond(ErrorResponse(413, "payload_too_large", "request body too large"));
    }
    if (ec.category() == error_code(beast_http::error::bad_target).category() &&
        ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message) {
      close_after_ = true;
      return Respond(ErrorResponse(400, "bad_request", "malformed HTTP request"));
    }
    // Timeouts, resets and truncation: nobody is listening for an answer.
    Close();
  }

  void Dispatch() {
    state_ = State::kHandling;
    request_.client_address = client_address_;
    if constexpr (kTls) {
      request_.tls.secure = true;
      request_.tls.version = tls_version_;
      request_.tls.cipher = tls_cipher_;
      request_.tls.peer_certificate_sha256 = peer_sha256_;
    }
    if (Status st = ParseTarget(request_.target, request_); !st.ok()) {
      return Respond(ErrorResponse(st));
    }
    if (request_.trailing_slash) return Respond(TrailingSlashAnswer(request_));
    Response error;
    const Router::Route* route = server_.router().Find(request_, &error);
    if (route == nullptr) return Respond(std::move(error));
    if (!request_.body.empty()) {
      const std::string* content_type = request_.Header("content-type");
      StatusOr<nlohmann::json> json = ParseJsonBody(
          content_type == nullptr ? std::string_view() : *content_type, request_.body);
      if (!json.ok()) return Respond(ErrorResponse(json.status()));
      request_.json = std::move(json).value();
    }
    // Handlers must not throw (STYLE: errors are Status), but a stray
    // exception from a library must cost one request, not the process.
    if (route->handler) {
      StatusOr<Response> result = Internal("handler failed");
      try {
        result = route->handler(request_);
      } catch (const std::exception&) {
        result = Internal("handler failed");
      }
      return Respond(std::move(result));
    }
    pending_self_ = shared_from_this();
    try {
      route->async_handler(request_,
                           Responder(std::make_shared<ConnectionSink>(weak_from_this(), shard_)));
    } catch (const std::exception&) {
      // The dropped Responder has already answered 500.
    }
  }

  void Respond(StatusOr<Response> result) {
    Response response = result.ok() ? std::move(result).value() : ErrorResponse(result.status());
    bool keep_alive = !close_after_ && parser_.has_value() && parser_->is_header_done() &&
                      parser_->keep_alive() && !server_.stopping_.load();
    if (!Serialize(response, keep_alive)) {
      Response internal = ErrorResponse(500, "internal", "handler produced an invalid header");
      Serialize(internal, keep_alive);
      response.status = 500;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    server_.CountRequest(request_.route(), response.status, seconds);
    keep_alive_ = keep_alive;
    state_ = State::kWriting;
    Tcp().expires_after(Options().write_timeout);
    asio::async_write(stream_, asio::buffer(out_), [self = Self()](error_code ec, size_t) {
      if (ec) return self->Close();
      if (self->linger_) return self->LingerThenClose();
      if (!self->keep_alive_) return self->GracefulClose();
      self->WaitForRequest();
    });
  }

  // Renders `r` into out_. False if a header is unsafe to send.
  bool Serialize(const Response& r, bool keep_alive) {
    out_.clear();
    for (const auto& [name, value] : r.headers) {
      if (!IsToken(name) || !IsSafeHeaderText(value)) return false;
    }
    if (!IsSafeHeaderText(r.content_type) || r.status < 100 || r.status > 599) return false;
    out_ += "HTTP/1.1 ";
    AppendUint(out_, static_cast<uint64_t>(r.status));
    out_ += ' ';
    out_ += ReasonPhrase(r.status);
    out_ += "\r\n";
    if (r.headers.empty()) {
      out_ += server_.default_headers_;
    } else {
      for (const DefaultHeader& h : kDefaultHeaders) {
        if (h.tls_only && !kTls) continue;
        bool overridden = false;
        for (const auto& [name, value] : r.headers) overridden |= EqualsIgnoreCase(name, h.name);
        if (overridden) continue;
        out_ += h.name;
        out_ += ": ";
        out_ += h.value;
        out_ += "\r\n";
      }
      for (const auto& [name, value] : r.headers) {
        out_ += name;
        out_ += ": ";
        out_ += value;
        out_ += "\r\n";
      }
    }
    const bool has_body = r.status != 204 && r.status != 304 && r.status >= 200;
    if (has_body && !r.content_type.empty()) {
      out_ += "Content-Type: ";
      out_ += r.content_type;
      out_ += "\r\n";
    }
    out_ += "Content-Length: ";
    AppendUint(out_, has_body ? r.body.size() : 0);
    out_ += "\r\n";
    if (!keep_alive) {
      out_ += "Connection: close\r\n";
    } else if (parser_.has_value() && parser_->is_header_done() && parser_->http_version() == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
    if (has_body && request_.method != HttpMethod::kHead) out_ += r.body;
    return true;
  }

  // After an error answer to a request that was not read to its end (an
  // oversized body, say): reads and drops what the client is still sending,
  // within kLingerBytes and kLingerTime, so that closing does not reset the
  // connection (TCP RST) before the client has read the answer.
  void LingerThenClose() {
    state_ = State::kClosing;
    linger_left_ = kLingerBytes;
    Tcp().expires_after(kLingerTime);
    DropIncoming();
  }

  void DropIncoming() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadChunk), [self = Self()](error_code ec, size_t n) {
      // The client closed, went quiet past the deadline, or sent too much.
      if (ec || n >= self->linger_left_) return self->Close();
      self->linger_left_ -= n;
      self->DropIncoming();
    });
  }

  void GracefulClose() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      Tcp().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = Self()](error_code) { self->Close(); });
    } else {
      Close();
    }
  }

  void Close() {
    state_ = State::kClosing;
    error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  static constexpr size_t kReadChunk = 16 * 1024;
  static constexpr size_t kLingerBytes = 32 * 1024 * 1024;
  static constexpr std::chrono::seconds kLingerTime{5};

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request request_;
  std::string out_;
  std::string client_address_;
  std::string tls_version_;
  std::string tls_cipher_;
  std::string peer_sha256_;
  std::chrono::steady_clock::time_point start_;
  State state_ = State::kIdle;
  bool keep_alive_ = false;
  bool close_after_ = false;
  bool linger_ = false;
  size_t linger_left_ = 0;
};

}  // namespace

void HttpServer::Impl::ConnectionOpened() {
  server_.open_connections_.fetch_add(1);
  if (open_gauge_ != nullptr) open_gauge_->Add(1);
}

void HttpServer::Impl::ConnectionClosed() {
  server_.open_connections_.fetch_sub(1);
  if (open_gauge_ != nullptr) open_gauge_->Add(-1);
}

void HttpServer::Impl::CountRequest(const RouteSpec* route, int status, double seconds) {
  if (server_.metrics_ == nullptr) return;
  RouteMetrics& m = *route_metrics_[route != nullptr ? route->id : route_metrics_.size() - 1];
  if (m.latency != nullptr) m.latency->Observe(seconds);
  if (status < 100 || status > 599) return;
  std::atomic<CounterMetric*>& slot = m.by_status[static_cast<size_t>(status - 100)];
  CounterMetric* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    StatusOr<CounterMetric*> c =
        server_.metrics_->Counter("warden_http_requests_total", "HTTP requests answered",
                                  {{"route", m.label}, {"status", std::to_string(status)}});
    if (!c.ok()) return;
    counter = *c;
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void HttpServer::Impl::Accept() {
  Shard& target = *shards_[next_shard_];
  next_shard_ = (next_shard_ + 1) % shards_.size();
  acceptor_->async_accept(target.ioc, [this, &target](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      auto timer = std::make_shared<asio::steady_timer>(shards_[0]->ioc);
      timer->expires_after(std::chrono::milliseconds(50));
      timer->async_wait([this, timer](error_code) {
        if (!stopping_.load()) Accept();
      });
      return;
    }
    if (stopping_.load()) return;
    if (server_.open_connections_.load() >= options().max_connections) {
      if (rejected_ != nullptr) rejected_->Increment();
      error_code ignored;
      socket.close(ignored);
    } else {
      ConnectionOpened();
      std::shared_ptr<Session> session;
      if (options().tls) {
        session = std::make_shared<HttpSession<true>>(*this, target, std::move(socket));
      } else {
        session = std::make_shared<HttpSession<false>>(*this, target, std::move(socket));
      }
      asio::post(target.ioc, [session] { session->Start(); });
    }
    Accept();
  });
}

bool IsLoopbackAddress(const std::string& address) {
  error_code ec;
  const asio::ip::address a = asio::ip::make_address(address, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router, Metrics* metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (impl_ != nullptr) return Internal("server started twice");
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    return InvalidArgument("listen address must be an IP address", "bad_address");
  }
  if (!options_.tls && !IsLoopbackAddress(options_.address)) {
    return InvalidArgument("TLS is required to listen on a non-loopback address", "tls_required");
  }
  auto impl = std::make_unique<Impl>(*this);
  impl->default_headers_.clear();
  for (const DefaultHeader& h : kDefaultHeaders) {
    if (h.tls_only && !options_.tls) continue;
    impl->default_headers_ += std::string(h.name) + ": " + std::string(h.value) + "\r\n";
  }
  if (metrics_ != nullptr) {
    for (size_t i = 0; i <= router_.size(); ++i) {
      auto m = std::make_unique<RouteMetrics>();
      m->label = i < router_.size() ? router_.spec(i).pattern : std::string(kUnmatchedRoute);
      ASSIGN_OR_RETURN(m->latency,
                       metrics_->Histogram("warden_http_request_duration_seconds",
                                           "Time from the first request byte to the answer",
                                           DefaultLatencyBuckets(), {{"route", m->label}}));
      impl->route_metrics_.push_back(std::move(m));
    }
    ASSIGN_OR_RETURN(impl->open_gauge_,
                     metrics_->Gauge("warden_http_open_connections", "Open client connections"));
    ASSIGN_OR_RETURN(impl->rejected_,
                     metrics_->Counter("warden_http_connections_rejected_total",
                                       "Connections closed at once by the connection cap"));
    ASSIGN_OR_RETURN(impl->tls_failures_, metrics_->Counter("warden_tls_handshake_failures_total",
                                                            "Failed TLS handshakes"));
  }

  size_t threads = options_.io_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) impl->shards_.push_back(std::make_unique<Shard>());

  tcp::acceptor& acceptor = impl->acceptor_.emplace(impl->shards_[0]->ioc);
  const tcp::endpoint endpoint(address, options_.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(options_.listen_backlog, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.address + ":" +
                           std::to_string(options_.port) + ": " + ec.message(),
                       "listen_failed");
  }
  port_ = acceptor.local_endpoint().port();

  impl->started_ = true;
  impl->Accept();
  for (auto& shard : impl->shards_) {
    shard->work.emplace(shard->ioc.get_executor());
    Shard* s = shard.get();
    s->thread = std::thread([s] { s->ioc.run(); });
  }
  impl_ = std::move(impl);
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped_) return;
  Impl& impl = *impl_;
  impl.stopped_ = true;
  impl.stopping_ = true;
  asio::post(impl.shards_[0]->ioc, [&impl] {
    error_code ignored;
    impl.acceptor_->close(ignored);
  });
  for (auto& shard : impl.shards_) {
    Shard* s = shard.get();
    asio::post(s->ioc, [s] {
      for (Session* session = s->sessions; session != nullptr; session = session->next()) {
        session->OnServerStopping();
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  while (open_connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& shard : impl.shards_) {
    {
      MutexLock lock(shard->gate->mu);
      shard->gate->open = false;
    }
    shard->work.reset();
    shard->ioc.stop();
  }
  for (auto& shard : impl.shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
  // The threads are gone: break the self-references of sessions still waiting
  // for an async answer, then let the io_contexts destroy the rest.
  for (auto& shard : impl.shards_) {
    for (Session* s = shard->sessions; s != nullptr;) {
      Session* next = s->next();
      s->Release();
      s = next;
    }
  }
  impl.acceptor_.reset();
  impl.shards_.clear();
}

}  // namespace warden::http
