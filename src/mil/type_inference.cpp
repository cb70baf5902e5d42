// Type inference: the environment, parameter lookup, and the compute ops (elementwise,
// activations, linear algebra, convolution, reductions, normalization, attention, states).
// Shaping/slicing/constexpr ops live in type_inference_tensor.cpp.
#include "mil/type_inference.h"

#include <algorithm>
#include <map>
#include <set>

#include "mil/infer_context.h"

namespace anemll::mil {

// ---- TypeEnv -----------------------------------------------------------------------------------

TypeEnv TypeEnv::ForFunction(const Function& fn) {
  TypeEnv env;
  for (const NamedValueType& in : fn.inputs) env.Define(in.name, in.type);
  return env;
}

void TypeEnv::Define(const std::string& name, ValueType type) {
  values_[name] = Entry{std::move(type), false, nullptr};
}

void TypeEnv::DefineConst(const std::string& name, ValueType type,
                          std::shared_ptr<const Literal> value) {
  values_[name] = Entry{std::move(type), true, std::move(value)};
}

void TypeEnv::DefineOutputs(const Operation& op) {
  if (op.type == "const") {
    std::shared_ptr<const Literal> value;
    auto it = op.attributes.find("val");
    if (it != op.attributes.end()) value = std::make_shared<const Literal>(it->second);
    for (const NamedValueType& out : op.outputs) DefineConst(out.name, out.type, value);
    return;
  }
  const bool is_constexpr = op.type.rfind("constexpr_", 0) == 0;
  for (const NamedValueType& out : op.outputs) {
    if (is_constexpr) {
      DefineConst(out.name, out.type, nullptr);
    } else {
      Define(out.name, out.type);
    }
  }
}

const TypeEnv::Entry* TypeEnv::Find(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

// ---- Shapes ------------------------------------------------------------------------------------

Result<std::vector<int64_t>> BroadcastShapes(const std::vector<int64_t>& a,
                                             const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else if (da < 0) {
      out[i] = db;  // a valid program has da == db here
    } else if (db < 0) {
      out[i] = da;
    } else {
      return InvalidArgument("shapes ", infer::ShapeText(a), " and ", infer::ShapeText(b),
                             " do not broadcast (dim ", i, ": ", da, " vs ", db, ")");
    }
  }
  return out;
}

namespace infer {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string ValuesText(const std::vector<int64_t>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(values[i]);
  }
  return s + "]";
}

Result<int> NormalizeAxis(const OpContext& ctx, const std::string& param, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.ParamError(param, "axis ", axis, " out of range for rank ", rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// ---- OpContext ---------------------------------------------------------------------------------

bool OpContext::Has(const std::string& param) const {
  auto it = op_.inputs.find(param);
  if (it != op_.inputs.end() && !it->second.empty()) return true;
  return op_.attributes.count(param) > 0;
}

Result<std::vector<Arg>> OpContext::GetAll(const std::string& param) const {
  std::vector<Arg> args;
  auto it = op_.inputs.find(param);
  if (it != op_.inputs.end() && !it->second.empty()) {
    for (const Argument& a : it->second) {
      Arg arg;
      if (a.is_literal()) {
        if (!a.literal) return ParamError(param, "has an empty binding");
        arg.type = &a.literal->type;
        arg.value = a.literal.get();
        arg.is_const = true;
      } else {
        const TypeEnv::Entry* e = env_.Find(a.name);
        if (!e) return ParamError(param, "refers to undefined value '", a.name, "'");
        arg.type = &e->type;
        arg.value = e->value.get();
        arg.is_const = e->is_const;
        arg.ref = a.name;
      }
      args.push_back(arg);
    }
    return args;
  }
  auto attr = op_.attributes.find(param);
  if (attr != op_.attributes.end()) {
    args.push_back(Arg{&attr->second.type, &attr->second, true, std::string()});
    return args;
  }
  return ParamError(param, "is missing");
}

Result<Arg> OpContext::Get(const std::string& param) const {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<Arg> args, GetAll(param));
  if (args.size() != 1) return ParamError(param, "has ", args.size(), " bindings, expected 1");
  return args.front();
}

Result<TensorType> OpContext::TensorAnyRank(const std::string& param) const {
  ANEMLL_ASSIGN_OR_RETURN(Arg arg, Get(param));
  if (arg.type->kind != ValueType::Kind::kTensor) {
    return ParamError(param, "must be a tensor, got a ",
                      arg.type->kind == ValueType::Kind::kState ? "state" : "dictionary");
  }
  return arg.type->tensor;
}

Result<TensorType> OpContext::Tensor(const std::string& param) const {
  ANEMLL_ASSIGN_OR_RETURN(TensorType t, TensorAnyRank(param));
  if (t.unknown_rank) return ParamError(param, "has unknown rank (not supported)");
  return t;
}

Result<std::optional<std::vector<int64_t>>> OpContext::IntsOpt(const std::string& param) const {
  ANEMLL_ASSIGN_OR_RETURN(Arg arg, Get(param));
  if (!arg.value) return std::optional<std::vector<int64_t>>();
  const Literal& lit = *arg.value;
  if (!IsInteger(lit.type.tensor.dtype) && lit.type.tensor.dtype != DType::kBool) {
    return ParamError(param, "must be an integer tensor, got ", DTypeName(lit.type.tensor.dtype));
  }
  if (lit.type.tensor.rank() > 1) {
    return ParamError(param, "must be a scalar or vector, got rank ", lit.type.tensor.rank());
  }
  const int64_t n = lit.num_elements();
  const int bits = DTypeBits(lit.type.tensor.dtype);
  const uint64_t need = (static_cast<uint64_t>(std::max<int64_t>(n, 0)) * bits + 7) / 8;
  if (n < 0 || (n > 0 && (!lit.data || lit.data->size() < need))) {
    return ParamError(param, "literal holds fewer bytes than its ", n, " elements need");
  }
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = lit.GetInt(i);
  return std::optional<std::vector<int64_t>>(std::move(values));
}

Result<std::vector<int64_t>> OpContext::Ints(const std::string& param) const {
  ANEMLL_ASSIGN_OR_RETURN(auto values, IntsOpt(param));
  if (!values) return ParamError(param, "must be a compile-time constant");
  return *values;
}

Result<int64_t> OpContext::Int(const std::string& param, std::optional<int64_t> fallback) const {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return ParamError(param, "is missing");
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> values, Ints(param));
  if (values.size() != 1) return ParamError(param, "must hold one value, got ", values.size());
  return values[0];
}

Result<bool> OpContext::Bool(const std::string& param, std::optional<bool> fallback) const {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return ParamError(param, "is missing");
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> values, Ints(param));
  if (values.size() != 1) return ParamError(param, "must hold one value, got ", values.size());
  return values[0] != 0;
}

