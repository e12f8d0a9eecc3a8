#include "http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "core/c_ptr.h"

namespace warden::http {
namespace {

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr char kGroups[] = "X25519:P-256:P-384";

using BioPtr = CPtr<BIO, BIO_free>;
using X509Ptr = CPtr<X509, X509_free>;
using PkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;
using ExtensionPtr = CPtr<X509_EXTENSION, X509_EXTENSION_free>;

Status TlsError(std::string_view what, std::string reason = "tls_error") {
  return InvalidArgument(std::string(what) + ": " + DrainOpenSslErrors(), std::move(reason));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

X509Ptr ParseCertificate(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr ParsePrivateKey(const SecretBytes& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return TlsError("adding extension");
  return Status::Ok();
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

StatusOr<TlsCredentials> LoadTlsCredentials(FileSystem& fs, const std::string& certificate_path,
                                            const std::string& private_key_path) {
  TlsCredentials creds;
  ASSIGN_OR_RETURN(creds.certificate_chain_pem, fs.ReadFile(certificate_path));
  ASSIGN_OR_RETURN(std::string key, fs.ReadFile(private_key_path));
  creds.private_key_pem = SecretBytes::CopyFrom(key);
  SecureWipe(key);
  X509Ptr cert = ParseCertificate(creds.certificate_chain_pem);
  if (!cert) return TlsError("certificate file holds no PEM certificate", "bad_certificate");
  PkeyPtr pkey = ParsePrivateKey(creds.private_key_pem);
  if (!pkey) return TlsError("key file holds no PEM private key", "bad_private_key");
  if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
    return TlsError("private key does not match the certificate", "key_mismatch");
  }
  return creds;
}

Status WriteTlsCredentials(FileSystem& fs, const TlsCredentials& credentials,
                           const std::string& certificate_path,
                           const std::string& private_key_path) {
  RETURN_IF_ERROR(fs.WriteFileAtomic(private_key_path, credentials.private_key_pem.view(), 0600));
  return fs.WriteFileAtomic(certificate_path, credentials.certificate_chain_pem, 0644);
}

StatusOr<TlsCredentials> GenerateSelfSignedCertificate(const SelfSignedOptions& options) {
  if (options.valid_days <= 0) return InvalidArgument("valid_days must be positive");
  PkeyPtr pkey(EVP_EC_gen("P-256"));
  if (!pkey) return TlsError("generating key");
  X509Ptr cert(X509_new());
  if (!cert) return TlsError("allocating certificate");

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return TlsError("random serial");
  serial_bytes[0] &= 0x7F;  // positive
  BIGNUM* serial_bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  const bool serial_ok =
      serial_bn != nullptr &&
      BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial_bn);
  if (!serial_ok) return TlsError("setting serial");

  const time_t not_before = options.not_before_unix != 0
                                ? static_cast<time_t>(options.not_before_unix)
                                : std::time(nullptr) - 3600;
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      ASN1_TIME_adj(X509_getm_notAfter(cert.get()), not_before, options.valid_days, 0) == nullptr) {
    return TlsError("setting validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), pkey.get()) != 1) {
    return TlsError("setting names");
  }
  std::string san;
  for (const std::string& dns : options.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const std::string& ip : options.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (!san.empty()) RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_alt_name, san));
  RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), pkey.get(), EVP_sha256()) <= 0) return TlsError("signing");

  TlsCredentials creds;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return TlsError("encoding certificate");
  }
  creds.certificate_chain_pem = BioContents(cert_bio.get());
  // The secure-memory BIO wipes its buffer when freed.
  BioPtr key_bio(BIO_new(BIO_s_secmem()));
  if (!key_bio || PEM_write_bio_PrivateKey(key_bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                           nullptr) != 1) {
    return TlsError("encoding key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(key_bio.get(), &data);
  if (n <= 0) return TlsError("encoding key");
  creds.private_key_pem = SecretBytes::CopyFrom(std::string_view(data, static_cast<size_t>(n)));
  return creds;
}

StatusOr<int64_t> CertificateDaysToExpiry(std::string_view certificate_pem,
                                          int64_t now_unix_seconds) {
  X509Ptr cert = ParseCertificate(certificate_pem);
  if (!cert) return TlsError("no PEM certificate", "bad_certificate");
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> now(
      ASN1_TIME_set(nullptr, static_cast<time_t>(now_unix_seconds)), &ASN1_TIME_free);
  int days = 0;
  int seconds = 0;
  if (!now || ASN1_TIME_diff(&days, &seconds, now.get(), X509_get0_notAfter(cert.get())) != 1) {
    return TlsError("reading expiry", "bad_certificate");
  }
  const int64_t total = int64_t{days} * 86400 + seconds;
  // Floor division: one second past expiry is day -1.
  return total >= 0 ? total / 86400 : -((-total + 86399) / 86400);
}

StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsCredentials& credentials, const TlsServerOptions& options) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return TlsError("setting protocol versions");
  }
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return TlsError("setting cipher suites");
  }

  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(credentials.certificate_chain_pem), ec);
  if (ec) return TlsError("loading certificate chain", "bad_certificate");
  ctx->use_private_key(
      boost::asio::buffer(credentials.private_key_pem.data(), credentials.private_key_pem.size()),
      ssl::context::pem, ec);
  if (ec) return TlsError("loading private key", "bad_private_key");
  if (SSL_CTX_check_private_key(native) != 1) {
    return TlsError("private key does not match the certificate", "key_mismatch");
  }
  if (!options.client_ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(options.client_ca_pem), ec);
    if (ec) return TlsError("loading client CA", "bad_certificate");
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    // The callback above is null: a client certificate that fails
    // verification aborts the handshake; no certificate at all is allowed.
  }
  return ctx;
}

}  // namespace warden::http
