// The full flow of every role against a running server (SPEC §4, §5): what
// each may do, and the first thing beyond it that each is refused.
#include <set>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class RoleFlowTest : public E2eTest {};

std::set<std::string> AccountIds(const Answer& a) {
  std::set<std::string> ids;
  for (const json& e : a.body_json.value("entries", json::array()))
    ids.insert(e.value("account", ""));
  return ids;
}

TEST_F(RoleFlowTest, RegistrarCreatesReplacesPatchesErasesAndBatches) {
  Account& registrar = account("registrar");
  Account& officer = account("officer");
  const SyntheticPerson p = MakePerson(1, "王建国");
  const std::string path = "/v1/persons/" + p.id;

  Answer created = client().Call("PUT", path, registrar.WithPurpose("correction/e2e-1"), p.record);
  ASSERT_EQ(created.status, 201) << created;
  EXPECT_EQ(created.body_json["key"], p.id);
  EXPECT_EQ(created.body_json["created"], true);
  Answer replaced = client().Call("PUT", path, registrar.WithPurpose("correction/e2e-1"), p.record);
  EXPECT_EQ(replaced.status, 200) << replaced;
  EXPECT_EQ(replaced.body_json["created"], false);

  // A patch that moves the person to another phone moves the index entry too.
  Answer patched = client().Call("PATCH", path, registrar.WithPurpose("correction/e2e-1"),
                                 json{{"phones", {"13900001111"}}, {"notes", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched;
  Answer by_old = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                                json{{"phone", p.phone_e164}});
  ASSERT_EQ(by_old.status, 200) << by_old;
  EXPECT_TRUE(by_old.body_json["results"].empty()) << by_old;
  Answer by_new = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                                json{{"phone", "+8613900001111"}});
  ASSERT_EQ(by_new.status, 200) << by_new;
  EXPECT_EQ(by_new.body_json["results"].size(), 1u) << by_new;

  // Erasure removes the record and every index entry (G12).
  Answer erased = client().Call("DELETE", path, registrar.WithPurpose("correction/e2e-1"));
  ASSERT_EQ(erased.status, 204) << erased;
  EXPECT_EQ(client().Call("GET", path, officer.WithPurpose()).status, 404);
  Answer gone = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                              json{{"phone", "+8613900001111"}});
  EXPECT_TRUE(gone.body_json["results"].empty()) << gone;
  Answer by_name = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                                 json{{"name", p.name}, {"birth_date", p.birth_date}});
  EXPECT_TRUE(by_name.body_json["results"].empty()) << by_name;
  EXPECT_EQ(client().Call("DELETE", path, registrar.WithPurpose("correction/e2e-1")).status, 404);

  // A batch: a result per record, invalid ones rejected by name, valid ones written.
  json records = json::array();
  std::vector<SyntheticPerson> batch;
  for (int n = 2; n < 5; ++n) {
    batch.push_back(MakePerson(n, "周立新"));
    records.push_back(batch.back().record);
  }
  json bad = MakePerson(5).record;
  bad["national_id"] = WithBadCheck(bad["national_id"]);
  records.push_back(bad);
  Answer batched = client().Call("POST", "/v1/persons/batch", registrar.WithPurpose("import/e2e"),
                                 json{{"records", records}});
  ASSERT_EQ(batched.status, 200) << batched;
  EXPECT_EQ(batched.body_json["written"], 3);
  EXPECT_EQ(batched.body_json["rejected"], 1);
  const json& rejected = batched.body_json["results"][3];
  EXPECT_EQ(rejected["status"], 422) << rejected;
  bool names_id = false;
  for (const json& f : rejected["error"]["fields"]) names_id |= f["field"] == "national_id";
  EXPECT_TRUE(names_id) << rejected;
  for (const SyntheticPerson& b : batch) {
    EXPECT_EQ(client().Call("GET", "/v1/persons/" + b.id, officer.WithPurpose()).status, 200);
  }
}

