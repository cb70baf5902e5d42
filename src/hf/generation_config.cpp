#include "hf/generation_config.h"

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace anemll::hf {

using json = nlohmann::json;

Result<GenerationConfig> ParseGenerationConfig(std::string_view json_text, const std::string& file) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    return FormatError(file, ": not valid JSON (", what, ")");
  }
  if (!root.is_object()) return FormatError(file, ": not a JSON object");
  GenerationConfig g;
  auto bad = [&](const char* key, const char* expected) {
    return InvalidArgument(file, ": field \"", key, "\" must be ", expected, ", got ", root[key].dump());
  };
  auto present = [&](const char* key) { return root.contains(key) && !root[key].is_null(); };

  if (present("eos_token_id")) {
    const json& e = root["eos_token_id"];
    if (e.is_number_integer()) {
      g.eos_token_ids.push_back(e.get<int64_t>());
    } else if (e.is_array()) {
      for (const auto& v : e) {
        if (!v.is_number_integer()) return bad("eos_token_id", "an integer or a list of integers");
        g.eos_token_ids.push_back(v.get<int64_t>());
      }
    } else {
      return bad("eos_token_id", "an integer or a list of integers");
    }
  }
  for (auto [key, out] : {std::pair<const char*, int64_t*>{"bos_token_id", &g.bos_token_id},
                          {"pad_token_id", &g.pad_token_id}}) {
    if (!present(key)) continue;
    // Some configs list several pad ids; the first is the one used.
    const json& v = root[key];
    if (v.is_number_integer()) {
      *out = v.get<int64_t>();
    } else if (v.is_array() && !v.empty() && v[0].is_number_integer()) {
      *out = v[0].get<int64_t>();
    } else {
      return bad(key, "an integer");
    }
  }
  if (present("do_sample")) {
    if (!root["do_sample"].is_boolean()) return bad("do_sample", "true or false");
    g.do_sample = root["do_sample"].get<bool>();
  }
  for (auto [key, out] : {std::pair<const char*, std::optional<double>*>{"temperature", &g.temperature},
                          {"top_p", &g.top_p},
                          {"repetition_penalty", &g.repetition_penalty}}) {
    if (!present(key)) continue;
    if (!root[key].is_number()) return bad(key, "a number");
    *out = root[key].get<double>();
  }
  if (present("top_k")) {
    if (!root["top_k"].is_number_integer()) return bad("top_k", "an integer");
    g.top_k = root["top_k"].get<int64_t>();
  }
  return g;
}

Result<GenerationConfig> LoadGenerationConfig(const std::filesystem::path& path) {
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseGenerationConfig(text, path.string());
}

}  // namespace anemll::hf
