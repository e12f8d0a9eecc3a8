#include "crypto/envelope.h"

#include <gtest/gtest.h>

#include <random>

#include "core/bytes.h"

namespace warden::crypto {
namespace {

constexpr std::string_view kStore = "0123456789abcdef";  // a raw key ring id
constexpr std::string_view kPlain = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
constexpr EnvelopeUse kUses[] = {EnvelopeUse::kRecord, EnvelopeUse::kAccountSecret,
                                 EnvelopeUse::kAuditContext};

SecretBytes Key(char fill) { return SecretBytes::CopyFrom(std::string(kAes256KeySize, fill)); }

// Holds version 1 ('1' * 32) and version 2 ('2' * 32).
class EnvelopeTest : public ::testing::Test {
 protected:
  EnvelopeTest() : v1_(Key('1')), v2_(Key('2')) {}

  EnvelopeKeyLookup Lookup() const {
    return [this](uint32_t version) -> const SecretBytes* {
      if (version == 1) return &v1_;
      if (version == 2) return &v2_;
      return nullptr;
    };
  }

  std::string Seal(std::string_view plain = kPlain, uint32_t version = 2,
                   EnvelopeUse use = EnvelopeUse::kAccountSecret) const {
    auto sealed = SealEnvelope(use, kStore, {"password", "a_0011"}, version,
                               version == 1 ? v1_ : v2_, AsBytes(plain));
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    return sealed.ok() ? *sealed : std::string();
  }

  StatusOr<std::string> Open(std::string_view sealed,
                             EnvelopeUse use = EnvelopeUse::kAccountSecret) const {
    return OpenEnvelope(use, kStore, {"password", "a_0011"}, sealed, Lookup());
  }

  static void ExpectRefused(const StatusOr<std::string>& opened, std::string_view reason) {
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(opened.status().reason(), reason) << opened.status().ToString();
  }

  SecretBytes v1_;
  SecretBytes v2_;
};

TEST_F(EnvelopeTest, EveryUseRoundTrips) {
  for (EnvelopeUse use : kUses) {
    for (std::string_view plain : {std::string_view(), kPlain}) {
      std::string sealed = Seal(plain, 2, use);
      EXPECT_EQ(sealed.size(), plain.size() + kEnvelopeOverhead);
      StatusOr<std::string> opened = Open(sealed, use);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      EXPECT_EQ(*opened, plain);
    }
  }
}

TEST_F(EnvelopeTest, HeaderIsFormatAlgorithmVersionAndNonce) {
  std::string sealed = Seal(kPlain, 2);
  EXPECT_EQ(HexEncode(sealed.substr(0, 6)), "010100000002");
  StatusOr<EnvelopeHeader> header = ParseEnvelopeHeader(sealed);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->format, kEnvelopeFormatV1);
  EXPECT_EQ(header->algorithm, kAlgorithmAes256Gcm);
  EXPECT_EQ(header->key_version, 2u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(header->nonce.data()), kGcmNonceSize),
            sealed.substr(6, kGcmNonceSize));
  EXPECT_EQ(sealed.find("argon2"), std::string::npos);
  std::string rebuilt;
  AppendEnvelopeHeader(*header, rebuilt);
  EXPECT_EQ(rebuilt, sealed.substr(0, kEnvelopeHeaderSize));
}

TEST_F(EnvelopeTest, TwoSealsOfOneValueDiffer) { EXPECT_NE(Seal(), Seal()); }

// The associated data, spelled out byte by byte as docs/ciphertext_format.md
// gives it: an envelope made with exactly these bytes opens.
TEST_F(EnvelopeTest, AssociatedDataIsTheDocumentedBytes) {
  const std::string nonce(kGcmNonceSize, '\x07');
  std::string aad("warden-account-secret-v1\0", 25);
  aad += std::string("\0\0\0\x10", 4) + std::string(kStore);
  aad += std::string("\x01\x01\0\0\0\x02", 6);
  aad += std::string("\0\0\0\x08", 4) + "password";
  aad += std::string("\0\0\0\x06", 4) + "a_0011";
  std::string built;
  EnvelopeHeader header;
  header.key_version = 2;
  header.nonce.fill(7);
  AppendEnvelopeAssociatedData(EnvelopeUse::kAccountSecret, kStore, header, {"password", "a_0011"},
                               built);
  EXPECT_EQ(HexEncode(built), HexEncode(aad));

  auto body = Aes256GcmSeal(v2_, AsBytes(nonce), AsBytes(kPlain), AsBytes(aad));
  ASSERT_TRUE(body.ok());
  std::string sealed = std::string("\x01\x01\0\0\0\x02", 6) + nonce + *body;
  StatusOr<std::string> opened = Open(sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, kPlain);
}

