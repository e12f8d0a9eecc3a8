// A record call as the schema describes it: keys as the store holds them,
// records named on the trail by their identifier kinds, divisions and
// references taken from the schema; and handlers mounted only as the route
// table says.
#include "api/record_call.h"

#include <gtest/gtest.h>

#include "api/api_test_util.h"

namespace warden::api {
namespace {

using access::Role;
using audit::AuditAction;
using audit::IdentifierKind;
using nlohmann::json;
using testing::InMemoryApi;
using testing::kPersonId;
using testing::kPersonId15;

class RecordCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    officer_ = api_.Account("officer", {Role::kOfficer});
    auditor_ = api_.Account("auditor", {Role::kAuditor});
    api_.Put("persons", testing::SyntheticPerson());
    api_.Put("cases", testing::SyntheticCase("C-2023-0001", "110105"));
    api_.Put("cases", testing::SyntheticCase("C-2023-0002", "310115"));
    api_.Put("deliveries", testing::SyntheticDelivery("W-0001"));
  }

  // The subjects of the last entry of `action`, as the trail keeps them.
  std::vector<audit::HashedSubject> LastSubjects(AuditAction action) {
    std::vector<audit::AuditRecord> entries = api_.Entries(action);
    EXPECT_FALSE(entries.empty());
    return entries.empty() ? std::vector<audit::HashedSubject>{} : entries.back().entry.subjects;
  }

  bool Names(const std::vector<audit::HashedSubject>& subjects, IdentifierKind kind,
             std::string_view value) {
    const audit::HashedSubject wanted{kind, api_.Hash(kind, value)};
    return std::find(subjects.begin(), subjects.end(), wanted) != subjects.end();
  }

  static bool NamesRule(const InMemoryApi::Reply& reply, std::string_view field,
                        std::string_view rule) {
    if (!reply.json.is_object() || !reply.json.contains("error")) return false;
    for (const json& f : reply.json["error"].value("fields", json::array())) {
      if (f.value("field", "") == field && f.value("rule", "") == rule) return true;
    }
    return false;
  }

  InMemoryApi api_;
  std::string officer_;
  std::string auditor_;
};

// The handle a phone search answers for its first result.
std::string FirstHandle(InMemoryApi& api, const std::string& token) {
  InMemoryApi::Reply found = api.Call("POST", "/v1/persons/search", token, "case/2023-0042",
                                      json{{"phone", testing::kPersonPhone}});
  EXPECT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.json["handles"].size(), found.json["results"].size()) << found.body;
  return found.json["handles"].empty() ? std::string()
                                       : found.json["handles"][0].get<std::string>();
}

TEST_F(RecordCallTest, ASearchResultOpensByItsHandleAsAnAuditedRead) {
  const std::string handle = FirstHandle(api_, officer_);
  ASSERT_TRUE(handle.starts_with("h_")) << handle;
  EXPECT_EQ(handle.find(kPersonId), std::string::npos) << "the handle shows no key";
  const size_t reads = api_.Entries(AuditAction::kRead).size();
  InMemoryApi::Reply opened = api_.Call("GET", "/v1/persons/" + handle, officer_);
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_NE(opened.json.value("national_id", ""), kPersonId) << "still masked for an officer";
  EXPECT_EQ(opened.body.find(kPersonId), std::string::npos) << opened.body;
  // One read entry, naming the record by its national ID as a look-up does.
  ASSERT_EQ(api_.Entries(AuditAction::kRead).size(), reads + 1);
  EXPECT_TRUE(Names(LastSubjects(AuditAction::kRead), IdentifierKind::kNationalId, kPersonId));
  // The person's cases open by the same handle.
  InMemoryApi::Reply cases = api_.Call("GET", "/v1/persons/" + handle + "/cases", officer_);
  EXPECT_EQ(cases.status, 200) << cases.body;
}

