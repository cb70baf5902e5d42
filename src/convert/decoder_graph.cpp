#include "convert/decoder_graph.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "convert/graph_blocks.h"
#include "hf/rope.h"

namespace anemll::convert {

using mil::DType;
using mil::FunctionBuilder;
using mil::Literal;
using mil::Value;

namespace {

int32_t I32(int64_t v) { return static_cast<int32_t>(v); }

// One layer's constants, loaded before any op is built (loading can fail; building cannot).
struct LayerLiterals {
  Literal in_norm, post_attn_norm;                  // [1,H,1,1]
  std::optional<Literal> pre_ffn_norm, post_ffn_norm;  // gemma3
  WeightConst q, k, v, o;                           // [out,in,1,1], fp16 or palettized
  std::optional<Literal> q_bias, k_bias, v_bias, o_bias;
  std::optional<Literal> q_norm, k_norm;  // [D]
  WeightConst gate, up, down;
  std::optional<Literal> gate_bias, up_bias, down_bias;
};

// Norm gain as an fp16 constant of `shape`: w (llama family) or (1 + w) (gemma), times `factor`.
Result<Literal> NormGain(WeightCache& w, const hf::ModelSpec& s, const std::string& name, int64_t n,
                         std::vector<int64_t> shape, double factor) {
  return w.Derived(StrCat(name, "|gain|", factor, "|", hf::ShapeString(shape)), [&]() -> Result<Literal> {
    ANEMLL_ASSIGN_OR_RETURN(std::vector<float> g, w.F32(name, {n}));
    for (float& v : g) {
      const double gain = s.gemma_norms ? 1.0 + static_cast<double>(v) : static_cast<double>(v);
      v = static_cast<float>(gain * factor);
    }
    return Literal::Fp32(shape, g);  // exact; cast to fp16 in the graph (see HalfConst)
  });
}

Result<std::optional<Literal>> OptionalBias(WeightCache& w, bool present, const std::string& name, int64_t n,
                                            float scale = 1.0f) {
  if (!present) return std::optional<Literal>();
  ANEMLL_ASSIGN_OR_RETURN(Literal lit, w.Fp16(name, {n}, {n}, {scale, 0.0f}));
  return std::optional<Literal>(std::move(lit));
}

Result<LayerLiterals> LoadLayer(const ConversionPlan& p, WeightCache& w, int64_t l) {
  const hf::ModelSpec& s = p.spec;
  const int64_t H = s.hidden_size, I = s.intermediate_size, D = s.head_dim;
  const int64_t q_out = s.num_heads * D, kv_out = s.num_kv_heads * D;
  const std::string pre = s.layer_prefix(l);
  // FP16 scaling: gemma folds alpha into the post norms; the pre-norm families into the
  // projections that feed the residual stream (o_proj, down_proj).
  const double alpha = p.fp16_scale;
  const float branch_scale = s.gemma_norms ? 1.0f : static_cast<float>(alpha);
  const double post_norm_factor = s.gemma_norms ? alpha : 1.0;
  LayerLiterals L;
  ANEMLL_ASSIGN_OR_RETURN(L.in_norm, NormGain(w, s, pre + "input_layernorm.weight", H, {H}, 1.0));
  ANEMLL_ASSIGN_OR_RETURN(L.post_attn_norm, NormGain(w, s, pre + "post_attention_layernorm.weight", H, {H},
                                                     post_norm_factor));
  if (s.gemma_norms) {
    ANEMLL_ASSIGN_OR_RETURN(L.pre_ffn_norm, NormGain(w, s, pre + "pre_feedforward_layernorm.weight", H, {H}, 1.0));
    ANEMLL_ASSIGN_OR_RETURN(L.post_ffn_norm, NormGain(w, s, pre + "post_feedforward_layernorm.weight", H, {H},
                                                      post_norm_factor));
  }
  const std::string a = pre + "self_attn.";
  ANEMLL_ASSIGN_OR_RETURN(L.q, w.Weight(a + "q_proj.weight", {q_out, H}, {q_out, H, 1, 1}, p.lut_ffn));
  ANEMLL_ASSIGN_OR_RETURN(L.k, w.Weight(a + "k_proj.weight", {kv_out, H}, {kv_out, H, 1, 1}, p.lut_ffn));
  ANEMLL_ASSIGN_OR_RETURN(L.v, w.Weight(a + "v_proj.weight", {kv_out, H}, {kv_out, H, 1, 1}, p.lut_ffn));
  ANEMLL_ASSIGN_OR_RETURN(L.o, w.Weight(a + "o_proj.weight", {H, q_out}, {H, q_out, 1, 1}, p.lut_ffn, {branch_scale, 0.0f}));
  ANEMLL_ASSIGN_OR_RETURN(L.q_bias, OptionalBias(w, s.qkv_bias, a + "q_proj.bias", q_out));
  ANEMLL_ASSIGN_OR_RETURN(L.k_bias, OptionalBias(w, s.qkv_bias, a + "k_proj.bias", kv_out));
  ANEMLL_ASSIGN_OR_RETURN(L.v_bias, OptionalBias(w, s.qkv_bias, a + "v_proj.bias", kv_out));
  ANEMLL_ASSIGN_OR_RETURN(L.o_bias, OptionalBias(w, s.o_bias, a + "o_proj.bias", H, branch_scale));
  if (s.qk_norm) {
    ANEMLL_ASSIGN_OR_RETURN(L.q_norm, NormGain(w, s, a + "q_norm.weight", D, {D}, 1.0));
    ANEMLL_ASSIGN_OR_RETURN(L.k_norm, NormGain(w, s, a + "k_norm.weight", D, {D}, 1.0));
  }
  const std::string m = pre + "mlp.";
  ANEMLL_ASSIGN_OR_RETURN(L.gate, w.Weight(m + "gate_proj.weight", {I, H}, {I, H, 1, 1}, p.lut_ffn));
  ANEMLL_ASSIGN_OR_RETURN(L.up, w.Weight(m + "up_proj.weight", {I, H}, {I, H, 1, 1}, p.lut_ffn));
  ANEMLL_ASSIGN_OR_RETURN(L.down, w.Weight(m + "down_proj.weight", {H, I}, {H, I, 1, 1}, p.lut_ffn, {branch_scale, 0.0f}));
  ANEMLL_ASSIGN_OR_RETURN(L.gate_bias, OptionalBias(w, s.mlp_bias, m + "gate_proj.bias", I));
  ANEMLL_ASSIGN_OR_RETURN(L.up_bias, OptionalBias(w, s.mlp_bias, m + "up_proj.bias", I));
  ANEMLL_ASSIGN_OR_RETURN(L.down_bias, OptionalBias(w, s.mlp_bias, m + "down_proj.bias", H, branch_scale));
  return L;
}

// cos and sin tables [rows, D] (rotate-half layout: both halves share frequencies).
Literal RopeTable(const hf::RopeSpec& rope, int64_t head_dim, int64_t rows, bool want_sin) {
  const std::vector<float> inv = hf::RopeInverseFrequencies(rope, head_dim);
  const int64_t half = head_dim / 2;
  std::vector<float> cos(static_cast<size_t>(half)), sin(static_cast<size_t>(half));
  std::vector<float> table(static_cast<size_t>(rows * head_dim));
  for (int64_t pos = 0; pos < rows; ++pos) {
    hf::RopeCosSin(inv, pos, cos.data(), sin.data());
    const std::vector<float>& src = want_sin ? sin : cos;
    for (int64_t i = 0; i < half; ++i) {
      table[static_cast<size_t>(pos * head_dim + i)] = src[static_cast<size_t>(i)];
      table[static_cast<size_t>(pos * head_dim + half + i)] = src[static_cast<size_t>(i)];
    }
  }
  return Literal::Fp32({rows, head_dim}, table);  // exact; cast to fp16 in the graph
}

class DecoderBuilder {
 public:
  DecoderBuilder(const ConversionPlan& p, const DecoderFunctionSpec& f, WeightCache& w)
      : p_(p), s_(p.spec), f_(f), w_(w), b_(FunctionKindName(f.kind)), S_(IsPrefill(f.kind) ? p.batch : 1) {}