TEST_F(EnvelopeTest, LabelsNameTheUse) {
  EXPECT_EQ(EnvelopeLabel(EnvelopeUse::kRecord), "warden-record-v1");
  EXPECT_EQ(EnvelopeLabel(EnvelopeUse::kAccountSecret), "warden-account-secret-v1");
  EXPECT_EQ(EnvelopeLabel(EnvelopeUse::kAuditContext), "warden-audit-context-v2");
}

TEST_F(EnvelopeTest, EnvelopeOfOneUseDoesNotOpenAsAnother) {
  ExpectRefused(Open(Seal(kPlain, 2, EnvelopeUse::kAccountSecret), EnvelopeUse::kAuditContext),
                "audit_context_authentication_failed");
  ExpectRefused(Open(Seal(kPlain, 2, EnvelopeUse::kAuditContext), EnvelopeUse::kRecord),
                "record_authentication_failed");
  ExpectRefused(Open(Seal(kPlain, 2, EnvelopeUse::kRecord), EnvelopeUse::kAccountSecret),
                "account_secret_authentication_failed");
}

TEST_F(EnvelopeTest, EveryBindingPartTamperedIsRefused) {
  std::string sealed = Seal();
  auto open_with = [&](std::string_view store, std::initializer_list<std::string_view> binding) {
    return OpenEnvelope(EnvelopeUse::kAccountSecret, store, binding, sealed, Lookup());
  };
  ASSERT_TRUE(open_with(kStore, {"password", "a_0011"}).ok());
  constexpr std::string_view kFailed = "account_secret_authentication_failed";
  ExpectRefused(open_with("0123456789abcdeF", {"password", "a_0011"}), kFailed);
  ExpectRefused(open_with("", {"password", "a_0011"}), kFailed);
  ExpectRefused(open_with(kStore, {"totp", "a_0011"}), kFailed);
  ExpectRefused(open_with(kStore, {"password", "a_0012"}), kFailed);
  ExpectRefused(open_with(kStore, {"password"}), kFailed);
  ExpectRefused(open_with(kStore, {"password", "a_0011", ""}), kFailed);
  ExpectRefused(open_with(kStore, {}), kFailed);
  // Length prefixes keep a boundary from moving between parts.
  ExpectRefused(open_with(kStore, {"passworda", "_0011"}), kFailed);
  ExpectRefused(open_with(kStore, {"passwor", "da_0011"}), kFailed);
  ExpectRefused(open_with(kStore, {std::string_view("password\0\0\0\x06"
                                                    "a_0011",
                                                    18)}),
                kFailed);
}

TEST_F(EnvelopeTest, EveryFlippedBitIsRefused) {
  std::string sealed = Seal("short");
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::string bad = sealed;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(Open(bad).ok()) << "bit " << bit;
  }
}

TEST_F(EnvelopeTest, VersionRewrittenToAnotherHeldKeyFailsAuthentication) {
  std::string sealed = Seal(kPlain, 2);
  sealed[5] = 1;
  ExpectRefused(Open(sealed), "account_secret_authentication_failed");
}

TEST_F(EnvelopeTest, VersionNotHeldIsUnknown) {
  std::string sealed = Seal(kPlain, 2);
  sealed[5] = 3;
  ExpectRefused(Open(sealed), "unknown_key_version");
  sealed.replace(2, 4, "\xff\xff\xff\xff");
  ExpectRefused(Open(sealed), "unknown_key_version");
}

TEST_F(EnvelopeTest, UnknownFormatAlgorithmOrVersionZeroIsMalformed) {
  const std::string sealed = Seal();
  for (int format : {0x00, 0x02, 0x80, 0xff}) {
    std::string bad = sealed;
    bad[0] = static_cast<char>(format);
    ExpectRefused(Open(bad), "malformed_ciphertext");
  }
  for (int algorithm : {0x00, 0x02, 0xff}) {
    std::string bad = sealed;
    bad[1] = static_cast<char>(algorithm);
    ExpectRefused(Open(bad), "malformed_ciphertext");
  }
  std::string zero = sealed;
  zero.replace(2, 4, std::string(4, '\0'));
  ExpectRefused(Open(zero), "malformed_ciphertext");
}

