#include "kernels/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "hwy_targets.h"
#include "kernels/reduce.h"

namespace anemll::kernels {
namespace {

constexpr double kRelTol = 1e-5;
constexpr double kAbsTol = 1e-6;  // for results that cancel to ~0 (gelu/silu near 0)

void ExpectClose(float got, float want, const char* what, size_t i) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << " element " << i;
    return;
  }
  if (std::isinf(want)) {
    EXPECT_EQ(got, want) << what << " element " << i;
    return;
  }
  EXPECT_NEAR(got, want, kRelTol * std::fabs(want) + kAbsTol) << what << " element " << i;
}

std::vector<float> Inputs(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

TEST(Unary, SimdMatchesScalarTwin) {
  const std::vector<float> x = Inputs(1037, 4.0f, 1);
  std::vector<float> pos(x.size());
  for (size_t i = 0; i < x.size(); ++i) pos[i] = std::fabs(x[i]) + 0.01f;
  const struct {
    UnaryOp op;
    const char* name;
    bool positive;
  } ops[] = {{UnaryOp::kRelu, "relu", false},        {UnaryOp::kSigmoid, "sigmoid", false},
             {UnaryOp::kSilu, "silu", false},        {UnaryOp::kGeluTanh, "gelu_tanh", false},
             {UnaryOp::kGeluExact, "gelu", false},   {UnaryOp::kGeluSigmoid, "gelu_sigmoid", false},
             {UnaryOp::kTanh, "tanh", false},        {UnaryOp::kExp, "exp", false},
             {UnaryOp::kSqrt, "sqrt", true},         {UnaryOp::kRsqrt, "rsqrt", true},
             {UnaryOp::kAbs, "abs", false},          {UnaryOp::kSquare, "square", false},
             {UnaryOp::kNeg, "neg", false},          {UnaryOp::kSin, "sin", false}};
  testing::ForEachSimdTarget([&] {
    for (const auto& o : ops) {
      const std::vector<float>& in = o.positive ? pos : x;
      std::vector<float> got(in.size()), want(in.size());
      Unary(o.op, in.data(), got.data(), in.size(), 1e-6f);
      scalar::Unary(o.op, in.data(), want.data(), in.size(), 1e-6f);
      for (size_t i = 0; i < in.size(); ++i) ExpectClose(got[i], want[i], o.name, i);
    }
  });
}

TEST(Unary, ExpHandlesExtremes) {
  const std::vector<float> x = {-200.0f, -104.5f, -87.0f, 0.0f, 88.0f, 88.8f, 100.0f, 200.0f, -INFINITY, INFINITY,
                                1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f};
  testing::ForEachSimdTarget([&] {
    std::vector<float> got(x.size()), sig(x.size());
    Unary(UnaryOp::kExp, x.data(), got.data(), x.size());
    Unary(UnaryOp::kSigmoid, x.data(), sig.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      ExpectClose(got[i], std::exp(x[i]), "exp", i);
      ExpectClose(sig[i], 1.0f / (1.0f + std::exp(-x[i])), "sigmoid", i);
    }
  });
}

TEST(Binary, SimdMatchesScalarWithBroadcastSteps) {
  const std::vector<float> a = Inputs(203, 2.0f, 2), b = Inputs(203, 2.0f, 3);
  const BinaryOp ops[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv, BinaryOp::kMax,
                          BinaryOp::kMin, BinaryOp::kPow, BinaryOp::kFloorDiv, BinaryOp::kMod};
  testing::ForEachSimdTarget([&] {
    for (BinaryOp op : ops) {
      for (auto [as, bs] : {std::pair<size_t, size_t>{1, 1}, {1, 0}, {0, 1}, {0, 0}}) {
        std::vector<float> got(a.size()), want(a.size());
        Binary(op, a.data(), as, b.data(), bs, got.data(), a.size());
        scalar::Binary(op, a.data(), as, b.data(), bs, want.data(), a.size());
        for (size_t i = 0; i < a.size(); ++i) {
          if (std::isnan(want[i])) {
            ASSERT_TRUE(std::isnan(got[i]));
          } else {
            ASSERT_EQ(got[i], want[i]) << "op " << static_cast<int>(op) << " i " << i;
          }
        }
      }
    }
  });
}

TEST(Clip, Bounds) {
  const std::vector<float> x = Inputs(50, 3.0f, 4);
  std::vector<float> y(x.size());
  Clip(x.data(), -1.0f, 0.5f, y.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], std::min(std::max(x[i], -1.0f), 0.5f));
}

TEST(RowKernels, SoftmaxNormsAndReductionsMatchScalar) {
  testing::ForEachSimdTarget([&] {
    for (size_t n : {1, 3, 16, 17, 100, 1031}) {
      std::vector<float> x = Inputs(n, 3.0f, static_cast<uint32_t>(n));
      std::vector<float> gamma = Inputs(n, 1.0f, 9), beta = Inputs(n, 1.0f, 10);
      if (n > 2) x[1] = -INFINITY;  // a masked entry
      std::vector<float> got(n), want(n);
      SoftmaxRow(x.data(), got.data(), n);
      scalar::SoftmaxRow(x.data(), want.data(), n);
      for (size_t i = 0; i < n; ++i) ExpectClose(got[i], want[i], "softmax", i);
      if (n > 2) x[1] = 0.5f;
      LayerNormRow(x.data(), n, gamma.data(), beta.data(), 1e-5f, got.data());
      scalar::LayerNormRow(x.data(), n, gamma.data(), beta.data(), 1e-5f, want.data());
      for (size_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], want[i], 1e-4 * (std::fabs(want[i]) + 1)) << "layer_norm " << i;
      RmsNormRow(x.data(), n, gamma.data(), 1e-6f, got.data());
      scalar::RmsNormRow(x.data(), n, gamma.data(), 1e-6f, want.data());
      for (size_t i = 0; i < n; ++i) ExpectClose(got[i], want[i], "rms_norm", i);
      EXPECT_NEAR(SumRow(x.data(), n), scalar::SumRow(x.data(), n), kRelTol * 3.0 * n);
      EXPECT_EQ(MaxRow(x.data(), n), scalar::MaxRow(x.data(), n));
      EXPECT_EQ(ArgMaxRow(x.data(), n), scalar::ArgMaxRow(x.data(), n));
    }
  });
}