TEST_F(RecordCallTest, AHandleOpensNothingForAnotherSessionOrCollectionOrOnceAltered) {
  const std::string handle = FirstHandle(api_, officer_);
  ASSERT_FALSE(handle.empty());
  // Another session of another officer, and of the same officer.
  const std::string other = api_.Account("officer2", {Role::kOfficer});
  InMemoryApi::Reply stolen = api_.Call("GET", "/v1/persons/" + handle, other);
  EXPECT_EQ(stolen.status, 404) << stolen.body;
  EXPECT_EQ(stolen.ErrorCode(), "open_expired");
  // Another collection.
  InMemoryApi::Reply elsewhere = api_.Call("GET", "/v1/cases/" + handle, officer_);
  EXPECT_EQ(elsewhere.status, 404) << elsewhere.body;
  EXPECT_EQ(elsewhere.ErrorCode(), "open_expired");
  // One character changed, in the sealed part.
  std::string altered = handle;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  InMemoryApi::Reply forged = api_.Call("GET", "/v1/persons/" + altered, officer_);
  EXPECT_EQ(forged.status, 404) << forged.body;
  EXPECT_EQ(forged.ErrorCode(), "open_expired");
  EXPECT_EQ(api_.Call("GET", "/v1/persons/h_", officer_).ErrorCode(), "open_expired");
  // The right session still opens it.
  EXPECT_EQ(api_.Call("GET", "/v1/persons/" + handle, officer_).status, 200);
}

TEST_F(RecordCallTest, AHandleExpires) {
  const std::string handle = FirstHandle(api_, officer_);
  ASSERT_FALSE(handle.empty());
  api_.clock().Advance(std::chrono::seconds(kRecordHandleTtlSeconds - 60));
  EXPECT_EQ(api_.Call("GET", "/v1/persons/" + handle, officer_).status, 200);
  api_.clock().Advance(std::chrono::seconds(61));
  InMemoryApi::Reply late = api_.Call("GET", "/v1/persons/" + handle, officer_);
  EXPECT_EQ(late.status, 404) << late.body;
  EXPECT_EQ(late.ErrorCode(), "open_expired");
}

TEST_F(RecordCallTest, AFifteenDigitIdNamesItsRecordInEighteenDigitForm) {
  InMemoryApi::Reply reply = api_.Call("GET", "/v1/persons/" + std::string(kPersonId15), officer_);
  EXPECT_EQ(reply.status, 200) << reply.body;
  const auto subjects = LastSubjects(AuditAction::kRead);
  EXPECT_TRUE(Names(subjects, IdentifierKind::kNationalId, kPersonId));
  EXPECT_FALSE(Names(subjects, IdentifierKind::kNationalId, kPersonId15));
}

// The path's key is refused as a body with that key is: the key field and
// the rule it breaks; the refusal is on the trail under the key as given.
TEST_F(RecordCallTest, AKeyThatDoesNotValidateIsRefusedByTheKeyFieldsRule) {
  InMemoryApi::Reply reply = api_.Call("GET", "/v1/persons/123", officer_);
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_TRUE(NamesRule(reply, "national_id", "length")) << reply.body;
  EXPECT_TRUE(Names(LastSubjects(AuditAction::kRead), IdentifierKind::kNationalId, "123"));
}

TEST_F(RecordCallTest, ALowerCaseXInThePathIsRefusedAsInABody) {
  std::string lower(kPersonId);
  ASSERT_EQ(lower.back(), 'X');
  lower.back() = 'x';
  InMemoryApi::Reply get = api_.Call("GET", "/v1/persons/" + lower, officer_);
  EXPECT_EQ(get.status, 422) << get.body;
  EXPECT_TRUE(NamesRule(get, "national_id", "lowercase_x")) << get.body;

  const std::string registrar = api_.Account("registrar", {Role::kRegistrar});
  json body = testing::SyntheticPerson();
  body["national_id"] = lower;
  InMemoryApi::Reply put =
      api_.Call("PUT", "/v1/persons/" + lower, registrar, "case/2023-0042", body);
  EXPECT_EQ(put.status, 422) << put.body;
  EXPECT_TRUE(NamesRule(put, "national_id", "lowercase_x")) << put.body;
}

