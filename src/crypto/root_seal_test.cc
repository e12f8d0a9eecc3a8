#include "crypto/root_seal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "core/base32.h"
#include "core/bytes.h"
#include "crypto/key_ring.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

constexpr std::string_view kStoreId = "0123456789abcdef0123456789abcdef";

// Recomputes a share's check digits, as someone forging a share would.
std::string WithFreshCheck(std::string share) {
  std::string body = share.substr(0, share.rfind('-'));
  Sha256Digest d = Sha256(AsBytes(body));
  return body + "-" + HexEncode(std::span<const uint8_t>(d.data(), 4));
}

// Replaces the payload (field 8) of a share.
std::string WithPayload(const std::string& share, std::string_view payload) {
  size_t end = share.rfind('-');
  size_t start = share.rfind('-', end - 1) + 1;
  return share.substr(0, start) + std::string(payload) + share.substr(end);
}

// Replaces the first `from` in `text` with `to`.
std::string ReplaceFirst(std::string text, std::string_view from, std::string_view to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

bool AllOf(std::string_view s, std::string_view alphabet) {
  return !s.empty() && s.find_first_not_of(alphabet) == std::string_view::npos;
}

// warden-share-v1-01234567-<8 hex>-3of5-<1-5>-<52 base32>-<8 hex>
bool HasDocumentedFormat(std::string_view share) {
  constexpr std::string_view kHex = "0123456789abcdef";
  constexpr std::string_view kPrefix = "warden-share-v1-01234567-";
  if (share.substr(0, kPrefix.size()) != kPrefix) return false;
  share.remove_prefix(kPrefix.size());
  if (share.size() != 8 + 1 + 4 + 1 + 1 + 1 + 52 + 1 + 8) return false;
  return AllOf(share.substr(0, 8), kHex) && share.substr(8, 6) == "-3of5-" &&
         AllOf(share.substr(14, 1), "12345") && share[15] == '-' &&
         AllOf(share.substr(16, 52), "abcdefghijklmnopqrstuvwxyz234567") && share[68] == '-' &&
         AllOf(share.substr(69, 8), kHex);
}

ShamirSplitResult Split(const SecretBytes& root, int k, int n, std::string_view store = kStoreId) {
  auto split = SplitRootKey(root, k, n, store);
  EXPECT_TRUE(split.ok()) << split.status().ToString();
  return std::move(split).value();
}

void ExpectShareError(const StatusOr<UnsealProgress>& result, std::string_view reason,
                      std::string_view names) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().reason(), reason) << result.status().ToString();
  EXPECT_NE(result.status().message().find(names), std::string::npos) << result.status().message();
}

TEST(RootSealTest, SharesAreCopyableTextInTheDocumentedFormat) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 3, 5);
  ASSERT_EQ(split.shares.size(), 5u);
  for (const std::string& share : split.shares) {
    EXPECT_TRUE(HasDocumentedFormat(share)) << share;
    EXPECT_EQ(share.find(HexEncode(root.span())), std::string::npos);
  }
  // The configuration holds no share and no key.
  std::string json = split.config.ToJson();
  for (const std::string& share : split.shares) {
    EXPECT_EQ(json.find(share.substr(share.size() - 61, 52)), std::string::npos);
  }
  EXPECT_EQ(json.find(HexEncode(root.span())), std::string::npos);
}

TEST(RootSealTest, AnyThresholdOfSharesUnsealsWithProgress) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 3, 5);
  for (const auto& pick : std::vector<std::vector<int>>{{0, 1, 2}, {4, 2, 0}, {1, 3, 4}}) {
    UnsealSession session(split.config);
    EXPECT_EQ(session.Progress().progress, 0);
    EXPECT_EQ(session.Progress().threshold, 3);
    EXPECT_EQ(session.TakeRootKey().status().code(), StatusCode::kUnavailable);
    for (size_t i = 0; i < pick.size(); ++i) {
      auto progress = session.Add(split.shares[static_cast<size_t>(pick[i])]);
      ASSERT_TRUE(progress.ok()) << progress.status().ToString();
      EXPECT_EQ(progress->progress, static_cast<int>(i + 1));
      EXPECT_EQ(progress->threshold, 3);
      EXPECT_EQ(progress->complete, i + 1 == pick.size());
    }
    auto rebuilt = session.TakeRootKey();
    ASSERT_TRUE(rebuilt.ok());
    EXPECT_TRUE(*rebuilt == root);
    EXPECT_EQ(session.Add(split.shares[3]).status().reason(), "already_unsealed");
  }
}

