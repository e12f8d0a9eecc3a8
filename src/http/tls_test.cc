#include "http/tls.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

namespace warden::http {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/warden_tls_test_XXXXXX";
  char* dir = mkdtemp(tmpl);
  return dir != nullptr ? dir : "";
}

TEST(SelfSignedTest, CertificateNamesLoopbackAndLocalhost) {
  StatusOr<TlsCredentials> creds = GenerateSelfSignedCertificate();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  BIO* bio = BIO_new_mem_buf(creds->certificate_chain_pem.data(),
                             static_cast<int>(creds->certificate_chain_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "example.com", 0, 0, nullptr), 1);
  X509_free(cert);
  EXPECT_NE(creds->private_key_pem.view().find("PRIVATE KEY"), std::string_view::npos);
}

TEST(SelfSignedTest, TwoCertificatesHaveDifferentKeys) {
  StatusOr<TlsCredentials> a = GenerateSelfSignedCertificate();
  StatusOr<TlsCredentials> b = GenerateSelfSignedCertificate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->certificate_chain_pem, b->certificate_chain_pem);
  EXPECT_FALSE(a->private_key_pem == b->private_key_pem);
}

TEST(DaysToExpiryTest, CountsWholeDaysAndGoesNegativeWhenExpired) {
  SelfSignedOptions opt;
  opt.not_before_unix = 1'700'000'000;
  opt.valid_days = 30;
  StatusOr<TlsCredentials> creds = GenerateSelfSignedCertificate(opt);
  ASSERT_TRUE(creds.ok());
  const int64_t expiry = 1'700'000'000 + 30 * 86400;
  EXPECT_EQ(*CertificateDaysToExpiry(creds->certificate_chain_pem, 1'700'000'000), 30);
  EXPECT_EQ(*CertificateDaysToExpiry(creds->certificate_chain_pem, expiry - 86400 - 1), 1);
  EXPECT_EQ(*CertificateDaysToExpiry(creds->certificate_chain_pem, expiry - 1), 0);
  EXPECT_EQ(*CertificateDaysToExpiry(creds->certificate_chain_pem, expiry + 1), -1);
  EXPECT_EQ(*CertificateDaysToExpiry(creds->certificate_chain_pem, expiry + 3 * 86400), -3);
}

TEST(DaysToExpiryTest, GarbageIsBadCertificate) {
  EXPECT_EQ(CertificateDaysToExpiry("not a certificate", 0).status().reason(), "bad_certificate");
}

TEST(LoadTlsCredentialsTest, WrittenCredentialsLoadBackWithPrivateKeyMode0600) {
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  StatusOr<TlsCredentials> creds = GenerateSelfSignedCertificate();
  ASSERT_TRUE(creds.ok());
  FileSystem& fs = FileSystem::Default();
  ASSERT_TRUE(WriteTlsCredentials(fs, *creds, dir + "/cert.pem", dir + "/key.pem").ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  StatusOr<TlsCredentials> loaded = LoadTlsCredentials(fs, dir + "/cert.pem", dir + "/key.pem");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->certificate_chain_pem, creds->certificate_chain_pem);
  EXPECT_TRUE(MakeServerTlsContext(*loaded).ok());
}

TEST(LoadTlsCredentialsTest, KeyOfAnotherCertificateIsKeyMismatch) {
  const std::string dir = TempDir();
  StatusOr<TlsCredentials> a = GenerateSelfSignedCertificate();
  StatusOr<TlsCredentials> b = GenerateSelfSignedCertificate();
  ASSERT_TRUE(a.ok() && b.ok());
  FileSystem& fs = FileSystem::Default();
  ASSERT_TRUE(fs.WriteFileAtomic(dir + "/cert.pem", a->certificate_chain_pem, 0644).ok());
  ASSERT_TRUE(fs.WriteFileAtomic(dir + "/key.pem", b->private_key_pem.view(), 0600).ok());
  EXPECT_EQ(LoadTlsCredentials(fs, dir + "/cert.pem", dir + "/key.pem").status().reason(),
            "key_mismatch");
}

TEST(LoadTlsCredentialsTest, MissingOrGarbageFilesAreErrors) {
  const std::string dir = TempDir();
  FileSystem& fs = FileSystem::Default();
  EXPECT_FALSE(LoadTlsCredentials(fs, dir + "/none.pem", dir + "/none.key").ok());
  ASSERT_TRUE(fs.WriteFileAtomic(dir + "/cert.pem", "garbage", 0644).ok());
  ASSERT_TRUE(fs.WriteFileAtomic(dir + "/key.pem", "garbage", 0600).ok());
  EXPECT_EQ(LoadTlsCredentials(fs, dir + "/cert.pem", dir + "/key.pem").status().reason(),
            "bad_certificate");
}

TEST(ServerTlsContextTest, RefusesMismatchedKey) {
  StatusOr<TlsCredentials> a = GenerateSelfSignedCertificate();
  StatusOr<TlsCredentials> b = GenerateSelfSignedCertificate();
  ASSERT_TRUE(a.ok() && b.ok());
  TlsCredentials mixed{a->certificate_chain_pem, b->private_key_pem.Clone()};
  EXPECT_FALSE(MakeServerTlsContext(mixed).ok());
}

}  // namespace
}  // namespace warden::http
