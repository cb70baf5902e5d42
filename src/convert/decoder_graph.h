// The MIL functions of the parts: embeddings, LM head, and the decoder functions of an FFN chunk
// or of a monolithic package (infer / prefill / infer_rotate / prefill_rotate).
//
// Decoder function I/O (ANEMLL 0.3.5 contract; S = 1 for infer, B for prefill):
//   hidden_states fp16 [1,S,H] (monolithic: input_ids int32 [1,S]), position_ids int32 [S],
//   causal_mask fp16 [1,1,S,max(C,W)], current_pos int32 [1] (first position of the tokens),
//   [prefill with --static-prefill-slice on Gemma 3: update_mask fp16 [1,1,C,B]],
//   states: every KV cache of the plan.
//   Output output_hidden_states fp16 [1,S,H]; the last chunk applies the final norm, and its
//   prefill returns only the batch's last token [1,1,H] (final-normed). Monolithic: logits1..N
//   or argmax_idx/argmax_val (infer with --argmax); prefill: logits of the batch's last token
//   (Gemma 3: output_hidden_states [1,1,H]).
#pragma once

#include "base/status.h"
#include "convert/plan.h"
#include "convert/weights.h"
#include "mil/builder.h"
#include "mil/ir.h"

namespace anemll::convert {

struct DecoderFunctionSpec {
  FunctionKind kind = FunctionKind::kInfer;
  LayerRange layers;
  bool last_chunk = false;  // holds the final norm (and, in prefill, returns the last token only)
  bool monolithic = false;  // input_ids in, LM head out
};

Result<mil::Function> BuildDecoderFunction(const ConversionPlan& plan, const DecoderFunctionSpec& spec,
                                           WeightCache& weights);

// Embeddings "main": input_ids int32 [1, S] (S unknown: enumerated [1,1] / [1,B]) -> hidden_states
// fp16 [1, S, H]. Gemma's sqrt(H) and the FP16 scale are folded into the table.
Result<mil::Function> BuildEmbeddingsFunction(const ConversionPlan& plan, WeightCache& weights);

// LM head "main": hidden_states fp16 [1,1,H] -> logits1..N [1,1,V_k] or argmax_idx int32 [N] +
// argmax_val fp16 [N].
Result<mil::Function> BuildLmHeadFunction(const ConversionPlan& plan, WeightCache& weights);

// Appends the LM head to `b` for a final-normed hidden state h [1, H, 1, 1] and declares its
// outputs (named as above).
Status AppendLmHead(mil::FunctionBuilder& b, const ConversionPlan& plan, WeightCache& weights, const mil::Value& h,
                    bool argmax);

// The additive mask of a rotated prefill batch over [old local cache (W) | new keys (B)]: query i
// (absolute position s+i, s >= W) sees old slot j (position s-W+j) iff j > i, and new key m iff
// m <= i and i - m < W — exactly the sliding window, independent of s. Values 0 / -inf, [B, W+B].
std::vector<float> RotatedPrefillMask(int64_t batch, int64_t window);

}  // namespace anemll::convert
