// Tamper tests (G6): every kind of change to the stored log and to a shipped
// copy is detected and located.
#include "audit/audit_verify.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "audit/audit_test_util.h"
#include "core/bytes.h"
#include "crypto/primitives.h"
#include "store/memory_store.h"

namespace warden::audit {
namespace {

using testing::Officer;
using testing::ReadOf;
using testing::SyntheticId;

constexpr uint64_t kEntries = 50;

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "audit_verify_XXXXXX";
  char* dir = ::mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_path_ = MakeTempDir() + "/shipped.jsonl";
    AuditLogOptions options;
    options.checkpoint_every = 10;
    options.sinks.push_back(std::make_shared<JsonlFileSink>(fs_, sink_path_, true));
    auto log =
        AuditLog::Open(store_, testing::TestHashKey(), testing::TestSignSeed(), std::move(options));
    ASSERT_TRUE(log.ok());
    public_key_ = (*log)->public_key();
    for (uint64_t i = 1; i <= kEntries; ++i) {
      ASSERT_TRUE((*log)
                      ->Append(ReadOf(Officer("officer-" + std::to_string(i % 4)),
                                      SyntheticId(static_cast<int>(i))))
                      .ok());
    }
    log->reset();
    StatusOr<std::string> text = fs_.ReadFile(sink_path_);
    ASSERT_TRUE(text.ok());
    shipped_ = *text;
  }

  std::string Raw(uint64_t seq) {
    auto v = store_.Get(Space::kAudit, audit_keys::Entry(seq));
    EXPECT_TRUE(v.ok() && v->has_value()) << seq;
    return v.ok() && v->has_value() ? **v : std::string();
  }
  void Put(std::string key, std::string value) {
    WriteBatch b;
    b.Put(Space::kAudit, std::move(key), std::move(value));
    ASSERT_TRUE(store_.Write(b).ok());
  }
  void Delete(std::string key) {
    WriteBatch b;
    b.Delete(Space::kAudit, std::move(key));
    ASSERT_TRUE(store_.Write(b).ok());
  }
  static AuditEntry Decode(const std::string& raw) {
    StatusOr<AuditEntry> e = DecodeEntry(raw);
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : AuditEntry{};
  }
  VerifyReport VerifyStore(const VerifyOptions& options = {}) {
    StatusOr<VerifyReport> r = VerifyStoredLog(store_, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }
  VerifyReport VerifyFile(std::string_view text, const VerifyOptions& options = {}) {
    StatusOr<VerifyReport> r = VerifyShippedLog(text, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }
  static void ExpectBreak(const VerifyReport& r, ChainBreakKind kind, uint64_t seq) {
    ASSERT_FALSE(r.ok()) << "tampering went unnoticed: " << r.Summary();
    EXPECT_EQ(ChainBreakKindName(r.chain_break->kind), ChainBreakKindName(kind)) << r.Summary();
    EXPECT_EQ(r.chain_break->seq, seq) << r.Summary();
  }
  AuditCheckpoint StoredCheckpoint(uint64_t seq) {
    auto v = store_.Get(Space::kAudit, audit_keys::Checkpoint(seq));
    EXPECT_TRUE(v.ok() && v->has_value());
    StatusOr<AuditCheckpoint> c = DecodeCheckpoint(v.ok() && v->has_value() ? **v : "");
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : AuditCheckpoint{};
  }

  // The shipped file split into lines, each with its trailing newline.
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < shipped_.size()) {
      size_t end = shipped_.find('\n', pos);
      lines.push_back(shipped_.substr(pos, end - pos + 1));
      pos = end + 1;
    }
    return lines;
  }
  static size_t EntryLine(const std::vector<std::string>& lines, uint64_t seq) {
    for (size_t i = 0; i < lines.size(); ++i) {
      auto j = nlohmann::json::parse(lines[i]);
      if (j["type"] == "entry" && j["seq"] == seq) return i;
    }
    ADD_FAILURE() << "no line for entry " << seq;
    return 0;
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) out += l;
    return out;
  }

  MemoryStore store_;
  FileSystem& fs_ = FileSystem::Default();
  std::string sink_path_;
  std::string shipped_;
  std::string public_key_;
};

TEST_F(TamperTest, IntactLogVerifies) {
  VerifyReport r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.entries, kEntries);
  EXPECT_EQ(r.checkpoints, 5u);
  VerifyOptions with_key;
  with_key.expected_public_key = public_key_;
  EXPECT_TRUE(VerifyStore(with_key).ok());
}

