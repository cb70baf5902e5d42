// Type inference for shaping, slicing, gather/fill/topk style ops and the constexpr
// (weight decompression) ops.
#include <algorithm>
#include <cmath>
#include <map>

#include "mil/infer_context.h"

namespace anemll::mil::infer {
namespace {

// ---- reshape / transpose / expand_dims / squeeze -------------------------------------------------

Result<Types> Reshape(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType shape_type, ctx.Tensor("shape"));
  ANEMLL_ASSIGN_OR_RETURN(auto target, ctx.IntsOpt("shape"));
  if (!target) {
    // Runtime shape: only the rank is known.
    if (shape_type.rank() != 1 || shape_type.shape[0] < 0) {
      return Types{ValueType{ValueType::Kind::kTensor, TensorType{x.dtype, {}, true}}};
    }
    return Types{TensorOf(x.dtype, std::vector<int64_t>(shape_type.shape[0], kUnknownDim))};
  }
  std::vector<int64_t> out = *target;
  // iOS17: a 0 copies the dim of x counted from the right (1 if x has no such dim).
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != 0) continue;
    const size_t from_right = out.size() - i;
    out[i] = from_right <= x.shape.size() ? x.shape[x.shape.size() - from_right] : 1;
  }
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0) return ctx.ParamError("shape", ValuesText(*target), " has more than one -1");
      infer_at = static_cast<int>(i);
    } else if (out[i] < -1) {
      return ctx.ParamError("shape", ValuesText(*target), " has a negative dim");
    } else {
      known = MulDims(known, out[i]);  // an unknown dim copied through 0 makes it unknown
    }
  }
  const int64_t total = x.num_elements();
  if (infer_at >= 0) {
    if (total < 0 || known < 0) {
      out[infer_at] = kUnknownDim;
    } else if (known == 0 || total % known != 0) {
      return ctx.Error("cannot reshape ", ShapeText(x.shape), " to ", ValuesText(*target));
    } else {
      out[infer_at] = total / known;
    }
  } else if (total >= 0 && known >= 0 && total != known) {
    return ctx.Error("cannot reshape ", ShapeText(x.shape), " (", total, " elements) to ",
                     ShapeText(out), " (", known, " elements)");
  }
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> Transpose(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> perm, ctx.Ints("perm"));
  if (static_cast<int>(perm.size()) != x.rank()) {
    return ctx.ParamError("perm", ValuesText(perm), " must have ", x.rank(), " entries");
  }
  std::vector<bool> seen(perm.size(), false);
  std::vector<int64_t> out;
  for (int64_t p : perm) {
    ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "perm", p, x.rank()));
    if (seen[axis]) return ctx.ParamError("perm", ValuesText(perm), " is not a permutation");
    seen[axis] = true;
    out.push_back(x.shape[axis]);
  }
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> ExpandDims(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.Ints("axes"));
  const int out_rank = x.rank() + static_cast<int>(axes.size());
  std::vector<int> normalized;
  for (int64_t a : axes) {
    ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axes", a, out_rank));
    normalized.push_back(axis);
  }
  std::sort(normalized.begin(), normalized.end());
  if (std::adjacent_find(normalized.begin(), normalized.end()) != normalized.end()) {
    return ctx.ParamError("axes", ValuesText(axes), " repeats an axis");
  }
  std::vector<int64_t> out = x.shape;
  for (int axis : normalized) out.insert(out.begin() + axis, 1);
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> Squeeze(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  std::vector<bool> drop(x.shape.size(), false);
  if (ctx.Has("axes")) {
    ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.Ints("axes"));
    for (int64_t a : axes) {
      ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axes", a, x.rank()));
      if (x.shape[axis] > 1 || x.shape[axis] == 0) {
        return ctx.ParamError("axes", "names dim ", axis, " of ", ShapeText(x.shape), " which is not 1");
      }
      drop[axis] = true;
    }
  } else {
    for (size_t i = 0; i < x.shape.size(); ++i) {
      if (x.shape[i] < 0) {
        return ctx.Error("squeeze without axes needs known dims, x is ", ShapeText(x.shape));
      }
      drop[i] = x.shape[i] == 1;
    }
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < x.shape.size(); ++i) {
    if (!drop[i]) out.push_back(x.shape[i]);
  }
  return Types{TensorOf(x.dtype, out)};
}

