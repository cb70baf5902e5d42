// A decoding session over a reference Model: a KV cache that grows with every Forward() call, so
// feeding a prompt and then one token at a time gives the same logits as one teacher-forced pass.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "reference/model.h"

namespace anemll {
class ThreadPool;
}

namespace anemll::reference {

// Logits of fed positions: rows x vocab, row-major.
struct Logits {
  int64_t rows = 0;
  int64_t vocab = 0;
  std::vector<float> values;  // [rows, vocab]

  std::span<const float> row(int64_t i) const {
    return {values.data() + i * vocab, static_cast<size_t>(vocab)};
  }
  std::span<const float> last() const { return row(rows - 1); }
};

enum class SubBlock { kAttention, kMlp };

// Watches a forward pass. Called on the session's thread, in layer order.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  // Hidden states [rows, hidden] entering layer `index`; index == num_layers is the output of the
  // final norm (transformers' output_hidden_states convention: hidden_0 is the (scaled) embedding).
  virtual void OnHidden(int64_t index, std::span<const float> hidden, int64_t rows) {}
  // max |x| of the residual stream over the fed rows right after layer `layer`'s attention or
  // MLP residual add (what an fp16 run must be able to hold).
  virtual void OnResidualMax(int64_t layer, SubBlock sub, float max_abs) {}
};

struct SessionOptions {
  int num_threads = 0;      // 0: all hardware threads
  int64_t max_context = 0;  // 0: unlimited; else Forward() refuses to go past this many positions
};

class Session {
 public:
  enum class LogitsMode { kAll, kLast, kNone };

  explicit Session(const Model& model, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Feeds `tokens` at positions position() .. position() + n - 1, appending to the KV cache.
  // Returns logits for every fed position (kAll), the last one (kLast) or none.
  Result<Logits> Forward(std::span<const int32_t> tokens, LogitsMode mode = LogitsMode::kLast);
  // Empties the KV cache (position back to 0).
  void Reset();
  int64_t position() const { return position_; }
  const Model& model() const { return model_; }
  // Not owned; nullptr to stop observing.
  void set_observer(ForwardObserver* observer) { observer_ = observer; }

 private:
  struct LayerCache {
    std::vector<float> k;  // [positions, kv_heads * D]
    std::vector<float> v;
  };

  const Model& model_;
  SessionOptions options_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<LayerCache> cache_;
  int64_t position_ = 0;
  ForwardObserver* observer_ = nullptr;
};

}  // namespace anemll::reference