TEST_F(RecordCallTest, APutWithAFifteenDigitIdInPathAndBodyReplacesTheRecord) {
  const std::string registrar = api_.Account("registrar", {Role::kRegistrar});
  json body = testing::SyntheticPerson();
  body["national_id"] = kPersonId15;
  body["notes"] = "corrected";
  InMemoryApi::Reply put = api_.Call("PUT", "/v1/persons/" + std::string(kPersonId15), registrar,
                                     "case/2023-0042", body);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json["key"], kPersonId);
  EXPECT_TRUE(Names(LastSubjects(AuditAction::kWrite), IdentifierKind::kNationalId, kPersonId));

  json patch = {{"national_id", kPersonId15}, {"notes", "patched"}};
  InMemoryApi::Reply patched = api_.Call("PATCH", "/v1/persons/" + std::string(kPersonId15),
                                         registrar, "case/2023-0042", patch);
  EXPECT_EQ(patched.status, 200) << patched.body;
}

TEST_F(RecordCallTest, AMissByAFifteenDigitIdIsNamedInEighteenDigitForm) {
  // 110105491231003 is 11010519491231003?, a person the store does not hold.
  const std::string absent15 = "110105491231003";
  StatusOr<std::string> absent18 =
      schema::NormaliseKey(*schema::Schema::Registry().Find("persons"), absent15, api_.clock());
  ASSERT_TRUE(absent18.ok()) << absent18.status().ToString();
  InMemoryApi::Reply reply = api_.Call("GET", "/v1/persons/" + absent15, officer_);
  EXPECT_EQ(reply.status, 404) << reply.body;
  const auto subjects = LastSubjects(AuditAction::kRead);
  EXPECT_TRUE(Names(subjects, IdentifierKind::kNationalId, *absent18));
  EXPECT_FALSE(Names(subjects, IdentifierKind::kNationalId, absent15));
}

TEST_F(RecordCallTest, AnEraseByAFifteenDigitIdErasesTheRecord) {
  const std::string registrar = api_.Account("registrar", {Role::kRegistrar});
  InMemoryApi::Reply erased =
      api_.Call("DELETE", "/v1/persons/" + std::string(kPersonId15), registrar);
  EXPECT_EQ(erased.status, 204) << erased.body;
  EXPECT_EQ(api_.Call("GET", "/v1/persons/" + std::string(kPersonId), officer_).status, 404);
}

TEST_F(RecordCallTest, AnUnknownCollectionIsA404BeforeAnythingIsRead) {
  InMemoryApi::Reply reply = api_.Call("GET", "/v1/vehicles/X1", officer_);
  EXPECT_EQ(reply.status, 404) << reply.body;
  EXPECT_EQ(reply.ErrorCode(), "unknown_collection");
}

TEST_F(RecordCallTest, CaseAndWaybillNumbersAreNamedByTheSchemasIdentifierKind) {
  ASSERT_EQ(api_.Call("GET", "/v1/cases/C-2023-0001", officer_).status, 200);
  auto subjects = LastSubjects(AuditAction::kRead);
  EXPECT_TRUE(Names(subjects, IdentifierKind::kCaseNumber, "C-2023-0001"));
  EXPECT_TRUE(Names(subjects, IdentifierKind::kNationalId, kPersonId)) << "the case's party";

  ASSERT_EQ(api_.Call("GET", "/v1/deliveries/W-0001", officer_).status, 200);
  subjects = LastSubjects(AuditAction::kRead);
  EXPECT_TRUE(Names(subjects, IdentifierKind::kWaybillNumber, "W-0001"));
  EXPECT_TRUE(Names(subjects, IdentifierKind::kPhone, testing::kPersonPhone));
  EXPECT_FALSE(Names(subjects, IdentifierKind::kOther, "deliveries/W-0001"));
}

TEST_F(RecordCallTest, ACaseIsPlacedInTheDivisionOfItsStation) {
  const std::string scoped = api_.Account("officer.pudong", {Role::kOfficer});
  access::Policy policy;
  policy.division_scope = std::vector<std::string>{"310115"};
  api_.SetPolicy("officer.pudong", policy);
  EXPECT_EQ(api_.Call("GET", "/v1/cases/C-2023-0002", scoped).status, 200);
  InMemoryApi::Reply outside = api_.Call("GET", "/v1/cases/C-2023-0001", scoped);
  EXPECT_EQ(outside.status, 404) << "answered as if it did not exist: " << outside.body;
  const std::vector<audit::AuditRecord> reads = api_.Entries(AuditAction::kRead);
  ASSERT_FALSE(reads.empty());
  EXPECT_EQ(reads.back().entry.error_reason, "division_forbidden");
  // A delivery has no division in the schema: a scoped account is refused.
  EXPECT_EQ(api_.Call("GET", "/v1/deliveries/W-0001", scoped).status, 404);
}

