// LUT palettization: exactness against the reference DP, packing as Core ML stores it, the
// coremltools fixtures, determinism and bad input.
#include "quant/palettize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "base/file.h"
#include "base/half.h"
#include "hf/safetensors.h"
#include "quant/kmeans1d.h"
#include "support/test_support.h"

namespace anemll::quant {
namespace {

constexpr double kCostRelTol = 1e-9;

std::vector<uint16_t> RandomHalf(int64_t n, uint32_t seed, float scale, int levels = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (uint16_t& h : v) {
    float x = normal(rng);
    if (levels > 0) x = std::round(x * static_cast<float>(levels)) / static_cast<float>(levels);
    h = FloatToHalf(x);
  }
  return v;
}

// The definition: per group, naive DP over the distinct values, means rounded to fp16, nearest
// rounded centroid per value. Returns the summed squared error.
double ReferenceSse(const std::vector<float>& x, int bits) {
  std::vector<float> s = x;
  std::sort(s.begin(), s.end());
  WeightedValues v;
  for (float f : s) {
    if (!v.values.empty() && v.values.back() == f) {
      v.counts.back() += 1;
    } else {
      v.values.push_back(f);
      v.counts.push_back(1);
    }
  }
  const std::vector<int32_t> ends = OptimalSegmentationNaive(v, 1 << bits);
  std::vector<double> c;
  int32_t b = 0;
  for (int32_t e : ends) {
    double w = 0, sum = 0;
    for (int32_t i = b; i < e; ++i) {
      w += v.counts[static_cast<size_t>(i)];
      sum += v.counts[static_cast<size_t>(i)] * v.values[static_cast<size_t>(i)];
    }
    c.push_back(HalfToFloat(FloatToHalf(static_cast<float>(sum / w))));
    b = e;
  }
  double sse = 0;
  for (float f : x) {
    double best = INFINITY;
    for (double cc : c) best = std::min(best, (f - cc) * (f - cc));
    sse += best;
  }
  return sse;
}

// Every element decodes through the kernels' scalar decoder to LUT[idx] and is the nearest entry.
void ExpectDecodesAndNearest(const MatrixView& w, const LutMatrix& q) {
  const std::vector<float> lut = q.LutFloat();
  const kernels::LutMatrixRef ref = q.Ref(lut);
  std::vector<float> row(static_cast<size_t>(q.cols));
  for (int64_t r = 0; r < q.rows; ++r) {
    kernels::scalar::DecodeLutRow(ref, r, row.data());
    const float* pal = &lut[static_cast<size_t>((r / q.group_rows) * q.palette_size())];
    for (int64_t c = 0; c < q.cols; ++c) {
      const uint32_t idx = q.Index(r, c);
      ASSERT_LT(idx, static_cast<uint32_t>(q.palette_size()));
      ASSERT_EQ(row[static_cast<size_t>(c)], pal[idx]);
      const double x = w.At(r * q.cols + c);
      for (int64_t j = 0; j < q.palette_size(); ++j) {
        ASSERT_LE(std::fabs(x - pal[idx]), std::fabs(x - pal[j])) << "[" << r << "," << c << "]";
      }
    }
  }
}

TEST(Palettize, ExactAgainstReferenceForEveryBitWidth) {
  for (int bits : {1, 2, 3, 4, 6, 8}) {
    for (int levels : {0, 64}) {  // continuous values, and few distinct values
      const int64_t rows = 12, cols = 40, group = 4;
      const std::vector<uint16_t> h = RandomHalf(rows * cols, 100 + bits + levels, 0.5f, levels);
      MatrixView w{h.data(), ValueType::kF16, rows, cols};
      auto r = Palettize(w, {bits, group}, nullptr);
      ASSERT_TRUE(r.ok()) << r.status().message();
      ExpectDecodesAndNearest(w, r->matrix);
      double ref_sse = 0;
      for (int64_t g = 0; g < rows / group; ++g) {
        std::vector<float> x;
        for (int64_t i = g * group * cols; i < (g + 1) * group * cols; ++i) x.push_back(w.At(i));
        ref_sse += ReferenceSse(x, bits);
      }
      const double sse = r->error.mse * static_cast<double>(rows * cols);
      EXPECT_NEAR(sse, ref_sse, kCostRelTol * std::max(1.0, ref_sse)) << "bits " << bits << " levels " << levels;
      const QuantError again = MeasureError(w, r->matrix);
      EXPECT_NEAR(again.mse, r->error.mse, 1e-15);
      EXPECT_EQ(again.max_abs, r->error.max_abs);
    }
  }
}

TEST(Palettize, Fp32InputMatchesReference) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(6 * 33);
  for (float& f : x) f = normal(rng);
  MatrixView w{x.data(), ValueType::kF32, 6, 33};
  for (int bits : {2, 3, 6}) {
    auto r = Palettize(w, {bits, 3}, nullptr);
    ASSERT_TRUE(r.ok());
    ExpectDecodesAndNearest(w, r->matrix);
    const double ref = ReferenceSse({x.begin(), x.begin() + 99}, bits) + ReferenceSse({x.begin() + 99, x.end()}, bits);
    EXPECT_NEAR(r->error.mse * 198.0, ref, kCostRelTol * ref);
  }
}

TEST(Palettize, FewDistinctValuesAreExact) {
  std::vector<uint16_t> h(16 * 8);
  for (size_t i = 0; i < h.size(); ++i) h[i] = FloatToHalf(static_cast<float>(i % 5) - 2.0f);
  MatrixView w{h.data(), ValueType::kF16, 16, 8};
  auto r = Palettize(w, {4, 8}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error.mse, 0.0);
  EXPECT_EQ(r->error.max_abs, 0.0);
  EXPECT_DOUBLE_EQ(r->error.cosine, 1.0);
  // Unused entries repeat the largest centroid.
  EXPECT_EQ(r->matrix.lut[15], FloatToHalf(2.0f));
}

TEST(Palettize, PerTensorAndOddBitOffsets) {
  // 3 and 6 bits with cols such that groups start mid-byte: parallel packing must still match.
  for (int bits : {3, 6}) {
    const std::vector<uint16_t> h = RandomHalf(30 * 7, 9, 1.0f);
    MatrixView w{h.data(), ValueType::kF16, 30, 7};
    ThreadPool pool(2);
    for (int64_t group : {int64_t{0}, int64_t{1}, int64_t{3}}) {
      auto a = Palettize(w, {bits, group}, nullptr);
      auto b = Palettize(w, {bits, group}, &pool);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->matrix.indices, b->matrix.indices);
      EXPECT_EQ(a->matrix.lut, b->matrix.lut);
      ExpectDecodesAndNearest(w, b->matrix);
      EXPECT_EQ(b->matrix.groups(), group == 0 ? 1 : 30 / group);
      EXPECT_EQ(b->matrix.per_tensor, group == 0);
    }
  }
}

