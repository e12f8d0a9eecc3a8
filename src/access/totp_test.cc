#include "access/totp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warden::access {
namespace {

SecretBytes Rfc6238Secret() { return SecretBytes::CopyFrom(std::string("12345678901234567890")); }

// RFC 6238 Appendix B, SHA-1 column (8 digits).
TEST(TotpTest, Rfc6238KnownAnswers) {
  SecretBytes secret = Rfc6238Secret();
  EXPECT_EQ(TotpCode(secret, 59, 8), "94287082");
  EXPECT_EQ(TotpCode(secret, 1111111109, 8), "07081804");
  EXPECT_EQ(TotpCode(secret, 1111111111, 8), "14050471");
  EXPECT_EQ(TotpCode(secret, 1234567890, 8), "89005924");
  EXPECT_EQ(TotpCode(secret, 2000000000, 8), "69279037");
  EXPECT_EQ(TotpCode(secret, 20000000000, 8), "65353130");
}

// RFC 4226 Appendix D: HOTP values for counters 0..9.
TEST(TotpTest, Rfc4226HotpKnownAnswers) {
  SecretBytes secret = Rfc6238Secret();
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(HotpCode(secret, i), expected[i]) << i;
}

TEST(TotpTest, SixDigitCodeIsTheLowDigitsOfTheEightDigitOne) {
  EXPECT_EQ(TotpCode(Rfc6238Secret(), 59), "287082");
}

TEST(TotpTest, Base32MatchesRfc4648Vectors) {
  EXPECT_EQ(Base32Encode(SecretBytes::CopyFrom(std::string("foobar"))).view(), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode(SecretBytes::CopyFrom(std::string("f"))).view(), "MY");
  auto decoded = Base32Decode("mzxw6ytboi======");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->view(), "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1").has_value());  // '1' is not in the alphabet
  // The RFC 6238 test secret as authenticator apps are given it.
  EXPECT_EQ(Base32Encode(Rfc6238Secret()).view(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_TRUE(*Base32Decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == Rfc6238Secret());
}

TEST(TotpTest, AdjacentStepsAcceptedFartherOnesRefused) {
  SecretBytes secret = Rfc6238Secret();
  const int64_t now = 1'700'000'000;
  const int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(secret, TotpCode(secret, now - 30), now, 0), step - 1);
  EXPECT_EQ(MatchTotp(secret, TotpCode(secret, now + 30), now, 0), step + 1);
  EXPECT_FALSE(MatchTotp(secret, TotpCode(secret, now - 60), now, 0).has_value());
  EXPECT_FALSE(MatchTotp(secret, TotpCode(secret, now + 60), now, 0).has_value());
}

TEST(TotpTest, UsedStepCannotBeReplayed) {
  SecretBytes secret = Rfc6238Secret();
  const int64_t now = 1'700'000'000;
  std::string code = TotpCode(secret, now);
  auto first = MatchTotp(secret, code, now, 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(MatchTotp(secret, code, now, *first).has_value());
  EXPECT_FALSE(MatchTotp(secret, code, now + 29, *first).has_value());
}

TEST(TotpTest, AlreadyUsedTellsAReplayFromAWrongCode) {
  SecretBytes secret = Rfc6238Secret();
  const int64_t now = 1'700'000'000;
  const int64_t step = TotpStep(now);
  std::string code = TotpCode(secret, now);
  EXPECT_FALSE(TotpAlreadyUsed(secret, code, now, step - 1));                    // not used yet
  EXPECT_TRUE(TotpAlreadyUsed(secret, code, now, step));                         // used
  EXPECT_TRUE(TotpAlreadyUsed(secret, TotpCode(secret, now - 30), now, step));   // older, in window
  EXPECT_FALSE(TotpAlreadyUsed(secret, TotpCode(secret, now - 60), now, step));  // out of window
  std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_FALSE(TotpAlreadyUsed(secret, wrong, now, step));
  EXPECT_FALSE(TotpAlreadyUsed(secret, code + "0", now, step));
}

TEST(TotpTest, MalformedCodesNeverMatch) {
  SecretBytes secret = Rfc6238Secret();
  const int64_t now = 1'700'000'000;
  std::string code = TotpCode(secret, now);
  EXPECT_FALSE(MatchTotp(secret, "", now, 0).has_value());
  EXPECT_FALSE(MatchTotp(secret, code + "0", now, 0).has_value());
  EXPECT_FALSE(MatchTotp(secret, code.substr(1), now, 0).has_value());
}

TEST(TotpTest, OtpauthUriCarriesParametersAndEncodesLabel) {
  SecretBytes uri = OtpauthUri("Warden", "li wei", SecretBytes::CopyFrom(std::string("foobar")));
  EXPECT_EQ(uri.view(),
            "otpauth://totp/Warden:li%20wei?secret=MZXW6YTBOI&issuer=Warden&algorithm=SHA1"
            "&digits=6&period=30");
}

TEST(TotpTest, QrCodeTextIsSquareWithQuietZone) {
  SecretBytes uri = OtpauthUri("Warden", "li.wei", Rfc6238Secret());
  StatusOr<SecretBytes> qr = QrCodeText(uri);
  ASSERT_TRUE(qr.ok()) << qr.status().ToString();
  std::string text(qr->view());
  // Count characters (code points), not bytes: every line has the same width.
  std::vector<size_t> widths(1, 0);
  for (unsigned char c : text) {
    if (c == '\n') {
      widths.push_back(0);
    } else if ((c & 0xC0) != 0x80) {
      ++widths.back();
    }
  }
  widths.pop_back();  // after the final newline
  ASSERT_FALSE(widths.empty());
  for (size_t w : widths) EXPECT_EQ(w, widths[0]);
  // 21+ modules plus a 2-module quiet zone each side; two rows per line.
  EXPECT_GE(widths[0], 25u);
  EXPECT_EQ(widths.size(), (widths[0] + 1) / 2);
  EXPECT_NE(text.find("\u2588\u2588\u2588\u2588"), std::string::npos);
  EXPECT_NE(text.find(' '), std::string::npos);  // dark modules exist
}

TEST(TotpTest, QrCodeSvgIsADocument) {
  StatusOr<SecretBytes> svg = QrCodeSvg(SecretBytes::CopyFrom(std::string("otpauth://totp/x")));
  ASSERT_TRUE(svg.ok());
  EXPECT_TRUE(svg->view().starts_with("<svg "));
  EXPECT_NE(svg->view().find("h1v1h-1z"), std::string_view::npos);
}

}  // namespace
}  // namespace warden::access
