// Export jobs through the API (export_jobs.h): the two-person flow, the
// file decrypted by Debian's `age`, the trace of a leaked excerpt back to the
// export, the tracers' tripwire, and every refusal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/api_test_util.h"
#include "schema/generator.h"

namespace warden::api {
namespace {

namespace fs = std::filesystem;
using access::Role;
using nlohmann::json;
using testing::InMemoryApi;

constexpr int kPersons = 5;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ApiOptions ExportOptions(const fs::path& dir, size_t approvals) {
  ApiOptions options;
  options.export_dir = (dir / "exports").string();
  options.export_approvals = approvals;
  options.export_max_rows_investigator = kPersons;
  options.export_max_fields_investigator = 3;
  options.export_expiry = std::chrono::minutes(10);  // within a session's idle timeout
  return options;
}

class ExportTest : public ::testing::TestWithParam<size_t> {
 protected:
  ExportTest()
      : dir_(fs::temp_directory_path() / ("warden-export-" + std::to_string(::getpid()))),
        made_(fs::create_directories(dir_ / "exports")),
        api_(schema::Schema::Registry(), nullptr, ExportOptions(dir_, GetParam())) {
    registrar_ = api_.Account("reg.one", {Role::kRegistrar});
    investigator_ = api_.Account("inv.one", {Role::kInvestigator});
    officer_ = api_.Account("off.one", {Role::kOfficer});
    so_a_ = api_.Account("so.three", {Role::kSecurityOfficer});
    so_b_ = api_.Account("so.four", {Role::kSecurityOfficer});
    schema::PersonGenerator persons(11);
    for (int i = 0; i < kPersons; ++i) {
      schema::PersonRecord p;
      persons.At(static_cast<uint64_t>(i), p);
      api_.Put("persons", p.ToJson());
      ids_.push_back(p.national_id);
      names_.push_back(p.name);
    }
    const std::string keygen = "age-keygen -o " + (dir_ / "identity").string() + " 2>/dev/null";
    EXPECT_EQ(std::system(keygen.c_str()), 0) << "age-keygen (Debian package age) is needed";
    const std::string pub =
        "age-keygen -y -o " + (dir_ / "recipient").string() + " " + (dir_ / "identity").string();
    EXPECT_EQ(std::system(pub.c_str()), 0);
    recipient_key_ = ReadFile(dir_ / "recipient");
    while (!recipient_key_.empty() && recipient_key_.back() == '\n') recipient_key_.pop_back();
  }
  ~ExportTest() override { fs::remove_all(dir_); }

