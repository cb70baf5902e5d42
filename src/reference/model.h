// The fp32 reference model: HF weights converted to fp32 once at load, for llama, qwen2, qwen3
// and gemma3. Sessions (session.h) run it with a KV cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "hf/checkpoint.h"
#include "hf/model_spec.h"

namespace anemll::reference {

// One decoder layer's weights, fp32, HF layouts ([out, in] for projections). Empty vectors are
// absent parts (no bias, no q/k norm, no gemma sandwich norms). Norm gains are stored ready to
// multiply: gemma's (1 + w) is folded in at load.
struct LayerWeights {
  std::vector<float> input_norm;      // [H]
  std::vector<float> post_attn_norm;  // [H] (llama-style: pre-MLP norm; gemma: after attention)
  std::vector<float> pre_ffn_norm;    // [H] gemma only
  std::vector<float> post_ffn_norm;   // [H] gemma only
  std::vector<float> q, k, v;         // [heads*D, H], [kv_heads*D, H], [kv_heads*D, H]
  std::vector<float> q_bias, k_bias, v_bias;
  std::vector<float> q_norm, k_norm;  // [D]
  std::vector<float> o;               // [H, heads*D]
  std::vector<float> o_bias;          // [H]
  std::vector<float> gate, up;        // [I, H]
  std::vector<float> down;            // [H, I]
  std::vector<float> gate_bias, up_bias, down_bias;
};

class Model {
 public:
  // Converts every tensor of the checkpoint's language model to fp32.
  static Result<std::unique_ptr<Model>> Load(const hf::Checkpoint& checkpoint);

  const hf::ModelSpec& spec() const { return spec_; }
  const std::vector<float>& embedding() const { return embed_; }  // [V, H]
  const LayerWeights& layer(int64_t i) const { return layers_[static_cast<size_t>(i)]; }
  const std::vector<float>& final_norm() const { return final_norm_; }  // [H]
  // The output projection [V, H]: lm_head, or the embedding when tied.
  const float* output_weight() const { return lm_head_.empty() ? embed_.data() : lm_head_.data(); }
  // Rope inverse frequencies [D/2] for a layer (global or sliding base/scaling).
  const std::vector<float>& inv_freq(int64_t layer) const;
  // fp32 bytes held by the weights.
  size_t weight_bytes() const;

 private:
  hf::ModelSpec spec_;
  std::vector<float> embed_;
  std::vector<LayerWeights> layers_;
  std::vector<float> final_norm_;
  std::vector<float> lm_head_;  // empty when tied
  std::vector<float> inv_freq_global_;
  std::vector<float> inv_freq_local_;
};

}  // namespace anemll::reference