TEST_F(RecordCallTest, APersonsCasesAreFoundThroughTheIndexThatRefersToPersons) {
  InMemoryApi::Reply reply =
      api_.Call("GET", "/v1/persons/" + std::string(kPersonId15) + "/cases", officer_);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json["results"].size(), 2u) << reply.body;
  const std::vector<audit::AuditRecord> searches = api_.Entries(AuditAction::kSearch);
  ASSERT_FALSE(searches.empty());
  EXPECT_EQ(searches.back().entry.collection, "cases");
  EXPECT_TRUE(Names(searches.back().entry.subjects, IdentifierKind::kNationalId, kPersonId));
}

TEST_F(RecordCallTest, AnAccessReportFindsAReadByEitherFormOfTheId) {
  ASSERT_EQ(api_.Call("GET", "/v1/persons/" + std::string(kPersonId), officer_).status, 200);
  for (std::string_view id : {kPersonId, kPersonId15}) {
    InMemoryApi::Reply report = api_.Call(
        "GET", "/v1/persons/" + std::string(id) + "/access-report", auditor_, "audit/2023-7");
    ASSERT_EQ(report.status, 200) << report.body;
    EXPECT_FALSE(report.json["entries"].empty()) << id;
  }
}

TEST_F(RecordCallTest, ATraceTakesALeakedRecordsIdentifiersFromTheSchema) {
  ASSERT_EQ(api_.Call("GET", "/v1/deliveries/W-0001", officer_).status, 200);
  // A leaked person names a national ID and phones; a leaked delivery its
  // waybill number and the recipient's phone.
  InMemoryApi::Reply person = api_.Call(
      "POST", "/v1/audit/trace", auditor_, "audit/2023-7",
      json{{"records", {{{"national_id", kPersonId}, {"phones", {testing::kPersonPhone}}}}}});
  ASSERT_EQ(person.status, 200) << person.body;
  EXPECT_EQ(person.json["sample_size"], 2) << person.body;
  InMemoryApi::Reply delivery =
      api_.Call("POST", "/v1/audit/trace", auditor_, "audit/2023-7",
                json{{"records", {{{"waybill_no", "W-0001"}, {"courier", "sf"}}}}});
  ASSERT_EQ(delivery.status, 200) << delivery.body;
  EXPECT_EQ(delivery.json["sample_matched"], 1) << delivery.body;
  ASSERT_EQ(delivery.json["accounts"].size(), 1u) << delivery.body;
  EXPECT_EQ(delivery.json["accounts"][0]["account"], api_.AccountId("officer"));
}

TEST_F(RecordCallTest, AHandlerIsMountedOnlyAsItsRouteSays) {
  http::Router router;
  auto authenticated = [](const RequestScope&) -> Answer { return http::Response(); };
  auto open = [](const ApiContext&, const ApiRoute&,
                 const http::Request&) -> StatusOr<http::Response> { return http::Response(); };
  EXPECT_EQ(MountCall(router, api_.context(), "login", authenticated).code(), StatusCode::kInternal)
      << "login takes no session";
  EXPECT_EQ(MountPublicCall(router, api_.context(), "getRecord", open).code(),
            StatusCode::kInternal)
      << "a look-up needs a session";
  EXPECT_EQ(MountCall(router, api_.context(), "listEverything", authenticated).code(),
            StatusCode::kInternal)
      << "no such call";
  EXPECT_TRUE(MountCall(router, api_.context(), "getRecord", authenticated).ok());
  EXPECT_TRUE(router.Has(http::HttpMethod::kGet, "/v1/{collection}/{key}"));
  EXPECT_EQ(router.size(), 1u);
}

}  // namespace
}  // namespace warden::api
