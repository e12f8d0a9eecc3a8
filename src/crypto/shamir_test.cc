#include "crypto/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace warden::crypto {
namespace {

std::vector<RawShare> Pick(const std::vector<RawShare>& all, uint32_t mask) {
  std::vector<RawShare> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (mask & (1u << i)) out.push_back({all[i].x, all[i].y.Clone()});
  }
  return out;
}

TEST(Gf256Test, MultiplicationMatchesFips197Examples) {
  EXPECT_EQ(Gf256Multiply(0x57, 0x83), 0xc1);
  EXPECT_EQ(Gf256Multiply(0x57, 0x13), 0xfe);
  EXPECT_EQ(Gf256Multiply(0x00, 0xab), 0x00);
  EXPECT_EQ(Gf256Multiply(0x01, 0xab), 0xab);
}

TEST(Gf256Test, EveryNonZeroElementHasAnInverse) {
  EXPECT_EQ(Gf256Inverse(0), 0);
  for (int a = 1; a < 256; ++a) {
    EXPECT_EQ(Gf256Multiply(static_cast<uint8_t>(a), Gf256Inverse(static_cast<uint8_t>(a))), 1)
        << a;
    for (int b = 0; b < 256; b += 17) {
      EXPECT_EQ(Gf256Multiply(static_cast<uint8_t>(a), static_cast<uint8_t>(b)),
                Gf256Multiply(static_cast<uint8_t>(b), static_cast<uint8_t>(a)));
    }
  }
}

// Every K-subset of N shares rebuilds the secret and no (K-1)-subset does,
// for every 1 <= K <= N <= 7.
TEST(ShamirTest, EveryThresholdSubsetRebuildsAndNoSmallerSubsetDoes) {
  for (int n = 1; n <= 7; ++n) {
    for (int k = 1; k <= n; ++k) {
      SecretBytes secret = SecretBytes::Random(32);
      auto shares = ShamirSplit(secret, k, n);
      ASSERT_TRUE(shares.ok()) << shares.status().ToString();
      ASSERT_EQ(shares->size(), static_cast<size_t>(n));
      for (uint32_t mask = 1; mask < (1u << n); ++mask) {
        const int size = __builtin_popcount(mask);
        if (size != k && size != k - 1) continue;
        auto combined = ShamirCombine(Pick(*shares, mask));
        ASSERT_TRUE(combined.ok());
        if (size == k) {
          EXPECT_TRUE(*combined == secret) << k << " of " << n << " mask " << mask;
        } else {
          EXPECT_FALSE(*combined == secret) << k << " of " << n << " mask " << mask;
        }
      }
    }
  }
}

TEST(ShamirTest, SixteenSharesEightNeededAllSubsets) {
  SecretBytes secret = SecretBytes::Random(32);
  auto shares = ShamirSplit(secret, 8, 16);
  ASSERT_TRUE(shares.ok());
  int rebuilt = 0;
  for (uint32_t mask = 1; mask < (1u << 16); ++mask) {
    const int size = __builtin_popcount(mask);
    if (size != 8 && size != 7) continue;
    bool same = *ShamirCombine(Pick(*shares, mask)) == secret;
    EXPECT_EQ(same, size == 8) << mask;
    rebuilt += same;
  }
  EXPECT_EQ(rebuilt, 12870);  // C(16, 8)
}

TEST(ShamirTest, RandomThresholdsAndSubsetsProperty) {
  std::mt19937 rng(20240601);
  for (int iteration = 0; iteration < 300; ++iteration) {
    const int n = 1 + static_cast<int>(rng() % kMaxShares);
    const int k = 1 + static_cast<int>(rng() % static_cast<unsigned>(n));
    // At least 16 bytes, so a wrong combination equals the secret with
    // probability 2^-128 at most.
    const size_t len = 16 + rng() % 48;
    SecretBytes secret = SecretBytes::Random(len);
    auto shares = ShamirSplit(secret, k, n);
    ASSERT_TRUE(shares.ok());
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    uint32_t mask = 0;
    for (int i = 0; i < k; ++i) mask |= 1u << order[static_cast<size_t>(i)];
    EXPECT_TRUE(*ShamirCombine(Pick(*shares, mask)) == secret) << k << " of " << n;
    // More than K shares also rebuild it.
    if (k < n) mask |= 1u << order[static_cast<size_t>(k)];
    EXPECT_TRUE(*ShamirCombine(Pick(*shares, mask)) == secret);
    if (k > 1) {
      uint32_t fewer = 0;
      for (int i = 0; i < k - 1; ++i) fewer |= 1u << order[static_cast<size_t>(i)];
      EXPECT_FALSE(*ShamirCombine(Pick(*shares, fewer)) == secret) << k << " of " << n;
    }
  }
}

TEST(ShamirTest, CorruptedShareYieldsAWrongSecret) {
  SecretBytes secret = SecretBytes::Random(32);
  auto shares = ShamirSplit(secret, 3, 5);
  ASSERT_TRUE(shares.ok());
  std::vector<RawShare> picked = Pick(*shares, 0b10101);
  picked[1].y.data()[7] ^= 0x01;
  EXPECT_FALSE(*ShamirCombine(picked) == secret);
}

TEST(ShamirTest, ThresholdOneSharesAreTheSecret) {
  SecretBytes secret = SecretBytes::Random(32);
  auto shares = ShamirSplit(secret, 1, 3);
  ASSERT_TRUE(shares.ok());
  for (const RawShare& s : *shares) EXPECT_TRUE(s.y == secret);
}

TEST(ShamirTest, OutOfRangeParametersAreRefusedNamingTheField) {
  SecretBytes secret = SecretBytes::Random(32);
  auto zero = ShamirSplit(secret, 0, 3);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().fields().at(0).field, "threshold");
  EXPECT_FALSE(ShamirSplit(secret, 4, 3).ok());
  auto many = ShamirSplit(secret, 2, 17);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().fields().at(0).field, "shares");
  EXPECT_FALSE(ShamirSplit(SecretBytes(), 1, 1).ok());
}

TEST(ShamirTest, CombineRefusesDuplicateZeroOrMismatchedShares) {
  auto shares = ShamirSplit(SecretBytes::Random(32), 2, 3);
  ASSERT_TRUE(shares.ok());
  std::vector<RawShare> dup = Pick(*shares, 0b001);
  dup.push_back({dup[0].x, dup[0].y.Clone()});
  EXPECT_FALSE(ShamirCombine(dup).ok());
  std::vector<RawShare> zero = Pick(*shares, 0b011);
  zero[0].x = 0;
  EXPECT_FALSE(ShamirCombine(zero).ok());
  std::vector<RawShare> mismatched = Pick(*shares, 0b011);
  mismatched[1].y = SecretBytes(31);
  EXPECT_FALSE(ShamirCombine(mismatched).ok());
  EXPECT_FALSE(ShamirCombine({}).ok());
}

}  // namespace
}  // namespace warden::crypto