// ---- concat / stack / split ----------------------------------------------------------------------

Result<std::vector<TensorType>> TupleTensors(const OpContext& ctx, const std::string& param) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<Arg> args, ctx.GetAll(param));
  std::vector<TensorType> out;
  for (const Arg& a : args) {
    if (a.type->kind != ValueType::Kind::kTensor || a.type->tensor.unknown_rank) {
      return ctx.ParamError(param, "elements must be tensors of known rank");
    }
    if (!out.empty() && (a.type->tensor.dtype != out[0].dtype || a.type->tensor.rank() != out[0].rank())) {
      return ctx.ParamError(param, "elements must share dtype and rank, got ",
                            DTypeName(out[0].dtype), ShapeText(out[0].shape), " and ",
                            DTypeName(a.type->tensor.dtype), ShapeText(a.type->tensor.shape));
    }
    out.push_back(a.type->tensor);
  }
  if (out.empty()) return ctx.ParamError(param, "is empty");
  return out;
}

// Merges dim `b` into `a` where both describe the same dim; false on a conflict.
bool MergeDim(int64_t& a, int64_t b) {
  if (a < 0) {
    a = b;
    return true;
  }
  return b < 0 || a == b;
}

Result<Types> Concat(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<TensorType> values, TupleTensors(ctx, "values"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", std::nullopt));
  ANEMLL_ASSIGN_OR_RETURN(bool interleave, ctx.Bool("interleave", false));
  const int rank = values[0].rank();
  if (rank == 0) return ctx.ParamError("values", "must not be scalars");
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, rank));
  std::vector<int64_t> out = values[0].shape;
  out[axis] = 0;
  for (const TensorType& v : values) {
    for (int d = 0; d < rank; ++d) {
      if (d == axis) {
        out[d] = AddDims(out[d], v.shape[d]);
      } else if (!MergeDim(out[d], v.shape[d])) {
        return ctx.ParamError("values", "shapes ", ShapeText(values[0].shape), " and ",
                              ShapeText(v.shape), " differ outside axis ", axis);
      }
    }
    if (interleave && v.shape[axis] >= 0 && values[0].shape[axis] >= 0 &&
        v.shape[axis] != values[0].shape[axis]) {
      return ctx.ParamError("values", "must have equal shapes when interleaving");
    }
  }
  return Types{TensorOf(values[0].dtype, out)};
}

Result<Types> Stack(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<TensorType> values, TupleTensors(ctx, "values"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", std::nullopt));
  std::vector<int64_t> shape = values[0].shape;
  for (const TensorType& v : values) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (!MergeDim(shape[d], v.shape[d])) return ctx.ParamError("values", "must have equal shapes");
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, values[0].rank() + 1));
  shape.insert(shape.begin() + axis, static_cast<int64_t>(values.size()));
  return Types{TensorOf(values[0].dtype, shape)};
}

Result<Types> Split(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", std::nullopt));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, x.rank()));
  const int64_t dim = x.shape[axis];
  std::vector<int64_t> sizes;
  if (ctx.Has("split_sizes")) {
    if (ctx.Has("num_splits")) return ctx.Error("give either num_splits or split_sizes, not both");
    ANEMLL_ASSIGN_OR_RETURN(sizes, ctx.Ints("split_sizes"));
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) return ctx.ParamError("split_sizes", ValuesText(sizes), " has a negative size");
      sum += s;
    }
    if (dim >= 0 && sum != dim) {
      return ctx.ParamError("split_sizes", ValuesText(sizes), " sums to ", sum, ", but dim ", axis,
                            " of x is ", dim);
    }
  } else if (ctx.Has("num_splits")) {
    ANEMLL_ASSIGN_OR_RETURN(int64_t n, ctx.Int("num_splits", std::nullopt));
    if (n < 1) return ctx.ParamError("num_splits", "must be >= 1, got ", n);
    if (dim >= 0 && dim % n != 0) {
      return ctx.ParamError("num_splits", n, " does not divide dim ", axis, " of size ", dim);
    }
    sizes.assign(static_cast<size_t>(n), dim < 0 ? kUnknownDim : dim / n);
  } else {
    return ctx.Error("needs num_splits or split_sizes");
  }
  Types out;
  for (int64_t s : sizes) {
    std::vector<int64_t> shape = x.shape;
    shape[axis] = s;
    out.push_back(TensorOf(x.dtype, shape));
  }
  return out;
}

