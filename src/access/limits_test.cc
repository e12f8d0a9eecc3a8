// Tests of Limits: daily quotas and the shared rate bucket, on one server and on several.
#include "access/limits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "access/access_cache.h"
#include "access/access_test_util.h"

namespace warden::access::testing {
namespace {

using std::chrono::hours;

class LimitsTest : public AccessTest {};

// ---- Quotas ----

TEST_F(LimitsTest, ScrapingLoopStopsAtExactlyTheQuota) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 50;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  int delivered = 0;
  Status stop;
  for (int i = 0; i < 1000; ++i) {
    StatusOr<int64_t> left = limits().ChargeRecords(who, QuotaKind::kRead, 1);
    if (!left.ok()) {
      stop = left.status();
      break;
    }
    ++delivered;  // the record would be sent only now
  }
  EXPECT_EQ(delivered, 50);
  EXPECT_EQ(stop.reason(), "quota_exceeded");
  EXPECT_EQ(HttpStatusOf(stop.code()), 429);
  EXPECT_EQ(CountAlerts("quota_reached"), 1);
  StatusOr<std::vector<Alert>> listed = tripwires().ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  bool stored = false;
  for (const Alert& a : *listed) stored |= a.kind == "quota_reached" && a.account_id == officer.id;
  EXPECT_TRUE(stored);
  // The next day brings a new quota.
  clock_.Advance(hours(24));
  EXPECT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 1).ok());
}

TEST_F(LimitsTest, ConcurrentChargesNeverPassTheQuota) {
  for (const int64_t quota : {int64_t{300}, int64_t{150'000}}) {
    Person officer = CreatePerson("quota.user" + std::to_string(quota), {Role::kOfficer});
    Policy p;
    p.daily_read_quota = quota;
    SetPolicy(officer.id, p);
    const access::Principal who = Principal(officer);
    const int64_t denials_before = limits().QuotaDenialCount();
    std::atomic<int64_t> served{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 400; ++i) {
          const int64_t n = quota < 1000 ? 1 : 1 + (i + t) % 97;
          if (limits().ChargeRecords(who, QuotaKind::kRead, n).ok()) {
            served += n;
          } else {
            refused += 1;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_LE(served.load(), quota) << "quota " << quota;
    if (quota < 1000) {
      EXPECT_EQ(served.load(), quota) << "records are charged one by one";
    }
    EXPECT_EQ(limits().QuotaDenialCount() - denials_before, refused.load());
  }
}

TEST_F(LimitsTest, TwoServersOnOneStoreShareOneQuota) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 30;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  access::Principal here = *authenticator().Authenticate(token, "");
  access::Principal there = *other->authenticator().Authenticate(token, "");
  int delivered = 0;
  for (int i = 0; i < 100; ++i) {
    AccessControl& server = i % 2 == 0 ? *access_ : *other;
    if (server.limits().ChargeRecords(i % 2 == 0 ? here : there, QuotaKind::kRead, 1).ok())
      ++delivered;
  }
  EXPECT_EQ(delivered, 30);
}

TEST_F(LimitsTest, SearchChargeTruncatesToWhatIsLeft) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 25;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_EQ(*limits().ChargeRecordsUpTo(who, QuotaKind::kRead, 20), 20);
  EXPECT_EQ(*limits().ChargeRecordsUpTo(who, QuotaKind::kRead, 20), 5);
  EXPECT_EQ(limits().ChargeRecordsUpTo(who, QuotaKind::kRead, 20).status().reason(),
            "quota_exceeded");
}

TEST_F(LimitsTest, MassErasureStopsAtTheWriteQuota) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 20;
  SetPolicy(registrar.id, p);
  access::Principal who = Principal(registrar);
  ASSERT_TRUE(Authorize(who, Operation::kErase, "persons").ok());
  int erased = 0;
  for (int i = 0; i < 500; ++i) {
    if (!limits().ChargeRecords(who, QuotaKind::kWrite, 1).ok()) break;
    ++erased;
  }
  EXPECT_EQ(erased, 20);
  // Reads are a separate quota and still work.
  EXPECT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 1).ok());
}

// A server holding a lease of an earlier, higher write quota stops at the
// lowered one at its next charge: it neither spends the lease nor reserves
// past the new limit.
TEST_F(LimitsTest, ALoweredQuotaTakesEffectOnEveryServerWithinHalfASecond) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 100'000;  // leases of 100
  SetPolicy(registrar.id, p);
  std::string token = TokenOf(registrar);
  std::unique_ptr<AccessControl> other = NewServer();
  ASSERT_TRUE(
      other->limits()
          .ChargeRecords(*other->authenticator().Authenticate(token, ""), QuotaKind::kWrite, 1)
          .ok());
  p.daily_write_quota = 5;
  SetPolicy(registrar.id, p);
  clock_.Advance(AccessCache::kMaxStaleness);  // the other server's cache may hold the old policy
  access::Principal who = *other->authenticator().Authenticate(token, "");
  int written = 0;
  for (int i = 0; i < 50; ++i)
    written += other->limits().ChargeRecords(who, QuotaKind::kWrite, 1).ok();
  EXPECT_EQ(written, 0) << "100 reserved under the old limit are already past the new one";
  access::Principal here = *authenticator().Authenticate(token, "");
  EXPECT_FALSE(limits().ChargeRecords(here, QuotaKind::kWrite, 1).ok());
}