TEST(RowKernels, SoftmaxOfRowsEndingInMaskedColumns) {
  // Attention rows: live scores, then -inf up to the context length. The kernel skips whole masked
  // vectors at the end; the masked columns must still come out exactly 0, the rest as the twin's.
  testing::ForEachSimdTarget([&] {
    for (size_t n : {64, 96, 512}) {
      for (size_t live : {size_t{1}, size_t{5}, size_t{16}, size_t{17}, size_t{33}, n}) {
        std::vector<float> x = Inputs(n, 3.0f, static_cast<uint32_t>(n + live));
        std::fill(x.begin() + static_cast<std::ptrdiff_t>(live), x.end(), -INFINITY);
        std::vector<float> got(n, -1.0f), want(n), in_place = x;
        SoftmaxRow(x.data(), got.data(), n);
        scalar::SoftmaxRow(x.data(), want.data(), n);
        SoftmaxRow(in_place.data(), in_place.data(), n);
        for (size_t i = 0; i < n; ++i) {
          ExpectClose(got[i], want[i], "softmax", i);
          ASSERT_EQ(in_place[i], got[i]) << "in place, column " << i;
          if (i >= live) {
            ASSERT_EQ(got[i], 0.0f) << "masked column " << i << " of " << live << " live";
          }
        }
      }
      std::vector<float> masked(n, -INFINITY), got(n);
      SoftmaxRow(masked.data(), got.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_TRUE(std::isnan(got[i])) << "all-masked row, column " << i;
    }
  });
}

TEST(RowKernels, TrimTrailingFindsTheLastDifferentValue) {
  testing::ForEachSimdTarget([&] {
    for (size_t n : {0, 1, 7, 16, 33, 512}) {
      for (size_t live : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, n}) {
        if (live > n) continue;
        for (float value : {0.0f, -INFINITY}) {
          std::vector<float> x = Inputs(n, 3.0f, static_cast<uint32_t>(n + live));
          std::fill(x.begin() + static_cast<std::ptrdiff_t>(live), x.end(), value);
          if (live > 0) x[live - 1] = 1.5f;  // the last different value
          ASSERT_EQ(TrimTrailing(x.data(), n, value), live) << "n=" << n << " live=" << live;
          ASSERT_EQ(scalar::TrimTrailing(x.data(), n, value), live) << "n=" << n << " live=" << live;
          if (live < n && value == 0.0f) {
            x[n - 1] = -0.0f;  // equal to 0
            ASSERT_EQ(TrimTrailing(x.data(), n, value), live);
            x[n - 1] = NAN;  // never equal
            ASSERT_EQ(TrimTrailing(x.data(), n, value), n);
          }
        }
      }
    }
  });
}

TEST(RowKernels, ArgMaxTakesFirstOfTies) {
  const std::vector<float> x = {1.0f, 3.0f, 2.0f, 3.0f};
  EXPECT_EQ(ArgMaxRow(x.data(), x.size()), 1u);
  EXPECT_EQ(scalar::ArgMaxRow(x.data(), x.size()), 1u);
}

TEST(RowKernels, TopKOrdersAndBreaksTiesByIndex) {
  const std::vector<float> x = {0.5f, 2.0f, -1.0f, 2.0f, 7.0f, -3.0f};
  float v[3];
  int32_t idx[3];
  TopKRow(x.data(), x.size(), 3, false, v, idx);
  EXPECT_EQ(idx[0], 4);
  EXPECT_EQ(idx[1], 1);
  EXPECT_EQ(idx[2], 3);
  EXPECT_EQ(v[0], 7.0f);
  TopKRow(x.data(), x.size(), 2, true, v, idx);
  EXPECT_EQ(idx[0], 5);
  EXPECT_EQ(idx[1], 2);
}

TEST(Transpose, MatchesScalarTwinForTiledAndRaggedShapes) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 37}, {37, 1}, {16, 16}, {17, 33},
                                                                    {64, 1024}, {1024, 64}, {3, 100}}) {
    std::vector<float> src(static_cast<size_t>(rows * cols));
    for (auto& v : src) v = ud(rng);
    std::vector<float> got(src.size(), -7.0f), want(src.size(), -9.0f);
    Transpose(src.data(), rows, cols, got.data());
    scalar::Transpose(src.data(), rows, cols, want.data());
    ASSERT_EQ(got, want) << rows << "x" << cols;
    // The twin is the definition: element (r, c) lands at (c, r).
    ASSERT_EQ(want[(cols - 1) * rows + (rows - 1)], src[(rows - 1) * cols + (cols - 1)]);
    ASSERT_EQ(want[0 * rows + (rows - 1)], src[(rows - 1) * cols + 0]);
  }
}

}  // namespace
}  // namespace anemll::kernels
