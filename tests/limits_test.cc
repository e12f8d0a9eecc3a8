// G4 (quotas and result caps) and G5 (canary records) against a running server.
#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

// Persons that share a name and a birth date (MakePerson(n + k * 16800) only
// differ in sequence number and phone).
std::vector<SyntheticPerson> Namesakes(int n, int count, std::string_view name) {
  std::vector<SyntheticPerson> out;
  for (int k = 0; k < count; ++k) out.push_back(MakePerson(n + k * 16800, name));
  return out;
}

class QuotaTest : public E2eTest {
 protected:
  static void SetPolicy(const Account& a, const json& policy) {
    // A wider policy waits for a second security officer.
    Answer set = d().Approve(client().Call("PATCH", "/v1/admin/accounts/" + a.id,
                                           account("so").Auth(), json{{"policy", policy}}),
                             account("so2"));
    ASSERT_EQ(set.status, 200) << set;
  }
};

TEST_F(QuotaTest, AnOfficerIsStoppedAtExactlyTheDailyQuota) {
  std::optional<Account> scraper = d().AddAccount("e2e.scraper", {"officer"});
  ASSERT_TRUE(scraper);
  SetPolicy(*scraper, {{"daily_read_quota", 5}, {"rate_per_second", 1000}, {"burst", 1000}});
  std::vector<SyntheticPerson> people;
  for (int n = 1; n <= 8; ++n) {
    people.push_back(MakePerson(n));
    d().PutPerson(people.back());
  }
  for (int i = 0; i < 5; ++i) {
    Answer a = client().Call("GET", "/v1/persons/" + people[static_cast<size_t>(i)].id,
                             scraper->WithPurpose());
    ASSERT_EQ(a.status, 200) << "read " << i + 1 << ": " << a;
  }
  for (int i = 5; i < 8; ++i) {
    Answer a = client().Call("GET", "/v1/persons/" + people[static_cast<size_t>(i)].id,
                             scraper->WithPurpose());
    EXPECT_EQ(a.status, 429) << a;
    EXPECT_EQ(a.ErrorCode(), "quota_exceeded") << a;
    EXPECT_TRUE(a.IsSpecError()) << a;
    EXPECT_EQ(a.body.find(people[static_cast<size_t>(i)].id.substr(6)), std::string::npos);
  }
  Answer search = client().Call("POST", "/v1/persons/search", scraper->WithPurpose(),
                                json{{"phone", people[6].phone_e164}});
  EXPECT_EQ(search.status, 429) << search;
  EXPECT_EQ(search.ErrorCode(), "quota_exceeded") << search;
  // The operator sees the four refusals counted.
  Answer metrics = client().Call("GET", "/metrics", account("operator").Auth());
  ASSERT_EQ(metrics.status, 200) << metrics;
  const std::string series = "warden_quota_denials_total{reason=\"quota_exceeded\"} ";
  const size_t at = metrics.body.find(series);
  ASSERT_NE(at, std::string::npos) << metrics.body.substr(0, 3000);
  EXPECT_GE(std::stoll(metrics.body.substr(at + series.size())), 4);

  // Others are not affected, and the security officer hears of it.
  EXPECT_EQ(
      client().Call("GET", "/v1/persons/" + people[7].id, account("officer").WithPurpose()).status,
      200);
  Answer alerts = client().Call("GET", "/v1/admin/alerts", account("so").Auth());
  ASSERT_EQ(alerts.status, 200) << alerts;
  bool quota_alert = false;
  for (const json& a : alerts.body_json["alerts"]) {
    quota_alert |= a["kind"] == "quota_reached" && a["account_id"] == scraper->id;
  }
  EXPECT_TRUE(quota_alert) << alerts;
}

