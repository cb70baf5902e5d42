// Readable text of MIL programs (in the spirit of coremltools' pymil print), for
// `anemll inspect --mil`, error messages and tests:
//
//   func infer(fp16[1,1,64] hidden_states, state<fp16[6,2,32,16]> kv_cache) {
//     const fp16[64,64] w_0 = blob@64
//     const int32 attn_axis_0 = -1
//     fp16[1,1,64] y = linear(x=hidden_states, weight=w_0, bias=b_0)
//     fp16[1,8,1,4] x_to_fp16 = cast[cast_1](x=x, dtype=x_to_fp16_dtype_0)
//     (fp16[1,4] topk_0_0, int32[1,4] topk_0_1) = topk[topk_0](x=y, k=k_0)
//     write_state[upd](input=kv_cache, data=cache)
//   } -> (y)
//
// The op name is shown in brackets when it differs from its single output's name.
#pragma once

#include <string>

#include "mil/ir.h"

namespace anemll::mil {

// "fp16[1,?,64]"; scalars as "fp16"; unknown rank as "fp16[*]".
std::string FormatTensorType(const TensorType& type);
// FormatTensorType, or "state<fp16[2,1,16,8]>" for states.
std::string FormatType(const ValueType& type);
// Literals read from weight.bin as "blob@<offset>"; others as values when small ("-1",
// "[1, 1, 8]", "true", "\"fp16\"") or as "<N bytes>".
std::string FormatLiteral(const Literal& literal);

std::string PrintFunction(const std::string& name, const Function& function);
// All functions, in name order, separated by blank lines.
std::string PrintProgram(const Program& program);

}  // namespace anemll::mil