// ---- slicing -------------------------------------------------------------------------------------

// Python-style slice length of a dim of size n; nullopt start/stop = masked.
int64_t SliceLength(int64_t n, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step) {
  const int64_t lower = step > 0 ? 0 : -1;
  const int64_t upper = step > 0 ? n : n - 1;
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) return std::max(x + n, lower);
    return std::min(x, upper);
  };
  const int64_t b = clamp(start, step > 0 ? lower : upper);
  const int64_t e = clamp(stop, step > 0 ? upper : lower);
  if (step > 0) return e > b ? (e - b + step - 1) / step : 0;
  return b > e ? (b - e + (-step) - 1) / (-step) : 0;
}

Result<std::vector<bool>> Mask(const OpContext& ctx, const std::string& param, int rank) {
  if (!ctx.Has(param)) return std::vector<bool>(static_cast<size_t>(rank), false);
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ctx.Ints(param));
  if (static_cast<int>(v.size()) != rank) {
    return ctx.ParamError(param, "has ", v.size(), " entries, expected ", rank);
  }
  std::vector<bool> out;
  for (int64_t b : v) out.push_back(b != 0);
  return out;
}

// The result shape of slice_by_index / the region of slice_update.
Result<std::vector<int64_t>> SliceByIndexShape(const OpContext& ctx, const TensorType& x) {
  const int rank = x.rank();
  ANEMLL_ASSIGN_OR_RETURN(TensorType begin_t, ctx.Tensor("begin"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType end_t, ctx.Tensor("end"));
  for (const TensorType* t : {&begin_t, &end_t}) {
    if (t->rank() != 1 || (t->shape[0] >= 0 && t->shape[0] != rank)) {
      return ctx.ParamError(t == &begin_t ? "begin" : "end", "has shape ", ShapeText(t->shape),
                            ", expected [", rank, "]");
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(auto begin, ctx.IntsOpt("begin"));
  ANEMLL_ASSIGN_OR_RETURN(auto end, ctx.IntsOpt("end"));
  std::vector<int64_t> stride(static_cast<size_t>(rank), 1);
  if (ctx.Has("stride")) {
    ANEMLL_ASSIGN_OR_RETURN(stride, ctx.Ints("stride"));
    if (static_cast<int>(stride.size()) != rank) {
      return ctx.ParamError("stride", "has ", stride.size(), " entries, expected ", rank);
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<bool> begin_mask, Mask(ctx, "begin_mask", rank));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<bool> end_mask, Mask(ctx, "end_mask", rank));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<bool> squeeze_mask, Mask(ctx, "squeeze_mask", rank));
  std::vector<int64_t> out;
  for (int d = 0; d < rank; ++d) {
    if (stride[d] == 0) return ctx.ParamError("stride", "has a zero entry");
    if (squeeze_mask[d]) continue;
    const bool begin_known = begin_mask[d] || begin;
    const bool end_known = end_mask[d] || end;
    std::optional<int64_t> b, e;
    if (!begin_mask[d] && begin) b = (*begin)[d];
    if (!end_mask[d] && end) e = (*end)[d];
    const int64_t n = x.shape[d];
    if (!begin_known || !end_known) {
      out.push_back(kUnknownDim);
    } else if (n >= 0) {
      out.push_back(SliceLength(n, b, e, stride[d]));
    } else if (b && e && *b >= 0 && *e >= 0 && stride[d] > 0) {
      out.push_back(*e > *b ? (*e - *b + stride[d] - 1) / stride[d] : 0);
    } else {
      out.push_back(kUnknownDim);
    }
  }
  return out;
}

Result<Types> SliceByIndex(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> out, SliceByIndexShape(ctx, x));
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> SliceUpdate(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType update, ctx.Tensor("update"));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> region, SliceByIndexShape(ctx, x));
  if (update.dtype != x.dtype) {
    return ctx.ParamError("update", "has dtype ", DTypeName(update.dtype), ", x has ", DTypeName(x.dtype));
  }
  bool ok = update.rank() == static_cast<int>(region.size());
  for (size_t i = 0; ok && i < region.size(); ++i) {
    ok = region[i] < 0 || update.shape[i] < 0 || region[i] == update.shape[i];
  }
  if (!ok) {
    return ctx.ParamError("update", "has shape ", ShapeText(update.shape),
                          " but the slice of x has shape ", ShapeText(region));
  }
  return Types{TensorOf(x.dtype, x.shape)};
}

