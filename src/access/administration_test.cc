// Tests of Administration: API keys, roles and the separation of duties.
#include "access/administration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "access/access_test_util.h"

namespace warden::access::testing {
namespace {

using std::chrono::hours;

class AdministrationTest : public AccessTest {};

// ---- Accounts ----

TEST_F(AdministrationTest, NewAccountsWaitForASecondOfficer) {
  StatusOr<ChangeResult> person =
      administration().CreateHumanAccount(so1_, "Wang.Fang", {Role::kOfficer});
  StatusOr<ChangeResult> service =
      administration().CreateServiceAccount(so1_, "courier-feed", Policy{});
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_FALSE(person->applied);
  EXPECT_FALSE(service->applied);
  EXPECT_FALSE(person->enrolment_part.empty());
  EXPECT_TRUE(service->enrolment_part.empty());

  StatusOr<std::vector<AccountInfo>> accounts = administration().ListAccounts(so2_);
  ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
  int waiting = 0;
  for (const AccountInfo& a : *accounts) {
    if (a.account_id == person->account_id) {
      EXPECT_EQ(a.username, "wang.fang");
      EXPECT_EQ(a.kind, AccountKind::kHuman);
      EXPECT_EQ(a.roles, RoleSet{Role::kOfficer});
    } else if (a.account_id == service->account_id) {
      EXPECT_EQ(a.username, "courier-feed");
      EXPECT_EQ(a.kind, AccountKind::kService);
      EXPECT_EQ(a.roles, RoleSet{Role::kService});
    } else {
      continue;
    }
    EXPECT_EQ(a.state, "awaiting_approval") << a.username;
    ++waiting;
  }
  EXPECT_EQ(waiting, 2);
}

TEST_F(AdministrationTest, ListedAccountsCarryTheLimitsInForce) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  const EffectivePolicy role_default = Principal(officer).policy;
  auto listed = [&]() -> AccountInfo {
    StatusOr<std::vector<AccountInfo>> accounts = administration().ListAccounts(so2_);
    EXPECT_TRUE(accounts.ok()) << accounts.status().ToString();
    if (!accounts.ok()) return AccountInfo{};
    for (const AccountInfo& a : *accounts) {
      if (a.account_id == officer.id) return a;
    }
    ADD_FAILURE() << "the officer is not listed";
    return AccountInfo{};
  };
  EXPECT_EQ(listed().daily_read_quota, role_default.daily_read_quota);
  EXPECT_EQ(listed().result_cap, role_default.result_cap);
  Policy narrower;
  narrower.daily_read_quota = role_default.daily_read_quota / 2;
  narrower.result_cap = role_default.result_cap - 1;
  SetPolicy(officer.id, narrower);
  EXPECT_EQ(listed().daily_read_quota, *narrower.daily_read_quota);
  EXPECT_EQ(listed().result_cap, *narrower.result_cap);
}

TEST_F(AdministrationTest, AuditorsGetAccountNamesAndNoOneElseBesidesOfficers) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Person auditor = CreatePerson("zhao.min", {Role::kAuditor});
  StatusOr<std::vector<AccountName>> names = administration().ListAccountNames(Principal(auditor));
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  bool found = false;
  for (const AccountName& n : *names) {
    if (n.account_id != officer.id) continue;
    found = true;
    EXPECT_EQ(n.username, "li.wei");
    EXPECT_EQ(n.roles, RoleSet{Role::kOfficer});
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(administration().ListAccountNames(so1_).ok());
  Status refused = administration().ListAccountNames(Principal(officer)).status();
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.reason(), "role_forbidden");
}

TEST_F(AdministrationTest, ATakenNameIsRefusedForPeopleAndServicesAlike) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Status person = administration().CreateHumanAccount(so1_, "LI.WEI", {Role::kOfficer}).status();
  EXPECT_EQ(person.code(), StatusCode::kConflict);
  EXPECT_EQ(person.reason(), "username_taken");
  Status service = administration().CreateServiceAccount(so1_, "li.wei", Policy{}).status();
  EXPECT_EQ(service.code(), StatusCode::kConflict);
  EXPECT_EQ(service.reason(), "username_taken");
  // Nothing waits for approval, and the name's holder is untouched.
  StatusOr<std::vector<ChangeRequestInfo>> waiting = administration().ListRequests(so2_);
  ASSERT_TRUE(waiting.ok());
  EXPECT_TRUE(waiting->empty());
  EXPECT_TRUE(LogIn(officer).ok());
}

// ---- API keys ----