TEST(RootSealTest, WhitespaceLineBreaksAndCaseAreTolerated) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 1, 1);
  std::string pasted;
  for (char c : split.shares[0]) pasted.push_back(static_cast<char>(std::toupper(c)));
  pasted.insert(30, "\n  ");
  pasted = "  " + pasted + "\r\n";
  UnsealSession session(split.config);
  ASSERT_TRUE(session.Add(pasted).ok());
  EXPECT_TRUE(*session.TakeRootKey() == root);
}

TEST(RootSealTest, MistypedShareIsNamedByItsIndex) {
  ShamirSplitResult split = Split(SecretBytes::Random(kRootKeySize), 2, 3);
  std::string typo = split.shares[1];
  typo[50] = typo[50] == 'a' ? 'b' : 'a';  // inside the payload
  UnsealSession session(split.config);
  ExpectShareError(session.Add(typo), "share_checksum", "share 2");
  EXPECT_EQ(session.Progress().progress, 0);
}

TEST(RootSealTest, AlteredShareWithRecomputedCheckIsDetectedBeforeCombining) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 2, 3);
  std::string forged = split.shares[2];
  size_t end = forged.rfind('-');
  size_t start = forged.rfind('-', end - 1) + 1;
  std::string payload = forged.substr(start, end - start);
  payload[5] = payload[5] == 'q' ? 'r' : 'q';
  forged = WithFreshCheck(WithPayload(forged, payload));
  UnsealSession session(split.config);
  ASSERT_TRUE(session.Add(split.shares[0]).ok());
  ExpectShareError(session.Add(forged), "share_tampered", "share 3");
  EXPECT_FALSE(session.Progress().complete);
  ASSERT_TRUE(session.Add(split.shares[1]).ok());
  EXPECT_TRUE(*session.TakeRootKey() == root);
}

TEST(RootSealTest, ShareFromAnotherStoreIsRefused) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult mine = Split(root, 2, 3);
  ShamirSplitResult theirs = Split(root, 2, 3, "fedcba9876543210fedcba9876543210");
  UnsealSession session(mine.config);
  ExpectShareError(session.Add(theirs.shares[0]), "share_foreign", "share 1");
}

TEST(RootSealTest, ShareFromBeforeARekeyIsRefused) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult before = Split(root, 2, 3);
  ShamirSplitResult after = Split(SecretBytes::Random(kRootKeySize), 2, 3);
  UnsealSession session(after.config);
  ExpectShareError(session.Add(before.shares[1]), "share_stale", "share 2");
}

TEST(RootSealTest, DuplicateShareIsRefused) {
  ShamirSplitResult split = Split(SecretBytes::Random(kRootKeySize), 3, 3);
  UnsealSession session(split.config);
  ASSERT_TRUE(session.Add(split.shares[0]).ok());
  auto again = session.Add(split.shares[0]);
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  ExpectShareError(again, "share_duplicate", "share 1");
  EXPECT_EQ(session.Progress().progress, 1);
}

