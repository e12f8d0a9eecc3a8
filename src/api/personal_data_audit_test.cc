// G1 for every call of the route table that reads or writes personal data:
// served while the audit trail can be written, and answered 503
// "audit_unavailable" without a byte of a record when it cannot. The calls
// come from ApiRoutes(), so a new personal-data call is covered here or the
// first test fails.
#include <gtest/gtest.h>

#include <set>

#include "api/api_test_util.h"

namespace warden::api {
namespace {

using access::Role;
using nlohmann::json;
using testing::InMemoryApi;
using testing::kPersonId;

// One request of a personal-data call, on the synthetic person.
struct PersonalDataCall {
  std::string_view operation_id;
  std::string target;
  std::optional<json> body;
  std::string account;  // one that may make the call
  int served_status;    // the answer while the trail can be written
  std::string shows;    // what that answer shows of the record; empty for nothing
};

// Every personal-data call, erasure last (it removes the person).
std::vector<PersonalDataCall> PersonalDataCalls() {
  const std::string person = "/v1/persons/" + std::string(kPersonId);
  const std::string id(kPersonId);
  return {
      {"getRecord", person, std::nullopt, "officer", 200, "1949"},
      {"searchRecords", "/v1/persons/search", json{{"phone", testing::kPersonPhone}}, "officer",
       200, "1949"},
      {"revealRecord", person + "/reveal", json{{"fields", {"national_id"}}}, "investigator", 200,
       id},
      {"putRecord", person, testing::SyntheticPerson(), "registrar", 200, id},
      {"patchRecord", person, json{{"notes", "corrected"}}, "registrar", 200, id},
      {"batchUpsert", "/v1/persons/batch", json{{"records", {testing::SyntheticPerson()}}},
       "registrar", 200, id},
      {"getPersonCases", person + "/cases", std::nullopt, "officer", 200, "C-2023-0001"},
      {"getAccessReport", person + "/access-report", std::nullopt, "auditor", 200, ""},
      {"traceLeak", "/v1/audit/trace", json{{"national_ids", {id}}}, "auditor", 200, ""},
      {"requestExport", "/v1/exports", json{{"collection", "persons"}}, "registrar", 422, ""},
      {"eraseRecord", person, std::nullopt, "registrar", 204, ""},
  };
}

// What no answer may hold when its audit entry was not written: the
// person's number (or its visible digits), birth year, name, phone, case.
std::vector<std::string> RecordTraces() {
  return {std::string(kPersonId),
          std::string(kPersonId.substr(14)),
          "1949",
          std::string(testing::kPersonName.substr(0, 3)),  // the surname, as a mask shows it
          "13800138000",
          "0013",
          "C-2023-0001"};
}

class PersonalDataAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [name, role] : {std::pair{"officer", Role::kOfficer},
                              {"investigator", Role::kInvestigator},
                              {"registrar", Role::kRegistrar},
                              {"auditor", Role::kAuditor}}) {
      tokens_[name] = api_.Account(name, {role});
    }
    api_.Put("persons", testing::SyntheticPerson());
    api_.Put("cases", testing::SyntheticCase("C-2023-0001", "110105"));
  }

  InMemoryApi::Reply Send(const PersonalDataCall& call) {
    const ApiRoute* route = FindApiRoute(call.operation_id);
    EXPECT_NE(route, nullptr) << call.operation_id;
    if (route == nullptr) return {};
    return api_.Call(std::string(http::HttpMethodName(route->method)), call.target,
                     tokens_[call.account], "case/2023-0042", call.body);
  }

  InMemoryApi api_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(PersonalDataAuditTest, EveryCallThatRequiresAPurposeIsListedHere) {
  std::set<std::string_view> listed;
  for (const PersonalDataCall& call : PersonalDataCalls()) {
    const ApiRoute* route = FindApiRoute(call.operation_id);
    ASSERT_NE(route, nullptr) << call.operation_id;
    EXPECT_TRUE(route->purpose_required) << call.operation_id;
    listed.insert(call.operation_id);
  }
  for (const ApiRoute& route : ApiRoutes()) {
    if (route.purpose_required) {
      EXPECT_TRUE(listed.count(route.operation_id))
          << route.operation_id << " reads or writes personal data: add a request for it here";
    }
  }
}

TEST_F(PersonalDataAuditTest, EveryCallIsServedWhileTheTrailCanBeWritten) {
  for (const PersonalDataCall& call : PersonalDataCalls()) {
    InMemoryApi::Reply reply = Send(call);
    EXPECT_EQ(reply.status, call.served_status) << call.operation_id << ": " << reply.body;
    if (!call.shows.empty()) {
      EXPECT_NE(reply.body.find(call.shows), std::string::npos)
          << call.operation_id << " should show " << call.shows << ": " << reply.body;
    }
  }
}

