#include "http/http.h"

#include <gtest/gtest.h>

#include <string>

namespace warden::http {
namespace {

Status Parse(std::string_view target, Request& r) {
  r.Reset();
  return ParseTarget(target, r);
}

TEST(ParseTargetTest, SplitsAndDecodesSegments) {
  Request r;
  ASSERT_TRUE(Parse("/v1/persons/%E5%BC%A0%20x", r).ok());
  ASSERT_EQ(r.path_size(), 3u);
  EXPECT_EQ(r.path(0), "v1");
  EXPECT_EQ(r.path(1), "persons");
  EXPECT_EQ(r.path(2), "\xE5\xBC\xA0 x");
}

TEST(ParseTargetTest, RootHasNoSegments) {
  Request r;
  ASSERT_TRUE(Parse("/", r).ok());
  EXPECT_EQ(r.path_size(), 0u);
}

TEST(ParseTargetTest, PathTricksAreBadPath) {
  const char* kBad[] = {
      "",                        // empty
      "v1/persons",              // not origin-form
      "http://x/v1",             // absolute-form
      "/v1/../admin",            // dot-dot
      "/v1/./persons",           // dot
      "/v1/%2e%2e/admin",        // encoded dot-dot
      "/v1/%2E./admin",          // half-encoded dot-dot
      "/v1/a%2Fb",               // encoded slash
      "/v1/a%2fb",               // encoded slash, lower case
      "/v1/a%5Cb",               // encoded backslash
      "/v1/a%00b",               // encoded NUL
      "/v1/a%0d%0aX-Evil:%201",  // encoded CR LF
      "/v1/a%7Fb",               // encoded DEL
      "/v1/a%zz",                // invalid hex
      "/v1/a%4",                 // truncated escape
      "/v1/a%",                  // truncated escape
      "//v1/persons",            // double slash
      "/v1//persons",            // double slash inside
      "/v1/persons//",           // empty segment before a trailing slash
      "/v1/a b",                 // raw space
      "/v1/a\\b",                // raw backslash
      "/v1/a#frag",              // fragment
      "/v1/\xE5\xBC\xA0",        // raw non-ASCII
      "/v1/%C0%AF",              // overlong UTF-8 for '/'
      "/v1/%ED%A0%80",           // UTF-16 surrogate
      "/v1/%E5%BC",              // truncated UTF-8
  };
  for (const char* target : kBad) {
    Request r;
    Status st = Parse(target, r);
    EXPECT_FALSE(st.ok()) << target;
    EXPECT_EQ(st.reason(), "bad_path") << target;
    EXPECT_EQ(HttpStatusFor(st), 400) << target;
  }
}

TEST(ParseTargetTest, OneTrailingSlashIsNotedNotASegment) {
  Request r;
  ASSERT_TRUE(Parse("/console/?x=1", r).ok());
  EXPECT_TRUE(r.trailing_slash);
  ASSERT_EQ(r.path_size(), 1u);
  EXPECT_EQ(r.path(0), "console");
  Request plain;
  ASSERT_TRUE(Parse("/console", plain).ok());
  EXPECT_FALSE(plain.trailing_slash);
  Request root;
  ASSERT_TRUE(Parse("/", root).ok());
  EXPECT_FALSE(root.trailing_slash);
}

TEST(ParseTargetTest, QueryIsDecodedWithPlusAsSpace) {
  Request r;
  ASSERT_TRUE(Parse("/v1/audit?from=2026-01-01&account=a+b%2Fc&action=", r).ok());
  EXPECT_EQ(r.path_size(), 2u);
  ASSERT_EQ(r.query_size(), 3u);
  ASSERT_NE(r.Query("account"), nullptr);
  EXPECT_EQ(*r.Query("account"), "a b/c");
  ASSERT_NE(r.Query("action"), nullptr);
  EXPECT_EQ(*r.Query("action"), "");
  EXPECT_EQ(r.Query("to"), nullptr);
}

TEST(ParseTargetTest, MalformedQueriesAreBadQuery) {
  const char* kBad[] = {"/x?a=1&a=2", "/x?a=%zz",  "/x?=1", "/x?a=1&&b=2",
                        "/x?a=%00",   "/x?a=\x01", "/x?&"};
  for (const char* target : kBad) {
    Request r;
    Status st = Parse(target, r);
    EXPECT_EQ(st.reason(), "bad_query") << target;
  }
}

TEST(ParseTargetTest, ResetKeepsNothingFromThePreviousRequest) {
  Request r;
  ASSERT_TRUE(Parse("/a/b/c?x=1", r).ok());
  r.AddHeader("X-A", "1");
  ASSERT_TRUE(Parse("/d", r).ok());
  EXPECT_EQ(r.path_size(), 1u);
  EXPECT_EQ(r.path(0), "d");
  EXPECT_EQ(r.Query("x"), nullptr);
  EXPECT_EQ(r.Header("x-a"), nullptr);
}

TEST(RequestTest, HeaderLookupIgnoresCase) {
  Request r;
  r.AddHeader("Warden-Purpose", "case/2026-001");
  ASSERT_NE(r.Header("warden-purpose"), nullptr);
  EXPECT_EQ(*r.Header("WARDEN-PURPOSE"), "case/2026-001");
}

TEST(ParseJsonBodyTest, EmptyBodyIsNullWhateverTheContentType) {
  StatusOr<nlohmann::json> j = ParseJsonBody("text/plain", "");
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->is_null());
}

TEST(ParseJsonBodyTest, AcceptsJsonWithCharset) {
  StatusOr<nlohmann::json> j = ParseJsonBody("Application/JSON; charset=utf-8", R"({"a":[1,2]})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["a"][1], 2);
}

TEST(ParseJsonBodyTest, OtherContentTypesAre415) {
  for (const char* ct : {"", "text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                         "multipart/form-data"}) {
    StatusOr<nlohmann::json> j = ParseJsonBody(ct, "{}");
    ASSERT_FALSE(j.ok()) << ct;
    EXPECT_EQ(j.status().reason(), "unsupported_media_type");
    EXPECT_EQ(HttpStatusFor(j.status()), 415);
  }
}

TEST(ParseJsonBodyTest, BadJsonNamesTheBytePosition) {
  StatusOr<nlohmann::json> j = ParseJsonBody("application/json", R"({"a": tru})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().reason(), "bad_json");
  EXPECT_NE(j.status().message().find("byte offset 9"), std::string::npos) << j.status().message();
}

TEST(ParseJsonBodyTest, TrailingGarbageIsBadJson) {
  EXPECT_EQ(ParseJsonBody("application/json", "{} {}").status().reason(), "bad_json");
}

TEST(ParseJsonBodyTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  StatusOr<nlohmann::json> j = ParseJsonBody("application/json", deep);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().reason(), "json_too_deep");
  std::string ok_depth = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonBody("application/json", ok_depth).ok());
}

TEST(ParseJsonBodyTest, BracketsInsideStringsDoNotCountAsNesting) {
  std::string s = "{\"a\":\"" + std::string(1000, '[') + "\\\"[\"}";
  EXPECT_TRUE(ParseJsonBody("application/json", s).ok());
}

TEST(ErrorResponseTest, RendersSpecErrorBodyWithFields) {
  Response r = ErrorResponse(FieldInvalid("phones[1]", "e164", "not a phone number"));
  EXPECT_EQ(r.status, 422);
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "validation_failed");
  EXPECT_EQ(body["error"]["message"], "not a phone number");
  ASSERT_EQ(body["error"]["fields"].size(), 1u);
  EXPECT_EQ(body["error"]["fields"][0]["field"], "phones[1]");
  EXPECT_EQ(body["error"]["fields"][0]["rule"], "e164");
}

TEST(ErrorResponseTest, UsesReasonAndHttpStatusOfCode) {
  Response r = ErrorResponse(InvalidArgument("missing header", "purpose_required"));
  EXPECT_EQ(r.status, 400);
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "purpose_required");
  EXPECT_TRUE(body["error"]["fields"].is_array());
  EXPECT_EQ(ErrorResponse(Unavailable("sealed")).status, 503);
  EXPECT_EQ(ErrorResponse(ResourceExhausted("quota")).status, 429);
}

