// Tests of AccountStore: secrets at rest, and secrets nowhere else.
#include "access/account_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "access/access_test_util.h"
#include "access/totp.h"
#include "core/bytes.h"
#include "crypto/envelope.h"

namespace warden::access::testing {
namespace {

using std::chrono::seconds;

class AccountStoreTest : public AccessTest {};

// ---- Secrets never in the clear ----

TEST_F(AccountStoreTest, SecretsNeverAppearInTheStoreErrorsOrAlerts) {
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
    texts.push_back(authenticator().Login("li.wei", Text(wrong), "123456", "").status().ToString());
  }
  StatusOr<IssuedToken> key = IssueKey(CreateService("courier-feed", Policy{}));
  ASSERT_TRUE(key.ok());
  secrets.emplace_back(key->token.view());
  texts.push_back(
      authenticator().Authenticate(std::string(key->token.view()) + "x", "").status().ToString());
  MemoryStore fresh;
  auto other = std::move(*AccessControl::Create(fresh, clock_, TestKeys(), FastOptions()));
  for (const SecretBytes& bootstrap : *other->authenticator().CreateBootstrapTokens()) {
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
  for (MemoryStore* store : {static_cast<MemoryStore*>(&store_), &fresh}) {
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

TEST_F(AccountStoreTest, SealedTotpSecretIsBoundToItsAccount) {
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
      authenticator()
          .Login("wang.fang", Text(b.password), TotpCode(a.totp_secret, clock_.NowSeconds()), "")
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

TEST_F(AccountStoreTest, SecretsSealedUnderVersionNOpenAfterTheRingHasVersionNPlusOne) {
  Person p = CreatePerson("li.wei", {Role::kOfficer});
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 1u);
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "totp")), 1u);
  // The key ring rotates: secrets under version 1 still open.
  ASSERT_TRUE(seal_keys_->Add(2, SecretBytes::CopyFrom(std::string(32, 'f'))).ok());
  StatusOr<IssuedToken> token = LogIn(p);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // What is sealed from now on is under version 2.
  StatusOr<access::Principal> who = authenticator().Authenticate(token->token.view(), "127.0.0.1");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  ASSERT_TRUE(
      authenticator().ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 2u);
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "totp")), 1u);
  ASSERT_TRUE(LogIn(p).ok());
  // A restarted server gets both versions from the ring.
  seal_keys_ = TestSealKeys(2);
  access_ = NewServer();
  ASSERT_TRUE(LogIn(p).ok());
}

TEST_F(AccountStoreTest, SecretUnderAVersionNotHeldIsRefusedNamingTheRule) {
  Person p = CreatePerson("li.wei", {Role::kOfficer});
  seal_keys_ = TestSealKeys(2);
  access_ = NewServer();
  StatusOr<access::Principal> who = authenticator().Authenticate(TokenOf(p), "127.0.0.1");
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(
      authenticator().ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  seal_keys_ = TestSealKeys(1);  // a server whose key ring state predates the rotation
  access_ = NewServer();
  Status st = LogIn(p).status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_EQ(st.reason(), "unknown_key_version") << st.ToString();
}

// An account as it was stored before secrets had key versions (password hash
// and TOTP secret as base64 of nonce | ciphertext | tag under the unversioned
// seal key 's' * 32), at FakeClock's start time.
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

TEST_F(AccountStoreTest, SecretsWrittenBeforeKeyVersionsStillOpen) {
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
  StatusOr<access::Principal> who = authenticator().Authenticate(token->token.view(), "127.0.0.1");
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(
      authenticator().ChangePassword(*who, Text(p.password), Text("a new passphrase 42")).ok());
  p.password = "a new passphrase 42";
  EXPECT_EQ(SealedKeyVersion(StoredField(store_, p.id, "password")), 1u);
  EXPECT_EQ(StoredField(store_, p.id, "totp"),
            "mOCuVvjY2kfORS0aLUpGqgK/JKnfyTCBXZkAuitRRHJZhbdZFgQgRhCvrJ0XPugo");
  ASSERT_TRUE(LogIn(p).ok());
}

TEST_F(AccountStoreTest, UnversionedSecretUnderAnotherKeyIsRefused) {
  ASSERT_TRUE(PutUnversionedAccount(store_).ok());
  AccessKeys keys = TestKeys(seal_keys_);
  keys.unversioned_seal_key = SecretBytes::CopyFrom(std::string(32, 't'));
  access_ = std::move(*AccessControl::Create(store_, clock_, std::move(keys), FastOptions()));
  clock_.Advance(seconds(30));
  Status st = authenticator()
                  .Login("so.legacy", Text("legacy password 123"),
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
}  // namespace warden::access::testing
