#include "access/access_control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "access/totp.h"
#include "core/bytes.h"
#include "store/memory_store.h"

namespace warden::access {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

SecretBytes Text(std::string_view s) { return SecretBytes::CopyFrom(s); }

// The "account-secret" envelope key of a test store: version 1 is 'e' * 32,
// version 2 (with `versions` = 2) 'f' * 32.
std::shared_ptr<crypto::EnvelopeKeys> TestSealKeys(uint32_t versions = 1) {
  auto keys = std::make_shared<crypto::EnvelopeKeys>("access-test-id..");
  for (uint32_t v = 1; v <= versions; ++v) {
    keys->Add(v, SecretBytes::CopyFrom(std::string(32, static_cast<char>('d' + v)))).IgnoreError();
  }
  return keys;
}

AccessKeys TestKeys(std::shared_ptr<const crypto::EnvelopeKeys> seal_keys = TestSealKeys()) {
  return {SecretBytes::CopyFrom(std::string(32, 'k')), std::move(seal_keys),
          SecretBytes::CopyFrom(std::string(32, 's'))};
}

AccessOptions FastOptions() {
  AccessOptions o;
  o.argon2 = Argon2Params::InsecureFastForTests();
  return o;
}

// A human account as its owner knows it.
struct Person {
  std::string id;
  std::string username;
  std::string password;
  SecretBytes totp_secret;
};

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    access_ = NewServer();
    StatusOr<std::vector<SecretBytes>> tokens = access_->CreateBootstrapTokens();
    ASSERT_TRUE(tokens.ok());
    ASSERT_EQ(tokens->size(), 2u);
    StatusOr<Enrollment> e = access_->Bootstrap((*tokens)[0], "so.one", Text(kSoPassword));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    so1_person_ = FromEnrollment(*e, "so.one", kSoPassword);
    so1_ = Principal(so1_person_);
    e = access_->Bootstrap((*tokens)[1], "so.two", Text(kSoPassword));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    so2_person_ = FromEnrollment(*e, "so.two", kSoPassword);
    so2_ = Principal(so2_person_);
  }

  std::unique_ptr<AccessControl> NewServer() {
    StatusOr<std::unique_ptr<AccessControl>> ac =
        AccessControl::Create(store_, clock_, TestKeys(seal_keys_), FastOptions());
    EXPECT_TRUE(ac.ok());
    (*ac)->SetAlertSink([this](const Alert& a) { alerts_.push_back(a); });
    return std::move(*ac);
  }

  static Person FromEnrollment(const Enrollment& e, std::string username, std::string password) {
    std::optional<SecretBytes> secret = Base32Decode(e.totp_secret_base32.view());
    EXPECT_TRUE(secret.has_value());
    return Person{e.account_id, std::move(username), std::move(password), std::move(*secret)};
  }

  // Asked for by so1, approved by so2, enrolled by its holder.
  Person CreatePerson(const std::string& username, const RoleSet& roles) {
    const std::string password = "pw of " + username + " 123";
    StatusOr<ChangeResult> asked = access_->CreateHumanAccount(so1_, username, roles);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    if (!asked.ok()) return Person{};
    StatusOr<ApprovalResult> approved = access_->ApproveRequest(so2_, asked->request_id);
    EXPECT_TRUE(approved.ok()) << approved.status().ToString();
    if (!approved.ok()) return Person{};
    StatusOr<Enrollment> e =
        access_->Enrol(username, asked->enrolment_part, approved->enrolment_part, Text(password));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return Person{};
    return FromEnrollment(*e, username, password);
  }

  // A service account asked for by so1 and approved by so2; its id.
  std::string CreateService(const std::string& name, const Policy& policy) {
    StatusOr<ChangeResult> asked = access_->CreateServiceAccount(so1_, name, policy);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    if (!asked.ok()) return "";
    EXPECT_TRUE(ApplyChange(asked).ok());
    return asked->account_id;
  }

  // An API key asked for by so1; so2's approval releases it.
  StatusOr<IssuedToken> IssueKey(const std::string& account_id,
                                 std::optional<seconds> ttl = std::nullopt) {
    ASSIGN_OR_RETURN(ChangeResult asked, access_->IssueApiKey(so1_, account_id, ttl));
    ASSIGN_OR_RETURN(ApprovalResult approved, access_->ApproveRequest(so2_, asked.request_id));
    if (!approved.api_key) return Internal("the approval released no key");
    return std::move(*approved.api_key);
  }

  // Applies `change` (so1's), approving it as so2 when it waits.
  Status ApplyChange(const StatusOr<ChangeResult>& change) {
    RETURN_IF_ERROR(change.status());
    if (change->applied) return Status::Ok();
    return access_->ApproveRequest(so2_, change->request_id).status();
  }

  // Logs in with a fresh one-time code (moving to the next TOTP step first).
  StatusOr<IssuedToken> LogIn(const Person& p) {
    clock_.Advance(seconds(30));
    return access_->Login(p.username, Text(p.password),
                          TotpCode(p.totp_secret, clock_.NowSeconds()), "127.0.0.1");
  }

  std::string TokenOf(const Person& p) {
    StatusOr<IssuedToken> t = LogIn(p);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::string(t->token.view()) : std::string();
  }

  access::Principal Principal(const Person& p) {
    StatusOr<access::Principal> who = access_->Authenticate(TokenOf(p), "127.0.0.1");
    EXPECT_TRUE(who.ok()) << who.status().ToString();
    return who.ok() ? *who : access::Principal{};
  }

  void SetPolicy(const std::string& account_id, const Policy& p) {
    Status st = ApplyChange(access_->SetAccountPolicy(so1_, account_id, p));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  int CountAlerts(std::string_view kind) const {
    int n = 0;
    for (const Alert& a : alerts_) n += a.kind == kind ? 1 : 0;
    return n;
  }

  static constexpr const char* kSoPassword = "first officer passphrase";
  MemoryStore store_;
  FakeClock clock_;
  std::shared_ptr<crypto::EnvelopeKeys> seal_keys_ = TestSealKeys();
  std::vector<Alert> alerts_;
  std::unique_ptr<AccessControl> access_;
  Person so1_person_;
  Person so2_person_;
  access::Principal so1_;
  access::Principal so2_;
};