TEST_F(QuotaTest, ASearchIsTruncatedToWhatIsLeftOfTheQuota) {
  std::optional<Account> a = d().AddAccount("e2e.truncated", {"officer"});
  ASSERT_TRUE(a);
  SetPolicy(*a, {{"daily_read_quota", 5}, {"rate_per_second", 1000}, {"burst", 1000}});
  const std::vector<SyntheticPerson> same = Namesakes(20, 4, "高明远");
  for (const SyntheticPerson& p : same) d().PutPerson(p);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client()
                  .Call("GET", "/v1/persons/" + same[static_cast<size_t>(i)].id, a->WithPurpose())
                  .status,
              200);
  }
  Answer found = client().Call("POST", "/v1/persons/search", a->WithPurpose(),
                               json{{"name", same[0].name}, {"birth_date", same[0].birth_date}});
  ASSERT_EQ(found.status, 200) << found;
  EXPECT_EQ(found.body_json["results"].size(), 2u) << found;
  EXPECT_EQ(found.body_json["truncated"], true) << found;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + same[3].id, a->WithPurpose()).status, 429);
}

TEST_F(QuotaTest, SearchesAreCappedAtTheResultCap) {
  std::optional<Account> a = d().AddAccount("e2e.capped", {"officer"});
  ASSERT_TRUE(a);
  SetPolicy(*a, {{"result_cap", 2}, {"rate_per_second", 1000}, {"burst", 1000}});
  const std::vector<SyntheticPerson> same = Namesakes(40, 3, "曹雪芹");
  for (const SyntheticPerson& p : same) d().PutPerson(p);
  Answer found = client().Call("POST", "/v1/persons/search", a->WithPurpose(),
                               json{{"name", same[0].name}, {"birth_date", same[0].birth_date}});
  ASSERT_EQ(found.status, 200) << found;
  EXPECT_EQ(found.body_json["results"].size(), 2u) << found;
  EXPECT_EQ(found.body_json["truncated"], true) << found;
  Answer uncapped = client().Call("POST", "/v1/persons/search", account("officer").WithPurpose(),
                                  json{{"name", same[0].name}, {"birth_date", same[0].birth_date}});
  EXPECT_EQ(uncapped.body_json["results"].size(), 3u) << uncapped;
  EXPECT_EQ(uncapped.body_json["truncated"], false) << uncapped;
}

TEST_F(QuotaTest, RevealedFieldsCountAgainstTheQuota) {
  std::optional<Account> a = d().AddAccount("e2e.revealer", {"investigator"});
  ASSERT_TRUE(a);
  SetPolicy(*a, {{"daily_read_quota", 3}, {"rate_per_second", 1000}, {"burst", 1000}});
  const SyntheticPerson p = MakePerson(60, "邓丽君");
  d().PutPerson(p);
  Answer two = client().Call("POST", "/v1/persons/" + p.id + "/reveal", a->WithPurpose(),
                             json{{"fields", {"national_id", "phones"}}});
  ASSERT_EQ(two.status, 200) << two;
  Answer more = client().Call("POST", "/v1/persons/" + p.id + "/reveal", a->WithPurpose(),
                              json{{"fields", {"name", "birth_date"}}});
  EXPECT_EQ(more.status, 429) << more;
  EXPECT_EQ(more.ErrorCode(), "quota_exceeded") << more;
  EXPECT_EQ(more.body.find(p.name), std::string::npos) << more;
  EXPECT_EQ(more.body.find(p.birth_date), std::string::npos) << more;
}

