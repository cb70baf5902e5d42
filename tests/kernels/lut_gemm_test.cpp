#include "kernels/lut_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/half.h"
#include "hwy_targets.h"
#include "lut_test_data.h"

namespace anemll::kernels {
namespace {

constexpr double kRelTol = 1e-5;  // fp32 accumulation order differs between SIMD and scalar

class LutGemmTest : public ::testing::TestWithParam<LutCase> {};

TEST_P(LutGemmTest, PackedStreamDecodesToTheWrittenIndices) {
  const LutCase c = GetParam();
  LutData d = MakeLut(c, 1);
  for (int64_t i = 0; i < c.rows * c.cols; ++i) {
    ASSERT_EQ(ReadPackedIndex(d.stream.data(), c.bits, i), d.indices[i]) << "index " << i;
  }
}

TEST_P(LutGemmTest, SimdRowDecodeEqualsScalarDecode) {
  testing::ForEachSimdTarget([&] {
    const LutCase c = GetParam();
    LutData d = MakeLut(c, 2);
    std::vector<float> a(c.cols), b(c.cols);
    for (int64_t r = 0; r < c.rows; ++r) {
      DecodeLutRow(d.ref, r, a.data());
      scalar::DecodeLutRow(d.ref, r, b.data());
      for (int64_t k = 0; k < c.cols; ++k) {
        const float expected = d.lut[(r / c.rows_per_group) * (1 << c.bits) + d.indices[r * c.cols + k]];
        ASSERT_EQ(b[k], expected) << "scalar row " << r << " col " << k;
        ASSERT_EQ(a[k], expected) << "simd row " << r << " col " << k;
      }
    }
  });
}

TEST_P(LutGemmTest, FusedGemvUsesExactlyTheDecodedWeights) {
  testing::ForEachSimdTarget([&] {
    // With a one-hot x, every output is exactly one weight: the fused kernel's weights must equal
    // the scalar decode bit for bit.
    const LutCase c = GetParam();
    LutData d = MakeLut(c, 3);
    std::vector<float> x(c.cols, 0.0f), y(c.rows), row(c.cols);
    const int64_t step = std::max<int64_t>(1, c.cols / 37);
    for (int64_t k = 0; k < c.cols; k += step) {
      std::fill(x.begin(), x.end(), 0.0f);
      x[k] = 1.0f;
      LutGemmXWt(x.data(), 1, c.cols, d.ref, nullptr, y.data(), c.rows, nullptr);
      for (int64_t r = 0; r < c.rows; ++r) {
        scalar::DecodeLutRow(d.ref, r, row.data());
        ASSERT_EQ(y[r], row[k]) << "row " << r << " col " << k;
      }
    }
  });
}

TEST_P(LutGemmTest, GemvAndGemmMatchScalar) {
  testing::ForEachSimdTarget([&] {
    const LutCase c = GetParam();
    LutData d = MakeLut(c, 4);
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    ThreadPool pool(2);
    for (int64_t n : {1, 3, 17}) {
      std::vector<float> x(n * c.cols), bias(c.rows);
      for (auto& v : x) v = nd(rng);
      for (auto& v : bias) v = nd(rng);
      std::vector<float> got(n * c.rows), want(n * c.rows), got_mt(n * c.rows);
      LutGemmXWt(x.data(), n, c.cols, d.ref, bias.data(), got.data(), c.rows, nullptr);
      LutGemmXWt(x.data(), n, c.cols, d.ref, bias.data(), got_mt.data(), c.rows, &pool);
      scalar::LutGemmXWt(x.data(), n, c.cols, d.ref, bias.data(), want.data(), c.rows);
      double scale = 0.0;
      for (float v : want) scale = std::max(scale, static_cast<double>(std::fabs(v)));
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], kRelTol * (scale + 1.0)) << "n=" << n << " i=" << i;
        ASSERT_EQ(got_mt[i], got[i]) << "threads change the result, n=" << n << " i=" << i;
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllWidths, LutGemmTest,
                         ::testing::Values(LutCase{1, 24, 200, 8}, LutCase{2, 20, 132, 4}, LutCase{3, 16, 264, 16},
                                           LutCase{4, 64, 256, 16}, LutCase{4, 37, 98, 37}, LutCase{4, 9, 7, 3},
                                           LutCase{6, 64, 256, 16}, LutCase{6, 33, 100, 11}, LutCase{6, 5, 13, 1},
                                           LutCase{8, 24, 77, 8}, LutCase{3, 7, 9, 7}, LutCase{1, 3, 5, 1},
                                           LutCase{2, 6, 3, 2}, LutCase{4, 130, 1040, 2},
                                           LutCase{4, 24, 384, 8}, LutCase{6, 40, 1024, 8},
                                           LutCase{6, 17, 1092, 17}, LutCase{6, 8, 2080, 8}));

TEST(LutPacking, MatchesCoreMlByteExample) {
  // uint4 indices [13,10,8,4,4,0] are stored as bytes ad 48 04 (LSB-first nibbles).
  std::vector<uint8_t> s(3, 0);
  const uint32_t v[] = {13, 10, 8, 4, 4, 0};
  for (int i = 0; i < 6; ++i) WritePackedIndex(s.data(), 4, i, v[i]);
  EXPECT_EQ(s[0], 0xad);
  EXPECT_EQ(s[1], 0x48);
  EXPECT_EQ(s[2], 0x04);
}

}  // namespace
}  // namespace anemll::kernels
