// The `warden` command line against a running server (SPEC §5 "Command
// line"): `warden account …` and `warden apikey …` through the API, and
// `warden audit trace` (G11) online and offline on the stopped server's data
// directory. Each test runs the real binary as a child process, trusting the
// deployment's certificate with --cacert.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class CliTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    E2eTest::SetUpTestSuite();
    files_ = std::make_unique<TempDir>();
    if (deployment_ != nullptr) {
      std::ofstream(CaFile()) << deployment_->ca_pem();
    }
  }
  static void TearDownTestSuite() {
    E2eTest::TearDownTestSuite();
    files_.reset();
  }

  static std::string CaFile() { return files_->path() + "/ca.pem"; }
  static std::string Addr() { return "https://127.0.0.1:" + std::to_string(d().port()); }

  // A file in the suite's temporary directory holding `text`.
  static std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = files_->path() + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }

  // `warden args…` against the server as `who`, the CA trusted.
  static ProgramRun Warden(std::vector<std::string> args, const Account& who,
                           std::string_view stdin_text = {}) {
    args.insert(args.begin(), WardenBinary());
    for (const std::string& extra : {std::string("--addr"), Addr(), std::string("--cacert"),
                                     CaFile(), std::string("--token"), who.token}) {
      args.push_back(extra);
    }
    return RunProgram(args, stdin_text);
  }

  // The value printed after "name:" (aligned "name:   value" lines).
  static std::string Field(const std::string& output, const std::string& name) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with(name + ":")) {
        const size_t at = line.find_first_not_of(' ', name.size() + 1);
        return at == std::string::npos ? "" : line.substr(at);
      }
    }
    return "";
  }

  // The JSON document of an output whose notes (on standard error) come
  // before it: parsed from the first line that opens an object.
  static json JsonOf(const std::string& output) {
    const size_t at = output.starts_with("{") ? 0 : output.find("\n{");
    if (at == std::string::npos) return json();
    return json::parse(output.substr(at), nullptr, /*allow_exceptions=*/false);
  }

  // Three persons in the registry, all read by "officer", the first also by
  // "officer2"; returns them. `base` keeps each test's persons apart.
  static std::vector<SyntheticPerson> ReadSampleTwice(int base, const std::string& purpose) {
    std::vector<SyntheticPerson> persons;
    for (int n = base; n < base + 3; ++n) {
      persons.push_back(MakePerson(n, "孙丽华"));
      d().PutPerson(persons.back());
    }
    for (const SyntheticPerson& p : persons) {
      Answer got = client().Call("GET", "/v1/persons/" + p.id,
                                 account("officer").WithPurpose(purpose + "-1"));
      EXPECT_EQ(got.status, 200) << got;
    }
    Answer other = client().Call("GET", "/v1/persons/" + persons[0].id,
                                 account("officer2").WithPurpose(purpose + "-2"));
    EXPECT_EQ(other.status, 200) << other;
    return persons;
  }

  // Checks a trace report: "officer" first with the whole sample, "officer2"
  // after it with a part.
  static void ExpectOfficerFirst(const json& report) {
    ASSERT_TRUE(report.is_object()) << report;
    const uint64_t size = report.value("sample_size", uint64_t{0});
    ASSERT_GT(size, 0u) << report;
    EXPECT_EQ(report["sample_matched"], size) << report;
    const json& accounts = report["accounts"];
    ASSERT_GE(accounts.size(), 2u) << report;
    EXPECT_EQ(accounts[0]["account"], account("officer").id) << report;
    EXPECT_EQ(accounts[0]["covered"], size) << report;
    EXPECT_DOUBLE_EQ(accounts[0]["coverage"].get<double>(), 1.0) << report;
    EXPECT_EQ(accounts[0]["role"], "officer") << report;
    ASSERT_FALSE(accounts[0]["sessions"].empty()) << report;
    EXPECT_EQ(accounts[0]["sessions"][0]["covered"], size) << report;
    EXPECT_EQ(accounts[1]["account"], account("officer2").id) << report;
    EXPECT_LT(accounts[1]["covered"].get<uint64_t>(), size) << report;
  }

  static inline std::unique_ptr<TempDir> files_;
};

