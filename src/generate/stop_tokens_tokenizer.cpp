// The tokenizer-aware overload lives apart so users of the plain overload do not pull in the
// tokenizer library.
#include "generate/stop_tokens.h"
#include "tokenizer/tokenizer.h"

namespace anemll::generate {

std::vector<int32_t> StopTokenIds(const hf::ModelSpec& spec, const hf::GenerationConfig* generation_config,
                                  const tokenizer::Tokenizer* tok) {
  if (!tok) return StopTokenIds(spec, generation_config, -1, {});
  return StopTokenIds(spec, generation_config, tok->ConfigTokenId(tok->config().eos_token),
                      [tok](std::string_view t) { return tok->TokenToId(t); });
}

}  // namespace anemll::generate
