// Tests of Authenticator: bootstrap, login and lockout, sessions and API keys.
#include "access/authenticator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "access/access_test_util.h"
#include "access/totp.h"

namespace warden::access::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class AuthenticatorTest : public AccessTest {};

// A server on an empty store: no account yet.
class BootstrapTest : public ::testing::Test {
 protected:
  MemoryStore store_;
  FakeClock clock_;
  std::unique_ptr<AccessControl> access_ =
      std::move(*AccessControl::Create(store_, clock_, TestKeys(), FastOptions()));
  Authenticator& auth_ = access_->authenticator();
};

// ---- Bootstrap ----

TEST_F(AuthenticatorTest, BootstrapTokensAreDeadAfterUse) {
  StatusOr<std::vector<SecretBytes>> again = authenticator().CreateBootstrapTokens();
  EXPECT_EQ(again.status().reason(), "already_bootstrapped");
}

TEST_F(BootstrapTest, WrongOrReusedBootstrapTokenRefused) {
  std::vector<SecretBytes> replaced = std::move(*auth_.CreateBootstrapTokens());
  std::vector<SecretBytes> tokens = std::move(*auth_.CreateBootstrapTokens());
  EXPECT_EQ(auth_.Bootstrap(replaced[0], "first.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
  EXPECT_EQ(
      auth_.Bootstrap(Text("wdn_b_short"), "first.so", Text("a long passphrase")).status().code(),
      StatusCode::kUnauthenticated);
  ASSERT_TRUE(auth_.Bootstrap(tokens[0], "first.so", Text("a long passphrase")).ok());
  EXPECT_EQ(auth_.Bootstrap(tokens[0], "second.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
  // The second token makes the second officer, once.
  ASSERT_TRUE(auth_.Bootstrap(tokens[1], "second.so", Text("a long passphrase")).ok());
  EXPECT_EQ(auth_.Bootstrap(tokens[1], "third.so", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
}

// A bootstrap that fails on a taken name spends nothing: the token still
// makes an officer under another name.
TEST_F(BootstrapTest, ATakenNameLeavesTheTokenUnspent) {
  std::vector<SecretBytes> tokens = std::move(*auth_.CreateBootstrapTokens());
  ASSERT_TRUE(auth_.Bootstrap(tokens[0], "first.so", Text("a long passphrase")).ok());
  EXPECT_EQ(auth_.Bootstrap(tokens[1], "First.SO", Text("a long passphrase")).status().reason(),
            "bootstrap_invalid");
  EXPECT_TRUE(auth_.Bootstrap(tokens[1], "second.so", Text("a long passphrase")).ok());
}

// ---- Login ----

TEST_F(AuthenticatorTest, WrongPasswordRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  clock_.Advance(seconds(30));
  Status st = authenticator()
                  .Login(officer.username, Text("not the password"),
                         TotpCode(officer.totp_secret, clock_.NowSeconds()), "10.0.0.1")
                  .status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.reason(), "invalid_credentials");
}

TEST_F(AuthenticatorTest, WrongTotpRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string code = TotpCode(officer.totp_secret, clock_.NowSeconds());
  code[0] = code[0] == '9' ? '0' : static_cast<char>(code[0] + 1);
  EXPECT_EQ(
      authenticator().Login(officer.username, Text(officer.password), code, "").status().reason(),
      "invalid_credentials");
  EXPECT_EQ(
      authenticator().Login(officer.username, Text(officer.password), "", "").status().reason(),
      "invalid_credentials");
}

TEST_F(AuthenticatorTest, ReplayedTotpRefusedSayingItWasUsed) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  clock_.Advance(seconds(30));
  std::string code = TotpCode(officer.totp_secret, clock_.NowSeconds());
  ASSERT_TRUE(authenticator().Login(officer.username, Text(officer.password), code, "").ok());
  Status replayed =
      authenticator().Login(officer.username, Text(officer.password), code, "").status();
  EXPECT_EQ(replayed.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(replayed.reason(), "totp_reused");
  EXPECT_NE(replayed.message().find("already used"), std::string::npos) << replayed.message();
  EXPECT_NE(replayed.message().find("next code"), std::string::npos) << replayed.message();
  // An older code from the window is refused too once a later step was used.
  std::string previous = TotpCode(officer.totp_secret, clock_.NowSeconds() - 30);
  EXPECT_EQ(authenticator()
                .Login(officer.username, Text(officer.password), previous, "")
                .status()
                .reason(),
            "totp_reused");
  // The next code works.
  clock_.Advance(seconds(30));
  std::string next = TotpCode(officer.totp_secret, clock_.NowSeconds());
  EXPECT_TRUE(authenticator().Login(officer.username, Text(officer.password), next, "").ok());
}

TEST_F(AuthenticatorTest, ReplayedTotpWithAWrongPasswordSaysNothingOfTheCode) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  clock_.Advance(seconds(30));
  std::string code = TotpCode(officer.totp_secret, clock_.NowSeconds());
  ASSERT_TRUE(authenticator().Login(officer.username, Text(officer.password), code, "").ok());
  EXPECT_EQ(
      authenticator().Login(officer.username, Text("not the password"), code, "").status().reason(),
      "invalid_credentials");
  // A wrong code after a used one is a wrong code, not a replay.
  std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(
      authenticator().Login(officer.username, Text(officer.password), wrong, "").status().reason(),
      "invalid_credentials");
}

TEST_F(AuthenticatorTest, UnknownAccountGetsTheSameAnswerAsAWrongPassword) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  Status wrong = authenticator().Login("li.wei", Text("not the password"), "123456", "").status();
  Status unknown =
      authenticator().Login("nobody.here", Text("not the password"), "123456", "").status();
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(wrong.message(), unknown.message());
}

TEST_F(AuthenticatorTest, UnknownAccountTakesAsLongAsAKnownOne) {
  // Real Argon2id cost (16 MiB) so the verification dominates the timing.
  AccessOptions o;
  o.argon2 = Argon2Params{1, 16u << 20};
  auto slow = std::move(*AccessControl::Create(store_, Clock::Real(), TestKeys(), o));
  StatusOr<ChangeResult> asked =
      slow->administration().CreateHumanAccount(so1_, "timed.user", {Role::kOfficer});
  ASSERT_TRUE(asked.ok());
  StatusOr<ApprovalResult> approved =
      slow->administration().ApproveRequest(so2_, asked->request_id);
  ASSERT_TRUE(approved.ok());
  ASSERT_TRUE(slow->authenticator()
                  .Enrol("timed.user", asked->enrolment_part, approved->enrolment_part,
                         Text("a long passphrase"))
                  .ok());
  auto best_of = [&](const char* user) {
    int64_t best = INT64_MAX;
    for (int i = 0; i < 3; ++i) {
      int64_t start = Clock::Real().MonotonicNanos();
      EXPECT_FALSE(slow->authenticator().Login(user, Text("wrong passphrase"), "000000", "").ok());
      best = std::min(best, Clock::Real().MonotonicNanos() - start);
    }
    return best;
  };
  int64_t known = best_of("timed.user");
  int64_t unknown = best_of("nobody.at.all");
  // Without the dummy verification an unknown name answers ~1000x faster.
  EXPECT_GT(unknown, known / 3) << "known " << known << " ns, unknown " << unknown << " ns";
}

TEST_F(AuthenticatorTest, FiveFailuresLockEvenTheRightPassword) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(authenticator()
                  .Login("li.wei", Text("guess number " + std::to_string(i)), "000000", "")
                  .status()
                  .reason(),
              "invalid_credentials");
  }
  Status st = LogIn(officer).status();
  EXPECT_EQ(st.code(), StatusCode::kLocked);
  EXPECT_EQ(st.reason(), "account_locked");
  EXPECT_EQ(CountAlerts("lockout"), 1);
}

TEST_F(AuthenticatorTest, LockoutExpires) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(authenticator().Login("li.wei", Text("wrong password!"), "000000", "").ok());
  }
  clock_.Advance(minutes(14));
  EXPECT_EQ(LogIn(officer).status().reason(), "account_locked");
  clock_.Advance(minutes(1));
  EXPECT_TRUE(LogIn(officer).ok());
}