// One officer asks, a second approves; each prints one half of the code,
// and the holder enrols with both.
TEST_F(CliTest, CreatedAccountIsApprovedBySecondOfficerAndEnrolledByItsHolder) {
  ProgramRun created =
      Warden({"account", "create", "--username", "cli.alice", "--role", "officer"}, account("so"));
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = Field(created.output, "account_id");
  const std::string request = Field(created.output, "request_id");
  const std::string half_a = Field(created.output, "enrolment_code_part");
  ASSERT_FALSE(id.empty() || request.empty() || half_a.empty()) << created.output;
  EXPECT_EQ(created.output.find("totp_secret"), std::string::npos) << created.output;

  ProgramRun own = Warden({"account", "approve", request}, account("so"));
  EXPECT_EQ(own.exit_code, 1) << own.output;
  EXPECT_NE(own.output.find("second_approver_required"), std::string::npos) << own.output;
  ProgramRun pending = Warden({"account", "requests"}, account("so2"));
  ASSERT_EQ(pending.exit_code, 0) << pending.output;
  EXPECT_NE(pending.output.find(request), std::string::npos) << pending.output;
  ProgramRun approved = Warden({"account", "approve", request}, account("so2"));
  ASSERT_EQ(approved.exit_code, 0) << approved.output;
  const std::string half_b = Field(approved.output, "enrolment_code_part");
  ASSERT_FALSE(half_b.empty()) << approved.output;

  ProgramRun listed = Warden({"account", "list"}, account("so"));
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("awaiting_enrolment"), std::string::npos) << listed.output;

  Answer enrolled = client().Call("POST", "/v1/auth/enrol", {},
                                  json{{"username", "cli.alice"},
                                       {"enrolment_codes", {half_a, half_b}},
                                       {"password", "synthetic password cli.alice"}});
  ASSERT_EQ(enrolled.status, 200) << enrolled;
  Account alice{.username = "cli.alice",
                .password = "synthetic password cli.alice",
                .id = id,
                .totp_secret = enrolled.body_json.value("totp_secret", "")};
  EXPECT_EQ(d().Login(alice).status, 200);
  ProgramRun shown = Warden({"account", "show", id, "--json"}, account("so"));
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  const json account_json = json::parse(shown.output, nullptr, false);
  EXPECT_EQ(account_json.value("state", ""), "active") << shown.output;
  EXPECT_EQ(account_json.value("roles", json()), json::array({"officer"})) << shown.output;
}

TEST_F(CliTest, ServiceApiKeyIsReleasedToTheApproverAndAuthenticatesUntilRevoked) {
  const SyntheticPerson person = MakePerson(9001, "钱国平");
  d().PutPerson(person);

  ProgramRun service =
      Warden({"account", "create-service", "cli-courier", "--collection", "persons=lookup"},
             account("so"));
  ASSERT_EQ(service.exit_code, 0) << service.output;
  const std::string service_id = Field(service.output, "account_id");
  ASSERT_FALSE(service_id.empty()) << service.output;
  ASSERT_EQ(
      Warden({"account", "approve", Field(service.output, "request_id")}, account("so2")).exit_code,
      0);

  ProgramRun asked =
      Warden({"apikey", "create", "--account", service_id, "--ttl-days", "7"}, account("so"));
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  EXPECT_TRUE(Field(asked.output, "api_key").empty()) << "the requester never sees the key";
  ProgramRun issued =
      Warden({"account", "approve", Field(asked.output, "request_id")}, account("so2"));
  ASSERT_EQ(issued.exit_code, 0) << issued.output;
  const std::string key_id = Field(issued.output, "key_id");
  const std::string key = Field(issued.output, "api_key");
  ASSERT_FALSE(key_id.empty()) << issued.output;
  ASSERT_FALSE(key.empty()) << issued.output;

  const Headers with_key = {{"Authorization", "Bearer " + key},
                            {"Warden-Purpose", "case/cli-service"}};
  Answer got = client().Call("GET", "/v1/persons/" + person.id, with_key);
  EXPECT_EQ(got.status, 200) << got;
  Answer search =
      client().Call("POST", "/v1/persons/search", with_key, json{{"phone", person.phone_e164}});
  EXPECT_EQ(search.status, 403) << search;

  ProgramRun listed = Warden({"apikey", "list", "--account", service_id}, account("so"));
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(key_id), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find(key), std::string::npos) << "the key itself is never listed";

  ProgramRun revoked = Warden({"apikey", "revoke", key_id}, account("so"));
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  Answer after = client().Call("GET", "/v1/persons/" + person.id, with_key);
  EXPECT_EQ(after.status, 401) << after;
}