TEST_F(AdministrationTest, ListedApiKeysNameTheirAccountButNeverTheKey) {
  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup}}};
  const std::string feed = CreateService("courier-feed", p);
  const std::string other = CreateService("other-feed", p);
  StatusOr<IssuedToken> kept = IssueKey(feed, hours(48));
  StatusOr<IssuedToken> revoked = IssueKey(feed);
  StatusOr<IssuedToken> others = IssueKey(other);
  ASSERT_TRUE(kept.ok() && revoked.ok() && others.ok());
  ASSERT_TRUE(administration().RevokeApiKey(so1_, revoked->id).ok());

  StatusOr<std::vector<ApiKeyInfo>> all = administration().ListApiKeys(so1_, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 2u);
  StatusOr<std::vector<ApiKeyInfo>> mine = administration().ListApiKeys(so1_, feed);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].key_id, kept->id);
  EXPECT_EQ((*mine)[0].account_id, feed);
  EXPECT_EQ((*mine)[0].expires_at_micros, kept->expires_at_micros);
  EXPECT_EQ((*mine)[0].expires_at_micros - (*mine)[0].created_micros,
            std::chrono::microseconds(hours(48)).count());

  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(administration().ListApiKeys(Principal(officer), "").status().reason(),
            "role_forbidden");
}

TEST_F(AdministrationTest, ApiKeysAreOnlyForServiceAccounts) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_FALSE(administration().IssueApiKey(so1_, officer.id).ok());
}

// ---- Roles and separation of duties ----

TEST_F(AdministrationTest, SelfGrantRefused) {
  StatusOr<ChangeResult> r = administration().GrantRole(so1_, so1_.account_id, Role::kOfficer);
  EXPECT_EQ(r.status().reason(), "self_grant");
  EXPECT_EQ(administration().SetAccountPolicy(so1_, so1_.account_id, Policy{}).status().reason(),
            "self_grant");
  EXPECT_EQ(
      administration().SetRolePolicy(so1_, Role::kSecurityOfficer, Policy{}).status().reason(),
      "self_grant");
}

TEST_F(AdministrationTest, InvestigatorNeedsASecondSecurityOfficer) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  StatusOr<ChangeResult> r = administration().GrantRole(so1_, officer.id, Role::kInvestigator);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->applied);
  ASSERT_FALSE(r->request_id.empty());
  EXPECT_FALSE(Principal(officer).roles.Has(Role::kInvestigator));
  EXPECT_EQ(administration().ApproveRequest(so1_, r->request_id).status().reason(),
            "second_approver_required");
  ASSERT_TRUE(administration().ApproveRequest(so2_, r->request_id).ok());
  EXPECT_TRUE(Principal(officer).roles.Has(Role::kInvestigator));
  EXPECT_EQ(administration().ApproveRequest(so2_, r->request_id).status().code(),
            StatusCode::kNotFound);
}

TEST_F(AdministrationTest, SecurityOfficerCannotApproveInvestigatorForThemselves) {
  // The officer cannot approve (not a security officer), and a duty role
  // never combines with a data role.
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  StatusOr<ChangeResult> r = administration().GrantRole(so1_, officer.id, Role::kInvestigator);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(administration().ApproveRequest(Principal(officer), r->request_id).status().reason(),
            "role_forbidden");
  EXPECT_EQ(
      administration().GrantRole(so2_, so1_.account_id, Role::kInvestigator).status().reason(),
      "separation_of_duties");
}

TEST_F(AdministrationTest, AtMostOneDutyPerAccount) {
  EXPECT_EQ(administration().GrantRole(so1_, so2_.account_id, Role::kAuditor).status().reason(),
            "separation_of_duties");
  Person auditor = CreatePerson("audit.wu", {Role::kAuditor});
  EXPECT_EQ(administration().GrantRole(so1_, auditor.id, Role::kOfficer).status().reason(),
            "separation_of_duties");
  EXPECT_EQ(administration()
                .CreateHumanAccount(so1_, "op.zhao", {Role::kOperator, Role::kRegistrar})
                .status()
                .reason(),
            "separation_of_duties");
}

TEST_F(AdministrationTest, OnlySecurityOfficersAdminister) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_EQ(
      administration().CreateHumanAccount(who, "sock.puppet", {Role::kOfficer}).status().reason(),
      "role_forbidden");
  EXPECT_EQ(tripwires().ListAlerts(who, 0, 10).status().reason(), "role_forbidden");
  EXPECT_EQ(administration().SetAccountPolicy(who, so1_.account_id, Policy{}).status().reason(),
            "role_forbidden");
}

}  // namespace
}  // namespace warden::access::testing
