// Secure by default (G10) and the sealed server (G3) as a client sees them.
#include <fstream>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class SecureDefaultsTest : public E2eTest {};

TEST_F(SecureDefaultsTest, ServeRefusesPlainHttpOnANonLoopbackAddress) {
  TempDir dir;
  ASSERT_TRUE(InitDataDir(dir.path() + "/data"));
  for (const char* listen : {"0.0.0.0:0", "[::]:0"}) {
    ProgramRun run = RunProgram(
        {WardenBinary(), "serve", "--data", dir.path() + "/data", "--listen", listen}, {}, 20'000);
    EXPECT_NE(run.exit_code, 0) << listen << ": " << run.output;
    EXPECT_NE(run.exit_code, -1) << listen << " did not exit by itself: " << run.output;
    EXPECT_NE(run.output.find("TLS"), std::string::npos) << listen << ": " << run.output;
    EXPECT_EQ(run.output.find("serving on"), std::string::npos) << run.output;
  }
  // The control: the same directory serves plain HTTP on loopback.
  std::unique_ptr<ServerProcess> loopback = ServerProcess::Start(
      dir.path() + "/data", {"--listen", "127.0.0.1:0"}, dir.path() + "/serve.log");
  ASSERT_NE(loopback, nullptr);
  Client plain(loopback->port(), "", /*tls=*/false);
  Answer health = plain.Call("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health;
  EXPECT_EQ(health.body_json, json({{"status", "sealed"}}));
}

TEST_F(SecureDefaultsTest, HealthSaysOnlyTheStatus) {
  Answer health = client().Call("GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health;
  EXPECT_EQ(health.body_json, json({{"status", "ok"}})) << health;
  EXPECT_EQ(health.Header("server"), nullptr);
  EXPECT_EQ(health.Header("x-powered-by"), nullptr);
}

TEST_F(SecureDefaultsTest, EveryAnswerIsNotCacheableAndHardened) {
  const SyntheticPerson p = MakePerson(1);
  d().PutPerson(p);
  const std::vector<Answer> answers = {
      client().Call("GET", "/healthz"),
      client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()),
      client().Call("POST", "/v1/persons/search", account("officer").WithPurpose(),
                    json{{"phone", p.phone_e164}}),
      client().Call("POST", "/v1/persons/" + p.id + "/reveal",
                    account("investigator").WithPurpose(), json{{"fields", {"name"}}}),
      client().Call("GET", "/v1/persons/" + MakePerson(2).id, account("officer").WithPurpose()),
      client().Call("GET", "/v1/persons/" + p.id),
      client().Call("GET", "/v1/audit", account("auditor").Auth()),
      client().Call("GET", "/nowhere"),
  };
  const std::vector<int> statuses = {200, 200, 200, 200, 404, 401, 200, 404};
  for (size_t i = 0; i < answers.size(); ++i) {
    const Answer& a = answers[i];
    EXPECT_EQ(a.status, statuses[i]) << i << ": " << a;
    const std::string* cache = a.Header("cache-control");
    ASSERT_NE(cache, nullptr) << i << ": " << a;
    EXPECT_NE(cache->find("no-store"), std::string::npos) << *cache;
    ASSERT_NE(a.Header("strict-transport-security"), nullptr) << i;
    ASSERT_NE(a.Header("x-content-type-options"), nullptr) << i;
    EXPECT_EQ(*a.Header("x-content-type-options"), "nosniff");
  }
}

TEST_F(SecureDefaultsTest, OnlyModernTlsIsSpoken) {
  http::TestClient::Options modern;
  modern.ca_pem = d().ca_pem();
  auto client13 = http::TestClient::Connect(d().port(), modern);
  ASSERT_TRUE(client13.ok()) << client13.status().ToString();
  EXPECT_EQ((*client13)->tls_version(), "TLSv1.3");

  http::TestClient::Options old = modern;
  old.max_version = 0x0302;  // TLS 1.1
  old.security_level = 0;
  EXPECT_FALSE(http::TestClient::Connect(d().port(), old).ok());

  // Plain HTTP to the TLS port gets no HTTP answer at all.
  Client plain(d().port(), "", /*tls=*/false);
  Answer a = plain.Call("GET", "/healthz");
  EXPECT_EQ(a.status, 0) << a;
}

TEST_F(SecureDefaultsTest, TheBootstrapTokenWorksOnceAndTotpIsRequired) {
  Answer again = client().Call(
      "POST", "/v1/auth/bootstrap", {{"Authorization", "Bearer " + d().init().bootstrap_tokens[0]}},
      json{{"username", "so.again"}, {"password", "a long enough password"}});
  EXPECT_EQ(again.status, 401) << again;
  EXPECT_TRUE(again.IsSpecError()) << again;
  Answer no_totp = client().Call(
      "POST", "/v1/auth/login", {},
      json{{"username", account("officer2").username}, {"password", account("officer2").password}});
  EXPECT_EQ(no_totp.status, 422) << no_totp;
  EXPECT_TRUE(no_totp.NamesField("totp")) << no_totp;
  EXPECT_EQ(no_totp.Header("set-cookie"), nullptr);
}

TEST_F(SecureDefaultsTest, NoSecretOrPersonalValueReachesTheServerLog) {
  const SyntheticPerson p = MakePerson(3, "冯晓东");
  d().PutPerson(p);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()).status,
            200);
  const std::string log = d().process().Log();
  EXPECT_EQ(log.find(p.id), std::string::npos) << log;
  EXPECT_EQ(log.find(p.phone_e164), std::string::npos) << log;
  EXPECT_EQ(log.find(account("officer").token), std::string::npos) << log;
  EXPECT_EQ(log.find(d().init().shares[0]), std::string::npos) << log;
  EXPECT_EQ(log.find(account("officer").password), std::string::npos) << log;
}

