#include "hf/tensor_table.h"

namespace anemll::hf {

std::vector<TensorSpec> ExpectedTensors(const ModelSpec& s) {
  std::vector<TensorSpec> t;
  const int64_t H = s.hidden_size, I = s.intermediate_size, D = s.head_dim;
  const int64_t q_out = s.num_heads * D, kv_out = s.num_kv_heads * D;
  t.push_back({s.embed_tokens_name(), {s.vocab_size, H}});
  for (int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = s.layer_prefix(l);
    t.push_back({p + "input_layernorm.weight", {H}});
    t.push_back({p + "self_attn.q_proj.weight", {q_out, H}});
    t.push_back({p + "self_attn.k_proj.weight", {kv_out, H}});
    t.push_back({p + "self_attn.v_proj.weight", {kv_out, H}});
    if (s.qkv_bias) {
      t.push_back({p + "self_attn.q_proj.bias", {q_out}});
      t.push_back({p + "self_attn.k_proj.bias", {kv_out}});
      t.push_back({p + "self_attn.v_proj.bias", {kv_out}});
    }
    if (s.qk_norm) {
      t.push_back({p + "self_attn.q_norm.weight", {D}});
      t.push_back({p + "self_attn.k_norm.weight", {D}});
    }
    t.push_back({p + "self_attn.o_proj.weight", {H, q_out}});
    if (s.o_bias) t.push_back({p + "self_attn.o_proj.bias", {H}});
    t.push_back({p + "post_attention_layernorm.weight", {H}});
    if (s.gemma_norms) {
      t.push_back({p + "pre_feedforward_layernorm.weight", {H}});
      t.push_back({p + "post_feedforward_layernorm.weight", {H}});
    }
    t.push_back({p + "mlp.gate_proj.weight", {I, H}});
    t.push_back({p + "mlp.up_proj.weight", {I, H}});
    t.push_back({p + "mlp.down_proj.weight", {H, I}});
    if (s.mlp_bias) {
      t.push_back({p + "mlp.gate_proj.bias", {I}});
      t.push_back({p + "mlp.up_proj.bias", {I}});
      t.push_back({p + "mlp.down_proj.bias", {H}});
    }
  }
  t.push_back({s.final_norm_name(), {H}});
  if (!s.lm_head_name.empty()) {
    t.push_back({s.lm_head_name, {s.vocab_size, H}, true});
  } else {
    // Tied: a stored lm_head (some exports keep the copy) must still have the right shape.
    const bool legacy_multimodal = s.tensor_prefix == "language_model.model.";
    t.push_back({legacy_multimodal ? "language_model.lm_head.weight" : "lm_head.weight", {s.vocab_size, H}, false});
  }
  return t;
}

Status CheckTensors(const TensorStore& store, const std::vector<TensorSpec>& expected, const std::string& label) {
  for (const TensorSpec& e : expected) {
    const TensorInfo* t = store.Find(e.name);
    if (!t) {
      if (e.required) return NotFound(label, ": missing tensor ", e.name);
      continue;
    }
    if (t->shape != e.shape) {
      return InvalidArgument(label, ": tensor ", e.name, " has shape ", ShapeString(t->shape), ", expected ",
                             ShapeString(e.shape));
    }
    if (t->dtype != DType::kF32 && t->dtype != DType::kF16 && t->dtype != DType::kBF16) {
      return Unsupported(label, ": tensor ", e.name, " has dtype ", DTypeName(t->dtype),
                         ", expected F32, F16 or BF16");
    }
  }
  return Status::Ok();
}

}  // namespace anemll::hf