Result<Types> SliceBySize(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(auto begin, ctx.IntsOpt("begin"));
  ANEMLL_ASSIGN_OR_RETURN(auto size, ctx.IntsOpt("size"));
  const size_t rank = x.shape.size();
  if ((begin && begin->size() != rank) || (size && size->size() != rank)) {
    return ctx.Error("begin and size must have ", rank, " entries");
  }
  std::vector<int64_t> out(rank, kUnknownDim);
  if (!size) return Types{TensorOf(x.dtype, out)};
  for (size_t d = 0; d < rank; ++d) {
    const int64_t s = (*size)[d];
    if (s >= 0) {
      out[d] = s;
    } else if (s == -1 && begin && x.shape[d] >= 0) {
      const int64_t b = (*begin)[d] < 0 ? (*begin)[d] + x.shape[d] : (*begin)[d];
      out[d] = x.shape[d] - b;
    } else if (s < -1) {
      return ctx.ParamError("size", ValuesText(*size), " has an entry below -1");
    }
  }
  return Types{TensorOf(x.dtype, out)};
}

// ---- gather --------------------------------------------------------------------------------------

Result<Types> Gather(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType indices, ctx.Tensor("indices"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", 0));
  ANEMLL_ASSIGN_OR_RETURN(int64_t batch_dims, ctx.Int("batch_dims", 0));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, x.rank()));
  if (batch_dims < 0 || batch_dims > axis || batch_dims > indices.rank()) {
    return ctx.ParamError("batch_dims", batch_dims, " must be in [0, min(axis, rank(indices))]");
  }
  std::vector<int64_t> out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), indices.shape.begin() + batch_dims, indices.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> GatherAlongAxis(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType indices, ctx.Tensor("indices"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", 0));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, x.rank()));
  if (indices.rank() != x.rank()) {
    return ctx.ParamError("indices", "must have the rank of x (", x.rank(), "), got ", ShapeText(indices.shape));
  }
  for (int d = 0; d < x.rank(); ++d) {
    if (d != axis && indices.shape[d] >= 0 && x.shape[d] >= 0 && indices.shape[d] != x.shape[d]) {
      return ctx.ParamError("indices", ShapeText(indices.shape), " differs from x ",
                            ShapeText(x.shape), " outside axis ", axis);
    }
  }
  return Types{TensorOf(x.dtype, indices.shape)};
}

// ---- fill / range / tile / band_part / topk ------------------------------------------------------

DType ValueDType(const OpContext& ctx, const std::string& param, DType fallback) {
  auto arg = ctx.Get(param);
  return arg.ok() ? arg->type->tensor.dtype : fallback;
}

Result<Types> Fill(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType shape_type, ctx.Tensor("shape"));
  const DType dtype = ctx.Has("value") ? ValueDType(ctx, "value", DType::kFp32) : DType::kFp32;
  ANEMLL_ASSIGN_OR_RETURN(auto shape, ctx.IntsOpt("shape"));
  if (shape) {
    for (int64_t d : *shape) {
      if (d < 0) return ctx.ParamError("shape", ValuesText(*shape), " has a negative dim");
    }
    return Types{TensorOf(dtype, *shape)};
  }
  if (shape_type.rank() != 1 || shape_type.shape[0] < 0) {
    return Types{ValueType{ValueType::Kind::kTensor, TensorType{dtype, {}, true}}};
  }
  return Types{TensorOf(dtype, std::vector<int64_t>(shape_type.shape[0], kUnknownDim))};
}

