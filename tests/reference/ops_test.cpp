// The reference building blocks against their scalar definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "base/thread_pool.h"
#include "reference/ops.h"

namespace anemll::reference {
namespace {

// Blocked vs. in-order fp32 accumulation over at most a few hundred terms of size ~1.
constexpr double kSumOrderTol = 1e-4;

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(Ops, MatMulMatchesScalarTwin) {
  ThreadPool pool(3);
  for (int64_t rows : {1, 3, 4, 5, 9}) {
    for (int64_t in : {1, 7, 8, 33, 260}) {
      for (int64_t out : {1, 5, 300}) {
        auto x = Random(static_cast<size_t>(rows * in), 1);
        auto w = Random(static_cast<size_t>(out * in), 2);
        auto b = Random(static_cast<size_t>(out), 3);
        std::vector<float> y1(static_cast<size_t>(rows * out)), y2(y1.size()), y3(y1.size());
        MatMulTransposedScalar(x.data(), rows, in, w.data(), out, b.data(), y1.data());
        MatMulTransposed(x.data(), rows, in, w.data(), out, b.data(), y2.data(), nullptr);
        MatMulTransposed(x.data(), rows, in, w.data(), out, b.data(), y3.data(), &pool);
        for (size_t i = 0; i < y1.size(); ++i) {
          ASSERT_NEAR(y2[i], y1[i], kSumOrderTol) << rows << "x" << in << "x" << out << " @" << i;
          ASSERT_EQ(y3[i], y2[i]);  // threads split output rows, never a sum
        }
      }
    }
  }
}

TEST(Ops, MatMulLargeEnoughToUseThreads) {
  ThreadPool pool(2);
  const int64_t rows = 8, in = 512, out = 512;
  auto x = Random(static_cast<size_t>(rows * in), 4);
  auto w = Random(static_cast<size_t>(out * in), 5);
  std::vector<float> y1(static_cast<size_t>(rows * out)), y2(y1.size());
  MatMulTransposed(x.data(), rows, in, w.data(), out, nullptr, y1.data(), nullptr);
  MatMulTransposed(x.data(), rows, in, w.data(), out, nullptr, y2.data(), &pool);
  EXPECT_EQ(y1, y2);
}

TEST(Ops, RmsNormSoftmaxRopeActivations) {
  const std::vector<float> x = {1, -2, 3, -4};
  const std::vector<float> g = {1, 2, 0.5f, 1};
  std::vector<float> y(4);
  RmsNorm(x.data(), 1, 4, g.data(), 0.0, y.data());
  const double rms = std::sqrt((1 + 4 + 9 + 16) / 4.0);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], x[i] / rms * g[i], 1e-6);

  std::vector<float> s = {1, 2, 3};
  Softmax(s.data(), 3);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(s[2], std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(s[0] + s[1] + s[2], 1.0, 1e-6);

  // Rotate-half: pairs (i, i + D/2) rotate by the angle.
  std::vector<float> head = {1, 0, 0, 1};
  const float c[] = {0.0f, 1.0f}, sn[] = {1.0f, 0.0f};
  ApplyRope(head.data(), 4, c, sn);
  EXPECT_EQ(head, (std::vector<float>{0, 0, 1, 1}));

  std::vector<float> gate = {1.0f, -1.0f}, up = {2.0f, 3.0f};
  SiluMul(gate.data(), up.data(), 2);
  EXPECT_NEAR(gate[0], 2.0 / (1 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(gate[1], 3.0 * -1.0 / (1 + std::exp(1.0)), 1e-6);
  std::vector<float> g2 = {0.5f}, u2 = {1.0f};
  GeluTanhMul(g2.data(), u2.data(), 1);
  const double k = std::sqrt(2.0 / std::numbers::pi);
  EXPECT_NEAR(g2[0], 0.5 * 0.5 * (1 + std::tanh(k * (0.5 + 0.044715 * 0.125))), 1e-6);
  std::vector<float> g3 = {0.5f}, u3 = {1.0f};
  GeluMul(g3.data(), u3.data(), 1);
  EXPECT_NEAR(g3[0], 0.5 * 0.5 * (1 + std::erf(0.5 / std::sqrt(2.0))), 1e-6);

  const float v[] = {1, -7, 3};
  EXPECT_EQ(MaxAbs(v, 3), 7.0f);
}

}  // namespace
}  // namespace anemll::reference
