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