TEST_F(RoleFlowTest, OfficerSeesMasksAndSearchesByPhoneOrByNameWithBirthDate) {
  Account& officer = account("officer");
  const SyntheticPerson p = MakePerson(20, "赵志强");
  d().PutPerson(p);

  Answer got = client().Call("GET", "/v1/persons/" + p.id, officer.WithPurpose());
  ASSERT_EQ(got.status, 200) << got;
  const json& r = got.body_json;
  ASSERT_TRUE(r.contains("national_id")) << got;
  const std::string id = r["national_id"];
  EXPECT_EQ(id, p.id.substr(0, 2) + std::string(16, '*')) << got;     // the province only
  EXPECT_EQ(r["name"].get<std::string>().substr(0, 3), "赵") << got;  // the surname only
  // Nothing of the record in the clear but what the masks keep.
  EXPECT_EQ(got.body.find(p.id), std::string::npos) << got;
  EXPECT_EQ(got.body.find(p.phone_e164), std::string::npos) << got;
  EXPECT_EQ(got.body.find(p.name), std::string::npos) << got;
  EXPECT_EQ(got.body.find(p.birth_date), std::string::npos) << got;
  EXPECT_EQ(got.body.find("synthetic test person"), std::string::npos) << got;
  EXPECT_EQ(got.body.find("光华路"), std::string::npos) << got;
  ASSERT_TRUE(r["phones"].is_array());
  EXPECT_EQ(r["phones"][0].get<std::string>().substr(0, 7), "+86 138") << got;

  for (const json& query : {json{{"phone", p.phone_e164}}, json{{"phone", "138 1000 0020"}},
                            json{{"name", p.name}, {"birth_date", p.birth_date}}}) {
    Answer found = client().Call("POST", "/v1/persons/search", officer.WithPurpose(), query);
    ASSERT_EQ(found.status, 200) << query << " " << found;
    ASSERT_EQ(found.body_json["results"].size(), 1u) << query << " " << found;
    EXPECT_EQ(found.body_json["truncated"], false);
    EXPECT_EQ(found.body_json["results"][0]["national_id"], r["national_id"]);
    EXPECT_EQ(found.body.find(p.id), std::string::npos) << found;
  }

  // The person's cases, masked the same way.
  const json case_record = {{"case_no", "E2E-2026-0042"},
                            {"opened_on", "2026-01-05"},
                            {"category", "theft"},
                            {"station", "110105"},
                            {"summary", "synthetic case summary"},
                            {"persons", {{{"national_id", p.id}, {"role", "victim"}}}},
                            {"status", "open"}};
  Answer put_case = client().Call("PUT", "/v1/cases/E2E-2026-0042",
                                  account("registrar").WithPurpose("case/2026-0042"), case_record);
  ASSERT_EQ(put_case.status, 201) << put_case;
  Answer cases = client().Call("GET", "/v1/persons/" + p.id + "/cases", officer.WithPurpose());
  ASSERT_EQ(cases.status, 200) << cases;
  ASSERT_EQ(cases.body_json["results"].size(), 1u) << cases;
  EXPECT_EQ(cases.body_json["results"][0]["case_no"], "E2E-2026-0042") << cases;
  EXPECT_EQ(cases.body.find(p.id), std::string::npos) << cases;
  EXPECT_EQ(cases.body.find("synthetic case summary"), std::string::npos) << cases;
  Answer no_cases =
      client().Call("GET", "/v1/persons/" + MakePerson(21).id + "/cases", officer.WithPurpose());
  ASSERT_EQ(no_cases.status, 200) << no_cases;
  EXPECT_TRUE(no_cases.body_json["results"].empty()) << no_cases;

  Answer name_only =
      client().Call("POST", "/v1/persons/search", officer.WithPurpose(), json{{"name", p.name}});
  EXPECT_EQ(name_only.status, 403) << name_only;
  Answer reveal = client().Call("POST", "/v1/persons/" + p.id + "/reveal", officer.WithPurpose(),
                                json{{"fields", {"national_id"}}});
  EXPECT_EQ(reveal.status, 403) << reveal;
  EXPECT_EQ(reveal.body.find(p.id), std::string::npos);
  EXPECT_EQ(client().Call("PUT", "/v1/persons/" + p.id, officer.WithPurpose(), p.record).status,
            403);
  EXPECT_EQ(client().Call("DELETE", "/v1/persons/" + p.id, officer.WithPurpose()).status, 403);
}

