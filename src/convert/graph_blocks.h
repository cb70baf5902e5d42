// ANE-shaped building blocks on a mil::FunctionBuilder. Activations of the residual stream are
// kept channels-first, [1, C, 1, S] (C channels, S tokens), the layout the ANE's convolution and
// layer_norm engines want; projections are 1x1 convolutions with weights [out, in, 1, 1].
// Errors are the builder's (sticky); every helper returns an invalid Value after one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convert/weights.h"
#include "mil/builder.h"

namespace anemll::convert {

// Scalar fp16 constants.
mil::Literal HalfScalar(double v);

// An fp16 value from a constant: an fp16 literal as is; an fp32 literal (derived constants such
// as norm gains and rope tables, kept exact) through a cast to fp16, which Core ML folds into an
// fp16 constant when it loads the model — so fp16 execution sees exactly what an fp16 constant
// would give, while fp32 execution checks the graph against the exact values.
mil::Value HalfConst(mil::FunctionBuilder& b, const mil::Literal& lit, const std::string& name);

// RMSNorm over the last axis of x [..., D] (hidden size, or head_dim for q/k norms): layer_norm
// (no affine) of concat([x, -x]) over 2D values — its mean is exactly 0 and its variance
// mean(x^2) — then the first D values times the gain [D].
mil::Value RmsNormLastAxis(mil::FunctionBuilder& b, const mil::Value& x, const mil::Literal& gain, double eps,
                           const std::string& name);

// 1x1 convolution: x [1, in, 1, S] -> [1, out, 1, S]; weight [out, in, 1, 1], bias [out].
mil::Value Conv1x1(mil::FunctionBuilder& b, const mil::Value& x, const mil::Literal& weight,
                   const std::optional<mil::Literal>& bias, const std::string& name);

// A weight as an operand: the fp16 literal itself, or a constexpr_lut_to_dense (named
// `name`_palettized) when it is palettized.
mil::Operand WeightOperand(mil::FunctionBuilder& b, const WeightConst& w, const std::string& name);

// 1x1 convolution with a possibly palettized weight.
mil::Value Conv1x1(mil::FunctionBuilder& b, const mil::Value& x, const WeightConst& weight,
                   const std::optional<mil::Literal>& bias, const std::string& name);

// Rotate-half rope: x * cos + concat(-x2, x1) * sin, with x [..., D] split into halves x1, x2 and
// cos/sin broadcastable to x.
mil::Value ApplyRope(mil::FunctionBuilder& b, const mil::Value& x, const mil::Value& cos, const mil::Value& sin,
                     const std::string& name);

// [1, S, C] (token-major, the parts' I/O layout) -> [1, C, 1, S] and back.
mil::Value TokensToChannels(mil::FunctionBuilder& b, const mil::Value& x, const std::string& name);
mil::Value ChannelsToTokens(mil::FunctionBuilder& b, const mil::Value& x, const std::string& name);

// Static slice x[begin:end] (per axis) with constant bounds.
mil::Value Slice(mil::FunctionBuilder& b, const mil::Value& x, const std::vector<int32_t>& begin,
                 const std::vector<int32_t>& end, const std::string& name = "");

// x with `name` given to the op that made it, if a name is given.
mil::Value Named(mil::FunctionBuilder& b, const std::string& name, const mil::Value& v);

}  // namespace anemll::convert
