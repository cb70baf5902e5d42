#include <algorithm>
#include <cmath>

#include "base/thread_pool.h"
#include "hf/rope.h"
#include "reference/blocks.h"
#include "reference/ops.h"

namespace anemll::reference {

void SelfAttention(const BlockContext& c, const float* x, float* out) {
  const hf::ModelSpec& s = c.model.spec();
  const LayerWeights& w = c.model.layer(c.layer);
  const int64_t H = s.hidden_size, D = s.head_dim, n_heads = s.num_heads, n_kv = s.num_kv_heads;
  const int64_t rows = c.rows, q_width = n_heads * D, kv_width = n_kv * D;
  auto bias = [](const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); };

  std::vector<float> q(static_cast<size_t>(rows * q_width));
  std::vector<float> k(static_cast<size_t>(rows * kv_width));
  std::vector<float> v(static_cast<size_t>(rows * kv_width));
  MatMulTransposed(x, rows, H, w.q.data(), q_width, bias(w.q_bias), q.data(), c.pool);
  MatMulTransposed(x, rows, H, w.k.data(), kv_width, bias(w.k_bias), k.data(), c.pool);
  MatMulTransposed(x, rows, H, w.v.data(), kv_width, bias(w.v_bias), v.data(), c.pool);

  if (s.qk_norm) {
    RmsNorm(q.data(), rows * n_heads, D, w.q_norm.data(), s.rms_norm_eps, q.data());
    RmsNorm(k.data(), rows * n_kv, D, w.k_norm.data(), s.rms_norm_eps, k.data());
  }

  const std::vector<float>& inv_freq = c.model.inv_freq(c.layer);
  std::vector<float> cos(static_cast<size_t>(D / 2)), sin(static_cast<size_t>(D / 2));
  for (int64_t t = 0; t < rows; ++t) {
    hf::RopeCosSin(inv_freq, c.start + t, cos.data(), sin.data());
    for (int64_t h = 0; h < n_heads; ++h) ApplyRope(&q[static_cast<size_t>(t * q_width + h * D)], D, cos.data(), sin.data());
    for (int64_t h = 0; h < n_kv; ++h) ApplyRope(&k[static_cast<size_t>(t * kv_width + h * D)], D, cos.data(), sin.data());
  }

  c.k_cache->insert(c.k_cache->end(), k.begin(), k.end());
  c.v_cache->insert(c.v_cache->end(), v.begin(), v.end());
  const float* keys = c.k_cache->data();
  const float* values = c.v_cache->data();

  const bool sliding = s.layer_kinds[static_cast<size_t>(c.layer)] == hf::AttentionKind::kSliding;
  const int64_t group = n_heads / n_kv;
  const float scale = static_cast<float>(s.attention_scale);
  const float softcap = static_cast<float>(s.attn_logit_softcapping);
  std::vector<float> attn(static_cast<size_t>(rows * q_width));

  // One (token, head) pair per work item.
  auto work = [&](size_t begin, size_t end) {
    std::vector<float> scores;
    for (size_t item = begin; item < end; ++item) {
      const int64_t t = static_cast<int64_t>(item) / n_heads, h = static_cast<int64_t>(item) % n_heads;
      const int64_t pos = c.start + t;
      // A key at position j is visible iff j <= pos and, on sliding layers, pos - j < window.
      const int64_t first = sliding ? std::max<int64_t>(0, pos - s.sliding_window + 1) : 0;
      const int64_t n = pos - first + 1;
      const float* qh = &q[static_cast<size_t>(t * q_width + h * D)];
      const int64_t kvh = h / group;
      scores.resize(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j) {
        const float* kj = keys + (first + j) * kv_width + kvh * D;
        float dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += qh[d] * kj[d];
        float score = dot * scale;
        if (softcap > 0) score = std::tanh(score / softcap) * softcap;
        scores[static_cast<size_t>(j)] = score;
      }
      Softmax(scores.data(), n);
      float* oh = &attn[static_cast<size_t>(t * q_width + h * D)];
      std::fill(oh, oh + D, 0.0f);
      for (int64_t j = 0; j < n; ++j) {
        const float p = scores[static_cast<size_t>(j)];
        const float* vj = values + (first + j) * kv_width + kvh * D;
        for (int64_t d = 0; d < D; ++d) oh[d] += p * vj[d];
      }
    }
  };
  const size_t items = static_cast<size_t>(rows * n_heads);
  const int64_t cost_per_item = (c.start + rows) * D * 2;
  if (c.pool && c.pool->num_threads() > 1 && cost_per_item * static_cast<int64_t>(items) > (1 << 17)) {
    c.pool->ParallelFor(items, work, static_cast<size_t>(std::max<int64_t>(1, (1 << 15) / cost_per_item)));
  } else {
    work(0, items);
  }

  MatMulTransposed(attn.data(), rows, q_width, w.o.data(), H, bias(w.o_bias), out, c.pool);
}

void GatedMlp(const BlockContext& c, const float* x, float* out) {
  const hf::ModelSpec& s = c.model.spec();
  const LayerWeights& w = c.model.layer(c.layer);
  const int64_t H = s.hidden_size, I = s.intermediate_size, rows = c.rows;
  auto bias = [](const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); };
  std::vector<float> gate(static_cast<size_t>(rows * I)), up(static_cast<size_t>(rows * I));
  MatMulTransposed(x, rows, H, w.gate.data(), I, bias(w.gate_bias), gate.data(), c.pool);
  MatMulTransposed(x, rows, H, w.up.data(), I, bias(w.up_bias), up.data(), c.pool);
  switch (s.activation) {
    case hf::Activation::kSilu: SiluMul(gate.data(), up.data(), rows * I); break;
    case hf::Activation::kGeluTanh: GeluTanhMul(gate.data(), up.data(), rows * I); break;
    case hf::Activation::kGelu: GeluMul(gate.data(), up.data(), rows * I); break;
  }
  MatMulTransposed(gate.data(), rows, I, w.down.data(), H, bias(w.down_bias), out, c.pool);
}

}  // namespace anemll::reference
