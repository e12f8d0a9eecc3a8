// Checks docs/openapi.yaml (written as JSON, which is valid YAML) against
// ApiRoutes() in both directions, and the route table against the Router.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/api_routes.h"

namespace warden::api {
namespace {

nlohmann::json LoadOpenApi() {
  const char* dir = std::getenv("WARDEN_SOURCE_DIR");
  const std::string root = dir != nullptr ? dir : WARDEN_SOURCE_DIR_FALLBACK;
  std::ifstream in(root + "/docs/openapi.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Key(std::string_view method, std::string_view pattern) {
  return Lower(method) + " " + std::string(pattern);
}

// Resolves a local "$ref" (one level).
const nlohmann::json& Resolve(const nlohmann::json& doc, const nlohmann::json& node) {
  if (!node.contains("$ref")) return node;
  const std::string ref = node["$ref"];
  EXPECT_EQ(ref.rfind("#/", 0), 0u) << ref;
  return doc.at(nlohmann::json::json_pointer(ref.substr(1)));
}

std::set<std::string> PatternParams(std::string_view pattern) {
  std::set<std::string> out;
  for (size_t open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    out.insert(std::string(pattern.substr(open + 1, pattern.find('}', open) - open - 1)));
  }
  return out;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = LoadOpenApi();
    ASSERT_FALSE(doc_.is_discarded()) << "docs/openapi.yaml must be JSON-compatible YAML";
    ASSERT_EQ(doc_.value("openapi", "").substr(0, 2), "3.");
    for (const auto& [path, item] : doc_["paths"].items()) {
      for (const auto& [method, operation] : item.items()) {
        operations_[Key(method, path)] = &operation;
      }
    }
  }
  nlohmann::json doc_;
  std::map<std::string, const nlohmann::json*> operations_;
};

TEST_F(OpenApiTest, EveryApiRouteIsDocumented) {
  for (const ApiRoute& r : ApiRoutes()) {
    EXPECT_TRUE(operations_.count(Key(http::HttpMethodName(r.method), r.pattern)))
        << http::HttpMethodName(r.method) << " " << r.pattern
        << " is missing from docs/openapi.yaml";
  }
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsAnApiRoute) {
  std::set<std::string> routes;
  for (const ApiRoute& r : ApiRoutes())
    routes.insert(Key(http::HttpMethodName(r.method), r.pattern));
  for (const auto& [key, op] : operations_) {
    EXPECT_TRUE(routes.count(key)) << key << " is documented but not in ApiRoutes()";
  }
  EXPECT_EQ(routes.size(), ApiRoutes().size()) << "ApiRoutes() lists a call twice";
}

TEST_F(OpenApiTest, OperationsAgreeWithTheRouteTable) {
  for (const ApiRoute& r : ApiRoutes()) {
    const std::string key = Key(http::HttpMethodName(r.method), r.pattern);
    if (!operations_.count(key)) continue;  // reported above
    const nlohmann::json& op = *operations_[key];
    EXPECT_EQ(op.value("operationId", ""), r.operation_id) << key;

    ASSERT_TRUE(op.contains("security")) << key << ": state security explicitly";
    EXPECT_EQ(op["security"].empty(), r.auth == RouteAuth::kAnyone) << key;

    std::set<std::string> path_params;
    bool purpose = false;
    for (const nlohmann::json& p : op.value("parameters", nlohmann::json::array())) {
      const nlohmann::json& param = Resolve(doc_, p);
      if (param["in"] == "path") {
        path_params.insert(param["name"].get<std::string>());
        EXPECT_EQ(param.value("required", false), true) << key;
      }
      if (param["in"] == "header" && param["name"] == "Warden-Purpose") {
        purpose = param.value("required", false);
      }
    }
    EXPECT_EQ(path_params, PatternParams(r.pattern)) << key;
    EXPECT_EQ(purpose, r.purpose_required) << key << ": Warden-Purpose header";
  }
}

TEST_F(OpenApiTest, ErrorAnswersUseTheErrorSchema) {
  const nlohmann::json& error = doc_["components"]["schemas"]["Error"];
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error["required"], nlohmann::json({"error"}));
  EXPECT_EQ(error["properties"]["error"]["required"],
            nlohmann::json({"code", "message", "fields"}));
  for (const auto& [key, op] : operations_) {
    ASSERT_TRUE(op->contains("responses")) << key;
    bool has_success = false;
    for (const auto& [code, response] : (*op)["responses"].items()) {
      const int status = std::stoi(code);
      if (status < 400) {
        has_success = true;
        continue;
      }
      // A health probe's 503 is its health document, so a load balancer reads why.
      const char* schema = key == "get /healthz" && status == 503 ? "#/components/schemas/Health"
                                                                  : "#/components/schemas/Error";
      const nlohmann::json& resolved = Resolve(doc_, response);
      EXPECT_EQ(resolved["content"]["application/json"]["schema"]["$ref"], schema)
          << key << " " << code;
    }
    EXPECT_TRUE(has_success) << key;
    EXPECT_TRUE((*op)["responses"].contains("400")) << key;
    if (op->contains("requestBody")) {
      EXPECT_TRUE((*op)["responses"].contains("413")) << key;
      EXPECT_TRUE((*op)["responses"].contains("415")) << key;
    }
  }
}

TEST_F(OpenApiTest, EveryReferenceResolves) {
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        const std::string ref = node["$ref"];
        EXPECT_TRUE(doc_.contains(nlohmann::json::json_pointer(ref.substr(1)))) << ref;
      }
      for (const auto& [k, v] : node.items()) walk(v);
    } else if (node.is_array()) {
      for (const auto& v : node) walk(v);
    }
  };
  walk(doc_);
}

