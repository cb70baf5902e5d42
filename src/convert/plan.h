// What a conversion will emit, decided once from the model spec and the user's options: context
// and batch after ANEMLL's adjustments, the KV-cache layout (states, slot of each layer's K/V),
// the layer split across chunks, the LM-head split, FP16 scaling and the functions of each
// package. Everything the graph builders need and nothing they must re-derive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "convert/layout.h"
#include "hf/model_spec.h"

namespace anemll::convert {

// The user's request, as `anemll convert` flags give it (ANEMLL's names and defaults).
struct ConvertOptions {
  int context = 512;
  int batch = 64;
  std::optional<int> chunks;  // unset: ANEMLL's 2, capped at the layer count
  bool chunk_auto = false;    // --chunk auto
  double max_chunk_mb = 950;  // target for --chunk auto
  std::string prefix;         // empty: ANEMLL's default for the architecture
  bool monolithic = false;
  bool argmax = false;
  bool split_rotate = false;
  bool single_cache = false;
  bool static_prefill_slice = false;
  std::string fp16_scale;  // "" (none), "auto" or a number in (0, 1]
  std::optional<double> clamp;
  LutSpec lut_embeddings, lut_ffn, lut_lmhead;
};

// The four kinds of decoder functions.
enum class FunctionKind { kInfer, kPrefill, kInferRotate, kPrefillRotate };
const char* FunctionKindName(FunctionKind kind);  // "infer", "prefill", "infer_rotate", "prefill_rotate"
inline bool IsPrefill(FunctionKind k) { return k == FunctionKind::kPrefill || k == FunctionKind::kPrefillRotate; }
inline bool IsRotate(FunctionKind k) { return k == FunctionKind::kInferRotate || k == FunctionKind::kPrefillRotate; }

// One Core ML state: fp16 [2 * layers, kv_heads, length, head_dim].
struct StateDecl {
  std::string name;  // "model_model_kv_cache_0", "model_model_kv_cache_local", ...
  std::vector<int64_t> shape;
};

// Where a layer keeps its keys and values.
struct LayerCache {
  int state = 0;       // index into ConversionPlan::states
  int64_t k_slot = 0;  // K at [k_slot], V at [v_slot] of the state's first axis
  int64_t v_slot = 0;
  int64_t length = 0;     // cache positions: the context, or the window of a local cache
  bool local = false;     // a sliding-window layer in the window-sized local cache (split layout)
};

struct ConversionPlan {
  hf::ModelSpec spec;
  int64_t context = 0;     // C: state length of global caches, rope table rows
  int64_t batch = 0;       // B: prefill tokens per call
  int64_t window = 0;      // W: sliding window (0: none)
  int64_t mask_width = 0;  // causal_mask columns: max(C, W)
  bool split_cache = false;       // gemma3: kv_cache_local + kv_cache_global
  bool rotate_functions = false;  // infer_rotate / prefill_rotate (split cache and C > W)
  bool update_mask_prefill = false;  // gemma3 --static-prefill-slice: prefill takes update_mask
  bool dynamic_prefill_slice = true;
  std::vector<StateDecl> states;
  std::vector<LayerCache> layer_cache;  // [num_layers]

  int num_chunks = 1;
  std::string prefix;
  bool monolithic = false;
  bool argmax = false;
  bool split_rotate = false;
  bool single_cache = false;
  int lm_head_split = 8;
  std::vector<int64_t> lm_head_sizes;  // rows of each slice, in vocab order
  LutSpec lut_embeddings, lut_ffn, lut_lmhead;

  // FP16 scaling: alpha folded into the residual stream (1 = none), and the residual clamp.
  double fp16_scale = 1.0;
  bool fp16_scale_auto = false;  // alpha to be measured before building
  std::optional<double> clamp;

  // Notes for the user about adjustments made (context raised, split count raised, ...).
  std::vector<std::string> notes;
  std::vector<std::string> warnings;

  // The functions of one decoder package (FFN chunk or monolithic), in package order; and those
  // of the `_rot` package with --split-rotate.
  std::vector<FunctionKind> package_functions() const;
  std::vector<FunctionKind> rotate_package_functions() const;
  LayerRange chunk_layers(int chunk) const { return ChunkLayerRange(static_cast<int>(spec.num_layers), num_chunks, chunk); }
};

// Checks the options against the spec (batch within the context, chunk count within the layer
// count, --single-cache only up to the window, ...) and decides the plan.
// Errors are one line naming the flag and the offending values.
Result<ConversionPlan> MakePlan(const hf::ModelSpec& spec, const ConvertOptions& options);

// Parses --fp16-scale: "" (none), "auto", or a number in (0, 1].
Status ParseFp16Scale(const std::string& text, double* alpha, bool* is_auto);

}  // namespace anemll::convert