  std::string RegisterRecipient() {
    InMemoryApi::Reply r = api_.Call("POST", "/v1/exports/recipients", so_a_, std::nullopt,
                                     json{{"name", "Statistics Office intake"},
                                          {"organisation", "Municipal Statistics Office"},
                                          {"owner", "Wang Fang"},
                                          {"public_key", recipient_key_}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("id", "");
  }

  InMemoryApi::Reply Request(const std::string& token, const json& keys, const json& fields,
                             const std::string& recipient) {
    return api_.Call("POST", "/v1/exports", token, "case/2023-CO-7",
                     json{{"collection", "persons"},
                          {"keys", keys},
                          {"fields", fields},
                          {"recipient_id", recipient}});
  }

  std::string RequestAll(const std::string& recipient) {
    InMemoryApi::Reply r = Request(registrar_, ids_, {"name", "birth_date"}, recipient);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.json.value("state", ""), "pending");
    return r.json.value("id", "");
  }

  void ApproveFully(const std::string& id) {
    const std::string* officers[] = {&so_a_, &so_b_};
    for (size_t i = 0; i < GetParam(); ++i) {
      InMemoryApi::Reply r =
          api_.Call("POST", "/v1/exports/" + id + "/approve", *officers[i], std::nullopt);
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  // What `age -d` makes of a downloaded file, or nullopt when it refuses it.
  std::optional<std::string> Decrypt(const std::string& ciphertext) {
    {
      std::ofstream out(dir_ / "download.age", std::ios::binary | std::ios::trunc);
      out << ciphertext;
    }
    const std::string cmd = "age -d -i " + (dir_ / "identity").string() + " -o " +
                            (dir_ / "download.jsonl").string() + " " +
                            (dir_ / "download.age").string();
    if (std::system(cmd.c_str()) != 0) return std::nullopt;
    std::string plain = ReadFile(dir_ / "download.jsonl");
    fs::remove(dir_ / "download.jsonl");
    return plain;
  }

  bool ExportDirEmpty() { return fs::is_empty(dir_ / "exports"); }

  fs::path dir_;
  bool made_;
  InMemoryApi api_;
  std::string registrar_, investigator_, officer_, so_a_, so_b_;
  std::vector<std::string> ids_, names_;
  std::string recipient_key_;
};

TEST_P(ExportTest, RequestApprovalDownloadDecryptionAndTraceOfALeakedExcerpt) {
  const std::string recipient = RegisterRecipient();
  const std::string id = RequestAll(recipient);

  InMemoryApi::Reply pending = api_.Call("GET", "/v1/exports", so_b_, std::nullopt);
  ASSERT_EQ(pending.status, 200) << pending.body;
  ASSERT_EQ(pending.json["exports"].size(), 1u);
  EXPECT_EQ(pending.json["exports"][0]["id"], id);
  EXPECT_EQ(pending.body.find(ids_[0]), std::string::npos) << "the list shows no record key";

  InMemoryApi::Reply early =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(early.ErrorCode(), "export_not_approved");

  ApproveFully(id);
  InMemoryApi::Reply status = api_.Call("GET", "/v1/exports/" + id, registrar_, std::nullopt);
  EXPECT_EQ(status.json.value("state", ""), "approved") << status.body;

  InMemoryApi::Reply stolen =
      api_.Call("GET", "/v1/exports/" + id + "/file", investigator_, std::nullopt);
  EXPECT_EQ(stolen.status, 403);
  EXPECT_EQ(stolen.ErrorCode(), "not_requester");

  InMemoryApi::Reply file =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_TRUE(ExportDirEmpty()) << "the ciphertext is deleted once sent";
  for (const std::string& name : names_) EXPECT_EQ(file.body.find(name), std::string::npos);
  std::optional<std::string> plain = Decrypt(file.body);
  ASSERT_TRUE(plain.has_value()) << "age refused the export";

  // Every requested person, with the key and the asked-for fields only, and
  // three tracers that are no one's record.
  std::vector<json> lines;
  std::istringstream in(*plain);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), static_cast<size_t>(kPersons) + 3);
  std::vector<std::string> tracers;
  for (const json& line : lines) {
    EXPECT_EQ(line.size(), 3u) << line.dump();
    EXPECT_TRUE(line.contains("name") && line.contains("birth_date")) << line.dump();
    const std::string key = line.value("national_id", "");
    if (std::find(ids_.begin(), ids_.end(), key) == ids_.end()) tracers.push_back(key);
  }
  ASSERT_EQ(tracers.size(), 3u);

  InMemoryApi::Reply again =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.ErrorCode(), "already_downloaded");

  // A leaked excerpt: one real person and one tracer.
  audit::AuditActor auditor;
  auditor.account = "test-auditor";
  const std::vector<audit::AuditSubject> sample = {
      {audit::IdentifierKind::kNationalId, ids_[2]},
      {audit::IdentifierKind::kNationalId, tracers[0]}};
  StatusOr<audit::TraceReport> trace = api_.services().audit->Trace(auditor, sample);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->accounts.size(), 1u);
  const audit::TraceAccount& who = trace->accounts[0];
  EXPECT_EQ(who.account, api_.AccountId("reg.one"));
  EXPECT_EQ(who.covered, 2u) << "the tracer is found only in this export";
  ASSERT_EQ(who.exports.size(), 1u);
  const std::string& detail = who.exports[0];
  EXPECT_NE(detail.find(id), std::string::npos) << detail;
  EXPECT_NE(detail.find("Municipal Statistics Office"), std::string::npos) << detail;
  EXPECT_NE(detail.find(api_.AccountId("reg.one")), std::string::npos) << detail;
  EXPECT_NE(detail.find(api_.AccountId("so.three")), std::string::npos) << detail;
  EXPECT_NE(detail.find("key list sha256 " + status.json.value("key_list_sha256", "")),
            std::string::npos)
      << detail;