TEST_F(RoleFlowTest, InvestigatorSearchesByNameOnlyAndReveals) {
  Account& investigator = account("investigator");
  const SyntheticPerson a = MakePerson(30, "钱多多");
  const SyntheticPerson b = MakePerson(31, "钱多多");
  d().PutPerson(a);
  d().PutPerson(b);

  Answer found = client().Call("POST", "/v1/persons/search", investigator.WithPurpose(),
                               json{{"name", "钱多多"}});
  ASSERT_EQ(found.status, 200) << found;
  EXPECT_EQ(found.body_json["results"].size(), 2u) << found;
  EXPECT_EQ(found.body.find(a.id), std::string::npos) << "search results stay masked";

  Answer revealed =
      client().Call("POST", "/v1/persons/" + a.id + "/reveal",
                    investigator.WithPurpose("case/2026-0042", "suspect identification"),
                    json{{"fields", {"national_id", "phones", "name"}}});
  ASSERT_EQ(revealed.status, 200) << revealed;
  EXPECT_EQ(revealed.body_json["fields"]["national_id"], a.id);
  EXPECT_EQ(revealed.body_json["fields"]["name"], a.name);
  EXPECT_EQ(revealed.body_json["fields"]["phones"], json::array({a.phone_e164}));

  Answer unknown = client().Call("POST", "/v1/persons/" + a.id + "/reveal",
                                 investigator.WithPurpose(), json{{"fields", {"colour"}}});
  EXPECT_EQ(unknown.status, 422) << unknown;
  EXPECT_TRUE(unknown.NamesField("fields", "unknown_field")) << unknown;
  EXPECT_EQ(
      client().Call("PUT", "/v1/persons/" + a.id, investigator.WithPurpose(), a.record).status,
      403);
}

