#include "generate/decoder.h"

namespace anemll::generate {

Result<std::vector<float>> ReferenceDecoder::Prefill(std::span<const int32_t> tokens) {
  ANEMLL_ASSIGN_OR_RETURN(reference::Logits logits, session_.Forward(tokens, reference::Session::LogitsMode::kLast));
  return std::move(logits.values);
}

Result<std::vector<float>> ReferenceDecoder::Step(int32_t token) {
  const int32_t one[] = {token};
  return Prefill(one);
}

}  // namespace anemll::generate