  // Reading a tracer through the API trips it like any canary.
  InMemoryApi::Reply tripped = api_.Call("GET", "/v1/persons/" + tracers[1], officer_);
  EXPECT_EQ(tripped.status, 423) << tripped.body;
  InMemoryApi::Reply after = api_.Call("GET", "/v1/persons/" + ids_[0], officer_);
  EXPECT_EQ(after.status, 423) << "the account stays suspended";
}

TEST_P(ExportTest, EveryStepIsAudited) {
  const std::string id = RequestAll(RegisterRecipient());
  ApproveFully(id);
  ASSERT_EQ(api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt).status, 200);
  auto details = [&](audit::AuditAction action) {
    std::vector<std::string> out;
    for (const audit::AuditRecord& r : api_.Entries(action)) out.push_back(r.context.detail);
    return out;
  };
  auto has = [](const std::vector<std::string>& details, const std::string& text) {
    return std::any_of(details.begin(), details.end(),
                       [&](const std::string& d) { return d.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has(details(audit::AuditAction::kAdmin), "register export recipient rc_"));
  EXPECT_TRUE(has(details(audit::AuditAction::kExport), "export request " + id));
  EXPECT_TRUE(has(details(audit::AuditAction::kAdmin), "approve export " + id));
  EXPECT_TRUE(has(details(audit::AuditAction::kExport),
                  "export " + id + " of " + std::to_string(kPersons + 3) + " records"));
  for (const audit::AuditRecord& r : api_.Entries(audit::AuditAction::kExport)) {
    if (r.context.detail.rfind("export " + id + " of", 0) != 0) continue;
    EXPECT_EQ(std::count_if(r.entry.subjects.begin(), r.entry.subjects.end(),
                            [](const audit::HashedSubject& h) {
                              return h.kind == audit::IdentifierKind::kNationalId;
                            }),
              kPersons + 3)
        << "every exported person and tracer";
    EXPECT_EQ(r.entry.account, api_.AccountId("reg.one"));
    EXPECT_EQ(r.entry.purpose_kind, "case");
    for (const std::string& pid : ids_) {
      EXPECT_NE(std::find(r.entry.subjects.begin(), r.entry.subjects.end(),
                          audit::HashedSubject{audit::IdentifierKind::kNationalId,
                                               api_.Hash(audit::IdentifierKind::kNationalId, pid)}),
                r.entry.subjects.end());
    }
  }
}

TEST_P(ExportTest, MalformedOrMissingRecipientKeyIsRefusedNamingTheField) {
  for (const json& key : {json("age1notakey"), json("ssh-ed25519 AAAA"), json(42), json()}) {
    json body = {{"name", "x"}, {"organisation", "y"}, {"owner", "z"}};
    if (!key.is_null()) body["public_key"] = key;
    InMemoryApi::Reply r = api_.Call("POST", "/v1/exports/recipients", so_a_, std::nullopt, body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.ErrorCode(), "recipient_malformed");
    EXPECT_NE(r.json["error"].value("message", "").find("public_key"), std::string::npos) << r.body;
  }
  InMemoryApi::Reply unnamed =
      api_.Call("POST", "/v1/exports/recipients", so_a_, std::nullopt,
                json{{"organisation", "y"}, {"owner", "z"}, {"public_key", recipient_key_}});
  EXPECT_EQ(unnamed.status, 422);
  EXPECT_EQ(unnamed.json["error"]["fields"][0]["field"], "name");
  InMemoryApi::Reply by_registrar = api_.Call(
      "POST", "/v1/exports/recipients", registrar_, std::nullopt,
      json{{"name", "x"}, {"organisation", "y"}, {"owner", "z"}, {"public_key", recipient_key_}});
  EXPECT_EQ(by_registrar.status, 403);
  InMemoryApi::Reply unknown =
      Request(registrar_, ids_, json::array({"name"}), "rc_0000000000000000");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.ErrorCode(), "unknown_recipient");
}

TEST_P(ExportTest, InvalidKeysGiveARejectsListAndNothingIsRequested) {
  const std::string recipient = RegisterRecipient();
  InMemoryApi::Reply r =
      Request(registrar_, {ids_[0], "11010519491231002Y", ids_[1], "not-an-id", 7},
              json::array({"name"}), recipient);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.ErrorCode(), "invalid_keys");
  const json fields = r.json["error"]["fields"];
  ASSERT_EQ(fields.size(), 3u) << r.body;
  EXPECT_EQ(fields[0]["field"], "keys[1]");
  EXPECT_EQ(fields[1]["field"], "keys[3]");
  EXPECT_EQ(fields[2]["field"], "keys[4]");
  EXPECT_EQ(fields[2]["rule"], "type");
  InMemoryApi::Reply mine = api_.Call("GET", "/v1/exports", registrar_, std::nullopt);
  EXPECT_EQ(mine.json["exports"].size(), 0u) << mine.body;
}

TEST_P(ExportTest, RowAndFieldLimitsOfTheRoleRefuseRatherThanTruncate) {
  const std::string recipient = RegisterRecipient();
  json six = ids_;
  six.push_back("11010519491231002X");
  InMemoryApi::Reply rows = Request(investigator_, six, json::array({"name"}), recipient);
  EXPECT_EQ(rows.status, 403) << rows.body;
  EXPECT_EQ(rows.ErrorCode(), "export_limit");
  InMemoryApi::Reply fields =
      Request(investigator_, ids_, {"name", "birth_date", "gender", "phones"}, recipient);
  EXPECT_EQ(fields.status, 403) << fields.body;
  EXPECT_EQ(fields.ErrorCode(), "export_limit");
  EXPECT_EQ(Request(investigator_, ids_, {"name", "birth_date", "gender"}, recipient).status, 202);
  InMemoryApi::Reply officer = Request(officer_, ids_, json::array({"name"}), recipient);
  EXPECT_EQ(officer.status, 403) << "an officer may not ask for exports";
}