TEST_F(TamperTest, ModifiedEntryIsLocated) {
  AuditEntry e = Decode(Raw(17));
  e.account = "someone-else";
  Put(audit_keys::Entry(17), EncodeEntry(e));
  ExpectBreak(VerifyStore(), ChainBreakKind::kModified, 17);
}

TEST_F(TamperTest, GarbledEntryIsLocated) {
  std::string raw = Raw(17);
  raw.resize(raw.size() - 3);
  Put(audit_keys::Entry(17), raw);
  ExpectBreak(VerifyStore(), ChainBreakKind::kModified, 17);
}

TEST_F(TamperTest, ModifiedPrevHashIsLocated) {
  AuditEntry e = Decode(Raw(17));
  e.prev_hash[0] ^= 1;
  Put(audit_keys::Entry(17), EncodeEntry(e));
  ExpectBreak(VerifyStore(), ChainBreakKind::kModified, 16);
}

TEST_F(TamperTest, InsertedEntryIsLocated) {
  for (uint64_t s = kEntries; s >= 17; --s) Put(audit_keys::Entry(s + 1), Raw(s));
  AuditEntry forged = Decode(Raw(17));  // the original 17, now at 18
  forged.account = "framed-officer";
  forged.prev_hash = EntryHash(Raw(16));
  Put(audit_keys::Entry(17), EncodeEntry(forged));
  ExpectBreak(VerifyStore(), ChainBreakKind::kInserted, 17);
}

TEST_F(TamperTest, InsertedEntryWithRenumberedSuccessorsIsLocated) {
  std::vector<std::string> originals;
  for (uint64_t s = 17; s <= kEntries; ++s) originals.push_back(Raw(s));
  for (uint64_t s = 17; s <= kEntries; ++s) {
    AuditEntry e = Decode(originals[s - 17]);
    e.seq = s + 1;
    Put(audit_keys::Entry(s + 1), EncodeEntry(e));
  }
  AuditEntry forged = Decode(originals[0]);
  forged.account = "framed-officer";
  Put(audit_keys::Entry(17), EncodeEntry(forged));
  ExpectBreak(VerifyStore(), ChainBreakKind::kInserted, 17);
}

TEST_F(TamperTest, DeletedEntryIsLocated) {
  Delete(audit_keys::Entry(17));
  ExpectBreak(VerifyStore(), ChainBreakKind::kDeleted, 17);
}

TEST_F(TamperTest, DeletedEntryWithShiftedSuccessorsIsLocated) {
  for (uint64_t s = 18; s <= kEntries; ++s) Put(audit_keys::Entry(s - 1), Raw(s));
  Delete(audit_keys::Entry(kEntries));
  ExpectBreak(VerifyStore(), ChainBreakKind::kDeleted, 17);
}

TEST_F(TamperTest, SwappedEntriesAreLocated) {
  std::string a = Raw(17), b = Raw(18);
  Put(audit_keys::Entry(17), b);
  Put(audit_keys::Entry(18), a);
  ExpectBreak(VerifyStore(), ChainBreakKind::kReordered, 17);
}

TEST_F(TamperTest, TruncatedTailIsFoundByTheStoredCheckpoint) {
  for (uint64_t s = 41; s <= kEntries; ++s) Delete(audit_keys::Entry(s));
  ExpectBreak(VerifyStore(), ChainBreakKind::kTruncated, 41);
}

TEST_F(TamperTest, TruncatedTailWithItsCheckpointsIsFoundByTheShippedCheckpoint) {
  for (uint64_t s = 41; s <= kEntries; ++s) Delete(audit_keys::Entry(s));
  Delete(audit_keys::Checkpoint(50));
  // Alone, the shortened log is consistent ...
  EXPECT_TRUE(VerifyStore().ok());
  // ... but not against the last checkpoint shipped elsewhere.
  ShippedLog shipped = ParseShippedLog(shipped_);
  ASSERT_FALSE(shipped.checkpoints.empty());
  VerifyOptions options;
  options.shipped = {shipped.checkpoints.back()};
  ExpectBreak(VerifyStore(options), ChainBreakKind::kTruncated, 41);
}

