// Every error status of SPEC §5 produced by a real request, each with the
// SPEC error body {"error":{"code","message","fields"}}.
#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class ErrorStatusTest : public E2eTest {};

// Expects `a` to be a SPEC error with `status` and `code`.
void ExpectError(const Answer& a, int status, std::string_view code) {
  EXPECT_EQ(a.status, status) << a;
  EXPECT_TRUE(a.IsSpecError()) << a;
  EXPECT_EQ(a.ErrorCode(), code) << a;
  const std::string* type = a.Header("content-type");
  ASSERT_NE(type, nullptr);
  EXPECT_NE(type->find("application/json"), std::string::npos) << *type;
}

TEST_F(ErrorStatusTest, BadRequestForAMissingPurposeAndForBadJson) {
  const SyntheticPerson p = MakePerson(1);
  d().PutPerson(p);
  ExpectError(client().Call("GET", "/v1/persons/" + p.id, account("officer").Auth()), 400,
              "purpose_required");
  ExpectError(client().CallRaw("PUT", "/v1/persons/" + p.id,
                               account("registrar").WithPurpose("correction/x"), "{\"name\": "),
              400, "bad_json");
  ExpectError(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose("fun/x")),
              400, "purpose_invalid");
}

TEST_F(ErrorStatusTest, UnauthorizedWithoutOrWithAWrongToken) {
  const SyntheticPerson p = MakePerson(2);
  ExpectError(client().Call("GET", "/v1/persons/" + p.id, {{"Warden-Purpose", "case/1"}}), 401,
              "unauthenticated");
  ExpectError(
      client().Call("GET", "/v1/persons/" + p.id,
                    {{"Authorization", "Bearer wdn_s_not-a-token"}, {"Warden-Purpose", "case/1"}}),
      401, "unauthenticated");
  ExpectError(
      client().Call("GET", "/v1/persons/" + p.id,
                    {{"Authorization", "Basic dXNlcjpwYXNz"}, {"Warden-Purpose", "case/1"}}),
      401, "unauthenticated");
  Answer wrong_totp = client().Call("POST", "/v1/auth/login", {},
                                    json{{"username", account("officer2").username},
                                         {"password", account("officer2").password},
                                         {"totp", "000000"}});
  ExpectError(wrong_totp, 401, "invalid_credentials");
}

TEST_F(ErrorStatusTest, ForbiddenForARoleThatMayNotDoIt) {
  const SyntheticPerson p = MakePerson(3);
  Answer a =
      client().Call("PUT", "/v1/persons/" + p.id, account("officer").WithPurpose(), p.record);
  EXPECT_EQ(a.status, 403) << a;
  EXPECT_TRUE(a.IsSpecError()) << a;
  EXPECT_EQ(client().Call("GET", "/v1/persons/" + p.id, account("registrar").WithPurpose()).status,
            404)
      << "the refused write left no record";
}

TEST_F(ErrorStatusTest, NotFoundForAnUnknownRecordCollectionOrRoute) {
  const SyntheticPerson p = MakePerson(4);
  ExpectError(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()), 404,
              "not_found");
  ExpectError(client().Call("GET", "/v1/planets/" + p.id, account("officer").WithPurpose()), 404,
              "unknown_collection");
  ExpectError(client().Call("GET", "/v2/persons", account("officer").WithPurpose()), 404,
              "not_found");
}

TEST_F(ErrorStatusTest, ConflictForATakenUsernameAndASecondUnseal) {
  Answer taken =
      client().Call("POST", "/v1/admin/accounts", account("so").Auth(),
                    json{{"username", account("officer").username}, {"roles", {"officer"}}});
  ExpectError(taken, 409, "username_taken");
  ExpectError(client().Call("POST", "/v1/sys/unseal", {}, json{{"share", d().init().shares[0]}}),
              409, "already_unsealed");
}

TEST_F(ErrorStatusTest, PayloadTooLargeForAnOversizedBatchOrBody) {
  json records = json::array();
  for (int n = 0; n < 1001; ++n) records.push_back(MakePerson(1000 + n).record);
  Answer batch =
      client().Call("POST", "/v1/persons/batch", account("registrar").WithPurpose("import/x"),
                    json{{"records", records}});
  ExpectError(batch, 413, "payload_too_large");
  EXPECT_EQ(
      client()
          .Call("GET", "/v1/persons/" + MakePerson(1000).id, account("registrar").WithPurpose())
          .status,
      404)
      << "a refused batch writes nothing";

  // A body over the server's 8 MiB limit is refused from its declared length,
  // before it is read.
  const std::string head = "PUT /v1/persons/" + MakePerson(5).id +
                           " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                           account("registrar").token +
                           "\r\nWarden-Purpose: correction/x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                           std::to_string(9 * 1024 * 1024) + "\r\n\r\n{";
  Answer body = d().NewClient()->SendBytes(head);
  ExpectError(body, 413, "payload_too_large");
}

TEST_F(ErrorStatusTest, UnprocessableNamesTheFieldAndTheRule) {
  SyntheticPerson p = MakePerson(6);
  p.record["national_id"] = WithBadCheck(p.id);
  Answer bad = client().Call("PUT", "/v1/persons/" + WithBadCheck(p.id),
                             account("registrar").WithPurpose("correction/x"), p.record);
  ExpectError(bad, 422, "validation_failed");
  EXPECT_TRUE(bad.NamesField("national_id")) << bad;
  EXPECT_EQ(bad.body.find(WithBadCheck(p.id)), std::string::npos) << "no value echoed";
}

TEST_F(ErrorStatusTest, LockedAfterFiveFailedLoginsAndWhenSuspended) {
  std::optional<Account> a = d().AddAccount("e2e.lockme", {"officer"});
  ASSERT_TRUE(a);
  for (int i = 0; i < 5; ++i) {
    Answer wrong = client().Call("POST", "/v1/auth/login", {},
                                 json{{"username", a->username},
                                      {"password", "not the password at all"},
                                      {"totp", "123456"}});
    ExpectError(wrong, 401, "invalid_credentials");
  }
  // Even the right credentials are refused during the lockout.
  Answer locked = client().Call(
      "POST", "/v1/auth/login", {},
      json{{"username", a->username}, {"password", a->password}, {"totp", FreshTotp(*a)}});
  ExpectError(locked, 423, "account_locked");

  ASSERT_EQ(client()
                .Call("PATCH", "/v1/admin/accounts/" + a->id, account("so").Auth(),
                      json{{"suspend", "e2e"}})
                .status,
            200);
  ExpectError(client().Call("GET", "/v1/persons/" + MakePerson(7).id, a->WithPurpose()), 423,
              "account_suspended");
}

TEST_F(ErrorStatusTest, TooManyRequestsPastTheRateLimit) {
  std::optional<Account> a = d().AddAccount("e2e.slow", {"officer"});
  ASSERT_TRUE(a);
  ASSERT_EQ(client()
                .Call("PATCH", "/v1/admin/accounts/" + a->id, account("so").Auth(),
                      json{{"policy", {{"rate_per_second", 0.001}, {"burst", 2}}}})
                .status,
            200);
  const SyntheticPerson p = MakePerson(8);
  d().PutPerson(p);
  for (int i = 0; i < 2; ++i) {
    Answer ok = client().Call("GET", "/v1/persons/" + p.id, a->WithPurpose());
    EXPECT_EQ(ok.status, 200) << ok;
  }
  ExpectError(client().Call("GET", "/v1/persons/" + p.id, a->WithPurpose()), 429, "rate_limited");
}

}  // namespace
}  // namespace warden::e2e
