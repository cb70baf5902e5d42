#include "convert/graph_blocks.h"

namespace anemll::convert {

using mil::DType;
using mil::Literal;
using mil::Value;

Literal HalfScalar(double v) { return mil::ScalarOf(DType::kFp16, v); }

Value HalfConst(mil::FunctionBuilder& b, const Literal& lit, const std::string& name) {
  if (lit.type.tensor.dtype == DType::kFp32) return Named(b, name, b.Cast(lit, DType::kFp16));
  return Named(b, name, b.Const(lit));
}

Value Named(mil::FunctionBuilder& b, const std::string& name, const Value& v) {
  return name.empty() ? v : b.Name(name, v);
}

Value RmsNormLastAxis(mil::FunctionBuilder& b, const Value& x, const Literal& gain, double eps,
                      const std::string& name) {
  if (!x.valid() || x.rank() == 0) return Value();
  const int rank = x.rank();
  std::vector<int32_t> end;
  for (int64_t d : x.shape()) end.push_back(static_cast<int32_t>(d));
  Value neg = Named(b, name + "_neg", b.Mul(x, HalfScalar(-1.0)));
  Value both = Named(b, name + "_cat", b.Concat({x, neg}, rank - 1));
  // epsilon as fp32: tiny values (1e-6 times alpha^2 under FP16 scaling) are not fp16-exact.
  Value normed = Named(b, name + "_ln", b.Op1("layer_norm", {{"x", {both}},
                                                             {"axes", {mil::Int32Vector({rank - 1})}},
                                                             {"epsilon", {Literal::ScalarFp32(static_cast<float>(eps))}}}));
  Value half = Slice(b, normed, std::vector<int32_t>(static_cast<size_t>(rank), 0), end, name + "_half");
  Value g = HalfConst(b, gain, name + "_gain");
  return Named(b, name, b.Mul(half, g));
}

Value Conv1x1(mil::FunctionBuilder& b, const Value& x, const Literal& weight, const std::optional<Literal>& bias,
              const std::string& name) {
  std::optional<mil::Operand> bias_operand;
  if (bias) bias_operand = mil::Operand(*bias);
  return Named(b, name, b.Conv(x, weight, bias_operand));
}

mil::Operand WeightOperand(mil::FunctionBuilder& b, const WeightConst& w, const std::string& name) {
  if (!w.palettized()) return mil::Operand(w.dense);
  return Named(b, name + "_palettized", b.ConstexprLutToDense(*w.indices, *w.lut));
}

Value Conv1x1(mil::FunctionBuilder& b, const Value& x, const WeightConst& weight, const std::optional<Literal>& bias,
              const std::string& name) {
  std::optional<mil::Operand> bias_operand;
  if (bias) bias_operand = mil::Operand(*bias);
  mil::Operand w = WeightOperand(b, weight, name + "_weight");
  return Named(b, name, b.Conv(x, w, bias_operand));
}

Value ApplyRope(mil::FunctionBuilder& b, const Value& x, const Value& cos, const Value& sin, const std::string& name) {
  if (!x.valid() || x.rank() == 0) return Value();
  const int rank = x.rank();
  const int32_t D = static_cast<int32_t>(x.shape().back());
  std::vector<int32_t> begin(static_cast<size_t>(rank), 0), mid, end;
  for (int64_t d : x.shape()) end.push_back(static_cast<int32_t>(d));
  mid = end;
  mid.back() = D / 2;
  std::vector<int32_t> begin2 = begin;
  begin2.back() = D / 2;
  Value x1 = Slice(b, x, begin, mid, name + "_x1");
  Value x2 = Slice(b, x, begin2, end, name + "_x2");
  Value neg_x2 = Named(b, name + "_neg_x2", b.Mul(x2, HalfScalar(-1.0)));
  Value rotated = Named(b, name + "_rot", b.Concat({neg_x2, x1}, rank - 1));
  Value a = Named(b, name + "_cos", b.Mul(x, cos));
  Value c = Named(b, name + "_sin", b.Mul(rotated, sin));
  return Named(b, name, b.Add(a, c));
}

Value TokensToChannels(mil::FunctionBuilder& b, const Value& x, const std::string& name) {
  if (!x.valid() || x.rank() != 3) return Value();
  const int32_t S = static_cast<int32_t>(x.shape()[1]);
  const int32_t C = static_cast<int32_t>(x.shape()[2]);
  if (S == 1) return Named(b, name, b.Reshape(x, {1, C, 1, 1}));
  Value t = Named(b, name + "_t", b.Transpose(x, {0, 2, 1}));
  return Named(b, name, b.Reshape(t, {1, C, 1, S}));
}

Value ChannelsToTokens(mil::FunctionBuilder& b, const Value& x, const std::string& name) {
  if (!x.valid() || x.rank() != 4) return Value();
  const int32_t C = static_cast<int32_t>(x.shape()[1]);
  const int32_t S = static_cast<int32_t>(x.shape()[3]);
  if (S == 1) return Named(b, name, b.Reshape(x, {1, 1, C}));
  Value r = Named(b, name + "_r", b.Reshape(x, {1, C, S}));
  return Named(b, name, b.Transpose(r, {0, 2, 1}));
}

Value Slice(mil::FunctionBuilder& b, const Value& x, const std::vector<int32_t>& begin, const std::vector<int32_t>& end,
            const std::string& name) {
  return Named(b, name, b.SliceByIndex(x, mil::Int32Vector(begin), mil::Int32Vector(end)));
}

}  // namespace anemll::convert