// ---- Bootstrap ----

TEST_F(AccessControlTest, BootstrapTokensAreDeadAfterUse) {
  StatusOr<std::vector<SecretBytes>> again = access_->CreateBootstrapTokens();
  EXPECT_EQ(again.status().reason(), "already_bootstrapped");
}

TEST(AccessBootstrapTest, WrongOrReusedBootstrapTokenRefused) {
  MemoryStore store;
  FakeClock clock;
  auto access = std::move(*AccessControl::Create(store, clock, TestKeys(), FastOptions()));
  std::vector<SecretBytes> replaced = std::move(*access->CreateBootstrapTokens());
  std::vector<SecretBytes> tokens = std::move(*access->CreateBootstrapTokens());
  EXPECT_EQ(access->Bootstrap(replaced[0], "first.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
  EXPECT_EQ(
      access->Bootstrap(Text("wdn_b_short"), "first.so", Text("a long passphrase")).status().code(),
      StatusCode::kUnauthenticated);
  ASSERT_TRUE(access->Bootstrap(tokens[0], "first.so", Text("a long passphrase")).ok());
  EXPECT_EQ(access->Bootstrap(tokens[0], "second.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
  // The second token makes the second officer, once.
  ASSERT_TRUE(access->Bootstrap(tokens[1], "second.so", Text("a long passphrase")).ok());
  EXPECT_EQ(access->Bootstrap(tokens[1], "third.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
}

// ---- Login ----

TEST_F(AccessControlTest, WrongPasswordRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  clock_.Advance(seconds(30));
  Status st = access_
                  ->Login(officer.username, Text("not the password"),
                          TotpCode(officer.totp_secret, clock_.NowSeconds()), "10.0.0.1")
                  .status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.reason(), "invalid_credentials");
}

TEST_F(AccessControlTest, WrongTotpRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string code = TotpCode(officer.totp_secret, clock_.NowSeconds());
  code[0] = code[0] == '9' ? '0' : static_cast<char>(code[0] + 1);
  EXPECT_EQ(access_->Login(officer.username, Text(officer.password), code, "").status().reason(),
            "invalid_credentials");
  EXPECT_EQ(access_->Login(officer.username, Text(officer.password), "", "").status().reason(),
            "invalid_credentials");
}

TEST_F(AccessControlTest, ReplayedTotpRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  clock_.Advance(seconds(30));
  std::string code = TotpCode(officer.totp_secret, clock_.NowSeconds());
  ASSERT_TRUE(access_->Login(officer.username, Text(officer.password), code, "").ok());
  EXPECT_EQ(access_->Login(officer.username, Text(officer.password), code, "").status().reason(),
            "invalid_credentials");
  // An older code from the window is refused too once a later step was used.
  std::string previous = TotpCode(officer.totp_secret, clock_.NowSeconds() - 30);
  EXPECT_FALSE(access_->Login(officer.username, Text(officer.password), previous, "").ok());
}

TEST_F(AccessControlTest, UnknownAccountGetsTheSameAnswerAsAWrongPassword) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Status wrong = access_->Login("li.wei", Text("not the password"), "123456", "").status();
  Status unknown = access_->Login("nobody.here", Text("not the password"), "123456", "").status();
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(wrong.message(), unknown.message());
}

TEST_F(AccessControlTest, UnknownAccountTakesAsLongAsAKnownOne) {
  // Real Argon2id cost (16 MiB) so the verification dominates the timing.
  AccessOptions o;
  o.argon2 = Argon2Params{1, 16u << 20};
  auto slow = std::move(*AccessControl::Create(store_, Clock::Real(), TestKeys(), o));
  StatusOr<ChangeResult> asked = slow->CreateHumanAccount(so1_, "timed.user", {Role::kOfficer});
  ASSERT_TRUE(asked.ok());
  StatusOr<ApprovalResult> approved = slow->ApproveRequest(so2_, asked->request_id);
  ASSERT_TRUE(approved.ok());
  ASSERT_TRUE(slow->Enrol("timed.user", asked->enrolment_part, approved->enrolment_part,
                          Text("a long passphrase"))
                  .ok());
  auto best_of = [&](const char* user) {
    int64_t best = INT64_MAX;
    for (int i = 0; i < 3; ++i) {
      int64_t start = Clock::Real().MonotonicNanos();
      EXPECT_FALSE(slow->Login(user, Text("wrong passphrase"), "000000", "").ok());
      best = std::min(best, Clock::Real().MonotonicNanos() - start);
    }
    return best;
  };
  int64_t known = best_of("timed.user");
  int64_t unknown = best_of("nobody.at.all");
  // Without the dummy verification an unknown name answers ~1000x faster.
  EXPECT_GT(unknown, known / 3) << "known " << known << " ns, unknown " << unknown << " ns";
}

TEST_F(AccessControlTest, FiveFailuresLockEvenTheRightPassword) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(access_->Login("li.wei", Text("guess number " + std::to_string(i)), "000000", "")
                  .status()
                  .reason(),
              "invalid_credentials");
  }
  Status st = LogIn(officer).status();
  EXPECT_EQ(st.code(), StatusCode::kLocked);
  EXPECT_EQ(st.reason(), "account_locked");
  EXPECT_EQ(CountAlerts("lockout"), 1);
}

TEST_F(AccessControlTest, LockoutExpires) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(access_->Login("li.wei", Text("wrong password!"), "000000", "").ok());
  }
  clock_.Advance(minutes(14));
  EXPECT_EQ(LogIn(officer).status().reason(), "account_locked");
  clock_.Advance(minutes(1));
  EXPECT_TRUE(LogIn(officer).ok());
}

TEST_F(AccessControlTest, FailuresSpreadBeyondTheWindowDoNotLock) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(access_->Login("li.wei", Text("wrong password!"), "000000", "").ok());
  }
  clock_.Advance(minutes(16));
  EXPECT_FALSE(access_->Login("li.wei", Text("wrong password!"), "000000", "").ok());
  EXPECT_TRUE(LogIn(officer).ok());
}

