#include "crypto/primitives.h"

#include <gtest/gtest.h>

#include "core/bytes.h"

namespace warden::crypto {
namespace {

// RFC 4231 test case 2.
TEST(HmacSha256Test, Rfc4231Case2) {
  SecretBytes key = SecretBytes::CopyFrom(std::string_view("Jefe"));
  HmacSha256Tag tag = HmacSha256(key, AsBytes("what do ya want for nothing?"));
  EXPECT_EQ(HexEncode(tag), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// The seal/open round trip and tamper detection; NIST vectors are in kat_test.cc.
TEST(AesGcmTest, FlippedBitFailsToOpen) {
  SecretBytes key = SecretBytes::Random(kAes256KeySize);
  std::string nonce(kGcmNonceSize, '\x01');
  auto sealed = Aes256GcmSeal(key, AsBytes(nonce), AsBytes("payload"), AsBytes("aad"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*Aes256GcmOpen(key, AsBytes(nonce), AsBytes(*sealed), AsBytes("aad")), "payload");
  EXPECT_EQ(Aes256GcmOpen(key, AsBytes(nonce), AsBytes(*sealed), AsBytes("aae")).status().code(),
            StatusCode::kDataLoss);
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(Aes256GcmOpen(key, AsBytes(nonce), AsBytes(bad), AsBytes("aad")).ok()) << i;
  }
}

TEST(Ed25519Test, SignVerifyAndRejectTampering) {
  SecretBytes seed = SecretBytes::Random(kEd25519SeedSize);
  std::string pub = *Ed25519PublicKey(seed);
  std::string sig = *Ed25519Sign(seed, AsBytes("checkpoint 42"));
  EXPECT_TRUE(Ed25519Verify(AsBytes(pub), AsBytes("checkpoint 42"), AsBytes(sig)));
  EXPECT_FALSE(Ed25519Verify(AsBytes(pub), AsBytes("checkpoint 43"), AsBytes(sig)));
}

}  // namespace
}  // namespace warden::crypto
