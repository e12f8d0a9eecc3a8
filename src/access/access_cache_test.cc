// The access cache: what every request reads comes from memory, and a change
// of access applies at once on the server that made it and within
// AccessCache::kMaxStaleness on every other server sharing the store (on
// PostgreSQL too, with WARDEN_TEST_PG).
#include "access/access_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "access/access_test_util.h"
#include "store/postgres_store.h"
#include "store/store_test_util.h"

namespace warden::access::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr milliseconds kStaleness = AccessCache::kMaxStaleness;

class AccessCacheTest : public AccessTest {
 protected:
  // The account behind `token` as server `server` sees it now.
  static StatusCode CodeOn(AccessControl& server, const std::string& token) {
    return server.authenticator().Authenticate(token, "").status().code();
  }
};

TEST_F(AccessCacheTest, RequestsAfterTheFirstReadOnlyTheGenerationFourTimesASecond) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  StatusOr<access::Principal> first = authenticator().Authenticate(token, "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(tripwires().CheckCanary(*first, "persons", "11010519491231002X").ok());
  store_.ResetReads();
  for (int i = 0; i < 100; ++i) {  // one second of requests, 10 ms apart
    clock_.Advance(milliseconds(10));
    StatusOr<access::Principal> p = authenticator().Authenticate(token, "");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_TRUE(tripwires().CheckCanary(*p, "persons", "11010519491231002X").ok());
  }
  EXPECT_EQ(store_.Reads("sess"), 0);
  EXPECT_EQ(store_.Reads("acct"), 0);
  EXPECT_EQ(store_.Reads("policy"), 0);
  EXPECT_EQ(store_.Reads("canary"), 0);
  EXPECT_GE(store_.Reads("access"), 3);  // the generation, every 250 ms
  EXPECT_LE(store_.Reads("access"), 5);
  EXPECT_EQ(store_.AllReads(), store_.Reads("access"));
}

TEST_F(AccessCacheTest, LogoutSuspensionAndRevocationApplyAtOnceOnTheSameServer) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  ASSERT_TRUE(authenticator().Authenticate(token, "").ok());  // cached from here
  ASSERT_TRUE(authenticator().Logout(token).ok());
  EXPECT_EQ(CodeOn(*access_, token), StatusCode::kUnauthenticated);

  const std::string second = TokenOf(officer);
  ASSERT_TRUE(authenticator().Authenticate(second, "").ok());
  ASSERT_TRUE(administration().SuspendAccount(so1_, officer.id, "investigation").ok());
  EXPECT_EQ(CodeOn(*access_, second), StatusCode::kLocked);
  ASSERT_TRUE(administration().ReinstateAccount(so1_, officer.id).ok());
  EXPECT_TRUE(authenticator().Authenticate(second, "").ok());

  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup}}};
  const std::string svc = CreateService("courier-feed", p);
  StatusOr<IssuedToken> key = IssueKey(svc);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string api_key(key->token.view());
  ASSERT_TRUE(authenticator().Authenticate(api_key, "").ok());
  ASSERT_TRUE(administration().RevokeApiKey(so1_, key->id).ok());
  EXPECT_EQ(CodeOn(*access_, api_key), StatusCode::kUnauthenticated);
}

TEST_F(AccessCacheTest, APolicyChangeAppliesAtOnceOnTheSameServer) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  ASSERT_TRUE(authenticator().Authenticate(token, "").ok());
  Policy p;
  p.daily_read_quota = 7;
  SetPolicy(officer.id, p);
  StatusOr<access::Principal> who = authenticator().Authenticate(token, "");
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->policy.daily_read_quota, 7);
}

// Server B serves from its cache; every change made on server A is refused
// on B once kMaxStaleness has passed.
void ExpectChangesReachTheOtherServer(AccessControl& a, AccessControl& b, FakeClock& clock,
                                      const access::Principal& so1, const Person& officer,
                                      const std::string& token, const std::string& second) {
  ASSERT_TRUE(b.authenticator().Authenticate(token, "").ok());
  ASSERT_TRUE(b.authenticator().Authenticate(second, "").ok());

  ASSERT_TRUE(a.authenticator().Logout(token).ok());
  clock.Advance(kStaleness);
  EXPECT_EQ(b.authenticator().Authenticate(token, "").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(b.authenticator().Authenticate(second, "").ok());

  ASSERT_TRUE(a.administration().SuspendAccount(so1, officer.id, "investigation").ok());
  clock.Advance(kStaleness);
  EXPECT_EQ(b.authenticator().Authenticate(second, "").status().reason(), "account_suspended");

  ASSERT_TRUE(a.administration().ReinstateAccount(so1, officer.id).ok());
  clock.Advance(kStaleness);
  EXPECT_TRUE(b.authenticator().Authenticate(second, "").ok());
}

TEST_F(AccessCacheTest, ChangesOnOneServerApplyOnAnotherWithinHalfASecond) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  const std::string second = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  ExpectChangesReachTheOtherServer(*access_, *other, clock_, so1_, officer, token, second);
}