TEST_F(RoleFlowTest, AuditorListsVerifiesReportsAndTracesALeakToTheReader) {
  Account& officer = account("officer");
  Account& officer2 = account("officer2");
  Account& auditor = account("auditor");
  std::vector<SyntheticPerson> sample;
  for (int n = 100; n < 106; ++n) {
    sample.push_back(MakePerson(n, "孙丽华"));
    d().PutPerson(sample.back());
  }
  const SyntheticPerson other = MakePerson(106, "孙丽华");
  d().PutPerson(other);
  // The leaker reads the whole sample; a colleague reads one of it and another person.
  for (const SyntheticPerson& p : sample) {
    ASSERT_EQ(
        client().Call("GET", "/v1/persons/" + p.id, officer.WithPurpose("case/2026-LEAK")).status,
        200);
  }
  ASSERT_EQ(client()
                .Call("GET", "/v1/persons/" + sample[0].id, officer2.WithPurpose("case/2026-0007"))
                .status,
            200);
  ASSERT_EQ(client()
                .Call("GET", "/v1/persons/" + other.id, officer2.WithPurpose("case/2026-0007"))
                .status,
            200);

  Answer trail = client().Call("GET", "/v1/audit?action=read&limit=1000&account=" + officer.id,
                               auditor.Auth());
  ASSERT_EQ(trail.status, 200) << trail;
  int leak_reads = 0;
  for (const json& e : trail.body_json["entries"]) {
    EXPECT_EQ(e["account"], officer.id);
    EXPECT_EQ(e["action"], "read");
    if (e["purpose"] == "case/2026-LEAK") ++leak_reads;
    EXPECT_EQ(e.dump().find(sample[0].id), std::string::npos) << "identifiers stay hashed";
  }
  EXPECT_EQ(leak_reads, 6) << trail;

  Answer verified = client().Call("GET", "/v1/audit/verify", auditor.Auth());
  ASSERT_EQ(verified.status, 200) << verified;
  EXPECT_EQ(verified.body_json["ok"], true) << verified;
  EXPECT_GT(verified.body_json["entries"].get<int64_t>(), 10);

  Answer report = client().Call("GET", "/v1/persons/" + sample[0].id + "/access-report",
                                auditor.WithPurpose("subject-request/2026-17"));
  ASSERT_EQ(report.status, 200) << report;
  const std::set<std::string> readers = AccountIds(report);
  EXPECT_TRUE(readers.count(officer.id)) << report;
  EXPECT_TRUE(readers.count(officer2.id)) << report;
  bool leak_purpose = false;
  for (const json& e : report.body_json["entries"])
    leak_purpose |= e["purpose"] == "case/2026-LEAK";
  EXPECT_TRUE(leak_purpose) << report;

  json ids = json::array();
  for (const SyntheticPerson& p : sample) ids.push_back(p.id);
  Answer trace = client().Call("POST", "/v1/audit/trace", auditor.WithPurpose("audit/leak-2026"),
                               json{{"national_ids", ids}});
  ASSERT_EQ(trace.status, 200) << trace;
  EXPECT_EQ(trace.body_json["sample_size"], 6);
  EXPECT_EQ(trace.body_json["sample_matched"], 6) << trace;
  const json& ranked = trace.body_json["accounts"];
  ASSERT_GE(ranked.size(), 2u) << trace;
  EXPECT_EQ(ranked[0]["account"], officer.id) << trace;
  EXPECT_EQ(ranked[0]["covered"], 6) << trace;
  EXPECT_EQ(ranked[0]["purposes"], json::array({"case/2026-LEAK"})) << trace;
  bool colleague_second = false;
  for (size_t i = 1; i < ranked.size(); ++i) {
    if (ranked[i]["account"] == officer2.id) colleague_second = ranked[i]["covered"] == 1;
  }
  EXPECT_TRUE(colleague_second) << trace;

  // Reading the trail is itself on the trail (G6); auditors never read records (G7).
  Answer own =
      client().Call("GET", "/v1/audit?action=audit_read&account=" + auditor.id, auditor.Auth());
  ASSERT_EQ(own.status, 200) << own;
  EXPECT_GE(own.body_json["entries"].size(), 4u) << own;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + sample[0].id, auditor.WithPurpose()).status, 403);
  EXPECT_EQ(client()
                .Call("POST", "/v1/persons/search", auditor.WithPurpose(),
                      json{{"phone", sample[0].phone_e164}})
                .status,
            403);
}

