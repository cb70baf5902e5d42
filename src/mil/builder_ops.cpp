// FunctionBuilder: one helper per op. Each passes the parameters coremltools would write,
// including the defaults it computes from other inputs (linear's zero bias, conv's strides...).
#include "mil/builder.h"

#include <algorithm>

#include "mil/validate.h"

namespace anemll::mil {
namespace {

using Params = std::vector<std::pair<std::string, std::vector<Operand>>>;

Literal Int(int32_t v) { return Literal::ScalarInt32(v); }
Literal Flag(bool v) { return Literal::ScalarBool(v); }
Literal Str(const std::string& s) { return Literal::String(s); }

void AddSliceOptions(const SliceOptions& o, Params* params) {
  if (!o.stride.empty()) params->push_back({"stride", {Int32Vector(o.stride)}});
  if (!o.begin_mask.empty()) params->push_back({"begin_mask", {BoolVector(o.begin_mask)}});
  if (!o.end_mask.empty()) params->push_back({"end_mask", {BoolVector(o.end_mask)}});
  if (!o.squeeze_mask.empty()) params->push_back({"squeeze_mask", {BoolVector(o.squeeze_mask)}});
}

// A float parameter (epsilon, clip bounds) in the dtype of x; fp32 when x is not a float.
Literal FloatLike(const Operand& x, double v) {
  const DType dtype = x.type().tensor.dtype;
  return ScalarOf(dtype == DType::kFp16 ? DType::kFp16 : DType::kFp32, v);
}

}  // namespace

// ---- constants ---------------------------------------------------------------------------------

Value FunctionBuilder::ConstexprLutToDense(Literal indices, Literal lut, std::optional<int32_t> vector_axis) {
  Params p = {{"indices", {std::move(indices)}}, {"lut", {std::move(lut)}}};
  if (vector_axis) p.push_back({"vector_axis", {Int(*vector_axis)}});
  return Op1("constexpr_lut_to_dense", p);
}

Value FunctionBuilder::ConstexprBlockwiseShiftScale(Operand data, Literal scale, std::optional<Literal> offset) {
  Params p = {{"data", {std::move(data)}}, {"scale", {std::move(scale)}}};
  if (offset) p.push_back({"offset", {std::move(*offset)}});
  return Op1("constexpr_blockwise_shift_scale", p);
}

Value FunctionBuilder::ConstexprAffineDequantize(Literal quantized_data, Literal zero_point, Literal scale,
                                                 int32_t axis) {
  return Op1("constexpr_affine_dequantize", {{"quantized_data", {std::move(quantized_data)}},
                                             {"zero_point", {std::move(zero_point)}},
                                             {"scale", {std::move(scale)}},
                                             {"axis", {Int(axis)}}});
}

Value FunctionBuilder::ConstexprCast(Literal source_val, DType output_dtype) {
  return Op1("constexpr_cast",
             {{"source_val", {std::move(source_val)}}, {"output_dtype", {Str(DTypeName(output_dtype))}}});
}

// ---- linear algebra ----------------------------------------------------------------------------

Value FunctionBuilder::Linear(Operand x, Operand weight, std::optional<Operand> bias) {
  Params p = {{"x", {x}}, {"weight", {weight}}};
  if (bias) {
    p.push_back({"bias", {*bias}});
  } else if (weight.type().tensor.rank() == 2 && weight.type().tensor.shape[0] >= 0) {
    p.push_back({"bias", {Filled(weight.type().tensor.dtype, {weight.type().tensor.shape[0]}, 0.0)}});
  }
  return Op1("linear", p);
}

Value FunctionBuilder::Matmul(Operand x, Operand y, bool transpose_x, bool transpose_y) {
  return Op1("matmul", {{"x", {x}}, {"y", {y}}, {"transpose_x", {Flag(transpose_x)}},
                        {"transpose_y", {Flag(transpose_y)}}});
}

Value FunctionBuilder::Conv(Operand x, Operand weight, std::optional<Operand> bias, const ConvOptions& o) {
  const int spatial = std::max(0, x.type().tensor.rank() - 2);
  auto or_fill = [&](const std::vector<int32_t>& v, size_t n, int32_t fill) {
    return Int32Vector(v.empty() ? std::vector<int32_t>(n, fill) : v);
  };
  Params p = {{"x", {x}}, {"weight", {weight}}};
  if (bias) p.push_back({"bias", {*bias}});
  p.push_back({"strides", {or_fill(o.strides, spatial, 1)}});
  p.push_back({"pad_type", {Str(o.pad_type)}});
  p.push_back({"pad", {or_fill(o.pad, 2 * spatial, 0)}});
  p.push_back({"dilations", {or_fill(o.dilations, spatial, 1)}});
  p.push_back({"groups", {Int(o.groups)}});
  return Op1("conv", p);
}

// ---- elementwise -------------------------------------------------------------------------------

Value FunctionBuilder::Binary(const std::string& type, Operand x, Operand y) {
  return Op1(type, {{"x", {std::move(x)}}, {"y", {std::move(y)}}});
}
Value FunctionBuilder::Unary(const std::string& type, Operand x) { return Op1(type, {{"x", {std::move(x)}}}); }

Value FunctionBuilder::Add(Operand x, Operand y) { return Binary("add", x, y); }
Value FunctionBuilder::Sub(Operand x, Operand y) { return Binary("sub", x, y); }
Value FunctionBuilder::Mul(Operand x, Operand y) { return Binary("mul", x, y); }
Value FunctionBuilder::RealDiv(Operand x, Operand y) { return Binary("real_div", x, y); }
Value FunctionBuilder::Pow(Operand x, Operand y) { return Binary("pow", x, y); }
Value FunctionBuilder::Maximum(Operand x, Operand y) { return Binary("maximum", x, y); }
Value FunctionBuilder::Minimum(Operand x, Operand y) { return Binary("minimum", x, y); }
Value FunctionBuilder::FloorDiv(Operand x, Operand y) { return Binary("floor_div", x, y); }
Value FunctionBuilder::Equal(Operand x, Operand y) { return Binary("equal", x, y); }
Value FunctionBuilder::NotEqual(Operand x, Operand y) { return Binary("not_equal", x, y); }
Value FunctionBuilder::Less(Operand x, Operand y) { return Binary("less", x, y); }
Value FunctionBuilder::LessEqual(Operand x, Operand y) { return Binary("less_equal", x, y); }
Value FunctionBuilder::Greater(Operand x, Operand y) { return Binary("greater", x, y); }
Value FunctionBuilder::GreaterEqual(Operand x, Operand y) { return Binary("greater_equal", x, y); }
Value FunctionBuilder::LogicalAnd(Operand x, Operand y) { return Binary("logical_and", x, y); }
Value FunctionBuilder::LogicalOr(Operand x, Operand y) { return Binary("logical_or", x, y); }
Value FunctionBuilder::LogicalXor(Operand x, Operand y) { return Binary("logical_xor", x, y); }
Value FunctionBuilder::LogicalNot(Operand x) { return Unary("logical_not", x); }

Value FunctionBuilder::Select(Operand cond, Operand a, Operand b) {
  return Op1("select", {{"cond", {cond}}, {"a", {a}}, {"b", {b}}});
}

// ---- unary / activations -----------------------------------------------------------------------

Value FunctionBuilder::Sqrt(Operand x) { return Unary("sqrt", x); }
Value FunctionBuilder::Rsqrt(Operand x, double epsilon) {
  return Op1("rsqrt", {{"x", {x}}, {"epsilon", {FloatLike(x, epsilon)}}});
}
Value FunctionBuilder::Exp(Operand x) { return Unary("exp", x); }
Value FunctionBuilder::Log(Operand x, double epsilon) {
  return Op1("log", {{"x", {x}}, {"epsilon", {FloatLike(x, epsilon)}}});
}
Value FunctionBuilder::Sin(Operand x) { return Unary("sin", x); }
Value FunctionBuilder::Cos(Operand x) { return Unary("cos", x); }
Value FunctionBuilder::Tanh(Operand x) { return Unary("tanh", x); }
Value FunctionBuilder::Sigmoid(Operand x) { return Unary("sigmoid", x); }
Value FunctionBuilder::Silu(Operand x) { return Unary("silu", x); }
Value FunctionBuilder::Relu(Operand x) { return Unary("relu", x); }
Value FunctionBuilder::Gelu(Operand x, const std::string& mode) {
  return Op1("gelu", {{"x", {x}}, {"mode", {Str(mode)}}});
}
Value FunctionBuilder::Erf(Operand x) { return Unary("erf", x); }
Value FunctionBuilder::Square(Operand x) { return Unary("square", x); }
Value FunctionBuilder::Abs(Operand x) { return Unary("abs", x); }
Value FunctionBuilder::Softmax(Operand x, int32_t axis) { return Op1("softmax", {{"x", {x}}, {"axis", {Int(axis)}}}); }
Value FunctionBuilder::Clip(Operand x, double alpha, double beta) {
  return Op1("clip", {{"x", {x}}, {"alpha", {FloatLike(x, alpha)}}, {"beta", {FloatLike(x, beta)}}});
}
Value FunctionBuilder::Cast(Operand x, DType dtype) {
  return Op1("cast", {{"x", {x}}, {"dtype", {Str(DTypeName(dtype))}}});
}

// ---- reductions / normalization ----------------------------------------------------------------

Value FunctionBuilder::Reduce(const std::string& type, Operand x, const std::vector<int32_t>& axes,
                              bool keep_dims) {
  return Op1(type, {{"x", {x}}, {"axes", {Int32Vector(axes)}}, {"keep_dims", {Flag(keep_dims)}}});
}
Value FunctionBuilder::ReduceMean(Operand x, const std::vector<int32_t>& axes, bool keep_dims) {
  return Reduce("reduce_mean", x, axes, keep_dims);
}
Value FunctionBuilder::ReduceSum(Operand x, const std::vector<int32_t>& axes, bool keep_dims) {
  return Reduce("reduce_sum", x, axes, keep_dims);
}
Value FunctionBuilder::ReduceMax(Operand x, const std::vector<int32_t>& axes, bool keep_dims) {
  return Reduce("reduce_max", x, axes, keep_dims);
}
Value FunctionBuilder::ReduceMin(Operand x, const std::vector<int32_t>& axes, bool keep_dims) {
  return Reduce("reduce_min", x, axes, keep_dims);
}
Value FunctionBuilder::ReduceArgmax(Operand x, int32_t axis, bool keep_dims, DType output_dtype) {
  return Op1("reduce_argmax", {{"x", {x}}, {"axis", {Int(axis)}}, {"keep_dims", {Flag(keep_dims)}},
                               {"output_dtype", {Str(DTypeName(output_dtype))}}});
}

Value FunctionBuilder::LayerNorm(Operand x, const std::vector<int32_t>& axes, std::optional<Operand> gamma,
                                 std::optional<Operand> beta, double epsilon) {
  Params p = {{"x", {x}}, {"axes", {Int32Vector(axes)}}};
  if (gamma) p.push_back({"gamma", {*gamma}});
  if (beta) p.push_back({"beta", {*beta}});
  p.push_back({"epsilon", {FloatLike(x, epsilon)}});
  return Op1("layer_norm", p);
}

// ---- shaping -----------------------------------------------------------------------------------

Value FunctionBuilder::Concat(const OperandList& values, int32_t axis, bool interleave) {
  return Op1("concat", {{"values", values.items()}, {"axis", {Int(axis)}}, {"interleave", {Flag(interleave)}}});
}

std::vector<Value> FunctionBuilder::Split(Operand x, int32_t axis, int32_t num_splits) {
  return Op("split", {{"x", {x}}, {"num_splits", {Int(num_splits)}}, {"axis", {Int(axis)}}});
}

std::vector<Value> FunctionBuilder::SplitSizes(Operand x, int32_t axis, const std::vector<int32_t>& sizes) {
  return Op("split", {{"x", {x}}, {"split_sizes", {Int32Vector(sizes)}}, {"axis", {Int(axis)}}});
}

Value FunctionBuilder::Reshape(Operand x, const std::vector<int32_t>& shape) {
  return Op1("reshape", {{"x", {x}}, {"shape", {Int32Vector(shape)}}});
}
Value FunctionBuilder::Reshape(Operand x, Operand shape) {
  return Op1("reshape", {{"x", {x}}, {"shape", {shape}}});
}
Value FunctionBuilder::Transpose(Operand x, const std::vector<int32_t>& perm) {
  return Op1("transpose", {{"x", {x}}, {"perm", {Int32Vector(perm)}}});
}
Value FunctionBuilder::ExpandDims(Operand x, const std::vector<int32_t>& axes) {
  return Op1("expand_dims", {{"x", {x}}, {"axes", {Int32Vector(axes)}}});
}
Value FunctionBuilder::Squeeze(Operand x, std::optional<std::vector<int32_t>> axes) {
  Params p = {{"x", {x}}};
  if (axes) p.push_back({"axes", {Int32Vector(*axes)}});
  return Op1("squeeze", p);
}

Value FunctionBuilder::SliceByIndex(Operand x, Operand begin, Operand end, const SliceOptions& options) {
  Params p = {{"x", {x}}, {"begin", {begin}}, {"end", {end}}};
  AddSliceOptions(options, &p);
  return Op1("slice_by_index", p);
}

Value FunctionBuilder::SliceBySize(Operand x, Operand begin, Operand size) {
  return Op1("slice_by_size", {{"x", {x}}, {"begin", {begin}}, {"size", {size}}});
}

Value FunctionBuilder::SliceUpdate(Operand x, Operand update, Operand begin, Operand end,
                                   const SliceOptions& options) {
  Params p = {{"x", {x}}, {"update", {update}}, {"begin", {begin}}, {"end", {end}}};
  AddSliceOptions(options, &p);
  return Op1("slice_update", p);
}

Value FunctionBuilder::Gather(Operand x, Operand indices, int32_t axis, int32_t batch_dims, bool validate_indices) {
  return Op1("gather", {{"x", {x}}, {"indices", {indices}}, {"axis", {Int(axis)}},
                        {"batch_dims", {Int(batch_dims)}}, {"validate_indices", {Flag(validate_indices)}}});
}

Value FunctionBuilder::GatherAlongAxis(Operand x, Operand indices, int32_t axis, bool validate_indices) {
  return Op1("gather_along_axis", {{"x", {x}}, {"indices", {indices}}, {"axis", {Int(axis)}},
                                   {"validate_indices", {Flag(validate_indices)}}});
}

Value FunctionBuilder::BandPart(Operand x, int32_t lower, int32_t upper) {
  return Op1("band_part", {{"x", {x}}, {"lower", {Int(lower)}}, {"upper", {Int(upper)}}});
}

Value FunctionBuilder::Fill(Operand shape, Operand value) {
  return Op1("fill", {{"shape", {shape}}, {"value", {value}}});
}
Value FunctionBuilder::FillLike(Operand ref_tensor, Operand value) {
  return Op1("fill_like", {{"ref_tensor", {ref_tensor}}, {"value", {value}}});
}
Value FunctionBuilder::Range1d(Operand end, Operand start, Operand step) {
  return Op1("range_1d", {{"end", {end}}, {"start", {start}}, {"step", {step}}});
}
Value FunctionBuilder::Tile(Operand x, Operand reps) { return Op1("tile", {{"x", {x}}, {"reps", {reps}}}); }

std::vector<Value> FunctionBuilder::Topk(Operand x, const TopkOptions& o) {
  Params p = {{"x", {x}}, {"k", {Int(o.k)}}, {"axis", {Int(o.axis)}}, {"ascending", {Flag(o.ascending)}},
              {"sort", {Flag(o.sort)}}, {"return_indices", {Flag(o.return_indices)}}};
  if (o.return_indices) p.push_back({"output_indices_dtype", {Str(DTypeName(o.indices_dtype))}});
  return Op("topk", p);
}

// ---- attention / states ------------------------------------------------------------------------

Value FunctionBuilder::ScaledDotProductAttention(Operand query, Operand key, Operand value,
                                                 std::optional<Operand> attn_mask) {
  Params p = {{"query", {query}}, {"key", {key}}, {"value", {value}}};
  if (attn_mask) p.push_back({"attn_mask", {*attn_mask}});
  return Op1("scaled_dot_product_attention", p);
}

Value FunctionBuilder::ReadState(const Value& state) { return Op1("read_state", {{"input", {state}}}); }

void FunctionBuilder::WriteState(const Value& state, Operand data, const std::string& name) {
  const size_t before = function_.block.operations.size();
  Op("write_state", {{"input", {state}}, {"data", {data}}});
  if (name.empty() || !status_.ok() || function_.block.operations.size() == before) return;
  Operation& op = function_.block.operations.back();
  if (!IsValidIdentifier(name) || used_names_.count(name)) {
    Fail(InvalidArgument("op name '", name, "' (write_state) is ",
                         used_names_.count(name) ? "already used" : "not a valid identifier"));
    return;
  }
  used_names_.erase(op.name);
  op.name = name;
  used_names_.insert(name);
}

}  // namespace anemll::mil
