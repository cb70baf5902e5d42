// Conversion planning (ANEMLL's adjustments and checks), the synthetic model configs, and the
// streaming fp16-range probe against the reference forward pass.
#include <gtest/gtest.h>

#include <cmath>

#include "convert/fp16_probe.h"
#include "convert/plan.h"
#include "convert/synth.h"
#include "hf/checkpoint.h"
#include "reference/session.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

using anemll::testing::ModelDir;

hf::ModelSpec Spec(const std::string& model) {
  auto c = hf::Checkpoint::Open(ModelDir(model));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c->spec();
}

TEST(ConvertPlan, DefaultsFollowAnemll) {
  ConvertOptions o;
  auto p = MakePlan(Spec("tiny-llama"), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->context, 512);
  EXPECT_EQ(p->batch, 64);
  EXPECT_EQ(p->num_chunks, 2);
  EXPECT_EQ(p->prefix, "llama");
  EXPECT_EQ(p->lm_head_split, 8);
  EXPECT_FALSE(p->lut_ffn.enabled());
  EXPECT_TRUE(p->dynamic_prefill_slice);
  EXPECT_EQ(p->states.size(), 1u);
  EXPECT_EQ(p->layer_cache[2].k_slot, 2);
  EXPECT_EQ(p->layer_cache[2].v_slot, 5);  // V of layer i at i + L
  EXPECT_EQ(MakePlan(Spec("tiny-qwen2"), o)->prefix, "qwen25");
  EXPECT_EQ(MakePlan(Spec("tiny-qwen3"), o)->prefix, "qwen");
  EXPECT_EQ(MakePlan(Spec("tiny-qwen3"), o)->lm_head_split, 16);
  ConvertOptions g;
  g.batch = 16;  // the tiny model's window is 16
  auto gemma = MakePlan(Spec("tiny-gemma3"), g);
  ASSERT_TRUE(gemma.ok()) << gemma.status().message();
  EXPECT_EQ(gemma->prefix, "gemma3");
  EXPECT_EQ(gemma->states.size(), 2u);
}

TEST(ConvertPlan, DefaultChunkCountNeverExceedsLayers) {
  hf::ModelSpec s = Spec("tiny-llama");
  s.num_layers = 1;
  s.layer_kinds.resize(1);
  auto p = MakePlan(s, ConvertOptions{});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->num_chunks, 1);
}

TEST(ConvertPlan, GemmaContextRaisedToWindowWithNote) {
  ConvertOptions o;
  o.context = 8;
  o.batch = 4;
  auto p = MakePlan(Spec("tiny-gemma3"), o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->context, 16);
  ASSERT_FALSE(p->notes.empty());
  EXPECT_NE(p->notes[0].find("raised to the sliding window 16"), std::string::npos);
  EXPECT_FALSE(p->rotate_functions);
  EXPECT_EQ(p->mask_width, 16);
}

TEST(ConvertPlan, GemmaCachesRanksAndRotation) {
  ConvertOptions o;
  o.context = 64;
  o.batch = 16;
  auto p = MakePlan(Spec("tiny-gemma3"), o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->split_cache);
  EXPECT_TRUE(p->rotate_functions);
  // Layer 5 is the only global layer: rank 0 of the global cache; layer 6 is local rank 5.
  EXPECT_FALSE(p->layer_cache[5].local);
  EXPECT_EQ(p->layer_cache[5].k_slot, 0);
  EXPECT_EQ(p->layer_cache[5].v_slot, 1);
  EXPECT_EQ(p->layer_cache[6].k_slot, 5);
  EXPECT_EQ(p->layer_cache[6].v_slot, 11);
  EXPECT_EQ(p->package_functions().size(), 4u);
  o.split_rotate = true;
  auto split = MakePlan(Spec("tiny-gemma3"), o);
  EXPECT_EQ(split->package_functions().size(), 2u);
  EXPECT_EQ(split->rotate_package_functions().size(), 2u);
  o.batch = 6;  // does not divide the window 16
  auto bad = MakePlan(Spec("tiny-gemma3"), o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--batch 6 must divide the sliding window 16"), std::string::npos);
}

TEST(ConvertPlan, LmHeadSplitRaisedToFitTheAneLimit) {
  hf::ModelSpec s = Spec("tiny-llama");
  s.vocab_size = 200000;  // 200000 / 8 = 25000 rows > 16384
  auto p = MakePlan(s, ConvertOptions{});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->lm_head_split, 13);  // ceil(200000 / 13) = 15385
  for (int64_t n : p->lm_head_sizes) EXPECT_LE(n, 16384);
  ASSERT_FALSE(p->notes.empty());
  EXPECT_NE(p->notes.back().find("13 slices (not 8)"), std::string::npos);
  s.vocab_size = 262144;
  s.model_type = "gemma3_text";
  EXPECT_EQ(MakePlan(s, ConvertOptions{})->lm_head_split, 16);  // exactly 16384 each
}