TEST_F(RoleFlowTest, SecurityOfficerManagesAccountsApiKeysPoliciesAndAlerts) {
  Account& so = account("so");
  Account& so2 = account("so2");
  const SyntheticPerson p = MakePerson(40, "吴海燕");
  d().PutPerson(p);

  Answer listed = client().Call("GET", "/v1/admin/accounts", so.Auth());
  ASSERT_EQ(listed.status, 200) << listed;
  std::set<std::string> names;
  for (const json& a : listed.body_json["accounts"]) names.insert(a["username"]);
  for (const char* n : {"so.first", "e2e.officer", "e2e.investigator", "e2e.auditor"}) {
    EXPECT_TRUE(names.count(n)) << n << " " << listed;
  }
  EXPECT_EQ(listed.body.find("password"), std::string::npos);
  Answer one = client().Call("GET", "/v1/admin/accounts/" + account("investigator").id, so.Auth());
  ASSERT_EQ(one.status, 200) << one;
  EXPECT_EQ(one.body_json["roles"], json::array({"investigator"}));

  // A service account that may only look persons up, through an API key.
  Answer service = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                                 json{{"service", "e2e-lookup-svc"},
                                      {"policy", {{"collections", {{"persons", {"lookup"}}}}}}});
  ASSERT_EQ(service.status, 202) << service;
  ASSERT_EQ(d().Approve(service, so2).status, 200);
  Answer asked_key =
      client().Call("POST", "/v1/admin/api-keys", so.Auth(),
                    json{{"account", service.body_json["account_id"]}, {"ttl_days", 1}});
  ASSERT_EQ(asked_key.status, 202) << asked_key;
  EXPECT_FALSE(asked_key.body_json.contains("api_key")) << "the requester never sees the key";
  Answer key = d().Approve(asked_key, so2);
  ASSERT_EQ(key.status, 200) << key;
  Account svc{.token = key.body_json.value("api_key", "")};
  const std::string service_id = service.body_json["account_id"];
  Answer keys = client().Call("GET", "/v1/admin/api-keys?account=" + service_id, so.Auth());
  ASSERT_EQ(keys.status, 200) << keys;
  ASSERT_EQ(keys.body_json["api_keys"].size(), 1u) << keys;
  EXPECT_EQ(keys.body_json["api_keys"][0]["key_id"], key.body_json["key_id"]) << keys;
  EXPECT_EQ(keys.body_json["api_keys"][0]["expires_at"], key.body_json["expires_at"]) << keys;
  EXPECT_EQ(keys.body.find(svc.token), std::string::npos) << "a listed key never shows itself";
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, svc.WithPurpose()).status, 200);
  EXPECT_EQ(client().Call("PUT", "/v1/persons/" + p.id, svc.WithPurpose(), p.record).status, 403);
  Answer revoked =
      client().Call("DELETE", "/v1/admin/api-keys/" + key.body_json.value("key_id", ""), so.Auth());
  ASSERT_EQ(revoked.status, 204) << revoked;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, svc.WithPurpose()).status, 401);
  keys = client().Call("GET", "/v1/admin/api-keys?account=" + service_id, so.Auth());
  EXPECT_TRUE(keys.body_json["api_keys"].empty()) << keys;

  // Policies: built-in defaults per role, and a stored role policy.
  Answer defaults = client().Call("GET", "/v1/admin/policies", so.Auth());
  ASSERT_EQ(defaults.status, 200) << defaults;
  EXPECT_TRUE(defaults.body_json["defaults"].contains("officer")) << defaults;
  EXPECT_EQ(client().Call("GET", "/v1/admin/policies/officer", so.Auth()).status, 200);
  EXPECT_EQ(client().Call("GET", "/v1/admin/policies/nobody", so.Auth()).status, 404);
  Answer stored =
      client().Call("PUT", "/v1/admin/policies/registrar", so.Auth(), json{{"result_cap", 20}});
  ASSERT_EQ(stored.status, 200) << stored;
  EXPECT_EQ(stored.body_json["applied"], true) << "no wider than the default: applied at once";
  Answer bad_policy = client().Call("PUT", "/v1/admin/policies/registrar", so.Auth(),
                                    json{{"daily_read_quota", -1}});
  EXPECT_EQ(bad_policy.status, 422) << bad_policy;
  EXPECT_TRUE(bad_policy.NamesField("daily_read_quota")) << bad_policy;

  // Suspension takes effect on the next request; reinstating restores it.
  std::optional<Account> temp = d().AddAccount("e2e.suspendme", {"officer"});
  ASSERT_TRUE(temp);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose()).status, 200);
  ASSERT_EQ(client()
                .Call("PATCH", "/v1/admin/accounts/" + temp->id, so.Auth(),
                      json{{"suspend", "e2e check"}})
                .status,
            200);
  Answer suspended = client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose());
  EXPECT_EQ(suspended.status, 423) << suspended;
  ASSERT_EQ(client().Call("POST", "/v1/admin/accounts/" + temp->id + "/unlock", so.Auth()).status,
            200);
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose()).status, 200);

  // Separation of duties (G7): no personal data, no self-grants, two people for investigator.
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, so.WithPurpose()).status, 403);
  Answer self =
      client().Call("PATCH", "/v1/admin/accounts/" + so.id, so.Auth(), json{{"grant", "officer"}});
  EXPECT_EQ(self.status, 403) << self;
  EXPECT_EQ(self.ErrorCode(), "self_grant") << self;
  Answer asked = client().Call("PATCH", "/v1/admin/accounts/" + temp->id, so.Auth(),
                               json{{"grant", "investigator"}});
  ASSERT_EQ(asked.status, 202) << asked;
  const std::string approve =
      "/v1/admin/requests/" + asked.body_json.value("request_id", "") + "/approve";
  Answer own_approval = client().Call("POST", approve, so.Auth(), json::object());
  EXPECT_EQ(own_approval.status, 403) << own_approval;
  EXPECT_EQ(own_approval.ErrorCode(), "second_approver_required");
  EXPECT_EQ(client().Call("POST", approve, so2.Auth(), json::object()).status, 200);
  Answer duty = client().Call("PATCH", "/v1/admin/accounts/" + temp->id, so.Auth(),
                              json{{"grant", "operator"}});
  EXPECT_EQ(duty.status, 403) << duty;

  // Five wrong passwords lock the account and raise an alert about it, which
  // a security officer acknowledges once.
  for (int i = 0; i < 5; ++i) {
    Answer wrong = client().Call(
        "POST", "/v1/auth/login", {},
        json{{"username", temp->username}, {"password", "not the password 1"}, {"totp", "000000"}});
    ASSERT_NE(wrong.status, 200) << wrong;
  }
  Answer alerts = client().Call("GET", "/v1/admin/alerts", so.Auth());
  ASSERT_EQ(alerts.status, 200) << alerts;
  std::string lockout_alert;
  for (const json& a : alerts.body_json["alerts"]) {
    if (a["kind"] == "lockout" && a["account_id"] == temp->id) {
      lockout_alert = a["id"];
      EXPECT_EQ(a["acknowledged"], false) << a;
    }
  }
  ASSERT_FALSE(lockout_alert.empty()) << alerts;
  EXPECT_EQ(client().Call("GET", "/v1/admin/alerts", account("officer").Auth()).status, 403);
  Answer acked = client().Call("POST", "/v1/admin/alerts/" + lockout_alert + "/ack", so.Auth());
  ASSERT_EQ(acked.status, 200) << acked;
  EXPECT_EQ(acked.body_json["acknowledged_by"], so.id) << acked;
  Answer again = client().Call("POST", "/v1/admin/alerts/" + lockout_alert + "/ack", so2.Auth());
  EXPECT_EQ(again.status, 409) << again;
  EXPECT_EQ(again.ErrorCode(), "already_acknowledged") << again;
  EXPECT_EQ(client().Call("POST", "/v1/admin/alerts/al_0000000000000000/ack", so.Auth()).status,
            404);
}

