// End-to-end tests of HttpServer over real sockets and real TLS.
#include "http/http_server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>

#include "http/test_client.h"
#include "http/tls.h"

namespace warden::http {
namespace {

using std::chrono::milliseconds;

const TlsCredentials& Credentials() {
  static const TlsCredentials* creds = [] {
    StatusOr<TlsCredentials> c = GenerateSelfSignedCertificate();
    if (!c.ok()) std::abort();
    return new TlsCredentials(std::move(c).value());
  }();
  return *creds;
}

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    using M = HttpMethod;
    ASSERT_TRUE(router_
                    .Add(M::kGet, "/healthz",
                         [](const Request&) -> StatusOr<Response> {
                           return Response::Json(200, {{"status", "ok"}});
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(M::kPost, "/v1/{collection}/search",
                         [](const Request& r) -> StatusOr<Response> {
                           return Response::Json(
                               200, {{"echo", r.json}, {"collection", r.Param("collection")}});
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(M::kGet, "/tls",
                         [](const Request& r) -> StatusOr<Response> {
                           return Response::Json(200, {{"secure", r.tls.secure},
                                                       {"version", r.tls.version},
                                                       {"client", r.client_address}});
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(M::kGet, "/invalid",
                         [](const Request&) -> StatusOr<Response> {
                           return FieldInvalid("phones[0]", "e164", "not a phone number");
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(M::kGet, "/inject",
                         [](const Request&) -> StatusOr<Response> {
                           Response r = Response::Json(200, {});
                           r.AddHeader("X-Note", "a\r\nSet-Cookie: stolen=1");
                           return r;
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(M::kGet, "/slow",
                         [this](const Request&) -> StatusOr<Response> {
                           slow_entered_ = true;
                           std::this_thread::sleep_for(milliseconds(300));
                           return Response::Json(200, {{"slow", true}});
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .AddAsync(M::kGet, "/async",
                              [](const Request&, Responder responder) {
                                std::thread([r = std::move(responder)]() mutable {
                                  std::this_thread::sleep_for(milliseconds(20));
                                  r.Send(Response::Json(202, {{"async", true}}));
                                }).detach();
                              })
                    .ok());
    ASSERT_TRUE(router_.Add(M::kGet, "/metrics", MakeMetricsHandler(metrics_)).ok());
    StatusOr<std::shared_ptr<boost::asio::ssl::context>> ctx = MakeServerTlsContext(Credentials());
    ASSERT_TRUE(ctx.ok());
    options_.tls = *ctx;
    options_.io_threads = 2;
    options_.max_header_bytes = 4096;
    options_.max_body_bytes = 64 * 1024;
  }

  void StartServer() {
    server_ = std::make_unique<HttpServer>(options_, router_, &metrics_);
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::unique_ptr<TestClient> Connect(TestClient::Options opt = {}) {
    opt.ca_pem = options_.tls ? Credentials().certificate_chain_pem : "";
    opt.tls = options_.tls != nullptr;
    StatusOr<std::unique_ptr<TestClient>> c = TestClient::Connect(server_->port(), opt);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  ClientResponse Get(TestClient& c, std::string_view target) {
    StatusOr<ClientResponse> r = c.Roundtrip("GET", target);
    EXPECT_TRUE(r.ok()) << target << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : ClientResponse{};
  }

  void ExpectHealthy() {
    auto c = Connect();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(Get(*c, "/healthz").status, 200);
  }

  static void ExpectSecurityHeaders(const ClientResponse& r, bool tls = true) {
    ASSERT_NE(r.Header("cache-control"), nullptr);
    EXPECT_EQ(*r.Header("cache-control"), "no-store");
    ASSERT_NE(r.Header("x-content-type-options"), nullptr);
    EXPECT_EQ(*r.Header("x-content-type-options"), "nosniff");
    ASSERT_NE(r.Header("x-frame-options"), nullptr);
    EXPECT_EQ(*r.Header("x-frame-options"), "DENY");
    ASSERT_NE(r.Header("referrer-policy"), nullptr);
    EXPECT_EQ(*r.Header("referrer-policy"), "no-referrer");
    ASSERT_NE(r.Header("content-security-policy"), nullptr);
    EXPECT_EQ(r.Header("content-security-policy")
                  ->rfind("default-src 'self'; frame-ancestors "
                          "'none'",
                          0),
              0u);
    EXPECT_EQ(r.Header("server"), nullptr);
    if (tls) {
      ASSERT_NE(r.Header("strict-transport-security"), nullptr);
      EXPECT_NE(r.Header("strict-transport-security")->find("max-age="), std::string::npos);
    } else {
      EXPECT_EQ(r.Header("strict-transport-security"), nullptr);
    }
  }

  Router router_;
  Metrics metrics_;
  HttpServerOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> slow_entered_{false};
};

TEST_F(HttpServerTest, HealthzOverTls13WithSecurityHeaders) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tls_version(), "TLSv1.3");
  ClientResponse r = Get(*c, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json(), nlohmann::json({{"status", "ok"}}));
  EXPECT_EQ(*r.Header("content-type"), "application/json");
  ExpectSecurityHeaders(r);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Get(*c, "/healthz").status, 200);
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(
      c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
          .ok());
  EXPECT_EQ(c->Receive()->status, 200);
  EXPECT_EQ(c->Receive()->status, 404);
}

TEST_F(HttpServerTest, RequestCarriesTlsAndClientInfo) {
  StartServer();
  auto c = Connect();
  nlohmann::json j = Get(*c, "/tls").Json();
  EXPECT_EQ(j["secure"], true);
  EXPECT_EQ(j["version"], "TLSv1.3");
  EXPECT_EQ(j["client"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowedCarryErrorBodyAndHeaders) {
  StartServer();
  auto c = Connect();
  ClientResponse r = Get(*c, "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Json()["error"]["code"], "not_found");
  ExpectSecurityHeaders(r);
  r = *c->Roundtrip("DELETE", "/healthz");
  EXPECT_EQ(r.status, 405);
  ASSERT_NE(r.Header("allow"), nullptr);
  EXPECT_EQ(*r.Header("allow"), "GET");
  EXPECT_EQ(r.Json()["error"]["code"], "method_not_allowed");
  r = *c->Roundtrip("BREW", "/healthz");
  EXPECT_EQ(r.status, 405);
}

TEST_F(HttpServerTest, PathTricksAreBadPathAndTheConnectionKeepsServing) {
  StartServer();
  auto c = Connect();
  for (const char* target :
       {"/v1/persons/../admin/search", "/v1/%2e%2e/admin/search", "/v1/persons%2Fx/search",
        "/v1/persons%2fx/search", "/v1/a%00b/search", "/v1/a%zz/search", "/v1/a%4/search",
        "//v1/persons/search", "/v1//persons/search", "/v1/persons/search//", "/v1/%5C..%5C/search",
        "/v1/a%0D%0AX-Injected:%201/search"}) {
    StatusOr<ClientResponse> r = c->Roundtrip("POST", target, "{}");
    ASSERT_TRUE(r.ok()) << target;
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(r->Json()["error"]["code"], "bad_path") << target;
    EXPECT_EQ(r->Header("x-injected"), nullptr);
  }
  EXPECT_EQ(Get(*c, "/healthz").status, 200);
}

TEST_F(HttpServerTest, BadQueryIs400) {
  StartServer();
  auto c = Connect();
  ClientResponse r = Get(*c, "/healthz?a=1&a=2");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["error"]["code"], "bad_query");
}

TEST_F(HttpServerTest, RawCrInHeaderIsBadRequestAndServerKeepsServing) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rInjected: 1\r\n\r\n").ok());
  StatusOr<ClientResponse> r = c->Receive();
  if (r.ok()) {
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->Json()["error"]["code"], "bad_request");
    ExpectSecurityHeaders(*r);
  }
  EXPECT_TRUE(c->WaitClosed(milliseconds(2000)));
  ExpectHealthy();
}

TEST_F(HttpServerTest, MalformedRequestLineIsBadRequest) {
  StartServer();
  for (const char* raw : {"GET /healthz HTTP/9.9\r\n\r\n", "GET\r\n\r\n",
                          "GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                          "GET /healthz HTTP/1.1\r\nBad Header: 1\r\n\r\n"}) {
    auto c = Connect();
    ASSERT_TRUE(c->Send(raw).ok());
    StatusOr<ClientResponse> r = c->Receive();
    ASSERT_TRUE(r.ok()) << raw;
    EXPECT_EQ(r->status, 400) << raw;
  }
  ExpectHealthy();
}

TEST_F(HttpServerTest, HandlerHeaderWithCrLfBecomes500NotInjection) {
  StartServer();
  auto c = Connect();
  ClientResponse r = Get(*c, "/inject");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.Header("set-cookie"), nullptr);
  EXPECT_EQ(r.Header("x-note"), nullptr);
}

TEST_F(HttpServerTest, JsonBodyReachesHandler) {
  StartServer();
  auto c = Connect();
  StatusOr<ClientResponse> r =
      c->Roundtrip("POST", "/v1/persons/search", R"({"phone":"+8613800138000"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Json()["echo"]["phone"], "+8613800138000");
  EXPECT_EQ(r->Json()["collection"], "persons");
}

TEST_F(HttpServerTest, NonJsonContentTypeIs415) {
  StartServer();
  auto c = Connect();
  StatusOr<ClientResponse> r = c->Roundtrip("POST", "/v1/persons/search", "phone=1", "text/plain");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(r->Json()["error"]["code"], "unsupported_media_type");
  r = c->Roundtrip("POST", "/v1/persons/search", "{}", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(Get(*c, "/healthz").status, 200);
}

TEST_F(HttpServerTest, BadJsonIs400NamingThePosition) {
  StartServer();
  auto c = Connect();
  StatusOr<ClientResponse> r = c->Roundtrip("POST", "/v1/persons/search", R"({"phone": })");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Json()["error"]["code"], "bad_json");
  EXPECT_NE(r->Json()["error"]["message"].get<std::string>().find("byte offset 10"),
            std::string::npos);
}

TEST_F(HttpServerTest, HandlerValidationErrorBecomesSpecErrorBody) {
  StartServer();
  auto c = Connect();
  ClientResponse r = Get(*c, "/invalid");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Json()["error"]["code"], "validation_failed");
  EXPECT_EQ(r.Json()["error"]["fields"][0]["field"], "phones[0]");
  EXPECT_EQ(r.Json()["error"]["fields"][0]["rule"], "e164");
  ExpectSecurityHeaders(r);
}

TEST_F(HttpServerTest, AsyncHandlerAnswersFromAnotherThread) {
  StartServer();
  auto c = Connect();
  for (int i = 0; i < 3; ++i) {
    ClientResponse r = Get(*c, "/async");
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.Json()["async"], true);
  }
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  StartServer();
  auto c = Connect();
  const std::string big(8000, 'a');
  StatusOr<ClientResponse> r = c->Roundtrip("GET", "/healthz", {}, {}, "X-Big: " + big + "\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->Json()["error"]["code"], "header_too_large");
  ExpectSecurityHeaders(*r);
  ExpectHealthy();
}

TEST_F(HttpServerTest, TooManyHeaderFieldsIs431) {
  StartServer();
  auto c = Connect();
  std::string many;
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  StatusOr<ClientResponse> r = c->Roundtrip("GET", "/healthz", {}, {}, many);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 431);
}

TEST_F(HttpServerTest, OversizedBodyIs413BeforeTheBodyIsRead) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /v1/persons/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      "application/json\r\nContent-Length: 10000000\r\n\r\n")
                  .ok());
  StatusOr<ClientResponse> r = c->Receive();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Json()["error"]["code"], "payload_too_large");
  EXPECT_EQ(*r->Header("connection"), "close");
  ExpectSecurityHeaders(*r);
  ExpectHealthy();
}

TEST_F(HttpServerTest, ClientThatSendsAnOversizedBodyAnywayStillReads413) {
  StartServer();
  auto c = Connect();
  // The whole body is written before reading, as simple clients do; the
  // server must drop it rather than reset the connection under the answer.
  const size_t size = 10'000'000;
  std::string req =
      "POST /v1/persons/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(size) + "\r\n\r\n" + std::string(size, ' ');
  ASSERT_TRUE(c->Send(req).ok());
  StatusOr<ClientResponse> r = c->Receive();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Json()["error"]["code"], "payload_too_large");
  ExpectHealthy();
}

TEST_F(HttpServerTest, TrailingSlashRedirectsGetsAndRefusesTheRest) {
  StartServer();
  auto c = Connect();
  StatusOr<ClientResponse> r = c->Roundtrip("GET", "/healthz/", {}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(*r->Header("location"), "/healthz");
  r = c->Roundtrip("GET", "/v1/persons/110105194912310021/?x=1", {}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(*r->Header("location"), "/v1/persons/110105194912310021?x=1");
  r = c->Roundtrip("POST", "/v1/persons/search/", {}, "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  // Two slashes are an empty segment, never a redirect elsewhere ("//host").
  r = c->Roundtrip("GET", "//evil.example/", {}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  r = c->Roundtrip("GET", "/healthz//", {}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpServerTest, OversizedChunkedBodyIs413) {
  StartServer();
  auto c = Connect();
  std::string req =
      "POST /v1/persons/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(32 * 1024, ' ');
  for (int i = 0; i < 3; ++i) req += "8000\r\n" + chunk + "\r\n";
  ASSERT_TRUE(c->Send(req).ok());
  StatusOr<ClientResponse> r = c->Receive();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, ExpectContinueGetsContinueThenAnswer) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /v1/persons/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      "application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
                  .ok());
  ASSERT_TRUE(c->WaitClosed(milliseconds(300)) == false);  // the 100 arrived, not a close
  ASSERT_TRUE(c->Send("{}").ok());
  StatusOr<ClientResponse> r = c->Receive();  // skips the 100
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, Tls11IsRefusedByTheServer) {
  StartServer();
  TestClient::Options opt;
  opt.ca_pem = Credentials().certificate_chain_pem;
  opt.min_version = TLS1_1_VERSION;
  opt.max_version = TLS1_1_VERSION;
  opt.security_level = 0;
  opt.tls12_ciphers = "DEFAULT:@SECLEVEL=0";
  StatusOr<std::unique_ptr<TestClient>> c = TestClient::Connect(server_->port(), opt);
  ASSERT_FALSE(c.ok());
  // The server's alert, not the client's own refusal.
  EXPECT_NE(c.status().message().find("alert protocol version"), std::string::npos)
      << c.status().message();
  // A TLS 1.2 client with the same settings gets in.
  opt.min_version = TLS1_2_VERSION;
  opt.max_version = TLS1_2_VERSION;
  opt.tls12_ciphers = "";
  c = TestClient::Connect(server_->port(), opt);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->tls_version(), "TLSv1.2");
  EXPECT_EQ(Get(**c, "/healthz").status, 200);
  EXPECT_NE(metrics_.Render().find("warden_tls_handshake_failures_total 1\n"), std::string::npos);
}

TEST_F(HttpServerTest, Tls12WithoutAeadOrEcdheIsRefused) {
  StartServer();
  for (const char* ciphers : {"ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0",
                              "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0", "AES128-GCM-SHA256"}) {
    TestClient::Options opt;
    opt.ca_pem = Credentials().certificate_chain_pem;
    opt.max_version = TLS1_2_VERSION;
    opt.security_level = 0;
    opt.tls12_ciphers = ciphers;
    EXPECT_FALSE(TestClient::Connect(server_->port(), opt).ok()) << ciphers;
  }
}

TEST_F(HttpServerTest, PlainHttpToTlsPortGetsNoAnswer) {
  StartServer();
  TestClient::Options opt;
  opt.tls = false;
  auto c = TestClient::Connect(server_->port(), opt);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  EXPECT_FALSE((*c)->Receive().ok());
  ExpectHealthy();
}

TEST_F(HttpServerTest, SlowlorisIsCutOffByTheHeaderDeadline) {
  options_.header_timeout = milliseconds(500);
  StartServer();
  auto c = Connect();
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {  // one byte per 100 ms, never finishing
    if (!c->Send(std::string(1, request[static_cast<size_t>(i) % request.size()])).ok()) {
      closed = true;
      break;
    }
    closed = c->WaitClosed(milliseconds(100));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_GE(elapsed, milliseconds(400));
  ExpectHealthy();
}

TEST_F(HttpServerTest, SlowBodyIsCutOffByTheRequestDeadline) {
  options_.request_timeout = milliseconds(600);
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /v1/persons/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      "application/json\r\nContent-Length: 100\r\n\r\n{")
                  .ok());
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    if (!c->Send(" ").ok()) break;
    closed = c->WaitClosed(milliseconds(100));
  }
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.idle_timeout = milliseconds(300);
  StartServer();
  auto c = Connect();
  EXPECT_EQ(Get(*c, "/healthz").status, 200);
  EXPECT_TRUE(c->WaitClosed(milliseconds(2000)));
}

TEST_F(HttpServerTest, SilentConnectionIsClosedAfterTheHandshakeDeadline) {
  options_.handshake_timeout = milliseconds(300);
  StartServer();
  TestClient::Options opt;
  opt.tls = false;  // TCP only: never starts the handshake
  auto c = TestClient::Connect(server_->port(), opt);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->WaitClosed(milliseconds(2000)));
}

TEST_F(HttpServerTest, ConnectionCapClosesExcessConnectionsAtOnce) {
  options_.max_connections = 2;
  StartServer();
  auto a = Connect();
  auto b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Get(*a, "/healthz").status, 200);
  EXPECT_EQ(Get(*b, "/healthz").status, 200);
  TestClient::Options opt;
  opt.ca_pem = Credentials().certificate_chain_pem;
  EXPECT_FALSE(TestClient::Connect(server_->port(), opt).ok());
  EXPECT_NE(metrics_.Render().find("warden_http_connections_rejected_total 1\n"),
            std::string::npos);
  a.reset();
  for (int i = 0; i < 100 && server_->open_connections() > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ExpectHealthy();
  EXPECT_EQ(Get(*b, "/healthz").status, 200);
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequest) {
  StartServer();
  auto idle = Connect();
  EXPECT_EQ(Get(*idle, "/healthz").status, 200);
  auto busy = Connect();
  ASSERT_NE(busy, nullptr);
  std::future<StatusOr<ClientResponse>> answer =
      std::async(std::launch::async, [&] { return busy->Roundtrip("GET", "/slow"); });
  for (int i = 0; i < 200 && !slow_entered_; ++i) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(slow_entered_);
  const uint16_t port = server_->port();
  server_->Stop();
  StatusOr<ClientResponse> r = answer.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Json()["slow"], true);
  ASSERT_NE(r->Header("connection"), nullptr);
  EXPECT_EQ(*r->Header("connection"), "close");
  EXPECT_TRUE(idle->WaitClosed(milliseconds(1000)));
  TestClient::Options opt;
  opt.tls = false;
  EXPECT_FALSE(TestClient::Connect(port, opt).ok());  // no longer listening
}

TEST_F(HttpServerTest, ShutdownGraceBoundsAStuckClient) {
  options_.shutdown_grace = milliseconds(300);
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n").ok());  // header never ends
  std::this_thread::sleep_for(milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  EXPECT_TRUE(c->WaitClosed(milliseconds(1000)));
}

TEST_F(HttpServerTest, MetricsCountRequestsByRouteAndStatus) {
  StartServer();
  auto c = Connect();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get(*c, "/healthz").status, 200);
  EXPECT_EQ(Get(*c, "/nope").status, 404);
  const std::string text = Get(*c, "/metrics").body;
  EXPECT_NE(text.find("warden_http_requests_total{route=\"/healthz\",status=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warden_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("warden_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("warden_http_open_connections 1\n"), std::string::npos);
}

TEST_F(HttpServerTest, PlainHttpOnNonLoopbackIsRefusedBeforeListening) {
  options_.tls = nullptr;
  for (const char* address : {"0.0.0.0", "::", "192.0.2.10", "::ffff:192.0.2.10"}) {
    options_.address = address;
    HttpServer server(options_, router_);
    Status st = server.Start();
    EXPECT_EQ(st.reason(), "tls_required") << address;
    EXPECT_EQ(server.port(), 0) << address;
  }
  options_.address = "localhost";  // names are not resolved
  EXPECT_EQ(HttpServer(options_, router_).Start().reason(), "bad_address");
}

TEST_F(HttpServerTest, PlainHttpOnLoopbackWorksWithoutHsts) {
  options_.tls = nullptr;
  StartServer();
  auto c = Connect();
  ClientResponse r = Get(*c, "/healthz");
  EXPECT_EQ(r.status, 200);
  ExpectSecurityHeaders(r, /*tls=*/false);
  EXPECT_EQ(Get(*c, "/tls").Json()["secure"], false);
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  options_.tls = nullptr;
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /healthz HTTP/1.0\r\n\r\n").ok());
  EXPECT_EQ(c->Receive()->status, 200);
  EXPECT_TRUE(c->WaitClosed(milliseconds(1000)));
  c = Connect();
  ASSERT_TRUE(c->Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
  StatusOr<ClientResponse> r = c->Receive();
  EXPECT_EQ(*r->Header("connection"), "keep-alive");
  EXPECT_EQ(Get(*c, "/healthz").status, 200);
}

TEST(LoopbackTest, OnlyLoopbackAddressesCount) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackAddress("::"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));
  EXPECT_FALSE(IsLoopbackAddress(""));
}

}  // namespace
}  // namespace warden::http
