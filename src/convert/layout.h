// The shape of a conversion's output, as ANEMLL lays it out: LUT settings per part, file names,
// the split of layers across FFN chunks and of the vocabulary across LM-head slices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace anemll::convert {

// A LUT palettization request: `bits` 0 = none; `group` = output channels sharing one table
// (0 = one table for the whole tensor). ANEMLL's flag syntax: "none"/"no"/"false"/"" -> none,
// "b" -> b bits with group 8, "b,g" -> group g, "b,0" / "b,tensor" / "b,t" -> per tensor.
struct LutSpec {
  int bits = 0;
  int group = 8;
  bool group_given = false;  // "b,g" written explicitly (meta.yaml records *_per_channel then)

  bool enabled() const { return bits > 0; }
  bool per_tensor() const { return group == 0; }
  // "none", "4", "6,4", "4,0"
  std::string ToString() const;
  static Result<LutSpec> Parse(const std::string& flag, const std::string& text);
  bool operator==(const LutSpec&) const = default;
};

// Layers [begin, end) of chunk `chunk` (0-based) when `num_layers` are split into `num_chunks`:
// the first (L mod N) chunks get one extra layer.
struct LayerRange {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
};
LayerRange ChunkLayerRange(int num_layers, int num_chunks, int chunk);

// Rows of each LM-head slice: V div N each, the first (V mod N) slices one more.
std::vector<int64_t> LmHeadChunkSizes(int64_t vocab_size, int num_slices);

// ANEMLL's split count: 16 for qwen* and gemma* architectures, 8 otherwise.
int DefaultLmHeadSplit(const std::string& model_type);
// ANEMLL's default file prefix: qwen25 (qwen2), qwen (qwen3), gemma3, llama.
std::string DefaultPrefix(const std::string& model_type);

// File names (without extension) exactly as ANEMLL writes them; only LUT bits appear.
std::string EmbeddingsName(const std::string& prefix, const LutSpec& lut);
std::string LmHeadName(const std::string& prefix, const LutSpec& lut);
// `<p>_FFN_PF[_lut<b>]_chunk_NNofMM[_rot]`, chunk 0-based.
std::string FfnChunkName(const std::string& prefix, const LutSpec& lut, int chunk, int num_chunks,
                         bool rotate_file = false);
std::string MonolithicName(const std::string& prefix, const LutSpec& lut);

}  // namespace anemll::convert
