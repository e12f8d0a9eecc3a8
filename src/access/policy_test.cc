#include "access/policy.h"

#include <gtest/gtest.h>

#include "access/field_view.h"
#include "access/roles.h"

namespace warden::access {
namespace {

TEST(RolesTest, AtMostOneDutyAndNothingBesideIt) {
  EXPECT_TRUE(CheckRoleCombination(AccountKind::kHuman, {Role::kSecurityOfficer}).ok());
  EXPECT_EQ(CheckRoleCombination(AccountKind::kHuman, {Role::kOperator, Role::kAuditor}).reason(),
            "separation_of_duties");
  EXPECT_EQ(CheckRoleCombination(AccountKind::kHuman, {Role::kAuditor, Role::kOfficer}).reason(),
            "separation_of_duties");
  EXPECT_TRUE(CheckRoleCombination(AccountKind::kHuman, {Role::kRegistrar, Role::kOfficer}).ok());
  EXPECT_FALSE(CheckRoleCombination(AccountKind::kHuman, {Role::kService}).ok());
  EXPECT_FALSE(CheckRoleCombination(AccountKind::kService, {Role::kOfficer}).ok());
}

TEST(RolesTest, DutyRolesReadNoPersonalData) {
  for (Role r : {Role::kOperator, Role::kSecurityOfficer, Role::kAuditor}) {
    for (int op = 0; op < kOperationCount; ++op) {
      if (IsPersonalDataOperation(static_cast<Operation>(op))) {
        EXPECT_FALSE(RoleAllows(r, static_cast<Operation>(op))) << RoleName(r);
      }
    }
  }
  EXPECT_FALSE(RoleAllows(Role::kOfficer, Operation::kSearchByName));
  EXPECT_FALSE(RoleAllows(Role::kOfficer, Operation::kReveal));
  EXPECT_TRUE(RoleAllows(Role::kInvestigator, Operation::kSearchByName));
}

TEST(PolicyTest, DivisionScopeCoversDistrictCityAndProvince) {
  EXPECT_TRUE(DivisionInScope({}, "110101"));
  EXPECT_TRUE(DivisionInScope({"310115"}, "310115"));
  EXPECT_FALSE(DivisionInScope({"310115"}, "310116"));
  EXPECT_TRUE(DivisionInScope({"310100"}, "310116"));
  EXPECT_FALSE(DivisionInScope({"310100"}, "320116"));
  EXPECT_TRUE(DivisionInScope({"310000"}, "319999"));
  EXPECT_FALSE(DivisionInScope({"310115"}, ""));  // no code: outside any scope
  EXPECT_FALSE(DivisionInScope({"310115"}, "3101150"));
}

TEST(PolicyTest, AccountPolicyOverridesRoleWhichOverridesDefaults) {
  Policy role;
  role.daily_read_quota = 300;
  role.result_cap = 5;
  Policy account;
  account.daily_read_quota = 40;
  EffectivePolicy e = ResolvePolicy({Role::kOfficer}, {{Role::kOfficer, role}}, account);
  EXPECT_EQ(e.daily_read_quota, 40);
  EXPECT_EQ(e.result_cap, 5);
  EXPECT_EQ(e.daily_write_quota, 0);
  EXPECT_EQ(e.rate_per_second, DefaultPolicy(Role::kOfficer).rate_per_second);
}

TEST(PolicyTest, RoundTripsThroughJson) {
  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup, Operation::kWrite}}};
  p.daily_write_quota = 7;
  p.division_scope = std::vector<std::string>{"310115"};
  p.clear_fields = std::vector<std::string>{"deliveries.recipient_address"};
  StatusOr<Policy> back = DecodePolicy(EncodePolicy(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
}

TEST(PolicyTest, BadPolicyNamesFieldAndRule) {
  Status st = DecodePolicy(R"({"daily_read_quota": -1})").status();
  ASSERT_EQ(st.fields().size(), 1u);
  EXPECT_EQ(st.fields()[0].field, "daily_read_quota");
  EXPECT_EQ(st.fields()[0].rule, "range");
  EXPECT_EQ(DecodePolicy(R"({"division_scope": ["31011"]})").status().fields()[0].rule,
            "division_code");
  EXPECT_EQ(DecodePolicy(R"({"collections": {"persons": ["drop"]}})").status().fields()[0].field,
            "collections.persons");
  EXPECT_EQ(DecodePolicy(R"({"unlimited": true})").status().fields()[0].rule, "unknown_field");
  EXPECT_FALSE(DecodePolicy("not json").ok());
}

TEST(FieldViewTest, OfficerMaskedWithoutRevealInvestigatorMayReveal) {
  EffectivePolicy none;
  FieldView officer = FieldView::For({Role::kOfficer}, none, "persons");
  EXPECT_EQ(officer.Disposition("national_id"), FieldDisposition::kMasked);
  EXPECT_FALSE(officer.CanReveal("national_id"));
  FieldView investigator = FieldView::For({Role::kInvestigator}, none, "persons");
  EXPECT_TRUE(investigator.CanReveal("phones"));
  FieldView registrar = FieldView::For({Role::kRegistrar}, none, "persons");
  EXPECT_FALSE(registrar.CanReveal("name"));
}

TEST(FieldViewTest, DutyRolesSeeNothing) {
  for (Role r : {Role::kOperator, Role::kSecurityOfficer, Role::kAuditor}) {
    FieldView v = FieldView::For({r}, EffectivePolicy{}, "persons");
    EXPECT_EQ(v.Disposition("name"), FieldDisposition::kHidden);
    EXPECT_FALSE(v.CanReveal("name"));
  }
}

TEST(FieldViewTest, ServiceSeesOnlyItsClearFieldsInTheClear) {
  EffectivePolicy p;
  p.clear_fields = {"deliveries.recipient_address"};
  FieldView v = FieldView::For({Role::kService}, p, "deliveries");
  EXPECT_EQ(v.Disposition("recipient_address"), FieldDisposition::kClear);
  EXPECT_EQ(v.Disposition("recipient_phone"), FieldDisposition::kMasked);
  FieldView other = FieldView::For({Role::kService}, p, "persons");
  EXPECT_EQ(other.Disposition("recipient_address"), FieldDisposition::kMasked);
}

}  // namespace
}  // namespace warden::access
