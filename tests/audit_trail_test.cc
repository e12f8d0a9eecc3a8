// The audit trail against someone with disk access (G6), on a real server:
// checkpoints are written at seal and at stop, so a stopped server leaves no
// unsigned entry; the checkpoint file the server writes itself verifies
// against its intact log; and a server started over a forged entry refuses
// to sign it and serves no personal data.
#include <gtest/gtest.h>

#include <fstream>

#include "audit/audit_entry.h"
#include "audit/audit_verify.h"
#include "core/bytes.h"
#include "node/data_dir.h"
#include "store/open_store.h"
#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class AuditTrailTest : public E2eTest {
 protected:
  // Only stop and seal may sign in these tests, not the interval.
  static void SetUpTestSuite() {
    Deployment::Options options;
    options.serve_args = {"--audit-checkpoint-interval", "3600"};
    StartDeployment(options);
  }

  static std::string CheckpointFile() { return d().warden_data_dir() + "/audit-checkpoints.jsonl"; }

  static std::vector<audit::AuditCheckpoint> ShippedCheckpoints() {
    std::ifstream in(CheckpointFile(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return audit::ParseShippedLog(text).checkpoints;
  }

  static std::string ShareFile() {
    const std::string path = d().data_dir() + "/shares.txt";
    std::ofstream out(path, std::ios::trunc);
    for (int i = 0; i < d().init().threshold; ++i)
      out << d().init().shares[static_cast<size_t>(i)] << "\n";
    return path;
  }

  // `warden audit verify --data DIR args…` on the stopped server.
  static ProgramRun Verify(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {WardenBinary(), "audit", "verify", "--data", d().warden_data_dir()});
    return RunProgram(args);
  }

  // Reads a person as the officer: one audited read.
  static int ReadPerson(const SyntheticPerson& p) {
    return client().Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose()).status;
  }
};

TEST_F(AuditTrailTest, CheckpointsAtSealAndAtStopLeaveNoUnsignedEntry) {
  const SyntheticPerson p = MakePerson(31);
  d().PutPerson(p);
  ASSERT_EQ(ReadPerson(p), 200);
  const size_t shipped_before = ShippedCheckpoints().size();

  // Seal: the checkpoint is written before the answer.
  Answer sealed = client().Call("POST", "/v1/sys/seal", account("operator").Auth());
  ASSERT_EQ(sealed.status, 200) << sealed;
  std::vector<audit::AuditCheckpoint> at_seal = ShippedCheckpoints();
  ASSERT_GT(at_seal.size(), shipped_before) << "no checkpoint was shipped at seal";
  const uint64_t seal_seq = at_seal.back().seq;

  // Stopped while sealed: the seal's checkpoint covers every entry.
  ASSERT_TRUE(d().Stop());
  ProgramRun after_seal = Verify();
  EXPECT_EQ(after_seal.exit_code, 0) << after_seal.output;
  EXPECT_NE(after_seal.output.find("to " + std::to_string(seal_seq) + ")"), std::string::npos)
      << after_seal.output;
  EXPECT_NE(after_seal.output.find("; 0 unsigned entries"), std::string::npos) << after_seal.output;

  // Unsealed again, one more read, a clean stop: signed at stop.
  ASSERT_TRUE(d().Start());
  ASSERT_EQ(ReadPerson(p), 200);
  ASSERT_TRUE(d().Stop());
  const std::vector<audit::AuditCheckpoint> at_stop = ShippedCheckpoints();
  ASSERT_FALSE(at_stop.empty());
  EXPECT_GT(at_stop.back().seq, seal_seq);
  ProgramRun after_stop = Verify({"--max-unsigned-entries", "0"});
  EXPECT_EQ(after_stop.exit_code, 0) << after_stop.output;
  EXPECT_NE(after_stop.output.find("; 0 unsigned entries"), std::string::npos) << after_stop.output;
  EXPECT_NE(after_stop.output.find("MACs not checked"), std::string::npos) << after_stop.output;

  // The file the server ships its checkpoints to verifies against its own
  // intact log (it used to report "truncated" here) ...
  ProgramRun shipped = Verify({"--shipped", CheckpointFile()});
  EXPECT_EQ(shipped.exit_code, 0) << shipped.output;
  EXPECT_EQ(shipped.output.find("BROKEN"), std::string::npos) << shipped.output;
  // ... and with the root key every entry's MAC verifies too.
  ProgramRun with_keys = Verify({"--share-file", ShareFile(), "--shipped", CheckpointFile()});
  EXPECT_EQ(with_keys.exit_code, 0) << with_keys.output;
  EXPECT_NE(with_keys.output.find("every entry MAC checked"), std::string::npos)
      << with_keys.output;
  ASSERT_TRUE(d().Start());
}

