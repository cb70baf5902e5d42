#include "generate/stop_tokens.h"

#include <algorithm>

namespace anemll::generate {

std::vector<int32_t> StopTokenIds(const hf::ModelSpec& spec, const hf::GenerationConfig* generation_config,
                                  int32_t tokenizer_eos,
                                  const std::function<int32_t(std::string_view)>& token_to_id) {
  std::vector<int64_t> ids(spec.eos_token_ids.begin(), spec.eos_token_ids.end());
  if (generation_config) {
    ids.insert(ids.end(), generation_config->eos_token_ids.begin(), generation_config->eos_token_ids.end());
  }
  ids.push_back(tokenizer_eos);
  if (token_to_id) {
    for (std::string_view t : kEndOfTurnTokens) ids.push_back(token_to_id(t));
  }
  std::vector<int32_t> out;
  for (int64_t id : ids) {
    if (id >= 0 && id < spec.vocab_size) out.push_back(static_cast<int32_t>(id));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace anemll::generate