TEST(ConvertPlan, Errors) {
  const hf::ModelSpec llama = Spec("tiny-llama");
  ConvertOptions o;
  o.context = 32;
  o.batch = 64;
  EXPECT_NE(MakePlan(llama, o).status().message().find("--batch 64 is larger than the context 32"), std::string::npos);
  o.batch = 4;
  o.chunks = 4;
  EXPECT_NE(MakePlan(llama, o).status().message().find("--chunk 4: chunk count above the layer count 3"), std::string::npos);
  o.chunks.reset();
  o.lut_ffn = *LutSpec::Parse("--lut2", "4");
  auto lut_plan = MakePlan(llama, o);  // LUT requests are planned (palettized while converting)
  ASSERT_TRUE(lut_plan.ok()) << lut_plan.status().message();
  EXPECT_EQ(lut_plan->lut_ffn.bits, 4);
  o.lut_ffn = LutSpec{};
  o.fp16_scale = "1.5";
  EXPECT_FALSE(MakePlan(llama, o).ok());
  o.fp16_scale = "0.25";
  EXPECT_DOUBLE_EQ(MakePlan(llama, o)->fp16_scale, 0.25);
  o.fp16_scale.clear();
  o.clamp = 70000;
  EXPECT_NE(MakePlan(llama, o).status().message().find("--clamp 70000: must be in (0, 65504]"), std::string::npos);
  o.clamp.reset();
  o.prefix = "bad/prefix";
  EXPECT_FALSE(MakePlan(llama, o).ok());
}

TEST(ConvertPlan, ContextBelowAneMinimumWarns) {
  ConvertOptions o;
  o.context = 64;
  o.batch = 16;
  auto p = MakePlan(Spec("tiny-qwen3"), o);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("below the ANE minimum state length 256"), std::string::npos);
}

TEST(ConvertPlan, ChunkAutoFitsTheTarget) {
  const hf::ModelSpec s = Spec("tiny-llama");
  ConvertOptions o;
  o.chunk_auto = true;
  auto big = MakePlan(s, o);
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->num_chunks, 1);
  // One layer of tiny-llama is ~0.1 MB: a 0.12 MB target needs one layer per chunk.
  o.max_chunk_mb = 0.12;
  auto small = MakePlan(s, o);
  ASSERT_TRUE(small.ok()) << small.status().message();
  EXPECT_EQ(small->num_chunks, 3);
  // At LUT4 the layers are a quarter of the size: two fit in one chunk.
  o.lut_ffn = LutSpec{4, 8, false};
  auto lut = MakePlan(s, o);
  ASSERT_TRUE(lut.ok()) << lut.status().message();
  EXPECT_LT(lut->num_chunks, 3);
  o.max_chunk_mb = 0;
  auto bad = MakePlan(s, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--max-chunk-mb"), std::string::npos) << bad.status().message();
}

// Exact architecture numbers of the real models (their published config.json files).
TEST(Synth, KnownConfigsAreTheRealOnes) {
  struct Want {
    const char* like;
    int64_t H, I, L, NH, KVH, D, V, window;
    bool tied;
  };
  const Want wants[] = {
      {"qwen3-0.6b", 1024, 3072, 28, 16, 8, 128, 151936, 0, true},
      {"llama-3.2-1b", 2048, 8192, 16, 32, 8, 64, 128256, 0, true},
      {"qwen2.5-0.5b", 896, 4864, 24, 14, 2, 64, 151936, 0, true},
      {"gemma3-270m", 640, 2048, 18, 4, 1, 256, 262144, 512, true},
      {"gemma3-1b", 1152, 6912, 26, 4, 1, 256, 262144, 512, true},
  };
  for (const Want& w : wants) {
    auto s = hf::ParseModelSpec(SyntheticModelConfig(w.like), w.like);
    ASSERT_TRUE(s.ok()) << w.like << ": " << s.status().message();
    EXPECT_EQ(s->hidden_size, w.H) << w.like;
    EXPECT_EQ(s->intermediate_size, w.I) << w.like;
    EXPECT_EQ(s->num_layers, w.L) << w.like;
    EXPECT_EQ(s->num_heads, w.NH) << w.like;
    EXPECT_EQ(s->num_kv_heads, w.KVH) << w.like;
    EXPECT_EQ(s->head_dim, w.D) << w.like;
    EXPECT_EQ(s->vocab_size, w.V) << w.like;
    EXPECT_EQ(s->sliding_window, w.window) << w.like;
    EXPECT_EQ(s->tie_word_embeddings, w.tied) << w.like;
    EXPECT_EQ(SyntheticModelFamily(w.like), hf::FamilyName(s->family)) << w.like;
  }
  auto llama = hf::ParseModelSpec(SyntheticModelConfig("llama-3.2-1b"), "llama");
  EXPECT_EQ(llama->rope_global.type, hf::RopeType::kLlama3);
  EXPECT_EQ(llama->rope_global.factor, 32.0);
  auto g270 = hf::ParseModelSpec(SyntheticModelConfig("gemma3-270m"), "gemma");
  EXPECT_EQ(g270->layer_kinds[5], hf::AttentionKind::kGlobal);
  EXPECT_EQ(g270->layer_kinds[4], hf::AttentionKind::kSliding);
  EXPECT_EQ(g270->rope_local.theta, 10000.0);
  EXPECT_EQ(g270->rope_global.theta, 1000000.0);
}