// A record outside the account's division scope is answered as if it did
// not exist: a 403 used to tell a scoped searcher that the number or phone is
// in the register. The trail keeps the refusal.
TEST_F(QuotaTest, ADivisionScopedOfficerSeesOnlyItsDivision) {
  std::optional<Account> a = d().AddAccount("e2e.pudong", {"officer"});
  ASSERT_TRUE(a);
  SetPolicy(*a, {{"division_scope", {"310115"}}, {"rate_per_second", 1000}, {"burst", 1000}});
  const SyntheticPerson beijing = MakePerson(70, "邓丽君");  // registered in 110105
  d().PutPerson(beijing);
  const SyntheticPerson absent = MakePerson(72, "邓丽君");  // never written
  Answer refused = client().Call("GET", "/v1/persons/" + beijing.id, a->WithPurpose());
  Answer missing = client().Call("GET", "/v1/persons/" + absent.id, a->WithPurpose());
  EXPECT_EQ(refused.status, 404) << refused;
  EXPECT_EQ(refused.ErrorCode(), missing.ErrorCode()) << refused;
  EXPECT_EQ(refused.body, missing.body);
  EXPECT_EQ(refused.body.find(beijing.id.substr(6)), std::string::npos) << refused;
  Answer search = client().Call("POST", "/v1/persons/search", a->WithPurpose(),
                                json{{"phone", beijing.phone_e164}});
  Answer no_hit = client().Call("POST", "/v1/persons/search", a->WithPurpose(),
                                json{{"phone", absent.phone_e164}});
  EXPECT_EQ(search.status, 200) << search;
  EXPECT_EQ(search.body, no_hit.body) << "an out-of-scope hit reads as no hit";
  EXPECT_TRUE(search.body_json["results"].empty()) << search;

  // The auditor sees both refusals as denials for the division scope.
  Answer trail = client().Call("GET", "/v1/audit?account=" + a->id, account("auditor").Auth());
  ASSERT_EQ(trail.status, 200) << trail;
  int division_denials = 0;
  for (const json& e : trail.body_json["entries"]) {
    if (e["error"] == "division_forbidden" && e["outcome"] == "denied") ++division_denials;
    // The trail names the account by its username beside its id.
    EXPECT_EQ(e["username"], a->username) << e;
  }
  EXPECT_EQ(division_denials, 2) << trail;

  SyntheticPerson shanghai = MakePerson(71, "邓丽君");
  shanghai.id = ResidentId("310115", "19800101", 11);
  shanghai.record["national_id"] = shanghai.id;
  shanghai.record["birth_date"] = "1980-01-01";
  d().PutPerson(shanghai);
  Answer allowed = client().Call("GET", "/v1/persons/" + shanghai.id, a->WithPurpose());
  EXPECT_EQ(allowed.status, 200) << allowed;
}

// Absent keys used to cost nothing: a stolen account could test which ID
// numbers exist at the full request rate. Each miss now costs a read.
TEST_F(QuotaTest, LookUpsOfAbsentKeysCountAgainstTheQuota) {
  std::optional<Account> a = d().AddAccount("e2e.prober", {"officer"});
  ASSERT_TRUE(a);
  SetPolicy(*a, {{"daily_read_quota", 3}, {"rate_per_second", 1000}, {"burst", 1000}});
  for (int i = 0; i < 3; ++i) {
    const SyntheticPerson absent = MakePerson(900 + i);
    EXPECT_EQ(client().Call("GET", "/v1/persons/" + absent.id, a->WithPurpose()).status, 404);
  }
  Answer probe = client().Call("GET", "/v1/persons/" + MakePerson(903).id, a->WithPurpose());
  EXPECT_EQ(probe.status, 429) << probe;
  EXPECT_EQ(probe.ErrorCode(), "quota_exceeded") << probe;
}

// A request without a valid purpose used to be refused without a trace, so a
// stolen token could be tested silently (400 for a live one, 401 otherwise).
TEST_F(QuotaTest, PurposeRefusalsAreAudited) {
  std::optional<Account> a = d().AddAccount("e2e.token.tester", {"officer"});
  ASSERT_TRUE(a);
  const SyntheticPerson p = MakePerson(73);
  Answer none = client().Call("GET", "/v1/persons/" + p.id, a->Auth());
  EXPECT_EQ(none.status, 400) << none;
  EXPECT_EQ(none.ErrorCode(), "purpose_required") << none;
  Answer bad = client().Call("POST", "/v1/persons/search", a->WithPurpose("holiday/snaps"),
                             json{{"phone", p.phone_e164}});
  EXPECT_EQ(bad.status, 400) << bad;
  Answer trail = client().Call("GET", "/v1/audit?account=" + a->id, account("auditor").Auth());
  ASSERT_EQ(trail.status, 200) << trail;
  std::vector<std::pair<std::string, std::string>> refusals;
  for (const json& e : trail.body_json["entries"]) {
    if (e["outcome"] != "denied" || e["status"] != 400) continue;
    EXPECT_FALSE(e["session"].get<std::string>().empty()) << e;
    refusals.emplace_back(e["action"], e["error"]);
  }
  ASSERT_EQ(refusals.size(), 2u) << trail;
  EXPECT_EQ(refusals[0], std::make_pair(std::string("read"), std::string("purpose_required")));
  EXPECT_EQ(refusals[1].first, "search");
  EXPECT_EQ(refusals[1].second, bad.ErrorCode());
}