TEST_F(PersonalDataAuditTest, NoCallAnswersWithoutItsAuditEntry) {
  api_.store().SetAuditFails(true);
  for (const PersonalDataCall& call : PersonalDataCalls()) {
    InMemoryApi::Reply reply = Send(call);
    EXPECT_EQ(reply.status, 503) << call.operation_id << ": " << reply.body;
    EXPECT_EQ(reply.ErrorCode(), "audit_unavailable") << call.operation_id << ": " << reply.body;
    ASSERT_TRUE(reply.json.is_object()) << call.operation_id << ": " << reply.body;
    EXPECT_EQ(reply.json.size(), 1u) << call.operation_id << ": only the error: " << reply.body;
    for (const std::string& trace : RecordTraces()) {
      EXPECT_EQ(reply.body.find(trace), std::string::npos)
          << call.operation_id << " answered with " << trace << ": " << reply.body;
    }
  }
}

TEST_F(PersonalDataAuditTest, APurposeRefusalIsAuditedUnderTheRoutesAction) {
  const std::string person = "/v1/persons/" + std::string(kPersonId);
  InMemoryApi::Reply read = api_.Call("GET", person, tokens_["officer"], std::nullopt);
  EXPECT_EQ(read.status, 400) << read.body;
  EXPECT_EQ(read.ErrorCode(), "purpose_required");
  // The route table says an export request states its purpose; so does the server.
  InMemoryApi::Reply exported = api_.Call("POST", "/v1/exports", tokens_["registrar"], std::nullopt,
                                          json{{"collection", "persons"}});
  EXPECT_EQ(exported.status, 400) << exported.body;
  EXPECT_EQ(exported.ErrorCode(), "purpose_required");

  auto refused = [](const std::vector<audit::AuditRecord>& entries, std::string_view account) {
    return std::count_if(entries.begin(), entries.end(), [&](const audit::AuditRecord& r) {
      return r.entry.account == account && r.entry.outcome == audit::AuditOutcome::kDenied &&
             r.entry.error_reason == "purpose_required";
    });
  };
  EXPECT_EQ(refused(api_.Entries(audit::AuditAction::kRead), api_.AccountId("officer")), 1);
  EXPECT_EQ(refused(api_.Entries(audit::AuditAction::kExport), api_.AccountId("registrar")), 1);
}

TEST_F(PersonalDataAuditTest, APurposeRefusalThatCannotBeAuditedIsA503) {
  api_.store().SetAuditFails(true);
  InMemoryApi::Reply read =
      api_.Call("GET", "/v1/persons/" + std::string(kPersonId), tokens_["officer"], std::nullopt);
  EXPECT_EQ(read.status, 503) << read.body;
  EXPECT_EQ(read.ErrorCode(), "audit_unavailable");
}

// A handler that forgets its audit entry cannot answer with what it read:
// MountCall sends 500 "unaudited_answer" instead of a successful answer of a
// route that has an audit action.
TEST_F(PersonalDataAuditTest, AnAnswerWithoutItsAuditEntryIsNeverSent) {
  http::Router router;
  auto forgetful = [](const RequestScope&) -> Answer {
    return http::Response::Json(200, {{"national_id", std::string(kPersonId)}});
  };
  ASSERT_TRUE(MountCall(router, api_.context(), "getRecord", forgetful).ok());
  http::Request request;
  request.method = http::HttpMethod::kGet;
  request.method_name = "GET";
  ASSERT_TRUE(http::ParseTarget("/v1/persons/" + std::string(kPersonId), request).ok());
  request.AddHeader("authorization", "Bearer " + tokens_["officer"]);
  request.AddHeader("warden-purpose", "case/2023-0042");
  http::Response unused;
  const http::Router::Route* route = router.Find(request, &unused);
  ASSERT_NE(route, nullptr);
  ASSERT_TRUE(route->async_handler);
  std::optional<StatusOr<http::Response>> sent;
  route->async_handler(request, http::Responder::FromCallback(
                                    [&sent](StatusOr<http::Response> r) { sent = std::move(r); }));
  ASSERT_TRUE(sent.has_value()) << "answered at once: there was no entry to wait for";
  ASSERT_FALSE(sent->ok()) << sent->value().body;
  EXPECT_EQ(sent->status().code(), StatusCode::kInternal);
  EXPECT_EQ(sent->status().reason(), "unaudited_answer");
  EXPECT_EQ(sent->status().message().find(std::string(kPersonId)), std::string::npos);
}

}  // namespace
}  // namespace warden::api