TEST_F(CliTest, AccountGrantApprovalSuspensionAndCredentialReset) {
  std::optional<Account> bob = d().AddAccount("cli.bob", {"officer"});
  ASSERT_TRUE(bob);
  const std::string id = bob->id;
  ASSERT_EQ(Warden({"account", "revoke", id, "officer"}, account("so")).exit_code, 0);
  ProgramRun asked = Warden({"account", "grant", id, "investigator"}, account("so"));
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  const std::string request = Field(asked.output, "request_id");
  ASSERT_FALSE(request.empty()) << asked.output;
  ProgramRun self_approved = Warden({"account", "approve", request}, account("so"));
  EXPECT_EQ(self_approved.exit_code, 1) << self_approved.output;
  EXPECT_NE(self_approved.output.find("403"), std::string::npos) << self_approved.output;
  ASSERT_EQ(Warden({"account", "approve", request}, account("so2")).exit_code, 0);
  ProgramRun shown = Warden({"account", "show", id}, account("so"));
  EXPECT_EQ(Field(shown.output, "roles"), "investigator") << shown.output;

  ProgramRun suspended = Warden({"account", "suspend", id, "--reason", "cli test"}, account("so"));
  ASSERT_EQ(suspended.exit_code, 0) << suspended.output;
  shown = Warden({"account", "show", id}, account("so"));
  EXPECT_EQ(Field(shown.output, "state"), "suspended (cli test)") << shown.output;
  ASSERT_EQ(Warden({"account", "reinstate", id}, account("so")).exit_code, 0);
  shown = Warden({"account", "show", id}, account("so"));
  EXPECT_EQ(Field(shown.output, "state"), "active") << shown.output;
  EXPECT_EQ(Warden({"account", "unlock", id}, account("so")).exit_code, 0);

  ProgramRun reset = Warden({"account", "reset-credentials", id}, account("so"));
  ASSERT_EQ(reset.exit_code, 0) << reset.output;
  EXPECT_TRUE(Field(reset.output, "totp_secret").empty()) << reset.output;
  EXPECT_FALSE(Field(reset.output, "enrolment_code_part").empty()) << reset.output;
  ASSERT_EQ(
      Warden({"account", "approve", Field(reset.output, "request_id")}, account("so2")).exit_code,
      0);
  EXPECT_EQ(d().Login(*bob).status, 401) << "the old credentials are void";
}

TEST_F(CliTest, ServerErrorIsPrintedWithFieldAndRuleAndExitsOne) {
  ProgramRun bad_role = Warden(
      {"account", "create", "--username", "cli.carol", "--role", "superuser"}, account("so"));
  EXPECT_EQ(bad_role.exit_code, 1) << bad_role.output;
  EXPECT_NE(bad_role.output.find("warden account create: 422 "), std::string::npos)
      << bad_role.output;
  EXPECT_NE(bad_role.output.find("roles: "), std::string::npos) << bad_role.output;
  EXPECT_NE(bad_role.output.find("(enum)"), std::string::npos) << bad_role.output;

  ProgramRun bad_policy = Warden(
      {"account", "create-service", "cli-bad", "--collection", "persons=teleport"}, account("so"));
  EXPECT_EQ(bad_policy.exit_code, 1) << bad_policy.output;
  EXPECT_NE(bad_policy.output.find("collections.persons: "), std::string::npos)
      << bad_policy.output;
  EXPECT_NE(bad_policy.output.find("(operation)"), std::string::npos) << bad_policy.output;

  ProgramRun missing = Warden({"account", "show", "no-such-account"}, account("so"));
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("404"), std::string::npos) << missing.output;

  // An officer is not a security officer.
  ProgramRun forbidden = Warden({"account", "list"}, account("officer"));
  EXPECT_EQ(forbidden.exit_code, 1) << forbidden.output;
  EXPECT_NE(forbidden.output.find("403"), std::string::npos) << forbidden.output;
}