// A server sealed by its operator answers only /healthz and unseal (G3), and
// unsealing it again brings back the same data and sessions.
class SealTest : public E2eTest {};

TEST_F(SealTest, ASealedServerAnswersOnlyHealthAndUnseal) {
  const SyntheticPerson p = MakePerson(10);
  d().PutPerson(p);
  ASSERT_EQ(client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()).status,
            200);
  EXPECT_EQ(client().Call("POST", "/v1/sys/seal", account("so").Auth()).status, 403);
  Answer sealed = client().Call("POST", "/v1/sys/seal", account("operator").Auth());
  ASSERT_EQ(sealed.status, 200) << sealed;
  EXPECT_EQ(client().Call("GET", "/healthz").body_json, json({{"status", "sealed"}}));

  struct Call {
    std::string method, target;
    Headers headers;
    std::optional<json> body;
  };
  const std::vector<Call> calls = {
      {"GET", "/v1/persons/" + p.id, account("officer").WithPurpose(), {}},
      {"POST", "/v1/persons/search", account("officer").WithPurpose(),
       json{{"phone", p.phone_e164}}},
      {"PUT", "/v1/persons/" + p.id, account("registrar").WithPurpose(), p.record},
      {"POST", "/v1/auth/login", {}, json{{"username", "x"}, {"password", "y"}, {"totp", "1"}}},
      {"POST", "/v1/auth/bootstrap", {{"Authorization", "Bearer x"}}, json::object()},
      {"POST", "/v1/auth/logout", account("officer").Auth(), {}},
      {"GET", "/v1/audit", account("auditor").Auth(), {}},
      {"GET", "/v1/admin/accounts", account("so").Auth(), {}},
      {"GET", "/metrics", account("operator").Auth(), {}},
      {"POST", "/v1/sys/seal", account("operator").Auth(), {}},
      {"POST", "/v1/sys/rotate", account("operator").Auth(), json::object()},
  };
  for (const Call& c : calls) {
    Answer a = client().Call(c.method, c.target, c.headers, c.body);
    EXPECT_EQ(a.status, 503) << c.method << " " << c.target << ": " << a;
    EXPECT_EQ(a.ErrorCode(), "sealed") << c.method << " " << c.target << ": " << a;
    EXPECT_EQ(a.body.find(p.id), std::string::npos);
  }

  Answer first = client().Call("POST", "/v1/sys/unseal", {}, json{{"share", d().init().shares[4]}});
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.body_json, json({{"sealed", true}, {"progress", 1}, {"threshold", 3}}));
  Answer garbage = client().Call("POST", "/v1/sys/unseal", {}, json{{"share", "not a share"}});
  EXPECT_EQ(garbage.status, 400) << garbage;
  EXPECT_EQ(garbage.ErrorCode(), "share_malformed") << garbage;
  EXPECT_TRUE(garbage.IsSpecError()) << garbage;
  client().Call("POST", "/v1/sys/unseal", {}, json{{"share", d().init().shares[3]}});
  Answer done = client().Call("POST", "/v1/sys/unseal", {}, json{{"share", d().init().shares[2]}});
  ASSERT_EQ(done.status, 200) << done;
  EXPECT_EQ(done.body_json["sealed"], false) << done;

  Answer back = client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose());
  EXPECT_EQ(back.status, 200) << back;
  EXPECT_EQ(client().Call("GET", "/healthz").body_json, json({{"status", "ok"}}));
  Answer verified = client().Call("GET", "/v1/audit/verify", account("auditor").Auth());
  EXPECT_EQ(verified.body_json["ok"], true) << verified;
  Answer seals = client().Call("GET", "/v1/audit?action=seal", account("auditor").Auth());
  int done_seals = 0;
  for (const json& e : seals.body_json["entries"]) {
    if (e["outcome"] == "success") {
      ++done_seals;
      EXPECT_EQ(e["account"], account("operator").id) << e;
    } else {
      EXPECT_EQ(e["status"], 403) << e;  // the security officer's refused attempt
    }
  }
  EXPECT_EQ(done_seals, 1) << seals;
}

}  // namespace
}  // namespace warden::e2e
