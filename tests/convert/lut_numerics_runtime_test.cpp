// LUT-palettized conversions executed by the CPU runtime against the transformers goldens, and
// the palettized constants read back from the written packages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "base/half.h"
#include "convert/converter.h"
#include "convert/convert_fixture.h"
#include "convert/golden.h"
#include "convert/package_pipeline.h"
#include "convert/weights.h"
#include "hf/checkpoint.h"
#include "hf/safetensors.h"
#include "kernels/lut_int8.h"
#include "mil/coreml/package.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

using anemll::testing::ModelDir;
using anemll::testing::TempDir;
using runtime::LutDot;
using runtime::Precision;
using test_host::PackagePipeline;

constexpr double kLogitTolFp16 = 5e-2;  // the fp16 tests' max |logit - golden|
constexpr double kClearMargin = 0.05;   // argmax must match where golden top1 - top2 exceeds this
// LUT4 FFN / LUT6 LM head on random tiny models: a 4-bit table per 8 rows keeps cosine ~0.995
// per weight, but the random models' logits are nearly flat (golden margins of a few tenths), so
// many clear argmaxes flip (measured 51-72%). A broken table or index layout gives chance level
// (~1/vocab = 0.1%); 30% is far above that and safely below the measured range.
constexpr double kLut4MinTop1 = 0.3;
// int8 dot products against the exact ones on the same package: max |logit difference| as a
// fraction of the logit range at that position (measured 0.022-0.044 on the tiny models), and
// the share of clear argmaxes that may flip (measured: none).
constexpr double kInt8MaxLogitDiff = 0.1;
constexpr double kInt8MaxFlips = 0.1;

using test_convert::ConvertFixture;
using test_golden::Golden;
using test_golden::LoadGolden;

LutSpec Lut(int bits) { return LutSpec{bits, 8, false}; }


struct Agreement {
  int clear = 0, agree = 0;
  double worst = 0;
};

// Token-by-token logits at every position against the golden.
Agreement RunGolden(const std::filesystem::path& out, const Golden& g, Precision precision,
                    LutDot lut_dot = LutDot::kExact) {
  Agreement a;
  auto pipe = PackagePipeline::Open(out, precision, lut_dot);
  EXPECT_TRUE(pipe.ok()) << pipe.status().message();
  if (!pipe.ok()) return a;
  const int64_t T = std::min<int64_t>(static_cast<int64_t>(g.input_ids.size()), (*pipe)->context());
  auto got = (*pipe)->Feed(std::vector<int32_t>(g.input_ids.begin(), g.input_ids.begin() + T), false);
  EXPECT_TRUE(got.ok()) << got.status().message();
  if (!got.ok()) return a;
  for (const auto& [t, logits] : *got) {
    if (g.Margin(t) > kClearMargin) {
      ++a.clear;
      if (PackagePipeline::Argmax(logits) == g.Top(t)) ++a.agree;
    }
    for (int64_t i = 0; i < g.vocab; ++i) {
      a.worst = std::max(a.worst, std::fabs(static_cast<double>(logits[static_cast<size_t>(i)]) - g.row(t)[i]));
    }
  }
  return a;
}

class LutNumerics : public ::testing::TestWithParam<std::string> {};

TEST_P(LutNumerics, Lut8EverywhereMeetsFp16Criteria) {
  // LUT8 with one table per 8 rows is not lossless on these models: their rows are 64 fp32-random
  // values wide, so a group holds ~512 distinct values for 256 entries, and through 8 layers the
  // logits move by up to ~0.08 (tiny-gemma3; the same in fp32, so it is the tables, not fp16).
  // One table per row holds every distinct value exactly (the error then drops to ~4e-6), so
  // "8,1" must meet the fp16 criteria in full; "8,8" must keep every clear argmax.
  const Golden g = LoadGolden(GetParam());
  for (int group : {1, 8}) {
    TempDir tmp;
    const LutSpec lut{8, group, true};
    auto conv = ConvertFixture(GetParam(), tmp / "out", lut, lut, lut);
    ASSERT_TRUE(conv.ok()) << conv.status().message();
    for (Precision p : {Precision::kFp16, Precision::kFp32}) {
      const Agreement a = RunGolden(tmp / "out", g, p);
      const char* name = p == Precision::kFp16 ? "fp16" : "fp32";
      std::printf("%s LUT8 group %d %s: max |logit - golden| %.4g, argmax %d/%d\n", GetParam().c_str(), group, name,
                  a.worst, a.agree, a.clear);
      if (group == 1) {
        EXPECT_LE(a.worst, kLogitTolFp16) << name;
      }
      EXPECT_EQ(a.agree, a.clear) << name << " group " << group;
      EXPECT_GT(a.clear, 0) << name;
    }
  }
}