TEST_F(RoleFlowTest, OperatorReadsMetricsAndRotatesKeysButNoPersonalData) {
  Account& op = account("operator");
  const SyntheticPerson p = MakePerson(50, "郑国庆");
  d().PutPerson(p);

  Answer metrics = client().Call("GET", "/metrics", op.Auth());
  ASSERT_EQ(metrics.status, 200) << metrics;
  EXPECT_NE(metrics.Header("content-type")->find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("warden_http_requests_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("warden_sealed 0"), std::string::npos)
      << metrics.body.substr(0, 2000);
  for (const char* series :
       {"warden_audit_queue_depth ", "warden_audit_healthy 1", "warden_audit_commit_seconds_bucket",
        "warden_quota_denials_total{reason=\"quota_exceeded\"}",
        "warden_quota_denials_total{reason=\"rate_limited\"}",
        "warden_tls_certificate_expiry_days ", "warden_http_request_duration_seconds_bucket"}) {
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series;
  }
  // Every earlier request of this suite was audited, so commits were timed.
  EXPECT_EQ(metrics.body.find("warden_audit_entries_total 0\n"), std::string::npos);
  EXPECT_EQ(metrics.body.find(p.id), std::string::npos);
  EXPECT_EQ(client().Call("GET", "/metrics").status, 401);
  EXPECT_EQ(client().Call("GET", "/metrics", account("officer").Auth()).status, 403);

  Answer rotated =
      client().Call("POST", "/v1/sys/rotate", op.Auth(), json{{"collection", "persons"}});
  ASSERT_EQ(rotated.status, 200) << rotated;
  EXPECT_GE(rotated.body_json["versions"]["persons"].get<int>(), 2) << rotated;
  // Records sealed under the old data key still open; new ones use the new key.
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()).status,
            200);
  const SyntheticPerson q = MakePerson(51, "郑国庆");
  d().PutPerson(q);
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + q.id, account("officer").WithPurpose()).status,
            200);

  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, op.WithPurpose()).status, 403);
  EXPECT_EQ(client().Call("GET", "/v1/audit", op.Auth()).status, 403);
  EXPECT_EQ(client().Call("GET", "/v1/admin/accounts", op.Auth()).status, 403);
  EXPECT_EQ(client().Call("POST", "/v1/sys/seal", account("officer").Auth()).status, 403);
}