class PeakObserver : public reference::ForwardObserver {
 public:
  void OnResidualMax(int64_t layer, reference::SubBlock sub, float max_abs) override {
    (sub == reference::SubBlock::kMlp ? mlp : attn).push_back(max_abs);
  }
  std::vector<float> attn, mlp;
};

// The layer-streaming probe computes what the reference forward pass computes.
TEST(Fp16Probe, MatchesTheReferenceForwardPass) {
  constexpr double kRelTol = 1e-4;
  for (const char* name : {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-gemma3-fp16-overflow"}) {
    auto ckpt = hf::Checkpoint::Open(ModelDir(name));
    ASSERT_TRUE(ckpt.ok());
    const std::vector<int32_t> tokens = CalibrationTokens(ModelDir(name), ckpt->spec().vocab_size, 24);
    ASSERT_EQ(tokens.size(), 24u);
    auto probe = MeasureResidualPeaks(*ckpt, tokens, 1);
    ASSERT_TRUE(probe.ok()) << probe.status().message();
    auto model = reference::Model::Load(*ckpt);
    ASSERT_TRUE(model.ok());
    reference::Session session(**model);
    PeakObserver obs;
    session.set_observer(&obs);
    ASSERT_TRUE(session.Forward(tokens, reference::Session::LogitsMode::kNone).ok());
    ASSERT_EQ(obs.attn.size(), probe->attention_peaks.size());
    float peak = 0;
    for (size_t l = 0; l < obs.attn.size(); ++l) {
      EXPECT_NEAR(probe->attention_peaks[l], obs.attn[l], kRelTol * obs.attn[l]) << name << " layer " << l;
      EXPECT_NEAR(probe->mlp_peaks[l], obs.mlp[l], kRelTol * obs.mlp[l]) << name << " layer " << l;
      peak = std::max({peak, obs.attn[l], obs.mlp[l]});
    }
    EXPECT_NEAR(probe->peak.value, peak, kRelTol * peak) << name;
  }
}

TEST(Fp16Probe, OverflowFixturePeaksAboveFp16AndAutoScaleBringsItBack) {
  auto ckpt = hf::Checkpoint::Open(ModelDir("tiny-gemma3-fp16-overflow"));
  ASSERT_TRUE(ckpt.ok());
  auto probe = MeasureResidualPeaks(*ckpt, CalibrationTokens(ModelDir("tiny-gemma3-fp16-overflow"), 1024, 32), 1);
  ASSERT_TRUE(probe.ok());
  EXPECT_GT(probe->peak.value, 65504.0f);
  const double alpha = AutoFp16Scale(probe->peak.value);
  EXPECT_LT(alpha, 1.0);
  EXPECT_NEAR(alpha * probe->peak.value, kFp16ScaleTarget, 1e-3 * kFp16ScaleTarget);
  EXPECT_EQ(AutoFp16Scale(410.0f), 1.0);  // well inside fp16: no scaling
}

TEST(Fp16Probe, CalibrationUsesTheTokenizerWhenPresent) {
  const std::vector<int32_t> story = CalibrationTokens(ModelDir("stories260K"), 512, 16);
  ASSERT_EQ(story.size(), 16u);
  EXPECT_EQ(story[0], 1);  // BOS from the tokenizer's post-processor
  const std::vector<int32_t> fixed = CalibrationTokens(ModelDir("tiny-llama"), 1024, 16);
  ASSERT_EQ(fixed.size(), 16u);
  for (int32_t id : fixed) EXPECT_LT(id, 1024);
  EXPECT_NE(story, fixed);
}

}  // namespace
}  // namespace anemll::convert
