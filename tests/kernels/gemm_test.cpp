#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "base/half.h"
#include "hwy_targets.h"

namespace anemll::kernels {
namespace {

constexpr double kRelTol = 1e-5;  // fp32 sums in a different order than the double reference

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, double scale) {
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], kRelTol * scale) << "element " << i;
  }
}

double SumAbsScale(const std::vector<float>& x, int64_t k, const std::vector<float>& w) {
  double mx = 0, mw = 0;
  for (float v : x) mx = std::max(mx, static_cast<double>(std::fabs(v)));
  for (float v : w) mw = std::max(mw, static_cast<double>(std::fabs(v)));
  return mx * mw * static_cast<double>(k) + 1.0;
}

struct Shape {
  int64_t n, out, in;
};

class GemmTest : public ::testing::TestWithParam<Shape> {};

TEST_P(GemmTest, XWtMatchesScalarForFp32AndFp16Weights) {
  const Shape s = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(s.n * 1000 + s.out * 10 + s.in));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  // Padded strides check that strides, not widths, step between rows.
  const int64_t xs = s.in + 3, ys = s.out + 2, ws = s.in + 5;
  std::vector<float> x(s.n * xs), wf(s.out * ws), bias(s.out);
  std::vector<uint16_t> wh(s.out * ws);
  for (auto& v : x) v = nd(rng);
  for (size_t i = 0; i < wf.size(); ++i) {
    wh[i] = FloatToHalf(nd(rng));
    wf[i] = HalfToFloat(wh[i]);
  }
  for (auto& v : bias) v = nd(rng);
  const double scale = SumAbsScale(x, s.in, wf);
  ThreadPool pool(2);
  testing::ForEachSimdTarget([&] {
    for (ElemType t : {ElemType::kF32, ElemType::kF16}) {
      const MatrixRef w{t == ElemType::kF32 ? static_cast<const void*>(wf.data()) : wh.data(), t, s.out, s.in, ws};
      std::vector<float> got(s.n * ys, -7.0f), want(s.n * ys, -7.0f), got_mt(s.n * ys, -7.0f);
      GemmXWt(x.data(), s.n, xs, w, bias.data(), got.data(), ys, nullptr);
      GemmXWt(x.data(), s.n, xs, w, bias.data(), got_mt.data(), ys, &pool);
      scalar::GemmXWt(x.data(), s.n, xs, w, bias.data(), want.data(), ys);
      ExpectClose(got, want, scale);
      ExpectClose(got_mt, want, scale);
    }
  });
}

TEST_P(GemmTest, XBMatchesScalarForFp32AndFp16) {
  const Shape s = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(s.n * 7 + s.out * 3 + s.in));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t xs = s.in + 1, ys = s.out + 3, bs = s.out + 2;
  std::vector<float> x(s.n * xs), bf(s.in * bs);
  std::vector<uint16_t> bh(s.in * bs);
  for (auto& v : x) v = nd(rng);
  for (size_t i = 0; i < bf.size(); ++i) {
    bh[i] = FloatToHalf(nd(rng));
    bf[i] = HalfToFloat(bh[i]);
  }
  const double scale = SumAbsScale(x, s.in, bf);
  ThreadPool pool(2);
  testing::ForEachSimdTarget([&] {
    for (ElemType t : {ElemType::kF32, ElemType::kF16}) {
      const MatrixRef b{t == ElemType::kF32 ? static_cast<const void*>(bf.data()) : bh.data(), t, s.in, s.out, bs};
      std::vector<float> got(s.n * ys), want(s.n * ys), got_mt(s.n * ys);
      GemmXB(x.data(), s.n, xs, b, got.data(), ys, nullptr);
      GemmXB(x.data(), s.n, xs, b, got_mt.data(), ys, &pool);
      scalar::GemmXB(x.data(), s.n, xs, b, want.data(), ys);
      for (int64_t i = 0; i < s.n; ++i) {
        for (int64_t o = 0; o < s.out; ++o) {
          ASSERT_NEAR(got[i * ys + o], want[i * ys + o], kRelTol * scale);
          ASSERT_NEAR(got_mt[i * ys + o], want[i * ys + o], kRelTol * scale);
        }
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(OddSizes, GemmTest,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 17, 33}, Shape{1, 64, 256}, Shape{3, 13, 7},
                                           Shape{2, 9, 100}, Shape{5, 67, 129}, Shape{1, 300, 515},
                                           Shape{4, 1024, 96}, Shape{7, 3, 1000}));

TEST(Dot, MatchesScalar) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (size_t n : {0, 1, 5, 16, 31, 64, 1001}) {
    std::vector<float> a(n), b(n);
    for (auto& v : a) v = nd(rng);
    for (auto& v : b) v = nd(rng);
    testing::ForEachSimdTarget([&] {
      EXPECT_NEAR(Dot(a.data(), b.data(), n), scalar::Dot(a.data(), b.data(), n), kRelTol * (n + 1));
    });
  }
}

}  // namespace
}  // namespace anemll::kernels
