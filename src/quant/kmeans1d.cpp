#include "quant/kmeans1d.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace anemll::quant {
namespace {

// Prefix sums of weight, w*x and w*x^2, with x centred on the weighted mean (keeps the
// difference s2 - s1^2/c well conditioned for large runs).
void PrefixSums(const WeightedValues& v, std::vector<double>* c, std::vector<double>* s1, std::vector<double>* s2) {
  const size_t d = v.size();
  double total = 0, sum = 0;
  for (size_t i = 0; i < d; ++i) {
    total += v.counts[i];
    sum += v.counts[i] * v.values[i];
  }
  const double mean = total > 0 ? sum / total : 0.0;
  c->assign(d + 1, 0.0);
  s1->assign(d + 1, 0.0);
  s2->assign(d + 1, 0.0);
  for (size_t i = 0; i < d; ++i) {
    const double x = v.values[i] - mean;
    const double w = v.counts[i];
    (*c)[i + 1] = (*c)[i] + w;
    (*s1)[i + 1] = (*s1)[i] + w * x;
    (*s2)[i + 1] = (*s2)[i] + w * x * x;
  }
}

inline double RunCost(const double* c, const double* s1, const double* s2, int32_t m, int32_t i) {
  const double ds = s1[i] - s1[m];
  return (s2[i] - s2[m]) - ds * ds / (c[i] - c[m]);
}

// One DP layer by divide and conquer: for rows i in [ilo, ihi] with leftmost optimal split in
// [mlo, mhi], cur[i] = min_m prev[m] + cost(m, i). `a[m]` = prev[m] - s2[m] (the row's s2[i] is
// a constant of the row and is added back once).
struct LayerSolver {
  const double* c;
  const double* s1;
  const double* s2;
  const double* a;
  double* cur;
  int32_t* split;
  const int32_t* prev_split;  // previous layer's split points (rows up to prev_rows), or null
  int32_t prev_rows;
  const double* inv;  // inv[n] = 1/n for integer weights up to the total, or null (divide)

  void Solve(int32_t ilo, int32_t ihi, int32_t mlo, int32_t mhi) const {
    while (ilo <= ihi) {
      const int32_t i = ilo + (ihi - ilo) / 2;
      const int32_t top = std::min(mhi, i - 1);
      const double ci = c[i], s1i = s1[i];
      double best = std::numeric_limits<double>::infinity();
      // One more run never starts the last run earlier: split_j(i) >= split_{j-1}(i).
      const int32_t lo = prev_split && i <= prev_rows ? std::max(mlo, prev_split[i]) : mlo;
      int32_t best_m = lo;
      if (inv) {
        // Integer weights: a table lookup instead of a division (the hot loop's bottleneck).
        for (int32_t m = lo; m <= top; ++m) {
          const double ds = s1i - s1[m];
          const double v = a[m] - ds * ds * inv[static_cast<int64_t>(ci - c[m])];
          if (v < best) {
            best = v;
            best_m = m;
          }
        }
      } else {
        for (int32_t m = lo; m <= top; ++m) {
          const double ds = s1i - s1[m];
          const double v = a[m] - ds * ds / (ci - c[m]);
          if (v < best) {
            best = v;
            best_m = m;
          }
        }
      }
      cur[i] = best + s2[i];
      split[i] = best_m;
      // Left half recursively, right half iteratively (bounded stack depth on the larger side
      // is not needed: depth is log2 of the row count either way).
      if (ilo <= i - 1) Solve(ilo, i - 1, mlo, best_m);
      ilo = i + 1;
      mlo = best_m;
    }
  }
};

std::vector<int32_t> Backtrack(const std::vector<int32_t>& split, size_t stride, int k, int32_t d) {
  std::vector<int32_t> ends(static_cast<size_t>(k));
  int32_t e = d;
  for (int j = k; j >= 1; --j) {
    ends[static_cast<size_t>(j - 1)] = e;
    if (j > 1) e = split[static_cast<size_t>(j) * stride + static_cast<size_t>(e)];
  }
  return ends;
}

}  // namespace