Result<std::string> OpContext::String(const std::string& param,
                                      std::optional<std::string> fallback) const {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return ParamError(param, "is missing");
  }
  ANEMLL_ASSIGN_OR_RETURN(Arg arg, Get(param));
  if (!arg.value) return ParamError(param, "must be a compile-time constant");
  if (arg.value->type.tensor.dtype != DType::kString || arg.value->strings.size() != 1) {
    return ParamError(param, "must be a string scalar");
  }
  return arg.value->strings[0];
}

namespace {

// ---- Elementwise -------------------------------------------------------------------------------

Result<Types> SameAsX(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.TensorAnyRank("x"));
  return Types{ValueType{ValueType::Kind::kTensor, x}};
}

Result<TensorType> BinaryBroadcast(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType y, ctx.Tensor("y"));
  if (x.dtype != y.dtype) {
    return ctx.Error("x and y must have the same dtype, got ", DTypeName(x.dtype), " and ",
                     DTypeName(y.dtype));
  }
  auto shape = BroadcastShapes(x.shape, y.shape);
  if (!shape.ok()) return ctx.Error(shape.status().message());
  return TensorType{x.dtype, *shape, false};
}

Result<Types> Binary(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType t, BinaryBroadcast(ctx));
  return Types{TensorOf(t.dtype, t.shape)};
}

Result<Types> Compare(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType t, BinaryBroadcast(ctx));
  return Types{TensorOf(DType::kBool, t.shape)};
}