TEST_F(AccessCacheTest, ACanaryRegisteredOnOneServerTripsOnAnotherWithinHalfASecond) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  StatusOr<access::Principal> there = other->authenticator().Authenticate(token, "");
  ASSERT_TRUE(there.ok());
  // B has read its (empty) canary set before the registration.
  ASSERT_TRUE(other->tripwires().CheckCanary(*there, "persons", "11010519491231002X").ok());
  ASSERT_TRUE(tripwires().RegisterCanaries(Principal(op), "persons", {"11010519491231002X"}).ok());
  clock_.Advance(kStaleness);
  EXPECT_EQ(other->tripwires().CheckCanary(*there, "persons", "11010519491231002X").reason(),
            "account_suspended");
  // The suspension made on B applies on A.
  clock_.Advance(kStaleness);
  EXPECT_EQ(authenticator().Authenticate(token, "").status().reason(), "account_suspended");
}

TEST_F(AccessCacheTest, UseOnAnotherServerKeepsASessionFromIdling) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  ASSERT_TRUE(authenticator().Authenticate(token, "").ok());  // A caches it, seen now
  std::unique_ptr<AccessControl> other = NewServer();
  for (int i = 0; i < 3; ++i) {  // 30 minutes of use on B only
    clock_.Advance(minutes(10));
    ASSERT_TRUE(other->authenticator().Authenticate(token, "").ok()) << i;
  }
  // A's cached record says 30 minutes idle; the stored one says in use.
  EXPECT_TRUE(authenticator().Authenticate(token, "").ok());
  clock_.Advance(minutes(15));
  EXPECT_EQ(CodeOn(*access_, token), StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOn(*other, token), StatusCode::kUnauthenticated);
}

TEST_F(AccessCacheTest, AStoreThatCannotBeReadFailsClosedOnceTheCacheIsStale) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  ASSERT_TRUE(authenticator().Authenticate(token, "").ok());
  store_.unavailable = true;
  clock_.Advance(milliseconds(300));  // one failed reading; the last one still holds
  EXPECT_TRUE(authenticator().Authenticate(token, "").ok());
  clock_.Advance(kStaleness);
  EXPECT_EQ(CodeOn(*access_, token), StatusCode::kUnavailable);
  store_.unavailable = false;
  EXPECT_TRUE(authenticator().Authenticate(token, "").ok());
}

// ---- Two servers on one PostgreSQL database ----

class PostgresAccessCacheTest : public AccessCacheTest {
 protected:
  void SetUp() override {
    const std::string conn = TestPostgresConnection();
    WARDEN_REQUIRE_OR_SKIP(!conn.empty(), "WARDEN_TEST_PG is unset; scripts/test sets it");
    static std::atomic<int> serial{0};
    options_.connection = conn;
    options_.schema =
        "warden_cachetest_" + std::to_string(getpid()) + "_" + std::to_string(serial++);
    options_.pool_size = 2;
    StatusOr<std::unique_ptr<PostgresStore>> a = PostgresStore::Open(options_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    StatusOr<std::unique_ptr<PostgresStore>> b = PostgresStore::Open(options_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    pg_a_ = std::move(*a);
    pg_b_ = std::move(*b);
    shared_store_ = pg_a_.get();
    AccessCacheTest::SetUp();
  }
  void TearDown() override {
    pg_a_.reset();
    pg_b_.reset();
    if (!options_.connection.empty()) {
      PostgresStore::DropSchema(options_.connection, options_.schema).IgnoreError();
    }
  }

  PostgresOptions options_;
  std::unique_ptr<PostgresStore> pg_a_;
  std::unique_ptr<PostgresStore> pg_b_;  // the second server's own connections
};

TEST_F(PostgresAccessCacheTest, LogoutAndSuspensionOnOneServerApplyOnTheOtherWithinHalfASecond) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  const std::string second = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer(pg_b_.get());
  ExpectChangesReachTheOtherServer(*access_, *other, clock_, so1_, officer, token, second);
}

TEST_F(PostgresAccessCacheTest, ACanaryRegisteredOnOneServerTripsOnTheOther) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer(pg_b_.get());
  StatusOr<access::Principal> there = other->authenticator().Authenticate(token, "");
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  ASSERT_TRUE(other->tripwires().CheckCanary(*there, "persons", "11010519491231002X").ok());
  ASSERT_TRUE(tripwires().RegisterCanaries(Principal(op), "persons", {"11010519491231002X"}).ok());
  clock_.Advance(kStaleness);
  EXPECT_EQ(other->tripwires().CheckCanary(*there, "persons", "11010519491231002X").reason(),
            "account_suspended");
  clock_.Advance(kStaleness);
  EXPECT_EQ(authenticator().Authenticate(token, "").status().reason(), "account_suspended");
}

}  // namespace
}  // namespace warden::access::testing
