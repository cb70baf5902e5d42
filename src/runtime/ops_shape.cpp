// Shape and data-movement ops: reshape, expand_dims, squeeze, transpose, concat, split, stack,
// tile, fill, fill_like, band_part, range_1d, gather, gather_along_axis.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/half_convert.h"
#include "runtime/ops_common.h"

namespace anemll::runtime::internal {
namespace {

using mil::DType;

// Float inputs as fp32 views; all inputs must share one storage.
Status UniformStorage(OpBuilder& b, std::vector<Slot*>* xs) {
  for (Slot*& s : *xs) {
    if (s->storage == Storage::kF16) {
      ANEMLL_ASSIGN_OR_RETURN(s, b.AsF32(s));
    }
  }
  for (const Slot* s : *xs) {
    if (s->storage != (*xs)[0]->storage) {
      return InvalidArgument("inputs mix ", mil::DTypeName((*xs)[0]->dtype), " and ", mil::DTypeName(s->dtype));
    }
  }
  return Status::Ok();
}

Status BuildReshape(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * shape_slot, b.Input("shape"));
  std::vector<int64_t> target;
  if (shape_slot->is_const) {
    for (int64_t i = 0; i < shape_slot->count; ++i) target.push_back(SlotInt(*shape_slot, i));
  } else {
    const mil::TensorType* t = b.DeclaredOutput(0);
    if (t == nullptr || t->unknown_rank || t->has_unknown_dims()) {
      return Unsupported("reshape to a shape computed at run time needs a fully declared output shape");
    }
    target = t->shape;
  }
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (infer >= 0) return InvalidArgument("shape ", ShapeString(target), " has more than one -1");
      infer = static_cast<int>(i);
    } else if (target[i] == 0) {
      // iOS17: copy the corresponding input dim.
      const size_t src = i + x->shape.size() - std::min(x->shape.size(), target.size());
      if (src >= x->shape.size()) return InvalidArgument("shape ", ShapeString(target), ": 0 has no input dim to copy");
      target[i] = x->shape[src];
      known *= target[i];
    } else if (target[i] < 0) {
      return InvalidArgument("shape ", ShapeString(target), " has a negative dimension");
    } else {
      known *= target[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x->count % known != 0) {
      return InvalidArgument("cannot reshape ", ShapeString(x->shape), " to ", ShapeString(target));
    }
    target[infer] = x->count / known;
  }
  if (NumElements(target) != x->count) {
    return InvalidArgument("cannot reshape ", ShapeString(x->shape), " (", x->count, " elements) to ",
                           ShapeString(target));
  }
  return b.AliasOutput(0, x, target).status();
}

Status BuildExpandDims(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, b.ConstInts("axes"));
  const int out_rank = static_cast<int>(x->shape.size() + axes.size());
  std::vector<bool> is_new(out_rank, false);
  for (int64_t a : axes) {
    ANEMLL_ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, out_rank, "axis"));
    if (is_new[ax]) return InvalidArgument("axis ", a, " repeats");
    is_new[ax] = true;
  }
  std::vector<int64_t> shape;
  size_t src = 0;
  for (int d = 0; d < out_rank; ++d) shape.push_back(is_new[d] ? 1 : x->shape[src++]);
  return b.AliasOutput(0, x, shape).status();
}

Status BuildSqueeze(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(auto axes, b.OptionalConstInts("axes"));
  const int rank = static_cast<int>(x->shape.size());
  std::vector<bool> drop(rank, false);
  if (axes) {
    for (int64_t a : *axes) {
      ANEMLL_ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, rank, "axis"));
      if (x->shape[ax] != 1) return InvalidArgument("cannot squeeze axis ", a, " of size ", x->shape[ax]);
      drop[ax] = true;
    }
  } else {
    for (int d = 0; d < rank; ++d) drop[d] = x->shape[d] == 1;
  }
  std::vector<int64_t> shape;
  for (int d = 0; d < rank; ++d) {
    if (!drop[d]) shape.push_back(x->shape[d]);
  }
  return b.AliasOutput(0, x, shape).status();
}