TEST_F(TamperTest, ConsistentlyRewrittenTailIsFoundByTheCheckpoints) {
  std::string prev = Raw(16);
  for (uint64_t s = 17; s <= kEntries; ++s) {
    AuditEntry e = Decode(Raw(s));
    if (s == 17) e.account = "someone-else";
    e.prev_hash = EntryHash(prev);
    prev = EncodeEntry(e);
    Put(audit_keys::Entry(s), prev);
  }
  ExpectBreak(VerifyStore(), ChainBreakKind::kCheckpointMismatch, 11);
}

TEST_F(TamperTest, ForgedCheckpointSignatureIsDetected) {
  AuditCheckpoint c = StoredCheckpoint(20);
  c.signature[5] ^= 1;
  Put(audit_keys::Checkpoint(20), EncodeCheckpoint(c));
  ExpectBreak(VerifyStore(), ChainBreakKind::kBadSignature, 20);
}

TEST_F(TamperTest, ReplacedSigningKeyIsDetectedAgainstTheExpectedKey) {
  // The attacker rewrites the tail and re-signs every checkpoint with a key of
  // their own, replacing the stored public key.
  SecretBytes attacker = testing::OtherSignSeed();
  StatusOr<std::string> attacker_public = crypto::Ed25519PublicKey(attacker);
  ASSERT_TRUE(attacker_public.ok());
  Put(std::string(audit_keys::kPublicKey), *attacker_public);
  for (uint64_t s = 10; s <= kEntries; s += 10) {
    AuditCheckpoint c = StoredCheckpoint(s);
    std::string m = CheckpointMessage(c.seq, c.head_hash, c.time_micros);
    auto sig = crypto::Ed25519Sign(attacker, AsBytes(m));
    ASSERT_TRUE(sig.ok());
    c.signature = *sig;
    Put(audit_keys::Checkpoint(s), EncodeCheckpoint(c));
  }
  EXPECT_TRUE(VerifyStore().ok());  // self-consistent
  VerifyOptions options;
  options.expected_public_key = public_key_;
  ExpectBreak(VerifyStore(options), ChainBreakKind::kBadSignature, 0);
}

TEST_F(TamperTest, IntactShippedCopyVerifiesAndATornLastLineIsSkipped) {
  VerifyReport r = VerifyFile(shipped_);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.entries, kEntries);
  EXPECT_EQ(r.checkpoints, 5u);
  r = VerifyFile(shipped_ + "{\"type\":\"entry\",\"se");
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.skipped_lines, 1u);
}

TEST_F(TamperTest, ModifiedLineInShippedCopyIsLocated) {
  std::vector<std::string> lines = Lines();
  size_t i = EntryLine(lines, 17);
  auto j = nlohmann::json::parse(lines[i]);
  AuditEntry e = Decode(*Base64Decode(j["entry"].get<std::string>()));
  e.account = "someone-else";
  j["entry"] = Base64Encode(EncodeEntry(e));
  lines[i] = j.dump() + "\n";
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kModified, 17);
}

TEST_F(TamperTest, DeletedLineInShippedCopyIsLocated) {
  std::vector<std::string> lines = Lines();
  lines.erase(lines.begin() + static_cast<ptrdiff_t>(EntryLine(lines, 17)));
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kDeleted, 17);
}

TEST_F(TamperTest, GarbledLineInShippedCopyIsLocated) {
  std::vector<std::string> lines = Lines();
  lines[EntryLine(lines, 17)] = "not json at all\n";
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kDeleted, 17);
}

TEST_F(TamperTest, SwappedLinesInShippedCopyAreLocated) {
  std::vector<std::string> lines = Lines();
  std::swap(lines[EntryLine(lines, 17)], lines[EntryLine(lines, 18)]);
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kReordered, 17);
}

TEST_F(TamperTest, InsertedLineInShippedCopyIsLocated) {
  std::vector<std::string> lines = Lines();
  size_t i = EntryLine(lines, 17);
  AuditEntry forged = Decode(Raw(17));
  forged.account = "framed-officer";
  lines.insert(lines.begin() + static_cast<ptrdiff_t>(i),
               ShippedEntryLine({17, EncodeEntry(forged)}));
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kInserted, 17);
}

TEST_F(TamperTest, TruncatedShippedCopyIsFoundAgainstTheStoredCheckpoint) {
  std::vector<std::string> lines = Lines();
  lines.resize(EntryLine(lines, 41));
  VerifyReport alone = VerifyFile(Join(lines));
  EXPECT_TRUE(alone.ok()) << alone.Summary();
  VerifyOptions options;
  options.shipped = {StoredCheckpoint(50)};
  ExpectBreak(VerifyFile(Join(lines), options), ChainBreakKind::kTruncated, 41);
}