TEST_F(AccessControlTest, UnknownNameLocksLikeAKnownOne) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(access_->Login("ghost.user", Text("wrong password!"), "000000", "").status().reason(),
              "invalid_credentials");
  }
  EXPECT_EQ(access_->Login("ghost.user", Text("wrong password!"), "000000", "").status().reason(),
            "account_locked");
}

// ---- Sessions and API keys ----

TEST_F(AccessControlTest, SessionExpiresAfterItsLifetimeEvenWhenActive) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  for (int i = 0; i < 47; ++i) {  // active every 10 minutes for 7h50
    clock_.Advance(minutes(10));
    ASSERT_TRUE(access_->Authenticate(token, "").ok()) << i;
  }
  clock_.Advance(minutes(10));
  EXPECT_EQ(access_->Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, IdleSessionExpires) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  clock_.Advance(minutes(14));
  ASSERT_TRUE(access_->Authenticate(token, "").ok());
  clock_.Advance(minutes(15));
  EXPECT_EQ(access_->Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, LogoutRevokesTheSession) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  ASSERT_TRUE(access_->Logout(token).ok());
  EXPECT_EQ(access_->Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, MalformedOrForgedTokensRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& t :
       {std::string(), std::string("Bearer x"), forged, token + "A", "wdn_k_" + token.substr(6)}) {
    EXPECT_EQ(access_->Authenticate(t, "").status().code(), StatusCode::kUnauthenticated) << t;
  }
}

TEST_F(AccessControlTest, RevokedAndExpiredApiKeysRefused) {
  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup}}};
  const std::string svc = CreateService("courier-feed", p);
  StatusOr<IssuedToken> key = IssueKey(svc);
  ASSERT_TRUE(key.ok());
  StatusOr<access::Principal> who = access_->Authenticate(key->token.view(), "");
  ASSERT_TRUE(who.ok());
  EXPECT_TRUE(access_->Authorize(*who, Operation::kLookup, "deliveries").ok());
  ASSERT_TRUE(access_->RevokeApiKey(so1_, key->id).ok());
  EXPECT_EQ(access_->Authenticate(key->token.view(), "").status().code(),
            StatusCode::kUnauthenticated);

  StatusOr<IssuedToken> short_lived = IssueKey(svc, hours(1));
  ASSERT_TRUE(short_lived.ok());
  ASSERT_TRUE(access_->Authenticate(short_lived->token.view(), "").ok());
  clock_.Advance(hours(1));
  EXPECT_EQ(access_->Authenticate(short_lived->token.view(), "").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, ListedApiKeysNameTheirAccountButNeverTheKey) {
  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup}}};
  const std::string feed = CreateService("courier-feed", p);
  const std::string other = CreateService("other-feed", p);
  StatusOr<IssuedToken> kept = IssueKey(feed, hours(48));
  StatusOr<IssuedToken> revoked = IssueKey(feed);
  StatusOr<IssuedToken> others = IssueKey(other);
  ASSERT_TRUE(kept.ok() && revoked.ok() && others.ok());
  ASSERT_TRUE(access_->RevokeApiKey(so1_, revoked->id).ok());

  StatusOr<std::vector<ApiKeyInfo>> all = access_->ListApiKeys(so1_, "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 2u);
  StatusOr<std::vector<ApiKeyInfo>> mine = access_->ListApiKeys(so1_, feed);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].key_id, kept->id);
  EXPECT_EQ((*mine)[0].account_id, feed);
  EXPECT_EQ((*mine)[0].expires_at_micros, kept->expires_at_micros);
  EXPECT_EQ((*mine)[0].expires_at_micros - (*mine)[0].created_micros,
            std::chrono::microseconds(hours(48)).count());

  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(access_->ListApiKeys(Principal(officer), "").status().reason(), "role_forbidden");
}

TEST_F(AccessControlTest, ApiKeysAreOnlyForServiceAccounts) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_FALSE(access_->IssueApiKey(so1_, officer.id).ok());
}

// ---- Roles and separation of duties ----

TEST_F(AccessControlTest, SelfGrantRefused) {
  StatusOr<ChangeResult> r = access_->GrantRole(so1_, so1_.account_id, Role::kOfficer);
  EXPECT_EQ(r.status().reason(), "self_grant");
  EXPECT_EQ(access_->SetAccountPolicy(so1_, so1_.account_id, Policy{}).status().reason(),
            "self_grant");
  EXPECT_EQ(access_->SetRolePolicy(so1_, Role::kSecurityOfficer, Policy{}).status().reason(),
            "self_grant");
}

TEST_F(AccessControlTest, InvestigatorNeedsASecondSecurityOfficer) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  StatusOr<ChangeResult> r = access_->GrantRole(so1_, officer.id, Role::kInvestigator);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->applied);
  ASSERT_FALSE(r->request_id.empty());
  EXPECT_FALSE(Principal(officer).roles.Has(Role::kInvestigator));
  EXPECT_EQ(access_->ApproveRequest(so1_, r->request_id).status().reason(),
            "second_approver_required");
  ASSERT_TRUE(access_->ApproveRequest(so2_, r->request_id).ok());
  EXPECT_TRUE(Principal(officer).roles.Has(Role::kInvestigator));
  EXPECT_EQ(access_->ApproveRequest(so2_, r->request_id).status().code(), StatusCode::kNotFound);
}

TEST_F(AccessControlTest, SecurityOfficerCannotApproveInvestigatorForThemselves) {
  // The officer cannot approve (not a security officer), and a duty role
  // never combines with a data role.
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  StatusOr<ChangeResult> r = access_->GrantRole(so1_, officer.id, Role::kInvestigator);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(access_->ApproveRequest(Principal(officer), r->request_id).status().reason(),
            "role_forbidden");
  EXPECT_EQ(access_->GrantRole(so2_, so1_.account_id, Role::kInvestigator).status().reason(),
            "separation_of_duties");
}