Result<Types> Cast(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.TensorAnyRank("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::string name, ctx.String("dtype", std::nullopt));
  static const std::set<std::string> kAllowed = {"int8", "uint8", "int16", "uint16",
                                                 "int32", "fp16", "fp32", "bool"};
  if (!kAllowed.count(name)) {
    return ctx.ParamError("dtype", "is '", name,
                          "', expected one of int8, uint8, int16, uint16, int32, fp16, fp32, bool");
  }
  x.dtype = DTypeFromName(name);
  return Types{ValueType{ValueType::Kind::kTensor, x}};
}

Result<Types> Select(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType cond, ctx.Tensor("cond"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType a, ctx.Tensor("a"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType b, ctx.Tensor("b"));
  if (a.dtype != b.dtype) {
    return ctx.Error("a and b must have the same dtype, got ", DTypeName(a.dtype), " and ",
                     DTypeName(b.dtype));
  }
  auto ab = BroadcastShapes(a.shape, b.shape);
  if (!ab.ok()) return ctx.Error(ab.status().message());
  auto shape = BroadcastShapes(cond.shape, *ab);
  if (!shape.ok()) return ctx.Error(shape.status().message());
  return Types{TensorOf(a.dtype, *shape)};
}

// ---- Linear algebra ----------------------------------------------------------------------------

bool DimsConflict(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

Result<Types> Linear(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType w, ctx.Tensor("weight"));
  if (x.rank() < 1) return ctx.ParamError("x", "must have rank >= 1");
  if (w.rank() != 2) return ctx.ParamError("weight", "must have rank 2 [D_out, D_in], got ", ShapeText(w.shape));
  if (DimsConflict(x.shape.back(), w.shape[1])) {
    return ctx.Error("x ", ShapeText(x.shape), " last dim does not match weight ",
                     ShapeText(w.shape), " D_in");
  }
  if (ctx.Has("bias")) {
    ANEMLL_ASSIGN_OR_RETURN(TensorType b, ctx.Tensor("bias"));
    if (b.rank() != 1 || DimsConflict(b.shape[0], w.shape[0])) {
      return ctx.ParamError("bias", "has shape ", ShapeText(b.shape), ", expected [", w.shape[0], "]");
    }
  }
  std::vector<int64_t> out = x.shape;
  out.back() = w.shape[0];
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> Matmul(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType y, ctx.Tensor("y"));
  ANEMLL_ASSIGN_OR_RETURN(bool tx, ctx.Bool("transpose_x", false));
  ANEMLL_ASSIGN_OR_RETURN(bool ty, ctx.Bool("transpose_y", false));
  if (x.rank() < 1 || y.rank() < 1) return ctx.Error("x and y must have rank >= 1");
  std::vector<int64_t> xs = x.shape, ys = y.shape;
  const bool x_vec = xs.size() == 1, y_vec = ys.size() == 1;
  if (x_vec) xs.insert(xs.begin(), 1);
  if (y_vec) ys.push_back(1);
  if (tx && !x_vec) std::swap(xs[xs.size() - 1], xs[xs.size() - 2]);
  if (ty && !y_vec) std::swap(ys[ys.size() - 1], ys[ys.size() - 2]);
  const int64_t k_x = xs.back(), k_y = ys[ys.size() - 2];
  if (DimsConflict(k_x, k_y)) {
    return ctx.Error("inner dims do not match: x ", ShapeText(x.shape), " y ", ShapeText(y.shape),
                     " (transpose_x=", tx ? "true" : "false", ", transpose_y=", ty ? "true" : "false", ")");
  }
  std::vector<int64_t> bx(xs.begin(), xs.end() - 2), by(ys.begin(), ys.end() - 2);
  auto batch = BroadcastShapes(bx, by);
  if (!batch.ok()) return ctx.Error("batch dims: ", batch.status().message());
  std::vector<int64_t> out = *batch;
  if (!x_vec) out.push_back(xs[xs.size() - 2]);
  if (!y_vec) out.push_back(ys.back());
  // With mixed dtypes (one operand const), the result takes the non-const operand's dtype.
  ANEMLL_ASSIGN_OR_RETURN(Arg xa, ctx.Get("x"));
  ANEMLL_ASSIGN_OR_RETURN(Arg ya, ctx.Get("y"));
  DType dtype = x.dtype;
  if (x.dtype != y.dtype) {
    if (xa.is_const == ya.is_const) {
      return ctx.Error("x and y have different dtypes (", DTypeName(x.dtype), ", ",
                       DTypeName(y.dtype), ") and are not exactly one const");
    }
    dtype = xa.is_const ? y.dtype : x.dtype;
  }
  return Types{TensorOf(dtype, out)};
}

Result<Types> Conv(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType w, ctx.Tensor("weight"));
  if (x.rank() < 3 || x.rank() > 5) {
    return ctx.ParamError("x", "must be [n, C_in, *spatial] with 1-3 spatial dims, got ", ShapeText(x.shape));
  }
  const int ns = x.rank() - 2;
  if (w.rank() != x.rank()) {
    return ctx.ParamError("weight", "must be [C_out, C_in/groups, *kernel] of rank ", x.rank(),
                          ", got ", ShapeText(w.shape));
  }
  ANEMLL_ASSIGN_OR_RETURN(int64_t groups, ctx.Int("groups", 1));
  if (groups < 1) return ctx.ParamError("groups", "must be >= 1, got ", groups);
  if (x.shape[1] >= 0 && w.shape[1] >= 0 && x.shape[1] != w.shape[1] * groups) {
    return ctx.Error("x has ", x.shape[1], " channels but weight ", ShapeText(w.shape),
                     " with groups=", groups, " expects ", w.shape[1] * groups);
  }
  if (ctx.Has("bias")) {
    ANEMLL_ASSIGN_OR_RETURN(TensorType b, ctx.Tensor("bias"));
    if (b.rank() != 1 || DimsConflict(b.shape[0], w.shape[0])) {
      return ctx.ParamError("bias", "has shape ", ShapeText(b.shape), ", expected [", w.shape[0], "]");
    }
  }
  auto list = [&](const std::string& p, int64_t fill, size_t n) -> Result<std::vector<int64_t>> {
    if (!ctx.Has(p)) return std::vector<int64_t>(n, fill);
    ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ctx.Ints(p));
    if (v.size() != n) return ctx.ParamError(p, "has ", v.size(), " values, expected ", n);
    return v;
  };
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> strides, list("strides", 1, ns));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, list("dilations", 1, ns));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> pad, list("pad", 0, 2 * ns));
  ANEMLL_ASSIGN_OR_RETURN(std::string pad_type, ctx.String("pad_type", "valid"));
  if (pad_type != "valid" && pad_type != "same" && pad_type != "same_lower" && pad_type != "custom") {
    return ctx.ParamError("pad_type", "is '", pad_type, "', expected valid, same, same_lower or custom");
  }
  std::vector<int64_t> out = {x.shape[0], w.shape[0]};
  for (int i = 0; i < ns; ++i) {
    const int64_t in = x.shape[2 + i], k = w.shape[2 + i];
    if (strides[i] < 1 || dilations[i] < 1) {
      return ctx.Error("strides and dilations must be >= 1");
    }
    if (in < 0 || k < 0) {
      out.push_back(kUnknownDim);
      continue;
    }
    const int64_t eff_k = dilations[i] * (k - 1) + 1;
    int64_t o;
    if (pad_type == "same" || pad_type == "same_lower") {
      o = (in + strides[i] - 1) / strides[i];
    } else {
      const int64_t padded = in + (pad_type == "custom" ? pad[2 * i] + pad[2 * i + 1] : 0);
      if (padded < eff_k) {
        return ctx.Error("spatial dim ", i, " of size ", padded, " is smaller than the kernel extent ", eff_k);
      }
      o = (padded - eff_k) / strides[i] + 1;
    }
    out.push_back(o);
  }
  return Types{TensorOf(x.dtype, out)};
}