TEST(Palettize, DeterministicAcrossThreadCounts) {
  const std::vector<uint16_t> h = RandomHalf(256 * 96, 4, 0.02f);
  MatrixView w{h.data(), ValueType::kF16, 256, 96};
  auto one = Palettize(w, {4, 8}, nullptr);
  ASSERT_TRUE(one.ok());
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    auto many = Palettize(w, {4, 8}, &pool);
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(many->matrix.indices, one->matrix.indices);
    EXPECT_EQ(many->matrix.lut, one->matrix.lut);
    EXPECT_EQ(many->error.mse, one->error.mse);
  }
}

TEST(Palettize, BadInput) {
  std::vector<uint16_t> h(12 * 4, 0);
  MatrixView w{h.data(), ValueType::kF16, 12, 4};
  auto bits5 = Palettize(w, {5, 4}, nullptr, "layers.0.q");
  ASSERT_FALSE(bits5.ok());
  EXPECT_NE(bits5.status().message().find("LUT bits 5 not supported"), std::string::npos) << bits5.status().message();
  auto group5 = Palettize(w, {4, 5}, nullptr, "layers.0.q");
  ASSERT_FALSE(group5.ok());
  EXPECT_NE(group5.status().message().find("group size 5 does not divide the 12 output channels"), std::string::npos)
      << group5.status().message();
  MatrixView empty{h.data(), ValueType::kF16, 0, 4};
  auto e = Palettize(empty, {4, 8}, nullptr);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("empty weight [0,4]"), std::string::npos);
  h[7] = 0x7C00;  // +inf
  auto inf = Palettize(w, {4, 4}, nullptr, "t");
  ASSERT_FALSE(inf.ok());
  EXPECT_NE(inf.status().message().find("palettize t: value at [1,3] is inf"), std::string::npos)
      << inf.status().message();
}

// --- coremltools fixtures ---------------------------------------------------------------------

struct FixtureLut {
  std::vector<float> dequantized;  // [64, 256]
  int bits = 0;
  int64_t groups = 0;
};

// Reads the package's packed indices and LUT straight from weight.bin (offsets from
// lut_layout.json) and checks them against the unpacked copies in weights_ref.safetensors.
FixtureLut ReadFixture(const std::string& name, int bits, int64_t groups, size_t idx_off, size_t lut_off) {
  FixtureLut f;
  f.bits = bits;
  f.groups = groups;
  const auto dir = testing::FixturesDir() / "coreml" / name;
  auto blob = ReadFile(dir / (name + ".mlpackage") / "Data/com.apple.CoreML/weights/weight.bin");
  EXPECT_TRUE(blob.ok());
  auto ref = hf::SafetensorsFile::Open(dir / "weights_ref.safetensors");
  EXPECT_TRUE(ref.ok());
  if (!blob.ok() || !ref.ok()) return f;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(blob->data());
  auto ref_idx = hf::ToInt64(*ref->Find("indices"));
  auto ref_w = hf::ToFloat32(*ref->Find("weight_dequantized"));
  const int64_t rows = 64, cols = 256, palette = int64_t{1} << bits;
  f.dequantized.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows * cols; ++i) {
    const uint32_t idx = kernels::ReadPackedIndex(bytes + idx_off, bits, i);
    EXPECT_EQ(idx, static_cast<uint32_t>((*ref_idx)[static_cast<size_t>(i)]));
    uint16_t hbits;
    std::memcpy(&hbits, bytes + lut_off + 2 * static_cast<size_t>((i / cols / (rows / groups)) * palette + idx), 2);
    f.dequantized[static_cast<size_t>(i)] = HalfToFloat(hbits);
    EXPECT_EQ(f.dequantized[static_cast<size_t>(i)], (*ref_w)[static_cast<size_t>(i)]);
  }
  return f;
}

