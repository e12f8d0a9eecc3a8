// docs/openapi.yaml against the running server: every documented call is
// served (never the router's 404), and answers the one status that is right
// for the request, which the document lists.
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

json LoadOpenApi() {
  const char* dir = std::getenv("WARDEN_SOURCE_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : WARDEN_SOURCE_DIR_FALLBACK) +
                   "/docs/openapi.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class OpenApiRoutesTest : public E2eTest {
 protected:
  struct Operation {
    std::string method;  // "GET"
    std::string pattern;
    std::set<std::string> statuses;  // documented response codes
    bool public_call = false;        // `security: []`: no credentials needed
  };

  static std::vector<Operation> Operations() {
    std::vector<Operation> out;
    const json doc = LoadOpenApi();
    EXPECT_FALSE(doc.is_discarded()) << "docs/openapi.yaml is not JSON-compatible YAML";
    if (doc.is_discarded()) return out;
    for (const auto& [path, item] : doc["paths"].items()) {
      for (const auto& [method, op] : item.items()) {
        if (!op.is_object() || !op.contains("responses")) continue;
        Operation o{Upper(method), path, {}, false};
        for (const auto& [code, ignored] : op["responses"].items()) o.statuses.insert(code);
        o.public_call = op.contains("security") && op["security"].empty();
        out.push_back(std::move(o));
      }
    }
    return out;
  }

  // `pattern` with its parameters filled in with values that exist.
  static std::string Fill(std::string pattern, const SyntheticPerson& p) {
    const std::map<std::string, std::string> values = {{"{collection}", "persons"},
                                                       {"{key}", p.id},
                                                       {"{id}", p.id},
                                                       {"{account}", account("officer").id},
                                                       {"{key_id}", "k_e2e"},
                                                       {"{policy}", "officer"},
                                                       {"{alert}", "e2e"},
                                                       {"{request}", "r_e2e"}};
    for (const auto& [name, value] : values) {
      for (size_t at = pattern.find(name); at != std::string::npos; at = pattern.find(name)) {
        pattern.replace(at, name.size(), value);
      }
    }
    return pattern;
  }
};

TEST_F(OpenApiRoutesTest, EveryDocumentedCallIsServed) {
  const SyntheticPerson p = MakePerson(1, "韩梅梅");
  d().PutPerson(p);
  const std::vector<Operation> ops = Operations();
  ASSERT_GE(ops.size(), 30u);
  // The public calls, asked with an empty body: what each must answer.
  const std::map<std::string, int> public_answers = {
      {"GET /healthz", 200},
      {"POST /v1/sys/unseal", 409},  // unsealed already
      {"POST /v1/auth/login", 422},  // username required
      {"POST /v1/auth/enrol", 422},  // username required
  };
  size_t public_seen = 0;
  for (const Operation& op : ops) {
    const std::string target = Fill(op.pattern, p);
    // Without credentials every call that needs them stops at 401, after the
    // router has matched it (proof the call is served): never 404, 403 or 200.
    Answer a = client().Call(op.method, target, {{"Warden-Purpose", "case/1"}},
                             op.method == "GET" || op.method == "DELETE"
                                 ? std::nullopt
                                 : std::optional<json>(json::object()));
    int expected = 401;
    if (op.public_call) {
      auto it = public_answers.find(op.method + " " + op.pattern);
      ASSERT_NE(it, public_answers.end())
          << op.method << " " << op.pattern << " is documented as public; say what it answers";
      expected = it->second;
      ++public_seen;
    }
    EXPECT_EQ(a.status, expected) << op.method << " " << op.pattern << ": " << a;
    EXPECT_TRUE(op.statuses.count(std::to_string(a.status)))
        << op.method << " " << op.pattern << " answered " << a.status
        << ", which docs/openapi.yaml does not list";
  }
  EXPECT_EQ(public_seen, public_answers.size());
}

// No administration, audit or system call is public, in the document or on
// the server: without credentials each is a 401 (the unseal call, which takes
// key shares, is the one exception).
TEST_F(OpenApiRoutesTest, AdminAuditAndSystemCallsNeedCredentials) {
  size_t checked = 0;
  for (const Operation& op : Operations()) {
    const bool guarded = op.pattern.starts_with("/v1/admin") ||
                         op.pattern.starts_with("/v1/audit") || op.pattern.starts_with("/v1/sys") ||
                         op.pattern == "/metrics";
    if (!guarded || op.pattern == "/v1/sys/unseal") continue;
    ++checked;
    EXPECT_FALSE(op.public_call) << op.method << " " << op.pattern << " is documented as public";
    for (const Headers& headers : {Headers{}, Headers{{"Authorization", "Bearer forged"}}}) {
      Answer a = client().Call(op.method, Fill(op.pattern, MakePerson(5)), headers,
                               op.method == "GET" || op.method == "DELETE"
                                   ? std::nullopt
                                   : std::optional<json>(json::object()));
      EXPECT_EQ(a.status, 401) << op.method << " " << op.pattern << ": " << a;
      EXPECT_EQ(a.ErrorCode(), "unauthenticated") << op.method << " " << op.pattern << ": " << a;
    }
  }
  EXPECT_GE(checked, 20u);
}

// The success status of each call as the server sends it is the one the
// document lists.
TEST_F(OpenApiRoutesTest, SuccessStatusesAreDocumented) {
  const SyntheticPerson p = MakePerson(2, "韩梅梅");
  d().PutPerson(p);
  std::map<std::string, std::set<std::string>> documented;
  for (const Operation& op : Operations()) documented[op.method + " " + op.pattern] = op.statuses;

  struct Good {
    std::string method, pattern, target;
    Headers headers;
    std::optional<json> body;
    int status;  // the one right answer
  };
  const std::string person = "/v1/persons/" + p.id;
  const std::vector<Good> calls = {
      {"GET", "/healthz", "/healthz", {}, {}, 200},
      {"GET", "/v1/{collection}/{key}", person, account("officer").WithPurpose(), {}, 200},
      {"PATCH", "/v1/{collection}/{key}", person, account("registrar").WithPurpose(),
       json{{"notes", "patched"}}, 200},
      {"PUT", "/v1/{collection}/{key}", "/v1/persons/" + MakePerson(6).id,
       account("registrar").WithPurpose(), MakePerson(6).record, 201},
      {"POST", "/v1/{collection}/search", "/v1/persons/search", account("officer").WithPurpose(),
       json{{"phone", p.phone_e164}}, 200},
      {"POST", "/v1/{collection}/{key}/reveal", person + "/reveal",
       account("investigator").WithPurpose(), json{{"fields", {"name"}}}, 200},
      {"POST", "/v1/{collection}/batch", "/v1/persons/batch", account("registrar").WithPurpose(),
       json{{"records", {MakePerson(3).record}}}, 200},
      {"GET",
       "/v1/persons/{id}/cases",
       person + "/cases",
       account("officer").WithPurpose(),
       {},
       200},
      {"GET",
       "/v1/persons/{id}/access-report",
       person + "/access-report",
       account("auditor").WithPurpose(),
       {},
       200},
      {"GET", "/v1/audit", "/v1/audit", account("auditor").Auth(), {}, 200},
      {"GET", "/v1/audit/verify", "/v1/audit/verify", account("auditor").Auth(), {}, 200},
      {"POST", "/v1/audit/trace", "/v1/audit/trace", account("auditor").WithPurpose(),
       json{{"national_ids", {p.id}}}, 200},
      {"GET", "/v1/admin/accounts", "/v1/admin/accounts", account("so").Auth(), {}, 200},
      {"GET",
       "/v1/admin/accounts/{account}",
       "/v1/admin/accounts/" + account("officer").id,
       account("so").Auth(),
       {},
       200},
      {"GET", "/v1/admin/policies", "/v1/admin/policies", account("so").Auth(), {}, 200},
      {"GET", "/v1/admin/alerts", "/v1/admin/alerts", account("so").Auth(), {}, 200},
      {"GET", "/v1/admin/requests", "/v1/admin/requests", account("so").Auth(), {}, 200},
      {"GET", "/v1/admin/api-keys", "/v1/admin/api-keys", account("so").Auth(), {}, 200},
      {"POST", "/v1/admin/accounts", "/v1/admin/accounts", account("so").Auth(),
       json{{"username", "e2e.openapi.new"}, {"roles", {"officer"}}}, 202},
      {"GET", "/metrics", "/metrics", account("operator").Auth(), {}, 200},
  };
  for (const Good& c : calls) {
    Answer a = client().Call(c.method, c.target, c.headers, c.body);
    EXPECT_EQ(a.status, c.status) << c.method << " " << c.target << ": " << a;
    const auto it = documented.find(c.method + " " + c.pattern);
    ASSERT_NE(it, documented.end()) << c.method << " " << c.pattern;
    EXPECT_TRUE(it->second.count(std::to_string(a.status)))
        << c.method << " " << c.pattern << " answered " << a.status
        << " on success, which docs/openapi.yaml does not list";
  }
}

// DELETE of a record, DELETE of an API key and logout answer 204 No Content,
// as documented.
TEST_F(OpenApiRoutesTest, ErasureRevocationAndLogoutAnswerTheDocumentedStatus) {
  const SyntheticPerson p = MakePerson(4, "韩梅梅");
  d().PutPerson(p);
  std::map<std::string, std::set<std::string>> documented;
  for (const Operation& op : Operations()) documented[op.method + " " + op.pattern] = op.statuses;
  Answer service = client().Call("POST", "/v1/admin/accounts", account("so").Auth(),
                                 json{{"service", "e2e-openapi"}});
  ASSERT_EQ(service.status, 202) << service;
  ASSERT_EQ(d().Approve(service, account("so2")).status, 200);
  Answer key = d().Approve(client().Call("POST", "/v1/admin/api-keys", account("so").Auth(),
                                         json{{"account", service.body_json["account_id"]}}),
                           account("so2"));
  ASSERT_EQ(key.status, 200) << key;
  std::optional<Account> leaving = d().AddAccount("e2e.leaving", {"officer"});
  ASSERT_TRUE(leaving);
  const std::vector<std::tuple<std::string, std::string, Answer>> calls = {
      {"DELETE", "/v1/{collection}/{key}",
       client().Call("DELETE", "/v1/persons/" + p.id, account("registrar").WithPurpose())},
      {"DELETE", "/v1/admin/api-keys/{key_id}",
       client().Call("DELETE", "/v1/admin/api-keys/" + key.body_json.value("key_id", ""),
                     account("so").Auth())},
      {"POST", "/v1/auth/logout", client().Call("POST", "/v1/auth/logout", leaving->Auth())},
  };
  for (const auto& [method, pattern, a] : calls) {
    EXPECT_EQ(a.status, 204) << method << " " << pattern << ": " << a;
    EXPECT_TRUE(a.body.empty()) << method << " " << pattern << ": " << a;
    EXPECT_TRUE(documented[method + " " + pattern].count("204")) << method << " " << pattern;
  }
  // Erased means gone.
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()).status,
            404);
}

}  // namespace
}  // namespace warden::e2e
