#include "http/router.h"

#include <gtest/gtest.h>

#include <thread>

namespace warden::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request& r) -> StatusOr<Response> {
    nlohmann::json params = nlohmann::json::object();
    for (const char* p : {"collection", "key", "id"}) {
      if (!r.Param(p).empty()) params[p] = std::string(r.Param(p));
    }
    return Response::Json(200, {{"route", name}, {"params", params}});
  };
}

Response Serve(const Router& router, HttpMethod method, std::string_view target) {
  Request r;
  r.method = method;
  Status st = ParseTarget(target, r);
  if (!st.ok()) return ErrorResponse(st);
  return router.Serve(r);
}

std::string RouteOf(const Response& r) {
  return nlohmann::json::parse(r.body).value("route", std::string("none"));
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    using M = HttpMethod;
    ASSERT_TRUE(router_.Add(M::kGet, "/healthz", Named("health")).ok());
    ASSERT_TRUE(router_.Add(M::kGet, "/v1/{collection}/{key}", Named("get")).ok());
    ASSERT_TRUE(router_.Add(M::kPut, "/v1/{collection}/{key}", Named("put")).ok());
    ASSERT_TRUE(router_.Add(M::kDelete, "/v1/{collection}/{key}", Named("delete")).ok());
    ASSERT_TRUE(router_.Add(M::kPost, "/v1/{collection}/search", Named("search")).ok());
    ASSERT_TRUE(router_.Add(M::kPost, "/v1/{collection}/{key}/reveal", Named("reveal")).ok());
    ASSERT_TRUE(router_.Add(M::kGet, "/v1/persons/{id}/cases", Named("cases")).ok());
    ASSERT_TRUE(router_.Add(M::kGet, "/v1/audit/verify", Named("verify")).ok());
  }
  Router router_;
};

TEST_F(RouterTest, ParametersAreBoundByName) {
  Response r = Serve(router_, HttpMethod::kGet, "/v1/persons/11010519491231002X");
  ASSERT_EQ(r.status, 200);
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["route"], "get");
  EXPECT_EQ(body["params"]["collection"], "persons");
  EXPECT_EQ(body["params"]["key"], "11010519491231002X");
}

TEST_F(RouterTest, DecodedParametersReachTheHandler) {
  Response r = Serve(router_, HttpMethod::kPost, "/v1/persons/a%20b/reveal");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["params"]["key"], "a b");
}

TEST_F(RouterTest, LiteralBeatsParameter) {
  EXPECT_EQ(RouteOf(Serve(router_, HttpMethod::kGet, "/v1/audit/verify")), "verify");
  EXPECT_EQ(RouteOf(Serve(router_, HttpMethod::kGet, "/v1/audit/other")), "get");
  EXPECT_EQ(RouteOf(Serve(router_, HttpMethod::kPost, "/v1/persons/search")), "search");
  EXPECT_EQ(RouteOf(Serve(router_, HttpMethod::kGet, "/v1/persons/1/cases")), "cases");
}

TEST_F(RouterTest, UnknownPathIs404WithErrorBody) {
  for (const char* target : {"/", "/nope", "/v1", "/v1/persons", "/v1/a/b/c/d/e"}) {
    Response r = Serve(router_, HttpMethod::kGet, target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "not_found");
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response r = Serve(router_, HttpMethod::kPost, "/v1/persons/1");
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, PUT, DELETE");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "method_not_allowed");
}

TEST_F(RouterTest, ReservedLiteralIsNotALookupKey) {
  // GET /v1/persons/search must not fetch a record keyed "search".
  Response r = Serve(router_, HttpMethod::kGet, "/v1/persons/search");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers[0].second, "POST");
  r = Serve(router_, HttpMethod::kPost, "/v1/audit/verify");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers[0].second, "GET");
}

TEST_F(RouterTest, UnknownMethodIs405) {
  Request r;
  r.method = HttpMethod::kOther;
  r.method_name = "TRACE";
  ASSERT_TRUE(ParseTarget("/healthz", r).ok());
  EXPECT_EQ(router_.Serve(r).status, 405);
}

TEST_F(RouterTest, DuplicateRouteIsConflictEvenWithOtherParameterNames) {
  Status st = router_.Add(HttpMethod::kGet, "/v1/{c}/{k}", Named("dup"));
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_TRUE(router_.Add(HttpMethod::kPatch, "/v1/{c}/{k}", Named("patch")).ok());
}

TEST(RoutePatternTest, MalformedPatternsAreRejected) {
  Router router;
  for (const char* p : {"", "v1", "/v1//x", "/v1/", "/v1/{}", "/v1/{Key}", "/v1/{a}/{a}", "/v1/{a",
                        "/v1/a}b", "/v1/a?b", "/v1/a%2F"}) {
    EXPECT_EQ(router.Add(HttpMethod::kGet, p, Named("x")).code(), StatusCode::kInvalidArgument)
        << p;
  }
  EXPECT_EQ(router.Add(HttpMethod::kOther, "/x", Named("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add(HttpMethod::kGet, "/x", nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(RouterHandlerTest, HandlerStatusBecomesErrorBody) {
  Router router;
  ASSERT_TRUE(router
                  .Add(HttpMethod::kGet, "/x",
                       [](const Request&) -> StatusOr<Response> {
                         return Locked("account suspended", "account_suspended");
                       })
                  .ok());
  Response r = Serve(router, HttpMethod::kGet, "/x");
  EXPECT_EQ(r.status, 423);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "account_suspended");
}

TEST(ResponderTest, DroppedResponderAnswers500) {
  Router router;
  ASSERT_TRUE(router.AddAsync(HttpMethod::kGet, "/x", [](const Request&, Responder) {}).ok());
  Response r = Serve(router, HttpMethod::kGet, "/x");
  EXPECT_EQ(r.status, 500);
}

TEST(ResponderTest, SecondSendIsIgnored) {
  int calls = 0;
  Responder responder = Responder::FromCallback([&](StatusOr<Response>) { ++calls; });
  responder.Send(Response::Json(200, {}));
  responder.Send(Response::Json(201, {}));
  EXPECT_TRUE(responder.sent());
  EXPECT_EQ(calls, 1);
}

TEST(ResponderTest, AnswersFromAnotherThread) {
  std::optional<int> status;
  {
    Responder responder =
        Responder::FromCallback([&](StatusOr<Response> r) { status = r->status; });
    std::thread t([r = std::move(responder)]() mutable { r.Send(Response::Json(202, {})); });
    t.join();
  }
  EXPECT_EQ(status, 202);
}

}  // namespace
}  // namespace warden::http
