#include "kernels/half_convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "base/half.h"
#include "hwy_targets.h"

namespace anemll::kernels {
namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Floats that stress rounding: ties, subnormals, overflow edges, specials, random bit patterns.
std::vector<float> RoundingInputs() {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f, 1e9f, -1e9f,
                          6.103515625e-05f, 6.1e-05f, 5.96e-08f, 2.98e-08f, 2.9802322e-08f, 1e-10f, -3e-6f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 1.0f + 1.0f / 4096, 2049.0f, 2051.0f};
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    uint32_t b = rng();
    // Keep most exponents near the fp16 range.
    b = (b & 0x807fffffu) | ((100u + (b >> 23) % 60u) << 23);
    float f;
    std::memcpy(&f, &b, 4);
    v.push_back(f);
  }
  return v;
}

TEST(HalfConvert, RoundToHalfIsExactOnEveryTarget) {
  const std::vector<float> in = RoundingInputs();
  testing::ForEachSimdTarget([&] {
    std::vector<float> got = in;
    std::vector<float> want = in;
    RoundToHalf(got.data(), got.size());
    scalar::RoundToHalf(want.data(), want.size());
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(Bits(got[i]), Bits(want[i])) << "input " << in[i] << " (#" << i << ")";
      ASSERT_EQ(Bits(want[i]), Bits(anemll::RoundToHalf(in[i])));
    }
  });
}

TEST(HalfConvert, RoundToHalfKeepsNaN) {
  testing::ForEachSimdTarget([&] {
    std::vector<float> v(37, std::numeric_limits<float>::quiet_NaN());
    RoundToHalf(v.data(), v.size());
    for (float f : v) ASSERT_TRUE(std::isnan(f));
  });
}

TEST(HalfConvert, FloatToHalfAndBackMatchScalar) {
  const std::vector<float> in = RoundingInputs();
  testing::ForEachSimdTarget([&] {
    std::vector<uint16_t> got(in.size()), want(in.size());
    FloatToHalf(in.data(), got.data(), in.size());
    scalar::FloatToHalf(in.data(), want.data(), in.size());
    for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(got[i], want[i]) << "input " << in[i];
    std::vector<float> back(in.size()), back_want(in.size());
    HalfToFloat(got.data(), back.data(), got.size());
    scalar::HalfToFloat(got.data(), back_want.data(), got.size());
    for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(Bits(back[i]), Bits(back_want[i]));
  });
}

TEST(HalfConvert, EveryHalfRoundTrips) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  testing::ForEachSimdTarget([&] {
    std::vector<float> f(all.size());
    HalfToFloat(all.data(), f.data(), all.size());
    std::vector<uint16_t> back(all.size());
    FloatToHalf(f.data(), back.data(), f.size());
    for (uint32_t i = 0; i < 65536; ++i) {
      const bool nan = (i & 0x7c00u) == 0x7c00u && (i & 0x3ffu) != 0;
      if (nan) {
        ASSERT_TRUE(std::isnan(f[i]));
      } else {
        ASSERT_EQ(back[i], all[i]) << "half bits " << i;
        ASSERT_EQ(Bits(f[i]), Bits(anemll::HalfToFloat(all[i])));
      }
    }
  });
}

}  // namespace
}  // namespace anemll::kernels
