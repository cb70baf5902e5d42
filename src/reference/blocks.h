// Internal: the decoder blocks shared by the families, run by Session::Forward.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/model.h"
#include "reference/session.h"

namespace anemll {
class ThreadPool;
}

namespace anemll::reference {

// One layer applied to `rows` new tokens at absolute positions start .. start + rows - 1.
struct BlockContext {
  const Model& model;
  int64_t layer;
  int64_t start;
  int64_t rows;
  ThreadPool* pool;
  std::vector<float>* k_cache;  // [positions, kv_heads * D], grows by `rows`
  std::vector<float>* v_cache;
  ForwardObserver* observer;
};

// Self-attention of normed input [rows, H] -> out [rows, H] (after o_proj): q/k/v projections
// (+ biases), per-head q/k norms, rope, KV cache append, causal (and sliding-window) softmax
// attention with GQA, o_proj.
void SelfAttention(const BlockContext& ctx, const float* normed, float* out);

// Gated MLP of normed input [rows, H] -> out [rows, H]: down(act(gate(x)) * up(x)).
void GatedMlp(const BlockContext& ctx, const float* normed, float* out);

// llama / qwen2 / qwen3: x += attn(norm(x)); x += mlp(norm(x)). x [rows, H] in place.
void PreNormBlock(const BlockContext& ctx, float* x);

// gemma3: x += post_norm(attn(norm(x))); x += post_ffn_norm(mlp(pre_ffn_norm(x))).
void SandwichBlock(const BlockContext& ctx, float* x);

}  // namespace anemll::reference
