// Chunk sizing as ANEMLL's calc_chunk_split does it: count each decoder layer's parameters from
// the model spec, size a chunk as its layers' fp16 bytes scaled by the LUT bit width and an
// overhead factor, and recommend the fewest chunks whose largest one fits a size limit. Used by
// `anemll chunk-calc` and by `anemll convert --chunk auto`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "convert/layout.h"
#include "hf/model_spec.h"

namespace anemll::convert {

// Parameter counts (elements, not bytes) of a model's weights.
struct ParamCounts {
  int64_t num_layers = 0;
  // One decoder layer, split by kind; layer() is their sum.
  int64_t attention = 0;  // q, k, v, o projections with their biases, q_norm/k_norm gains
  int64_t mlp = 0;        // gate, up, down (3·H·I) with their biases
  int64_t norms = 0;      // per-layer RMSNorm gains: 2·H, or 4·H for gemma3
  // Reported, but not part of chunk sizing (they live in the embeddings and LM-head parts).
  int64_t embeddings = 0;  // V·H
  int64_t lm_head = 0;     // V·H, 0 when tied to the embeddings
  int64_t final_norm = 0;  // H

  int64_t layer() const { return attention + mlp + norms; }
  int64_t total() const { return layer() * num_layers + embeddings + lm_head + final_norm; }
};

ParamCounts CountParams(const hf::ModelSpec& spec);

// The spec of a Hugging Face model folder (its config.json) or of a config.json file.
Result<hf::ModelSpec> LoadSpecForSizing(const std::filesystem::path& model_dir_or_config);

// LUT bits for sizing from a flag value: "16", "none", "fp16" or "" -> 16; "b" or "b,group" -> b
// (the group does not change the size). Not validated against the allowed set.
Result<int> ParseSizingBits(const std::string& flag, const std::string& text);

// How chunks are sized: size = fp16 bytes × (bits/16 when bits < 16) × overhead, in MiB (which
// ANEMLL calls MB).
struct ChunkSizing {
  int lut_bits = 16;          // 1, 2, 3, 4, 6, 8, or 16 (no LUT)
  double overhead = 1.10;     // container/metadata allowance
  double max_chunk_mb = 950;  // limit for one chunk, MiB
};

// Checks the sizing values; errors name the flag (--lut, --overhead, --max-chunk-mb).
Status ValidateChunkSizing(const ChunkSizing& sizing);

// Estimated bytes of `layers` decoder layers at `lut_bits` with `overhead`.
double EstimatedLayersBytes(const ParamCounts& counts, int64_t layers, int lut_bits, double overhead);

struct ChunkEstimate {
  LayerRange layers;  // [begin, end) of the model's layers
  double bytes = 0;   // estimated size
};
// The chunks of an `num_chunks`-way split (the converter's balanced split) with their sizes.
std::vector<ChunkEstimate> EstimateChunks(const ParamCounts& counts, int num_chunks, int lut_bits, double overhead);
// Size of the largest chunk of that split.
double LargestChunkBytes(const ParamCounts& counts, int num_chunks, int lut_bits, double overhead);

// The fewest chunks (1..L) whose largest chunk fits `max_chunk_mb`; L when none fits (or 1 for a
// model without layers).
int RecommendChunkCount(const ParamCounts& counts, const ChunkSizing& sizing);

constexpr double kBytesPerMb = 1024.0 * 1024.0;

}  // namespace anemll::convert
