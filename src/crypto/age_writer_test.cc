#include "crypto/age_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/bytes.h"

namespace warden::crypto {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An identity made by Debian's age-keygen, and files decrypted by `age -d`.
class AgeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("warden-age-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string keygen = "age-keygen -o " + (dir_ / "identity").string() + " 2>/dev/null";
    ASSERT_EQ(std::system(keygen.c_str()), 0) << "age-keygen (Debian package age) is needed";
    const std::string pub =
        "age-keygen -y -o " + (dir_ / "recipient").string() + " " + (dir_ / "identity").string();
    ASSERT_EQ(std::system(pub.c_str()), 0);
    std::string text = ReadFile(dir_ / "recipient");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    recipient_text_ = text;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Encrypts `plaintext` in writes of `piece` bytes.
  std::string Encrypt(std::string_view plaintext, size_t piece) {
    StatusOr<AgeRecipient> recipient = ParseAgeRecipient(recipient_text_);
    EXPECT_TRUE(recipient.ok()) << recipient.status().ToString();
    std::string out;
    auto writer = AgeWriter::Start(*recipient, [&](std::span<const uint8_t> bytes) {
      out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return Status::Ok();
    });
    EXPECT_TRUE(writer.ok());
    for (size_t at = 0; at < plaintext.size(); at += piece) {
      EXPECT_TRUE((*writer)->Write(AsBytes(plaintext.substr(at, piece))).ok());
    }
    EXPECT_TRUE((*writer)->Finish().ok());
    return out;
  }

  // What `age -d` makes of `ciphertext`, or nullopt when it refuses it.
  std::optional<std::string> Decrypt(std::string_view ciphertext) {
    WriteFile(dir_ / "file.age", ciphertext);
    fs::remove(dir_ / "file.out");
    const std::string cmd = "age -d -i " + (dir_ / "identity").string() + " -o " +
                            (dir_ / "file.out").string() + " " + (dir_ / "file.age").string() +
                            " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) return std::nullopt;
    return ReadFile(dir_ / "file.out");
  }

  fs::path dir_;
  std::string recipient_text_;
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

TEST_F(AgeInteropTest, AgeDecryptsEveryChunkBoundary) {
  // Empty, short, exactly one chunk (its last flag on a full chunk), one byte
  // more, and several chunks written in uneven pieces.
  for (size_t n : {size_t{0}, size_t{1}, kAgeChunkSize - 1, kAgeChunkSize, kAgeChunkSize + 1,
                   3 * kAgeChunkSize + 17}) {
    const std::string plaintext = Pattern(n);
    std::optional<std::string> back = Decrypt(Encrypt(plaintext, 1000));
    ASSERT_TRUE(back.has_value()) << "age refused a file of " << n << " bytes";
    EXPECT_EQ(*back, plaintext) << n;
  }
}

TEST_F(AgeInteropTest, AgeRefusesAFlippedPayloadByte) {
  std::string file = Encrypt(Pattern(5000), 5000);
  file[file.size() - 40] ^= 1;
  EXPECT_FALSE(Decrypt(file).has_value());
}

TEST_F(AgeInteropTest, AgeRefusesAnAlteredHeader) {
  std::string file = Encrypt("x", 1);
  const size_t at = file.find("---") - 2;  // inside the wrapped file key
  file[at] = file[at] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Decrypt(file).has_value());
}

TEST_F(AgeInteropTest, AFileCutShortDoesNotDecrypt) {
  // A generator killed before Finish leaves no final chunk: age refuses it
  // rather than yielding a truncated export.
  StatusOr<AgeRecipient> recipient = ParseAgeRecipient(recipient_text_);
  ASSERT_TRUE(recipient.ok());
  std::string out;
  auto writer = AgeWriter::Start(*recipient, [&](std::span<const uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return Status::Ok();
  });
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(AsBytes(Pattern(2 * kAgeChunkSize + 5))).ok());
  EXPECT_FALSE(Decrypt(out).has_value());
}

TEST_F(AgeInteropTest, TwoFilesOfOnePlaintextDiffer) {
  EXPECT_NE(Encrypt("same", 4), Encrypt("same", 4));
}

TEST_F(AgeInteropTest, RecipientRoundTripsThroughItsString) {
  StatusOr<AgeRecipient> recipient = ParseAgeRecipient(recipient_text_);
  ASSERT_TRUE(recipient.ok());
  EXPECT_EQ(FormatAgeRecipient(*recipient), recipient_text_);
}

TEST(AgeRecipientTest, MalformedRecipientsAreRefusedNamingTheRule) {
  const std::string good = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
  ASSERT_TRUE(ParseAgeRecipient(good).ok());
  std::string bad_checksum = good;
  bad_checksum.back() = bad_checksum.back() == 'p' ? 'q' : 'p';
  std::string short_key = good.substr(0, 30);
  for (const std::string& text :
       {std::string(), std::string("age1"), std::string("ssh-ed25519 AAAAC3Nza"), bad_checksum,
        short_key, std::string("age1QL3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"),
        "bge1" + good.substr(4), good + "q"}) {
    StatusOr<AgeRecipient> r = ParseAgeRecipient(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().reason(), "recipient_malformed") << text;
  }
}

TEST(AgeRecipientTest, LowOrderKeyIsRefused) {
  AgeRecipient zero;  // the all-zero point has order 1
  StatusOr<AgeRecipient> r = ParseAgeRecipient(FormatAgeRecipient(zero));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "recipient_low_order");
}

TEST(AgeWriterTest, SinkErrorStopsTheWriter) {
  StatusOr<AgeRecipient> recipient =
      ParseAgeRecipient("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p");
  ASSERT_TRUE(recipient.ok());
  size_t calls = 0;
  auto writer = AgeWriter::Start(*recipient, [&](std::span<const uint8_t>) {
    return ++calls > 2 ? Unavailable("disk full") : Status::Ok();
  });
  ASSERT_TRUE(writer.ok());
  EXPECT_FALSE((*writer)->Write(AsBytes(Pattern(kAgeChunkSize + 1))).ok());
  EXPECT_FALSE((*writer)->Finish().ok());
}

}  // namespace
}  // namespace warden::crypto