TEST_F(QuotaTest, NoRoleCanListEverything) {
  for (const char* role : {"officer", "investigator", "registrar"}) {
    Answer a = client().Call("GET", "/v1/persons", account(role).WithPurpose());
    EXPECT_EQ(a.status, 404) << role << ": " << a;
    // With a trailing slash the answer is only a pointer to the path above.
    Answer slash = client().Call("GET", "/v1/persons/", account(role).WithPurpose());
    EXPECT_EQ(slash.status, 301) << role << ": " << slash;
    EXPECT_EQ(slash.body, "See /v1/persons\n") << role << ": " << slash;
    Answer wildcard = client().Call("POST", "/v1/persons/search", account(role).WithPurpose(),
                                    json{{"name", "*"}});
    // "*" is no name: refused by the name rule before any search runs.
    EXPECT_EQ(wildcard.status, 422) << role << ": " << wildcard;
    EXPECT_TRUE(wildcard.NamesField("name", "charset")) << role << ": " << wildcard;
  }
}

// The suite's canary is registered before the server starts, through the
// access layer as `warden import` does offline; AnOperatorRegistersCanaries…
// registers one through the API.
class CanaryTest : public E2eTest {
 protected:
  static SyntheticPerson Canary() { return MakePerson(7, "钟无艳"); }
  static SyntheticPerson Namesake() { return MakePerson(7 + 16800, "钟无艳"); }
  static void SetUpTestSuite() {
    Deployment::Options options;
    options.persons_canaries = {Canary().id};
    StartDeployment(options);
    if (!deployment_) return;
    deployment_->PutPerson(Canary());
    deployment_->PutPerson(Namesake());
    deployment_->PutPerson(MakePerson(8));
  }

  static bool HasAlert(const std::string& kind, const std::string& account_id) {
    Answer alerts = client().Call("GET", "/v1/admin/alerts", account("so").Auth());
    EXPECT_EQ(alerts.status, 200) << alerts;
    for (const json& a : alerts.body_json["alerts"]) {
      if (a["kind"] == kind && a["account_id"] == account_id) return true;
    }
    return false;
  }
};

TEST_F(CanaryTest, ReadingACanarySuspendsTheAccountBeforeAnythingElseIsServed) {
  Account& officer = account("officer2");
  const std::string normal = "/v1/persons/" + MakePerson(8).id;
  ASSERT_EQ(client().Call("GET", normal, officer.WithPurpose()).status, 200);

  Answer tripped = client().Call("GET", "/v1/persons/" + Canary().id, officer.WithPurpose());
  EXPECT_EQ(tripped.status, 423) << tripped;
  EXPECT_EQ(tripped.ErrorCode(), "account_suspended") << tripped;
  EXPECT_EQ(tripped.body.find("钟"), std::string::npos) << "no byte of the canary: " << tripped;
  EXPECT_EQ(tripped.body.find(Canary().id.substr(6)), std::string::npos) << tripped;

  Answer after = client().Call("GET", normal, officer.WithPurpose());
  EXPECT_EQ(after.status, 423) << after;
  EXPECT_TRUE(HasAlert("canary_read", officer.id));
  Answer info = client().Call("GET", "/v1/admin/accounts/" + officer.id, account("so").Auth());
  EXPECT_EQ(info.body_json["suspended"], true) << info;
  // A new login does not undo it.
  Answer login = d().Login(officer);
  EXPECT_EQ(login.status, 423) << login;
}

