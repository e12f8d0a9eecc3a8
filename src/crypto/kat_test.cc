// Known-answer tests for every primitive, from the standards that define them:
// NIST/GCM-spec AES-256-GCM vectors, RFC 4231 (HMAC-SHA256), RFC 5869 (HKDF),
// RFC 8032 (Ed25519) and RFC 7748 (X25519).
#include <gtest/gtest.h>

#include <string>

#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

std::string Hex(std::string_view hex) {
  std::optional<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

SecretBytes HexSecret(std::string_view hex) { return SecretBytes::CopyFrom(Hex(hex)); }

struct GcmVector {
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

// AES-256 cases 13-16 of McGrew & Viega, "The Galois/Counter Mode of Operation",
// which NIST's CAVP gcmEncryptExtIV256 set reproduces.
constexpr GcmVector kGcmVectors[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcmKatTest, SealMatchesNistVectors) {
  for (const GcmVector& v : kGcmVectors) {
    SecretBytes key = HexSecret(v.key);
    auto sealed =
        Aes256GcmSeal(key, AsBytes(Hex(v.iv)), AsBytes(Hex(v.plaintext)), AsBytes(Hex(v.aad)));
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(HexEncode(*sealed), std::string(v.ciphertext) + v.tag);
  }
}

TEST(AesGcmKatTest, OpenMatchesNistVectorsAndRejectsWrongTag) {
  for (const GcmVector& v : kGcmVectors) {
    SecretBytes key = HexSecret(v.key);
    std::string sealed = Hex(std::string(v.ciphertext) + v.tag);
    auto opened = Aes256GcmOpen(key, AsBytes(Hex(v.iv)), AsBytes(sealed), AsBytes(Hex(v.aad)));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(HexEncode(*opened), v.plaintext);
    sealed.back() ^= 0x80;
    EXPECT_EQ(Aes256GcmOpen(key, AsBytes(Hex(v.iv)), AsBytes(sealed), AsBytes(Hex(v.aad)))
                  .status()
                  .code(),
              StatusCode::kDataLoss);
  }
}

TEST(AesGcmKatTest, WrongSizedKeyOrNonceIsRefused) {
  SecretBytes short_key(16);
  std::string nonce(kGcmNonceSize, '\0');
  EXPECT_FALSE(Aes256GcmSeal(short_key, AsBytes(nonce), AsBytes("x"), {}).ok());
  SecretBytes key(kAes256KeySize);
  std::string short_nonce(8, '\0');
  EXPECT_FALSE(Aes256GcmSeal(key, AsBytes(short_nonce), AsBytes("x"), {}).ok());
  EXPECT_FALSE(Aes256GcmOpen(key, AsBytes(nonce), AsBytes("short"), {}).ok());
}

struct HmacVector {
  std::string key;
  std::string data;
  const char* tag;
};

TEST(HmacSha256KatTest, Rfc4231Vectors) {
  const HmacVector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const HmacVector& v : vectors) {
    SecretBytes key = SecretBytes::CopyFrom(v.key);
    EXPECT_EQ(HexEncode(HmacSha256(key, AsBytes(v.data))), v.tag);
    HmacSha256Key prepared(key);
    EXPECT_EQ(HexEncode(prepared.Compute(AsBytes(v.data))), v.tag);
  }
}

TEST(HmacSha256KatTest, Rfc4231TruncatedCase5) {
  SecretBytes key = SecretBytes::CopyFrom(std::string(20, '\x0c'));
  HmacSha256Tag tag = HmacSha256(key, AsBytes("Test With Truncation"));
  EXPECT_EQ(HexEncode(std::span<const uint8_t>(tag.data(), 16)),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(Sha256KatTest, EmptyAndAbc) {
  EXPECT_EQ(HexEncode(Sha256({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

struct HkdfVector {
  const char* ikm;
  const char* salt;
  const char* info;
  size_t length;
  const char* okm;
};

TEST(HkdfKatTest, Rfc5869Vectors) {
  const HkdfVector vectors[] = {
      // Test case 1.
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
       "f0f1f2f3f4f5f6f7f8f9", 42,
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      // Test case 2: long inputs.
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
       "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
       "404142434445464748494a4b4c4d4e4f",
       "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
       "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
       "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
       "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
       "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
       82,
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
       "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
       "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      // Test case 3: empty salt and info.
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  for (const HkdfVector& v : vectors) {
    auto okm = HkdfSha256(HexSecret(v.ikm), AsBytes(Hex(v.salt)), AsBytes(Hex(v.info)), v.length);
    ASSERT_TRUE(okm.ok()) << okm.status().ToString();
    EXPECT_EQ(HexEncode(okm->span()), v.okm);
  }
}

TEST(HkdfKatTest, LengthOutOfRangeIsRefused) {
  SecretBytes ikm = SecretBytes::Random(32);
  EXPECT_FALSE(HkdfSha256(ikm, {}, {}, 0).ok());
  EXPECT_FALSE(HkdfSha256(ikm, {}, {}, 255 * 32 + 1).ok());
  EXPECT_TRUE(HkdfSha256(ikm, {}, {}, 255 * 32).ok());
}

struct Ed25519Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

TEST(Ed25519KatTest, Rfc8032Section7_1Vectors) {
  const Ed25519Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
       "9b"
       "46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
       "11"
       "d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984"
       "dc"
       "6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const Ed25519Vector& v : vectors) {
    SecretBytes seed = HexSecret(v.seed);
    auto pub = Ed25519PublicKey(seed);
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ(HexEncode(*pub), v.public_key);
    std::string message = Hex(v.message);
    auto sig = Ed25519Sign(seed, AsBytes(message));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(HexEncode(*sig), v.signature);
    EXPECT_TRUE(Ed25519Verify(AsBytes(*pub), AsBytes(message), AsBytes(*sig)));
    std::string bad = *sig;
    bad[10] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(AsBytes(*pub), AsBytes(message), AsBytes(bad)));
  }
}

TEST(Ed25519KatTest, MalformedKeysAndSignaturesAreRejected) {
  std::string sig(kEd25519SignatureSize, '\0');
  std::string pub(kEd25519PublicKeySize - 1, '\0');
  EXPECT_FALSE(Ed25519Verify(AsBytes(pub), AsBytes("m"), AsBytes(sig)));
  SecretBytes short_seed(16);
  EXPECT_FALSE(Ed25519Sign(short_seed, AsBytes("m")).ok());
}

TEST(X25519KatTest, Rfc7748Section5_2ScalarMultiplication) {
  SecretBytes scalar =
      HexSecret("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  std::string u = Hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  auto out = X25519(scalar, AsBytes(u));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(HexEncode(out->span()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

TEST(X25519KatTest, Rfc7748Section6_1DiffieHellman) {
  SecretBytes alice = HexSecret("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  SecretBytes bob = HexSecret("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  auto alice_pub = X25519PublicKey(alice);
  auto bob_pub = X25519PublicKey(bob);
  ASSERT_TRUE(alice_pub.ok() && bob_pub.ok());
  EXPECT_EQ(HexEncode(*alice_pub),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(HexEncode(*bob_pub),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const char* shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  EXPECT_EQ(HexEncode(X25519(alice, AsBytes(*bob_pub))->span()), shared);
  EXPECT_EQ(HexEncode(X25519(bob, AsBytes(*alice_pub))->span()), shared);
}

TEST(X25519KatTest, LowOrderPeerPointIsRefused) {
  SecretBytes key = SecretBytes::Random(kX25519KeySize);
  std::string zero_point(kX25519KeySize, '\0');
  EXPECT_FALSE(X25519(key, AsBytes(zero_point)).ok());
}

}  // namespace
}  // namespace warden::crypto