  Result<mil::Function> Build();

 private:
  void DeclareInputs();
  Result<Value> Embed();
  Status Layer(int64_t l, Value* x, bool tail);
  Result<Value> Attention(int64_t l, const LayerLiterals& w, const Value& xn);
  // Writes the new keys/values [1,KVH,S,D] of layer l and returns what attention reads.
  Result<std::tuple<Value, Value, std::optional<Value>>> UpdateCache(int64_t l, const Value& k, const Value& v);
  Value Mlp(int64_t l, const LayerLiterals& w, const Value& xn);
  Result<std::pair<Value, Value>> Rope(int64_t l);
  Value MaskColumns(int64_t width);
  Value PositionVector();
  Value ToHeads(const Value& x, int64_t heads, const std::string& name);
  Value ResidualAdd(const Value& x, const Value& delta, const std::string& name);
  void TouchUnusedStates(Value* x);

  const ConversionPlan& p_;
  const hf::ModelSpec& s_;
  const DecoderFunctionSpec& f_;
  WeightCache& w_;
  FunctionBuilder b_;
  const int64_t S_;
  Value input_, position_ids_, causal_mask_, current_pos_, update_mask_;
  std::vector<Value> states_;
  std::vector<bool> state_used_;
  std::map<std::string, std::pair<Value, Value>> rope_;
  std::map<int64_t, Value> masks_;
  Value pos_vector_;
  Value attention_scale_;
  std::optional<Value> rotate_mask_;
};

void DecoderBuilder::DeclareInputs() {
  const int64_t H = s_.hidden_size;
  if (f_.monolithic) {
    input_ = b_.Input("input_ids", DType::kInt32, {1, S_});
  } else {
    input_ = b_.Input("hidden_states", DType::kFp16, {1, S_, H});
  }
  position_ids_ = b_.Input("position_ids", DType::kInt32, {S_});
  causal_mask_ = b_.Input("causal_mask", DType::kFp16, {1, 1, S_, p_.mask_width});
  current_pos_ = b_.Input("current_pos", DType::kInt32, {1});
  if (p_.update_mask_prefill && f_.kind == FunctionKind::kPrefill) {
    update_mask_ = b_.Input("update_mask", DType::kFp16, {1, 1, p_.context, S_});
  }
  for (const StateDecl& st : p_.states) states_.push_back(b_.StateInput(st.name, DType::kFp16, st.shape));
  state_used_.assign(states_.size(), false);
}

Result<Value> DecoderBuilder::Embed() {
  const int64_t V = s_.vocab_size, H = s_.hidden_size;
  const float scale = static_cast<float>(s_.embedding_scale * p_.fp16_scale);
  ANEMLL_ASSIGN_OR_RETURN(WeightConst table,
                          w_.Weight(s_.embed_tokens_name(), {V, H}, {V, H}, p_.lut_embeddings, {scale, 0.0f}));
  return Named(b_, "embed_tokens", b_.Gather(WeightOperand(b_, table, "embed_tokens_table"), input_, 0));
}

Value DecoderBuilder::ToHeads(const Value& x, int64_t heads, const std::string& name) {
  const int64_t D = s_.head_dim;
  if (S_ == 1) return Named(b_, name, b_.Reshape(x, {1, I32(heads), 1, I32(D)}));
  Value r = Named(b_, name + "_r", b_.Reshape(x, {1, I32(heads), I32(D), I32(S_)}));
  return Named(b_, name, b_.Transpose(r, {0, 1, 3, 2}));
}

Result<std::pair<Value, Value>> DecoderBuilder::Rope(int64_t l) {
  const bool local = s_.layer_kinds[static_cast<size_t>(l)] == hf::AttentionKind::kSliding &&
                     !(s_.rope_local == s_.rope_global);
  const std::string kind = local ? "local" : "global";
  if (auto it = rope_.find(kind); it != rope_.end()) return it->second;
  const hf::RopeSpec& rope = local ? s_.rope_local : s_.rope_global;
  const int64_t D = s_.head_dim, rows = p_.context;
  ANEMLL_ASSIGN_OR_RETURN(Literal cos_table, w_.Derived("rope_cos_" + kind, [&]() -> Result<Literal> {
    return RopeTable(rope, D, rows, false);
  }));
  ANEMLL_ASSIGN_OR_RETURN(Literal sin_table, w_.Derived("rope_sin_" + kind, [&]() -> Result<Literal> {
    return RopeTable(rope, D, rows, true);
  }));
  Value c = Named(b_, "rope_cos_" + kind + "_rows",
                  b_.Gather(HalfConst(b_, cos_table, "rope_cos_" + kind + "_table"), position_ids_, 0));
  c = Named(b_, "rope_cos_" + kind, b_.Reshape(c, {1, 1, I32(S_), I32(D)}));
  Value sn = Named(b_, "rope_sin_" + kind + "_rows",
                   b_.Gather(HalfConst(b_, sin_table, "rope_sin_" + kind + "_table"), position_ids_, 0));
  sn = Named(b_, "rope_sin_" + kind, b_.Reshape(sn, {1, 1, I32(S_), I32(D)}));
  rope_[kind] = {c, sn};
  return rope_[kind];
}

Value DecoderBuilder::MaskColumns(int64_t width) {
  if (width == p_.mask_width) return causal_mask_;
  if (auto it = masks_.find(width); it != masks_.end()) return it->second;
  Value m = Slice(b_, causal_mask_, {0, 0, 0, 0}, {1, 1, I32(S_), I32(width)}, StrCat("causal_mask_", width));
  masks_[width] = m;
  return m;
}

// [0, 0, current_pos, 0]: added to a slot's constant offsets to get slice_update bounds.
Value DecoderBuilder::PositionVector() {
  if (pos_vector_.valid()) return pos_vector_;
  pos_vector_ = Named(b_, "kv_position",
                      b_.Concat({mil::Int32Vector({0, 0}), current_pos_, mil::Int32Vector({0})}, 0));
  return pos_vector_;
}

Result<std::tuple<Value, Value, std::optional<Value>>> DecoderBuilder::UpdateCache(int64_t l, const Value& k,
                                                                                  const Value& v) {
  const LayerCache& lc = p_.layer_cache[static_cast<size_t>(l)];
  const int64_t KVH = s_.num_kv_heads, D = s_.head_dim, Lc = lc.length;
  const std::string n = StrCat("layers_", l, "_kv");
  const Value& state = states_[static_cast<size_t>(lc.state)];
  state_used_[static_cast<size_t>(lc.state)] = true;
  const int32_t ks = I32(lc.k_slot), vs = I32(lc.v_slot);
  Value cache = Named(b_, n + "_read", b_.ReadState(state));

  if (lc.local && IsRotate(f_.kind)) {
    // Sliding window past its end: drop the oldest S entries, append the new ones.
    auto old_slot = [&](int32_t slot, const std::string& what) {
      return Slice(b_, cache, {slot, 0, 0, 0}, {slot + 1, I32(KVH), I32(Lc), I32(D)}, n + "_old_" + what);
    };
    Value k_ext = Named(b_, n + "_k_ext", b_.Concat({old_slot(ks, "k"), k}, 2));  // [1,KVH,W+S,D]
    Value v_ext = Named(b_, n + "_v_ext", b_.Concat({old_slot(vs, "v"), v}, 2));
    Value k_keep = Slice(b_, k_ext, {0, 0, I32(S_), 0}, {1, I32(KVH), I32(Lc + S_), I32(D)}, n + "_k_keep");
    Value v_keep = Slice(b_, v_ext, {0, 0, I32(S_), 0}, {1, I32(KVH), I32(Lc + S_), I32(D)}, n + "_v_keep");
    Value c1 = Named(b_, n + "_k_update", b_.SliceUpdate(cache, k_keep, mil::Int32Vector({ks, 0, 0, 0}),
                                                          mil::Int32Vector({ks + 1, I32(KVH), I32(Lc), I32(D)})));
    Value c2 = Named(b_, n + "_v_update", b_.SliceUpdate(c1, v_keep, mil::Int32Vector({vs, 0, 0, 0}),
                                                          mil::Int32Vector({vs + 1, I32(KVH), I32(Lc), I32(D)})));
    b_.WriteState(state, c2, n + "_write");
    if (S_ == 1) {
      // One new token: the kept window is exactly the keys it may see (no mask needed).
      return std::make_tuple(k_keep, v_keep, std::optional<Value>());
    }
    // A rotated batch attends over [old window | new keys] with a constant window mask, so
    // early tokens of the batch still see the entries the rotation evicts.
    if (!rotate_mask_) {
      ANEMLL_ASSIGN_OR_RETURN(Literal mask, w_.Derived(StrCat("rotate_mask_", S_, "_", Lc), [&]() -> Result<Literal> {
        return Literal::Fp16({1, 1, S_, Lc + S_}, RotatedPrefillMask(S_, Lc));
      }));
      rotate_mask_ = Named(b_, "rotate_prefill_mask", b_.Const(mask));
    }
    return std::make_tuple(k_ext, v_ext, rotate_mask_);
  }

  Value updated;
  if (update_mask_.valid()) {
    // Static-slice prefill: blend the batch in through the one-hot update_mask [1,1,C,B].
    Value rows = Lc == p_.context ? update_mask_
                                  : Slice(b_, update_mask_, {0, 0, 0, 0}, {1, 1, I32(Lc), I32(S_)}, n + "_umask");
    Value keep = Named(b_, n + "_keep_sum", b_.ReduceSum(rows, {3}, true));
    keep = Named(b_, n + "_keep", b_.Sub(HalfScalar(1.0), keep));  // [1,1,Lc,1]
    auto blend = [&](const Value& in, int32_t slot, const Value& fresh, const std::string& what) {
      Value old = Slice(b_, in, {slot, 0, 0, 0}, {slot + 1, I32(KVH), I32(Lc), I32(D)}, n + "_old_" + what);
      Value scattered = Named(b_, n + "_scatter_" + what, b_.Matmul(rows, fresh));  // [1,KVH,Lc,D]
      Value kept = Named(b_, n + "_kept_" + what, b_.Mul(old, keep));
      Value merged = Named(b_, n + "_merged_" + what, b_.Add(kept, scattered));
      return Named(b_, n + "_" + what + "_update",
                   b_.SliceUpdate(in, merged, mil::Int32Vector({slot, 0, 0, 0}),
                                  mil::Int32Vector({slot + 1, I32(KVH), I32(Lc), I32(D)})));
    };
    Value c1 = blend(cache, ks, k, "k");
    updated = blend(c1, vs, v, "v");
  } else {
    // Dynamic slice: write at current_pos.
    Value pos = PositionVector();
    auto write = [&](const Value& in, int32_t slot, const Value& fresh, const std::string& what) {
      Value begin = Named(b_, n + "_" + what + "_begin", b_.Add(pos, mil::Int32Vector({slot, 0, 0, 0})));
      Value end = Named(b_, n + "_" + what + "_end", b_.Add(pos, mil::Int32Vector({slot + 1, I32(KVH), I32(S_), I32(D)})));
      return Named(b_, n + "_" + what + "_update", b_.SliceUpdate(in, fresh, begin, end));
    };
    Value c1 = write(cache, ks, k, "k");
    updated = write(c1, vs, v, "v");
  }
  b_.WriteState(state, updated, n + "_write");
  Value now = Named(b_, n + "_reread", b_.ReadState(state));
  Value keys = Slice(b_, now, {ks, 0, 0, 0}, {ks + 1, I32(KVH), I32(Lc), I32(D)}, n + "_keys");
  Value values = Slice(b_, now, {vs, 0, 0, 0}, {vs + 1, I32(KVH), I32(Lc), I32(D)}, n + "_values");
  return std::make_tuple(keys, values, std::optional<Value>(MaskColumns(Lc)));
}

Result<Value> DecoderBuilder::Attention(int64_t l, const LayerLiterals& w, const Value& xn) {
  const int64_t NH = s_.num_heads, KVH = s_.num_kv_heads, D = s_.head_dim, G = NH / KVH;
  const std::string n = StrCat("layers_", l, "_self_attn");
  Value q = Conv1x1(b_, xn, w.q, w.q_bias, n + "_q_proj");
  Value k = Conv1x1(b_, xn, w.k, w.k_bias, n + "_k_proj");
  Value v = Conv1x1(b_, xn, w.v, w.v_bias, n + "_v_proj");
  q = ToHeads(q, NH, n + "_q");  // [1,NH,S,D]
  k = ToHeads(k, KVH, n + "_k");
  v = ToHeads(v, KVH, n + "_v");
  if (s_.qk_norm) {
    q = RmsNormLastAxis(b_, q, *w.q_norm, s_.rms_norm_eps, n + "_q_norm");
    k = RmsNormLastAxis(b_, k, *w.k_norm, s_.rms_norm_eps, n + "_k_norm");
  }
  ANEMLL_ASSIGN_OR_RETURN(auto cos_sin, Rope(l));
  q = ApplyRope(b_, q, cos_sin.first, cos_sin.second, n + "_q_rope");
  k = ApplyRope(b_, k, cos_sin.first, cos_sin.second, n + "_k_rope");
  if (!attention_scale_.valid()) {
    attention_scale_ = HalfConst(b_, Literal::ScalarFp32(static_cast<float>(s_.attention_scale)), "attention_scale");
  }
  q = Named(b_, n + "_q_scaled", b_.Mul(q, attention_scale_));

  ANEMLL_ASSIGN_OR_RETURN(auto kv, UpdateCache(l, k, v));
  const Value& keys = std::get<0>(kv);
  const Value& values = std::get<1>(kv);
  const std::optional<Value>& mask = std::get<2>(kv);
  const int64_t Lk = keys.valid() ? keys.shape()[2] : 0;

  // GQA without repeating K/V: the G query heads of one KV head become G*S rows.
  Value qg = G > 1 ? Named(b_, n + "_q_grouped", b_.Reshape(q, {1, I32(KVH), I32(G * S_), I32(D)})) : q;
  Value scores = Named(b_, n + "_scores", b_.Matmul(qg, keys, false, true));  // [1,KVH,G*S,Lk]
  if (G > 1) scores = Named(b_, n + "_scores_heads", b_.Reshape(scores, {1, I32(NH), I32(S_), I32(Lk)}));
  if (s_.attn_logit_softcapping > 0) {
    const double c = s_.attn_logit_softcapping;
    Value t = Named(b_, n + "_softcap_in", b_.Mul(scores, HalfScalar(1.0 / c)));
    t = Named(b_, n + "_softcap_tanh", b_.Tanh(t));
    scores = Named(b_, n + "_softcap", b_.Mul(t, HalfScalar(c)));
  }
  if (mask) scores = Named(b_, n + "_masked", b_.Add(scores, *mask));
  Value probs = Named(b_, n + "_probs", b_.Softmax(scores, -1));
  if (G > 1) probs = Named(b_, n + "_probs_grouped", b_.Reshape(probs, {1, I32(KVH), I32(G * S_), I32(Lk)}));
  Value ctx = Named(b_, n + "_context", b_.Matmul(probs, values));  // [1,KVH,G*S,D]
  if (S_ == 1) {
    ctx = Named(b_, n + "_context_channels", b_.Reshape(ctx, {1, I32(NH * D), 1, 1}));
  } else {
    if (G > 1) ctx = Named(b_, n + "_context_heads", b_.Reshape(ctx, {1, I32(NH), I32(S_), I32(D)}));
    ctx = Named(b_, n + "_context_t", b_.Transpose(ctx, {0, 1, 3, 2}));
    ctx = Named(b_, n + "_context_channels", b_.Reshape(ctx, {1, I32(NH * D), 1, I32(S_)}));
  }
  return Conv1x1(b_, ctx, w.o, w.o_bias, n + "_o_proj");
}

Value DecoderBuilder::Mlp(int64_t l, const LayerLiterals& w, const Value& xn) {
  const std::string n = StrCat("layers_", l, "_mlp");
  Value gate = Conv1x1(b_, xn, w.gate, w.gate_bias, n + "_gate_proj");
  switch (s_.activation) {
    case hf::Activation::kSilu: gate = Named(b_, n + "_act", b_.Silu(gate)); break;
    case hf::Activation::kGeluTanh: gate = Named(b_, n + "_act", b_.Gelu(gate, "TANH_APPROXIMATION")); break;
    case hf::Activation::kGelu: gate = Named(b_, n + "_act", b_.Gelu(gate, "EXACT")); break;
  }
  Value up = Conv1x1(b_, xn, w.up, w.up_bias, n + "_up_proj");
  Value h = Named(b_, n + "_gated", b_.Mul(gate, up));
  return Conv1x1(b_, h, w.down, w.down_bias, n + "_down_proj");
}

Value DecoderBuilder::ResidualAdd(const Value& x, const Value& delta, const std::string& name) {
  Value y = Named(b_, name, b_.Add(x, delta));
  if (p_.clamp) y = Named(b_, name + "_clamp", b_.Clip(y, -*p_.clamp, *p_.clamp));
  return y;
}

Status DecoderBuilder::Layer(int64_t l, Value* x, bool tail) {
  ANEMLL_ASSIGN_OR_RETURN(LayerLiterals w, LoadLayer(p_, w_, l));
  const double eps = s_.rms_norm_eps;
  // Norms reading the residual stream see alpha * x under FP16 scaling: eps * alpha^2 keeps them
  // exactly what they were (rms(alpha x) with eps alpha^2 == rms(x) with eps).
  const double stream_eps = eps * p_.fp16_scale * p_.fp16_scale;
  const std::string n = StrCat("layers_", l);
  // The residual stream stays [1,S,H] (norms over the last axis); projections see [1,H,1,S].
  Value xn = RmsNormLastAxis(b_, *x, w.in_norm, stream_eps, n + "_input_layernorm");
  ANEMLL_ASSIGN_OR_RETURN(Value attn, Attention(l, w, TokensToChannels(b_, xn, n + "_attn_in")));
  attn = ChannelsToTokens(b_, attn, n + "_attn_out");
  if (s_.gemma_norms) attn = RmsNormLastAxis(b_, attn, w.post_attn_norm, eps, n + "_post_attention_layernorm");
  Value h = ResidualAdd(*x, attn, n + "_attn_residual");
  if (tail && S_ > 1) {
    // Only the batch's last token leaves a prefill: skip the MLP for the others.
    h = Slice(b_, h, {0, I32(S_ - 1), 0}, {1, I32(S_), I32(s_.hidden_size)}, n + "_last_token");
  }
  const Literal& pre_mlp = s_.gemma_norms ? *w.pre_ffn_norm : w.post_attn_norm;
  Value hn = RmsNormLastAxis(b_, h, pre_mlp, stream_eps,
                             n + (s_.gemma_norms ? "_pre_feedforward_layernorm" : "_post_attention_layernorm"));
  Value mlp = ChannelsToTokens(b_, Mlp(l, w, TokensToChannels(b_, hn, n + "_mlp_in")), n + "_mlp_out");
  if (s_.gemma_norms) mlp = RmsNormLastAxis(b_, mlp, *w.post_ffn_norm, eps, n + "_post_feedforward_layernorm");
  *x = ResidualAdd(h, mlp, n + "_mlp_residual");
  return b_.status();
}

// Core ML rejects a declared state that no op reads: add 0 * state[0,0,0,0] to the output.
void DecoderBuilder::TouchUnusedStates(Value* x) {
  for (size_t i = 0; i < states_.size(); ++i) {
    if (state_used_[i]) continue;
    const std::string n = "touch_" + std::to_string(i);
    Value st = Named(b_, n + "_read", b_.ReadState(states_[i]));
    Value one = Slice(b_, st, {0, 0, 0, 0}, {1, 1, 1, 1}, n + "_element");
    one = Named(b_, n + "_scalar", b_.Reshape(one, {1, 1, 1}));
    Value zero = Named(b_, n + "_zero", b_.Mul(one, HalfScalar(0.0)));
    *x = Named(b_, n, b_.Add(*x, zero));
    state_used_[i] = true;
  }
}

Result<mil::Function> DecoderBuilder::Build() {
  DeclareInputs();
  Value x;
  if (f_.monolithic) {
    ANEMLL_ASSIGN_OR_RETURN(x, Embed());
  } else {
    x = input_;
  }
  const bool tail = IsPrefill(f_.kind) && f_.last_chunk;
  for (int64_t l = f_.layers.begin; l < f_.layers.end; ++l) {
    ANEMLL_RETURN_IF_ERROR(Layer(l, &x, tail && l == f_.layers.end - 1));
  }
  TouchUnusedStates(&x);
  if (f_.last_chunk) {
    ANEMLL_ASSIGN_OR_RETURN(Literal gain,
                            NormGain(w_, s_, s_.final_norm_name(), s_.hidden_size, {s_.hidden_size}, 1.0));
    x = RmsNormLastAxis(b_, x, gain, s_.rms_norm_eps * p_.fp16_scale * p_.fp16_scale, "final_norm");
  }
  const bool hidden_out = !f_.monolithic || (IsPrefill(f_.kind) && s_.family == hf::Family::kGemma3);
  if (hidden_out) {
    // x is always the most recent op's output here (a norm, residual add or state touch).
    b_.Output(Named(b_, "output_hidden_states", x));
  } else {
    const bool argmax = p_.argmax && !IsPrefill(f_.kind);  // prefill never uses argmax
    Value h = Named(b_, "lm_head_in", b_.Reshape(x, {1, I32(s_.hidden_size), 1, 1}));
    ANEMLL_RETURN_IF_ERROR(AppendLmHead(b_, p_, w_, h, argmax));
  }
  return b_.Finish();
}

}  // namespace

std::vector<float> RotatedPrefillMask(int64_t batch, int64_t window) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> m(static_cast<size_t>(batch * (window + batch)), -inf);
  for (int64_t i = 0; i < batch; ++i) {
    float* row = &m[static_cast<size_t>(i * (window + batch))];
    for (int64_t j = 0; j < window; ++j) {
      if (j > i) row[j] = 0.0f;  // old slot j holds position s-W+j; visible iff (s+i)-(s-W+j) < W
    }
    for (int64_t t = 0; t < batch; ++t) {
      if (t <= i && i - t < window) row[window + t] = 0.0f;
    }
  }
  return m;
}