Result<Types> FillLike(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType ref, ctx.TensorAnyRank("ref_tensor"));
  ref.dtype = ctx.Has("value") ? ValueDType(ctx, "value", DType::kFp32) : DType::kFp32;
  return Types{ValueType{ValueType::Kind::kTensor, ref}};
}

Result<Types> Range1d(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(Arg end, ctx.Get("end"));
  ANEMLL_ASSIGN_OR_RETURN(Arg start, ctx.Get("start"));
  ANEMLL_ASSIGN_OR_RETURN(Arg step, ctx.Get("step"));
  const DType dtype = end.type->tensor.dtype;
  for (const Arg* a : {&start, &step}) {
    if (a->type->tensor.dtype != dtype) return ctx.Error("start, end and step must share a dtype");
  }
  if (!end.value || !start.value || !step.value) return Types{TensorOf(dtype, {kUnknownDim})};
  const double e = end.value->GetDouble(), s = start.value->GetDouble(), st = step.value->GetDouble();
  if (st == 0) return ctx.ParamError("step", "must not be 0");
  const double n = std::ceil((e - s) / st);
  return Types{TensorOf(dtype, {n > 0 ? static_cast<int64_t>(n) : 0})};
}

Result<Types> Tile(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(auto reps, ctx.IntsOpt("reps"));
  if (!reps) return Types{TensorOf(x.dtype, std::vector<int64_t>(x.shape.size(), kUnknownDim))};
  if (reps->size() != x.shape.size()) {
    return ctx.ParamError("reps", ValuesText(*reps), " must have ", x.rank(), " entries");
  }
  std::vector<int64_t> out = x.shape;
  for (size_t i = 0; i < out.size(); ++i) out[i] = MulDims(out[i], (*reps)[i]);
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> Topk(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t k, ctx.Int("k", 1));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", -1));
  ANEMLL_ASSIGN_OR_RETURN(bool return_indices, ctx.Bool("return_indices", true));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, x.rank()));
  const int64_t dim = x.shape[axis];
  if (k == 0 || k < -1 || (dim >= 0 && k > dim)) {
    return ctx.ParamError("k", "is ", k, ", expected -1 or 1..", dim);
  }
  std::vector<int64_t> out = x.shape;
  out[axis] = k == -1 ? dim : k;
  Types types{TensorOf(x.dtype, out)};
  if (!return_indices) {
    if (ctx.Has("output_indices_dtype")) {
      return ctx.ParamError("output_indices_dtype", "is only allowed with return_indices=true");
    }
    return types;
  }
  ANEMLL_ASSIGN_OR_RETURN(std::string idx, ctx.String("output_indices_dtype", "int32"));
  if (idx != "int32" && idx != "uint16") {
    return ctx.ParamError("output_indices_dtype", "is '", idx, "', expected int32 or uint16");
  }
  types.push_back(TensorOf(DTypeFromName(idx), out));
  return types;
}

Result<Types> Argsort(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  ANEMLL_RETURN_IF_ERROR(NormalizeAxis(ctx, "axis", axis, x.rank()).status());
  return Types{TensorOf(DType::kInt32, x.shape)};
}

Result<Types> SameShapeWithAxis(const OpContext& ctx) {  // cumsum
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", 0));
  ANEMLL_RETURN_IF_ERROR(NormalizeAxis(ctx, "axis", axis, x.rank()).status());
  return Types{TensorOf(x.dtype, x.shape)};
}

Result<Types> BandPart(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  if (x.rank() < 2) return ctx.ParamError("x", "must have rank >= 2");
  return Types{TensorOf(x.dtype, x.shape)};
}

