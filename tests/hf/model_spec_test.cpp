// config.json -> ModelSpec for every fixture (both config styles), multimodal gemma3, defaults,
// rope tables, generation_config.json, and the errors for bad configs.
#include <gtest/gtest.h>

#include <cmath>

#include "hf/generation_config.h"
#include "hf/model_spec.h"
#include "hf/rope.h"
#include "support/test_support.h"

namespace anemll::hf {
namespace {

using testing::ModelDir;

ModelSpec Load(const std::filesystem::path& p) {
  auto spec = LoadModelSpec(p);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : ModelSpec{};
}

std::string ParseError(const std::string& json) {
  auto spec = ParseModelSpec(json, "config.json");
  EXPECT_FALSE(spec.ok());
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().message().find('\n'), std::string::npos);
  return spec.status().message();
}

class BothConfigStyles : public ::testing::TestWithParam<std::string> {};

TEST_P(BothConfigStyles, LegacyAndTransformers5ConfigsGiveTheSameSpec) {
  const auto dir = ModelDir(GetParam());
  ModelSpec legacy = Load(dir / "config.json");
  ModelSpec t5 = Load(dir / "config.transformers5.json");
  EXPECT_EQ(legacy, t5) << "legacy:\n" << DescribeModelSpec(legacy) << "transformers5:\n" << DescribeModelSpec(t5);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BothConfigStyles,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3",
                                           "tiny-gemma3-fp16-overflow"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(ModelSpec, TinyLlama) {
  ModelSpec s = Load(ModelDir("tiny-llama") / "config.json");
  EXPECT_EQ(s.family, Family::kLlama);
  EXPECT_EQ(s.hidden_size, 64);
  EXPECT_EQ(s.intermediate_size, 192);
  EXPECT_EQ(s.num_layers, 3);
  EXPECT_EQ(s.num_heads, 4);
  EXPECT_EQ(s.num_kv_heads, 2);
  EXPECT_EQ(s.head_dim, 16);
  EXPECT_EQ(s.vocab_size, 1024);
  EXPECT_EQ(s.rope_global.type, RopeType::kLlama3);
  EXPECT_EQ(s.rope_global.theta, 500000.0);
  EXPECT_EQ(s.rope_global.factor, 8.0);
  EXPECT_EQ(s.rope_global.low_freq_factor, 1.0);
  EXPECT_EQ(s.rope_global.high_freq_factor, 4.0);
  EXPECT_EQ(s.rope_global.original_max_position_embeddings, 32);
  EXPECT_EQ(s.rope_local, s.rope_global);
  EXPECT_FALSE(s.tie_word_embeddings);
  EXPECT_EQ(s.lm_head_name, "lm_head.weight");
  EXPECT_EQ(s.tensor_prefix, "model.");
  EXPECT_FALSE(s.qkv_bias || s.o_bias || s.mlp_bias || s.qk_norm || s.gemma_norms);
  EXPECT_EQ(s.layer_kinds, std::vector<AttentionKind>(3, AttentionKind::kGlobal));
  EXPECT_EQ(s.sliding_window, 0);
  EXPECT_DOUBLE_EQ(s.attention_scale, 0.25);
  EXPECT_EQ(s.embedding_scale, 1.0);
  EXPECT_EQ(s.rms_norm_eps, 1e-5);
  EXPECT_EQ(s.activation, Activation::kSilu);
  EXPECT_EQ(s.bos_token_id, 1);
  EXPECT_EQ(s.eos_token_ids, (std::vector<int64_t>{2, 3}));
}

TEST(ModelSpec, TinyQwen2HasQkvBiasAndTiedHead) {
  ModelSpec s = Load(ModelDir("tiny-qwen2") / "config.json");
  EXPECT_EQ(s.family, Family::kQwen2);
  EXPECT_TRUE(s.qkv_bias);
  EXPECT_FALSE(s.o_bias);
  EXPECT_TRUE(s.tie_word_embeddings);
  EXPECT_EQ(s.lm_head_name, "");
  EXPECT_EQ(s.head_dim, 16);
  EXPECT_EQ(s.rope_global.theta, 1e6);
  // sliding_window 4096 is present but use_sliding_window is false.
  EXPECT_EQ(s.sliding_window, 0);
  EXPECT_EQ(s.layer_kinds, std::vector<AttentionKind>(3, AttentionKind::kGlobal));
}

TEST(ModelSpec, TinyQwen3HasQkNormAndExplicitHeadDim) {
  ModelSpec s = Load(ModelDir("tiny-qwen3") / "config.json");
  EXPECT_EQ(s.family, Family::kQwen3);
  EXPECT_TRUE(s.qk_norm);
  EXPECT_FALSE(s.qkv_bias);
  EXPECT_EQ(s.head_dim, 32);
  EXPECT_DOUBLE_EQ(s.attention_scale, 1.0 / std::sqrt(32.0));
  EXPECT_TRUE(s.tie_word_embeddings);
}

TEST(ModelSpec, TinyGemma3) {
  ModelSpec s = Load(ModelDir("tiny-gemma3") / "config.json");
  EXPECT_EQ(s.family, Family::kGemma3);
  EXPECT_FALSE(s.multimodal);
  using K = AttentionKind;
  EXPECT_EQ(s.layer_kinds, (std::vector<K>{K::kSliding, K::kSliding, K::kSliding, K::kSliding, K::kSliding,
                                           K::kGlobal, K::kSliding}));
  EXPECT_EQ(s.sliding_window, 16);
  EXPECT_EQ(s.rope_global, (RopeSpec{RopeType::kDefault, 1e6}));
  EXPECT_EQ(s.rope_local, (RopeSpec{RopeType::kDefault, 1e4}));
  EXPECT_TRUE(s.gemma_norms && s.qk_norm);
  EXPECT_EQ(s.embedding_scale, 8.0);
  EXPECT_DOUBLE_EQ(s.attention_scale, 1.0 / std::sqrt(32.0));
  EXPECT_EQ(s.activation, Activation::kGeluTanh);
  EXPECT_TRUE(s.tie_word_embeddings);  // absent from the legacy config: gemma3 defaults to tied
  EXPECT_EQ(s.num_kv_heads, 1);
  EXPECT_EQ(s.bos_token_id, 2);
  EXPECT_EQ(s.pad_token_id, 0);
  EXPECT_EQ(s.eos_token_ids, (std::vector<int64_t>{1}));
}

TEST(ModelSpec, Stories260K) {
  ModelSpec s = Load(ModelDir("stories260K") / "config.json");
  EXPECT_EQ(s.family, Family::kLlama);
  EXPECT_EQ(s.head_dim, 8);  // hidden / heads when head_dim is absent
  EXPECT_EQ(s.num_kv_heads, 4);
  EXPECT_EQ(s.rope_global, (RopeSpec{RopeType::kDefault, 10000.0}));
  EXPECT_TRUE(s.tie_word_embeddings);
}

// The shape of google/gemma-3-4b-it's config.json: most text fields left to defaults.
constexpr const char* kGemma3MultimodalLegacy = R"({
  "architectures": ["Gemma3ForConditionalGeneration"],
  "boi_token_index": 255999, "eoi_token_index": 256000, "image_token_index": 262144,
  "eos_token_id": [1, 106],
  "model_type": "gemma3",
  "mm_tokens_per_image": 256,
  "text_config": {
    "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
    "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
    "sliding_window": 1024
  },
  "torch_dtype": "bfloat16",
  "vision_config": {"hidden_size": 1152, "image_size": 896, "model_type": "siglip_vision_model",
                    "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14}
})";

constexpr const char* kGemma3MultimodalT5 = R"({
  "architectures": ["Gemma3ForConditionalGeneration"],
  "eos_token_id": [1, 106],
  "model_type": "gemma3",
  "text_config": {
    "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
    "num_hidden_layers": 34, "sliding_window": 1024, "num_attention_heads": 8, "num_key_value_heads": 4,
    "head_dim": 256, "query_pre_attn_scalar": 256, "vocab_size": 262208,
    "rope_parameters": {
      "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
      "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}
    }
  },
  "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}
})";

