// meta.yaml exactly as ANEMLL 0.3.5 writes it (key order, indentation, the trailing comment block
// of conversion parameters), so ANEMLL's Swift CLI, ANEMLL Chat and prepare_hf.sh (which greps it
// at fixed columns) read our output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert/layout.h"

namespace anemll::convert {

struct MetaYaml {
  std::string model_name;    // e.g. "Qwen3-0.6B" (basename of the model folder)
  std::string architecture;  // raw model_type
  int context_length = 512;
  int batch_size = 64;
  LutSpec lut_embeddings, lut_ffn, lut_lmhead;
  int num_chunks = 1;
  std::string prefix;
  bool monolithic = false;
  // File names with extension as the loaders expect (".mlmodelc").
  std::string embeddings_file, lm_head_file, ffn_file, pf_file, monolithic_file;
  int split_lm_head = 8;
  bool argmax_in_model = false;
  std::optional<int64_t> vocab_size;
  std::vector<int64_t> lm_head_chunk_sizes;
  bool split_rotate = false;
  std::optional<int> sliding_window;
  bool update_mask_prefill = false;
  bool prefill_dynamic_slice = true;
  bool single_cache = false;
  bool rotate_functions = false;  // monolithic: infer_rotate/prefill_rotate present
  // The "Conversion Parameters" comment block: (key, value) in ANEMLL's order, extras after.
  std::vector<std::pair<std::string, std::string>> conversion_info;
  std::string generated_timestamp;  // "YYYY-mm-dd HH:MM:SS"
};

std::string RenderMetaYaml(const MetaYaml& meta);

// ANEMLL's quoting of a comment value: plain unless YAML would misread it.
std::string EscapeYamlValue(const std::string& value);

}  // namespace anemll::convert
