#include "reference/session.h"

#include <cmath>

#include "base/thread_pool.h"
#include "reference/blocks.h"
#include "reference/ops.h"

namespace anemll::reference {

Session::Session(const Model& model, SessionOptions options)
    : model_(model),
      options_(options),
      pool_(std::make_unique<ThreadPool>(options.num_threads > 0 ? options.num_threads
                                                                 : ThreadPool::HardwareThreads())),
      cache_(static_cast<size_t>(model.spec().num_layers)) {}

Session::~Session() = default;

void Session::Reset() {
  for (auto& c : cache_) {
    c.k.clear();
    c.v.clear();
  }
  position_ = 0;
}

Result<Logits> Session::Forward(std::span<const int32_t> tokens, LogitsMode mode) {
  const hf::ModelSpec& s = model_.spec();
  const int64_t rows = static_cast<int64_t>(tokens.size());
  const int64_t H = s.hidden_size, V = s.vocab_size;
  if (rows == 0) return InvalidArgument("reference forward: no tokens");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= V) {
      return InvalidArgument("reference forward: token id ", tokens[i], " at index ", i,
                             " is outside the vocabulary of ", V, " tokens");
    }
  }
  if (options_.max_context > 0 && position_ + rows > options_.max_context) {
    return InvalidArgument("reference forward: ", rows, " tokens at position ", position_,
                           " exceed the context of ", options_.max_context);
  }

  // Embedding lookup (gemma scales it by sqrt(hidden), applied in fp32).
  std::vector<float> x(static_cast<size_t>(rows * H));
  const float scale = static_cast<float>(s.embedding_scale);
  for (int64_t t = 0; t < rows; ++t) {
    const float* e = model_.embedding().data() + static_cast<int64_t>(tokens[static_cast<size_t>(t)]) * H;
    float* xt = x.data() + t * H;
    for (int64_t i = 0; i < H; ++i) xt[i] = s.embedding_scale == 1.0 ? e[i] : e[i] * scale;
  }

  for (int64_t l = 0; l < s.num_layers; ++l) {
    if (observer_) observer_->OnHidden(l, x, rows);
    LayerCache& cache = cache_[static_cast<size_t>(l)];
    BlockContext ctx{model_, l, position_, rows, pool_.get(), &cache.k, &cache.v, observer_};
    if (s.gemma_norms) {
      SandwichBlock(ctx, x.data());
    } else {
      PreNormBlock(ctx, x.data());
    }
  }
  RmsNorm(x.data(), rows, H, model_.final_norm().data(), s.rms_norm_eps, x.data());
  if (observer_) observer_->OnHidden(s.num_layers, x, rows);
  position_ += rows;

  Logits logits;
  logits.vocab = V;
  if (mode == LogitsMode::kNone) return logits;
  const int64_t first = mode == LogitsMode::kAll ? 0 : rows - 1;
  logits.rows = rows - first;
  logits.values.resize(static_cast<size_t>(logits.rows * V));
  MatMulTransposed(x.data() + first * H, logits.rows, H, model_.output_weight(), V, nullptr, logits.values.data(),
                   pool_.get());
  if (s.final_logit_softcapping > 0) {
    const float cap = static_cast<float>(s.final_logit_softcapping);
    for (float& v : logits.values) v = std::tanh(v / cap) * cap;
  }
  return logits;
}

}  // namespace anemll::reference