Result<mil::Function> BuildDecoderFunction(const ConversionPlan& plan, const DecoderFunctionSpec& spec,
                                           WeightCache& weights) {
  DecoderBuilder builder(plan, spec, weights);
  return builder.Build();
}

Status AppendLmHead(FunctionBuilder& b, const ConversionPlan& p, WeightCache& w, const Value& h, bool argmax) {
  const hf::ModelSpec& s = p.spec;
  const int64_t V = s.vocab_size, H = s.hidden_size;
  const std::string weight = w.checkpoint().output_weight_name();
  std::vector<mil::Operand> idx, val;
  int64_t offset = 0;
  for (size_t k = 0; k < p.lm_head_sizes.size(); ++k) {
    const int64_t n = p.lm_head_sizes[k];
    ANEMLL_ASSIGN_OR_RETURN(WeightConst lit, w.WeightRows(weight, {V, H}, offset, offset + n, {n, H, 1, 1}, p.lut_lmhead));
    offset += n;
    const std::string name = StrCat("lm_head_", k + 1);
    Value y = Conv1x1(b, h, lit, std::nullopt, name + "_conv");  // [1,n,1,1]
    if (s.final_logit_softcapping > 0) {
      const double c = s.final_logit_softcapping;
      y = Named(b, name + "_softcap_in", b.Mul(y, HalfScalar(1.0 / c)));
      y = Named(b, name + "_softcap_tanh", b.Tanh(y));
      y = Named(b, name + "_softcap", b.Mul(y, HalfScalar(c)));
    }
    if (!argmax) {
      b.Output(Named(b, StrCat("logits", k + 1), b.Reshape(y, {1, 1, I32(n)})));
      continue;
    }
    Value r = Named(b, name + "_logits", b.Reshape(y, {1, 1, I32(n)}));
    Value i = Named(b, name + "_argmax", b.ReduceArgmax(r, -1, false));
    idx.push_back(Named(b, name + "_argmax_idx", b.Reshape(i, {1})));
    Value m = Named(b, name + "_max", b.ReduceMax(r, {-1}, false));
    val.push_back(Named(b, name + "_argmax_val", b.Reshape(m, {1})));
  }
  if (argmax) {
    b.Output(Named(b, "argmax_idx", b.Concat(idx, 0)));
    b.Output(Named(b, "argmax_val", b.Concat(val, 0)));
  }
  return b.status();
}

