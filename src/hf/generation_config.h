// generation_config.json: special token ids and sampling defaults shipped with a checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace anemll::hf {

struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;  // eos_token_id: an int or a list
  int64_t bos_token_id = -1;
  int64_t pad_token_id = -1;
  std::optional<bool> do_sample;
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> repetition_penalty;
};

Result<GenerationConfig> ParseGenerationConfig(std::string_view json_text, const std::string& file);
Result<GenerationConfig> LoadGenerationConfig(const std::filesystem::path& path);

}  // namespace anemll::hf