TEST(ModelSpec, Gemma3MultimodalUsesTextConfigAndLinearScalingOnGlobalLayersOnly) {
  auto parsed = ParseModelSpec(kGemma3MultimodalLegacy, "config.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ModelSpec& s = *parsed;
  EXPECT_EQ(s.model_type, "gemma3");
  EXPECT_EQ(s.family, Family::kGemma3);
  EXPECT_TRUE(s.multimodal);
  EXPECT_EQ(s.tensor_prefix, "language_model.model.");
  EXPECT_EQ(s.lm_head_name, "");
  EXPECT_TRUE(s.tie_word_embeddings);
  EXPECT_EQ(s.hidden_size, 2560);
  EXPECT_EQ(s.num_layers, 34);
  // transformers' Gemma3TextConfig defaults fill the rest.
  EXPECT_EQ(s.num_heads, 8);
  EXPECT_EQ(s.num_kv_heads, 4);
  EXPECT_EQ(s.head_dim, 256);
  EXPECT_EQ(s.vocab_size, 262208);
  EXPECT_EQ(s.max_position_embeddings, 131072);
  EXPECT_DOUBLE_EQ(s.attention_scale, 1.0 / 16.0);
  EXPECT_EQ(s.rope_global.type, RopeType::kLinear);
  EXPECT_EQ(s.rope_global.factor, 8.0);
  EXPECT_EQ(s.rope_global.theta, 1e6);
  EXPECT_EQ(s.rope_local, (RopeSpec{RopeType::kDefault, 1e4}));
  EXPECT_EQ(s.sliding_window, 1024);
  // Every 6th layer is global (the default pattern).
  for (int64_t i = 0; i < s.num_layers; ++i) {
    EXPECT_EQ(s.layer_kinds[static_cast<size_t>(i)],
              (i + 1) % 6 == 0 ? AttentionKind::kGlobal : AttentionKind::kSliding)
        << i;
  }
  EXPECT_EQ(s.eos_token_ids, (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(s.bos_token_id, 2);

  auto t5 = ParseModelSpec(kGemma3MultimodalT5, "config.json");
  ASSERT_TRUE(t5.ok()) << t5.status().message();
  EXPECT_EQ(*t5, s) << DescribeModelSpec(*t5);
}

TEST(ModelSpec, TransformersDefaultsWhenKeysAreAbsent) {
  auto llama = ParseModelSpec(R"({"model_type":"llama","hidden_size":256,"num_attention_heads":8,
                                  "intermediate_size":512,"num_hidden_layers":2,"vocab_size":100})",
                              "config.json");
  ASSERT_TRUE(llama.ok()) << llama.status().message();
  EXPECT_EQ(llama->head_dim, 32);
  EXPECT_EQ(llama->num_kv_heads, 8);
  EXPECT_FALSE(llama->tie_word_embeddings);
  EXPECT_EQ(llama->rope_global, (RopeSpec{RopeType::kDefault, 10000.0}));
  EXPECT_EQ(llama->max_position_embeddings, 2048);
  EXPECT_EQ(llama->rms_norm_eps, 1e-6);
  EXPECT_EQ(llama->bos_token_id, 1);
  EXPECT_EQ(llama->eos_token_ids, (std::vector<int64_t>{2}));

  auto qwen3 = ParseModelSpec(R"({"model_type":"qwen3","hidden_size":256,"num_attention_heads":8,
                                  "num_key_value_heads":4,"intermediate_size":512,"num_hidden_layers":2,
                                  "vocab_size":100})",
                              "config.json");
  ASSERT_TRUE(qwen3.ok());
  EXPECT_EQ(qwen3->head_dim, 128);  // Qwen3Config's default, not hidden / heads
  EXPECT_FALSE(qwen3->tie_word_embeddings);
  EXPECT_TRUE(qwen3->eos_token_ids.empty());
  EXPECT_EQ(qwen3->bos_token_id, -1);

  // architectures[0] stands in for a missing model_type.
  auto arch = ParseModelSpec(R"({"architectures":["Qwen2ForCausalLM"],"hidden_size":64,"num_attention_heads":4,
                                 "num_key_value_heads":2})",
                             "config.json");
  ASSERT_TRUE(arch.ok());
  EXPECT_EQ(arch->family, Family::kQwen2);
  EXPECT_EQ(arch->head_dim, 16);
}

