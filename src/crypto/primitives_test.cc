#include "crypto/primitives.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

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

TEST(RandomNonceTest, NoncesDoNotRepeatAcrossBufferRefills) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {  // about 15 refills of the 4 KiB buffer
    std::string nonce(kGcmNonceSize, '\0');
    RandomNonceBytes({reinterpret_cast<uint8_t*>(nonce.data()), nonce.size()});
    EXPECT_TRUE(seen.insert(nonce).second) << i;
  }
}

TEST(RandomNonceTest, ForkedChildDoesNotRepeatTheParentsNonces) {
  uint8_t warm[kGcmNonceSize];
  RandomNonceBytes(warm);  // the parent's buffer now holds future nonces
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    uint8_t nonce[kGcmNonceSize];
    RandomNonceBytes(nonce);
    _exit(write(fds[1], nonce, sizeof(nonce)) == sizeof(nonce) ? 0 : 1);
  }
  uint8_t from_child[kGcmNonceSize];
  ASSERT_EQ(read(fds[0], from_child, sizeof(from_child)), static_cast<ssize_t>(kGcmNonceSize));
  int status = 0;
  waitpid(child, &status, 0);
  close(fds[0]);
  close(fds[1]);
  uint8_t mine[kGcmNonceSize];
  RandomNonceBytes(mine);
  EXPECT_FALSE(ConstantTimeEquals(std::span<const uint8_t>(mine), from_child));
}

}  // namespace
}  // namespace warden::crypto
