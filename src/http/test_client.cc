#include "http/test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/tls.h"

namespace warden::http {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

const std::string* ClientResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

nlohmann::json ClientResponse::Json() const { return nlohmann::json::parse(body, nullptr, false); }

StatusOr<std::unique_ptr<TestClient>> TestClient::Connect(uint16_t port, const Options& options) {
  std::unique_ptr<TestClient> c(new TestClient());
  c->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd_ < 0) return Unavailable(std::string("socket: ") + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = options.timeout.count() / 1000;
  tv.tv_usec = (options.timeout.count() % 1000) * 1000;
  ::setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(c->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(c->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Unavailable(std::string("connect: ") + std::strerror(errno));
  }
  if (!options.tls) return c;

  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ctx_ == nullptr) return Unavailable("SSL_CTX_new: " + DrainOpenSslErrors());
  if (options.security_level >= 0) SSL_CTX_set_security_level(c->ctx_, options.security_level);
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(c->ctx_, options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(c->ctx_, options.max_version);
  if (!options.tls12_ciphers.empty() &&
      SSL_CTX_set_cipher_list(c->ctx_, options.tls12_ciphers.c_str()) != 1) {
    return Unavailable("cipher list: " + DrainOpenSslErrors());
  }
  if (!options.ca_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (ca == nullptr) return Unavailable("CA: " + DrainOpenSslErrors());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
  }
  c->ssl_ = SSL_new(c->ctx_);
  SSL_set_fd(c->ssl_, c->fd_);
  SSL_set_tlsext_host_name(c->ssl_, "localhost");
  SSL_set1_host(c->ssl_, "localhost");
  ERR_clear_error();
  if (SSL_connect(c->ssl_) != 1) return Unavailable("TLS handshake: " + DrainOpenSslErrors());
  return c;
}

TestClient::~TestClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

std::string TestClient::tls_version() const {
  return ssl_ != nullptr ? SSL_get_version(ssl_) : std::string();
}

Status TestClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    long n;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    if (n <= 0) return Unavailable("send failed");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

long TestClient::ReadMore() {
  char buf[16384];
  long n;
  if (ssl_ != nullptr) {
    n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) {
      const int err = SSL_get_error(ssl_, static_cast<int>(n));
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ) return -2;
      return -1;
    }
  } else {
    n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -2;
  }
  if (n > 0) buffer_.append(buf, static_cast<size_t>(n));
  return n;
}

StatusOr<ClientResponse> TestClient::Receive() {
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (ReadMore() <= 0) return Unavailable("connection closed before a response");
  }
  ClientResponse r;
  std::string_view head(buffer_.data(), header_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    return Unavailable("bad status line");
  }
  r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  size_t content_length = 0;
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& ch : name) ch = Lower(ch);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "content-length") content_length = std::stoul(std::string(value));
    r.headers.emplace_back(std::move(name), std::string(value));
  }
  const size_t body_start = header_end + 4;
  while (buffer_.size() < body_start + content_length) {
    if (ReadMore() <= 0) return Unavailable("connection closed inside a body");
  }
  r.body = buffer_.substr(body_start, content_length);
  buffer_.erase(0, body_start + content_length);
  if (r.status == 100) return Receive();
  return r;
}

StatusOr<ClientResponse> TestClient::Roundtrip(std::string_view method, std::string_view target,
                                               std::string_view body, std::string_view content_type,
                                               std::string_view extra_headers) {
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  if (!body.empty()) {
    req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append(extra_headers).append("\r\n").append(body);
  RETURN_IF_ERROR(Send(req));
  return Receive();
}

bool TestClient::WaitClosed(std::chrono::milliseconds timeout) {
  // Non-blocking while waiting, so TLS records that carry no data (session
  // tickets) do not block the read.
  const int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  const bool closed = PollClosed(timeout);
  ::fcntl(fd_, F_SETFL, flags);
  return closed;
}

bool TestClient::PollClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <= 0) return false;
    }
    const long n = ReadMore();
    if (n == -2) continue;               // a record without application data
    if (n == 0 || n == -1) return true;  // EOF, reset or close_notify
    return false;                        // data arrived
  }
  return false;
}

}  // namespace warden::http
