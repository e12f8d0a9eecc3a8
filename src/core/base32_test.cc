#include "core/base32.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/bytes.h"

namespace warden {
namespace {

std::string Encode(std::string_view bytes, Base32Case letter_case = Base32Case::kUpper) {
  std::string out(Base32EncodedSize(bytes.size()), '?');
  Base32Encode(out, AsBytes(bytes), letter_case);
  return out;
}

std::optional<std::string> Decode(std::string_view text,
                                  Base32Reading reading = Base32Reading::kCanonical) {
  std::string out(Base32MaxDecodedSize(text.size()), '\0');
  std::optional<size_t> n =
      Base32Decode({reinterpret_cast<uint8_t*>(out.data()), out.size()}, text, reading);
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

// RFC 4648 section 10, without the padding.
struct Vector {
  std::string_view bytes;
  std::string_view text;
};
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "MY"},
    {"fo", "MZXQ"},
    {"foo", "MZXW6"},
    {"foob", "MZXW6YQ"},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI"},
};

TEST(Base32Test, EncodesTheRfc4648Vectors) {
  for (const Vector& v : kRfc4648) {
    EXPECT_EQ(Encode(v.bytes), v.text) << v.bytes;
    std::string lower(v.text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(Encode(v.bytes, Base32Case::kLower), lower) << v.bytes;
  }
}

TEST(Base32Test, DecodesTheRfc4648VectorsInEitherCase) {
  for (const Vector& v : kRfc4648) {
    EXPECT_EQ(Decode(v.text), v.bytes) << v.text;
    std::string lower(v.text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(Decode(lower), v.bytes) << lower;
  }
}

TEST(Base32Test, EveryByteValueAndLengthRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i * 7 + 3));
  for (size_t length = 0; length <= bytes.size(); length += 1 + length / 8) {
    const std::string_view in = std::string_view(bytes).substr(0, length);
    for (Base32Case letter_case : {Base32Case::kUpper, Base32Case::kLower}) {
      EXPECT_EQ(Decode(Encode(in, letter_case)), in) << length;
    }
  }
}

TEST(Base32Test, CharactersOutsideTheAlphabetAreRefused) {
  // '0', '1', '8' and '9' are left out of the alphabet as easily misread;
  // the others border the ranges it uses.
  for (std::string_view bad : {"MZXW0", "MZXW1", "MZXW8", "MZXW9", "MZXW@", "MZXW[", "MZXW`",
                               "MZXW{", "MZXW/", "MZX\xc3\x96", "MZ\nXW"}) {
    EXPECT_EQ(Decode(bad), std::nullopt) << bad;
    EXPECT_EQ(Decode(bad, Base32Reading::kLenient), std::nullopt) << bad;
  }
}

TEST(Base32Test, CanonicalReadingRefusesPaddingSpacesAndStrayBits) {
  EXPECT_EQ(Decode("MY======"), std::nullopt);
  EXPECT_EQ(Decode("MZXW 6YTB"), std::nullopt);
  EXPECT_EQ(Decode("MZ"), std::nullopt);  // trailing bits 01 are not zero
  EXPECT_EQ(Decode("M"), std::nullopt);   // 5 bits: no byte string encodes to one character
  EXPECT_EQ(Decode("A"), std::nullopt);
  EXPECT_EQ(Decode("MZX"), std::nullopt);     // nor to 3 characters
  EXPECT_EQ(Decode("MZXW6Y"), std::nullopt);  // nor to 6
}

TEST(Base32Test, LenientReadingSkipsPaddingAndSpacesAndDropsStrayBits) {
  EXPECT_EQ(Decode("mzxw6ytboi======", Base32Reading::kLenient), "foobar");
  EXPECT_EQ(Decode("MZXW 6YTB OI", Base32Reading::kLenient), "foobar");
  EXPECT_EQ(Decode("MZ", Base32Reading::kLenient), "f");
  EXPECT_EQ(Decode("A", Base32Reading::kLenient), "");
}

TEST(Base32Test, AnOutputTooSmallIsRefusedAndWiped) {
  std::vector<uint8_t> out(5, 0xAA);
  EXPECT_EQ(Base32Decode(std::span(out).first(5), "MZXW6YTBOI", Base32Reading::kCanonical),
            std::nullopt);
  EXPECT_EQ(out, std::vector<uint8_t>(5, 0));
  EXPECT_EQ(Base32Decode(out, "MZXW6YTB", Base32Reading::kCanonical), 5u);
  EXPECT_EQ(AsChars(out), "fooba");
}

TEST(Base32Test, EncodingWritesOnlyItsOwnLength) {
  std::string out(12, '.');
  Base32Encode(out, AsBytes("foobar"), Base32Case::kUpper);
  EXPECT_EQ(out, "MZXW6YTBOI..");
}

}  // namespace
}  // namespace warden
