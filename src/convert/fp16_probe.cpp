#include "convert/fp16_probe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "base/half.h"
#include "base/thread_pool.h"
#include "convert/weights.h"
#include "hf/rope.h"
#include "reference/ops.h"
#include "tokenizer/tokenizer.h"

namespace anemll::convert {
namespace {

constexpr const char* kCalibrationText =
    "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea, "
    "there lived an old fisherman who told stories about the stars. Explain how a neural network "
    "learns from data, step by step, and why the results matter.";

// One layer's fp32 weights, loaded just for this layer.
struct ProbeLayer {
  std::vector<float> input_norm, post_attn_norm, pre_ffn_norm, post_ffn_norm;
  std::vector<float> q, k, v, o, q_bias, k_bias, v_bias, o_bias, q_norm, k_norm;
  std::vector<float> gate, up, down, gate_bias, up_bias, down_bias;
};

class Loader {
 public:
  explicit Loader(const hf::Checkpoint& c) : c_(c) {}
  Status Get(const std::string& name, const std::vector<int64_t>& shape, std::vector<float>* out) {
    ANEMLL_ASSIGN_OR_RETURN(*out, c_.LoadF32(name, shape));
    if (const hf::TensorInfo* t = c_.tensors().Find(name)) touched_.emplace_back(t->data, t->nbytes);
    return Status::Ok();
  }
  // Gives the checkpoint pages read so far back to the OS.
  void Release() {
    for (const auto& [d, n] : touched_) ReleaseMappedRange(d, n);
    touched_.clear();
  }

 private:
  const hf::Checkpoint& c_;
  std::vector<std::pair<const uint8_t*, size_t>> touched_;
};

Status LoadProbeLayer(Loader& ld, const hf::ModelSpec& s, int64_t l, ProbeLayer* w) {
  const int64_t H = s.hidden_size, I = s.intermediate_size, D = s.head_dim;
  const int64_t q_out = s.num_heads * D, kv_out = s.num_kv_heads * D;
  const std::string p = s.layer_prefix(l);
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "input_layernorm.weight", {H}, &w->input_norm));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "post_attention_layernorm.weight", {H}, &w->post_attn_norm));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.q_proj.weight", {q_out, H}, &w->q));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.k_proj.weight", {kv_out, H}, &w->k));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.v_proj.weight", {kv_out, H}, &w->v));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.o_proj.weight", {H, q_out}, &w->o));
  if (s.qkv_bias) {
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.q_proj.bias", {q_out}, &w->q_bias));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.k_proj.bias", {kv_out}, &w->k_bias));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.v_proj.bias", {kv_out}, &w->v_bias));
  }
  if (s.o_bias) ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.o_proj.bias", {H}, &w->o_bias));
  if (s.qk_norm) {
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.q_norm.weight", {D}, &w->q_norm));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "self_attn.k_norm.weight", {D}, &w->k_norm));
  }
  if (s.gemma_norms) {
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "pre_feedforward_layernorm.weight", {H}, &w->pre_ffn_norm));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "post_feedforward_layernorm.weight", {H}, &w->post_ffn_norm));
    for (auto* g : {&w->input_norm, &w->post_attn_norm, &w->pre_ffn_norm, &w->post_ffn_norm, &w->q_norm, &w->k_norm}) {
      for (float& v : *g) v += 1.0f;
    }
  }
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.gate_proj.weight", {I, H}, &w->gate));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.up_proj.weight", {I, H}, &w->up));
  ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.down_proj.weight", {H, I}, &w->down));
  if (s.mlp_bias) {
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.gate_proj.bias", {I}, &w->gate_bias));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.up_proj.bias", {I}, &w->up_bias));
    ANEMLL_RETURN_IF_ERROR(ld.Get(p + "mlp.down_proj.bias", {H}, &w->down_bias));
  }
  return Status::Ok();
}

// Row `row` of a 2-D float tensor with `cols` columns, as fp32 (exact for every float dtype).
bool ReadRowF32(const hf::TensorInfo& t, int64_t row, int64_t cols, float* out) {
  const uint8_t* p = t.data;
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t i = row * cols + c;
    switch (t.dtype) {
      case hf::DType::kF32: std::memcpy(&out[c], p + 4 * i, 4); break;
      case hf::DType::kF16: {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[c] = HalfToFloat(h);
        break;
      }
      case hf::DType::kBF16: {
        uint16_t b;
        std::memcpy(&b, p + 2 * i, 2);
        out[c] = Bf16ToFloat(b);
        break;
      }
      case hf::DType::kF64: {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        out[c] = static_cast<float>(d);
        break;
      }
      default: return false;
    }
  }
  return true;
}

const float* BiasOrNull(const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); }

