#include "generate/generate.h"

#include <algorithm>
#include <chrono>

namespace anemll::generate {

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kStopToken: return "stop token";
    case StopReason::kMaxTokens: return "max tokens";
    case StopReason::kContextFull: return "context full";
    case StopReason::kCallback: return "stopped by caller";
  }
  return "?";
}

int64_t ShiftedContextLength(int64_t context, int64_t batch) {
  batch = std::max<int64_t>(batch, 1);
  const int64_t keep = std::min(std::max<int64_t>(context / batch - 2, 1) * batch, context - batch);
  return std::max<int64_t>(keep, 1);
}

Result<GenerateResult> Generate(Decoder& decoder, std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TokenCallback& on_token) {
  ANEMLL_RETURN_IF_ERROR(ValidateSamplingOptions(options.sampling));
  if (prompt.empty()) return InvalidArgument("generate: empty prompt");
  if (options.max_new_tokens < 0) {
    return InvalidArgument("generate: max_new_tokens must be >= 0, got ", options.max_new_tokens);
  }
  const int64_t context = decoder.context_length();
  if (context > 0 && decoder.position() + static_cast<int64_t>(prompt.size()) > context) {
    return InvalidArgument("generate: prompt of ", prompt.size(), " tokens at position ", decoder.position(),
                           " does not fit the context of ", context, " tokens");
  }
  using Clock = std::chrono::steady_clock;
  GenerateResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  Sampler sampler(options.sampling);

  auto t0 = Clock::now();
  ANEMLL_ASSIGN_OR_RETURN(std::vector<float> logits, decoder.Prefill(prompt));
  auto t1 = Clock::now();
  result.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();

  result.reason = StopReason::kMaxTokens;
  while (static_cast<int64_t>(result.tokens.size()) < options.max_new_tokens) {
    const int32_t next = sampler.Sample(logits, history);
    if (std::find(options.stop_tokens.begin(), options.stop_tokens.end(), next) != options.stop_tokens.end()) {
      result.reason = StopReason::kStopToken;
      result.stop_token = next;
      break;
    }
    result.tokens.push_back(next);
    history.push_back(next);
    if (on_token && !on_token(next)) {
      result.reason = StopReason::kCallback;
      break;
    }
    if (static_cast<int64_t>(result.tokens.size()) == options.max_new_tokens) break;
    if (context > 0 && decoder.position() >= context) {
      if (!options.shift_context) {
        result.reason = StopReason::kContextFull;
        break;
      }
      // Re-feed the most recent tokens (ending with `next`) from position 0.
      const size_t keep = std::min(history.size(), static_cast<size_t>(ShiftedContextLength(context, decoder.batch_size())));
      decoder.Reset();
      ANEMLL_ASSIGN_OR_RETURN(logits, decoder.Prefill(std::span<const int32_t>(history).last(keep)));
      ++result.context_shifts;
      continue;
    }
    ANEMLL_ASSIGN_OR_RETURN(logits, decoder.Step(next));
  }
  result.decode_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return result;
}

}  // namespace anemll::generate
