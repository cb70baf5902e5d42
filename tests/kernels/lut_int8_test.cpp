#include "kernels/lut_int8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "lut_test_data.h"

namespace anemll::kernels {
namespace {

constexpr double kRelTol = 1e-5;  // fp32 summation order differs between the kernel and its twin

std::vector<float> RandomVector(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& e : v) e = nd(rng);
  return v;
}

TEST(QuantizeActivations, RoundsEachBlockToItsOwnScale) {
  std::vector<float> x = RandomVector(300, 1);
  x[5] = 7.5f;      // block 0 max
  x[140] = -0.25f;  // block 1 gets a small scale
  for (int64_t c = 128; c < 256; ++c) x[c] = std::fmod(x[c], 0.25f);
  QuantizedActivations q;
  QuantizeActivations(x.data(), 300, &q);
  ASSERT_EQ(q.q.size(), 300u);
  ASSERT_EQ(q.scale.size(), 3u);
  EXPECT_FLOAT_EQ(q.scale[0], 7.5f / 127.0f);
  EXPECT_EQ(q.q[5], 127);
  EXPECT_LE(q.scale[1], 0.25f / 127.0f);
  for (int64_t c = 0; c < 300; ++c) {
    const float s = q.scale[static_cast<size_t>(c / kInt8BlockCols)];
    ASSERT_LE(std::fabs(q.q[c] * s - x[c]), 0.5f * s * (1.0f + 1e-6f)) << "col " << c;
    ASSERT_GE(q.q[c], -127);
  }
}

TEST(QuantizeActivations, ZeroAndNonFiniteBlocks) {
  std::vector<float> x(256, 0.0f);
  x[200] = std::numeric_limits<float>::infinity();
  QuantizedActivations q;
  QuantizeActivations(x.data(), 256, &q);
  EXPECT_EQ(q.scale[0], 0.0f);
  EXPECT_TRUE(std::isnan(q.scale[1]));
  for (int8_t v : q.q) ASSERT_EQ(v, 0);
}

TEST(QuantizeLutPalette, EntriesWithinHalfAStep) {
  LutData d = MakeLut(LutCase{6, 16, 64, 8}, 3);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  ASSERT_EQ(p.groups, 2);
  for (int64_t g = 0; g < 2; ++g) {
    float amax = 0.0f;
    for (int e = 0; e < 64; ++e) amax = std::max(amax, std::fabs(d.lut[g * 64 + e]));
    EXPECT_FLOAT_EQ(p.scale[g], amax / 127.0f);
    for (int e = 0; e < 64; ++e) {
      ASSERT_LE(std::fabs(p.q[g * 64 + e] * p.scale[g] - d.lut[g * 64 + e]), 0.5f * p.scale[g] * 1.0001f);
      ASSERT_EQ(p.table[g * 64 + e], static_cast<uint8_t>(p.q[g * 64 + e] + 128));
    }
  }
}

class LutInt8Test : public ::testing::TestWithParam<LutCase> {};

TEST_P(LutInt8Test, OneHotInputReadsExactlyTheIndexedEntry) {
  // x = v * e_k quantizes to 127 at column k, so y[r] = s_w * (v / 127) * 127 * qw[idx(r, k)]: the
  // kernel must agree with the definition bit for bit whatever its summation order.
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 5);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  std::vector<float> x(c.cols, 0.0f), y(c.rows), want(c.rows);
  const int64_t step = std::max<int64_t>(1, c.cols / 41);
  for (int64_t k = 0; k < c.cols; k += step) {
    std::fill(x.begin(), x.end(), 0.0f);
    x[k] = 0.75f;
    LutGemvInt8(x.data(), d.ref, p, nullptr, y.data(), nullptr);
    scalar::LutGemvInt8(x.data(), d.ref, p, nullptr, want.data());
    for (int64_t r = 0; r < c.rows; ++r) {
      const int64_t g = r / c.rows_per_group;
      const float qw = p.q[g * (1 << c.bits) + d.indices[r * c.cols + k]];
      ASSERT_EQ(want[r], (0.75f / 127.0f) * (127.0f * qw) * p.scale[g]) << "scalar row " << r << " col " << k;
      ASSERT_EQ(y[r], want[r]) << "row " << r << " col " << k;
    }
  }
}