TEST_F(AccessControlTest, AtMostOneDutyPerAccount) {
  EXPECT_EQ(access_->GrantRole(so1_, so2_.account_id, Role::kAuditor).status().reason(),
            "separation_of_duties");
  Person auditor = CreatePerson("audit.wu", {Role::kAuditor});
  EXPECT_EQ(access_->GrantRole(so1_, auditor.id, Role::kOfficer).status().reason(),
            "separation_of_duties");
  EXPECT_EQ(access_->CreateHumanAccount(so1_, "op.zhao", {Role::kOperator, Role::kRegistrar})
                .status()
                .reason(),
            "separation_of_duties");
}

TEST_F(AccessControlTest, OnlySecurityOfficersAdminister) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_EQ(access_->CreateHumanAccount(who, "sock.puppet", {Role::kOfficer}).status().reason(),
            "role_forbidden");
  EXPECT_EQ(access_->ListAlerts(who, 0, 10).status().reason(), "role_forbidden");
  EXPECT_EQ(access_->SetAccountPolicy(who, so1_.account_id, Policy{}).status().reason(),
            "role_forbidden");
}

// ---- Authorisation ----

TEST_F(AccessControlTest, OperatorAuditorAndSecurityOfficerCannotReadRecords) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  Person auditor = CreatePerson("audit.wu", {Role::kAuditor});
  for (const access::Principal& who : {Principal(op), Principal(auditor), so1_}) {
    for (Operation o : {Operation::kLookup, Operation::kSearch, Operation::kReveal}) {
      Status st = access_->Authorize(who, o, "persons");
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << who.username;
      EXPECT_EQ(HttpStatusOf(st.code()), 403);
    }
    EXPECT_EQ(access_->ViewFor(who, "persons").Disposition("name"), FieldDisposition::kHidden);
    EXPECT_FALSE(access_->ChargeRecords(who, QuotaKind::kRead, 1).ok());
  }
  EXPECT_TRUE(access_->Authorize(Principal(auditor), Operation::kReadAudit, "").ok());
  EXPECT_TRUE(access_->Authorize(Principal(op), Operation::kOperate, "").ok());
}

TEST_F(AccessControlTest, OfficerRevealRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_EQ(access_->Authorize(who, Operation::kReveal, "persons").reason(), "role_forbidden");
  EXPECT_EQ(access_->ChargeReveal(who, "persons", {"name"}).reason(), "role_forbidden");
  EXPECT_FALSE(access_->ViewFor(who, "persons").CanReveal("national_id"));
}

TEST_F(AccessControlTest, NameOnlySearchRefusedForOfficers) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(access_->Authorize(Principal(officer), Operation::kSearchByName, "persons").reason(),
            "role_forbidden");
  EXPECT_TRUE(access_->Authorize(Principal(officer), Operation::kSearch, "persons").ok());
}

TEST_F(AccessControlTest, InvestigatorRevealCountsEveryField) {
  Person inv = CreatePerson("chen.jie", {Role::kInvestigator});
  Policy p;
  p.daily_read_quota = 5;
  SetPolicy(inv.id, p);
  access::Principal who = Principal(inv);
  EXPECT_TRUE(access_->Authorize(who, Operation::kSearchByName, "persons").ok());
  ASSERT_TRUE(access_->ChargeReveal(who, "persons", {"name", "national_id", "phones"}).ok());
  EXPECT_EQ(access_->ChargeReveal(who, "persons", {"name", "national_id", "phones"}).reason(),
            "quota_exceeded");
  ASSERT_TRUE(access_->ChargeReveal(who, "persons", {"name", "phones"}).ok());
  EXPECT_EQ(access_->ChargeReveal(who, "persons", {"name"}).reason(), "quota_exceeded");
}

TEST_F(AccessControlTest, PolicyNarrowsCollectionsAndServicesNeedThem) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.collections = CollectionGrants{{"persons", {Operation::kLookup}}};
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_TRUE(access_->Authorize(who, Operation::kLookup, "persons").ok());
  EXPECT_EQ(access_->Authorize(who, Operation::kLookup, "cases").reason(), "collection_forbidden");
  EXPECT_EQ(access_->Authorize(who, Operation::kSearch, "persons").reason(),
            "collection_forbidden");
  // A policy never widens a role: an officer granted writes still cannot write.
  p.collections = CollectionGrants{{"*", {Operation::kWrite, Operation::kLookup}}};
  SetPolicy(officer.id, p);
  EXPECT_EQ(access_->Authorize(Principal(officer), Operation::kWrite, "persons").reason(),
            "role_forbidden");

  StatusOr<IssuedToken> key = IssueKey(CreateService("courier-feed", Policy{}));
  ASSERT_TRUE(key.ok());
  access::Principal service = *access_->Authenticate(key->token.view(), "");
  EXPECT_EQ(access_->Authorize(service, Operation::kLookup, "deliveries").reason(),
            "role_forbidden");
}

TEST_F(AccessControlTest, DivisionScopeEnforced) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.division_scope = std::vector<std::string>{"310115"};
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_TRUE(access_->CheckDivision(who, "310115").ok());
  EXPECT_EQ(access_->CheckDivision(who, "310116").reason(), "division_forbidden");
  EXPECT_EQ(access_->CheckDivision(who, "").reason(), "division_forbidden");
  Person unscoped = CreatePerson("wang.fang", {Role::kOfficer});
  EXPECT_TRUE(access_->CheckDivision(Principal(unscoped), "110101").ok());
}

// ---- Quotas and rate ----

TEST_F(AccessControlTest, ScrapingLoopStopsAtExactlyTheQuota) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 50;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  int delivered = 0;
  Status stop;
  for (int i = 0; i < 1000; ++i) {
    StatusOr<int64_t> left = access_->ChargeRecords(who, QuotaKind::kRead, 1);
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
  StatusOr<std::vector<Alert>> listed = access_->ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  bool stored = false;
  for (const Alert& a : *listed) stored |= a.kind == "quota_reached" && a.account_id == officer.id;
  EXPECT_TRUE(stored);
  // The next day brings a new quota.
  clock_.Advance(hours(24));
  EXPECT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 1).ok());
}