TEST_P(ExportTest, TheRequesterCannotApproveAndNoOfficerApprovesTwice) {
  const std::string id = RequestAll(RegisterRecipient());
  InMemoryApi::Reply self =
      api_.Call("POST", "/v1/exports/" + id + "/approve", registrar_, std::nullopt);
  EXPECT_EQ(self.status, 403) << self.body;
  ASSERT_EQ(api_.Call("POST", "/v1/exports/" + id + "/approve", so_a_, std::nullopt).status, 200);
  InMemoryApi::Reply twice =
      api_.Call("POST", "/v1/exports/" + id + "/approve", so_a_, std::nullopt);
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(twice.ErrorCode(), "already_approved");
  InMemoryApi::Reply state = api_.Call("GET", "/v1/exports/" + id, registrar_, std::nullopt);
  EXPECT_EQ(state.json.value("state", ""), GetParam() == 1 ? "approved" : "pending");
}

TEST_P(ExportTest, ARejectedExportIsNeverGenerated) {
  const std::string id = RequestAll(RegisterRecipient());
  ASSERT_EQ(api_.Call("POST", "/v1/exports/" + id + "/reject", so_b_, std::nullopt).status, 200);
  InMemoryApi::Reply late =
      api_.Call("POST", "/v1/exports/" + id + "/approve", so_a_, std::nullopt);
  EXPECT_EQ(late.status, 409);
  InMemoryApi::Reply file =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  EXPECT_EQ(file.status, 409);
  EXPECT_EQ(file.ErrorCode(), "export_not_approved");
  EXPECT_TRUE(ExportDirEmpty());
}

TEST_P(ExportTest, AnUndownloadedExportExpires) {
  const std::string id = RequestAll(RegisterRecipient());
  ApproveFully(id);
  api_.clock().Advance(std::chrono::minutes(11));
  InMemoryApi::Reply state = api_.Call("GET", "/v1/exports/" + id, registrar_, std::nullopt);
  EXPECT_EQ(state.json.value("state", ""), "expired") << state.body;
  InMemoryApi::Reply file =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  EXPECT_EQ(file.status, 409);
  EXPECT_EQ(file.ErrorCode(), "export_expired");
  bool audited = false;
  for (const audit::AuditRecord& r : api_.Entries(audit::AuditAction::kAdmin)) {
    audited |= r.context.detail.find("export " + id + " expired") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

// What a process killed with -9 in the middle of a generation leaves: the
// job stored as generating under its own process identity, and a partial
// ciphertext file. The next read fails the job cleanly and deletes the file.
TEST_P(ExportTest, AGenerationCutShortByAKilledProcessFailsCleanly) {
  const std::string id = RequestAll(RegisterRecipient());
  ApproveFully(id);
  const std::string key = "export/job/" + id;
  StatusOr<std::optional<std::string>> stored = api_.store().Get(Space::kMeta, key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  json job = json::parse(**stored);
  job["state"] = "generating";
  job["generation_instance"] = "p_killedprocess0000";
  WriteBatch batch;
  batch.Put(Space::kMeta, key, job.dump());
  ASSERT_TRUE(api_.store().Write(batch).ok());
  const fs::path partial = dir_ / "exports" / (id + ".age.partial");
  { std::ofstream(partial) << "age-encryption.org/v1\n"; }

  InMemoryApi::Reply state = api_.Call("GET", "/v1/exports/" + id, registrar_, std::nullopt);
  EXPECT_EQ(state.json.value("state", ""), "failed") << state.body;
  EXPECT_EQ(state.json.value("failure", ""), "generation_interrupted");
  EXPECT_FALSE(fs::exists(partial));
  InMemoryApi::Reply file =
      api_.Call("GET", "/v1/exports/" + id + "/file", registrar_, std::nullopt);
  EXPECT_EQ(file.status, 409);
}

TEST_P(ExportTest, OnlyTheRequesterAndSecurityOfficersSeeAJob) {
  const std::string id = RequestAll(RegisterRecipient());
  EXPECT_EQ(api_.Call("GET", "/v1/exports/" + id, so_a_, std::nullopt).status, 200);
  EXPECT_EQ(api_.Call("GET", "/v1/exports/" + id, investigator_, std::nullopt).status, 404);
  InMemoryApi::Reply theirs = api_.Call("GET", "/v1/exports", investigator_, std::nullopt);
  EXPECT_EQ(theirs.json["exports"].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Approvers, ExportTest, ::testing::Values(size_t{1}, size_t{2}),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::to_string(info.param) + "Approvers";
                         });

}  // namespace
}  // namespace warden::api
