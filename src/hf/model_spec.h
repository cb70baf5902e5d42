// config.json -> ModelSpec: everything about a checkpoint's architecture that the reference
// forward pass, the converter and the runtime need, with transformers' defaults filled in.
//
// Supported model_type values: llama (also DeepSeek-R1-Distill-Llama, DeepHermes), qwen2, qwen3,
// gemma3_text, and gemma3 (the multimodal checkpoint; only its language model is used).
// Both config styles are read: legacy (`rope_theta`, `rope_scaling`, `rope_local_base_freq`) and
// transformers 5 (`rope_parameters`, flat or per layer type).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace anemll::hf {

enum class Family { kLlama, kQwen2, kQwen3, kGemma3 };
const char* FamilyName(Family family);  // "llama", "qwen2", "qwen3", "gemma3"

enum class RopeType { kDefault, kLinear, kLlama3 };
const char* RopeTypeName(RopeType type);  // "default", "linear", "llama3"

struct RopeSpec {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;  // base
  double factor = 1.0;     // linear and llama3
  double low_freq_factor = 1.0;   // llama3
  double high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 0;  // llama3

  bool operator==(const RopeSpec&) const = default;
};

enum class AttentionKind { kGlobal, kSliding };

enum class Activation { kSilu, kGeluTanh, kGelu };
const char* ActivationName(Activation a);  // "silu", "gelu_pytorch_tanh", "gelu"

struct ModelSpec {
  std::string model_type;  // as in config.json ("gemma3_text", "gemma3", ...)
  Family family = Family::kLlama;
  bool multimodal = false;  // gemma3: the language model lives in text_config

  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;

  RopeSpec rope_global;  // full-attention layers
  RopeSpec rope_local;   // sliding-window layers (equal to rope_global outside gemma3)
  std::vector<AttentionKind> layer_kinds;  // [num_layers]
  int64_t sliding_window = 0;  // tokens; 0 when no layer slides. Key k is visible from query q
                               // iff 0 <= q - k < sliding_window.

  bool tie_word_embeddings = false;
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;      // per-head RMSNorm on q and k before rope (qwen3, gemma3)
  bool gemma_norms = false;  // (1 + w) gains, 4 norms per layer (gemma3)

  // sqrt(hidden_size) for gemma3. transformers multiplies by it cast to the weights' dtype, so
  // a bf16 run uses bf16(sqrt(H)) (sqrt(3072) -> 55.5); fp32 runs (our reference, the goldens)
  // use the fp32 value.
  double embedding_scale = 1.0;
  double attention_scale = 1.0;  // 1/sqrt(head_dim), gemma3: 1/sqrt(query_pre_attn_scalar)
  double attn_logit_softcapping = 0.0;   // 0: none; else scores = c * tanh(scores / c)
  double final_logit_softcapping = 0.0;  // 0: none; else logits = c * tanh(logits / c)
  Activation activation = Activation::kSilu;

  std::string tensor_prefix = "model.";        // "model.", "language_model.model.", "model.language_model."
  std::string lm_head_name = "lm_head.weight";  // "" when tied to the embedding

  int64_t bos_token_id = -1;
  int64_t pad_token_id = -1;
  std::vector<int64_t> eos_token_ids;

  const RopeSpec& rope_for_layer(int64_t layer) const {
    return layer_kinds[static_cast<size_t>(layer)] == AttentionKind::kSliding ? rope_local : rope_global;
  }
  bool has_sliding_layers() const { return sliding_window > 0; }
  std::string embed_tokens_name() const { return tensor_prefix + "embed_tokens.weight"; }
  std::string final_norm_name() const { return tensor_prefix + "norm.weight"; }
  std::string layer_prefix(int64_t layer) const { return tensor_prefix + "layers." + std::to_string(layer) + "."; }

  bool operator==(const ModelSpec&) const = default;
};

// Parses config.json text; `file` names it in errors ("config.json: field \"hidden_size\" ...").
Result<ModelSpec> ParseModelSpec(std::string_view json_text, const std::string& file);
Result<ModelSpec> LoadModelSpec(const std::filesystem::path& config_json);

// One line per field, for `anemll inspect`-style output and test diagnostics.
std::string DescribeModelSpec(const ModelSpec& spec);

}  // namespace anemll::hf
