// PKCS#11 round trips against a SoftHSM2 token that the test creates in a
// temporary directory of its own (SOFTHSM2_CONF points at a private config).
#include "crypto/pkcs11.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "crypto/key_ring.h"
#include "crypto/root_seal.h"

namespace warden::crypto {
namespace {

constexpr std::string_view kUserPin = "4815162342";
constexpr std::string_view kStoreId = "00112233445566778899aabbccddeeff";

std::string ModulePath() {
  const char* env = std::getenv("WARDEN_SOFTHSM2_MODULE");
  return env ? env : "/usr/lib/softhsm/libsofthsm2.so";
}

class Pkcs11Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl = ::testing::TempDir() + "warden-softhsm-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new std::string(tmpl);
    ASSERT_EQ(mkdir((*dir_ + "/tokens").c_str(), 0700), 0);
    const std::string conf = *dir_ + "/softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << *dir_
                        << "/tokens\nobjectstore.backend = file\nlog.level = ERROR\n";
    ASSERT_EQ(setenv("SOFTHSM2_CONF", conf.c_str(), 1), 0);
    const std::string cmd =
        "softhsm2-util --init-token --free --label warden-test --so-pin 1029384756 --pin " +
        std::string(kUserPin) + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "softhsm2-util (Debian package softhsm2) is needed";
  }
  static void TearDownTestSuite() {
    if (dir_ == nullptr) return;
    const std::string cmd = "rm -rf '" + *dir_ + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    delete dir_;
    dir_ = nullptr;
  }

  static Pkcs11Options Options(std::string key_label) {
    Pkcs11Options options;
    options.module_path = ModulePath();
    options.token_label = "warden-test";
    options.key_label = std::move(key_label);
    return options;
  }

  static std::unique_ptr<Pkcs11RootKeyWrapper> OpenOrDie(const Pkcs11Options& options) {
    auto wrapper = Pkcs11RootKeyWrapper::Open(options, SecretBytes::CopyFrom(kUserPin));
    EXPECT_TRUE(wrapper.ok()) << wrapper.status().ToString();
    return wrapper.ok() ? std::move(wrapper).value() : nullptr;
  }

  static std::string* dir_;
};

std::string* Pkcs11Test::dir_ = nullptr;

TEST_F(Pkcs11Test, RootKeyRoundTripsThroughTheToken) {
  auto wrapper = OpenOrDie(Options("round-trip"));
  ASSERT_NE(wrapper, nullptr);
  EXPECT_FALSE(wrapper->HasWrappingKey());
  ASSERT_TRUE(wrapper->GenerateWrappingKey().ok());
  EXPECT_TRUE(wrapper->HasWrappingKey());
  EXPECT_TRUE(wrapper->CheckWrappingKeyStaysInToken().ok());

  SecretBytes root = SecretBytes::Random(kRootKeySize);
  auto wrapped = wrapper->WrapRootKey(root, kStoreId);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(wrapped->size(), 60u);
  EXPECT_EQ(wrapped->find(root.view()), std::string::npos);
  wrapper.reset();

  // A new session (as after a restart) unwraps it.
  auto again = OpenOrDie(Options("round-trip"));
  ASSERT_NE(again, nullptr);
  auto unwrapped = again->UnwrapRootKey(*wrapped, kStoreId);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(*unwrapped == root);
}

TEST_F(Pkcs11Test, WrongPinIsRefused) {
  auto wrapper = Pkcs11RootKeyWrapper::Open(Options("any"), SecretBytes::CopyFrom("0000"));
  ASSERT_FALSE(wrapper.ok());
  EXPECT_EQ(wrapper.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrapper.status().message().find("0000"), std::string::npos);
}

TEST_F(Pkcs11Test, WrappedRootKeyFromAnotherStoreOrAlteredDoesNotUnwrap) {
  auto wrapper = OpenOrDie(Options("binding"));
  ASSERT_NE(wrapper, nullptr);
  ASSERT_TRUE(wrapper->GenerateWrappingKey().ok());
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  std::string wrapped = *wrapper->WrapRootKey(root, kStoreId);
  auto foreign = wrapper->UnwrapRootKey(wrapped, "ffeeddccbbaa99887766554433221100");
  EXPECT_EQ(foreign.status().code(), StatusCode::kDataLoss);
  for (size_t i : {size_t{0}, size_t{20}, wrapped.size() - 1}) {
    std::string bad = wrapped;
    bad[i] ^= 0x04;
    EXPECT_EQ(wrapper->UnwrapRootKey(bad, kStoreId).status().code(), StatusCode::kDataLoss) << i;
  }
  EXPECT_FALSE(wrapper->UnwrapRootKey(wrapped.substr(1), kStoreId).ok());
  EXPECT_TRUE(*wrapper->UnwrapRootKey(wrapped, kStoreId) == root);
}

