// Tests of AccountStore: secrets at rest, and secrets nowhere else.
#include "access/account_store.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "access/access_test_util.h"
#include "access/totp.h"
#include "core/bytes.h"

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

}  // namespace
}  // namespace warden::access::testing