// ---- Reductions --------------------------------------------------------------------------------

Result<std::vector<int64_t>> Reduce(const OpContext& ctx, const TensorType& x,
                                    const std::vector<int64_t>& axes, bool keep_dims) {
  std::vector<bool> reduced(x.shape.size(), false);
  for (int64_t a : axes) {
    ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axes", a, x.rank()));
    reduced[axis] = true;
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < x.shape.size(); ++i) {
    if (!reduced[i]) {
      out.push_back(x.shape[i]);
    } else if (keep_dims) {
      out.push_back(1);
    }
  }
  return out;
}

Result<Types> Reduction(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  std::vector<int64_t> axes;
  if (ctx.Has("axes")) {
    ANEMLL_ASSIGN_OR_RETURN(axes, ctx.Ints("axes"));
  } else {
    for (int i = 0; i < x.rank(); ++i) axes.push_back(i);
  }
  ANEMLL_ASSIGN_OR_RETURN(bool keep_dims, ctx.Bool("keep_dims", false));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> out, Reduce(ctx, x, axes, keep_dims));
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> ReduceArgmax(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  ANEMLL_ASSIGN_OR_RETURN(bool keep_dims, ctx.Bool("keep_dims", false));
  ANEMLL_ASSIGN_OR_RETURN(std::string dtype, ctx.String("output_dtype", "int32"));
  if (dtype != "int32" && dtype != "uint16") {
    return ctx.ParamError("output_dtype", "is '", dtype, "', expected int32 or uint16");
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> out, Reduce(ctx, x, {axis}, keep_dims));
  return Types{TensorOf(DTypeFromName(dtype), out)};
}