TEST_F(TamperTest, ShippedCheckpointSignedByAnotherKeyIsRejected) {
  std::vector<std::string> lines = Lines();
  for (std::string& line : lines) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "checkpoint" && j["seq"] == 30) {
      j["public_key"] = Base64Encode(std::string(32, 'k'));
      line = j.dump() + "\n";
    }
  }
  ExpectBreak(VerifyFile(Join(lines)), ChainBreakKind::kBadSignature, 30);
}

TEST(ShippedCopyTest, SinkFailureIsAlertedAndTheGapIsReshipped) {
  MemoryStore store;
  FaultInjectingFileSystem fs(FileSystem::Default());
  std::string path = MakeTempDir() + "/shipped.jsonl";
  std::vector<AuditAlertKind> alerts;
  std::mutex mu;
  AuditLogOptions options;
  options.checkpoint_every = 8;
  options.sinks.push_back(std::make_shared<JsonlFileSink>(fs, path, true));
  options.on_alert = [&](const AuditAlert& a) {
    std::lock_guard lock(mu);
    alerts.push_back(a.kind);
  };
  auto log =
      AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(), std::move(options));
  ASSERT_TRUE(log.ok());
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  };
  append(10);
  fs.SetWritesFail(true);
  append(10);  // requests still succeed: the store holds the trail
  fs.SetWritesFail(false);
  append(10);
  ASSERT_TRUE((*log)->Checkpoint().ok());
  log->reset();
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(std::count(alerts.begin(), alerts.end(), AuditAlertKind::kSinkFailed), 1);
    EXPECT_EQ(std::count(alerts.begin(), alerts.end(), AuditAlertKind::kSinkRecovered), 1);
  }
  StatusOr<std::string> text = fs.ReadFile(path);
  ASSERT_TRUE(text.ok());
  StatusOr<VerifyReport> r = VerifyShippedLog(*text, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << r->Summary();
  EXPECT_EQ(r->entries, 30u);
}

TEST(ShippedCopyTest, RestartContinuesTheShippedCopyWithoutGapsOrRepeats) {
  MemoryStore store;
  std::string path = MakeTempDir() + "/shipped.jsonl";
  for (int round = 0; round < 3; ++round) {
    AuditLogOptions options;
    options.checkpoint_every = 4;
    options.sinks.push_back(std::make_shared<JsonlFileSink>(FileSystem::Default(), path, true));
    auto log =
        AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(), std::move(options));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
    }
  }
  StatusOr<std::string> text = FileSystem::Default().ReadFile(path);
  ASSERT_TRUE(text.ok());
  StatusOr<VerifyReport> r = VerifyShippedLog(*text, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << r->Summary();
  EXPECT_EQ(r->entries, 18u);
}

}  // namespace
}  // namespace warden::audit

namespace warden::audit {
namespace {

TEST(JsonlFileSinkTest, TornLastLineIsClosedAndNotCountedAsShipped) {
  std::string path = MakeTempDir() + "/shipped.jsonl";
  FileSystem& fs = FileSystem::Default();
  std::string text = ShippedEntryLine({1, "a"}) + ShippedEntryLine({2, "b"}) +
                     "{\"type\":\"entry\",\"seq\":3,\"en";
  ASSERT_TRUE(fs.WriteFileAtomic(path, text, 0600).ok());
  JsonlFileSink sink(fs, path, true);
  EXPECT_EQ(sink.LastShippedSeq(), std::optional<uint64_t>(2));
  RawEntry third{3, "c"};
  ASSERT_TRUE(sink.ShipEntries({&third, 1}).ok());
  StatusOr<std::string> after = fs.ReadFile(path);
  ASSERT_TRUE(after.ok());
  ShippedLog log = ParseShippedLog(*after);
  ASSERT_EQ(log.entries.size(), 3u);
  EXPECT_EQ(log.entries[2].encoded, "c");
  EXPECT_EQ(log.skipped_lines, 1u);
}

TEST(JsonlFileSinkTest, MissingFileMeansNothingShippedYet) {
  JsonlFileSink sink(FileSystem::Default(), MakeTempDir() + "/none.jsonl", true);
  EXPECT_FALSE(sink.LastShippedSeq().has_value());
}

}  // namespace
}  // namespace warden::audit