Result<Types> Pad(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType x, ctx.Tensor("x"));
  ANEMLL_ASSIGN_OR_RETURN(auto pad, ctx.IntsOpt("pad"));
  if (!pad) return Types{TensorOf(x.dtype, std::vector<int64_t>(x.shape.size(), kUnknownDim))};
  if (pad->size() % 2 != 0 || pad->size() / 2 > x.shape.size()) {
    return ctx.ParamError("pad", ValuesText(*pad), " must have 2*N entries with N <= rank ", x.rank());
  }
  std::vector<int64_t> out = x.shape;
  const size_t n = pad->size() / 2, first = out.size() - n;
  for (size_t i = 0; i < n; ++i) {
    out[first + i] = AddDims(out[first + i], (*pad)[2 * i] + (*pad)[2 * i + 1]);
  }
  return Types{TensorOf(x.dtype, out)};
}

Result<Types> OneHot(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType indices, ctx.Tensor("indices"));
  ANEMLL_ASSIGN_OR_RETURN(Arg size_arg, ctx.Get("one_hot_vector_size"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_value, ctx.Int("axis", -1));
  const int64_t size = size_arg.value ? size_arg.value->GetInt() : kUnknownDim;
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "axis", axis_value, indices.rank() + 1));
  DType dtype = DType::kInt32;
  if (ctx.Has("on_value")) dtype = ValueDType(ctx, "on_value", dtype);
  std::vector<int64_t> out = indices.shape;
  out.insert(out.begin() + axis, size);
  return Types{TensorOf(dtype, out)};
}

Result<Types> Einsum(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<TensorType> values, TupleTensors(ctx, "values"));
  ANEMLL_ASSIGN_OR_RETURN(std::string eq, ctx.String("equation", std::nullopt));
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  const size_t arrow = eq.find("->");
  if (arrow == std::string::npos || eq.find('.') != std::string::npos) {
    return ctx.ParamError("equation", "'", eq, "' must be explicit ('ab,bc->ac') without '...'");
  }
  std::vector<std::string> terms;
  size_t start = 0;
  const std::string lhs = eq.substr(0, arrow);
  while (true) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != values.size()) {
    return ctx.ParamError("equation", "'", eq, "' has ", terms.size(), " inputs, values has ", values.size());
  }
  std::map<char, int64_t> dims;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (static_cast<int>(terms[i].size()) != values[i].rank()) {
      return ctx.ParamError("equation", "term '", terms[i], "' does not match rank ", values[i].rank());
    }
    for (size_t j = 0; j < terms[i].size(); ++j) {
      const int64_t d = values[i].shape[j];
      auto [it, inserted] = dims.emplace(terms[i][j], d);
      int64_t& cur = it->second;
      if (inserted || d == cur || d == 1) continue;  // size-1 labels broadcast
      if (d < 0) {
        if (cur == 1) cur = d;
      } else if (cur < 0 || cur == 1) {
        cur = d;
      } else {
        return ctx.ParamError("equation", "label '", terms[i][j], "' has sizes ", cur, " and ", d);
      }
    }
  }
  std::vector<int64_t> out;
  for (char c : eq.substr(arrow + 2)) {
    auto it = dims.find(c);
    if (it == dims.end()) return ctx.ParamError("equation", "output label '", c, "' is not an input label");
    out.push_back(it->second);
  }
  return Types{TensorOf(values[0].dtype, out)};
}

Result<Types> Quantize(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType in, ctx.Tensor("input"));
  ANEMLL_ASSIGN_OR_RETURN(std::string dtype, ctx.String("output_dtype", std::nullopt));
  if (dtype != "uint8" && dtype != "int8") {
    return ctx.ParamError("output_dtype", "is '", dtype, "', expected uint8 or int8");
  }
  return Types{TensorOf(DTypeFromName(dtype), in.shape)};
}

Result<Types> Dequantize(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType in, ctx.Tensor("input"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType scale, ctx.Tensor("scale"));
  return Types{TensorOf(scale.dtype, in.shape)};
}