TEST_F(CliTest, TransportAndUsageErrorsExitTwo) {
  // Without --cacert the private CA is not trusted: no call is made.
  ProgramRun untrusted = RunProgram(
      {WardenBinary(), "account", "list", "--addr", Addr(), "--token", account("so").token});
  EXPECT_EQ(untrusted.exit_code, 2) << untrusted.output;
  EXPECT_NE(untrusted.output.find("cannot reach"), std::string::npos) << untrusted.output;

  // Nobody listening.
  ProgramRun unreachable = RunProgram({WardenBinary(), "account", "list", "--addr",
                                       "https://127.0.0.1:1", "--token", account("so").token});
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;

  // No token: neither --token nor WARDEN_TOKEN.
  unsetenv("WARDEN_TOKEN");
  ProgramRun no_token =
      RunProgram({WardenBinary(), "account", "list", "--addr", Addr(), "--cacert", CaFile()});
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_NE(no_token.output.find("WARDEN_TOKEN"), std::string::npos) << no_token.output;

  // The token from the environment works like --token.
  setenv("WARDEN_TOKEN", account("so").token.c_str(), 1);
  ProgramRun from_env =
      RunProgram({WardenBinary(), "account", "list", "--addr", Addr(), "--cacert", CaFile()});
  unsetenv("WARDEN_TOKEN");
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
  EXPECT_NE(from_env.output.find(account("so").id), std::string::npos) << from_env.output;
}

TEST_F(CliTest, OnlineImportTrustsThePrivateCaWithCacert) {
  std::string jsonl;
  std::vector<SyntheticPerson> persons = {MakePerson(9301, "周文华"), MakePerson(9302, "周文华")};
  for (const SyntheticPerson& p : persons) jsonl += p.record.dump() + "\n";
  const std::string file = WriteFile("import.jsonl", jsonl);
  ProgramRun imported =
      Warden({"import", file, "--collection", "persons", "--quiet"}, account("registrar"));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  for (const SyntheticPerson& p : persons) {
    Answer got = client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose());
    EXPECT_EQ(got.status, 200) << got;
  }
}

TEST_F(CliTest, HelpDescribesEveryCommand) {
  for (const std::vector<std::string>& command : {std::vector<std::string>{"account"},
                                                  {"account", "create"},
                                                  {"account", "create-service"},
                                                  {"apikey"},
                                                  {"apikey", "create"},
                                                  {"audit", "trace"}}) {
    std::vector<std::string> args = {WardenBinary()};
    args.insert(args.end(), command.begin(), command.end());
    args.push_back("--help");
    ProgramRun help = RunProgram(args);
    EXPECT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find("Exit codes"), std::string::npos) << help.output;
  }
}

TEST_F(CliTest, TraceOnlineRanksTheAccountThatReadTheSampleFirst) {
  const std::vector<SyntheticPerson> persons = ReadSampleTwice(9100, "case/cli-trace");
  // One ID per line, with a comment, a blank line and an ID whose check
  // character is wrong: reported, not fatal.
  std::string ids = "# leaked sample\n";
  for (const SyntheticPerson& p : persons) ids += p.id + "\n";
  ids += "\n" + WithBadCheck(persons[0].id) + "\n";
  const std::string file = WriteFile("online-sample.txt", ids);

  ProgramRun traced = Warden({"audit", "trace", file, "--json"}, account("auditor"));
  ASSERT_EQ(traced.exit_code, 0) << traced.output;
  EXPECT_NE(traced.output.find("rejected line 6: national_id: checksum"), std::string::npos)
      << traced.output;
  // The rejected value itself is never printed.
  EXPECT_EQ(traced.output.find(WithBadCheck(persons[0].id)), std::string::npos) << traced.output;
  const json report = JsonOf(traced.output);
  EXPECT_EQ(report.value("sample_size", 0), 3) << traced.output;
  ExpectOfficerFirst(report);
  EXPECT_EQ(report["accounts"][0]["purposes"], json::array({"case/cli-trace-1"})) << report;

  // The table ranks the same way.
  ProgramRun table = Warden({"audit", "trace", file}, account("auditor"));
  ASSERT_EQ(table.exit_code, 0) << table.output;
  const size_t first = table.output.find(account("officer").id);
  const size_t second = table.output.find(account("officer2").id);
  ASSERT_NE(first, std::string::npos) << table.output;
  ASSERT_NE(second, std::string::npos) << table.output;
  EXPECT_LT(first, second) << table.output;
  const std::string officer_line =
      table.output.substr(first, table.output.find('\n', first) - first);
  EXPECT_NE(officer_line.find("3/3"), std::string::npos) << table.output;
  EXPECT_NE(officer_line.find("100.0%"), std::string::npos) << table.output;
  EXPECT_NE(officer_line.find("case/cli-trace-1"), std::string::npos) << table.output;

  // Records (CSV with national_id and phones) trace the same reads; the
  // phones count as identifiers of their own.
  std::string csv = "national_id,name,phones\n";
  for (const SyntheticPerson& p : persons) csv += p.id + ",x," + p.phone_e164 + "\n";
  ProgramRun from_csv =
      Warden({"audit", "trace", WriteFile("online-sample.csv", csv), "--json"}, account("auditor"));
  ASSERT_EQ(from_csv.exit_code, 0) << from_csv.output;
  const json csv_report = JsonOf(from_csv.output);
  EXPECT_EQ(csv_report.value("sample_size", 0), 6) << from_csv.output;
  ExpectOfficerFirst(csv_report);

  // Only auditors trace.
  ProgramRun refused = Warden({"audit", "trace", file}, account("officer"));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("403"), std::string::npos) << refused.output;
}