Result<Types> Softmax(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  ANEMLL_RETURN_IF_ERROR(NormalizeAxis(ctx, "axis", axis, x.rank()).status());
  return Types{TensorOf(x.dtype, x.shape)};
}

// ---- Normalization -----------------------------------------------------------------------------

Result<Types> LayerNorm(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  std::vector<int64_t> axes;
  if (ctx.Has("axes")) {
    ANEMLL_ASSIGN_OR_RETURN(axes, ctx.Ints("axes"));
  } else {
    for (int i = 0; i < x.rank(); ++i) axes.push_back(i);
  }
  std::vector<int64_t> norm_shape;
  for (int64_t a : axes) {
    ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axes", a, x.rank()));
    norm_shape.push_back(x.shape[axis]);
  }
  for (const char* p : {"gamma", "beta"}) {
    if (!ctx.Has(p)) continue;
    ANEMLL_ASSIGN_OR_RETURN(TensorType t, ctx.Tensor(p));
    bool ok = t.rank() == static_cast<int>(norm_shape.size());
    for (size_t i = 0; ok && i < norm_shape.size(); ++i) ok = !DimsConflict(t.shape[i], norm_shape[i]);
    if (!ok) {
      return ctx.ParamError(p, "has shape ", ShapeText(t.shape), ", expected x.shape[axes] = ",
                            ShapeText(norm_shape));
    }
  }
  return Types{TensorOf(x.dtype, x.shape)};
}

// ---- Attention ---------------------------------------------------------------------------------