TEST(ModelSpec, QwenSlidingWindowLayersFromMaxWindowLayers) {
  auto s = ParseModelSpec(R"({"model_type":"qwen2","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,
                              "num_hidden_layers":4,"use_sliding_window":true,"sliding_window":32,
                              "max_window_layers":2})",
                          "config.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  using K = AttentionKind;
  EXPECT_EQ(s->layer_kinds, (std::vector<K>{K::kGlobal, K::kGlobal, K::kSliding, K::kSliding}));
  EXPECT_EQ(s->sliding_window, 32);
}

TEST(ModelSpecErrors, UnsupportedModelType) {
  EXPECT_EQ(ParseError(R"({"model_type":"phi3"})"),
            "config.json: model_type \"phi3\" is not supported (supported: llama, qwen2, qwen3, gemma3_text, gemma3)");
}

TEST(ModelSpecErrors, QuantizationConfigIsRefused) {
  EXPECT_EQ(ParseError(R"({"model_type":"llama","quantization_config":{"quant_method":"fp8"}})"),
            "config.json: field \"quantization_config\" is present (quant_method \"fp8\"): pre-quantized checkpoints "
            "are not supported; use the original fp16/bf16/fp32 weights");
  EXPECT_NE(ParseError(R"({"model_type":"gemma3","text_config":{"quantization_config":{}}})")
                .find("\"text_config.quantization_config\""),
            std::string::npos);
}