TEST(ApiRoutesTest, RouterAcceptsEveryRouteAndRoutesEachPatternToItself) {
  http::Router router;
  for (const ApiRoute& r : ApiRoutes()) {
    const std::string pattern(r.pattern);
    Status st = router.Add(r.method, r.pattern,
                           [pattern](const http::Request&) -> StatusOr<http::Response> {
                             return http::Response::Json(200, {{"pattern", pattern}});
                           });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_TRUE(CheckApiRoutesMounted(router).ok());
  for (const ApiRoute& r : ApiRoutes()) {
    // Instantiate the pattern with values that match no literal.
    std::string target(r.pattern);
    for (size_t open; (open = target.find('{')) != std::string::npos;) {
      target.replace(open, target.find('}', open) - open + 1, "x1");
    }
    http::Request request;
    request.method = r.method;
    ASSERT_TRUE(http::ParseTarget(target, request).ok()) << target;
    http::Response answer = router.Serve(request);
    ASSERT_EQ(answer.status, 200) << http::HttpMethodName(r.method) << " " << target;
    EXPECT_EQ(nlohmann::json::parse(answer.body)["pattern"], r.pattern);
  }
}

TEST(ApiRoutesTest, MissingHandlerIsReportedByName) {
  http::Router router;
  ASSERT_TRUE(
      router
          .Add(http::HttpMethod::kGet, "/healthz",
               [](const http::Request&) -> StatusOr<http::Response> { return http::Response(); })
          .ok());
  Status st = CheckApiRoutesMounted(router);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("POST /v1/sys/unseal"), std::string::npos) << st.message();
}

TEST(ApiRoutesTest, EveryCallIsAuditedButHealthAndMetrics) {
  std::set<std::string_view> unaudited;
  for (const ApiRoute& r : ApiRoutes()) {
    if (!r.audit) unaudited.insert(r.operation_id);
    if (r.purpose_required) {
      EXPECT_TRUE(r.audit.has_value()) << r.operation_id;
    }
  }
  EXPECT_EQ(unaudited, (std::set<std::string_view>{"getHealth", "getMetrics"}));
}

TEST(ApiRoutesTest, PersonalDataCallsAreAuditedAsWhatTheyDo) {
  using audit::AuditAction;
  const std::map<std::string_view, AuditAction> expected = {
      {"getRecord", AuditAction::kRead},
      {"searchRecords", AuditAction::kSearch},
      {"revealRecord", AuditAction::kReveal},
      {"putRecord", AuditAction::kWrite},
      {"patchRecord", AuditAction::kWrite},
      {"eraseRecord", AuditAction::kErase},
      {"batchUpsert", AuditAction::kWrite},
      {"getPersonCases", AuditAction::kSearch},
      {"getAccessReport", AuditAction::kAuditRead},
      {"traceLeak", AuditAction::kAuditRead}};
  for (const auto& [operation_id, action] : expected) {
    const ApiRoute* route = FindApiRoute(operation_id);
    ASSERT_NE(route, nullptr) << operation_id;
    EXPECT_EQ(route->audit, action) << operation_id;
  }
}

TEST(ApiRoutesTest, OperationIdsAreUniqueAndFindTheirRoute) {
  std::set<std::string_view> ids;
  for (const ApiRoute& r : ApiRoutes()) {
    EXPECT_TRUE(ids.insert(r.operation_id).second) << r.operation_id << " twice";
    EXPECT_EQ(FindApiRoute(r.operation_id), &r);
  }
  EXPECT_EQ(FindApiRoute("listEverything"), nullptr);
}

TEST(ApiRoutesTest, FindApiRouteKnowsPurposeRequirements) {
  const ApiRoute* get = FindApiRoute(http::HttpMethod::kGet, "/v1/{collection}/{key}");
  ASSERT_NE(get, nullptr);
  EXPECT_TRUE(get->purpose_required);
  const ApiRoute* health = FindApiRoute(http::HttpMethod::kGet, "/healthz");
  ASSERT_NE(health, nullptr);
  EXPECT_EQ(health->auth, RouteAuth::kAnyone);
  EXPECT_EQ(FindApiRoute(http::HttpMethod::kGet, "/v1/everything"), nullptr);
}

}  // namespace
}  // namespace warden::api
