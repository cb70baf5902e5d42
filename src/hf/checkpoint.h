// A Hugging Face checkpoint folder: config.json (-> ModelSpec), safetensors weights (single file,
// shards with an index, or several files), optional generation_config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "hf/generation_config.h"
#include "hf/model_spec.h"
#include "hf/tensor_store.h"
#include "hf/tensor_table.h"

namespace anemll::hf {

class Checkpoint {
 public:
  // Reads config.json, maps the weights, finds the language model's tensor prefix (gemma3
  // multimodal: "language_model.model." or "model.language_model.") and checks every expected
  // tensor's presence and shape. Errors start with "checkpoint DIR: ".
  static Result<Checkpoint> Open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const ModelSpec& spec() const { return spec_; }
  const TensorStore& tensors() const { return store_; }
  // Present when the folder has generation_config.json.
  const std::optional<GenerationConfig>& generation_config() const { return generation_config_; }

  // A tensor's values as fp32 after a shape check; errors name the checkpoint and tensor.
  Result<std::vector<float>> LoadF32(const std::string& name, const std::vector<int64_t>& shape) const;
  // The output projection's weight: lm_head_name, or the embedding when tied.
  std::string output_weight_name() const {
    return spec_.lm_head_name.empty() ? spec_.embed_tokens_name() : spec_.lm_head_name;
  }
  // "checkpoint DIR"
  std::string label() const { return "checkpoint " + dir_.string(); }

 private:
  std::filesystem::path dir_;
  ModelSpec spec_;
  TensorStore store_;
  std::optional<GenerationConfig> generation_config_;
};

}  // namespace anemll::hf
