// Fuses the op chains that ANE graphs spell out element by element into single steps, so a
// decoded token runs hundreds fewer steps (each costs a dispatch and, with the weights streaming
// through the caches, a few cache misses):
//   n = mul(x, -1); c = concat([x, n], axis=-1); l = layer_norm(c, axes=[-1], epsilon);
//   h = slice_by_index(l, begin=0, end=shape(x)); y = mul(h, gain)   (the ANE's RMSNorm)
//     -> y = anemll.rms_norm(x, gain, epsilon)                        at the final mul
//   x1 = x[..., :D/2]; x2 = x[..., D/2:]; r = concat([mul(x2, -1), x1], axis=-1);
//   y = add(mul(x, cos), mul(r, sin))                                 (rotary embedding)
//     -> y = anemll.rope(x, cos, sin)                                 at the add
// when every intermediate value is used only by the next op of the chain, x has a static declared
// shape, and y has x's shape (the RMSNorm gain holds one value per element of the last axis; cos
// and sin broadcast to x). The fused ops compute exactly what the chains do (the same kernels on
// the same values, with the same fp16 rounding of intermediates), so results are bit for bit
// those of the unfused ops.
#pragma once

#include <deque>
#include <vector>

#include "mil/ir.h"

namespace anemll::runtime::internal {

inline constexpr const char* kRmsNormOp = "anemll.rms_norm";
inline constexpr const char* kRopeOp = "anemll.rope";

// The ops to build, in order: `ops` with each matched chain replaced by one op in `synthetic`
// (which must outlive the result). `function` supplies the declared types of its inputs.
std::vector<const mil::Operation*> FuseOps(const std::vector<const mil::Operation*>& ops,
                                           const mil::Function& function, std::deque<mil::Operation>* synthetic);

}  // namespace anemll::runtime::internal