// ---- constexpr ---------------------------------------------------------------------------------

// Output shape of a LUT decompression over `indices_shape`; checks the LUT layout.
Result<std::vector<int64_t>> LutShape(const OpContext& ctx, const std::vector<int64_t>& indices_shape,
                                      DType indices_dtype, const TensorType& lut) {
  const size_t k = indices_shape.size();
  if (k < 1) return ctx.Error("indices must have rank >= 1");
  if (lut.shape.size() != k + 2) {
    return ctx.ParamError("lut", "has shape ", ShapeText(lut.shape), ", expected rank ", k + 2,
                          " (rank of indices + 2)");
  }
  for (size_t d = 0; d < k; ++d) {
    if (lut.shape[d] <= 0 || indices_shape[d] % lut.shape[d] != 0) {
      return ctx.ParamError("lut", "dim ", d, " (", lut.shape[d], ") does not divide indices dim ",
                            indices_shape[d]);
    }
  }
  const int bits = DTypeBits(indices_dtype);
  if (lut.shape[k] != (int64_t{1} << bits)) {
    return ctx.ParamError("lut", "has ", lut.shape[k], " palette entries, expected 2^", bits, " for ",
                          DTypeName(indices_dtype), " indices");
  }
  std::vector<int64_t> out = indices_shape;
  const int64_t vector_size = lut.shape[k + 1];
  if (vector_size > 1) {
    if (!ctx.Has("vector_axis")) return ctx.ParamError("vector_axis", "is required when the LUT vector size is > 1");
    ANEMLL_ASSIGN_OR_RETURN(int64_t va, ctx.Int("vector_axis", std::nullopt));
    ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, "vector_axis", va, static_cast<int>(k)));
    out[axis] *= vector_size;
  }
  return out;
}

Result<Types> ConstexprLutToDense(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType indices, ctx.Tensor("indices"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType lut, ctx.Tensor("lut"));
  if (indices.has_unknown_dims() || lut.has_unknown_dims()) return ctx.Error("constexpr inputs must have known shapes");
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> out, LutShape(ctx, indices.shape, indices.dtype, lut));
  return Types{TensorOf(lut.dtype, out)};
}

Status CheckShiftScale(const OpContext& ctx, const std::vector<int64_t>& data_shape, DType data_dtype,
                       const TensorType& scale) {
  if (data_shape.empty()) return ctx.Error("data must have rank >= 1");
  if (scale.shape.size() != data_shape.size()) {
    return ctx.ParamError("scale", "has shape ", ShapeText(scale.shape), ", expected rank ", data_shape.size());
  }
  for (size_t d = 0; d < data_shape.size(); ++d) {
    if (scale.shape[d] <= 0 || data_shape[d] % scale.shape[d] != 0) {
      return ctx.ParamError("scale", "dim ", d, " (", scale.shape[d], ") does not divide data dim ", data_shape[d]);
    }
  }
  if (ctx.Has("offset")) {
    ANEMLL_ASSIGN_OR_RETURN(TensorType offset, ctx.Tensor("offset"));
    if (offset.shape != scale.shape) {
      return ctx.ParamError("offset", "has shape ", ShapeText(offset.shape), ", expected the shape of scale ",
                            ShapeText(scale.shape));
    }
    if (!IsFloat(offset.dtype) && offset.dtype != data_dtype) {
      return ctx.ParamError("offset", "has dtype ", DTypeName(offset.dtype), ", expected ",
                            DTypeName(data_dtype), " (the data dtype) or a float");
    }
  }
  return Status::Ok();
}

Result<Types> ConstexprBlockwiseShiftScale(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType data, ctx.Tensor("data"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType scale, ctx.Tensor("scale"));
  ANEMLL_RETURN_IF_ERROR(CheckShiftScale(ctx, data.shape, data.dtype, scale));
  return Types{TensorOf(scale.dtype, data.shape)};
}