TEST_F(CliTest, TraceOfflineOnTheStoppedDataDirectoryRanksTheSame) {
  const std::vector<SyntheticPerson> persons = ReadSampleTwice(9200, "case/cli-offline");
  std::string jsonl;
  for (const SyntheticPerson& p : persons) jsonl += p.record.dump() + "\n";
  const std::string file = WriteFile("offline-sample.jsonl", jsonl);

  ProgramRun online = Warden({"audit", "trace", file, "--json"}, account("auditor"));
  ASSERT_EQ(online.exit_code, 0) << online.output;
  const json online_report = JsonOf(online.output);
  ExpectOfficerFirst(online_report);

  // The server must be stopped; it comes back whatever happens below.
  struct Restart {
    ~Restart() {
      if (!d().serving()) {
        EXPECT_TRUE(d().Start());
      }
    }
  } restart;
  ASSERT_TRUE(d().Stop());
  const std::vector<std::string>& shares = d().init().shares;
  const std::string too_few = WriteFile("two-shares.txt", shares[0] + "\n" + shares[1] + "\n");
  ProgramRun short_of_shares =
      RunProgram({WardenBinary(), "audit", "trace", file, "--data", d().warden_data_dir(),
                  "--share-file", too_few, "--json"});
  EXPECT_EQ(short_of_shares.exit_code, 2) << short_of_shares.output;
  EXPECT_NE(short_of_shares.output.find("shares_missing"), std::string::npos)
      << short_of_shares.output;

  const std::string share_file =
      WriteFile("shares.txt", shares[0] + "\n" + shares[1] + "\n" + shares[2] + "\n");
  ProgramRun offline = RunProgram({WardenBinary(), "audit", "trace", file, "--data",
                                   d().warden_data_dir(), "--share-file", share_file, "--json"},
                                  {}, 60'000);
  ASSERT_EQ(offline.exit_code, 0) << offline.output;
  const json offline_report = JsonOf(offline.output);
  ExpectOfficerFirst(offline_report);
  EXPECT_EQ(offline_report["sample_size"], online_report["sample_size"]);
  EXPECT_EQ(offline_report["sample_matched"], online_report["sample_matched"]);
  // The server's answer names each account's username as well; offline
  // there are ids only.
  json online_accounts = online_report["accounts"];
  for (json& account : online_accounts) account.erase("username");
  EXPECT_EQ(offline_report["accounts"], online_accounts);

  ASSERT_TRUE(d().Start());
  // The offline trace is in the trail, under the offline tool's name.
  Answer trail = client().Call("GET", "/v1/audit?account=cli:offline&action=audit_read",
                               account("auditor").Auth());
  ASSERT_EQ(trail.status, 200) << trail;
  ASSERT_EQ(trail.body_json["entries"].size(), 1u) << trail;
  EXPECT_EQ(trail.body_json["entries"][0]["purpose"], "audit/leak-trace") << trail;
}

}  // namespace
}  // namespace warden::e2e
