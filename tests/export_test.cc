// Exports end to end (SPEC G4, G11): a registrar asks with `warden export
// request`, a second security officer approves with `warden export approve`,
// the registrar downloads once with `warden export download`, Debian's `age`
// decrypts the file with the recipient's identity, and `warden audit trace`
// on a leaked excerpt names the export, its requester, approver and
// recipient.
#include <fstream>
#include <sstream>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class ExportEndToEndTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    StartDeployment();
    files_ = std::make_unique<TempDir>();
    if (deployment_ != nullptr) std::ofstream(CaFile()) << deployment_->ca_pem();
  }
  static void TearDownTestSuite() {
    files_.reset();
    deployment_.reset();
  }

  static std::string CaFile() { return files_->path() + "/ca.pem"; }
  static std::string Path(const std::string& name) { return files_->path() + "/" + name; }
  static std::string Addr() { return "https://127.0.0.1:" + std::to_string(d().port()); }

  static ProgramRun Warden(std::vector<std::string> args, const Account& who) {
    args.insert(args.begin(), WardenBinary());
    for (const std::string& extra : {std::string("--addr"), Addr(), std::string("--cacert"),
                                     CaFile(), std::string("--token"), who.token}) {
      args.push_back(extra);
    }
    return RunProgram(args);
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static inline std::unique_ptr<TempDir> files_;
};

TEST_F(ExportEndToEndTest, RequestApproveDownloadDecryptAndTraceALeakedExcerpt) {
  // The recipient's key pair, made by age-keygen as the recipient would.
  ASSERT_EQ(RunProgram({"/usr/bin/age-keygen", "-o", Path("identity")}).exit_code, 0)
      << "age-keygen (Debian package age) is needed";
  ProgramRun pub = RunProgram({"/usr/bin/age-keygen", "-y", Path("identity")});
  ASSERT_EQ(pub.exit_code, 0) << pub.output;
  std::string public_key = pub.output;
  while (!public_key.empty() && public_key.back() == '\n') public_key.pop_back();

  std::vector<SyntheticPerson> persons;
  std::string keys;
  for (int n = 501; n < 505; ++n) {
    persons.push_back(MakePerson(n, "欧阳兰"));
    d().PutPerson(persons.back());
    keys += persons.back().id + "\n";
  }
  std::ofstream(Path("keys.txt")) << keys;

  ProgramRun recipient = Warden(
      {"export", "recipient-add", "--name", "Court intake", "--organisation",
       "Intermediate People's Court", "--owner", "Clerk Zhao", "--key", public_key, "--json"},
      account("so"));
  ASSERT_EQ(recipient.exit_code, 0) << recipient.output;
  const std::string recipient_id = json::parse(recipient.output).value("id", "");

  ProgramRun requested =
      Warden({"export", "request", "--keys", Path("keys.txt"), "--fields", "name,birth_date",
              "--recipient", recipient_id, "--purpose", "case/2026-CO-11", "--json"},
             account("registrar"));
  ASSERT_EQ(requested.exit_code, 0) << requested.output;
  const std::string id = json::parse(requested.output).value("id", "");
  ASSERT_FALSE(id.empty());

  // The requester cannot approve their own export; a second officer does.
  ProgramRun self = Warden({"export", "approve", id}, account("registrar"));
  EXPECT_EQ(self.exit_code, 1) << self.output;
  ProgramRun pending = Warden({"export", "status"}, account("so2"));
  EXPECT_NE(pending.output.find(id), std::string::npos) << pending.output;
  ProgramRun approved = Warden({"export", "approve", id}, account("so2"));
  ASSERT_EQ(approved.exit_code, 0) << approved.output;
  EXPECT_NE(approved.output.find("approved"), std::string::npos) << approved.output;

  ProgramRun other =
      Warden({"export", "download", id, "-o", Path("stolen.age")}, account("investigator"));
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("not_requester"), std::string::npos) << other.output;

  ProgramRun got =
      Warden({"export", "download", id, "-o", Path("export.age")}, account("registrar"));
  ASSERT_EQ(got.exit_code, 0) << got.output;
  ProgramRun again =
      Warden({"export", "download", id, "-o", Path("again.age")}, account("registrar"));
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("already_downloaded"), std::string::npos) << again.output;

  // No export file is left in the data directory, and the ciphertext holds
  // no name.
  const std::string exports_dir = d().warden_data_dir() + "/exports";
  EXPECT_EQ(RunProgram({"/usr/bin/find", exports_dir, "-type", "f"}).output, "");
  EXPECT_EQ(Read(Path("export.age")).find("欧阳"), std::string::npos);

  ASSERT_EQ(RunProgram({"/usr/bin/age", "-d", "-i", Path("identity"), "-o", Path("export.jsonl"),
                        Path("export.age")})
                .exit_code,
            0);
  std::vector<json> lines;
  std::istringstream plain(Read(Path("export.jsonl")));
  for (std::string line; std::getline(plain, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), persons.size() + 3) << "every person and three tracers";
  std::string tracer_line;
  for (const json& line : lines) {
    const std::string key = line.value("national_id", "");
    const bool real = std::any_of(persons.begin(), persons.end(),
                                  [&](const SyntheticPerson& p) { return p.id == key; });
    if (!real && tracer_line.empty()) tracer_line = line.dump();
  }
  ASSERT_FALSE(tracer_line.empty());

  // A leaked excerpt: a tracer alone names this export and no other read.
  std::ofstream(Path("leak.jsonl")) << tracer_line << "\n";
  ProgramRun trace = Warden({"audit", "trace", Path("leak.jsonl")}, account("auditor"));
  ASSERT_EQ(trace.exit_code, 0) << trace.output;
  EXPECT_NE(trace.output.find(account("registrar").id), std::string::npos) << trace.output;
  EXPECT_NE(trace.output.find("exported: export " + id), std::string::npos) << trace.output;
  EXPECT_NE(trace.output.find("Intermediate People's Court"), std::string::npos) << trace.output;
  EXPECT_NE(trace.output.find("approved by " + account("so2").id), std::string::npos)
      << trace.output;
}

}  // namespace
}  // namespace warden::e2e