// Account secrets and audit contexts carry a key version: after the operator
// rotates their keys, what was sealed before still opens and new seals use the
// new version.
TEST_F(RoleFlowTest, RotatedAccountSecretAndAuditContextKeysKeepEarlierValuesReadable) {
  std::optional<Account> before = d().AddAccount("e2e.rotate.before", {"officer"});
  ASSERT_TRUE(before);
  const SyntheticPerson p = MakePerson(62);
  d().PutPerson(p);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, before->WithPurpose("case/ROT-1")).status,
            200);

  Account& op = account("operator");
  for (const char* key : {"account_secret", "audit_context"}) {
    Answer rotated = client().Call("POST", "/v1/sys/rotate", op.Auth(), json{{"key", key}});
    ASSERT_EQ(rotated.status, 200) << rotated;
    EXPECT_GE(rotated.body_json["versions"][key].get<int>(), 2) << rotated;
  }
  EXPECT_EQ(client().Call("POST", "/v1/sys/rotate", op.Auth(), json{{"key", "bogus"}}).status, 422);

  // The earlier account's secrets (version 1) still open; a new one's are sealed anew.
  Answer again = d().Login(*before);
  ASSERT_EQ(again.status, 200) << again;
  std::optional<Account> after = d().AddAccount("e2e.rotate.after", {"officer"});
  ASSERT_TRUE(after);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, after->WithPurpose("case/ROT-2")).status,
            200);

  // Contexts sealed before and after the rotation both read.
  for (const auto& [who, purpose] :
       {std::pair{&*before, "case/ROT-1"}, std::pair{&*after, "case/ROT-2"}}) {
    Answer trail =
        client().Call("GET", "/v1/audit?action=read&account=" + who->id, account("auditor").Auth());
    ASSERT_EQ(trail.status, 200) << trail;
    ASSERT_FALSE(trail.body_json["entries"].empty()) << trail;
    EXPECT_EQ(trail.body_json["entries"][0]["purpose"], purpose) << trail;
  }
}

TEST_F(RoleFlowTest, LogoutEndsTheSession) {
  std::optional<Account> temp = d().AddAccount("e2e.logout", {"officer"});
  ASSERT_TRUE(temp);
  const SyntheticPerson p = MakePerson(60);
  d().PutPerson(p);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose()).status, 200);
  Answer out = client().Call("POST", "/v1/auth/logout", temp->Auth());
  ASSERT_EQ(out.status, 204) << out;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose()).status, 401);
  Answer again = d().Login(*temp);
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.body_json["roles"], json::array({"officer"}));
  EXPECT_FALSE(again.body_json.value("expires_at", "").empty());
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, temp->WithPurpose()).status, 200);
}

}  // namespace
}  // namespace warden::e2e