TEST_F(EnvelopeTest, TruncationAtEveryLengthIsRefused) {
  const std::string sealed = Seal();
  for (size_t n = 0; n < sealed.size(); ++n) {
    std::string_view cut = std::string_view(sealed).substr(0, n);
    if (n < kEnvelopeOverhead) {
      EXPECT_EQ(ParseEnvelopeHeader(cut).status().reason(), "malformed_ciphertext") << n;
      ExpectRefused(Open(cut), "malformed_ciphertext");
    } else {
      ExpectRefused(Open(cut), "account_secret_authentication_failed");
    }
  }
  std::string longer = sealed + '\0';
  ExpectRefused(Open(longer), "account_secret_authentication_failed");
}

TEST_F(EnvelopeTest, ParserAcceptsOnlyWellFormedHeaders) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 1 : rng());
    StatusOr<EnvelopeHeader> header = ParseEnvelopeHeader(bytes);
    if (!header.ok()) {
      EXPECT_EQ(header.status().reason(), "malformed_ciphertext");
      continue;
    }
    EXPECT_GE(bytes.size(), kEnvelopeOverhead);
    EXPECT_EQ(bytes[0], 1);
    EXPECT_EQ(bytes[1], 1);
    EXPECT_NE(header->key_version, 0u);
  }
}

TEST_F(EnvelopeTest, MessagesNameNoBindingOrPlaintext) {
  std::string sealed = Seal();
  sealed.back() ^= 1;
  StatusOr<std::string> opened = Open(sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message().find("a_0011"), std::string::npos);
  EXPECT_EQ(opened.status().message().find("argon2"), std::string::npos);
}

TEST(EnvelopeKeysTest, SealsUnderTheCurrentVersionAndOpensEveryHeldOne) {
  EnvelopeKeys keys{std::string(kStore)};
  ASSERT_TRUE(keys.Add(1, Key('1')).ok());
  EXPECT_EQ(keys.current_version(), 1u);
  auto under_1 = keys.Seal(EnvelopeUse::kAuditContext, {"acct", "sess"}, AsBytes(kPlain));
  ASSERT_TRUE(under_1.ok());
  ASSERT_TRUE(keys.Add(2, Key('2')).ok());
  EXPECT_EQ(keys.current_version(), 2u);
  auto under_2 = keys.Seal(EnvelopeUse::kAuditContext, {"acct", "sess"}, AsBytes(kPlain));
  ASSERT_TRUE(under_2.ok());
  EXPECT_EQ(ParseEnvelopeHeader(*under_1)->key_version, 1u);
  EXPECT_EQ(ParseEnvelopeHeader(*under_2)->key_version, 2u);
  for (const std::string& sealed : {*under_1, *under_2}) {
    auto opened = keys.Open(EnvelopeUse::kAuditContext, {"acct", "sess"}, sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, kPlain);
  }
}

TEST(EnvelopeKeysTest, AnotherStoresKeysDoNotOpen) {
  EnvelopeKeys ours{std::string(kStore)};
  EnvelopeKeys theirs{"fedcba9876543210"};
  ASSERT_TRUE(ours.Add(1, Key('1')).ok());
  ASSERT_TRUE(theirs.Add(1, Key('1')).ok());
  auto sealed = theirs.Seal(EnvelopeUse::kAccountSecret, {"totp", "a"}, AsBytes(kPlain));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(ours.Open(EnvelopeUse::kAccountSecret, {"totp", "a"}, *sealed).status().reason(),
            "account_secret_authentication_failed");
}

TEST(EnvelopeKeysTest, EmptySetDoesNotSeal) {
  EnvelopeKeys keys{std::string(kStore)};
  EXPECT_EQ(keys.current_version(), 0u);
  EXPECT_FALSE(keys.Seal(EnvelopeUse::kAccountSecret, {}, AsBytes(kPlain)).ok());
}

TEST(EnvelopeKeysTest, BadVersionsAndKeysAreRefused) {
  EnvelopeKeys keys{std::string(kStore)};
  EXPECT_EQ(keys.Add(0, Key('0')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.Add(1, SecretBytes::CopyFrom("short")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(keys.Add(1, Key('1')).ok());
  EXPECT_EQ(keys.Add(1, Key('x')).code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace warden::crypto