// Causal (and sliding-window) self-attention of all T tokens at positions 0..T-1.
void ProbeAttention(const hf::ModelSpec& s, int64_t l, const ProbeLayer& w, const float* x, int64_t T,
                    ThreadPool* pool, float* out) {
  const int64_t H = s.hidden_size, D = s.head_dim, NH = s.num_heads, KVH = s.num_kv_heads;
  const int64_t qw = NH * D, kw = KVH * D, G = NH / KVH;
  std::vector<float> q(static_cast<size_t>(T * qw)), k(static_cast<size_t>(T * kw)), v(static_cast<size_t>(T * kw));
  reference::MatMulTransposed(x, T, H, w.q.data(), qw, BiasOrNull(w.q_bias), q.data(), pool);
  reference::MatMulTransposed(x, T, H, w.k.data(), kw, BiasOrNull(w.k_bias), k.data(), pool);
  reference::MatMulTransposed(x, T, H, w.v.data(), kw, BiasOrNull(w.v_bias), v.data(), pool);
  if (s.qk_norm) {
    reference::RmsNorm(q.data(), T * NH, D, w.q_norm.data(), s.rms_norm_eps, q.data());
    reference::RmsNorm(k.data(), T * KVH, D, w.k_norm.data(), s.rms_norm_eps, k.data());
  }
  const std::vector<float> inv = hf::RopeInverseFrequencies(s.rope_for_layer(l), D);
  std::vector<float> cos(static_cast<size_t>(D / 2)), sin(static_cast<size_t>(D / 2));
  for (int64_t t = 0; t < T; ++t) {
    hf::RopeCosSin(inv, t, cos.data(), sin.data());
    for (int64_t h = 0; h < NH; ++h) reference::ApplyRope(&q[static_cast<size_t>(t * qw + h * D)], D, cos.data(), sin.data());
    for (int64_t h = 0; h < KVH; ++h) reference::ApplyRope(&k[static_cast<size_t>(t * kw + h * D)], D, cos.data(), sin.data());
  }
  const bool sliding = s.layer_kinds[static_cast<size_t>(l)] == hf::AttentionKind::kSliding;
  const float scale = static_cast<float>(s.attention_scale);
  const float softcap = static_cast<float>(s.attn_logit_softcapping);
  std::vector<float> ctx(static_cast<size_t>(T * qw), 0.0f), scores(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) {
    const int64_t first = sliding ? std::max<int64_t>(0, t - s.sliding_window + 1) : 0;
    const int64_t n = t - first + 1;
    for (int64_t h = 0; h < NH; ++h) {
      const float* qh = &q[static_cast<size_t>(t * qw + h * D)];
      const int64_t kvh = h / G;
      for (int64_t j = 0; j < n; ++j) {
        const float* kj = &k[static_cast<size_t>((first + j) * kw + kvh * D)];
        float dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += qh[d] * kj[d];
        float sc = dot * scale;
        if (softcap > 0) sc = std::tanh(sc / softcap) * softcap;
        scores[static_cast<size_t>(j)] = sc;
      }
      reference::Softmax(scores.data(), n);
      float* oh = &ctx[static_cast<size_t>(t * qw + h * D)];
      for (int64_t j = 0; j < n; ++j) {
        const float pj = scores[static_cast<size_t>(j)];
        const float* vj = &v[static_cast<size_t>((first + j) * kw + kvh * D)];
        for (int64_t d = 0; d < D; ++d) oh[d] += pj * vj[d];
      }
    }
  }
  reference::MatMulTransposed(ctx.data(), T, qw, w.o.data(), H, BiasOrNull(w.o_bias), out, pool);
}

void ProbeMlp(const hf::ModelSpec& s, const ProbeLayer& w, const float* x, int64_t T, ThreadPool* pool, float* out) {
  const int64_t H = s.hidden_size, I = s.intermediate_size;
  std::vector<float> gate(static_cast<size_t>(T * I)), up(static_cast<size_t>(T * I));
  reference::MatMulTransposed(x, T, H, w.gate.data(), I, BiasOrNull(w.gate_bias), gate.data(), pool);
  reference::MatMulTransposed(x, T, H, w.up.data(), I, BiasOrNull(w.up_bias), up.data(), pool);
  switch (s.activation) {
    case hf::Activation::kSilu: reference::SiluMul(gate.data(), up.data(), T * I); break;
    case hf::Activation::kGeluTanh: reference::GeluTanhMul(gate.data(), up.data(), T * I); break;
    case hf::Activation::kGelu: reference::GeluMul(gate.data(), up.data(), T * I); break;
  }
  reference::MatMulTransposed(gate.data(), T, I, w.down.data(), H, BiasOrNull(w.down_bias), out, pool);
}

}  // namespace