TEST_F(AuthenticatorTest, FailuresSpreadBeyondTheWindowDoNotLock) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(authenticator().Login("li.wei", Text("wrong password!"), "000000", "").ok());
  }
  clock_.Advance(minutes(16));
  EXPECT_FALSE(authenticator().Login("li.wei", Text("wrong password!"), "000000", "").ok());
  EXPECT_TRUE(LogIn(officer).ok());
}

TEST_F(AuthenticatorTest, UnknownNameLocksLikeAKnownOne) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(authenticator()
                  .Login("ghost.user", Text("wrong password!"), "000000", "")
                  .status()
                  .reason(),
              "invalid_credentials");
  }
  EXPECT_EQ(
      authenticator().Login("ghost.user", Text("wrong password!"), "000000", "").status().reason(),
      "account_locked");
}

// ---- Sessions and API keys ----

TEST_F(AuthenticatorTest, SessionExpiresAfterItsLifetimeEvenWhenActive) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  for (int i = 0; i < 47; ++i) {  // active every 10 minutes for 7h50
    clock_.Advance(minutes(10));
    ASSERT_TRUE(authenticator().Authenticate(token, "").ok()) << i;
  }
  clock_.Advance(minutes(10));
  EXPECT_EQ(authenticator().Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, IdleSessionExpires) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  clock_.Advance(minutes(14));
  ASSERT_TRUE(authenticator().Authenticate(token, "").ok());
  clock_.Advance(minutes(15));
  EXPECT_EQ(authenticator().Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, LogoutRevokesTheSession) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  ASSERT_TRUE(authenticator().Logout(token).ok());
  EXPECT_EQ(authenticator().Authenticate(token, "").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, MalformedOrForgedTokensRefused) {
  Person officer = CreatePerson("li.wei", {Role::kOfficer});
  std::string token = TokenOf(officer);
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& t :
       {std::string(), std::string("Bearer x"), forged, token + "A", "wdn_k_" + token.substr(6)}) {
    EXPECT_EQ(authenticator().Authenticate(t, "").status().code(), StatusCode::kUnauthenticated)
        << t;
  }
}

TEST_F(AuthenticatorTest, RevokedAndExpiredApiKeysRefused) {
  Policy p;
  p.collections = CollectionGrants{{"deliveries", {Operation::kLookup}}};
  const std::string svc = CreateService("courier-feed", p);
  StatusOr<IssuedToken> key = IssueKey(svc);
  ASSERT_TRUE(key.ok());
  StatusOr<access::Principal> who = authenticator().Authenticate(key->token.view(), "");
  ASSERT_TRUE(who.ok());
  EXPECT_TRUE(Authorize(*who, Operation::kLookup, "deliveries").ok());
  ASSERT_TRUE(administration().RevokeApiKey(so1_, key->id).ok());
  EXPECT_EQ(authenticator().Authenticate(key->token.view(), "").status().code(),
            StatusCode::kUnauthenticated);

  StatusOr<IssuedToken> short_lived = IssueKey(svc, hours(1));
  ASSERT_TRUE(short_lived.ok());
  ASSERT_TRUE(authenticator().Authenticate(short_lived->token.view(), "").ok());
  clock_.Advance(hours(1));
  EXPECT_EQ(authenticator().Authenticate(short_lived->token.view(), "").status().code(),
            StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace warden::access::testing