TEST_F(AccessControlTest, AlertIsAcknowledgedOnceAndNeverByItsSubject) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 1;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  ASSERT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 1).ok());
  StatusOr<std::vector<Alert>> listed = access_->ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const Alert alert = (*listed)[0];
  EXPECT_TRUE(alert.acknowledged_by.empty());

  EXPECT_EQ(access_->AcknowledgeAlert(so1_, "al_0000000000000000").status().reason(),
            "alert_not_found");
  EXPECT_EQ(access_->AcknowledgeAlert(who, alert.id).status().reason(), "role_forbidden");
  clock_.Advance(std::chrono::minutes(5));
  StatusOr<Alert> acked = access_->AcknowledgeAlert(so1_, alert.id);
  ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  EXPECT_EQ(acked->acknowledged_by, so1_.account_id);
  EXPECT_EQ(acked->acknowledged_at_micros, clock_.NowMicros());
  EXPECT_EQ(access_->AcknowledgeAlert(so2_, alert.id).status().reason(), "already_acknowledged");

  listed = access_->ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].acknowledged_by, so1_.account_id);
  EXPECT_EQ((*listed)[0].detail, alert.detail);
}

TEST_F(AccessControlTest, NoOneAcknowledgesAnAlertAboutThemselves) {
  // A burst of failed logins raises a lockout alert about the account.
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(
        access_
            ->Login(so1_person_.username, SecretBytes::CopyFrom("wrong password 1"), "000000", "")
            .ok());
  }
  StatusOr<std::vector<Alert>> listed = access_->ListAlerts(so2_, 0, 100);
  ASSERT_TRUE(listed.ok());
  std::string about_so1;
  for (const Alert& a : *listed) {
    if (a.account_id == so1_.account_id) about_so1 = a.id;
  }
  ASSERT_FALSE(about_so1.empty()) << "a lockout should raise an alert about the account";
  EXPECT_EQ(access_->AcknowledgeAlert(so1_, about_so1).status().reason(), "self_grant");
  EXPECT_TRUE(access_->AcknowledgeAlert(so2_, about_so1).ok());
}

TEST_F(AccessControlTest, ConcurrentChargesNeverPassTheQuota) {
  for (const int64_t quota : {int64_t{300}, int64_t{150'000}}) {
    Person officer = CreatePerson("quota.user" + std::to_string(quota), {Role::kOfficer});
    Policy p;
    p.daily_read_quota = quota;
    SetPolicy(officer.id, p);
    const access::Principal who = Principal(officer);
    const int64_t denials_before = access_->QuotaDenialCount();
    std::atomic<int64_t> served{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 400; ++i) {
          const int64_t n = quota < 1000 ? 1 : 1 + (i + t) % 97;
          if (access_->ChargeRecords(who, QuotaKind::kRead, n).ok()) {
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
    EXPECT_EQ(access_->QuotaDenialCount() - denials_before, refused.load());
  }
}

TEST_F(AccessControlTest, TwoServersOnOneStoreShareOneQuota) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 30;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  access::Principal here = *access_->Authenticate(token, "");
  access::Principal there = *other->Authenticate(token, "");
  int delivered = 0;
  for (int i = 0; i < 100; ++i) {
    AccessControl& server = i % 2 == 0 ? *access_ : *other;
    if (server.ChargeRecords(i % 2 == 0 ? here : there, QuotaKind::kRead, 1).ok()) ++delivered;
  }
  EXPECT_EQ(delivered, 30);
}

TEST_F(AccessControlTest, SearchChargeTruncatesToWhatIsLeft) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 25;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  EXPECT_EQ(*access_->ChargeRecordsUpTo(who, QuotaKind::kRead, 20), 20);
  EXPECT_EQ(*access_->ChargeRecordsUpTo(who, QuotaKind::kRead, 20), 5);
  EXPECT_EQ(access_->ChargeRecordsUpTo(who, QuotaKind::kRead, 20).status().reason(),
            "quota_exceeded");
}

TEST_F(AccessControlTest, MassErasureStopsAtTheWriteQuota) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 20;
  SetPolicy(registrar.id, p);
  access::Principal who = Principal(registrar);
  ASSERT_TRUE(access_->Authorize(who, Operation::kErase, "persons").ok());
  int erased = 0;
  for (int i = 0; i < 500; ++i) {
    if (!access_->ChargeRecords(who, QuotaKind::kWrite, 1).ok()) break;
    ++erased;
  }
  EXPECT_EQ(erased, 20);
  // Reads are a separate quota and still work.
  EXPECT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 1).ok());
}

TEST_F(AccessControlTest, RateLimiterAllowsABurstThenRefills) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 2;
  p.burst = 4;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(access_->CheckRate(who).ok()) << i;
  Status st = access_->CheckRate(who);
  EXPECT_EQ(st.reason(), "rate_limited");
  EXPECT_EQ(HttpStatusOf(st.code()), 429);
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(access_->CheckRate(who).ok());
  EXPECT_FALSE(access_->CheckRate(who).ok());
}

TEST_F(AccessControlTest, RateLimitIsSharedAcrossServers) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 2;
  p.burst = 4;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> a = NewServer();
  std::unique_ptr<AccessControl> b = NewServer();
  access::Principal who = *a->Authenticate(token, "");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += (i % 2 ? *a : *b).CheckRate(who).ok() ? 1 : 0;
  EXPECT_EQ(admitted, 4);
  EXPECT_EQ(a->CheckRate(who).reason(), "rate_limited");
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(b->CheckRate(who).ok());
  EXPECT_FALSE(a->CheckRate(who).ok());
}

// Two servers used to admit twice the burst (each had its own bucket). With a
// fast rate the servers take slices of the shared bucket, so a burst costs a
// few store writes, not one per request, and still admits one burst in all.
TEST_F(AccessControlTest, TwoServersAdmitOneBurstInSlicesOfTheSharedBucket) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 1000;
  p.burst = 100;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> a = NewServer();
  std::unique_ptr<AccessControl> b = NewServer();
  access::Principal who = *a->Authenticate(token, "");
  const uint64_t writes_before = store_.ChangeCount();
  int admitted = 0;
  for (int i = 0; i < 400; ++i) admitted += (i % 3 ? *a : *b).CheckRate(who).ok() ? 1 : 0;
  EXPECT_EQ(admitted, 100);
  EXPECT_LE(store_.ChangeCount() - writes_before, 10u) << "slices of 25 tokens";
  // A slice is spent for at most a second; then the shared bucket decides again.
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(a->CheckRate(who).ok());
}