TEST_P(LutInt8Test, KernelMatchesScalarTwin) {
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 6);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  std::vector<float> x = RandomVector(c.cols, 7), bias = RandomVector(c.rows, 8);
  std::vector<float> got(c.rows), got_mt(c.rows), want(c.rows);
  ThreadPool pool(2);
  LutGemvInt8(x.data(), d.ref, p, bias.data(), got.data(), nullptr);
  LutGemvInt8(x.data(), d.ref, p, bias.data(), got_mt.data(), &pool);
  scalar::LutGemvInt8(x.data(), d.ref, p, bias.data(), want.data());
  for (int64_t r = 0; r < c.rows; ++r) {
    // Scale of the terms summed for row r.
    double mag = std::fabs(bias[r]);
    for (int64_t k = 0; k < c.cols; ++k) {
      mag += std::fabs(d.lut[(r / c.rows_per_group) * (1 << c.bits) + d.indices[r * c.cols + k]] * x[k]);
    }
    ASSERT_NEAR(got[r], want[r], kRelTol * mag) << "row " << r;
    ASSERT_EQ(got_mt[r], got[r]) << "threads change the result, row " << r;
  }
}

TEST_P(LutInt8Test, ErrorAgainstExactProductIsBoundedByTheQuantizationSteps) {
  // |W q(x) - W x| and the palette rounding are bounded per column by half a step of each operand:
  // |w x - qw sw qx sx| <= |w| sx/2 + |x| sw/2 + sw sx/4.
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 9);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  std::vector<float> x = RandomVector(c.cols, 10);
  std::vector<float> got(c.rows), exact(c.rows);
  LutGemvInt8(x.data(), d.ref, p, nullptr, got.data(), nullptr);
  scalar::LutGemmXWt(x.data(), 1, c.cols, d.ref, nullptr, exact.data(), c.rows);
  QuantizedActivations qx;
  QuantizeActivations(x.data(), c.cols, &qx);
  double worst_ratio = 0.0;
  for (int64_t r = 0; r < c.rows; ++r) {
    const int64_t g = r / c.rows_per_group;
    const double sw = p.scale[g];
    double bound = 0.0, mag = 0.0;
    for (int64_t k = 0; k < c.cols; ++k) {
      const double w = d.lut[g * (1 << c.bits) + d.indices[r * c.cols + k]];
      const double sx = qx.scale[k / kInt8BlockCols];
      bound += std::fabs(w) * sx / 2 + std::fabs(x[k]) * sw / 2 + sw * sx / 4;
      mag += std::fabs(w * x[k]);
    }
    const double err = std::fabs(static_cast<double>(got[r]) - exact[r]);
    ASSERT_LE(err, bound + kRelTol * mag) << "row " << r;
    worst_ratio = std::max(worst_ratio, err / mag);
  }
  // Random signs make the errors cancel: the observed error is far inside the worst case.
  EXPECT_LT(worst_ratio, 0.05);
}

TEST_P(LutInt8Test, GemmOneHotTokensReadExactlyTheIndexedEntries) {
  // Three tokens, one-hot at different columns: every output is one palette entry, bit for bit.
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 14);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  constexpr int64_t kTokens = 3;
  std::vector<float> x(kTokens * c.cols), y(kTokens * c.rows);
  const int64_t step = std::max<int64_t>(1, c.cols / 13);
  for (int64_t k = 0; k < c.cols; k += step) {
    std::fill(x.begin(), x.end(), 0.0f);
    int64_t cols[kTokens];
    for (int64_t t = 0; t < kTokens; ++t) {
      cols[t] = (k + t * 7) % c.cols;
      x[t * c.cols + cols[t]] = 0.75f;
    }
    LutGemmInt8(x.data(), kTokens, c.cols, d.ref, p, nullptr, y.data(), c.rows, nullptr);
    for (int64_t t = 0; t < kTokens; ++t) {
      for (int64_t r = 0; r < c.rows; ++r) {
        const int64_t g = r / c.rows_per_group;
        const float qw = p.q[g * (1 << c.bits) + d.indices[r * c.cols + cols[t]]];
        ASSERT_EQ(y[t * c.rows + r], (0.75f / 127.0f) * (127.0f * qw) * p.scale[g])
            << "token " << t << " row " << r << " col " << cols[t];
      }
    }
  }
}

