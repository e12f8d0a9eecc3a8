#include "access/password.h"

#include <gtest/gtest.h>

#include <string>

namespace warden::access {
namespace {

SecretBytes Pw(const char* s) { return SecretBytes::CopyFrom(std::string(s)); }

TEST(PasswordTest, RightPasswordVerifiesWrongOneDoesNot) {
  PasswordHasher hasher(Argon2Params::InsecureFastForTests());
  StatusOr<std::string> hash = hasher.Hash(Pw("correct horse battery"));
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher.Verify(*hash, Pw("correct horse battery")));
  EXPECT_FALSE(hasher.Verify(*hash, Pw("correct horse battery ")));
  EXPECT_FALSE(hasher.Verify(*hash, Pw("")));
  EXPECT_EQ(hash->find("correct"), std::string::npos);
}

TEST(PasswordTest, SaltsDiffer) {
  PasswordHasher hasher(Argon2Params::InsecureFastForTests());
  EXPECT_NE(*hasher.Hash(Pw("same password!")), *hasher.Hash(Pw("same password!")));
}

TEST(PasswordTest, MalformedHashNeverVerifies) {
  PasswordHasher hasher(Argon2Params::InsecureFastForTests());
  EXPECT_FALSE(hasher.Verify("", Pw("anything at all")));
  EXPECT_FALSE(hasher.Verify("$argon2id$v=19$m=8,t=1,p=1$", Pw("anything at all")));
  EXPECT_FALSE(hasher.Verify(std::string(500, 'a'), Pw("anything at all")));
}

TEST(PasswordTest, ProductionParametersAreArgon2idInteractive) {
  PasswordHasher hasher(Argon2Params::Interactive());
  StatusOr<std::string> hash = hasher.Hash(Pw("correct horse battery"));
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << *hash;
  PasswordHasher weak(Argon2Params::InsecureFastForTests());
  EXPECT_TRUE(hasher.NeedsRehash(*weak.Hash(Pw("correct horse battery"))));
}

TEST(PasswordTest, ShortPasswordRefusedByRule) {
  Status st = CheckPasswordRule(Pw("short"));
  ASSERT_EQ(st.fields().size(), 1u);
  EXPECT_EQ(st.fields()[0].rule, "min_length");
  EXPECT_TRUE(CheckPasswordRule(Pw("twelve chars")).ok());
}

}  // namespace
}  // namespace warden::access