double Mse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return s / static_cast<double>(a.size());
}

TEST(PalettizeFixtures, NotWorseThanCoremltools) {
  // The fixtures keep only the palettized weights. The 6-bit one is within 0.0015 RMS of the
  // original, so it stands in for the original: on it, our 4-bit table (per group of 16 rows
  // and per tensor) must have no more error than coremltools' 4-bit tables.
  const FixtureLut w6 = ReadFixture("linear_lut6_grouped", 6, 4, 128, 12480);
  const FixtureLut w4 = ReadFixture("linear_lut4_grouped", 4, 4, 128, 8384);
  const FixtureLut w4t = ReadFixture("linear_lut4_tensor", 4, 1, 128, 8384);
  ASSERT_EQ(w6.dequantized.size(), 64u * 256u);
  MatrixView w{w6.dequantized.data(), ValueType::kF32, 64, 256};
  auto grouped = Palettize(w, {4, 16}, nullptr);
  auto tensor = Palettize(w, {4, 0}, nullptr);
  ASSERT_TRUE(grouped.ok() && tensor.ok());
  const double ct_grouped = Mse(w4.dequantized, w6.dequantized), ct_tensor = Mse(w4t.dequantized, w6.dequantized);
  std::printf("LUT4 g16 MSE vs 6-bit weight: ours %.4g, coremltools %.4g; per tensor: ours %.4g, coremltools %.4g\n",
              grouped->error.mse, ct_grouped, tensor->error.mse, ct_tensor);
  EXPECT_LE(grouped->error.mse, ct_grouped);
  EXPECT_LE(tensor->error.mse, ct_tensor);
  // 64 distinct values per group at 6 bits: reproduced exactly.
  auto exact6 = Palettize(w, {6, 16}, nullptr);
  ASSERT_TRUE(exact6.ok());
  EXPECT_EQ(exact6->error.mse, 0.0);
  // coremltools' own 4-bit weight at 4 bits: exact too, and ours packs to the same bytes when
  // the table order agrees (ours is sorted, so compare decoded values only).
  MatrixView w4v{w4.dequantized.data(), ValueType::kF32, 64, 256};
  auto exact4 = Palettize(w4v, {4, 16}, nullptr);
  ASSERT_TRUE(exact4.ok());
  EXPECT_EQ(exact4->error.max_abs, 0.0);
}

TEST(PalettizeFixtures, SameDistributionBeatsReportedError) {
  // case.json records coremltools' RMSE against the original fp16 weight (std 1/16, [64,256],
  // groups of 16 rows): 0.00614 (LUT4), 0.00152 (LUT6), 0.00606 (LUT4 per tensor). Our exact
  // k-means on weights drawn from the same distribution must do at least as well on average.
  constexpr double kCtRmse4 = 0.006140284240245819, kCtRmse6 = 0.0015198265900835395, kCtRmse4t = 0.006058058701455593;
  double m4 = 0, m6 = 0, m4t = 0;
  constexpr int kSeeds = 8;
  for (int seed = 0; seed < kSeeds; ++seed) {
    const std::vector<uint16_t> h = RandomHalf(64 * 256, 1000 + seed, 1.0f / 16.0f);
    MatrixView w{h.data(), ValueType::kF16, 64, 256};
    m4 += Palettize(w, {4, 16}, nullptr)->error.mse / kSeeds;
    m6 += Palettize(w, {6, 16}, nullptr)->error.mse / kSeeds;
    m4t += Palettize(w, {4, 0}, nullptr)->error.mse / kSeeds;
  }
  std::printf("RMSE ours / coremltools: LUT4 %.5f / %.5f, LUT6 %.5f / %.5f, LUT4 tensor %.5f / %.5f\n",
              std::sqrt(m4), kCtRmse4, std::sqrt(m6), kCtRmse6, std::sqrt(m4t), kCtRmse4t);
  EXPECT_LE(std::sqrt(m4), kCtRmse4);
  EXPECT_LE(std::sqrt(m6), kCtRmse6);
  EXPECT_LE(std::sqrt(m4t), kCtRmse4t);
}

}  // namespace
}  // namespace anemll::quant
