#include "access/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>

#include <array>
#include <memory>
#include <string>

#include "core/base32.h"

namespace warden::access {
namespace {

// Appends to a SecretBytes-bound buffer; the std::string is wiped before it dies.
class SecretText {
 public:
  ~SecretText() { SecureWipe(text_); }
  void Append(std::string_view s) { text_.append(s); }
  void Append(char c) { text_.push_back(c); }
  void Reserve(size_t n) { text_.reserve(n); }
  SecretBytes Take() { return SecretBytes::CopyFrom(text_); }

 private:
  std::string text_;
};

void AppendPercentEncoded(SecretText& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.Append(ch);
    } else {
      out.Append('%');
      out.Append(kHex[c >> 4]);
      out.Append(kHex[c & 0xF]);
    }
  }
}

struct QrDeleter {
  void operator()(QRcode* q) const {
    if (q == nullptr) return;
    SecureWipe({q->data, static_cast<size_t>(q->width) * static_cast<size_t>(q->width)});
    QRcode_free(q);
  }
};
using QrPtr = std::unique_ptr<QRcode, QrDeleter>;

StatusOr<QrPtr> Encode(const SecretBytes& text) {
  // libqrencode wants a NUL-terminated string.
  SecretBytes z(text.size() + 1);
  std::copy(text.span().begin(), text.span().end(), z.data());
  QrPtr code(
      QRcode_encodeString(reinterpret_cast<const char*>(z.data()), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (code == nullptr) return Internal("QR encoding failed");
  return code;
}

constexpr int kQuietZone = 2;

}  // namespace

SecretBytes Base32Encode(const SecretBytes& bytes) {
  SecretBytes text(Base32EncodedSize(bytes.size()));
  warden::Base32Encode({reinterpret_cast<char*>(text.data()), text.size()}, bytes.span(),
                       Base32Case::kUpper);
  return text;
}

std::optional<SecretBytes> Base32Decode(std::string_view text) {
  SecretBytes bytes(Base32MaxDecodedSize(text.size()));
  std::optional<size_t> n =
      warden::Base32Decode(bytes.mutable_span(), text, Base32Reading::kLenient);
  if (!n) return std::nullopt;
  return SecretBytes::CopyFrom(bytes.span().first(*n));
}

int64_t TotpStep(int64_t unix_seconds) {
  int64_t step = unix_seconds / kTotpStepSeconds;
  if (unix_seconds % kTotpStepSeconds < 0) --step;
  return step;
}

std::string HotpCode(const SecretBytes& secret, int64_t step, int digits) {
  std::array<uint8_t, 8> counter;
  auto c = static_cast<uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<size_t>(i)] = static_cast<uint8_t>(c & 0xFF);
    c >>= 8;
  }
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac;
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(),
           counter.size(), mac.data(), &mac_len) == nullptr ||
      mac_len != 20) {
    // HMAC-SHA1 cannot fail on valid inputs; an impossible code never matches.
    return std::string(static_cast<size_t>(digits), 'x');
  }
  size_t offset = mac[19] & 0x0F;
  uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                    (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                    (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                    static_cast<uint32_t>(mac[offset + 3]);
  SecureWipe(mac);
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::string TotpCode(const SecretBytes& secret, int64_t unix_seconds, int digits) {
  return HotpCode(secret, TotpStep(unix_seconds), digits);
}

std::optional<int64_t> MatchTotp(const SecretBytes& secret, std::string_view code,
                                 int64_t unix_seconds, int64_t last_used_step) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return std::nullopt;
  int64_t now = TotpStep(unix_seconds);
  std::optional<int64_t> matched;
  // Every candidate is computed and compared, so timing does not tell which matched.
  for (int64_t step = now - kTotpWindowSteps; step <= now + kTotpWindowSteps; ++step) {
    std::string expected = HotpCode(secret, step);
    bool equal = ConstantTimeEquals(expected, code);
    SecureWipe(expected);
    if (equal && step > last_used_step && !matched) matched = step;
  }
  return matched;
}

bool TotpAlreadyUsed(const SecretBytes& secret, std::string_view code, int64_t unix_seconds,
                     int64_t last_used_step) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return false;
  int64_t now = TotpStep(unix_seconds);
  bool used = false;
  for (int64_t step = now - kTotpWindowSteps; step <= now + kTotpWindowSteps; ++step) {
    std::string expected = HotpCode(secret, step);
    bool equal = ConstantTimeEquals(expected, code);
    SecureWipe(expected);
    used = used || (equal && step <= last_used_step);
  }
  return used;
}

SecretBytes OtpauthUri(std::string_view issuer, std::string_view account_name,
                       const SecretBytes& secret) {
  SecretBytes encoded = Base32Encode(secret);
  SecretText uri;
  uri.Append("otpauth://totp/");
  AppendPercentEncoded(uri, issuer);
  uri.Append(':');
  AppendPercentEncoded(uri, account_name);
  uri.Append("?secret=");
  uri.Append(encoded.view());
  uri.Append("&issuer=");
  AppendPercentEncoded(uri, issuer);
  uri.Append("&algorithm=SHA1&digits=6&period=30");
  return uri.Take();
}

StatusOr<SecretBytes> QrCodeText(const SecretBytes& text) {
  ASSIGN_OR_RETURN(QrPtr code, Encode(text));
  const int width = code->width;
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (code->data[static_cast<size_t>(y) * static_cast<size_t>(width) +
                       static_cast<size_t>(x)] &
            1) != 0;
  };
  // Light background drawn as full blocks, dark modules as spaces, so the code
  // reads correctly on a dark terminal. Each character covers two rows.
  SecretText out;
  for (int y = -kQuietZone; y < width + kQuietZone; y += 2) {
    for (int x = -kQuietZone; x < width + kQuietZone; ++x) {
      bool top = dark(x, y);
      bool bottom = dark(x, y + 1);
      if (top && bottom) {
        out.Append(" ");
      } else if (top) {
        out.Append("\u2584");  // lower half light
      } else if (bottom) {
        out.Append("\u2580");  // upper half light
      } else {
        out.Append("\u2588");
      }
    }
    out.Append('\n');
  }
  return out.Take();
}

StatusOr<SecretBytes> QrCodeSvg(const SecretBytes& text) {
  ASSIGN_OR_RETURN(QrPtr code, Encode(text));
  const int width = code->width;
  const int size = width + 2 * kQuietZone;
  SecretText out;
  out.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
  out.Append(std::to_string(size) + " " + std::to_string(size));
  out.Append(
      "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
      "fill=\"#fff\"/><path fill=\"#000\" d=\"");
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] &
          1) {
        out.Append("M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) +
                   "h1v1h-1z");
      }
    }
  }
  out.Append("\"/></svg>\n");
  return out.Take();
}

}  // namespace warden::access
