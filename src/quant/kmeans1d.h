// Exact 1-D k-means (optimal k-segmentation of weighted scalars).
//
// In one dimension the optimal clusters are contiguous runs of the sorted values, so k-means is
// the partition of the sorted distinct values x_0 < ... < x_{d-1} (weights = multiplicities)
// into k runs minimising the summed squared error around each run's mean. Prefix sums of weight,
// w*x and w*x^2 give any run's error in O(1); the best partition is the dynamic program
//   D_j(i) = min_{m < i} D_{j-1}(m) + SSE[m, i)
// over prefixes i and run counts j. SSE satisfies the quadrangle inequality, so the leftmost
// optimal split point is monotone in i and each DP layer is solved by divide and conquer
// (O(d log d) per layer). A plain O(k d^2) twin defines the answer in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anemll::quant {

// Sorted distinct values with their multiplicities (the input of the segmentation).
struct WeightedValues {
  std::vector<double> values;  // strictly increasing
  std::vector<double> counts;  // > 0
  size_t size() const { return values.size(); }
};

// Scratch buffers of the solver, reusable across calls (one per thread).
struct SegmentationScratch {
  std::vector<double> c, s1, s2;  // prefix sums, [d + 1]
  std::vector<double> prev, cur;  // DP layers, [d + 1]
  std::vector<int32_t> split;     // [k][d + 1] leftmost optimal split points
  std::vector<double> inv;        // 1/n table for integer weights
};

// Optimal partition of `v` into min(k, d) contiguous runs: returns the run ends (exclusive, last =
// d), ascending. k >= 1, v non-empty. Deterministic (ties go to the leftmost split).
std::vector<int32_t> OptimalSegmentation(const WeightedValues& v, int k, SegmentationScratch* scratch);

// The same partition found by the full O(k d^2) dynamic program (reference twin for tests).
std::vector<int32_t> OptimalSegmentationNaive(const WeightedValues& v, int k);

// Summed squared error of a partition given by run ends (each run around its weighted mean).
double SegmentationCost(const WeightedValues& v, const std::vector<int32_t>& ends);

}  // namespace anemll::quant
