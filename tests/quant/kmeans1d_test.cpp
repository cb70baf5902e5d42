// Exact 1-D k-means: the divide-and-conquer DP against the plain O(k d^2) DP.
#include "quant/kmeans1d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace anemll::quant {
namespace {

// Relative slack for comparing two optimal costs computed along different summation orders.
constexpr double kCostRelTol = 1e-9;

WeightedValues RandomValues(std::mt19937* rng, int d, bool integer_grid) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> count(1, 5);
  std::vector<double> v;
  while (static_cast<int>(v.size()) < d) {
    const double x = integer_grid ? std::round(normal(*rng) * 256.0) / 16.0 : normal(*rng);
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }
  std::sort(v.begin(), v.end());
  WeightedValues w;
  w.values = v;
  for (size_t i = 0; i < v.size(); ++i) w.counts.push_back(count(*rng));
  return w;
}

// Checks that `ends` is a valid partition into exactly `runs` runs.
void ExpectPartition(const std::vector<int32_t>& ends, int runs, int d) {
  ASSERT_EQ(static_cast<int>(ends.size()), runs);
  int32_t prev = 0;
  for (int32_t e : ends) {
    EXPECT_GT(e, prev);
    prev = e;
  }
  EXPECT_EQ(prev, d);
}

TEST(KMeans1D, MatchesNaiveDpForEveryBitWidth) {
  std::mt19937 rng(7);
  SegmentationScratch scratch;
  for (int bits : {1, 2, 3, 4, 6, 8}) {
    const int k = 1 << bits;
    for (int trial = 0; trial < 12; ++trial) {
      const int d = 1 + static_cast<int>(rng() % 90) + (trial % 3 == 0 ? k : 0);
      const WeightedValues v = RandomValues(&rng, d, trial % 2 == 0);
      const std::vector<int32_t> fast = OptimalSegmentation(v, k, &scratch);
      const std::vector<int32_t> naive = OptimalSegmentationNaive(v, k);
      const int runs = std::min(k, d);
      ExpectPartition(fast, runs, d);
      ExpectPartition(naive, runs, d);
      const double cf = SegmentationCost(v, fast), cn = SegmentationCost(v, naive);
      EXPECT_NEAR(cf, cn, kCostRelTol * std::max(1.0, cn)) << "bits " << bits << " d " << d;
    }
  }
}

TEST(KMeans1D, NaiveDpBeatsEveryOtherPartitionOnTinyInputs) {
  // The reference itself against exhaustive search over all split positions (d = 7, k = 3).
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    const WeightedValues v = RandomValues(&rng, 7, false);
    const double best = SegmentationCost(v, OptimalSegmentationNaive(v, 3));
    for (int32_t a = 1; a < 7; ++a) {
      for (int32_t b = a + 1; b < 7; ++b) {
        EXPECT_LE(best, SegmentationCost(v, {a, b, 7}) + 1e-12);
      }
    }
  }
}

TEST(KMeans1D, FewerValuesThanRunsIsExact) {
  WeightedValues v;
  v.values = {-1.0, 0.5, 2.0};
  v.counts = {3, 1, 2};
  SegmentationScratch scratch;
  const std::vector<int32_t> ends = OptimalSegmentation(v, 16, &scratch);
  EXPECT_EQ(ends, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(SegmentationCost(v, ends), 0.0);
}

TEST(KMeans1D, SingleRun) {
  WeightedValues v;
  v.values = {0.0, 1.0};
  v.counts = {1, 1};
  SegmentationScratch scratch;
  EXPECT_EQ(OptimalSegmentation(v, 1, &scratch), (std::vector<int32_t>{2}));
  EXPECT_DOUBLE_EQ(SegmentationCost(v, {2}), 0.5);
}

TEST(KMeans1D, LargeInputMatchesNaive) {
  std::mt19937 rng(3);
  SegmentationScratch scratch;
  const WeightedValues v = RandomValues(&rng, 400, false);
  for (int k : {16, 64}) {
    const double cf = SegmentationCost(v, OptimalSegmentation(v, k, &scratch));
    const double cn = SegmentationCost(v, OptimalSegmentationNaive(v, k));
    EXPECT_NEAR(cf, cn, kCostRelTol * cn) << k;
  }
}

}  // namespace
}  // namespace anemll::quant
