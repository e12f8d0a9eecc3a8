// Tests of Tripwires: canaries, volume alerts, and the alert list.
#include "access/tripwires.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "access/access_test_util.h"

namespace warden::access::testing {
namespace {

using std::chrono::hours;

class TripwiresTest : public AccessTest {};

// ---- Canaries ----

TEST_F(TripwiresTest, CanaryReadSuspendsBeforeAnyFurtherRecordIsServed) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  ASSERT_TRUE(tripwires().RegisterCanaries(Principal(op), "persons", {"11010519491231002X"}).ok());
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  access::Principal who = *authenticator().Authenticate(token, "");
  const std::vector<std::string> keys = {"110101199003077777", "11010519491231002X",
                                         "110101199003078888"};
  std::vector<std::string> served;
  for (const std::string& key : keys) {
    // What the HTTP layer does per request: authenticate, check, then serve.
    StatusOr<access::Principal> current = authenticator().Authenticate(token, "");
    if (!current.ok()) break;
    Status canary = tripwires().CheckCanary(*current, "persons", key);
    if (!canary.ok()) {
      EXPECT_EQ(canary.code(), StatusCode::kLocked);
      EXPECT_EQ(HttpStatusOf(canary.code()), 423);
      break;
    }
    served.push_back(key);
  }
  EXPECT_EQ(served, std::vector<std::string>{"110101199003077777"});
  EXPECT_EQ(authenticator().Authenticate(token, "").status().reason(), "account_suspended");
  EXPECT_EQ(LogIn(officer).status().reason(), "account_suspended");
  ASSERT_EQ(CountAlerts("canary_read"), 1);
  EXPECT_EQ(alerts_.back().account_id, officer.id);
  EXPECT_EQ(alerts_.back().detail.find("11010519491231002X"), std::string::npos);
  EXPECT_EQ(tripwires().AlertCount("canary_read"), 1);
  // A security officer reinstates after investigation.
  ASSERT_TRUE(administration().ReinstateAccount(so1_, officer.id).ok());
  EXPECT_TRUE(authenticator().Authenticate(token, "").ok());
}

TEST_F(TripwiresTest, CanaryIsBoundToItsCollection) {
  ASSERT_TRUE(tripwires().RegisterCanariesOffline("persons", {"11010519491231002X"}).ok());
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_TRUE(tripwires().CheckCanary(who, "cases", "11010519491231002X").ok());
  EXPECT_TRUE(tripwires().CheckCanary(who, "persons", "11010519491231002").ok());
  EXPECT_FALSE(tripwires().CheckCanary(who, "persons", "11010519491231002X").ok());
}

TEST_F(TripwiresTest, OnlyOperatorsRegisterCanaries) {
  EXPECT_EQ(tripwires().RegisterCanaries(so1_, "persons", {"x"}).reason(), "role_forbidden");
}

// ---- Volume ----

TEST_F(TripwiresTest, VolumeFarAboveBaselineRaisesAnAlert) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 100'000;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  // A steady day of 20 records an hour: no alert.
  for (int h = 0; h < 24; ++h) {
    ASSERT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 20).ok());
    clock_.Advance(hours(1));
  }
  EXPECT_EQ(CountAlerts("volume"), 0);
  // Then a loop: 10x the baseline in one hour.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 10).ok());
  EXPECT_EQ(CountAlerts("volume"), 1);
  EXPECT_EQ(alerts_.back().account_id, officer.id);
}

TEST_F(TripwiresTest, VolumeAtTheAccountsOwnHighBaselineIsQuiet) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 100'000;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  for (int h = 0; h < 48; ++h) {
    ASSERT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 150).ok());
    clock_.Advance(hours(1));
  }
  // The first hour had no history and alerted; the steady ones after it did not.
  EXPECT_EQ(CountAlerts("volume"), 1);
}

// ---- Alerts ----

TEST_F(TripwiresTest, AlertIsAcknowledgedOnceAndNeverByItsSubject) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 1;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  ASSERT_TRUE(limits().ChargeRecords(who, QuotaKind::kRead, 1).ok());
  StatusOr<std::vector<Alert>> listed = tripwires().ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const Alert alert = (*listed)[0];
  EXPECT_TRUE(alert.acknowledged_by.empty());

  EXPECT_EQ(tripwires().AcknowledgeAlert(so1_, "al_0000000000000000").status().reason(),
            "alert_not_found");
  EXPECT_EQ(tripwires().AcknowledgeAlert(who, alert.id).status().reason(), "role_forbidden");
  clock_.Advance(std::chrono::minutes(5));
  StatusOr<Alert> acked = tripwires().AcknowledgeAlert(so1_, alert.id);
  ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  EXPECT_EQ(acked->acknowledged_by, so1_.account_id);
  EXPECT_EQ(acked->acknowledged_at_micros, clock_.NowMicros());
  EXPECT_EQ(tripwires().AcknowledgeAlert(so2_, alert.id).status().reason(), "already_acknowledged");

  listed = tripwires().ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].acknowledged_by, so1_.account_id);
  EXPECT_EQ((*listed)[0].detail, alert.detail);
}

TEST_F(TripwiresTest, NoOneAcknowledgesAnAlertAboutThemselves) {
  // A burst of failed logins raises a lockout alert about the account.
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(
        authenticator()
            .Login(so1_person_.username, SecretBytes::CopyFrom("wrong password 1"), "000000", "")
            .ok());
  }
  StatusOr<std::vector<Alert>> listed = tripwires().ListAlerts(so2_, 0, 100);
  ASSERT_TRUE(listed.ok());
  std::string about_so1;
  for (const Alert& a : *listed) {
    if (a.account_id == so1_.account_id) about_so1 = a.id;
  }
  ASSERT_FALSE(about_so1.empty()) << "a lockout should raise an alert about the account";
  EXPECT_EQ(tripwires().AcknowledgeAlert(so1_, about_so1).status().reason(), "self_grant");
  EXPECT_TRUE(tripwires().AcknowledgeAlert(so2_, about_so1).ok());
}

// The audit trail's outage alert arrives while the store refuses writes; it
// is kept and stored with the next alert the store accepts, so a security
// officer finds it in the list once the store is back.
TEST_F(TripwiresTest, ASystemAlertRaisedDuringAStoreOutageIsListedAfterIt) {
  store_.SetWritesFail(true);
  tripwires().RaiseSystemAlert("audit_unavailable", "the audit trail cannot be written");
  EXPECT_EQ(CountAlerts("audit_unavailable"), 1) << "the sink hears of it at once";
  store_.SetWritesFail(false);
  tripwires().RaiseSystemAlert("audit_recovered", "the audit trail is written again");
  StatusOr<std::vector<Alert>> listed = tripwires().ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> kinds;
  for (const Alert& a : *listed) kinds.push_back(a.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "audit_unavailable"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "audit_recovered"), kinds.end());
}

}  // namespace
}  // namespace warden::access::testing