TEST_P(LutNumerics, Lut4FfnLut6HeadAgreesWithGolden) {
  const Golden g = LoadGolden(GetParam());
  TempDir tmp;
  auto conv = ConvertFixture(GetParam(), tmp / "out", LutSpec{}, Lut(4), Lut(6));
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  std::printf("%s", FormatLutReport(conv->lut_parts).c_str());
  for (Precision p : {Precision::kFp16, Precision::kFp32}) {
    const Agreement a = RunGolden(tmp / "out", g, p);
    const char* name = p == Precision::kFp16 ? "fp16" : "fp32";
    const double frac = a.clear > 0 ? static_cast<double>(a.agree) / a.clear : 0.0;
    std::printf("%s LUT4/6 %s: top-1 agreement %d/%d (%.0f%%), max |logit - golden| %.3g\n", GetParam().c_str(), name,
                a.agree, a.clear, 100 * frac, a.worst);
    ASSERT_GT(a.clear, 0);
    EXPECT_GE(frac, kLut4MinTop1) << name;
  }
}

TEST_P(LutNumerics, Int8DotTracksExactProducts) {
  if (!kernels::CpuHasLutInt8Kernels()) GTEST_SKIP() << "no int8 LUT kernels on this CPU";
  const Golden g = LoadGolden(GetParam());
  TempDir tmp;
  auto conv = ConvertFixture(GetParam(), tmp / "out", LutSpec{}, Lut(4), Lut(6));
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  // Token by token (decode products) and in batches (prefill products).
  for (bool batch : {false, true}) {
    auto exact = PackagePipeline::Open(tmp / "out", Precision::kFp16);
    auto int8 = PackagePipeline::Open(tmp / "out", Precision::kFp16, LutDot::kInt8);
    ASSERT_TRUE(exact.ok() && int8.ok());
    const int64_t T = std::min<int64_t>(static_cast<int64_t>(g.input_ids.size()), (*exact)->context());
    const std::vector<int32_t> ids(g.input_ids.begin(), g.input_ids.begin() + T);
    auto a = (*exact)->Feed(ids, batch);
    auto b = (*int8)->Feed(ids, batch);
    ASSERT_TRUE(a.ok() && b.ok());
    double worst = 0.0;
    int clear = 0, agree = 0;
    for (const auto& [t, la] : *a) {
      const std::vector<float>& lb = b->at(t);
      double lo = la[0], hi = la[0], diff = 0.0;
      for (size_t i = 0; i < la.size(); ++i) {
        lo = std::min<double>(lo, la[i]);
        hi = std::max<double>(hi, la[i]);
        diff = std::max(diff, std::fabs(static_cast<double>(la[i]) - lb[i]));
      }
      worst = std::max(worst, diff / (hi - lo));
      std::vector<float> sorted = la;
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
      if (sorted[0] - sorted[1] > kClearMargin) {
        ++clear;
        if (PackagePipeline::Argmax(lb) == PackagePipeline::Argmax(la)) ++agree;
      }
    }
    const char* mode = batch ? "batches" : "tokens";
    std::printf("%s LUT4/6 int8 dot vs exact (%s): max |logit diff| / logit range %.4f, clear argmax %d/%d\n",
                GetParam().c_str(), mode, worst, agree, clear);
    EXPECT_GT(worst, 0.0) << mode << ": identical logits, the int8 kernels did not run";
    EXPECT_LE(worst, kInt8MaxLogitDiff) << mode;
    ASSERT_GT(clear, 0) << mode;
    EXPECT_GE(agree, clear * (1.0 - kInt8MaxFlips)) << mode;
  }
  // Against the golden it must stay as good as the exact products are required to be.
  const Agreement golden = RunGolden(tmp / "out", g, Precision::kFp16, LutDot::kInt8);
  ASSERT_GT(golden.clear, 0);
  EXPECT_GE(static_cast<double>(golden.agree) / golden.clear, kLut4MinTop1);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, LutNumerics,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(LutNumericsMonolithic, Lut8MeetsFp16Criteria) {
  const Golden g = LoadGolden("tiny-qwen2");
  TempDir tmp;
  const LutSpec exact{8, 1, true};  // one table per row: exact on these 64-wide rows (see above)
  auto conv = ConvertFixture("tiny-qwen2", tmp / "out", exact, exact, exact, true);
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  const Agreement a = RunGolden(tmp / "out", g, Precision::kFp16);
  EXPECT_LE(a.worst, kLogitTolFp16);
  EXPECT_EQ(a.agree, a.clear);
}

TEST(LutNumericsStories, Lut6ReproducesTheStoryStart) {
  const Golden g = LoadGolden("stories260K");
  TempDir tmp;
  // Group 4: the FFN's 172 rows are not a multiple of 8.
  auto conv = ConvertFixture("stories260K", tmp / "out", LutSpec{}, LutSpec{6, 4, true}, LutSpec{6, 4, true}, false, 128, 8);
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  auto pipe = PackagePipeline::Open(tmp / "out", Precision::kFp16);
  ASSERT_TRUE(pipe.ok()) << pipe.status().message();
  auto story = (*pipe)->Greedy(g.story_prompt, 16);
  ASSERT_TRUE(story.ok()) << story.status().message();
  EXPECT_EQ(*story, std::vector<int32_t>(g.story_ids.begin(), g.story_ids.begin() + 16));
  if (kernels::CpuHasLutInt8Kernels()) {
    auto int8 = PackagePipeline::Open(tmp / "out", Precision::kFp16, LutDot::kInt8);
    ASSERT_TRUE(int8.ok()) << int8.status().message();
    auto story8 = (*int8)->Greedy(g.story_prompt, 16);
    ASSERT_TRUE(story8.ok()) << story8.status().message();
    EXPECT_EQ(*story8, *story) << "int8 dot products";
  }
}

// The constexpr_lut_to_dense inputs of a written package decode exactly to what quant produced,
// and the infer and prefill functions share one blob per tensor.
TEST(LutPackages, ReadBackDecodesToQuantOutput) {
  TempDir tmp;
  auto conv = ConvertFixture("tiny-qwen3", tmp / "out", LutSpec{}, Lut(4), Lut(6));
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  auto model = mil::coreml::ReadPackage(tmp / "out" / "qwen_FFN_PF_lut4_chunk_01of02.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto ckpt = hf::Checkpoint::Open(ModelDir("tiny-qwen3"));
  ASSERT_TRUE(ckpt.ok());
  WeightCache cache(*ckpt);
  std::map<std::string, std::set<uint64_t>> blobs;  // op name -> indices blob offsets seen
  int checked = 0;
  for (const auto& [fname, fn] : model->program.functions) {
    for (const mil::Operation& op : fn.block.operations) {
      if (op.type != "constexpr_lut_to_dense") continue;
      const mil::Literal& idx = *op.Input("indices")->literal;
      const mil::Literal& lut = *op.Input("lut")->literal;
      ASSERT_TRUE(idx.blob.has_value());
      blobs[op.name].insert(idx.blob->offset);
      if (fname != "infer") continue;
      // "layers_0_mlp_up_proj_weight_palettized" -> model.layers.0.mlp.up_proj.weight
      const std::string n = op.name;
      const size_t l0 = n.find('_') + 1, l1 = n.find('_', l0);
      const std::string layer = n.substr(l0, l1 - l0);
      std::string rest = n.substr(l1 + 1, n.size() - l1 - 1 - std::string("_weight_palettized").size());
      const std::string block = rest.rfind("self_attn_", 0) == 0 ? "self_attn" : "mlp";
      const std::string proj = rest.substr(block.size() + 1);
      const std::string hf_name = "model.layers." + layer + "." + block + "." + proj + ".weight";
      const hf::TensorInfo* t = ckpt->tensors().Find(hf_name);
      ASSERT_NE(t, nullptr) << hf_name;
      const int64_t rows = t->shape[0], cols = t->shape[1];
      auto w = cache.Weight(hf_name, t->shape, {rows, cols, 1, 1}, Lut(4));
      ASSERT_TRUE(w.ok()) << w.status().message();
      EXPECT_EQ(idx.type.tensor.dtype, mil::DType::kUInt4);
      EXPECT_EQ(idx.type.tensor.shape, (std::vector<int64_t>{rows, cols, 1, 1}));
      EXPECT_EQ(lut.type.tensor.shape, (std::vector<int64_t>{rows / 8, 1, 1, 1, 16, 1}));
      EXPECT_TRUE(*idx.data == *w->indices->data) << hf_name;
      EXPECT_TRUE(*lut.data == *w->lut->data) << hf_name;
      // Decoded through the kernels' reader: every weight is an entry of its group's table.
      const uint16_t* table = reinterpret_cast<const uint16_t*>(lut.data->data());
      for (int64_t e = 0; e < rows * cols; ++e) {
        const uint32_t i = kernels::ReadPackedIndex(idx.data->data(), 4, e);
        ASSERT_LT(i, 16u);
        ASSERT_TRUE(std::isfinite(HalfToFloat(table[(e / cols / 8) * 16 + i])));
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
  for (const auto& [name, offsets] : blobs) EXPECT_EQ(offsets.size(), 1u) << name << " stored more than once";
  ASSERT_FALSE(conv->lut_parts.empty());
  EXPECT_EQ(cache.quant_records().size(), static_cast<size_t>(checked));
}

}  // namespace
}  // namespace anemll::convert
