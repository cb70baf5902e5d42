// Converted packages, executed by the CPU runtime through a host that chains embeddings -> FFN
// chunks -> LM head like ANEMLL's (batch prefill + single-token infer, rotation past the Gemma
// window), against the transformers goldens: teacher-forced logits at every position and greedy
// continuations. fp32 precision checks the graphs themselves; fp16 precision is what the ANE does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "convert/converter.h"
#include "convert/golden.h"
#include "convert/package_pipeline.h"
#include "hf/safetensors.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

using runtime::Precision;
using anemll::testing::ModelDir;
using anemll::testing::TempDir;
using test_host::PackagePipeline;

constexpr double kLogitTolFp32 = 1e-3;  // max |logit - golden| with fp32 execution
constexpr double kLogitTolFp16 = 5e-2;  // max |logit - golden| with ANE-like fp16 execution
constexpr double kClearMargin = 0.05;   // fp16 argmax must match where golden top1 - top2 exceeds this

using test_golden::Golden;
using test_golden::LoadGolden;

struct Case {
  std::string name;
  std::string model;
  int context = 64;
  int batch = 4;
  int chunks = 2;
  bool monolithic = false;
  bool argmax = false;
  bool split_rotate = false;
  bool single_cache = false;
  bool static_slice = false;
  std::string fp16_scale;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

Case Make(std::string name, std::string model, int context, int batch, int chunks) {
  Case c;
  c.name = std::move(name);
  c.model = std::move(model);
  c.context = context;
  c.batch = batch;
  c.chunks = chunks;
  return c;
}
Case Monolithic(Case c) {
  c.monolithic = true;
  return c;
}
Case Argmax(Case c) {
  c.argmax = true;
  return c;
}

Result<ConvertResult> ConvertCase(const Case& c, const std::filesystem::path& out) {
  ConvertRequest r;
  r.model_dir = ModelDir(c.model);
  r.output_dir = out;
  r.options.context = c.context;
  r.options.batch = c.batch;
  if (!c.monolithic) r.options.chunks = c.chunks;
  r.options.monolithic = c.monolithic;
  r.options.argmax = c.argmax;
  r.options.split_rotate = c.split_rotate;
  r.options.single_cache = c.single_cache;
  r.options.static_prefill_slice = c.static_slice;
  r.options.fp16_scale = c.fp16_scale;
  r.threads = 2;
  return Convert(r);
}

// Compares produced logits (by position) with the golden rows.
// `every_position`: `got` covers every fed position (token-by-token runs); then some argmax must
// have been checkable.
void CheckLogits(const Golden& g, const std::map<int64_t, std::vector<float>>& got, Precision precision, bool argmax_only,
                 bool every_position, const std::string& what) {
  if (got.empty()) return;
  const double tol = precision == Precision::kFp32 ? kLogitTolFp32 : kLogitTolFp16;
  int checked_argmax = 0;
  double worst = 0;
  int64_t worst_t = -1, worst_i = -1;
  for (const auto& [t, logits] : got) {
    ASSERT_EQ(static_cast<int64_t>(logits.size()), g.vocab) << what << " position " << t;
    const int32_t top = PackagePipeline::Argmax(logits);
    const bool clear = g.Margin(t) > kClearMargin;
    if (precision == Precision::kFp32 || clear) {
      EXPECT_EQ(top, g.Top(t)) << what << " argmax at position " << t << " (golden margin " << g.Margin(t) << ")";
      ++checked_argmax;
    }
    // With in-model argmax only the winning logit comes back.
    const int64_t first = argmax_only ? top : 0, last = argmax_only ? top + 1 : g.vocab;
    for (int64_t i = first; i < last; ++i) {
      const double d = std::fabs(static_cast<double>(logits[static_cast<size_t>(i)]) - g.row(t)[i]);
      if (!(d <= worst)) {
        worst = d;
        worst_t = t;
        worst_i = i;
      }
    }
  }
  EXPECT_LE(worst, tol) << what << ": worst at position " << worst_t << " vocab " << worst_i << " over "
                        << got.size() << " positions";
  if (every_position) {
    EXPECT_GT(checked_argmax, 0) << what;
  }
}

class ConvertNumerics : public ::testing::TestWithParam<Case> {};

void RunCase(const Case& c, Precision precision) {
  SCOPED_TRACE(c.name);
  const Golden g = LoadGolden(c.model);
  TempDir tmp;
  const auto out = tmp / "out";
  auto converted = ConvertCase(c, out);
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  auto pipe = PackagePipeline::Open(out, precision);
  ASSERT_TRUE(pipe.ok()) << pipe.status().message();
  PackagePipeline& p = **pipe;
  const int64_t T = std::min<int64_t>(static_cast<int64_t>(g.input_ids.size()), p.context());
  const std::vector<int32_t> ids(g.input_ids.begin(), g.input_ids.begin() + T);
  const std::string prec = precision == Precision::kFp32 ? "fp32" : "fp16";

  // Token by token: logits at every position.
  auto single = p.Feed(ids, false);
  ASSERT_TRUE(single.ok()) << single.status().message();
  ASSERT_EQ(single->size(), static_cast<size_t>(T));
  CheckLogits(g, *single, precision, c.argmax, true, prec + " infer-only");

  // Batch prefill of full batches, single tokens for the tail.
  p.Reset();
  auto batched = p.Feed(ids, true);
  ASSERT_TRUE(batched.ok()) << batched.status().message();
  // (Gemma's monolithic prefill returns a hidden state, not logits: its batches give none.)
  const bool batch_logits = !(c.monolithic && c.model.rfind("tiny-gemma3", 0) == 0);
  EXPECT_EQ(batched->size(), static_cast<size_t>(batch_logits ? T / p.batch() + T % p.batch() : T % p.batch()));
  CheckLogits(g, *batched, precision, c.argmax, false, prec + " batch prefill");

  // A prefix ending mid-batch: prefill batches, then the tail tokens through infer read the
  // cache the batches wrote.
  p.Reset();
  const int64_t odd = std::min<int64_t>(T - 1, 2 * p.batch() + 3);
  auto prefix = p.Feed(std::vector<int32_t>(ids.begin(), ids.begin() + odd), true);
  ASSERT_TRUE(prefix.ok()) << prefix.status().message();
  ASSERT_FALSE(prefix->empty());
  CheckLogits(g, *prefix, precision, c.argmax, false, prec + " prefix");

  // Greedy continuation.
  if (precision == Precision::kFp32 && p.context() >= static_cast<int64_t>(g.greedy_prompt.size() + g.greedy_ids.size())) {
    p.Reset();
    auto greedy = p.Greedy(g.greedy_prompt, static_cast<int>(g.greedy_ids.size()));
    ASSERT_TRUE(greedy.ok()) << greedy.status().message();
    EXPECT_EQ(*greedy, g.greedy_ids) << prec << " greedy";
  }
}

TEST_P(ConvertNumerics, Fp32MatchesGolden) { RunCase(GetParam(), Precision::kFp32); }
TEST_P(ConvertNumerics, Fp16MatchesGolden) { RunCase(GetParam(), Precision::kFp16); }

INSTANTIATE_TEST_SUITE_P(
    TinyModels, ConvertNumerics,
    ::testing::Values(
        Make("llama_ctx64_b4_2chunks", "tiny-llama", 64, 4, 2),
        Make("llama_ctx32_b16_3chunks", "tiny-llama", 32, 16, 3),
        Monolithic(Make("llama_monolithic", "tiny-llama", 64, 4, 1)),
        Argmax(Make("llama_argmax", "tiny-llama", 64, 4, 1)),
        Make("qwen2_ctx64_b16_1chunk", "tiny-qwen2", 64, 16, 1),
        Argmax(Monolithic(Make("qwen2_monolithic_argmax", "tiny-qwen2", 32, 4, 1))),
        Make("qwen3_ctx64_b4_3chunks", "tiny-qwen3", 64, 4, 3),
        Make("gemma3_ctx64_b4_2chunks", "tiny-gemma3", 64, 4, 2),
        Make("gemma3_ctx64_b16_3chunks", "tiny-gemma3", 64, 16, 3),
        [] {
          Case c = Make("gemma3_ctx32_split_rotate", "tiny-gemma3", 32, 4, 2);
          c.split_rotate = true;
          return c;
        }(),
        [] {
          Case c = Make("gemma3_single_cache", "tiny-gemma3", 16, 4, 1);
          c.single_cache = true;
          return c;
        }(),
        [] {
          Case c = Make("gemma3_static_slice", "tiny-gemma3", 64, 4, 2);
          c.static_slice = true;
          return c;
        }(),
        Monolithic(Make("gemma3_monolithic", "tiny-gemma3", 64, 4, 1)),
        // FP16 scaling by an exact power of two leaves fp32 results unchanged.
        [] {
          Case c = Make("gemma3_scaled_half", "tiny-gemma3", 64, 4, 2);
          c.fp16_scale = "0.5";
          return c;
        }(),
        [] {
          Case c = Make("llama_scaled_quarter", "tiny-llama", 64, 4, 2);
          c.fp16_scale = "0.25";
          return c;
        }(),
        Argmax(Monolithic(Make("gemma3_monolithic_argmax", "tiny-gemma3", 32, 16, 1)))),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The overflow fixture: without scaling fp16 overflows (and the converter says so); with
// --fp16-scale auto the fp16 run meets the fp16 criteria.
TEST(ConvertNumericsOverflow, AutoScaleMakesFp16Work) {
  Case c = Make("gemma3_overflow_auto", "tiny-gemma3-fp16-overflow", 64, 4, 2);
  c.fp16_scale = "auto";
  RunCase(c, Precision::kFp16);
}

TEST(ConvertNumericsOverflow, UnscaledFp16Overflows) {
  Case c = Make("gemma3_overflow_plain", "tiny-gemma3-fp16-overflow", 64, 4, 2);
  TempDir tmp;
  auto converted = ConvertCase(c, tmp / "out");
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  ASSERT_TRUE(converted->probe.has_value());
  EXPECT_GT(converted->probe->peak.value, 65504.0f);
  auto pipe = PackagePipeline::Open(tmp / "out", Precision::kFp16);
  ASSERT_TRUE(pipe.ok()) << pipe.status().message();
  const Golden g = LoadGolden(c.model);
  auto got = (*pipe)->Feed(std::vector<int32_t>(g.input_ids.begin(), g.input_ids.begin() + 16), false);
  ASSERT_TRUE(got.ok()) << got.status().message();
  double worst = 0;
  for (const auto& [t, logits] : *got) {
    for (int64_t i = 0; i < g.vocab; ++i) {
      const double d = std::fabs(static_cast<double>(logits[static_cast<size_t>(i)]) - g.row(t)[i]);
      worst = std::isfinite(d) ? std::max(worst, d) : INFINITY;
    }
  }
  EXPECT_GT(worst, kLogitTolFp16) << "the fixture is meant to overflow fp16 without scaling";
}

// A real trained model: fp16 packages reproduce llama2.c's greedy story.
TEST(ConvertNumericsStories, Fp16ReproducesTheStory) {
  const Golden g = LoadGolden("stories260K");
  ASSERT_GE(g.story_ids.size(), 64u);
  Case c = Make("stories", "stories260K", 128, 8, 2);
  TempDir tmp;
  auto converted = ConvertCase(c, tmp / "out");
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  auto pipe = PackagePipeline::Open(tmp / "out", Precision::kFp16);
  ASSERT_TRUE(pipe.ok()) << pipe.status().message();
  auto story = (*pipe)->Greedy(g.story_prompt, 64);
  ASSERT_TRUE(story.ok()) << story.status().message();
  EXPECT_EQ(*story, std::vector<int32_t>(g.story_ids.begin(), g.story_ids.begin() + 64));
}

}  // namespace
}  // namespace anemll::convert