Result<Types> ConstexprAffineDequantize(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType q, ctx.Tensor("quantized_data"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType scale, ctx.Tensor("scale"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", std::nullopt));
  ANEMLL_RETURN_IF_ERROR(NormalizeAxis(ctx, "axis", axis, q.rank()).status());
  return Types{TensorOf(scale.dtype, q.shape)};
}

Result<Types> ConstexprCast(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType src, ctx.Tensor("source_val"));
  ANEMLL_ASSIGN_OR_RETURN(std::string dtype, ctx.String("output_dtype", std::nullopt));
  const DType out = DTypeFromName(dtype);
  if (out == DType::kInvalid || out == DType::kString) {
    return ctx.ParamError("output_dtype", "is '", dtype, "', not a tensor dtype");
  }
  return Types{TensorOf(out, src.shape)};
}

Result<Types> ConstexprSparseToDense(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType data, ctx.Tensor("nonzero_data"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType mask, ctx.Tensor("mask"));
  if (data.rank() != 1) return ctx.ParamError("nonzero_data", "must have rank 1");
  return Types{TensorOf(data.dtype, mask.shape)};
}

Result<Types> ConstexprLutToSparse(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType mask, ctx.Tensor("indices_mask"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType nonzero, ctx.Tensor("indices_nonzero_data"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType lut, ctx.Tensor("lut"));
  if (nonzero.rank() != 1) return ctx.ParamError("indices_nonzero_data", "must have rank 1");
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> mask_out, LutShape(ctx, mask.shape, nonzero.dtype, lut));
  const int64_t vector_size = lut.shape.back();
  return Types{TensorOf(DType::kUInt1, mask_out), TensorOf(lut.dtype, {MulDims(nonzero.shape[0], vector_size)})};
}

Result<Types> ConstexprSparseBlockwiseShiftScale(const OpContext& ctx) {
  ANEMLL_ASSIGN_OR_RETURN(TensorType mask, ctx.Tensor("data_mask"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType nonzero, ctx.Tensor("nonzero_data"));
  ANEMLL_ASSIGN_OR_RETURN(TensorType scale, ctx.Tensor("scale"));
  if (nonzero.rank() != 1) return ctx.ParamError("nonzero_data", "must have rank 1");
  ANEMLL_RETURN_IF_ERROR(CheckShiftScale(ctx, mask.shape, nonzero.dtype, scale));
  return Types{TensorOf(DType::kUInt1, mask.shape), TensorOf(scale.dtype, nonzero.shape)};
}

}  // namespace

InferFn FindTensorOpInference(const std::string& type) {
  static const std::map<std::string, InferFn> kOps = {
      {"reshape", Reshape}, {"transpose", Transpose}, {"expand_dims", ExpandDims},
      {"squeeze", Squeeze}, {"concat", Concat}, {"stack", Stack}, {"split", Split},
      {"slice_by_index", SliceByIndex}, {"slice_by_size", SliceBySize},
      {"slice_update", SliceUpdate}, {"gather", Gather}, {"gather_along_axis", GatherAlongAxis},
      {"fill", Fill}, {"fill_like", FillLike}, {"range_1d", Range1d}, {"tile", Tile},
      {"topk", Topk}, {"argsort", Argsort}, {"cumsum", SameShapeWithAxis},
      {"band_part", BandPart}, {"pad", Pad}, {"one_hot", OneHot}, {"einsum", Einsum},
      {"quantize", Quantize}, {"dequantize", Dequantize},
      {"constexpr_lut_to_dense", ConstexprLutToDense},
      {"constexpr_blockwise_shift_scale", ConstexprBlockwiseShiftScale},
      {"constexpr_affine_dequantize", ConstexprAffineDequantize},
      {"constexpr_cast", ConstexprCast},
      {"constexpr_sparse_to_dense", ConstexprSparseToDense},
      {"constexpr_lut_to_sparse", ConstexprLutToSparse},
      {"constexpr_sparse_blockwise_shift_scale", ConstexprSparseBlockwiseShiftScale},
  };
  auto it = kOps.find(type);
  return it == kOps.end() ? nullptr : it->second;
}

}  // namespace anemll::mil::infer