TEST_F(CanaryTest, ASearchThatFindsACanaryServesNothing) {
  std::optional<Account> officer = d().AddAccount("e2e.searcher", {"officer"});
  ASSERT_TRUE(officer);
  Answer found = client().Call("POST", "/v1/persons/search", officer->WithPurpose(),
                               json{{"name", Canary().name}, {"birth_date", Canary().birth_date}});
  EXPECT_EQ(found.status, 423) << found;
  EXPECT_EQ(found.body.find("results"), std::string::npos) << found;
  EXPECT_EQ(found.body.find(Namesake().id.substr(14)), std::string::npos) << found;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + MakePerson(8).id, officer->WithPurpose()).status,
            423);
  EXPECT_TRUE(HasAlert("canary_read", officer->id));
}

TEST_F(CanaryTest, ARevealOfACanarySuspendsTheInvestigator) {
  Account& investigator = account("investigator");
  Answer revealed = client().Call("POST", "/v1/persons/" + Canary().id + "/reveal",
                                  investigator.WithPurpose(), json{{"fields", {"national_id"}}});
  EXPECT_EQ(revealed.status, 423) << revealed;
  EXPECT_EQ(revealed.body.find(Canary().id), std::string::npos) << revealed;
  EXPECT_TRUE(HasAlert("canary_read", investigator.id));
  // The trail records the tripped read as denied.
  Answer trail = client().Call("GET", "/v1/audit?action=reveal&account=" + investigator.id,
                               account("auditor").Auth());
  ASSERT_EQ(trail.status, 200) << trail;
  ASSERT_FALSE(trail.body_json["entries"].empty()) << trail;
  EXPECT_EQ(trail.body_json["entries"].back()["status"], 423) << trail;
}

TEST_F(CanaryTest, AnOperatorRegistersCanariesThroughTheApi) {
  const SyntheticPerson planted = MakePerson(9, "欧阳春");
  d().PutPerson(planted);
  std::optional<Account> reader = d().AddAccount("e2e.planted.reader", {"officer"});
  ASSERT_TRUE(reader);
  const std::string path = "/v1/persons/" + planted.id;
  ASSERT_EQ(client().Call("GET", path, reader->WithPurpose()).status, 200);

  const json body = {{"collection", "persons"}, {"keys", {planted.id}}};
  EXPECT_EQ(client().Call("POST", "/v1/admin/canaries", account("so").Auth(), body).status, 403);
  Answer unknown = client().Call("POST", "/v1/admin/canaries", account("operator").Auth(),
                                 json{{"collection", "nowhere"}, {"keys", {planted.id}}});
  EXPECT_EQ(unknown.status, 422) << unknown;
  EXPECT_TRUE(unknown.NamesField("collection", "enum")) << unknown;
  Answer empty = client().Call("POST", "/v1/admin/canaries", account("operator").Auth(),
                               json{{"collection", "persons"}, {"keys", json::array()}});
  EXPECT_TRUE(empty.NamesField("keys", "size")) << empty;
  Answer registered = client().Call("POST", "/v1/admin/canaries", account("operator").Auth(), body);
  ASSERT_EQ(registered.status, 201) << registered;
  EXPECT_EQ(registered.body_json["registered"], 1);

  Answer tripped = client().Call("GET", path, reader->WithPurpose());
  EXPECT_EQ(tripped.status, 423) << tripped;
  EXPECT_TRUE(HasAlert("canary_read", reader->id));
}

TEST_F(CanaryTest, WritingACanaryDoesNotTripTheRegistrar) {
  Answer rewritten =
      client().Call("PUT", "/v1/persons/" + Canary().id,
                    account("registrar").WithPurpose("correction/x"), Canary().record);
  EXPECT_EQ(rewritten.status, 200) << rewritten;
  EXPECT_EQ(client()
                .Call("GET", "/v1/admin/accounts/" + account("registrar").id, account("so").Auth())
                .body_json["suspended"],
            false);
}

}  // namespace
}  // namespace warden::e2e