// Last in the suite: it leaves the trail refusing every audited request.
TEST_F(AuditTrailTest, RestartOverAForgedAppendRefusesToSignItAndServesNoPersonalData) {
  const SyntheticPerson p = MakePerson(32);
  d().PutPerson(p);
  ASSERT_EQ(ReadPerson(p), 200);
  ASSERT_TRUE(d().Stop());

  // With disk access and no key: a well-chained entry after the last one.
  uint64_t forged_seq = 0;
  {
    StatusOr<std::string> spec = node::StoreSpecOf(d().warden_data_dir(), "");
    ASSERT_TRUE(spec.ok());
    StoreOptions store_options;
    store_options.rocksdb.create_if_missing = false;
    StatusOr<std::unique_ptr<Store>> store = OpenStore(*spec, store_options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto head = (*store)->Get(Space::kAudit, "m/head");
    ASSERT_TRUE(head.ok() && head->has_value());
    const uint64_t last = GetBigEndian64(**head);
    auto raw = (*store)->Get(Space::kAudit, audit::audit_keys::Entry(last));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    StatusOr<audit::AuditEntry> forged = audit::DecodeEntry(**raw);
    ASSERT_TRUE(forged.ok());
    forged_seq = last + 1;
    forged->seq = forged_seq;
    forged->prev_hash = audit::EntryHash(**raw);
    forged->account = "framed-officer";
    forged->action = audit::AuditAction::kReveal;
    WriteBatch batch;
    batch.Put(Space::kAudit, audit::audit_keys::Entry(forged_seq), audit::EncodeEntry(*forged));
    std::string new_head;
    PutBigEndian64(new_head, forged_seq);
    batch.Put(Space::kAudit, "m/head", new_head);
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  // The public key alone sees an unsigned entry; the keys see a forgery.
  ProgramRun public_only = Verify();
  EXPECT_NE(public_only.output.find("; 1 unsigned entries"), std::string::npos)
      << public_only.output;
  ProgramRun with_keys = Verify({"--share-file", ShareFile()});
  EXPECT_EQ(with_keys.exit_code, 1) << with_keys.output;
  EXPECT_NE(with_keys.output.find("BROKEN at seq " + std::to_string(forged_seq) + ": forged"),
            std::string::npos)
      << with_keys.output;

  // The server starts and unseals, but will not sign over the forgery: the
  // unseal's own audit entry is refused, and so is every read.
  std::vector<std::string> args = {"--listen",   "127.0.0.1:0",
                                   "--tls-cert", d().data_dir() + "/cert.pem",
                                   "--tls-key",  d().data_dir() + "/key.pem"};
  const std::string log_path = d().data_dir() + "/forged-serve.log";
  std::unique_ptr<ServerProcess> server =
      ServerProcess::Start(d().warden_data_dir(), args, log_path);
  ASSERT_NE(server, nullptr);
  Client c(server->port(), d().ca_pem());
  Answer unsealed;
  for (int i = 0; i < d().init().threshold; ++i) {
    unsealed = c.Call("POST", "/v1/sys/unseal", {},
                      json{{"share", d().init().shares[static_cast<size_t>(i)]}});
  }
  EXPECT_EQ(unsealed.status, 503) << unsealed;
  EXPECT_EQ(unsealed.ErrorCode(), "audit_unavailable") << unsealed;
  Answer read = c.Call("GET", "/v1/persons/" + p.id, account("officer").WithPurpose());
  EXPECT_EQ(read.status, 503) << read;
  EXPECT_EQ(read.ErrorCode(), "audit_unavailable") << read;
  EXPECT_EQ(read.body.find(p.id), std::string::npos);
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_NE(server->Log().find("ALERT audit_tail_rejected"), std::string::npos) << server->Log();

  // Nothing was signed over it, at start or at stop.
  for (const audit::AuditCheckpoint& cp : ShippedCheckpoints()) EXPECT_LT(cp.seq, forged_seq);
  ProgramRun still = Verify({"--share-file", ShareFile()});
  EXPECT_EQ(still.exit_code, 1) << still.output;
}

}  // namespace
}  // namespace warden::e2e
