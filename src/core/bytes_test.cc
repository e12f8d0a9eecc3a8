#include "core/bytes.h"

#include <gtest/gtest.h>

namespace warden {
namespace {

TEST(HexTest, RoundTripAndRejects) {
  EXPECT_EQ(HexEncode(std::string_view("\x01\xab\xff", 3)), "01abff");
  EXPECT_EQ(*HexDecode("01ABff"), std::string("\x01\xab\xff", 3));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(std::string_view("")), "");
  EXPECT_EQ(Base64Encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(Base64Encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string_view("fo"), /*url=*/true), "Zm8");
  EXPECT_EQ(*Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*Base64Decode("Zm9vYmE"), "fooba");
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(Base64Decode("Z").has_value());
}

TEST(Base64Test, UrlAlphabetRoundTrip) {
  std::string bytes = "\xfb\xff\xfe";
  EXPECT_EQ(*Base64Decode(Base64Encode(bytes, true)), bytes);
}

TEST(BigEndianTest, SortsNumerically) {
  std::string a, b;
  PutBigEndian64(a, 255);
  PutBigEndian64(b, 256);
  EXPECT_LT(a, b);
  EXPECT_EQ(GetBigEndian64(b), 256u);
  std::string c;
  PutBigEndian32(c, 0xdeadbeef);
  EXPECT_EQ(GetBigEndian32(c), 0xdeadbeefu);
}

}  // namespace
}  // namespace warden