TEST(ModelSpecErrors, MalformedJson) {
  const std::string err = ParseError(R"({"model_type": "llama",)");
  EXPECT_EQ(err.rfind("config.json: not valid JSON (", 0), 0u) << err;
  EXPECT_EQ(ParseError("[1]"), "config.json: not a JSON object");
}

TEST(ModelSpecErrors, BadFieldsNameTheField) {
  EXPECT_EQ(ParseError(R"({"model_type":"llama","hidden_size":"abc"})"),
            "config.json: field \"hidden_size\" must be an integer, got \"abc\"");
  EXPECT_EQ(ParseError(R"({"model_type":"llama","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":3})"),
            "config.json: field \"num_key_value_heads\" must be positive and divide num_attention_heads (4), got 3");
  EXPECT_EQ(ParseError(R"({"model_type":"llama","rope_scaling":{"rope_type":"yarn","factor":4}})"),
            "config.json: field \"rope_scaling.rope_type\" is \"yarn\": not supported (supported: default, linear, llama3)");
  EXPECT_EQ(ParseError(R"({"model_type":"llama","rope_scaling":{"type":"llama3","factor":8,"low_freq_factor":1,
                                                                 "high_freq_factor":4}})"),
            "config.json: field \"rope_scaling.original_max_position_embeddings\" is missing (required by llama3 rope "
            "scaling)");
  EXPECT_EQ(ParseError(R"({"model_type":"gemma3_text","num_hidden_layers":2,"layer_types":["full_attention"]})"),
            "config.json: field \"layer_types\" must list 2 layer types (num_hidden_layers), got [\"full_attention\"]");
  EXPECT_EQ(ParseError(R"({"model_type":"gemma3","text_config":{"hidden_size":-5}})"),
            "config.json: field \"text_config.hidden_size\" must be positive, got -5");
  EXPECT_EQ(ParseError(R"({"model_type":"llama","hidden_act":"relu2"})"),
            "config.json: field \"hidden_act\" is \"relu2\": not supported (supported: silu, gelu_pytorch_tanh, gelu)");
  EXPECT_EQ(ParseError(R"({"model_type":"llama","eos_token_id":"x"})"),
            "config.json: field \"eos_token_id\" must be an integer or a list of integers, got \"x\"");
}