TEST_P(LutInt8Test, GemmMatchesScalarTwinAndTheGemvPerToken) {
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 11);
  LutInt8Palette p = QuantizeLutPalette(d.ref);
  ThreadPool pool(2);
  for (int64_t n : {2, 3, 5, 17}) {
    const int64_t x_stride = c.cols + 3, y_stride = c.rows + 1;
    std::vector<float> x = RandomVector(n * x_stride, 12 + static_cast<uint32_t>(n)), bias = RandomVector(c.rows, 13);
    std::vector<float> got(n * y_stride, -1.0f), got_mt(n * y_stride, -1.0f), want(n * y_stride, -1.0f);
    LutGemmInt8(x.data(), n, x_stride, d.ref, p, bias.data(), got.data(), y_stride, nullptr);
    LutGemmInt8(x.data(), n, x_stride, d.ref, p, bias.data(), got_mt.data(), y_stride, &pool);
    scalar::LutGemmInt8(x.data(), n, x_stride, d.ref, p, bias.data(), want.data(), y_stride);
    std::vector<float> gemv(c.rows);
    for (int64_t t = 0; t < n; ++t) {
      LutGemvInt8(x.data() + t * x_stride, d.ref, p, bias.data(), gemv.data(), nullptr);
      for (int64_t r = 0; r < c.rows; ++r) {
        double mag = std::fabs(bias[r]);
        for (int64_t k = 0; k < c.cols; ++k) {
          mag += std::fabs(d.lut[(r / c.rows_per_group) * (1 << c.bits) + d.indices[r * c.cols + k]] *
                           x[t * x_stride + k]);
        }
        const size_t i = static_cast<size_t>(t * y_stride + r);
        ASSERT_NEAR(got[i], want[i], kRelTol * mag) << "n=" << n << " token " << t << " row " << r;
        ASSERT_EQ(got_mt[i], got[i]) << "threads change the result, n=" << n << " token " << t << " row " << r;
        ASSERT_NEAR(got[i], gemv[r], kRelTol * mag) << "GEMM and GEMV differ, n=" << n << " token " << t << " row " << r;
      }
      ASSERT_EQ(got[static_cast<size_t>(t * y_stride + c.rows)], -1.0f) << "wrote past the row, token " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, LutInt8Test,
                         ::testing::Values(LutCase{4, 16, 128, 8}, LutCase{4, 40, 1024, 8}, LutCase{4, 17, 384, 17},
                                           LutCase{4, 130, 3072, 2}, LutCase{6, 16, 128, 8}, LutCase{6, 40, 1024, 8},
                                           LutCase{6, 33, 640, 11}, LutCase{6, 8, 3072, 1},
                                           // partial last blocks
                                           LutCase{4, 9, 100, 3}, LutCase{6, 5, 200, 1}, LutCase{4, 16, 64, 8},
                                           LutCase{6, 16, 64, 8}, LutCase{4, 37, 98, 37}, LutCase{6, 24, 196, 8},
                                           LutCase{4, 8, 130, 8}, LutCase{6, 8, 132, 8},
                                           // scalar definition only: other widths, rows not starting on a byte
                                           LutCase{2, 20, 132, 4}, LutCase{8, 24, 256, 8}, LutCase{1, 3, 5, 1},
                                           LutCase{3, 16, 264, 16}, LutCase{4, 5, 7, 5}, LutCase{6, 7, 10, 7}));

}  // namespace
}  // namespace anemll::kernels