TEST_F(AccessControlTest, ALoweredRateEndsEveryServersSlice) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.rate_per_second = 1000;
  p.burst = 1000;
  SetPolicy(officer.id, p);
  std::string token = TokenOf(officer);
  std::unique_ptr<AccessControl> other = NewServer();
  ASSERT_TRUE(other->CheckRate(*other->Authenticate(token, "")).ok());  // takes a slice of 50
  p.rate_per_second = 1;
  p.burst = 1;
  SetPolicy(officer.id, p);
  access::Principal who = *other->Authenticate(token, "");
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += other->CheckRate(who).ok() ? 1 : 0;
  EXPECT_LE(admitted, 1);
}

// A server holding a lease of an earlier, higher write quota stops at the
// lowered one at its next charge: it neither spends the lease nor reserves
// past the new limit.
TEST_F(AccessControlTest, ALoweredQuotaTakesEffectOnEveryServerAtOnce) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 100'000;  // leases of 100
  SetPolicy(registrar.id, p);
  std::string token = TokenOf(registrar);
  std::unique_ptr<AccessControl> other = NewServer();
  ASSERT_TRUE(other->ChargeRecords(*other->Authenticate(token, ""), QuotaKind::kWrite, 1).ok());
  p.daily_write_quota = 5;
  SetPolicy(registrar.id, p);
  access::Principal who = *other->Authenticate(token, "");
  int written = 0;
  for (int i = 0; i < 50; ++i) written += other->ChargeRecords(who, QuotaKind::kWrite, 1).ok();
  EXPECT_EQ(written, 0) << "100 reserved under the old limit are already past the new one";
  access::Principal here = *access_->Authenticate(token, "");
  EXPECT_FALSE(access_->ChargeRecords(here, QuotaKind::kWrite, 1).ok());
}

TEST_F(AccessControlTest, ARaisedQuotaIsSpentNormally) {
  Person registrar = CreatePerson("reg.sun", {Role::kRegistrar});
  Policy p;
  p.daily_write_quota = 3;
  SetPolicy(registrar.id, p);
  access::Principal who = Principal(registrar);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(access_->ChargeRecords(who, QuotaKind::kWrite, 1).ok());
  EXPECT_FALSE(access_->ChargeRecords(who, QuotaKind::kWrite, 1).ok());
  p.daily_write_quota = 6;
  SetPolicy(registrar.id, p);
  who = Principal(registrar);
  int written = 0;
  for (int i = 0; i < 10; ++i) written += access_->ChargeRecords(who, QuotaKind::kWrite, 1).ok();
  EXPECT_EQ(written, 3);
}

// Look-ups of absent keys used to cost nothing: an existence oracle bounded
// only by the rate. Each miss now costs a read unit, and many raise an alert.
TEST_F(AccessControlTest, MissesCostQuotaAndManyRaiseAnAlert) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 60;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  int misses = 0;
  Status stop;
  for (int i = 0; i < 1000; ++i) {
    stop = access_->ChargeMiss(who);
    if (!stop.ok()) break;
    ++misses;
  }
  EXPECT_EQ(misses, 60);
  EXPECT_EQ(stop.reason(), "quota_exceeded");
  EXPECT_EQ(CountAlerts("miss_rate"), 1);
  EXPECT_EQ(access_->AlertCount("miss_rate"), 1);
}

// The audit trail's outage alert arrives while the store refuses writes; it
// is kept and stored with the next alert the store accepts, so a security
// officer finds it in the list once the store is back.
TEST_F(AccessControlTest, ASystemAlertRaisedDuringAStoreOutageIsListedAfterIt) {
  store_.SetWritesFail(true);
  access_->RaiseSystemAlert("audit_unavailable", "the audit trail cannot be written");
  EXPECT_EQ(CountAlerts("audit_unavailable"), 1) << "the sink hears of it at once";
  store_.SetWritesFail(false);
  access_->RaiseSystemAlert("audit_recovered", "the audit trail is written again");
  StatusOr<std::vector<Alert>> listed = access_->ListAlerts(so1_, 0, 100);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> kinds;
  for (const Alert& a : *listed) kinds.push_back(a.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "audit_unavailable"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "audit_recovered"), kinds.end());
}

// ---- Tripwires ----

TEST_F(AccessControlTest, CanaryReadSuspendsBeforeAnyFurtherRecordIsServed) {
  Person op = CreatePerson("op.zhao", {Role::kOperator});
  ASSERT_TRUE(access_->RegisterCanaries(Principal(op), "persons", {"11010519491231002X"}).ok());
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  access::Principal who = *access_->Authenticate(token, "");
  const std::vector<std::string> keys = {"110101199003077777", "11010519491231002X",
                                         "110101199003078888"};
  std::vector<std::string> served;
  for (const std::string& key : keys) {
    // What the HTTP layer does per request: authenticate, check, then serve.
    StatusOr<access::Principal> current = access_->Authenticate(token, "");
    if (!current.ok()) break;
    Status canary = access_->CheckCanary(*current, "persons", key);
    if (!canary.ok()) {
      EXPECT_EQ(canary.code(), StatusCode::kLocked);
      EXPECT_EQ(HttpStatusOf(canary.code()), 423);
      break;
    }
    served.push_back(key);
  }
  EXPECT_EQ(served, std::vector<std::string>{"110101199003077777"});
  EXPECT_EQ(access_->Authenticate(token, "").status().reason(), "account_suspended");
  EXPECT_EQ(LogIn(officer).status().reason(), "account_suspended");
  ASSERT_EQ(CountAlerts("canary_read"), 1);
  EXPECT_EQ(alerts_.back().account_id, officer.id);
  EXPECT_EQ(alerts_.back().detail.find("11010519491231002X"), std::string::npos);
  EXPECT_EQ(access_->AlertCount("canary_read"), 1);
  // A security officer reinstates after investigation.
  ASSERT_TRUE(access_->ReinstateAccount(so1_, officer.id).ok());
  EXPECT_TRUE(access_->Authenticate(token, "").ok());
}