std::vector<int32_t> OptimalSegmentation(const WeightedValues& v, int k, SegmentationScratch* scratch) {
  const int32_t d = static_cast<int32_t>(v.size());
  k = std::max(1, std::min(k, static_cast<int>(d)));
  if (k == d) {
    std::vector<int32_t> ends(static_cast<size_t>(d));
    for (int32_t i = 0; i < d; ++i) ends[static_cast<size_t>(i)] = i + 1;
    return ends;
  }
  if (k == 1) return {d};
  SegmentationScratch& s = *scratch;
  PrefixSums(v, &s.c, &s.s1, &s.s2);
  const double* c = s.c.data();
  const double* s1 = s.s1.data();
  const double* s2 = s.s2.data();
  const size_t stride = static_cast<size_t>(d) + 1;
  s.prev.assign(stride, 0.0);
  s.cur.assign(stride, 0.0);
  s.split.resize(static_cast<size_t>(k + 1) * stride);
  // Layer 1: one run over each prefix. Only prefixes that leave enough values for the remaining
  // runs are ever read: layer j needs i in [j, d - (k - j)].
  for (int32_t i = 1; i <= d - (k - 1); ++i) s.prev[static_cast<size_t>(i)] = RunCost(c, s1, s2, 0, i);
  // Reciprocals of the run weights when all weights are small integers (element counts).
  const double* inv = nullptr;
  constexpr double kMaxTable = 1 << 22;
  bool integer_counts = c[d] <= kMaxTable;
  for (int32_t i = 0; integer_counts && i < d; ++i) {
    integer_counts = v.counts[static_cast<size_t>(i)] == std::floor(v.counts[static_cast<size_t>(i)]);
  }
  if (integer_counts) {
    const size_t need = static_cast<size_t>(c[d]) + 1;
    if (s.inv.size() < need) {
      const size_t old = s.inv.size();
      s.inv.resize(need);
      for (size_t n = std::max<size_t>(old, 1); n < need; ++n) s.inv[n] = 1.0 / static_cast<double>(n);
      s.inv[0] = 0.0;
    }
    inv = s.inv.data();
  }
  std::vector<double> a(stride);
  for (int j = 2; j <= k; ++j) {
    const int32_t mlo = j - 1, mhi_all = d - (k - j) - 1;
    for (int32_t m = mlo; m <= mhi_all; ++m) {
      a[static_cast<size_t>(m)] = s.prev[static_cast<size_t>(m)] - s2[m];
    }
    LayerSolver solver{c, s1, s2, a.data(), s.cur.data(), s.split.data() + static_cast<size_t>(j) * stride,
                       j > 2 ? s.split.data() + static_cast<size_t>(j - 1) * stride : nullptr, d - (k - j + 1),
                       inv};
    if (j == k) {
      solver.Solve(d, d, mlo, d - 1);  // only the full prefix matters in the last layer
    } else {
      solver.Solve(j, d - (k - j), mlo, mhi_all);
    }
    std::swap(s.prev, s.cur);
  }
  return Backtrack(s.split, stride, k, d);
}

std::vector<int32_t> OptimalSegmentationNaive(const WeightedValues& v, int k) {
  const int32_t d = static_cast<int32_t>(v.size());
  k = std::max(1, std::min(k, static_cast<int>(d)));
  std::vector<double> c, s1, s2;
  PrefixSums(v, &c, &s1, &s2);
  const double inf = std::numeric_limits<double>::infinity();
  const size_t stride = static_cast<size_t>(d) + 1;
  std::vector<double> D(static_cast<size_t>(k + 1) * stride, inf);
  std::vector<int32_t> split(static_cast<size_t>(k + 1) * stride, 0);
  D[0] = 0.0;
  for (int j = 1; j <= k; ++j) {
    for (int32_t i = j; i <= d; ++i) {
      double best = inf;
      int32_t best_m = j - 1;
      for (int32_t m = j - 1; m < i; ++m) {
        const double prev = D[static_cast<size_t>(j - 1) * stride + static_cast<size_t>(m)];
        if (prev == inf) continue;
        const double val = prev + RunCost(c.data(), s1.data(), s2.data(), m, i);
        if (val < best) {
          best = val;
          best_m = m;
        }
      }
      D[static_cast<size_t>(j) * stride + static_cast<size_t>(i)] = best;
      split[static_cast<size_t>(j) * stride + static_cast<size_t>(i)] = best_m;
    }
  }
  return Backtrack(split, stride, k, d);
}

double SegmentationCost(const WeightedValues& v, const std::vector<int32_t>& ends) {
  double total = 0;
  int32_t begin = 0;
  for (int32_t end : ends) {
    double w = 0, sum = 0;
    for (int32_t i = begin; i < end; ++i) {
      w += v.counts[static_cast<size_t>(i)];
      sum += v.counts[static_cast<size_t>(i)] * v.values[static_cast<size_t>(i)];
    }
    const double mean = w > 0 ? sum / w : 0.0;
    for (int32_t i = begin; i < end; ++i) {
      const double e = v.values[static_cast<size_t>(i)] - mean;
      total += v.counts[static_cast<size_t>(i)] * e * e;
    }
    begin = end;
  }
  return total;
}

}  // namespace anemll::quant
