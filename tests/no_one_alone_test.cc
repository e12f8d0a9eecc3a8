// "No one alone" (SPEC §4, G4, G7): one security officer, acting alone, tries
// every way to personal data that the administrative API offers, and fails.
// Each test is one attack against a running server.
#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class NoOneAloneTest : public E2eTest {
 protected:
  static Answer Approval(const Answer& filed, Account& approver) {
    return client().Call(
        "POST", "/v1/admin/requests/" + filed.body_json.value("request_id", "") + "/approve",
        approver.Auth(), json::object());
  }
  static Answer Enrol(const std::string& username, const std::string& half_a,
                      const std::string& half_b, const std::string& password) {
    return client().Call(
        "POST", "/v1/auth/enrol", {},
        json{
            {"username", username}, {"enrolment_codes", {half_a, half_b}}, {"password", password}});
  }
  static void ExpectNoCredentialIn(const Answer& a) {
    for (const char* secret :
         {"password", "totp_secret", "otpauth_uri", "otpauth_qr_svg", "api_key", "token"}) {
      EXPECT_FALSE(a.body_json.contains(secret)) << secret << " in " << a;
    }
  }
};

// The attack of the report: a service account that reads persons unmasked,
// with a huge quota, and its API key, all by one officer.
TEST_F(NoOneAloneTest, ALoneOfficerCannotMintAnUnmaskedServiceKey) {
  Account& so = account("so");
  const json wide = {{"collections", {{"persons", {"lookup", "search", "search_by_name"}}}},
                     {"clear_fields", {"persons.national_id", "persons.name", "persons.phones"}},
                     {"daily_read_quota", 1'000'000},
                     {"result_cap", 200}};
  Answer service = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                                 json{{"service", "e2e-bulk-reader"}, {"policy", wide}});
  ASSERT_EQ(service.status, 202) << service;
  const std::string id = service.body_json.value("account_id", "");
  Answer key = client().Call("POST", "/v1/admin/api-keys", so.Auth(), json{{"account", id}});
  ASSERT_EQ(key.status, 202) << key;
  ExpectNoCredentialIn(key);
  // Neither request can be approved by the officer who filed it.
  for (const Answer* filed : {&service, &key}) {
    Answer own = Approval(*filed, so);
    EXPECT_EQ(own.status, 403) << own;
    EXPECT_EQ(own.ErrorCode(), "second_approver_required") << own;
  }
  // No key exists for the account.
  Answer keys = client().Call("GET", "/v1/admin/api-keys?account=" + id, so.Auth());
  ASSERT_EQ(keys.status, 200) << keys;
  EXPECT_TRUE(keys.body_json["api_keys"].empty()) << keys;
  // Even a key approved for an unapproved account is refused.
  Answer early = Approval(key, account("so2"));
  EXPECT_EQ(early.status, 409) << early;
  EXPECT_EQ(early.ErrorCode(), "account_not_active") << early;
}

