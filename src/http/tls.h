// TLS for Warden's server: certificate loading and generation, expiry, and
// the one server TLS configuration (SPEC G10).
//
// The server context allows TLS 1.2 and 1.3 only (1.3 preferred by both
// sides' defaults), AEAD cipher suites with ECDHE key exchange only
// (AES-GCM, ChaCha20-Poly1305), groups X25519, P-256, P-384, no
// compression, no renegotiation, server cipher preference.
//
// Private keys travel only in SecretBytes. Certificates are public.
//
// Thread safety: free functions, no shared state. A context from
// MakeServerTlsContext may be shared by all server threads.
#ifndef WARDEN_HTTP_TLS_H_
#define WARDEN_HTTP_TLS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "core/file_system.h"
#include "core/secret.h"
#include "core/status.h"

namespace warden::http {

struct TlsCredentials {
  std::string certificate_chain_pem;  // leaf first
  SecretBytes private_key_pem;
};

// Reads a PEM certificate chain and a PEM private key and checks that they
// belong together. Errors: whatever `fs` reports; kInvalidArgument
// ("bad_certificate", "bad_private_key", "key_mismatch").
StatusOr<TlsCredentials> LoadTlsCredentials(FileSystem& fs, const std::string& certificate_path,
                                            const std::string& private_key_path);

// Writes the certificate (0644) and the key (0600) atomically.
Status WriteTlsCredentials(FileSystem& fs, const TlsCredentials& credentials,
                           const std::string& certificate_path,
                           const std::string& private_key_path);

struct SelfSignedOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  int valid_days = 30;
  // Start of validity, Unix seconds; 0 means one hour before now. Tests set
  // it in the past to make expired certificates.
  int64_t not_before_unix = 0;
};

// A fresh P-256 key and a self-signed certificate for it (subjectAltName
// from `options`, serverAuth), for `warden demo`, development and tests.
StatusOr<TlsCredentials> GenerateSelfSignedCertificate(const SelfSignedOptions& options = {});

// Whole days from `now_unix_seconds` until the first certificate in
// `certificate_pem` expires; negative once it has expired. Errors:
// kInvalidArgument "bad_certificate".
StatusOr<int64_t> CertificateDaysToExpiry(std::string_view certificate_pem,
                                          int64_t now_unix_seconds);

struct TlsServerOptions {
  // When non-empty, clients are asked for a certificate signed by one of
  // these CAs (mTLS for service accounts). A client without one is still
  // accepted; the access layer decides what an unbound request may do.
  std::string client_ca_pem;
};

// The server TLS context described above. Errors: kInvalidArgument when the
// credentials or CA cannot be loaded.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsCredentials& credentials, const TlsServerOptions& options = {});

// The OpenSSL error queue as text, and cleared; for error messages.
std::string DrainOpenSslErrors();

}  // namespace warden::http

#endif  // WARDEN_HTTP_TLS_H_