Result<mil::Function> BuildEmbeddingsFunction(const ConversionPlan& p, WeightCache& w) {
  const hf::ModelSpec& s = p.spec;
  const int64_t V = s.vocab_size, H = s.hidden_size;
  const float scale = static_cast<float>(s.embedding_scale * p.fp16_scale);
  ANEMLL_ASSIGN_OR_RETURN(WeightConst table,
                          w.Weight(s.embed_tokens_name(), {V, H}, {V, H}, p.lut_embeddings, {scale, 0.0f}));
  FunctionBuilder b("main");
  Value ids = b.Input("input_ids", DType::kInt32, {1, mil::kUnknownDim});
  b.Output(Named(b, "hidden_states", b.Gather(WeightOperand(b, table, "embed_tokens_table"), ids, 0)));
  return b.Finish();
}

Result<mil::Function> BuildLmHeadFunction(const ConversionPlan& p, WeightCache& w) {
  const int64_t H = p.spec.hidden_size;
  FunctionBuilder b("main");
  Value x = b.Input("hidden_states", DType::kFp16, {1, 1, H});
  Value h = Named(b, "hidden_channels", b.Reshape(x, {1, I32(H), 1, 1}));
  ANEMLL_RETURN_IF_ERROR(AppendLmHead(b, p, w, h, p.argmax));
  return b.Finish();
}

}  // namespace anemll::convert
