// The generation loop: prefill the prompt, then sample and feed one token at a time until a stop
// token, the token budget or the end of the context.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/status.h"
#include "generate/decoder.h"
#include "generate/sampler.h"

namespace anemll::generate {

struct GenerateOptions {
  int64_t max_new_tokens = 128;
  SamplingOptions sampling;
  std::vector<int32_t> stop_tokens;  // any order; see StopTokenIds()
  // When the context is full: keep the most recent ShiftedContextLength() tokens, re-feed them
  // from position 0 and go on (ANEMLL's shift-refill rule); otherwise stop (kContextFull).
  bool shift_context = true;
};

// Tokens kept by a context shift: min(max(C div B - 2, 1) * B, C - B), at least 1.
int64_t ShiftedContextLength(int64_t context, int64_t batch);

enum class StopReason { kStopToken, kMaxTokens, kContextFull, kCallback };
const char* StopReasonName(StopReason reason);  // "stop token", "max tokens", ...

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated, without the stop token
  StopReason reason = StopReason::kMaxTokens;
  int32_t stop_token = -1;      // the stop token sampled, when reason == kStopToken
  int64_t prompt_tokens = 0;
  int64_t context_shifts = 0;   // times the context was shifted
  double prefill_seconds = 0;   // prompt prefill (to the first logits)
  double decode_seconds = 0;    // the remaining steps
};

// Called with each generated token as soon as it is chosen (never with a stop token); returning
// false ends the generation (reason kCallback).
using TokenCallback = std::function<bool(int32_t token)>;

// Continues from the decoder's current position: `prompt` is fed first (it must not be empty).
Result<GenerateResult> Generate(Decoder& decoder, std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TokenCallback& on_token = {});

}  // namespace anemll::generate