TEST_F(AccessControlTest, CanaryIsBoundToItsCollection) {
  ASSERT_TRUE(access_->RegisterCanariesOffline("persons", {"11010519491231002X"}).ok());
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  access::Principal who = Principal(officer);
  EXPECT_TRUE(access_->CheckCanary(who, "cases", "11010519491231002X").ok());
  EXPECT_TRUE(access_->CheckCanary(who, "persons", "11010519491231002").ok());
  EXPECT_FALSE(access_->CheckCanary(who, "persons", "11010519491231002X").ok());
}

TEST_F(AccessControlTest, OnlyOperatorsRegisterCanaries) {
  EXPECT_EQ(access_->RegisterCanaries(so1_, "persons", {"x"}).reason(), "role_forbidden");
}

TEST_F(AccessControlTest, VolumeFarAboveBaselineRaisesAnAlert) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 100'000;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  // A steady day of 20 records an hour: no alert.
  for (int h = 0; h < 24; ++h) {
    ASSERT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 20).ok());
    clock_.Advance(hours(1));
  }
  EXPECT_EQ(CountAlerts("volume"), 0);
  // Then a loop: 10x the baseline in one hour.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 10).ok());
  EXPECT_EQ(CountAlerts("volume"), 1);
  EXPECT_EQ(alerts_.back().account_id, officer.id);
}

TEST_F(AccessControlTest, VolumeAtTheAccountsOwnHighBaselineIsQuiet) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Policy p;
  p.daily_read_quota = 100'000;
  SetPolicy(officer.id, p);
  access::Principal who = Principal(officer);
  for (int h = 0; h < 48; ++h) {
    ASSERT_TRUE(access_->ChargeRecords(who, QuotaKind::kRead, 150).ok());
    clock_.Advance(hours(1));
  }
  // The first hour had no history and alerted; the steady ones after it did not.
  EXPECT_EQ(CountAlerts("volume"), 1);
}

// ---- Secrets never in the clear ----

TEST_F(AccessControlTest, SecretsNeverAppearInTheStoreErrorsOrAlerts) {
  std::vector<std::string> secrets = {kSoPassword, so1_person_.password,
                                      std::string(so1_person_.totp_secret.view())};
  std::vector<std::string> texts;  // errors and alert details
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  secrets.push_back(officer.password);
  secrets.push_back(std::string(officer.totp_secret.view()));
  secrets.push_back(std::string(Base32Encode(officer.totp_secret).view()));
  std::string session = TokenOf(officer);
  secrets.push_back(session);
  const std::string wrong = "a wrong password guess";
  secrets.push_back(wrong);
  for (int i = 0; i < 6; ++i) {
    texts.push_back(access_->Login("li.wei", Text(wrong), "123456", "").status().ToString());
  }
  StatusOr<IssuedToken> key = IssueKey(CreateService("courier-feed", Policy{}));
  ASSERT_TRUE(key.ok());
  secrets.emplace_back(key->token.view());
  texts.push_back(
      access_->Authenticate(std::string(key->token.view()) + "x", "").status().ToString());
  MemoryStore fresh;
  auto other = std::move(*AccessControl::Create(fresh, clock_, TestKeys(), FastOptions()));
  for (const SecretBytes& bootstrap : *other->CreateBootstrapTokens()) {
    secrets.emplace_back(bootstrap.view());
  }
  for (const Alert& a : alerts_) texts.push_back(a.detail);

  // Every form a secret might take: as is, hex, base64, and its raw token bytes.
  std::vector<std::string> forms;
  for (const std::string& s : secrets) {
    forms.push_back(s);
    forms.push_back(HexEncode(s));
    forms.push_back(Base64Encode(s));
    if (s.starts_with("wdn_")) {
      std::optional<std::string> raw = Base64Decode(s.substr(6));
      ASSERT_TRUE(raw.has_value());
      forms.push_back(*raw);
      forms.push_back(HexEncode(*raw));
    }
  }
  forms.push_back("$argon2id$");  // password hashes are sealed too
  for (MemoryStore* store : {&store_, &fresh}) {
    for (int s = 0; s < kSpaceCount; ++s) {
      StatusOr<std::vector<KeyValue>> all = store->Scan(static_cast<Space>(s), "", "", 1'000'000);
      ASSERT_TRUE(all.ok());
      for (const KeyValue& kv : *all) {
        for (const std::string& f : forms) {
          EXPECT_EQ(kv.key.find(f), std::string::npos) << SpaceName(static_cast<Space>(s));
          EXPECT_EQ(kv.value.find(f), std::string::npos)
              << SpaceName(static_cast<Space>(s)) << " " << kv.key;
        }
      }
    }
  }
  for (const std::string& t : texts) {
    for (const std::string& f : forms) EXPECT_EQ(t.find(f), std::string::npos) << t;
  }
}

TEST_F(AccessControlTest, SealedTotpSecretIsBoundToItsAccount) {
  // Copying one account's sealed TOTP secret onto another must not work.
  Person a = CreatePerson("li.wei", {Role::kOfficer});
  Person b = CreatePerson("wang.fang", {Role::kOfficer});
  auto raw_a = *store_.Get(Space::kMeta, "acct/" + a.id);
  auto raw_b = *store_.Get(Space::kMeta, "acct/" + b.id);
  auto field = [](const std::string& json, const std::string& name) {
    size_t start = json.find("\"" + name + "\":\"") + name.size() + 4;
    return json.substr(start, json.find('"', start) - start);
  };
  std::string forged = *raw_b;
  std::string b_totp = field(*raw_b, "totp");
  forged.replace(forged.find(b_totp), b_totp.size(), field(*raw_a, "totp"));
  WriteBatch batch;
  batch.Put(Space::kMeta, "acct/" + b.id, forged);
  ASSERT_TRUE(store_.Write(batch).ok());
  clock_.Advance(seconds(30));
  Status st =
      access_
          ->Login("wang.fang", Text(b.password), TotpCode(a.totp_secret, clock_.NowSeconds()), "")
          .status();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
}

// ---- Sealed secrets: key versions ----