TEST(RootSealTest, MalformedSharesAreRefusedWithoutCrashing) {
  ShamirSplitResult split = Split(SecretBytes::Random(kRootKeySize), 2, 3);
  const std::string good = split.shares[0];
  UnsealSession session(split.config);
  for (std::string bad : {std::string(), std::string("hello"), good.substr(0, 20),
                          std::string("warden-share-v2") + good.substr(15), std::string(1000, '-'),
                          good + "-extra"}) {
    auto result = session.Add(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  }
  // Index 0 and 17 cannot exist.
  for (std::string_view index : {"0", "17"}) {
    std::string bad = good;
    size_t pos = bad.find("-2of3-") + 6;
    bad.replace(pos, 1, index);
    EXPECT_EQ(session.Add(WithFreshCheck(bad)).status().reason(), "share_malformed");
  }
  // A payload one character short, with a valid check.
  std::string shortened = good;
  size_t end = shortened.rfind('-');
  shortened.erase(end - 1, 1);
  EXPECT_EQ(session.Add(WithFreshCheck(shortened)).status().reason(), "share_malformed");
}

TEST(RootSealTest, PayloadIsTheShareInLowerCaseBase32) {
  ShamirSplitResult split = Split(SecretBytes::Random(kRootKeySize), 2, 3);
  for (const std::string& text : split.shares) {
    StatusOr<ParsedShare> parsed = ParseShare(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    std::string payload(52, '?');
    Base32Encode(payload, parsed->share.y.span(), Base32Case::kLower);
    size_t end = text.rfind('-');
    EXPECT_EQ(text.substr(end - 52, 52), payload);
  }
}

TEST(RootSealTest, PayloadWithStrayTrailingBitsIsRefused) {
  // 52 characters carry 260 bits: the last character holds the share's last
  // bit and four bits that must be zero ('a' or 'q').
  ShamirSplitResult split = Split(SecretBytes::Random(kRootKeySize), 2, 3);
  std::string stray = split.shares[0];
  size_t last = stray.rfind('-') - 1;
  stray[last] = stray[last] == 'a' ? 'b' : 'r';
  UnsealSession session(split.config);
  EXPECT_EQ(session.Add(WithFreshCheck(stray)).status().reason(), "share_malformed");
}

TEST(RootSealTest, AlteredVerifierMakesTheCombinationFail) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 2, 2);
  SealConfig config = split.config;
  config.verifier[0] = config.verifier[0] == '0' ? '1' : '0';
  UnsealSession session(config);
  ASSERT_TRUE(session.Add(split.shares[0]).ok());
  auto result = session.Add(split.shares[1]);
  EXPECT_EQ(result.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(session.Progress().progress, 0);
  EXPECT_FALSE(session.TakeRootKey().ok());
}

TEST(RootSealTest, AfterRekeyOldSharesNoLongerUnseal) {
  SecretBytes old_root = SecretBytes::Random(kRootKeySize);
  auto ring = KeyRing::Create(old_root.Clone());
  ASSERT_TRUE(ring.ok());
  ASSERT_TRUE((*ring)->AddCollection("persons").ok());
  ShamirSplitResult old_split = Split(old_root, 2, 3, (*ring)->KeyRingId());
  SecretBytes new_root = SecretBytes::Random(kRootKeySize);
  ASSERT_TRUE((*ring)->Rekey(new_root.Clone()).ok());
  ShamirSplitResult new_split = Split(new_root, 2, 3, (*ring)->KeyRingId());
  std::string state = (*ring)->State();

  UnsealSession with_old_shares(new_split.config);
  ExpectShareError(with_old_shares.Add(old_split.shares[0]), "share_stale", "share 1");
  // Even against the old configuration the old root no longer opens the state.
  UnsealSession old_session(old_split.config);
  ASSERT_TRUE(old_session.Add(old_split.shares[0]).ok());
  ASSERT_TRUE(old_session.Add(old_split.shares[2]).ok());
  EXPECT_FALSE(KeyRing::Load(*old_session.TakeRootKey(), state).ok());
  // The new shares do.
  UnsealSession session(new_split.config);
  ASSERT_TRUE(session.Add(new_split.shares[2]).ok());
  ASSERT_TRUE(session.Add(new_split.shares[1]).ok());
  EXPECT_TRUE(KeyRing::Load(*session.TakeRootKey(), state).ok());
}

TEST(SealConfigTest, JsonRoundTripsEveryMode) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  ShamirSplitResult split = Split(root, 3, 5);
  auto parsed = SealConfig::FromJson(split.config.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ToJson(), split.config.ToJson());
  EXPECT_TRUE(VerifyRootKey(*parsed, root).ok());
  EXPECT_EQ(VerifyRootKey(*parsed, SecretBytes::Random(kRootKeySize)).reason(), "wrong_root_key");

  SealConfig hsm;
  hsm.mode = SealMode::kPkcs11;
  hsm.keyring_id = std::string(kStoreId);
  hsm.verifier = *RootKeyVerifier(root, kStoreId);
  hsm.pkcs11 =
      Pkcs11SealConfig{"/usr/lib/softhsm/libsofthsm2.so", "warden", 7, "warden-root", "CKM_AES_GCM",
                       std::string("\x01\x02\x00\xff", 4)};
  auto hsm_parsed = SealConfig::FromJson(hsm.ToJson());
  ASSERT_TRUE(hsm_parsed.ok()) << hsm_parsed.status().ToString();
  EXPECT_EQ(hsm_parsed->pkcs11->wrapped_root_key, hsm.pkcs11->wrapped_root_key);
  EXPECT_EQ(hsm_parsed->pkcs11->slot_id, 7u);
  EXPECT_EQ(hsm_parsed->ToJson(), hsm.ToJson());
}

