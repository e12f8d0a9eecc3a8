// Leak trace (G11): given a leaked sample, the accounts that read it are
// named, ranked by how much of it they read.
#include <gtest/gtest.h>

#include <random>

#include "audit/audit_log.h"
#include "audit/audit_test_util.h"
#include "store/memory_store.h"

namespace warden::audit {
namespace {

using testing::Auditor;
using testing::Officer;
using testing::ReadOf;
using testing::SyntheticId;

std::string PhoneOf(int i) { return "+86138" + std::to_string(10000000 + i); }

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = AuditLog::Open(store_, testing::TestHashKey(), testing::TestSignSeed(),
                              testing::TestContextKeys(), {});
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
  }
  // `account` reads persons [from, to) in one session, each read naming the
  // person's ID and phone as the record's identifiers.
  void ReadRange(const std::string& account, const std::string& session, int from, int to,
                 const std::string& case_ref) {
    for (int i = from; i < to; ++i) {
      AuditEvent e = ReadOf(Officer(account, session), SyntheticId(i));
      e.subjects.push_back({IdentifierKind::kPhone, PhoneOf(i)});
      e.actor.purpose_reference = case_ref;
      ASSERT_TRUE(log_->Append(e).ok());
    }
  }

  MemoryStore store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(TraceTest, SampleFromOneAccountsReadsRanksItFirstWithFullCoverage) {
  // Overlapping reads: alice 0-399, bob 200-599 (the leaker), carol 500-699.
  ReadRange("alice", "sa", 0, 400, "C-A");
  ReadRange("bob", "sb1", 200, 450, "C-B1");
  ReadRange("bob", "sb2", 450, 600, "C-B2");
  ReadRange("carol", "sc", 500, 700, "C-C");

  // A leaked sample of 60 records drawn from bob's reads: some as ID numbers,
  // some only as phone numbers taken from the leaked rows.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(200, 599);
  std::vector<AuditSubject> sample;
  for (int n = 0; n < 60; ++n) {
    int i = pick(rng);
    if (n % 3 == 0) {
      sample.push_back({IdentifierKind::kPhone, PhoneOf(i)});
    } else {
      sample.push_back({IdentifierKind::kNationalId, SyntheticId(i)});
    }
  }
  StatusOr<TraceReport> report = log_->Trace(Auditor(), sample);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_GE(report->accounts.size(), 2u);
  const TraceAccount& first = report->accounts[0];
  EXPECT_EQ(first.account, "bob");
  EXPECT_EQ(first.covered, report->sample_size);
  EXPECT_DOUBLE_EQ(first.coverage, 1.0);
  EXPECT_EQ(report->sample_matched, report->sample_size);
  EXPECT_LT(report->accounts[1].coverage, 1.0);
  EXPECT_EQ(first.purposes, (std::vector<std::string>{"case/C-B1", "case/C-B2"}));
  ASSERT_EQ(first.sessions.size(), 2u);
  EXPECT_EQ(first.sessions[0].covered + first.sessions[1].covered, first.covered);
  EXPECT_LE(first.first_micros, first.last_micros);
}

TEST_F(TraceTest, DeniedReadsAndWritesDoNotCount) {
  AuditEvent denied = ReadOf(Officer("mallory"), SyntheticId(1));
  denied.outcome = AuditOutcome::kDenied;
  denied.status = 403;
  ASSERT_TRUE(log_->Append(denied).ok());
  AuditEvent write = ReadOf(Officer("registrar"), SyntheticId(1));
  write.action = AuditAction::kWrite;
  ASSERT_TRUE(log_->Append(write).ok());
  std::vector<AuditSubject> sample = {{IdentifierKind::kNationalId, SyntheticId(1)}};
  StatusOr<TraceReport> report = log_->Trace(Auditor(), sample);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->accounts.empty());
  EXPECT_EQ(report->sample_matched, 0u);
}

TEST_F(TraceTest, SampleNobodyReadMatchesNothing) {
  ReadRange("alice", "sa", 0, 10, "C-A");
  std::vector<AuditSubject> sample = {{IdentifierKind::kNationalId, SyntheticId(999)},
                                      {IdentifierKind::kNationalId, SyntheticId(999)}};
  StatusOr<TraceReport> report = log_->Trace(Auditor(), sample);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->sample_size, 1u);  // duplicates count once
  EXPECT_TRUE(report->accounts.empty());
}

TEST_F(TraceTest, TraceIsItselfAudited) {
  ReadRange("alice", "sa", 0, 5, "C-A");
  uint64_t before = log_->last_seq();
  std::vector<AuditSubject> sample = {{IdentifierKind::kNationalId, SyntheticId(1)}};
  ASSERT_TRUE(log_->Trace(Auditor(), sample).ok());
  EXPECT_EQ(log_->last_seq(), before + 1);
}

}  // namespace
}  // namespace warden::audit