// The value of the string member `name` of a stored account.
std::string StoredField(Store& store, const std::string& account_id, const std::string& name) {
  auto raw = store.Get(Space::kMeta, "acct/" + account_id);
  if (!raw.ok() || !raw->has_value()) return "";
  return nlohmann::json::parse(**raw).value(name, "");
}

// The key version the envelope of a sealed account secret names (0: none).
uint32_t SealedKeyVersion(const std::string& sealed) {
  std::optional<std::string> blob = Base64Decode(sealed);
  if (!blob) return 0;
  StatusOr<crypto::EnvelopeHeader> header = crypto::ParseEnvelopeHeader(*blob);
  return header.ok() ? header->key_version : 0;
}

TEST_F(AccessControlTest, SecretsSealedUnderVersionNOpenAfterTheRingHasVersionNPlusOne) {
  Person p = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 1u);
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "totp")), 1u);
  // The key ring rotates: secrets under version 1 still open.
  ASSERT_TRUE(seal_keys_->Add(2, SecretBytes::CopyFrom(std::string(32, 'f'))).ok());
  StatusOr<IssuedToken> token = LogIn(p);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // What is sealed from now on is under version 2.
  StatusOr<access::Principal> who = access_->Authenticate(token->token.view(), "127.0.0.1");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  ASSERT_TRUE(access_->ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 2u);
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "totp")), 1u);
  ASSERT_TRUE(LogIn(p).ok());
  // A restarted server gets both versions from the ring.
  seal_keys_ = TestSealKeys(2);
  access_ = NewServer();
  ASSERT_TRUE(LogIn(p).ok());
}

TEST_F(AccessControlTest, SecretUnderAVersionNotHeldIsRefusedNamingTheRule) {
  Person p = CreatePerson("li.wei", {Role::kOfficer});
  seal_keys_ = TestSealKeys(2);
  access_ = NewServer();
  StatusOr<access::Principal> who = access_->Authenticate(TokenOf(p), "127.0.0.1");
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(access_->ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  seal_keys_ = TestSealKeys(1);  // a server whose key ring state predates the rotation
  access_ = NewServer();
  Status st = LogIn(p).status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_EQ(st.reason(), "unknown_key_version") << st.ToString();
}

// An account as AccessControl stored it before secrets had key versions
// (password hash and TOTP secret as base64 of nonce | ciphertext | tag under
// the unversioned seal key 's' * 32), at FakeClock's start time.
constexpr std::string_view kUnversionedAccountId = "a_2b467d1e9d95c5fc";
constexpr std::string_view kUnversionedAccount =
    R"({"created_at":1700000000000000,"created_by":"bootstrap","id":"a_2b467d1e9d95c5fc",)"
    R"("kind":"human","password":"k2OWn0PiCwR4k8Ti16Qeye0ClM7Kl4BzDQsQEpWO9qNkDuAz+ksM11gxDOQ3bf)"
    R"(/KuBTTyp4ZVU9V7L2uS6ifN78sPudIEbncXVFfWaKNwavJAKyXPurlhkQTQcByNz8wytJzphOISBov2u3KV/tz2b)"
    R"(EaF6uWq7WVYA==","roles":["security_officer"],"suspended":false,)"
    R"("totp":"mOCuVvjY2kfORS0aLUpGqgK/JKnfyTCBXZkAuitRRHJZhbdZFgQgRhCvrJ0XPugo",)"
    R"("totp_last_step":-9223372036854775808,"username":"so.legacy"})";
constexpr std::string_view kUnversionedTotp = "Z3J4VRKFY4YOGSRESLFFLQUNJA3QYD6J";

// Puts that account, and its username, into `store`.
Status PutUnversionedAccount(Store& store) {
  WriteBatch batch;
  batch.Put(Space::kMeta, "acct/" + std::string(kUnversionedAccountId),
            std::string(kUnversionedAccount));
  batch.Put(Space::kMeta, "user/so.legacy", std::string(kUnversionedAccountId));
  return store.Write(batch);
}

TEST_F(AccessControlTest, SecretsWrittenBeforeKeyVersionsStillOpen) {
  ASSERT_TRUE(PutUnversionedAccount(store_).ok());
  std::optional<SecretBytes> secret = Base32Decode(kUnversionedTotp);
  ASSERT_TRUE(secret.has_value());
  Person p{std::string(kUnversionedAccountId), "so.legacy", "legacy password 123",
           std::move(*secret)};
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 0u);

  StatusOr<IssuedToken> token = LogIn(p);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // Only the new layout is written: a changed password is an envelope, the
  // TOTP secret stays as it was until it is next sealed.
  StatusOr<access::Principal> who = access_->Authenticate(token->token.view(), "127.0.0.1");
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(access_->ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 1u);
  EXPECT_EQ(StoredField(store_, p.id, "totp"),
            "mOCuVvjY2kfORS0aLUpGqgK/JKnfyTCBXZkAuitRRHJZhbdZFgQgRhCvrJ0XPugo");
  ASSERT_TRUE(LogIn(p).ok());
}

TEST_F(AccessControlTest, UnversionedSecretUnderAnotherKeyIsRefused) {
  ASSERT_TRUE(PutUnversionedAccount(store_).ok());
  AccessKeys keys = TestKeys(seal_keys_);
  keys.unversioned_seal_key = SecretBytes::CopyFrom(std::string(32, 't'));
  access_ = std::move(*AccessControl::Create(store_, clock_, std::move(keys), FastOptions()));
  clock_.Advance(seconds(30));
  Status st = access_
                  ->Login("so.legacy", Text("legacy password 123"),
                          TotpCode(*Base32Decode(kUnversionedTotp), clock_.NowSeconds()), "")
                  .status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
}

TEST(AccessKeysTest, MissingOrShortKeysAreRefused) {
  MemoryStore store;
  FakeClock clock;
  EXPECT_EQ(AccessControl::Create(store, clock, TestKeys(nullptr)).status().code(),
            StatusCode::kInvalidArgument);
  AccessKeys short_key = TestKeys();
  short_key.unversioned_seal_key = SecretBytes::CopyFrom("short");
  EXPECT_EQ(AccessControl::Create(store, clock, std::move(short_key)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden::access
