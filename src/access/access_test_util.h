// The fixture shared by the access layer's tests: two bootstrapped security
// officers on an in-memory store and a fake clock, and helpers that make
// accounts the way the two-officer flow does. Every name and secret here is
// synthetic.
#ifndef WARDEN_ACCESS_ACCESS_TEST_UTIL_H_
#define WARDEN_ACCESS_ACCESS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/access_control.h"
#include "access/totp.h"
#include "crypto/envelope.h"
#include "store/memory_store.h"

namespace warden::access::testing {

inline SecretBytes Text(std::string_view s) { return SecretBytes::CopyFrom(s); }

// The "account-secret" envelope key of a test store: version 1 is 'e' * 32,
// version 2 (with `versions` = 2) 'f' * 32.
inline std::shared_ptr<crypto::EnvelopeKeys> TestSealKeys(uint32_t versions = 1) {
  auto keys = std::make_shared<crypto::EnvelopeKeys>("access-test-id..");
  for (uint32_t v = 1; v <= versions; ++v) {
    keys->Add(v, SecretBytes::CopyFrom(std::string(32, static_cast<char>('d' + v)))).IgnoreError();
  }
  return keys;
}

inline AccessKeys TestKeys(std::shared_ptr<const crypto::EnvelopeKeys> seal_keys = TestSealKeys()) {
  return {SecretBytes::CopyFrom(std::string(32, 'k')), std::move(seal_keys),
          SecretBytes::CopyFrom(std::string(32, 's'))};
}

inline AccessOptions FastOptions() {
  AccessOptions o;
  o.argon2 = Argon2Params::InsecureFastForTests();
  return o;
}

// A MemoryStore that counts reads by the first segment of the key ("sess",
// "acct", "canary", ...), to show what a request reads, and whose reads fail
// with kUnavailable while `unavailable` is set.
class ReadCountingStore : public MemoryStore {
 public:
  StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) override {
    Count(key);
    if (unavailable) return Unavailable("test store unavailable");
    return MemoryStore::Get(space, key);
  }
  StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start, std::string_view end,
                                       size_t limit) override {
    Count(start);
    if (unavailable) return Unavailable("test store unavailable");
    return MemoryStore::Scan(space, start, end, limit);
  }
  std::atomic<bool> unavailable{false};

  // Reads of keys starting "<segment>/" since the last ResetReads.
  int64_t Reads(std::string_view segment) {
    std::lock_guard lock(mu_);
    auto it = reads_.find(std::string(segment));
    return it == reads_.end() ? 0 : it->second;
  }
  int64_t AllReads() {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const auto& [segment, count] : reads_) n += count;
    return n;
  }
  void ResetReads() {
    std::lock_guard lock(mu_);
    reads_.clear();
  }

 private:
  void Count(std::string_view key) {
    std::lock_guard lock(mu_);
    ++reads_[std::string(key.substr(0, key.find('/')))];
  }
  std::mutex mu_;
  std::map<std::string, int64_t> reads_;
};