TEST_F(Pkcs11Test, SecondKeyWithTheSameLabelIsRefused) {
  auto wrapper = OpenOrDie(Options("twice"));
  ASSERT_NE(wrapper, nullptr);
  ASSERT_TRUE(wrapper->GenerateWrappingKey().ok());
  EXPECT_EQ(wrapper->GenerateWrappingKey().code(), StatusCode::kConflict);
}

TEST_F(Pkcs11Test, MissingWrappingKeyIsNotFound) {
  auto wrapper = OpenOrDie(Options("never-created"));
  ASSERT_NE(wrapper, nullptr);
  EXPECT_EQ(wrapper->WrapRootKey(SecretBytes::Random(32), kStoreId).status().code(),
            StatusCode::kNotFound);
}

TEST_F(Pkcs11Test, UnknownTokenOrModuleIsUnavailable) {
  Pkcs11Options options = Options("any");
  options.token_label = "no-such-token";
  EXPECT_EQ(Pkcs11RootKeyWrapper::Open(options, SecretBytes::CopyFrom(kUserPin)).status().code(),
            StatusCode::kUnavailable);
  options = Options("any");
  options.module_path = "/nonexistent/libpkcs11.so";
  EXPECT_EQ(Pkcs11RootKeyWrapper::Open(options, SecretBytes::CopyFrom(kUserPin)).status().code(),
            StatusCode::kUnavailable);
}

TEST_F(Pkcs11Test, TwoWrappersShareTheModule) {
  auto first = OpenOrDie(Options("shared"));
  auto second = OpenOrDie(Options("shared"));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->GenerateWrappingKey().ok());
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  std::string wrapped = *first->WrapRootKey(root, kStoreId);
  first.reset();  // must not finalize the module under `second`
  EXPECT_TRUE(*second->UnwrapRootKey(wrapped, kStoreId) == root);
}

TEST_F(Pkcs11Test, SealConfigCarriesTheWrappedRootKeyAndVerifier) {
  auto wrapper = OpenOrDie(Options("config"));
  ASSERT_NE(wrapper, nullptr);
  ASSERT_TRUE(wrapper->GenerateWrappingKey().ok());
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  SealConfig config;
  config.mode = SealMode::kPkcs11;
  config.keyring_id = std::string(kStoreId);
  config.verifier = *RootKeyVerifier(root, kStoreId);
  config.pkcs11 =
      Pkcs11SealConfig{ModulePath(), "warden-test", std::nullopt,
                       "config",     "CKM_AES_GCM", *wrapper->WrapRootKey(root, kStoreId)};
  auto loaded = SealConfig::FromJson(config.ToJson());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto unwrapped = wrapper->UnwrapRootKey(loaded->pkcs11->wrapped_root_key, loaded->keyring_id);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_TRUE(VerifyRootKey(*loaded, *unwrapped).ok());
}

TEST_F(Pkcs11Test, InitAndServeHelpersRoundTripTheRootKey) {
  SecretBytes root = SecretBytes::Random(kRootKeySize);
  SecretBytes pin = SecretBytes::CopyFrom(kUserPin);
  auto config = SealRootKeyWithPkcs11(Options("init-helper"), pin, root, kStoreId);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto reloaded = SealConfig::FromJson(config->ToJson());
  ASSERT_TRUE(reloaded.ok());
  auto unsealed = UnsealWithPkcs11(*reloaded, pin);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  EXPECT_TRUE(*unsealed == root);
  EXPECT_EQ(UnsealWithPkcs11(*reloaded, SecretBytes::CopyFrom("1111")).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(Pkcs11Test, PinFileMustBeOwnerOnly) {
  const std::string path = *dir_ + "/pin";
  std::ofstream(path) << kUserPin << "\n";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(ReadPinFile(path).status().code(), StatusCode::kPermissionDenied);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto pin = ReadPinFile(path);
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  EXPECT_EQ(pin->view(), kUserPin);
  EXPECT_TRUE(Pkcs11RootKeyWrapper::Open(Options("any"), *pin).ok());
  EXPECT_EQ(ReadPinFile(*dir_ + "/absent").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::crypto