// out[i] = in[sum_d idx_d * in_strides[perm[d]]], elements of E bytes.
template <typename E>
void PermuteCopy(const E* in, E* out, const std::vector<int64_t>& oshape, const std::vector<int64_t>& istride) {
  const int nd = static_cast<int>(oshape.size());
  if (nd == 0) {
    out[0] = in[0];
    return;
  }
  const int64_t inner = oshape[nd - 1], step = istride[nd - 1];
  const int64_t rows = NumElements(oshape) / std::max<int64_t>(1, inner);
  std::array<int64_t, kMaxRank> idx{};
  int64_t off = 0;
  for (int64_t r = 0; r < rows; ++r) {
    E* o = out + r * inner;
    for (int64_t i = 0; i < inner; ++i) o[i] = in[off + i * step];
    for (int d = nd - 2; d >= 0; --d) {
      ++idx[d];
      off += istride[d];
      if (idx[d] < oshape[d]) break;
      off -= istride[d] * oshape[d];
      idx[d] = 0;
    }
  }
}

void PermuteSlot(const Slot* x, Slot* out, const std::vector<int64_t>& oshape, const std::vector<int64_t>& istride) {
  switch (StorageBytes(x->storage)) {
    case 1: PermuteCopy(x->u8(), out->u8(), oshape, istride); break;
    case 2: PermuteCopy(x->f16(), reinterpret_cast<uint16_t*>(out->data), oshape, istride); break;
    default: PermuteCopy(x->i32(), out->i32(), oshape, istride); break;
  }
}

