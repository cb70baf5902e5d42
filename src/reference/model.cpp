#include "reference/model.h"

#include "hf/rope.h"

namespace anemll::reference {

namespace {

// Loads `name` with `shape` into `out`.
Status LoadInto(const hf::Checkpoint& ckpt, const std::string& name, const std::vector<int64_t>& shape,
                std::vector<float>* out) {
  ANEMLL_ASSIGN_OR_RETURN(*out, ckpt.LoadF32(name, shape));
  return Status::Ok();
}

// Gemma stores norm gains as offsets from 1.
void FoldGemmaGain(std::vector<float>* gain) {
  for (float& g : *gain) g = 1.0f + g;
}

}  // namespace

Result<std::unique_ptr<Model>> Model::Load(const hf::Checkpoint& ckpt) {
  auto model = std::unique_ptr<Model>(new Model());
  Model& m = *model;
  m.spec_ = ckpt.spec();
  const hf::ModelSpec& s = m.spec_;
  const int64_t H = s.hidden_size, I = s.intermediate_size, D = s.head_dim, V = s.vocab_size;
  const int64_t q_out = s.num_heads * D, kv_out = s.num_kv_heads * D;

  ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, s.embed_tokens_name(), {V, H}, &m.embed_));
  m.layers_.resize(static_cast<size_t>(s.num_layers));
  for (int64_t l = 0; l < s.num_layers; ++l) {
    LayerWeights& w = m.layers_[static_cast<size_t>(l)];
    const std::string p = s.layer_prefix(l);
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "input_layernorm.weight", {H}, &w.input_norm));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "post_attention_layernorm.weight", {H}, &w.post_attn_norm));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.q_proj.weight", {q_out, H}, &w.q));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.k_proj.weight", {kv_out, H}, &w.k));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.v_proj.weight", {kv_out, H}, &w.v));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.o_proj.weight", {H, q_out}, &w.o));
    if (s.qkv_bias) {
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.q_proj.bias", {q_out}, &w.q_bias));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.k_proj.bias", {kv_out}, &w.k_bias));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.v_proj.bias", {kv_out}, &w.v_bias));
    }
    if (s.o_bias) ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.o_proj.bias", {H}, &w.o_bias));
    if (s.qk_norm) {
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.q_norm.weight", {D}, &w.q_norm));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "self_attn.k_norm.weight", {D}, &w.k_norm));
    }
    if (s.gemma_norms) {
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "pre_feedforward_layernorm.weight", {H}, &w.pre_ffn_norm));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "post_feedforward_layernorm.weight", {H}, &w.post_ffn_norm));
      for (auto* g : {&w.input_norm, &w.post_attn_norm, &w.pre_ffn_norm, &w.post_ffn_norm, &w.q_norm, &w.k_norm}) {
        FoldGemmaGain(g);
      }
    }
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.gate_proj.weight", {I, H}, &w.gate));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.up_proj.weight", {I, H}, &w.up));
    ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.down_proj.weight", {H, I}, &w.down));
    if (s.mlp_bias) {
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.gate_proj.bias", {I}, &w.gate_bias));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.up_proj.bias", {I}, &w.up_bias));
      ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, p + "mlp.down_proj.bias", {H}, &w.down_bias));
    }
  }
  ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, s.final_norm_name(), {H}, &m.final_norm_));
  if (s.gemma_norms) FoldGemmaGain(&m.final_norm_);
  if (!s.lm_head_name.empty()) ANEMLL_RETURN_IF_ERROR(LoadInto(ckpt, s.lm_head_name, {V, H}, &m.lm_head_));
  m.inv_freq_global_ = hf::RopeInverseFrequencies(s.rope_global, D);
  m.inv_freq_local_ = hf::RopeInverseFrequencies(s.rope_local, D);
  return model;
}

const std::vector<float>& Model::inv_freq(int64_t layer) const {
  return spec_.layer_kinds[static_cast<size_t>(layer)] == hf::AttentionKind::kSliding ? inv_freq_local_
                                                                                       : inv_freq_global_;
}

size_t Model::weight_bytes() const {
  size_t n = embed_.size() + final_norm_.size() + lm_head_.size();
  for (const auto& w : layers_) {
    for (const auto* v : {&w.input_norm, &w.post_attn_norm, &w.pre_ffn_norm, &w.post_ffn_norm, &w.q, &w.k, &w.v,
                          &w.q_bias, &w.k_bias, &w.v_bias, &w.q_norm, &w.k_norm, &w.o, &w.o_bias, &w.gate, &w.up,
                          &w.down, &w.gate_bias, &w.up_bias, &w.down_bias}) {
      n += v->size();
    }
  }
  return n * sizeof(float);
}

}  // namespace anemll::reference