TEST_F(NoOneAloneTest, PolicyCeilingsHoldWhoeverApproves) {
  Account& so = account("so");
  Answer above = client().Call(
      "POST", "/v1/admin/accounts", so.Auth(),
      json{{"service", "e2e-too-wide"},
           {"policy", {{"collections", {{"persons", {"search"}}}}, {"result_cap", 10'000}}}});
  EXPECT_EQ(above.status, 422) << above;
  EXPECT_TRUE(above.NamesField("result_cap", "ceiling")) << above;
  Answer quota = client().Call("PATCH", "/v1/admin/accounts/" + account("officer2").id, so.Auth(),
                               json{{"policy", {{"daily_read_quota", 1'000'000'000}}}});
  EXPECT_EQ(quota.status, 422) << quota;
  EXPECT_TRUE(quota.NamesField("daily_read_quota", "ceiling")) << quota;
}

// A wider quota asked for by one officer is not in force until a second
// approves it; a narrower one is at once.
TEST_F(NoOneAloneTest, AWiderQuotaWaitsForTheSecondOfficer) {
  std::optional<Account> reader = d().AddAccount("e2e.widened", {"officer"});
  ASSERT_TRUE(reader);
  const SyntheticPerson p = MakePerson(31);
  d().PutPerson(p);
  Account& so = account("so");
  Answer narrowed = client().Call("PATCH", "/v1/admin/accounts/" + reader->id, so.Auth(),
                                  json{{"policy", {{"daily_read_quota", 2}}}});
  ASSERT_EQ(narrowed.status, 200) << narrowed;
  EXPECT_EQ(narrowed.body_json["applied"], true);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, reader->WithPurpose()).status, 200);
  }
  Answer widened = client().Call("PATCH", "/v1/admin/accounts/" + reader->id, so.Auth(),
                                 json{{"policy", {{"daily_read_quota", 500}}}});
  ASSERT_EQ(widened.status, 202) << widened;
  Answer refused = client().Call("GET", "/v1/persons/" + p.id, reader->WithPurpose());
  EXPECT_EQ(refused.status, 429) << "the wider quota is not in force yet: " << refused;
  ASSERT_EQ(Approval(widened, account("so2")).status, 200);
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, reader->WithPurpose()).status, 200);
}

// Account takeover: the creating officer never holds a usable credential of
// the account, and cannot finish its enrolment with its own half.
TEST_F(NoOneAloneTest, TheCreatingOfficerCannotTakeTheNewAccountOver) {
  Account& so = account("so");
  Answer created = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                                 json{{"username", "e2e.target"}, {"roles", {"investigator"}}});
  ASSERT_EQ(created.status, 202) << created;
  ExpectNoCredentialIn(created);
  const std::string half_a = created.body_json.value("enrolment_code_part", "");
  ASSERT_FALSE(half_a.empty()) << created;
  // A password chosen by the administrator is refused outright.
  Answer chosen = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                                json{{"username", "e2e.chosen"},
                                     {"password", "chosen by the officer"},
                                     {"roles", {"officer"}}});
  EXPECT_EQ(chosen.status, 422) << chosen;
  EXPECT_TRUE(chosen.NamesField("password", "not_accepted")) << chosen;

  // Before approval nothing works, not even the officer's half twice.
  EXPECT_EQ(Enrol("e2e.target", half_a, half_a, "an attacker's password").status, 401);
  Answer approved = Approval(created, account("so2"));
  ASSERT_EQ(approved.status, 200) << approved;
  const std::string half_b = approved.body_json.value("enrolment_code_part", "");
  ASSERT_FALSE(half_b.empty()) << approved;
  EXPECT_NE(half_a, half_b);
  // One half with a guessed other half is not enough (and failures count
  // toward the lockout, as logins do).
  std::string guess = half_a;
  guess.back() = guess.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Enrol("e2e.target", half_a, guess, "an attacker's password").status, 401);
  Answer no_login = client().Call(
      "POST", "/v1/auth/login", {},
      json{{"username", "e2e.target"}, {"password", "an attacker's password"}, {"totp", "000000"}});
  EXPECT_EQ(no_login.status, 401) << no_login;

  // The holder, with both halves, enrols once; the code is dead afterwards.
  Account holder{.username = "e2e.target", .password = "the holder's own password"};
  Answer enrolled = Enrol(holder.username, half_b, half_a, holder.password);
  ASSERT_EQ(enrolled.status, 200) << enrolled;
  holder.totp_secret = enrolled.body_json.value("totp_secret", "");
  // The holder's authenticator can scan the same secret from a QR code.
  EXPECT_TRUE(enrolled.body_json.value("otpauth_qr_svg", "").starts_with("<svg")) << enrolled;
  EXPECT_EQ(Enrol(holder.username, half_a, half_b, "a second password").status, 401);
  ASSERT_EQ(d().Login(holder).status, 200);

  // A reset is a request too, and hands the officer no secret either: once
  // approved, the old session and password are dead until the holder enrols.
  Answer reset =
      client().Call("PATCH", "/v1/admin/accounts/" + enrolled.body_json.value("account_id", ""),
                    so.Auth(), json{{"reset_credentials", true}});
  ASSERT_EQ(reset.status, 202) << reset;
  ExpectNoCredentialIn(reset);
  EXPECT_EQ(client().Call("GET", "/v1/admin/requests", holder.Auth()).status, 403);
  ASSERT_EQ(Approval(reset, account("so2")).status, 200);
  EXPECT_EQ(client().Call("POST", "/v1/auth/logout", holder.Auth()).status, 401)
      << "a reset ends the holder's sessions";
  EXPECT_EQ(d().Login(holder).status, 401);
}

TEST_F(NoOneAloneTest, AHolderChangesTheirOwnPassword) {
  std::optional<Account> a = d().AddAccount("e2e.newpass", {"officer"});
  ASSERT_TRUE(a);
  Answer wrong = client().Call("POST", "/v1/auth/password", a->Auth(),
                               json{{"password", "not my password"}, {"new_password", "x"}});
  EXPECT_EQ(wrong.status, 401) << wrong;
  Answer changed =
      client().Call("POST", "/v1/auth/password", a->Auth(),
                    json{{"password", a->password}, {"new_password", "a fresh password of mine"}});
  ASSERT_EQ(changed.status, 204) << changed;
  Account old = *a;
  EXPECT_EQ(d().Login(old).status, 401);
  a->password = "a fresh password of mine";
  EXPECT_EQ(d().Login(*a).status, 200);
}

// The sock puppet: a lone officer creates the colleague who would approve
// for them. A new security officer is itself a request for a second one.
TEST_F(NoOneAloneTest, ALoneOfficerCannotCreateTheirOwnSecondApprover) {
  Account& so = account("so");
  Answer puppet = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                                json{{"username", "e2e.puppet"}, {"roles", {"security_officer"}}});
  ASSERT_EQ(puppet.status, 202) << puppet;
  Answer own = Approval(puppet, so);
  EXPECT_EQ(own.status, 403) << own;
  EXPECT_EQ(own.ErrorCode(), "second_approver_required");
  // Granting security_officer to an existing account waits the same way.
  Answer grant = client().Call("PATCH", "/v1/admin/accounts/" + account("auditor").id, so.Auth(),
                               json{{"grant", "security_officer"}});
  EXPECT_EQ(grant.status, 403) << "duties never combine: " << grant;
  // Both bootstrap tokens are spent.
  for (const std::string& token : d().init().bootstrap_tokens) {
    Answer again =
        client().Call("POST", "/v1/auth/bootstrap", {{"Authorization", "Bearer " + token}},
                      json{{"username", "e2e.puppet2"}, {"password", "puppet password!"}});
    EXPECT_EQ(again.status, 401) << again;
  }
  // The request is listed for the other officers to see, and rejecting it
  // removes the never-approved account.
  Answer pending = client().Call("GET", "/v1/admin/requests", account("so2").Auth());
  ASSERT_EQ(pending.status, 200) << pending;
  bool listed = false;
  for (const json& r : pending.body_json["requests"]) {
    if (r.value("request_id", "") == puppet.body_json.value("request_id", "")) {
      listed = true;
      EXPECT_EQ(r.value("kind", ""), "create_account") << r;
      EXPECT_EQ(r.value("username", ""), "e2e.puppet") << r;
      EXPECT_EQ(r.value("requested_by", ""), so.id) << r;
    }
  }
  EXPECT_TRUE(listed) << pending;
  ASSERT_EQ(client()
                .Call("POST",
                      "/v1/admin/requests/" + puppet.body_json.value("request_id", "") + "/reject",
                      account("so2").Auth(), json::object())
                .status,
            204);
  Answer again = client().Call("POST", "/v1/admin/accounts", so.Auth(),
                               json{{"username", "e2e.puppet"}, {"roles", {"officer"}}});
  EXPECT_EQ(again.status, 202) << "the name is free again: " << again;
}

// The approver may not approve a change to their own account.
TEST_F(NoOneAloneTest, NoOneApprovesAChangeToThemselves) {
  Answer asked =
      client().Call("PATCH", "/v1/admin/accounts/" + account("so3").id, account("so").Auth(),
                    json{{"policy", {{"rate_per_second", 1000}, {"burst", 2000}}}});
  ASSERT_EQ(asked.status, 202) << asked;
  Answer own = Approval(asked, account("so3"));
  EXPECT_EQ(own.status, 403) << own;
  EXPECT_EQ(own.ErrorCode(), "self_grant") << own;
  EXPECT_EQ(Approval(asked, account("so2")).status, 200);
}

}  // namespace
}  // namespace warden::e2e
