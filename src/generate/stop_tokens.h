// The set of token ids that end a generation.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "hf/generation_config.h"
#include "hf/model_spec.h"

namespace anemll::tokenizer {
class Tokenizer;
}

namespace anemll::generate {

// Family end-of-turn / end-of-text tokens, added when the vocabulary has them.
inline constexpr std::string_view kEndOfTurnTokens[] = {
    "<end_of_turn>", "<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "</s>",
};

// generation_config eos_token_id(s) ∪ config.json eos ∪ the tokenizer's eos_token ∪ the
// end-of-turn tokens the vocabulary knows. `token_to_id` returns -1 for unknown tokens (it may be
// empty when there is no tokenizer); `tokenizer_eos` is -1 when unknown. Sorted, unique, each in
// [0, vocab_size).
std::vector<int32_t> StopTokenIds(const hf::ModelSpec& spec, const hf::GenerationConfig* generation_config,
                                  int32_t tokenizer_eos,
                                  const std::function<int32_t(std::string_view)>& token_to_id);

// The same with a loaded tokenizer (nullptr: config ids only).
std::vector<int32_t> StopTokenIds(const hf::ModelSpec& spec, const hf::GenerationConfig* generation_config,
                                  const tokenizer::Tokenizer* tokenizer);

}  // namespace anemll::generate