TEST_F(LimitsTest, ARaisedQuotaIsSpentNormally) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 3;
  SetPolicy(registrar.id, p);
  access::Principal who = Principal(registrar);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limits().ChargeRecords(who, QuotaKind::kWrite, 1).ok());
  EXPECT_FALSE(limits().ChargeRecords(who, QuotaKind::kWrite, 1).ok());
  p.daily_write_quota = 6;
  SetPolicy(registrar.id, p);
  who = Principal(registrar);
  int written = 0;
  for (int i = 0; i < 10; ++i) written += limits().ChargeRecords(who, QuotaKind::kWrite, 1).ok();
  EXPECT_EQ(written, 3);
}

TEST_F(LimitsTest, InvestigatorRevealCountsEveryField) {
  Person inv = CreatePerson("chen.jie", {Role::kInvestigator});
  Policy p;
  p.daily_read_quota = 5;
  SetPolicy(inv.id, p);
  access::Principal who = Principal(inv);
  EXPECT_TRUE(Authorize(who, Operation::kSearchByName, "persons").ok());
  ASSERT_TRUE(limits().ChargeReveal(who, "persons", {"name", "national_id", "phones"}).ok());
  EXPECT_EQ(limits().ChargeReveal(who, "persons", {"name", "national_id", "phones"}).reason(),
            "quota_exceeded");
  ASSERT_TRUE(limits().ChargeReveal(who, "persons", {"name", "phones"}).ok());
  EXPECT_EQ(limits().ChargeReveal(who, "persons", {"name"}).reason(), "quota_exceeded");
}

// Look-ups of absent keys used to cost nothing: an existence oracle bounded
// only by the rate. Each miss now costs a read unit, and many raise an alert.
TEST_F(LimitsTest, MissesCostQuotaAndManyRaiseAnAlert) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 60;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  int misses = 0;
  Status stop;
  for (int i = 0; i < 1000; ++i) {
    stop = limits().ChargeMiss(who);
    if (!stop.ok()) break;
    ++misses;
  }
  EXPECT_EQ(misses, 60);
  EXPECT_EQ(stop.reason(), "quota_exceeded");
  EXPECT_EQ(CountAlerts("miss_rate"), 1);
  EXPECT_EQ(tripwires().AlertCount("miss_rate"), 1);
}

// ---- Rate ----

TEST_F(LimitsTest, RateLimiterAllowsABurstThenRefills) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 2;
  p.burst = 4;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limits().CheckRate(who).ok()) << i;
  Status st = limits().CheckRate(who);
  EXPECT_EQ(st.reason(), "rate_limited");
  EXPECT_EQ(HttpStatusOf(st.code()), 429);
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(limits().CheckRate(who).ok());
  EXPECT_FALSE(limits().CheckRate(who).ok());
}

TEST_F(LimitsTest, RateLimitIsSharedAcrossServers) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 2;
  p.burst = 4;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> a = NewServer();
  std::unique_ptr<AccessControl> b = NewServer();
  access::Principal who = *a->authenticator().Authenticate(token, "");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += (i % 2 ? *a : *b).limits().CheckRate(who).ok() ? 1 : 0;
  EXPECT_EQ(admitted, 4);
  EXPECT_EQ(a->limits().CheckRate(who).reason(), "rate_limited");
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(b->limits().CheckRate(who).ok());
  EXPECT_FALSE(a->limits().CheckRate(who).ok());
}

// Two servers used to admit twice the burst (each had its own bucket). With a
// fast rate the servers take slices of the shared bucket, so a burst costs a
// few store writes, not one per request, and still admits one burst in all.
TEST_F(LimitsTest, TwoServersAdmitOneBurstInSlicesOfTheSharedBucket) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 1000;
  p.burst = 100;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> a = NewServer();
  std::unique_ptr<AccessControl> b = NewServer();
  access::Principal who = *a->authenticator().Authenticate(token, "");
  const uint64_t writes_before = store_.ChangeCount();
  int admitted = 0;
  for (int i = 0; i < 400; ++i) admitted += (i % 3 ? *a : *b).limits().CheckRate(who).ok() ? 1 : 0;
  EXPECT_EQ(admitted, 100);
  EXPECT_LE(store_.ChangeCount() - writes_before, 10u) << "slices of 25 tokens";
  // A slice is spent for at most a second; then the shared bucket decides again.
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(a->limits().CheckRate(who).ok());
}

TEST_F(LimitsTest, ALoweredRateEndsEveryServersSlice) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 1000;
  p.burst = 1000;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  ASSERT_TRUE(other->limits()
                  .CheckRate(*other->authenticator().Authenticate(token, ""))
                  .ok());  // takes a slice of 50
  p.rate_per_second = 1;
  p.burst = 1;
  SetPolicy(officer.id, p);
  clock_.Advance(AccessCache::kMaxStaleness);  // the other server's cache may hold the old policy
  access::Principal who = *other->authenticator().Authenticate(token, "");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += other->limits().CheckRate(who).ok() ? 1 : 0;
  EXPECT_LE(admitted, 1);
}

}  // namespace
}  // namespace warden::access::testing
