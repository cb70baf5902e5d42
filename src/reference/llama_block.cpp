// The pre-norm decoder block of llama, qwen2 and qwen3 (their differences — biases, q/k norms,
// head_dim — are flags of the spec handled inside attention).
#include "reference/blocks.h"
#include "reference/ops.h"

namespace anemll::reference {

void PreNormBlock(const BlockContext& c, float* x) {
  const hf::ModelSpec& s = c.model.spec();
  const LayerWeights& w = c.model.layer(c.layer);
  const int64_t H = s.hidden_size, n = c.rows * H;
  std::vector<float> normed(static_cast<size_t>(n)), delta(static_cast<size_t>(n));

  RmsNorm(x, c.rows, H, w.input_norm.data(), s.rms_norm_eps, normed.data());
  SelfAttention(c, normed.data(), delta.data());
  for (int64_t i = 0; i < n; ++i) x[i] += delta[static_cast<size_t>(i)];
  if (c.observer) c.observer->OnResidualMax(c.layer, SubBlock::kAttention, MaxAbs(x, n));

  RmsNorm(x, c.rows, H, w.post_attn_norm.data(), s.rms_norm_eps, normed.data());
  GatedMlp(c, normed.data(), delta.data());
  for (int64_t i = 0; i < n; ++i) x[i] += delta[static_cast<size_t>(i)];
  if (c.observer) c.observer->OnResidualMax(c.layer, SubBlock::kMlp, MaxAbs(x, n));
}

}  // namespace anemll::reference