// A human account as its owner knows it.
struct Person {
  std::string id;
  std::string username;
  std::string password;
  SecretBytes totp_secret;
};

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    access_ = NewServer();
    StatusOr<std::vector<SecretBytes>> tokens = authenticator().CreateBootstrapTokens();
    ASSERT_TRUE(tokens.ok());
    ASSERT_EQ(tokens->size(), 2u);
    StatusOr<Enrollment> e = authenticator().Bootstrap((*tokens)[0], "so.one", Text(kSoPassword));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    so1_person_ = FromEnrollment(*e, "so.one", kSoPassword);
    so1_ = Principal(so1_person_);
    e = authenticator().Bootstrap((*tokens)[1], "so.two", Text(kSoPassword));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    so2_person_ = FromEnrollment(*e, "so.two", kSoPassword);
    so2_ = Principal(so2_person_);
  }

  // The store the servers share: store_ unless a fixture sets shared_store_.
  Store& SharedStore() { return shared_store_ != nullptr ? *shared_store_ : store_; }

  // Another server on `store` (by default the shared one) and the same clock.
  std::unique_ptr<AccessControl> NewServer(Store* store = nullptr) {
    StatusOr<std::unique_ptr<AccessControl>> ac = AccessControl::Create(
        store != nullptr ? *store : SharedStore(), clock_, TestKeys(seal_keys_), FastOptions());
    EXPECT_TRUE(ac.ok());
    (*ac)->tripwires().SetAlertSink([this](const Alert& a) { alerts_.push_back(a); });
    return std::move(*ac);
  }

  Authenticator& authenticator() { return access_->authenticator(); }
  Limits& limits() { return access_->limits(); }
  Tripwires& tripwires() { return access_->tripwires(); }
  Administration& administration() { return access_->administration(); }

  static Person FromEnrollment(const Enrollment& e, std::string username, std::string password) {
    std::optional<SecretBytes> secret = Base32Decode(e.totp_secret_base32.view());
    EXPECT_TRUE(secret.has_value());
    return Person{e.account_id, std::move(username), std::move(password), std::move(*secret)};
  }

  // Asked for by so1, approved by so2, enrolled by its holder.
  Person CreatePerson(const std::string& username, const RoleSet& roles) {
    const std::string password = "pw of " + username + " 123";
    StatusOr<ChangeResult> asked = administration().CreateHumanAccount(so1_, username, roles);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    if (!asked.ok()) return Person{};
    StatusOr<ApprovalResult> approved = administration().ApproveRequest(so2_, asked->request_id);
    EXPECT_TRUE(approved.ok()) << approved.status().ToString();
    if (!approved.ok()) return Person{};
    StatusOr<Enrollment> e = authenticator().Enrol(username, asked->enrolment_part,
                                                   approved->enrolment_part, Text(password));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return Person{};
    return FromEnrollment(*e, username, password);
  }

  // A service account asked for by so1 and approved by so2; its id.
  std::string CreateService(const std::string& name, const Policy& policy) {
    StatusOr<ChangeResult> asked = administration().CreateServiceAccount(so1_, name, policy);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    if (!asked.ok()) return "";
    EXPECT_TRUE(ApplyChange(asked).ok());
    return asked->account_id;
  }

  // An API key asked for by so1; so2's approval releases it.
  StatusOr<IssuedToken> IssueKey(const std::string& account_id,
                                 std::optional<std::chrono::seconds> ttl = std::nullopt) {
    ASSIGN_OR_RETURN(ChangeResult asked, administration().IssueApiKey(so1_, account_id, ttl));
    ASSIGN_OR_RETURN(ApprovalResult approved,
                     administration().ApproveRequest(so2_, asked.request_id));
    if (!approved.api_key) return Internal("the approval released no key");
    return std::move(*approved.api_key);
  }

  // Applies `change` (so1's), approving it as so2 when it waits.
  Status ApplyChange(const StatusOr<ChangeResult>& change) {
    RETURN_IF_ERROR(change.status());
    if (change->applied) return Status::Ok();
    return administration().ApproveRequest(so2_, change->request_id).status();
  }

  // Logs in with a fresh one-time code (moving to the next TOTP step first).
  StatusOr<IssuedToken> LogIn(const Person& p) {
    clock_.Advance(std::chrono::seconds(30));
    return authenticator().Login(p.username, Text(p.password),
                                 TotpCode(p.totp_secret, clock_.NowSeconds()), "127.0.0.1");
  }

  std::string TokenOf(const Person& p) {
    StatusOr<IssuedToken> t = LogIn(p);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::string(t->token.view()) : std::string();
  }

  access::Principal Principal(const Person& p) {
    StatusOr<access::Principal> who = authenticator().Authenticate(TokenOf(p), "127.0.0.1");
    EXPECT_TRUE(who.ok()) << who.status().ToString();
    return who.ok() ? *who : access::Principal{};
  }

  void SetPolicy(const std::string& account_id, const Policy& p) {
    Status st = ApplyChange(administration().SetAccountPolicy(so1_, account_id, p));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  int CountAlerts(std::string_view kind) const {
    int n = 0;
    for (const Alert& a : alerts_) n += a.kind == kind ? 1 : 0;
    return n;
  }

  static constexpr const char* kSoPassword = "first officer passphrase";
  ReadCountingStore store_;
  Store* shared_store_ = nullptr;  // set before SetUp to serve from another store
  FakeClock clock_;
  std::shared_ptr<crypto::EnvelopeKeys> seal_keys_ = TestSealKeys();
  std::vector<Alert> alerts_;
  std::unique_ptr<AccessControl> access_;
  Person so1_person_;
  Person so2_person_;
  access::Principal so1_;
  access::Principal so2_;
};

}  // namespace warden::access::testing

#endif  // WARDEN_ACCESS_ACCESS_TEST_UTIL_H_
