// Shamir secret sharing over GF(2^8) (the AES field, x^8 + x^4 + x^3 + x + 1),
// byte by byte: each byte of the secret is the constant term of its own random
// polynomial of degree threshold - 1, and share i holds the polynomials'
// values at x = i. Any `threshold` shares rebuild the secret; fewer reveal
// nothing about it. Field arithmetic is branch-free and table-free, so its
// timing does not depend on secret bytes.
//
// This is the raw scheme; root_seal.h adds the text encoding, the binding to
// one store and the detection of altered shares.
//
// Thread safety: free functions without shared state.
#ifndef WARDEN_CRYPTO_SHAMIR_H_
#define WARDEN_CRYPTO_SHAMIR_H_

#include <cstdint>
#include <span>
#include <vector>

#include "core/secret.h"
#include "core/status.h"

namespace warden::crypto {

inline constexpr int kMaxShares = 16;

struct RawShare {
  uint8_t x = 0;  // 1..kMaxShares
  SecretBytes y;  // as long as the secret
};

// Splits `secret` (non-empty) into `shares` shares with x = 1..shares.
// kInvalidArgument unless 1 <= threshold <= shares <= kMaxShares.
[[nodiscard]] StatusOr<std::vector<RawShare>> ShamirSplit(const SecretBytes& secret, int threshold,
                                                          int shares);

// Interpolates the secret from `shares` (at least one; distinct non-zero x;
// equal lengths, else kInvalidArgument). With fewer shares than the threshold
// used to split, the result is a random-looking wrong value: callers verify
// it (root_seal.h does).
[[nodiscard]] StatusOr<SecretBytes> ShamirCombine(std::span<const RawShare> shares);

// GF(2^8) operations, exposed for tests.
uint8_t Gf256Multiply(uint8_t a, uint8_t b);
uint8_t Gf256Inverse(uint8_t a);  // Gf256Inverse(0) == 0

}  // namespace warden::crypto

#endif  // WARDEN_CRYPTO_SHAMIR_H_