Status BuildTranspose(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> perm, b.ConstInts("perm"));
  const int rank = static_cast<int>(x->shape.size());
  if (static_cast<int>(perm.size()) != rank) {
    return InvalidArgument("perm has ", perm.size(), " entries for a rank-", rank, " tensor");
  }
  if (rank > kMaxRank) return Unsupported("rank ", rank);
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> oshape(rank), istride(rank);
  const std::vector<int64_t> xs = Strides(x->shape);
  for (int d = 0; d < rank; ++d) {
    ANEMLL_ASSIGN_OR_RETURN(int p, NormalizeAxis(perm[d], rank, "perm entry"));
    if (seen[p]) return InvalidArgument("perm ", ShapeString(perm), " is not a permutation");
    seen[p] = true;
    oshape[d] = x->shape[p];
    istride[d] = xs[p];
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  b.NoRounding();
  b.SetRun([x, out, oshape, istride](const RunContext&) {
    PermuteSlot(x, out, oshape, istride);
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildConcat(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<Slot*> xs, b.Inputs("values"));
  ANEMLL_RETURN_IF_ERROR(UniformStorage(b, &xs));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis"));
  ANEMLL_ASSIGN_OR_RETURN(bool interleave, b.ConstBool("interleave", false));
  const int rank = static_cast<int>(xs[0]->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  std::vector<int64_t> oshape = xs[0]->shape;
  oshape[axis] = 0;
  for (const Slot* s : xs) {
    bool ok = static_cast<int>(s->shape.size()) == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || s->shape[d] == xs[0]->shape[d];
    if (interleave) ok = ok && s->shape == xs[0]->shape;
    if (!ok) {
      return InvalidArgument("cannot concat ", ShapeString(s->shape), " with ", ShapeString(xs[0]->shape),
                             " along axis ", axis, interleave ? " (interleaved)" : "");
    }
    oshape[axis] += s->shape[axis];
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, xs[0]->dtype, oshape));
  b.NoRounding();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= oshape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= oshape[d];
  b.SetRun([xs, out, outer, inner, axis, interleave](const RunContext&) {
    int64_t o = 0;
    for (int64_t r = 0; r < outer; ++r) {
      if (interleave) {
        const int64_t len = xs[0]->shape[axis];
        for (int64_t j = 0; j < len; ++j) {
          for (const Slot* s : xs) {
            CopyElements(s, (r * len + j) * inner, out, o, inner);
            o += inner;
          }
        }
      } else {
        for (const Slot* s : xs) {
          const int64_t chunk = s->shape[axis] * inner;
          CopyElements(s, r * chunk, out, o, chunk);
          o += chunk;
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildStack(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<Slot*> xs, b.Inputs("values"));
  ANEMLL_RETURN_IF_ERROR(UniformStorage(b, &xs));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis"));
  const int rank = static_cast<int>(xs[0]->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank + 1, "axis"));
  for (const Slot* s : xs) {
    if (s->shape != xs[0]->shape) {
      return InvalidArgument("cannot stack ", ShapeString(s->shape), " with ", ShapeString(xs[0]->shape));
    }
  }
  std::vector<int64_t> oshape = xs[0]->shape;
  oshape.insert(oshape.begin() + axis, static_cast<int64_t>(xs.size()));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, xs[0]->dtype, oshape));
  b.NoRounding();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= oshape[d];
  for (int d = axis + 1; d < rank + 1; ++d) inner *= oshape[d];
  b.SetRun([xs, out, outer, inner](const RunContext&) {
    int64_t o = 0;
    for (int64_t r = 0; r < outer; ++r) {
      for (const Slot* s : xs) {
        CopyElements(s, r * inner, out, o, inner);
        o += inner;
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildSplit(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis"));
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  const int64_t dim = x->shape[axis];
  std::vector<int64_t> sizes;
  ANEMLL_ASSIGN_OR_RETURN(auto split_sizes, b.OptionalConstInts("split_sizes"));
  if (split_sizes) {
    sizes = *split_sizes;
  } else {
    const int64_t n = b.Has("num_splits") ? 0 : static_cast<int64_t>(b.num_declared_outputs());
    ANEMLL_ASSIGN_OR_RETURN(int64_t num, b.ConstInt("num_splits", n));
    if (num <= 0 || dim % num != 0) return InvalidArgument("cannot split dim ", dim, " into ", num, " equal parts");
    sizes.assign(static_cast<size_t>(num), dim / num);
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) return InvalidArgument("negative split size in ", ShapeString(sizes));
    total += s;
  }
  if (total != dim) return InvalidArgument("split sizes ", ShapeString(sizes), " do not add up to ", dim);
  if (sizes.size() != b.num_declared_outputs()) {
    return InvalidArgument("split makes ", sizes.size(), " parts but the op declares ", b.num_declared_outputs(),
                           " outputs");
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape[d];
  std::vector<Slot*> outs;
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<int64_t> oshape = x->shape;
    oshape[axis] = sizes[i];
    if (outer == 1) {
      // Contiguous parts: views.
      ANEMLL_RETURN_IF_ERROR(
          b.AliasOutput(i, x, oshape, start * inner * static_cast<int64_t>(StorageBytes(x->storage))).status());
    } else {
      ANEMLL_ASSIGN_OR_RETURN(Slot * o, b.Output(i, x->dtype, oshape));
      outs.push_back(o);
    }
    start += sizes[i];
  }
  if (outer == 1) return Status::Ok();
  b.NoRounding();
  b.SetRun([x, outs, sizes, outer, inner, dim](const RunContext&) {
    for (int64_t r = 0; r < outer; ++r) {
      int64_t start = 0;
      for (size_t i = 0; i < outs.size(); ++i) {
        CopyElements(x, (r * dim + start) * inner, outs[i], r * sizes[i] * inner, sizes[i] * inner);
        start += sizes[i];
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildTile(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> reps, b.ConstInts("reps"));
  const int rank = static_cast<int>(x->shape.size());
  if (static_cast<int>(reps.size()) != rank) return InvalidArgument("reps has ", reps.size(), " entries for rank ", rank);
  std::vector<int64_t> oshape(rank), istride(rank);
  for (int d = 0; d < rank; ++d) {
    if (reps[d] < 1) return InvalidArgument("reps ", ShapeString(reps), " must be positive");
    oshape[d] = x->shape[d] * reps[d];
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  b.NoRounding();
  const std::vector<int64_t> xs = Strides(x->shape), os = Strides(oshape);
  b.SetRun([x, out, oshape, xs, os, rank](const RunContext&) {
    for (int64_t o = 0; o < out->count; ++o) {
      int64_t src = 0;
      for (int d = 0; d < rank; ++d) src += ((o / os[d]) % oshape[d] % x->shape[d]) * xs[d];
      CopyElements(x, src, out, o, 1);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// fill / fill_like: the value's dtype decides the output dtype (MIL default value 0.0 -> fp32).
Status FillWith(OpBuilder& b, std::vector<int64_t> shape) {
  Slot* value = nullptr;
  if (b.Has("value")) {
    ANEMLL_ASSIGN_OR_RETURN(value, b.Input("value"));
  }
  if (value && !value->is_const) return InvalidArgument("input 'value' must be a constant");
  if (value && value->count != 1) return InvalidArgument("input 'value' must be a scalar");
  DType dtype = value ? value->dtype : DType::kFp32;
  if (const mil::TensorType* t = b.DeclaredOutput(0); t && t->dtype != DType::kInvalid) dtype = t->dtype;
  const double v = value ? SlotDouble(*value, 0) : 0.0;
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, dtype, shape));
  b.SetRun([out, v](const RunContext&) {
    for (int64_t i = 0; i < out->count; ++i) {
      if (out->storage == Storage::kI32) {
        out->i32()[i] = static_cast<int32_t>(v);
      } else {
        WriteFloat(out, i, static_cast<float>(v));
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildFill(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * shape_slot, b.Input("shape"));
  std::vector<int64_t> shape;
  if (shape_slot->is_const) {
    for (int64_t i = 0; i < shape_slot->count; ++i) shape.push_back(SlotInt(*shape_slot, i));
  } else {
    const mil::TensorType* t = b.DeclaredOutput(0);
    if (t == nullptr || t->unknown_rank || t->has_unknown_dims()) {
      return Unsupported("fill with a shape computed at run time needs a fully declared output shape");
    }
    shape = t->shape;
  }
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("shape ", ShapeString(shape), " has a negative dimension");
  }
  return FillWith(b, shape);
}

Status BuildFillLike(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * ref, b.Input("ref_tensor"));
  return FillWith(b, ref->shape);
}

Status BuildBandPart(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(int64_t lower, b.ConstInt("lower", -1));
  ANEMLL_ASSIGN_OR_RETURN(int64_t upper, b.ConstInt("upper", -1));
  if (x->shape.size() < 2) return InvalidArgument("band_part needs rank >= 2, got ", ShapeString(x->shape));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  b.NoRounding();
  const int64_t rows = x->shape[x->shape.size() - 2], cols = x->shape.back();
  b.SetRun([x, out, rows, cols, lower, upper](const RunContext&) {
    const size_t e = StorageBytes(x->storage);
    std::memset(out->data, 0, out->bytes());
    for (int64_t i = 0; i < x->count; ++i) {
      const int64_t c = i % cols, r = (i / cols) % rows;
      const bool keep = (lower < 0 || r - c <= lower) && (upper < 0 || c - r <= upper);
      if (keep) std::memcpy(out->data + i * static_cast<int64_t>(e), x->data + i * static_cast<int64_t>(e), e);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildRange1d(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * start, b.Input("start"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * end, b.Input("end"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * step, b.Input("step"));
  if (!start->is_const || !end->is_const || !step->is_const) {
    return Unsupported("range_1d with run-time bounds is not supported");
  }
  const double s0 = SlotDouble(*start, 0), e0 = SlotDouble(*end, 0), st = SlotDouble(*step, 0);
  if (st == 0.0) return InvalidArgument("range_1d step is 0");
  const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((e0 - s0) / st)));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, start->dtype, {n}));
  b.SetRun([out, s0, st](const RunContext&) {
    for (int64_t i = 0; i < out->count; ++i) {
      const double v = s0 + st * static_cast<double>(i);
      if (out->storage == Storage::kI32) {
        out->i32()[i] = static_cast<int32_t>(v);
      } else {
        out->f32()[i] = static_cast<float>(v);
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// gather of rows (axis 0, no batch dims) from a palettized table: each selected row is decoded
// from the packed indices on the fly, so the table is never expanded (embeddings at LUT bits).
Status BuildLutRowGather(OpBuilder& b, const LutSource& L, PackedLutMatrix m) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * idx, b.Input("indices"));
  ANEMLL_RETURN_IF_ERROR(RequireInt(idx, "indices"));
  std::vector<int64_t> oshape = idx->shape;
  oshape.insert(oshape.end(), L.shape.begin() + 1, L.shape.end());
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, L.lut->type.tensor.dtype, oshape));
  b.NoRounding();  // palette values are fp16 already
  auto table = std::make_shared<PackedLutMatrix>(std::move(m));
  b.SetRun([idx, out, table](const RunContext&) {
    const kernels::LutMatrixRef& w = table->ref;
    for (int64_t i = 0; i < idx->count; ++i) {
      const int64_t k = idx->i32()[i];
      if (k < 0 || k >= w.rows) {
        return InvalidArgument("row ", k, " of the palettized table (position ", i, ") is out of range [0, ", w.rows, ")");
      }
      kernels::DecodeLutRow(w, k, out->f32() + i * w.cols);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildGather(OpBuilder& b) {
  if (const LutSource* L = b.InputLut("x")) {
    ANEMLL_ASSIGN_OR_RETURN(int64_t axis0, b.ConstInt("axis", 0));
    ANEMLL_ASSIGN_OR_RETURN(int64_t batch0, b.ConstInt("batch_dims", 0));
    const int64_t rank = static_cast<int64_t>(L->shape.size());
    if ((axis0 == 0 || axis0 == -rank) && batch0 == 0) {
      if (std::optional<PackedLutMatrix> m = AsPackedLutMatrix(*L)) return BuildLutRowGather(b, *L, std::move(*m));
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * idx, b.Input("indices"));
  ANEMLL_RETURN_IF_ERROR(RequireInt(idx, "indices"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", 0));
  ANEMLL_ASSIGN_OR_RETURN(int64_t batch_dims, b.ConstInt("batch_dims", 0));
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  if (batch_dims < 0 || batch_dims > axis || batch_dims > static_cast<int64_t>(idx->shape.size())) {
    return InvalidArgument("batch_dims ", batch_dims, " is out of range for axis ", axis, " and indices ",
                           ShapeString(idx->shape));
  }
  for (int64_t d = 0; d < batch_dims; ++d) {
    if (x->shape[d] != idx->shape[d]) {
      return InvalidArgument("x ", ShapeString(x->shape), " and indices ", ShapeString(idx->shape),
                             " differ in batch dim ", d);
    }
  }
  std::vector<int64_t> oshape(x->shape.begin(), x->shape.begin() + axis);
  oshape.insert(oshape.end(), idx->shape.begin() + batch_dims, idx->shape.end());
  oshape.insert(oshape.end(), x->shape.begin() + axis + 1, x->shape.end());
  // The output keeps x's dtype; an fp16 table is widened row by row (exact).
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  b.NoRounding();
  int64_t batch = 1, outer = 1, inner = 1;
  for (int64_t d = 0; d < batch_dims; ++d) batch *= x->shape[d];
  for (int d = static_cast<int>(batch_dims); d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape[d];
  const int64_t dim = x->shape[axis];
  const int64_t per_batch = idx->count / std::max<int64_t>(1, batch);
  b.SetRun([x, idx, out, batch, outer, inner, dim, per_batch](const RunContext&) {
    for (int64_t bt = 0; bt < batch; ++bt) {
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < per_batch; ++i) {
          const int64_t k = idx->i32()[bt * per_batch + i];
          if (k < 0 || k >= dim) {
            return InvalidArgument("index ", k, " (position ", bt * per_batch + i, ") is out of range [0, ", dim, ")");
          }
          const int64_t src = ((bt * outer + o) * dim + k) * inner;
          const int64_t dst = ((bt * outer + o) * per_batch + i) * inner;
          if (x->storage == Storage::kF16) {
            kernels::HalfToFloat(x->f16() + src, out->f32() + dst, static_cast<size_t>(inner));
          } else {
            CopyElements(x, src, out, dst, inner);
          }
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildGatherAlongAxis(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * idx, b.Input("indices"));
  ANEMLL_RETURN_IF_ERROR(RequireInt(idx, "indices"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", 0));
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  bool ok = static_cast<int>(idx->shape.size()) == rank;
  for (int d = 0; ok && d < rank; ++d) ok = d == axis || idx->shape[d] == x->shape[d];
  if (!ok) {
    return InvalidArgument("indices ", ShapeString(idx->shape), " must match x ", ShapeString(x->shape),
                           " except along axis ", axis);
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, idx->shape));
  b.NoRounding();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape[d];
  const int64_t xdim = x->shape[axis], idim = idx->shape[axis];
  b.SetRun([x, idx, out, outer, inner, xdim, idim](const RunContext&) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < idim; ++i) {
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t p = (o * idim + i) * inner + j;
          const int64_t k = idx->i32()[p];
          if (k < 0 || k >= xdim) return InvalidArgument("index ", k, " (position ", p, ") is out of range [0, ", xdim, ")");
          CopyElements(x, (o * xdim + k) * inner + j, out, p, 1);
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterShapeOps(std::map<std::string, OpBuildFn>& r) {
  r["reshape"] = &BuildReshape;
  r["expand_dims"] = &BuildExpandDims;
  r["squeeze"] = &BuildSqueeze;
  r["transpose"] = &BuildTranspose;
  r["concat"] = &BuildConcat;
  r["stack"] = &BuildStack;
  r["split"] = &BuildSplit;
  r["tile"] = &BuildTile;
  r["fill"] = &BuildFill;
  r["fill_like"] = &BuildFillLike;
  r["band_part"] = &BuildBandPart;
  r["range_1d"] = &BuildRange1d;
  r["gather"] = &BuildGather;
  r["gather_along_axis"] = &BuildGatherAlongAxis;
}

}  // namespace anemll::runtime::internal
