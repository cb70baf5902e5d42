// Post-processors of tokenizer.json ("post_processor") for a single sequence: the ids they put
// before and after the encoded text when special tokens are requested. TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel (adds nothing) and Sequence are understood.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "tokenizer/json_util.h"

namespace anemll::tokenizer {

struct SpecialWrapping {
  std::vector<int32_t> prefix;  // e.g. {BOS}
  std::vector<int32_t> suffix;  // e.g. {EOS}
};

// `j` is the "post_processor" value (not null).
Result<SpecialWrapping> ParsePostProcessor(const detail::Json& j, const detail::JsonPath& at);

}  // namespace anemll::tokenizer