std::string ResidualPeak::Where() const {
  return StrCat("layer ", layer, after_mlp ? " (MLP residual)" : " (attention residual)");
}

double AutoFp16Scale(float peak) {
  if (!(peak > kFp16ScaleTarget)) return 1.0;
  return kFp16ScaleTarget / static_cast<double>(peak);
}

std::vector<int32_t> CalibrationTokens(const std::filesystem::path& model_dir, int64_t vocab_size, int count) {
  std::vector<int32_t> ids;
  std::error_code ec;
  if (std::filesystem::exists(model_dir / "tokenizer.json", ec)) {
    auto tok = tokenizer::Tokenizer::Load(model_dir);
    if (tok.ok()) {
      for (int32_t id : tok->Encode(kCalibrationText, true)) {
        if (id >= 0 && id < vocab_size) ids.push_back(id);
        if (static_cast<int>(ids.size()) == count) break;
      }
    }
  }
  if (ids.size() < 4) {
    ids.clear();
    for (int i = 0; i < count; ++i) ids.push_back(static_cast<int32_t>((13 + 7919LL * i) % vocab_size));
  }
  return ids;
}

Result<ProbeResult> MeasureResidualPeaks(const hf::Checkpoint& checkpoint, const std::vector<int32_t>& tokens,
                                         int threads, const std::function<void(int64_t)>& on_layer) {
  const hf::ModelSpec& s = checkpoint.spec();
  const int64_t T = static_cast<int64_t>(tokens.size()), H = s.hidden_size, V = s.vocab_size;
  if (T == 0) return InvalidArgument("fp16 probe: no calibration tokens");
  ThreadPool pool(threads > 0 ? threads : ThreadPool::HardwareThreads());
  Loader ld(checkpoint);

  // Embedding rows of the tokens only.
  const hf::TensorInfo* emb = checkpoint.tensors().Find(s.embed_tokens_name());
  if (!emb || emb->shape != std::vector<int64_t>{V, H}) {
    return NotFound(checkpoint.label(), ": missing tensor ", s.embed_tokens_name());
  }
  std::vector<float> x(static_cast<size_t>(T * H));
  for (int64_t t = 0; t < T; ++t) {
    const int64_t id = tokens[static_cast<size_t>(t)];
    if (id < 0 || id >= V) return InvalidArgument("fp16 probe: token id ", id, " outside the vocabulary of ", V);
    if (!ReadRowF32(*emb, id, H, &x[static_cast<size_t>(t * H)])) {
      return Unsupported(checkpoint.label(), ": tensor ", s.embed_tokens_name(), " has dtype ", hf::DTypeName(emb->dtype));
    }
  }
  for (float& v : x) v *= static_cast<float>(s.embedding_scale);

  ProbeResult r;
  r.tokens = T;
  r.attention_peaks.assign(static_cast<size_t>(s.num_layers), 0.0f);
  r.mlp_peaks.assign(static_cast<size_t>(s.num_layers), 0.0f);
  std::vector<float> normed(x.size()), delta(x.size());
  auto record = [&](int64_t l, bool mlp) {
    float m = reference::MaxAbs(x.data(), T * H);
    if (!std::isfinite(m)) m = std::numeric_limits<float>::infinity();  // NaN counts as overflow
    (mlp ? r.mlp_peaks : r.attention_peaks)[static_cast<size_t>(l)] = m;
    if (m > r.peak.value) r.peak = {m, l, mlp};
  };
  for (int64_t l = 0; l < s.num_layers; ++l) {
    ProbeLayer w;
    ANEMLL_RETURN_IF_ERROR(LoadProbeLayer(ld, s, l, &w));
    reference::RmsNorm(x.data(), T, H, w.input_norm.data(), s.rms_norm_eps, normed.data());
    ProbeAttention(s, l, w, normed.data(), T, &pool, delta.data());
    if (s.gemma_norms) reference::RmsNorm(delta.data(), T, H, w.post_attn_norm.data(), s.rms_norm_eps, delta.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += delta[i];
    record(l, false);
    const std::vector<float>& pre = s.gemma_norms ? w.pre_ffn_norm : w.post_attn_norm;
    reference::RmsNorm(x.data(), T, H, pre.data(), s.rms_norm_eps, normed.data());
    ProbeMlp(s, w, normed.data(), T, &pool, delta.data());
    if (s.gemma_norms) reference::RmsNorm(delta.data(), T, H, w.post_ffn_norm.data(), s.rms_norm_eps, delta.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += delta[i];
    record(l, true);
    ld.Release();
    if (on_layer) on_layer(l + 1);
  }
  ReleaseMappedRange(emb->data, emb->nbytes);
  return r;
}

}  // namespace anemll::convert
