// Tamper tests (G6): every kind of change to the stored log and to a shipped
// copy is detected and located.
#include "audit/audit_verify.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>

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
    const std::string dir = MakeTempDir();
    sink_path_ = dir + "/shipped.jsonl";
    checkpoint_path_ = dir + "/audit-checkpoints.jsonl";
    AuditLogOptions options;
    options.checkpoint_every = 10;
    options.checkpoint_interval = std::chrono::hours(1);
    options.sinks.push_back(std::make_shared<JsonlFileSink>(fs_, sink_path_, true));
    // Checkpoints only, as the server ships them to its data directory.
    options.sinks.push_back(std::make_shared<JsonlFileSink>(fs_, checkpoint_path_, false));
    auto log = AuditLog::Open(store_, testing::TestHashKey(), testing::TestSignSeed(),
                              testing::TestContextKeys(), std::move(options));
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

  // The attack of issue 11 §2: every entry after `keep` deleted together
  // with every checkpoint, and the head pointer rewritten to match.
  void CutTailWithItsCheckpoints(uint64_t keep) {
    for (uint64_t s = keep + 1; s <= kEntries; ++s) Delete(audit_keys::Entry(s));
    for (uint64_t s = 10; s <= kEntries; s += 10) Delete(audit_keys::Checkpoint(s));
    SetHead(keep);
  }
  void SetHead(uint64_t seq) {
    std::string head;
    PutBigEndian64(head, seq);
    Put("m/head", head);
  }
  // A well-chained entry 51 after the last one, as someone with disk access
  // but without the keys can write it.
  void AppendForgedEntry(uint8_t version) {
    AuditEntry forged = Decode(Raw(kEntries));
    forged.version = version;
    forged.seq = kEntries + 1;
    forged.prev_hash = EntryHash(Raw(kEntries));
    forged.account = "framed-officer";
    forged.mac = version == kLegacyEntryFormatVersion ? "" : std::string(kEntryMacSize, '\x5a');
    Put(audit_keys::Entry(kEntries + 1), EncodeEntry(forged));
    SetHead(kEntries + 1);
  }
  std::unique_ptr<EntryMac> Mac() {
    StatusOr<std::unique_ptr<EntryMac>> mac = EntryMac::FromAuditHashKey(testing::TestHashKey());
    EXPECT_TRUE(mac.ok());
    return mac.ok() ? std::move(mac).value() : nullptr;
  }
  std::vector<AuditCheckpoint> ShippedCheckpoints() {
    StatusOr<std::string> text = fs_.ReadFile(checkpoint_path_);
    EXPECT_TRUE(text.ok());
    return text.ok() ? ParseShippedLog(*text).checkpoints : std::vector<AuditCheckpoint>{};
  }
  uint64_t StoredCheckpointCount() {
    auto kvs = store_.Scan(Space::kAudit, std::string(audit_keys::kCheckpointPrefix),
                           PrefixEnd(audit_keys::kCheckpointPrefix), SIZE_MAX);
    EXPECT_TRUE(kvs.ok());
    return kvs.ok() ? kvs->size() : 0;
  }
  // The server starting again on the tampered store, with its own checkpoint
  // file; the alerts it raised.
  struct Restarted {
    std::unique_ptr<AuditLog> log;
    std::vector<AuditAlertKind> alerts;
  };
  std::unique_ptr<Restarted> Restart() {
    auto r = std::make_unique<Restarted>();
    AuditLogOptions options;
    options.checkpoint_every = 10;
    options.sinks.push_back(std::make_shared<JsonlFileSink>(fs_, checkpoint_path_, false));
    options.on_alert = [raw = r.get()](const AuditAlert& a) { raw->alerts.push_back(a.kind); };
    auto log = AuditLog::Open(store_, testing::TestHashKey(), testing::TestSignSeed(),
                              testing::TestContextKeys(), std::move(options));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (log.ok()) r->log = std::move(log).value();
    return r;
  }
  // A restarted log that refused the tail: unhealthy, every append and
  // checkpoint refused with 503 audit_unavailable, one alert, nothing signed.
  void ExpectRefusedToSign(Restarted& r) {
    ASSERT_NE(r.log, nullptr);
    const uint64_t checkpoints_before = StoredCheckpointCount();
    EXPECT_TRUE(r.log->tail_rejected());
    EXPECT_FALSE(r.log->healthy());
    StatusOr<uint64_t> appended = r.log->Append(ReadOf(Officer("officer-1"), SyntheticId(1)));
    EXPECT_EQ(appended.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(appended.status().reason(), "audit_unavailable");
    EXPECT_FALSE(r.log->Checkpoint().ok());
    r.log.reset();  // a stop writes no checkpoint over a rejected tail either
    EXPECT_EQ(StoredCheckpointCount(), checkpoints_before);
    EXPECT_EQ(std::count(r.alerts.begin(), r.alerts.end(), AuditAlertKind::kTailRejected), 1);
  }

  MemoryStore store_;
  FileSystem& fs_ = FileSystem::Default();
  std::string sink_path_;
  std::string checkpoint_path_;
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

TEST_F(TamperTest, IntactLogVerifiesAgainstItsOwnCheckpointFile) {
  StatusOr<std::string> text = fs_.ReadFile(checkpoint_path_);
  ASSERT_TRUE(text.ok());
  VerifyReport file = VerifyFile(*text);
  EXPECT_TRUE(file.ok()) << file.Summary();
  EXPECT_TRUE(file.checkpoints_only);
  EXPECT_EQ(file.checkpoints, 5u);
  std::unique_ptr<EntryMac> mac = Mac();
  VerifyOptions options;
  options.shipped = ShippedCheckpoints();
  options.entry_mac = mac.get();
  VerifyReport store = VerifyStore(options);
  EXPECT_TRUE(store.ok()) << store.Summary();
  EXPECT_TRUE(store.macs_checked);
  EXPECT_EQ(store.unsigned_entries, 0u);
  EXPECT_EQ(store.checkpoints, 10u);  // each stored one, and its shipped copy
}

TEST_F(TamperTest, TailCutWithItsCheckpointsAndHeadRewrittenIsFoundByTheShippedCheckpoints) {
  CutTailWithItsCheckpoints(2);
  // Alone, the store is a consistent log of two unsigned entries ...
  VerifyReport alone = VerifyStore();
  EXPECT_TRUE(alone.ok()) << alone.Summary();
  EXPECT_EQ(alone.entries, 2u);
  EXPECT_EQ(alone.unsigned_entries, 2u);
  // ... which the checkpoints shipped off the store show to be cut short.
  VerifyOptions options;
  options.shipped = ShippedCheckpoints();
  ExpectBreak(VerifyStore(options), ChainBreakKind::kTruncated, 3);
}

TEST_F(TamperTest, TailCutWithItsCheckpointsFailsTheUnsignedTailBound) {
  CutTailWithItsCheckpoints(2);
  VerifyOptions later;
  later.now_micros = Decode(Raw(1)).time_micros + kDefaultMaxUnsignedAgeMicros + 1;
  ExpectBreak(VerifyStore(later), ChainBreakKind::kUnsignedTail, 1);
  VerifyOptions strict;
  strict.max_unsigned_entries = 1;
  ExpectBreak(VerifyStore(strict), ChainBreakKind::kUnsignedTail, 1);
}

TEST_F(TamperTest, RestartOverATailCutWithItsCheckpointsRefusesToSign) {
  CutTailWithItsCheckpoints(2);
  std::unique_ptr<Restarted> r = Restart();
  ExpectRefusedToSign(*r);
  EXPECT_EQ(StoredCheckpointCount(), 0u);
}

TEST_F(TamperTest, ForgedWellChainedAppendIsCaughtByTheMac) {
  AppendForgedEntry(kEntryFormatVersion);
  // With the public key alone the forgery is an unsigned tail, and says so.
  VerifyReport public_only = VerifyStore();
  EXPECT_TRUE(public_only.ok()) << public_only.Summary();
  EXPECT_EQ(public_only.unsigned_entries, 1u);
  EXPECT_FALSE(public_only.macs_checked);
  EXPECT_NE(public_only.Summary().find("MACs not checked"), std::string::npos);
  std::unique_ptr<EntryMac> mac = Mac();
  VerifyOptions with_keys;
  with_keys.entry_mac = mac.get();
  ExpectBreak(VerifyStore(with_keys), ChainBreakKind::kForged, kEntries + 1);
}

TEST_F(TamperTest, ForgedAppendWithoutAMacIsCaughtWithoutTheKey) {
  AppendForgedEntry(kLegacyEntryFormatVersion);
  ExpectBreak(VerifyStore(), ChainBreakKind::kForged, kEntries + 1);
}

TEST_F(TamperTest, RestartOverAForgedAppendRefusesToSignIt) {
  AppendForgedEntry(kEntryFormatVersion);
  std::unique_ptr<Restarted> r = Restart();
  ExpectRefusedToSign(*r);
  auto cp = store_.Get(Space::kAudit, audit_keys::Checkpoint(kEntries + 1));
  ASSERT_TRUE(cp.ok());
  EXPECT_FALSE(cp->has_value());
}

TEST_F(TamperTest, RewrittenUnsignedTailIsCaughtByTheMacAndNotSignedAtRestart) {
  Delete(audit_keys::Checkpoint(50));
  std::string prev = Raw(40);
  for (uint64_t s = 41; s <= kEntries; ++s) {
    AuditEntry e = Decode(Raw(s));
    if (s == 41) e.account = "someone-else";
    e.prev_hash = EntryHash(prev);
    prev = EncodeEntry(e);  // the old MAC: the attacker has no key
    Put(audit_keys::Entry(s), prev);
  }
  EXPECT_TRUE(VerifyStore().ok());  // consistent for the public key alone
  std::unique_ptr<EntryMac> mac = Mac();
  VerifyOptions with_keys;
  with_keys.entry_mac = mac.get();
  ExpectBreak(VerifyStore(with_keys), ChainBreakKind::kForged, 41);
  std::unique_ptr<Restarted> r = Restart();
  ExpectRefusedToSign(*r);
}

TEST_F(TamperTest, GenuineUnsignedTailIsVerifiedAndSignedAtRestart) {
  // As a crash before the last checkpoint leaves it.
  Delete(audit_keys::Checkpoint(50));
  EXPECT_EQ(VerifyStore().unsigned_entries, 10u);
  std::unique_ptr<Restarted> r = Restart();
  ASSERT_NE(r->log, nullptr);
  EXPECT_TRUE(r->log->healthy());
  EXPECT_EQ(StoredCheckpoint(50).seq, 50u);  // signed at open, before any append
  EXPECT_EQ(VerifyStore().unsigned_entries, 0u);
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
  auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
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

TEST(CheckpointTriggerTest, StopWritesACheckpointSoNoEntryIsLeftUnsigned) {
  MemoryStore store;
  AuditLogOptions options;
  options.checkpoint_every = 1000;
  options.checkpoint_interval = std::chrono::hours(1);
  auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  log->reset();
  StatusOr<VerifyReport> r = VerifyStoredLog(store, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << r->Summary();
  EXPECT_EQ(r->unsigned_entries, 0u);
  EXPECT_EQ(r->last_checkpoint_seq, 7u);
}

TEST(CheckpointTriggerTest, DefaultIntervalSignsWaitingEntriesWithinTwoSeconds) {
  EXPECT_LE(AuditLogOptions{}.checkpoint_interval, std::chrono::seconds(2));
}

TEST(CheckpointTriggerTest, OnlineVerifyChecksEveryMacAndReportsTheUnsignedTail) {
  MemoryStore store;
  AuditLogOptions options;
  options.checkpoint_every = 4;
  options.checkpoint_interval = std::chrono::hours(1);
  auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                            testing::TestContextKeys(), std::move(options));
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*log)->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  StatusOr<VerifyReport> r = (*log)->Verify(testing::Auditor(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << r->Summary();
  EXPECT_TRUE(r->macs_checked);
  EXPECT_EQ(r->last_checkpoint_seq, 4u);
  EXPECT_EQ(r->unsigned_entries, 2u);
}

TEST(ShippedCopyTest, RestartContinuesTheShippedCopyWithoutGapsOrRepeats) {
  MemoryStore store;
  std::string path = MakeTempDir() + "/shipped.jsonl";
  for (int round = 0; round < 3; ++round) {
    AuditLogOptions options;
    options.checkpoint_every = 4;
    options.sinks.push_back(std::make_shared<JsonlFileSink>(FileSystem::Default(), path, true));
    auto log = AuditLog::Open(store, testing::TestHashKey(), testing::TestSignSeed(),
                              testing::TestContextKeys(), std::move(options));
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