TEST(ModelSpecErrors, MissingFile) {
  auto s = LoadModelSpec("/nonexistent/config.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIoError);
}

TEST(Rope, DefaultLinearAndLlama3InverseFrequencies) {
  RopeSpec base{RopeType::kDefault, 10000.0};
  auto inv = RopeInverseFrequencies(base, 8);
  ASSERT_EQ(inv.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(inv[i], std::pow(10000.0, -2.0 * i / 8), 1e-7);

  RopeSpec linear = base;
  linear.type = RopeType::kLinear;
  linear.factor = 8;
  auto lin = RopeInverseFrequencies(linear, 8);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(lin[i], inv[i] / 8);

  // llama3 with original context 32: wavelengths 2*pi/inv are 6.3, 63, 628, 6283; those below
  // 32/4 = 8 are kept, those above 32/1 = 32 are divided by the factor.
  RopeSpec l3{RopeType::kLlama3, 10000.0, 8.0, 1.0, 4.0, 32};
  auto l = RopeInverseFrequencies(l3, 8);
  EXPECT_FLOAT_EQ(l[0], inv[0]);
  EXPECT_FLOAT_EQ(l[1], inv[1] / 8);
  EXPECT_FLOAT_EQ(l[2], inv[2] / 8);
  EXPECT_FLOAT_EQ(l[3], inv[3] / 8);
  RopeSpec wide{RopeType::kLlama3, 10000.0, 8.0, 1.0, 8.0, 256};  // band [32, 256]: 63 is blended
  auto w = RopeInverseFrequencies(wide, 8);
  const double smooth = (256.0 / (2 * 3.14159265358979 / inv[1]) - 1.0) / (8.0 - 1.0);
  EXPECT_NEAR(w[1], (1 - smooth) * inv[1] / 8 + smooth * inv[1], 1e-6);

  float cos[4], sin[4];
  RopeCosSin(inv, 3, cos, sin);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(cos[i], std::cos(3.0 * inv[i]), 1e-6);
    EXPECT_NEAR(sin[i], std::sin(3.0 * inv[i]), 1e-6);
  }
}

TEST(GenerationConfig, ParsesTokensAndSampling) {
  auto g = ParseGenerationConfig(R"({"bos_token_id":2,"eos_token_id":[1,106],"pad_token_id":0,"do_sample":true,
                                     "temperature":0.6,"top_k":64,"top_p":0.95,"transformers_version":"4.50"})",
                                 "generation_config.json");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->eos_token_ids, (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(g->bos_token_id, 2);
  EXPECT_EQ(g->pad_token_id, 0);
  EXPECT_EQ(g->do_sample, true);
  EXPECT_EQ(g->temperature, 0.6);
  EXPECT_EQ(g->top_k, 64);
  EXPECT_EQ(g->top_p, 0.95);
  EXPECT_FALSE(g->repetition_penalty.has_value());

  auto single = ParseGenerationConfig(R"({"eos_token_id":151645})", "generation_config.json");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->eos_token_ids, (std::vector<int64_t>{151645}));
  EXPECT_FALSE(single->do_sample.has_value());

  auto bad = ParseGenerationConfig(R"({"temperature":"hot"})", "generation_config.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "generation_config.json: field \"temperature\" must be a number, got \"hot\"");
  EXPECT_FALSE(ParseGenerationConfig("{", "generation_config.json").ok());
}

}  // namespace
}  // namespace anemll::hf
