// Tests of Authorization: roles, collections, division scope and field views.
#include "access/authorization.h"

#include <gtest/gtest.h>

#include <string>

#include "access/access_test_util.h"

namespace warden::access::testing {
namespace {

class AuthorizationTest : public AccessTest {};

TEST_F(AuthorizationTest, OperatorAuditorAndSecurityOfficerCannotReadRecords) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  Person auditor = CreatePerson("audit.wu", {Role::kAuditor});
  for (const access::Principal& who : {Principal(op), Principal(auditor), so1_}) {
    for (Operation o : {Operation::kLookup, Operation::kSearch, Operation::kReveal}) {
      Status st = Authorize(who, o, "persons");
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << who.username;
      EXPECT_EQ(HttpStatusOf(st.code()), 403);
    }
    EXPECT_EQ(ViewFor(who, "persons").Disposition("name"), FieldDisposition::kHidden);
    EXPECT_FALSE(limits().ChargeRecords(who, QuotaKind::kRead, 1).ok());
  }
  EXPECT_TRUE(Authorize(Principal(auditor), Operation::kReadAudit, "").ok());
  EXPECT_TRUE(Authorize(Principal(op), Operation::kOperate, "").ok());
}

TEST_F(AuthorizationTest, OfficerRevealRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_EQ(Authorize(who, Operation::kReveal, "persons").reason(), "role_forbidden");
  EXPECT_EQ(limits().ChargeReveal(who, "persons", {"name"}).reason(), "role_forbidden");
  EXPECT_FALSE(ViewFor(who, "persons").CanReveal("national_id"));
}

TEST_F(AuthorizationTest, NameOnlySearchRefusedForOfficers) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(Authorize(Principal(officer), Operation::kSearchByName, "persons").reason(),
            "role_forbidden");
  EXPECT_TRUE(Authorize(Principal(officer), Operation::kSearch, "persons").ok());
}

TEST_F(AuthorizationTest, PolicyNarrowsCollectionsAndServicesNeedThem) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.collections = CollectionGrants{{"persons", {Operation::kLookup}}};
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_TRUE(Authorize(who, Operation::kLookup, "persons").ok());
  EXPECT_EQ(Authorize(who, Operation::kLookup, "cases").reason(), "collection_forbidden");
  EXPECT_EQ(Authorize(who, Operation::kSearch, "persons").reason(), "collection_forbidden");
  // A policy never widens a role: an officer granted writes still cannot write.
  p.collections = CollectionGrants{{"*", {Operation::kWrite, Operation::kLookup}}};
  SetPolicy(officer.id, p);
  EXPECT_EQ(Authorize(Principal(officer), Operation::kWrite, "persons").reason(), "role_forbidden");

  StatusOr<IssuedToken> key = IssueKey(CreateService("courier-feed", Policy{}));
  ASSERT_TRUE(key.ok());
  access::Principal service = *authenticator().Authenticate(key->token.view(), "");
  EXPECT_EQ(Authorize(service, Operation::kLookup, "deliveries").reason(), "role_forbidden");
}

TEST_F(AuthorizationTest, DivisionScopeEnforced) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.division_scope = std::vector<std::string>{"310115"};
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_TRUE(CheckDivision(who, "310115").ok());
  EXPECT_EQ(CheckDivision(who, "310116").reason(), "division_forbidden");
  EXPECT_EQ(CheckDivision(who, "").reason(), "division_forbidden");
  Person unscoped = CreatePerson("wang.fang", {Role::kOfficer});
  EXPECT_TRUE(CheckDivision(Principal(unscoped), "110101").ok());
}

}  // namespace
}  // namespace warden::access::testing
