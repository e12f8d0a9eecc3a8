#include "crypto/shamir.h"

#include "crypto/primitives.h"

namespace warden::crypto {

uint8_t Gf256Multiply(uint8_t a, uint8_t b) {
  unsigned product = 0;
  unsigned aa = a;
  unsigned bb = b;
  for (int i = 0; i < 8; ++i) {
    product ^= aa & (0u - (bb & 1u));
    bb >>= 1;
    // Multiply aa by x, reducing by 0x11b when the high bit falls out.
    const unsigned carry = 0u - ((aa >> 7) & 1u);
    aa = ((aa << 1) ^ (0x1bu & carry)) & 0xffu;
  }
  return static_cast<uint8_t>(product);
}

uint8_t Gf256Inverse(uint8_t a) {
  // a^254 == a^-1 in GF(2^8); square-and-multiply with a fixed sequence.
  uint8_t result = 1;
  uint8_t power = a;
  for (int bit = 0; bit < 8; ++bit) {
    const uint8_t factor = (254 >> bit) & 1 ? power : 1;
    result = Gf256Multiply(result, factor);
    power = Gf256Multiply(power, power);
  }
  return result;
}

StatusOr<std::vector<RawShare>> ShamirSplit(const SecretBytes& secret, int threshold, int shares) {
  if (shares < 1 || shares > kMaxShares) {
    return FieldInvalid("shares", "range", "share count must be between 1 and 16");
  }
  if (threshold < 1 || threshold > shares) {
    return FieldInvalid("threshold", "range", "threshold must be between 1 and the share count");
  }
  if (secret.empty()) return InvalidArgument("cannot split an empty secret");
  const size_t len = secret.size();
  // coefficients[k * len + b]: coefficient of x^(k+1) for byte b.
  SecretBytes coefficients = SecretBytes::Random(static_cast<size_t>(threshold - 1) * len);
  std::vector<RawShare> out;
  out.reserve(static_cast<size_t>(shares));
  for (int i = 1; i <= shares; ++i) {
    RawShare share;
    share.x = static_cast<uint8_t>(i);
    share.y = SecretBytes(len);
    for (size_t b = 0; b < len; ++b) {
      // Horner's rule from the highest coefficient down to the secret byte.
      uint8_t acc = 0;
      for (int k = threshold - 2; k >= 0; --k) {
        acc = Gf256Multiply(acc, share.x) ^ coefficients.data()[static_cast<size_t>(k) * len + b];
      }
      share.y.data()[b] = Gf256Multiply(acc, share.x) ^ secret.data()[b];
    }
    out.push_back(std::move(share));
  }
  return out;
}

StatusOr<SecretBytes> ShamirCombine(std::span<const RawShare> shares) {
  if (shares.empty()) return InvalidArgument("no shares to combine");
  const size_t len = shares[0].y.size();
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].x == 0) return InvalidArgument("share x coordinate must not be 0");
    if (shares[i].y.size() != len || len == 0) {
      return InvalidArgument("shares have different lengths");
    }
    for (size_t j = 0; j < i; ++j) {
      if (shares[i].x == shares[j].x) return InvalidArgument("two shares have the same index");
    }
  }
  SecretBytes secret(len);
  for (size_t i = 0; i < shares.size(); ++i) {
    // Lagrange basis at 0: prod_{j != i} x_j / (x_j - x_i); subtraction is XOR.
    uint8_t numerator = 1;
    uint8_t denominator = 1;
    for (size_t j = 0; j < shares.size(); ++j) {
      if (j == i) continue;
      numerator = Gf256Multiply(numerator, shares[j].x);
      denominator = Gf256Multiply(denominator, shares[j].x ^ shares[i].x);
    }
    const uint8_t basis = Gf256Multiply(numerator, Gf256Inverse(denominator));
    for (size_t b = 0; b < len; ++b) {
      secret.data()[b] ^= Gf256Multiply(shares[i].y.data()[b], basis);
    }
  }
  return secret;
}

}  // namespace warden::crypto
