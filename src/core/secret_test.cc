#include "core/secret.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace warden {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST(SecretBytesTest, RandomSecretsDiffer) {
  SecretBytes a = SecretBytes::Random(32), b = SecretBytes::Random(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_FALSE(a == b);
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom(std::string_view("key material"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the contract
  EXPECT_EQ(b.view(), "key material");
}

TEST(SecretBytesTest, CloneIsEqualButDistinct) {
  SecretBytes a = SecretBytes::Random(16);
  SecretBytes b = a.Clone();
  EXPECT_TRUE(a == b);
  EXPECT_NE(a.data(), b.data());
  b.data()[0] ^= 1;
  EXPECT_FALSE(a == b);
}

TEST(ConstantTimeEqualsTest, LengthAndContent) {
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("abc"), std::string_view("abc")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("abc"), std::string_view("abd")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("abc"), std::string_view("abcd")));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view(""), std::string_view("")));
}

TEST(SecureWipeTest, ClearsString) {
  std::string s = "password";
  SecureWipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace warden