Result<Types> ScaledDotProductAttention(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType q, ctx.Tensor("query"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType k, ctx.Tensor("key"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType v, ctx.Tensor("value"));
  if (q.rank() < 3 || k.rank() < 3 || v.rank() < 3) {
    return ctx.Error("query, key and value must have rank >= 3 ([B, *, L, E]), got ",
                     ShapeText(q.shape), ", ", ShapeText(k.shape), ", ", ShapeText(v.shape));
  }
  if (q.dtype != k.dtype || q.dtype != v.dtype) return ctx.Error("query, key and value must share a dtype");
  const int64_t L = q.shape[q.rank() - 2], E = q.shape.back();
  const int64_t S = k.shape[k.rank() - 2], Ek = k.shape.back();
  const int64_t Sv = v.shape[v.rank() - 2], EV = v.shape.back();
  if (DimsConflict(E, Ek)) return ctx.Error("query E=", E, " does not match key E=", Ek);
  if (DimsConflict(S, Sv)) return ctx.Error("key S=", S, " does not match value S=", Sv);
  std::vector<int64_t> qb(q.shape.begin(), q.shape.end() - 2), kb(k.shape.begin(), k.shape.end() - 2),
      vb(v.shape.begin(), v.shape.end() - 2);
  auto kv = BroadcastShapes(kb, vb);
  if (!kv.ok()) return ctx.Error("batch dims: ", kv.status().message());
  auto batch = BroadcastShapes(qb, *kv);
  if (!batch.ok()) return ctx.Error("batch dims: ", batch.status().message());
  if (ctx.Has("attn_mask")) {
    ANEMLL_ASSIGN_OR_RETURN(TensorType m, ctx.Tensor("attn_mask"));
    std::vector<int64_t> scores = *batch;
    scores.push_back(L);
    scores.push_back(S >= 0 ? S : Sv);
    auto mb = BroadcastShapes(m.shape, scores);
    if (!mb.ok() || mb->size() != scores.size()) {
      return ctx.ParamError("attn_mask", "of shape ", ShapeText(m.shape),
                            " does not broadcast to the scores ", ShapeText(scores));
    }
  }
  std::vector<int64_t> out = *batch;
  out.push_back(L);
  out.push_back(EV);
  return Types{TensorOf(q.dtype, out)};
}

// ---- States and constants ----------------------------------------------------------------------

Result<Types> ReadState(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(Arg in, ctx.Get("input"));
  if (in.type->kind != ValueType::Kind::kState) {
    return ctx.ParamError("input", "must be a state, got a tensor");
  }
  return Types{TensorOf(in.type->tensor.dtype, in.type->tensor.shape)};
}

Result<Types> WriteState(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(Arg in, ctx.Get("input"));
  if (in.type->kind != ValueType::Kind::kState) {
    return ctx.ParamError("input", "must be a state, got a tensor");
  }
  ANEMLL_ASSIGN_OR_RETURN(TensorType data, ctx.Tensor("data"));
  if (data.dtype != in.type->tensor.dtype || data.shape != in.type->tensor.shape) {
    return ctx.ParamError("data", "is ", DTypeName(data.dtype), ShapeText(data.shape),
                          " but the state holds ", DTypeName(in.type->tensor.dtype),
                          ShapeText(in.type->tensor.shape));
  }
  return Types{};
}

Result<Types> Const(const OpContext& ctx) {
  auto it = ctx.op().attributes.find("val");
  if (it == ctx.op().attributes.end()) return ctx.Error("const has no 'val' attribute");
  return Types{it->second.type};
}

const std::map<std::string, InferFn>& ComputeOps() {
  static const std::map<std::string, InferFn> kOps = {
      {"const", Const},
      {"add", Binary}, {"sub", Binary}, {"mul", Binary}, {"real_div", Binary}, {"pow", Binary},
      {"maximum", Binary}, {"minimum", Binary}, {"floor_div", Binary},
      {"logical_and", Compare}, {"logical_or", Compare}, {"logical_xor", Compare},
      {"equal", Compare}, {"not_equal", Compare}, {"less", Compare}, {"less_equal", Compare},
      {"greater", Compare}, {"greater_equal", Compare},
      {"sqrt", SameAsX}, {"rsqrt", SameAsX}, {"exp", SameAsX}, {"log", SameAsX},
      {"sin", SameAsX}, {"cos", SameAsX}, {"tanh", SameAsX}, {"sigmoid", SameAsX},
      {"silu", SameAsX}, {"relu", SameAsX}, {"gelu", SameAsX}, {"erf", SameAsX},
      {"square", SameAsX}, {"abs", SameAsX}, {"inverse", SameAsX}, {"logical_not", SameAsX},
      {"clip", SameAsX}, {"batch_norm", SameAsX},
      {"cast", Cast}, {"select", Select},
      {"linear", Linear}, {"matmul", Matmul}, {"conv", Conv},
      {"reduce_mean", Reduction}, {"reduce_sum", Reduction}, {"reduce_max", Reduction},
      {"reduce_min", Reduction}, {"reduce_argmax", ReduceArgmax}, {"softmax", Softmax},
      {"layer_norm", LayerNorm},
      {"scaled_dot_product_attention", ScaledDotProductAttention},
      {"read_state", ReadState}, {"write_state", WriteState},
  };
  return kOps;
}

}  // namespace
}  // namespace infer

Result<std::vector<ValueType>> InferOutputTypes(const Operation& op, const TypeEnv& env) {
  infer::OpContext ctx(op, env);
  const auto& ops = infer::ComputeOps();
  auto it = ops.find(op.type);
  infer::InferFn fn = it != ops.end() ? it->second : infer::FindTensorOpInference(op.type);
  if (!fn) return Unsupported("op ", op.name, " (", op.type, "): no type inference for this op type");
  return fn(ctx);
}

}  // namespace anemll::mil
