#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "audit/audit_test_util.h"
#include "core/bytes.h"
#include "store/memory_store.h"

namespace warden::audit {
namespace {

using testing::Auditor;
using testing::Officer;
using testing::ReadOf;
using testing::SyntheticId;
using testing::TestHashKey;
using testing::TestSignSeed;

// Collects alerts from the writer thread.
struct AlertLog {
  std::mutex mu;
  std::vector<AuditAlertKind> kinds;
  AuditAlertFn fn() {
    return [this](const AuditAlert& a) {
      std::lock_guard lock(mu);
      kinds.push_back(a.kind);
    };
  }
  int count(AuditAlertKind k) {
    std::lock_guard lock(mu);
    return static_cast<int>(std::count(kinds.begin(), kinds.end(), k));
  }
};

// A store whose writes reach the data but report failure, as when the
// acknowledgement of a commit is lost (a broken connection to PostgreSQL).
class AckLosingStore : public MemoryStore {
 public:
  Status Write(const WriteBatch& batch) override {
    Status st = MemoryStore::Write(batch);
    if (lose_acks_ && st.ok()) return Unavailable("connection lost during commit");
    return st;
  }
  std::atomic<bool> lose_acks_{false};
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

class AuditLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditLog> OpenLog(
      Store& store, AuditLogOptions options = {},
      std::shared_ptr<const crypto::EnvelopeKeys> context_keys = testing::TestContextKeys()) {
    if (!options.on_alert) options.on_alert = alerts_.fn();
    StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(
        store, TestHashKey(), TestSignSeed(), std::move(context_keys), std::move(options));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  void ExpectVerifies(Store& store) {
    StatusOr<VerifyReport> report = VerifyStoredLog(store, {});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->Summary();
  }

  MemoryStore store_;
  AlertLog alerts_;
};

TEST_F(AuditLogTest, AppendsGetConsecutiveSeqsAndFormAVerifiedChain) {
  auto log = OpenLog(store_);
  for (int i = 1; i <= 20; ++i) {
    StatusOr<uint64_t> seq = log->Append(ReadOf(Officer("officer-1"), SyntheticId(i)));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_EQ(*seq, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(log->last_seq(), 20u);
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, NoIdentifierOrFreeTextIsStoredInTheClear) {
  auto log = OpenLog(store_);
  AuditEvent e = ReadOf(Officer("officer-1"), "110101199001011234");
  e.subjects.push_back({IdentifierKind::kPhone, "+8613800138000"});
  e.actor.purpose_reference = "CASE-REF-UNIQUE-77";
  e.actor.reason = "REASON-TEXT-UNIQUE";
  e.detail = "DETAIL-UNIQUE";
  ASSERT_TRUE(log->Append(e).ok());
  StatusOr<std::vector<KeyValue>> all = store_.Scan(Space::kAudit, "", "", SIZE_MAX);
  ASSERT_TRUE(all.ok());
  ASSERT_FALSE(all->empty());
  for (const KeyValue& kv : *all) {
    for (std::string_view secret : {"110101199001011234", "13800138000", "CASE-REF-UNIQUE",
                                    "REASON-TEXT-UNIQUE", "DETAIL-UNIQUE"}) {
      EXPECT_EQ(kv.key.find(secret), std::string::npos) << secret;
      EXPECT_EQ(kv.value.find(secret), std::string::npos) << secret;
    }
  }
  // The allow-listed fields do stay readable.
  StatusOr<std::optional<std::string>> raw = store_.Get(Space::kAudit, audit_keys::Entry(1));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_NE((*raw)->find("officer-1"), std::string::npos);
}

TEST_F(AuditLogTest, AuditorSeesUnsealedPurposeAndReason) {
  auto log = OpenLog(store_);
  AuditEvent e = ReadOf(Officer("officer-1"), SyntheticId(1));
  e.actor.reason = "suspect in burglary";
  ASSERT_TRUE(log->Append(e).ok());
  StatusOr<AuditPage> page = log->Query(Auditor(), {});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_GE(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].context.purpose_reference, "C-2031-0001");
  EXPECT_EQ(page->records[0].context.reason, "suspect in burglary");
  EXPECT_EQ(page->records[0].entry.purpose_kind, "case");
}

// The key version the envelope of entry `seq`'s context names.
uint32_t ContextKeyVersion(Store& store, uint64_t seq) {
  StatusOr<std::optional<std::string>> raw = store.Get(Space::kAudit, audit_keys::Entry(seq));
  if (!raw.ok() || !raw->has_value()) return 0;
  StatusOr<AuditEntry> entry = DecodeEntry(**raw);
  if (!entry.ok()) return 0;
  StatusOr<crypto::EnvelopeHeader> header = crypto::ParseEnvelopeHeader(entry->sealed_context);
  return header.ok() ? header->key_version : 0;
}

// The contexts an auditor is shown, in sequence order.
std::vector<AuditContext> ContextsShown(AuditLog& log) {
  StatusOr<AuditPage> page = log.Query(Auditor(), {});
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  std::vector<AuditContext> out;
  if (page.ok()) {
    for (const AuditRecord& r : page->records) out.push_back(r.context);
  }
  return out;
}

TEST_F(AuditLogTest, ContextSealedUnderVersionNOpensAfterTheRingHasVersionNPlusOne) {
  std::shared_ptr<crypto::EnvelopeKeys> keys = testing::TestContextKeys(1);
  auto log = OpenLog(store_, {}, keys);
  AuditEvent first = ReadOf(Officer("officer-1"), SyntheticId(1));
  first.actor.purpose_reference = "C-1";
  ASSERT_EQ(*log->Append(first), 1u);
  // The key ring rotates: the log seals under the new version at once.
  ASSERT_TRUE(keys->Add(2, SecretBytes::CopyFrom(std::string(32, '\x66'))).ok());
  AuditEvent second = ReadOf(Officer("officer-2"), SyntheticId(2));
  second.actor.purpose_reference = "C-2";
  ASSERT_EQ(*log->Append(second), 2u);
  EXPECT_EQ(ContextKeyVersion(store_, 1), 1u);
  EXPECT_EQ(ContextKeyVersion(store_, 2), 2u);

  std::vector<AuditContext> shown = ContextsShown(*log);
  ASSERT_GE(shown.size(), 2u);
  EXPECT_EQ(shown[0].purpose_reference, "C-1");
  EXPECT_EQ(shown[1].purpose_reference, "C-2");
  log.reset();

  // After a restart the ring hands out both versions again.
  shown = ContextsShown(*OpenLog(store_, {}, testing::TestContextKeys(2)));
  ASSERT_GE(shown.size(), 2u);
  EXPECT_EQ(shown[0].purpose_reference, "C-1");
  EXPECT_EQ(shown[1].purpose_reference, "C-2");
}

TEST_F(AuditLogTest, ContextUnderAVersionNotHeldSaysSoAndTheRestStillReads) {
  {
    std::shared_ptr<crypto::EnvelopeKeys> keys = testing::TestContextKeys(1);
    auto log = OpenLog(store_, {}, keys);
    ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
    ASSERT_TRUE(keys->Add(2, SecretBytes::CopyFrom(std::string(32, '\x66'))).ok());
    AuditEvent later = ReadOf(Officer("o"), SyntheticId(2));
    later.actor.purpose_reference = "C-2";
    ASSERT_TRUE(log->Append(later).ok());
  }
  // A server whose key ring state predates the rotation.
  std::vector<AuditContext> shown =
      ContextsShown(*OpenLog(store_, {}, testing::TestContextKeys(1)));
  ASSERT_GE(shown.size(), 2u);
  EXPECT_EQ(shown[0].purpose_reference, "C-2031-0001");
  EXPECT_EQ(shown[1].purpose_reference, "");
  EXPECT_NE(shown[1].detail.find("key version"), std::string::npos);
}

// The entry MAC and the chain catch the move (audit verify); the binding
// keeps the moved context from being shown as the other entry's.
TEST_F(AuditLogTest, ContextCopiedOntoAnotherAccountsEntryDoesNotOpen) {
  auto log = OpenLog(store_);
  ASSERT_TRUE(log->Append(ReadOf(Officer("officer-1"), SyntheticId(1))).ok());
  ASSERT_TRUE(log->Append(ReadOf(Officer("officer-2"), SyntheticId(2))).ok());
  StatusOr<std::optional<std::string>> one = store_.Get(Space::kAudit, audit_keys::Entry(1));
  StatusOr<std::optional<std::string>> two = store_.Get(Space::kAudit, audit_keys::Entry(2));
  ASSERT_TRUE(one.ok() && one->has_value() && two.ok() && two->has_value());
  AuditEntry moved = *DecodeEntry(**one);
  moved.sealed_context = DecodeEntry(**two)->sealed_context;
  WriteBatch batch;
  batch.Put(Space::kAudit, audit_keys::Entry(1), EncodeEntry(moved));
  ASSERT_TRUE(store_.Write(batch).ok());
  std::vector<AuditContext> shown = ContextsShown(*log);
  ASSERT_GE(shown.size(), 2u);
  EXPECT_EQ(shown[0].purpose_reference, "");
  EXPECT_NE(shown[0].detail.find("does not open"), std::string::npos);
  EXPECT_EQ(shown[1].purpose_reference, "C-2031-0001");
}

// testdata/unversioned_context.kv: the audit space of a store written before
// audit contexts had key versions (nonce | ciphertext under the key derived
// from the audit-hash key): one read by "officer-legacy" and a checkpoint.
TEST_F(AuditLogTest, ContextWrittenBeforeKeyVersionsStillReads) {
  const char* dir = std::getenv("WARDEN_SOURCE_DIR");
  const std::string root = dir != nullptr ? dir : WARDEN_SOURCE_DIR_FALLBACK;
  std::ifstream in(root + "/src/audit/testdata/unversioned_context.kv");
  ASSERT_TRUE(in.good());
  WriteBatch batch;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    int space = 0;
    std::string key, value;
    fields >> space >> key >> value;
    ASSERT_EQ(space, static_cast<int>(Space::kAudit));
    batch.Put(Space::kAudit, *HexDecode(key), *HexDecode(value));
  }
  ASSERT_TRUE(store_.Write(batch).ok());

  auto log = OpenLog(store_);
  ASSERT_FALSE(log->tail_rejected());
  AuditEvent fresh = ReadOf(Officer("officer-new"), SyntheticId(8));
  fresh.actor.purpose_reference = "C-NEW";
  ASSERT_EQ(*log->Append(fresh), 2u);
  EXPECT_EQ(ContextKeyVersion(store_, 1), 0u);  // no envelope header
  EXPECT_EQ(ContextKeyVersion(store_, 2), 1u);

  std::vector<AuditContext> shown = ContextsShown(*log);
  ASSERT_GE(shown.size(), 2u);
  EXPECT_EQ(shown[0].purpose_reference, "C-2031-0001");
  EXPECT_EQ(shown[0].reason, "synthetic reason text");
  EXPECT_EQ(shown[1].purpose_reference, "C-NEW");
  ASSERT_TRUE(log->Checkpoint().ok());
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, IdentifierHashDependsOnKindAndKeyAndSurvivesReopen) {
  std::string h1;
  {
    auto log = OpenLog(store_);
    h1 = log->HashIdentifier(IdentifierKind::kNationalId, "110101199001011234");
    EXPECT_EQ(h1.size(), 32u);
    EXPECT_NE(h1, log->HashIdentifier(IdentifierKind::kPhone, "110101199001011234"));
    EXPECT_NE(h1, log->HashIdentifier(IdentifierKind::kNationalId, "110101199001011235"));
  }
  auto reopened = OpenLog(store_);
  EXPECT_EQ(h1, reopened->HashIdentifier(IdentifierKind::kNationalId, "110101199001011234"));
  MemoryStore other;
  auto other_key = AuditLog::Open(other, SecretBytes::CopyFrom(std::string(32, '\x44')),
                                  TestSignSeed(), testing::TestContextKeys(), {});
  ASSERT_TRUE(other_key.ok());
  EXPECT_NE(h1, (*other_key)->HashIdentifier(IdentifierKind::kNationalId, "110101199001011234"));
}

TEST_F(AuditLogTest, ConcurrentAppendsAreGroupCommitted) {
  auto log = OpenLog(store_);
  constexpr int kThreads = 8, kPerThread = 200;
  std::mutex mu;
  std::set<uint64_t> seqs;
  std::vector<std::thread> threads;
  uint64_t writes_before = store_.ChangeCount();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        StatusOr<uint64_t> seq =
            log->Append(ReadOf(Officer("officer-" + std::to_string(t)), SyntheticId(i)));
        ASSERT_TRUE(seq.ok());
        std::lock_guard lock(mu);
        EXPECT_TRUE(seqs.insert(*seq).second);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  // Fewer store commits than entries: waiting appends shared a commit.
  EXPECT_LT(store_.ChangeCount() - writes_before, static_cast<uint64_t>(kThreads * kPerThread));
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, CommitObserverSeesEveryEntryOnceAndTheQueueDrains) {
  std::atomic<size_t> observed_entries{0};
  std::atomic<size_t> observed_batches{0};
  AuditLogOptions options;
  options.on_commit = [&](size_t entries, std::chrono::nanoseconds commit) {
    observed_entries += entries;
    observed_batches += 1;
    EXPECT_GE(commit.count(), 0);
  };
  auto log = OpenLog(store_, std::move(options));
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(
            log->Append(ReadOf(Officer("officer-" + std::to_string(t)), SyntheticId(i))).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  // Append returns after the batch is durable, which is after the observer ran.
  EXPECT_EQ(observed_entries.load(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_GE(observed_batches.load(), 1u);
  EXPECT_LE(observed_batches.load(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(log->queue_depth(), 0u);
}

TEST_F(AuditLogTest, CheckpointIsWrittenEveryNEntries) {
  AuditLogOptions options;
  options.checkpoint_every = 10;
  auto log = OpenLog(store_, std::move(options));
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  StatusOr<VerifyReport> report = VerifyStoredLog(store_, {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->Summary();
  EXPECT_EQ(report->checkpoints, 2u);
  EXPECT_EQ(report->last_checkpoint_seq, 20u);
}

TEST_F(AuditLogTest, CheckpointIsWrittenAfterTheIntervalWhenEntriesWait) {
  FakeClock clock;
  AuditLogOptions options;
  options.checkpoint_every = 1000;
  options.checkpoint_interval = std::chrono::milliseconds(20);
  options.clock = &clock;
  auto log = OpenLog(store_, std::move(options));
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(2))).ok());
  clock.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(WaitFor([&] {
    auto cp = store_.Get(Space::kAudit, audit_keys::Checkpoint(2));
    return cp.ok() && cp->has_value();
  }));
}

TEST_F(AuditLogTest, ExplicitCheckpointCoversTheHead) {
  auto log = OpenLog(store_);
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
  ASSERT_TRUE(log->Checkpoint().ok());
  auto cp = store_.Get(Space::kAudit, audit_keys::Checkpoint(1));
  ASSERT_TRUE(cp.ok() && cp->has_value());
}

TEST_F(AuditLogTest, WriteFailureFailsClosedAlertsOnceAndRecoversWithoutRestart) {
  AuditLogOptions options;
  options.probe_interval = std::chrono::milliseconds(10);
  auto log = OpenLog(store_, std::move(options));
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());

  store_.SetWritesFail(true);
  StatusOr<uint64_t> failed = log->Append(ReadOf(Officer("o"), SyntheticId(2)));
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(HttpStatusOf(failed.status().code()), 503);
  EXPECT_EQ(failed.status().reason(), "audit_unavailable");
  EXPECT_FALSE(log->healthy());
  // While failed, appends fail at once, and reads of the trail are refused.
  EXPECT_EQ(log->Append(ReadOf(Officer("o"), SyntheticId(3))).status().reason(),
            "audit_unavailable");
  EXPECT_EQ(log->Query(Auditor(), {}).status().code(), StatusCode::kUnavailable);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // several failed probes
  EXPECT_EQ(alerts_.count(AuditAlertKind::kAuditUnavailable), 1);
  EXPECT_FALSE(log->healthy());

  store_.SetWritesFail(false);
  ASSERT_TRUE(WaitFor([&] { return log->healthy(); }));
  EXPECT_EQ(alerts_.count(AuditAlertKind::kAuditRecovered), 1);
  StatusOr<uint64_t> again = log->Append(ReadOf(Officer("o"), SyntheticId(4)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  log.reset();
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, AsyncAppendCompletesOnlyOnceTheEntryIsInTheStore) {
  auto log = OpenLog(store_);
  constexpr int kEntries = 64;
  std::mutex mu;
  std::vector<uint64_t> seqs;
  std::atomic<int> done{0};
  for (int i = 1; i <= kEntries; ++i) {
    log->AppendAsync(ReadOf(Officer("o"), SyntheticId(i)), [&](StatusOr<uint64_t> seq) {
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      // The completion runs after the commit: the log's durable head covers it.
      EXPECT_GE(log->last_seq(), *seq);
      std::lock_guard lock(mu);
      seqs.push_back(*seq);
      ++done;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == kEntries; }));
  std::sort(seqs.begin(), seqs.end());
  for (int i = 0; i < kEntries; ++i)
    EXPECT_EQ(seqs[static_cast<size_t>(i)], static_cast<uint64_t>(i + 1));
  log.reset();
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, AsyncAppendReportsAFailedWriteAs503) {
  AuditLogOptions options;
  options.probe_interval = std::chrono::milliseconds(10);
  auto log = OpenLog(store_, std::move(options));
  store_.SetWritesFail(true);
  std::atomic<int> failures{0};
  for (int i = 0; i < 2; ++i) {  // the first fails in the commit, the second at once
    log->AppendAsync(ReadOf(Officer("o"), SyntheticId(i + 1)), [&](StatusOr<uint64_t> seq) {
      EXPECT_EQ(seq.status().reason(), "audit_unavailable");
      ++failures;
    });
    ASSERT_TRUE(WaitFor([&] { return failures.load() == i + 1; }));
  }
  store_.SetWritesFail(false);
  ASSERT_TRUE(WaitFor([&] { return log->healthy(); }));
}

TEST_F(AuditLogTest, FailedCommitThatReachedTheStoreKeepsTheChainConsistent) {
  AckLosingStore store;
  AuditLogOptions options;
  options.probe_interval = std::chrono::milliseconds(10);
  options.on_alert = alerts_.fn();
  auto log = OpenLog(store, std::move(options));
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
  store.lose_acks_ = true;
  EXPECT_FALSE(log->Append(ReadOf(Officer("o"), SyntheticId(2))).ok());
  store.lose_acks_ = false;
  ASSERT_TRUE(WaitFor([&] { return log->healthy(); }));
  for (int i = 3; i < 10; ++i) {
    ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  log.reset();
  ExpectVerifies(store);
}

TEST_F(AuditLogTest, ReopenContinuesTheChain) {
  {
    auto log = OpenLog(store_);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(i))).ok());
  }
  auto log = OpenLog(store_);
  EXPECT_EQ(log->last_seq(), 5u);
  StatusOr<uint64_t> seq = log->Append(ReadOf(Officer("o"), SyntheticId(9)));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 6u);
  log.reset();
  ExpectVerifies(store_);
}

TEST_F(AuditLogTest, ReopenWithAnotherSigningKeyIsRefused) {
  { auto log = OpenLog(store_); }
  auto other = AuditLog::Open(store_, TestHashKey(), testing::OtherSignSeed(),
                              testing::TestContextKeys(), {});
  EXPECT_EQ(other.status().code(), StatusCode::kConflict);
}

TEST_F(AuditLogTest, TwoServersSharingOneStoreKeepOneChain) {
  auto a = OpenLog(store_);
  auto b = OpenLog(store_);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (AuditLog* log : {a.get(), b.get()}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, log] {
        for (int i = 0; i < 100; ++i) {
          if (log->Append(ReadOf(Officer("o"), SyntheticId(i))).ok()) ++ok;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  a.reset();
  b.reset();
  ExpectVerifies(store_);
  auto head = store_.Get(Space::kAudit, audit_keys::Entry(400));
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->has_value());
}

TEST_F(AuditLogTest, OverlongAccountIsRejectedBeforeAnythingIsWritten) {
  auto log = OpenLog(store_);
  uint64_t before = store_.ChangeCount();
  StatusOr<uint64_t> seq = log->Append(ReadOf(Officer(std::string(256, 'a')), SyntheticId(1)));
  EXPECT_EQ(seq.status().code(), StatusCode::kUnprocessable);
  EXPECT_EQ(store_.ChangeCount(), before);
}

TEST_F(AuditLogTest, QueryFiltersByTimeAccountAndActionWithPaging) {
  FakeClock clock(1'000'000'000'000'000);
  AuditLogOptions options;
  options.clock = &clock;
  auto log = OpenLog(store_, std::move(options));
  for (int i = 0; i < 30; ++i) {
    AuditEvent e = ReadOf(Officer(i % 3 == 0 ? "alice" : "bob"), SyntheticId(i));
    if (i % 5 == 0) e.action = AuditAction::kSearch;
    ASSERT_TRUE(log->Append(e).ok());
    clock.Advance(std::chrono::seconds(1));
  }
  const int64_t t0 = 1'000'000'000'000'000;
  AuditQuery q;
  q.from_micros = t0 + 10'000'000;
  q.to_micros = t0 + 20'000'000;
  StatusOr<AuditPage> page = log->Query(Auditor(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 10u);
  EXPECT_EQ(page->records.front().entry.seq, 11u);
  EXPECT_EQ(page->records.back().entry.seq, 20u);

  q = {};
  q.account = "alice";
  q.limit = 4;
  page = log->Query(Auditor(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 4u);
  for (const AuditRecord& r : page->records) EXPECT_EQ(r.entry.account, "alice");
  ASSERT_TRUE(page->next_after_seq.has_value());
  q.after_seq = *page->next_after_seq;
  q.limit = 100;
  StatusOr<AuditPage> rest = log->Query(Auditor(), q);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(page->records.size() + rest->records.size(), 10u);
  EXPECT_FALSE(rest->next_after_seq.has_value());

  q = {};
  q.action = AuditAction::kSearch;
  page = log->Query(Auditor(), q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 6u);
}

TEST_F(AuditLogTest, ReadingTheTrailIsItselfAudited) {
  auto log = OpenLog(store_);
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
  uint64_t before = log->last_seq();
  ASSERT_TRUE(log->Query(Auditor(), {}).ok());
  ASSERT_EQ(log->last_seq(), before + 1);
  AuditQuery q;
  q.action = AuditAction::kAuditRead;
  StatusOr<AuditPage> page = log->Query(Auditor(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);  // the first query (this one is appended after)
  EXPECT_EQ(page->records[0].entry.account, "auditor-1");
  EXPECT_EQ(page->records[0].entry.result_count, 1u);
  EXPECT_EQ(page->records[0].context.purpose_reference, "review-7");
}

TEST_F(AuditLogTest, AccessReportListsWhoReadOnePersonAndWhy) {
  auto log = OpenLog(store_);
  const std::string person = SyntheticId(7);
  AuditEvent read = ReadOf(Officer("alice", "s-a"), person);
  read.actor.purpose_reference = "C-1";
  ASSERT_TRUE(log->Append(read).ok());
  ASSERT_TRUE(log->Append(ReadOf(Officer("bob"), SyntheticId(8))).ok());
  AuditEvent reveal = ReadOf(Officer("carol"), person);
  reveal.action = AuditAction::kReveal;
  reveal.fields = {"phones"};
  reveal.actor.purpose_reference = "C-2";
  ASSERT_TRUE(log->Append(reveal).ok());

  StatusOr<AccessReport> report =
      log->ReportAccess(Auditor(), {IdentifierKind::kNationalId, person});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->records.size(), 2u);
  EXPECT_EQ(report->records[0].entry.account, "alice");
  EXPECT_EQ(report->records[0].context.purpose_reference, "C-1");
  EXPECT_EQ(report->records[1].entry.account, "carol");
  EXPECT_EQ(report->records[1].entry.action, AuditAction::kReveal);
  EXPECT_EQ(report->records[1].entry.fields, std::vector<std::string>{"phones"});

  // The report itself is part of the person's trail from now on.
  report = log->ReportAccess(Auditor(), {IdentifierKind::kNationalId, person});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->records.size(), 3u);
  EXPECT_EQ(report->records[2].entry.action, AuditAction::kAuditRead);
}

TEST_F(AuditLogTest, AccessReportFailsWhenItsOwnAuditCannotBeWritten) {
  AuditLogOptions options;
  options.probe_interval = std::chrono::hours(1);
  auto log = OpenLog(store_, std::move(options));
  ASSERT_TRUE(log->Append(ReadOf(Officer("o"), SyntheticId(1))).ok());
  store_.SetWritesFail(true);
  EXPECT_EQ(
      log->ReportAccess(Auditor(), {IdentifierKind::kNationalId, SyntheticId(1)}).status().code(),
      StatusCode::kUnavailable);
}

TEST(FreeSpaceWatchTest, WarnsOnceBelowThresholdAndOnceWhenRecovered) {
  FaultInjectingFileSystem fs(FileSystem::Default());
  std::vector<AuditAlertKind> kinds;
  FreeSpaceWatch watch(fs, "/", 1, [&](const AuditAlert& a) { kinds.push_back(a.kind); });
  ASSERT_TRUE(watch.Check().ok());
  EXPECT_TRUE(kinds.empty());
  fs.SetWritesFail(true);  // reports 0 bytes free
  ASSERT_TRUE(watch.Check().ok());
  ASSERT_TRUE(watch.Check().ok());
  EXPECT_TRUE(watch.low());
  fs.SetWritesFail(false);
  ASSERT_TRUE(watch.Check().ok());
  EXPECT_EQ(kinds, (std::vector<AuditAlertKind>{AuditAlertKind::kLowDiskSpace,
                                                AuditAlertKind::kDiskSpaceRecovered}));
}

}  // namespace
}  // namespace warden::audit