TEST(ErrorResponseTest, InvalidUtf8InMessagesDoesNotThrow) {
  Response r = ErrorResponse(InvalidArgument("bad \xFF byte"));
  EXPECT_FALSE(nlohmann::json::parse(r.body, nullptr, false).is_discarded());
}

TEST(HeaderTextTest, CrLfAndNulAreUnsafe) {
  EXPECT_TRUE(IsSafeHeaderText("a b\tc"));
  EXPECT_FALSE(IsSafeHeaderText("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(IsSafeHeaderText("a\nb"));
  EXPECT_FALSE(IsSafeHeaderText(std::string_view("a\0b", 3)));
}

TEST(HttpMethodTest, NamesRoundTripAndAreCaseSensitive) {
  for (HttpMethod m : {HttpMethod::kGet, HttpMethod::kPost, HttpMethod::kPut, HttpMethod::kPatch,
                       HttpMethod::kDelete, HttpMethod::kHead, HttpMethod::kOptions}) {
    EXPECT_EQ(ParseHttpMethod(HttpMethodName(m)), m);
  }
  EXPECT_EQ(ParseHttpMethod("get"), HttpMethod::kOther);
  EXPECT_EQ(ParseHttpMethod("TRACE"), HttpMethod::kOther);
}

}  // namespace
}  // namespace warden::http