TEST(SealConfigTest, InvalidConfigurationNamesTheMember) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  std::string json = Split(root, 2, 3).config.ToJson();
  auto no_threshold = SealConfig::FromJson(ReplaceFirst(json, "\"threshold\"", "\"thresh\""));
  ASSERT_FALSE(no_threshold.ok());
  EXPECT_EQ(no_threshold.status().fields().at(0).field, "threshold");
  auto big = SealConfig::FromJson(ReplaceFirst(json, "\"shares\": 3", "\"shares\": 17"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().fields().at(0).field, "shares");
  auto mode = SealConfig::FromJson(ReplaceFirst(json, "shamir", "magic"));
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.status().fields().at(0).field, "mode");
  EXPECT_FALSE(SealConfig::FromJson("not json").ok());
  EXPECT_FALSE(SealConfig::FromJson("{}").ok());
}

class DevKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "warden-devkey-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string dir_;
};

TEST_F(DevKeyFileTest, RoundTripsWithOwnerOnlyPermissions) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  const std::string path = dir_ + "/root.key";
  ASSERT_TRUE(WriteDevKeyFile(path, root, kStoreId).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadDevKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(*loaded == root);
  EXPECT_NE(kDevModeWarning.find("NOT fit for real data"), std::string_view::npos);
}

TEST_F(DevKeyFileTest, DevSealConfigUnsealsOnlyItsOwnKey) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  const std::string path = dir_ + "/root.key";
  auto config = SealRootKeyWithDevKeyFile(path, root, kStoreId);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto reloaded = SealConfig::FromJson(config->ToJson());
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->mode, SealMode::kDev);
  EXPECT_TRUE(*UnsealWithDevKeyFile(*reloaded) == root);
  // Another store's key file dropped in its place is refused.
  ASSERT_TRUE(WriteDevKeyFile(path, SecretBytes::Random(kRootKeySize), kStoreId).ok());
  EXPECT_EQ(UnsealWithDevKeyFile(*reloaded).status().reason(), "wrong_root_key");
}

TEST_F(DevKeyFileTest, GroupReadableFileIsRefused) {
  const std::string path = dir_ + "/root.key";
  ASSERT_TRUE(WriteDevKeyFile(path, SecretBytes::Random(kRootKeySize), kStoreId).ok());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(LoadDevKeyFile(path).status().code(), StatusCode::kPermissionDenied);
}

TEST_F(DevKeyFileTest, MalformedOrMissingFileIsRefused) {
  const std::string path = dir_ + "/root.key";
  ASSERT_TRUE(FileSystem::Default().WriteFileAtomic(path, "warden-dev-root-key-v1 x zz\n").ok());
  EXPECT_EQ(LoadDevKeyFile(path).status().reason(), "key_file_malformed");
  EXPECT_FALSE(LoadDevKeyFile(dir_ + "/absent.key").ok());
}

}  // namespace
}  // namespace warden::crypto
