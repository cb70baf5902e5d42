// Synthetic Hugging Face checkpoints for benchmarks: a real model's config.json (exact shapes,
// rope, window and tying settings) with seeded random bf16 weights (norm gains near 1), written
// tensor by tensor into model.safetensors, the whole folder staged and renamed into place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace anemll::convert {

struct SynthOptions {
  std::string family;  // "qwen3", "llama", "qwen2", "gemma3"
  std::string like;    // a known model: see SyntheticModelNames()
  std::filesystem::path out;
  std::filesystem::path tokenizer_dir;  // tokenizer files copied from here (empty: none)
  uint64_t seed = 0;
  // Shrinks the model for quick experiments (the config is otherwise the real one).
  std::optional<int64_t> num_layers;
  std::optional<int64_t> vocab_size;
};

// "qwen3-0.6b", "llama-3.2-1b", "qwen2.5-0.5b", "gemma3-270m", "gemma3-1b".
std::vector<std::string> SyntheticModelNames();
// The family ("qwen3", "llama", "qwen2", "gemma3") of a known model, or "" if unknown.
std::string SyntheticModelFamily(const std::string& like);
// The real config.json text of a known model ("" if unknown).
std::string SyntheticModelConfig(const std::string& like);

struct SynthResult {
  uint64_t tensors = 0;
  uint64_t parameters = 0;
  uint64_t bytes = 0;  // model.safetensors size
  std::vector<std::string> tokenizer_files;
};

Result<SynthResult> WriteSyntheticCheckpoint(const SynthOptions& options);

}  // namespace anemll::convert
