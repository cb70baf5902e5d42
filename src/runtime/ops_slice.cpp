// Slicing: slice_by_index, slice_by_size and slice_update. Begin/end may be run-time values (a
// KV-cache write at current_pos); their bounds are then checked on every run.
#include <algorithm>
#include <cstring>
#include <memory>

#include "base/half.h"
#include "kernels/half_convert.h"
#include "runtime/ops_common.h"
#include "runtime/state_rewrite.h"

namespace anemll::runtime::internal {
namespace {

using mil::DType;

struct SliceArgs {
  Slot* begin = nullptr;
  Slot* end = nullptr;  // or `size` for slice_by_size
  std::vector<int64_t> stride;
  std::vector<bool> begin_mask, end_mask, squeeze_mask;
  bool by_size = false;
};

// A resolved slice: first index, stride and length per dim of x.
struct SliceSpec {
  std::vector<int64_t> begin, stride, len;
  std::vector<bool> squeeze;
  std::vector<int64_t> Shape() const {
    std::vector<int64_t> s;
    for (size_t d = 0; d < len.size(); ++d) {
      if (!squeeze[d]) s.push_back(len[d]);
    }
    return s;
  }
};

// Fills *out (reusing its storage, so run-time slices do not allocate).
Status Resolve(const std::vector<int64_t>& shape, const SliceArgs& a, SliceSpec* out) {
  const size_t rank = shape.size();
  if (static_cast<size_t>(a.begin->count) != rank || static_cast<size_t>(a.end->count) != rank) {
    return InvalidArgument("begin/", a.by_size ? "size" : "end", " have ", a.begin->count, "/", a.end->count,
                           " entries for a rank-", rank, " tensor");
  }
  SliceSpec& s = *out;
  s.begin.resize(rank);
  s.stride.resize(rank);
  s.len.resize(rank);
  s.squeeze.assign(rank, false);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t n = shape[d];
    const int64_t st = a.stride.empty() ? 1 : a.stride[d];
    if (st == 0) return InvalidArgument("stride 0 in dim ", d);
    int64_t b = SlotInt(*a.begin, static_cast<int64_t>(d));
    int64_t e = SlotInt(*a.end, static_cast<int64_t>(d));
    if (a.by_size) {
      if (b < 0) b += n;
      const int64_t size = e;
      if (b < 0 || b > n || (size != -1 && (size < 0 || b + size > n))) {
        return InvalidArgument("begin ", SlotInt(*a.begin, static_cast<int64_t>(d)), " size ", size,
                               " is out of range for dim ", d, " of size ", n);
      }
      s.begin[d] = b;
      s.stride[d] = 1;
      s.len[d] = size == -1 ? n - b : size;
      continue;
    }
    const bool bm = !a.begin_mask.empty() && a.begin_mask[d];
    const bool em = !a.end_mask.empty() && a.end_mask[d];
    const bool sq = !a.squeeze_mask.empty() && a.squeeze_mask[d];
    // Python slicing: negative indices count from the end, then clamp.
    if (bm) {
      b = st > 0 ? 0 : n - 1;
    } else {
      if (b < 0) b += n;
      b = st > 0 ? std::clamp<int64_t>(b, 0, n) : std::clamp<int64_t>(b, -1, n - 1);
    }
    if (sq) {
      if (b < 0 || b >= n) return InvalidArgument("squeezed index ", b, " is out of range for dim ", d, " of size ", n);
      s.begin[d] = b;
      s.stride[d] = 1;
      s.len[d] = 1;
      s.squeeze[d] = true;
      continue;
    }
    if (em) {
      e = st > 0 ? n : -1;
    } else {
      if (e < 0) e += n;
      e = st > 0 ? std::clamp<int64_t>(e, 0, n) : std::clamp<int64_t>(e, -1, n - 1);
    }
    const int64_t len = st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
    s.begin[d] = b;
    s.stride[d] = st;
    s.len[d] = std::max<int64_t>(0, len);
  }
  return Status::Ok();
}

Result<SliceSpec> Resolve(const std::vector<int64_t>& shape, const SliceArgs& a) {
  SliceSpec s;
  ANEMLL_RETURN_IF_ERROR(Resolve(shape, a, &s));
  return s;
}

// Whether the slice's (squeezed) shape equals `shape`, without building it.
bool SameShape(const SliceSpec& s, const std::vector<int64_t>& shape) {
  size_t j = 0;
  for (size_t d = 0; d < s.len.size(); ++d) {
    if (s.squeeze[d]) continue;
    if (j >= shape.size() || shape[j] != s.len[d]) return false;
    ++j;
  }
  return j == shape.size();
}

// Whether the slice is one contiguous block of x (leading dims of length 1, one partial dim,
// then whole dims, unit strides).
bool IsContiguous(const SliceSpec& spec, const std::vector<int64_t>& shape) {
  const size_t rank = spec.len.size();
  size_t k = 0;
  while (k < rank && spec.len[k] == 1) ++k;
  bool contiguous = k == rank || spec.stride[k] == 1;
  for (size_t d = k + 1; contiguous && d < rank; ++d) {
    contiguous = spec.begin[d] == 0 && spec.len[d] == shape[d] && spec.stride[d] == 1;
  }
  return contiguous;
}

int64_t SliceCount(const SliceSpec& s) {
  int64_t n = 1;
  for (int64_t l : s.len) n *= l;
  return n;
}

Result<SliceArgs> ReadSliceArgs(OpBuilder& b, bool by_size) {
  SliceArgs a;
  a.by_size = by_size;
  ANEMLL_ASSIGN_OR_RETURN(a.begin, b.Input("begin"));
  ANEMLL_ASSIGN_OR_RETURN(a.end, b.Input(by_size ? "size" : "end"));
  ANEMLL_RETURN_IF_ERROR(RequireInt(a.begin, "begin"));
  ANEMLL_RETURN_IF_ERROR(RequireInt(a.end, by_size ? "size" : "end"));
  if (!by_size) {
    ANEMLL_ASSIGN_OR_RETURN(auto stride, b.OptionalConstInts("stride"));
    if (stride) a.stride = *stride;
    ANEMLL_ASSIGN_OR_RETURN(auto bm, b.OptionalConstBools("begin_mask"));
    ANEMLL_ASSIGN_OR_RETURN(auto em, b.OptionalConstBools("end_mask"));
    ANEMLL_ASSIGN_OR_RETURN(auto sm, b.OptionalConstBools("squeeze_mask"));
    if (bm) a.begin_mask = *bm;
    if (em) a.end_mask = *em;
    if (sm) a.squeeze_mask = *sm;
    const size_t rank = static_cast<size_t>(a.begin->count);
    for (const auto* v : {&a.begin_mask, &a.end_mask, &a.squeeze_mask}) {
      if (!v->empty() && v->size() != rank) return InvalidArgument("a slice mask has ", v->size(), " entries, expected ", rank);
    }
    if (!a.stride.empty() && a.stride.size() != rank) {
      return InvalidArgument("stride has ", a.stride.size(), " entries, expected ", rank);
    }
  }
  return a;
}

// Calls f(x_offset, out_offset, run) for every innermost run of the slice (x strides in
// elements); the innermost x step is spec.stride.back().
template <class F>
void ForEachSliceRun(const SliceSpec& s, const std::vector<int64_t>& xstrides, F&& f) {
  const int nd = static_cast<int>(s.len.size());
  if (nd == 0) {
    f(0, 0, 1);
    return;
  }
  for (int64_t l : s.len) {
    if (l == 0) return;
  }
  const int64_t inner = s.len[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d + 1 < nd; ++d) rows *= s.len[d];
  std::array<int64_t, kMaxRank> idx{};
  int64_t off = 0;
  for (int d = 0; d < nd; ++d) off += s.begin[d] * xstrides[d];
  for (int64_t r = 0; r < rows; ++r) {
    f(off, r * inner, inner);
    for (int d = nd - 2; d >= 0; --d) {
      ++idx[d];
      off += s.stride[d] * xstrides[d];
      if (idx[d] < s.len[d]) break;
      off -= s.stride[d] * xstrides[d] * s.len[d];
      idx[d] = 0;
    }
  }
}

// Copies the slice of x into out (gather = true) or update into the slice of out (false).
void CopySlice(const SliceSpec& s, const std::vector<int64_t>& xstrides, const Slot* src, Slot* dst, bool gather) {
  const size_t e = StorageBytes(dst->storage);
  const int64_t step = s.stride.empty() ? 1 : s.stride.back();
  ForEachSliceRun(s, xstrides, [&](int64_t xo, int64_t oo, int64_t n) {
    if (step == 1) {
      if (gather) {
        std::memcpy(dst->data + oo * static_cast<int64_t>(e), src->data + xo * static_cast<int64_t>(e), n * e);
      } else {
        std::memcpy(dst->data + xo * static_cast<int64_t>(e), src->data + oo * static_cast<int64_t>(e), n * e);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t xi = xo + i * step, oi = oo + i;
      if (gather) {
        std::memcpy(dst->data + oi * static_cast<int64_t>(e), src->data + xi * static_cast<int64_t>(e), e);
      } else {
        std::memcpy(dst->data + xi * static_cast<int64_t>(e), src->data + oi * static_cast<int64_t>(e), e);
      }
    }
  });
}

// Output shape of a slice with run-time bounds: from a constant size, else the declared output.
Result<std::vector<int64_t>> RuntimeSliceShape(OpBuilder& b, const std::vector<int64_t>& shape, const SliceArgs& a) {
  std::vector<int64_t> oshape;
  if (a.by_size && a.end->is_const) {
    for (size_t d = 0; d < shape.size(); ++d) {
      const int64_t size = SlotInt(*a.end, static_cast<int64_t>(d));
      if (size == -1) return Unsupported("slice_by_size with size -1 and a run-time begin");
      oshape.push_back(size);
    }
    return oshape;
  }
  const mil::TensorType* t = b.DeclaredOutput(0);
  if (t == nullptr || t->unknown_rank || t->has_unknown_dims()) {
    return Unsupported("a slice with run-time bounds needs a fully declared output shape");
  }
  return t->shape;
}

Status BuildSlice(OpBuilder& b, bool by_size) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  ANEMLL_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(b, by_size));
  const std::vector<int64_t> xstrides = Strides(x->shape);
  if (a.begin->is_const && a.end->is_const) {
    ANEMLL_ASSIGN_OR_RETURN(SliceSpec spec, Resolve(x->shape, a));
    // A contiguous block is a view of x.
    const bool contiguous = IsContiguous(spec, x->shape);
    int64_t off = 0;
    for (size_t d = 0; d < spec.len.size(); ++d) off += spec.begin[d] * xstrides[d];
    if (contiguous && NumElements(spec.len) > 0) {
      return b.AliasOutput(0, x, spec.Shape(), off * static_cast<int64_t>(StorageBytes(x->storage))).status();
    }
    ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, spec.Shape()));
    b.NoRounding();
    b.SetRun([spec, xstrides, x, out](const RunContext&) {
      CopySlice(spec, xstrides, x, out, true);
      return Status::Ok();
    });
    return Status::Ok();
  }
  // Run-time begin/end: the output shape comes from a constant size or the declaration.
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> oshape, RuntimeSliceShape(b, x->shape, a));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  b.NoRounding();
  auto scratch = std::make_shared<SliceSpec>();
  b.SetRun([a, xstrides, x, out, oshape, scratch](const RunContext&) {
    SliceSpec& spec = *scratch;
    ANEMLL_RETURN_IF_ERROR(Resolve(x->shape, a, &spec));
    if (!SameShape(spec, oshape)) {
      return InvalidArgument("slice of x ", ShapeString(x->shape), " at begin ", ShapeString(spec.begin), " has shape ",
                             ShapeString(spec.Shape()), ", expected ", ShapeString(oshape));
    }
    CopySlice(spec, xstrides, x, out, true);
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildSliceByIndex(OpBuilder& b) { return BuildSlice(b, false); }
Status BuildSliceBySize(OpBuilder& b) { return BuildSlice(b, true); }

Status BuildSliceUpdate(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * update, b.Input("update"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (update->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(update, b.AsF32(update));
  }
  if (x->storage != update->storage) {
    return InvalidArgument("x is ", mil::DTypeName(x->dtype), " but update is ", mil::DTypeName(update->dtype));
  }
  ANEMLL_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(b, false));
  const std::vector<int64_t> xstrides = Strides(x->shape);
  auto check = [x, update](const SliceSpec& spec) -> Status {
    if (!SameShape(spec, update->shape) && SliceCount(spec) != update->count) {
      return InvalidArgument("update ", ShapeString(update->shape), " does not fit the slice ", ShapeString(spec.Shape()),
                             " of x ", ShapeString(x->shape), " at begin ", ShapeString(spec.begin));
    }
    return Status::Ok();
  };
  if (a.begin->is_const && a.end->is_const) {
    ANEMLL_ASSIGN_OR_RETURN(SliceSpec spec, Resolve(x->shape, a));
    ANEMLL_RETURN_IF_ERROR(check(spec));
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  b.NoRounding();
  auto scratch = std::make_shared<SliceSpec>();
  b.SetRun([a, xstrides, x, update, out, check, scratch](const RunContext&) {
    SliceSpec& spec = *scratch;
    ANEMLL_RETURN_IF_ERROR(Resolve(x->shape, a, &spec));
    ANEMLL_RETURN_IF_ERROR(check(spec));
    if (out->data != x->data) std::memcpy(out->data, x->data, x->bytes());
    CopySlice(spec, xstrides, update, out, false);
    return Status::Ok();
  });
  return Status::Ok();
}

// Slice of a state read straight from its storage (see state_rewrite.h).
Status BuildStateSlice(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * st, b.Input("input"));
  if (st->state < 0) return InvalidArgument("input '", st->name, "' is not a state");
  ANEMLL_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(b, false));
  std::vector<int64_t> oshape;
  if (a.begin->is_const && a.end->is_const) {
    ANEMLL_ASSIGN_OR_RETURN(SliceSpec spec, Resolve(st->shape, a));
    oshape = spec.Shape();
    // A contiguous slice read only by matmul y operands before the state is written again is a
    // view of the state's bytes: no copy, and fp16 storage is read as is.
    if (IsContiguous(spec, st->shape) && SliceCount(spec) > 0 && !b.op().outputs.empty()) {
      const int here = b.position();
      const auto consumers = b.Consumers(b.op().outputs[0].name);
      bool view = !consumers.empty();
      for (const auto& [pos, param] : consumers) {
        const mil::Operation* c = pos == OpBuilder::kBlockOutput ? nullptr : b.OpAt(pos);
        view = view && c != nullptr && c->type == "matmul" && param == "y" && pos > here &&
               !b.StateWrittenBetween(st->name, here, pos);
      }
      if (view) {
        const std::vector<int64_t> strides = Strides(st->shape);
        int64_t off = 0;
        for (size_t d = 0; d < spec.len.size(); ++d) off += spec.begin[d] * strides[d];
        const int64_t elem = b.fp16_mode() ? 2 : 4;
        return b.StateViewOutput(0, st->state, oshape, off * elem).status();
      }
    }
  } else {
    ANEMLL_ASSIGN_OR_RETURN(oshape, RuntimeSliceShape(b, st->shape, a));
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, st->dtype, oshape));
  b.SideEffects();
  b.NoRounding();
  const int index = st->state;
  const std::vector<int64_t> shape = st->shape, strides = Strides(st->shape);
  auto scratch = std::make_shared<SliceSpec>();
  b.SetRun([a, shape, strides, out, oshape, index, scratch](const RunContext& ctx) {
    SliceSpec& spec = *scratch;
    ANEMLL_RETURN_IF_ERROR(Resolve(shape, a, &spec));
    if (!SameShape(spec, oshape)) {
      return InvalidArgument("slice of state ", ShapeString(shape), " at begin ", ShapeString(spec.begin),
                             " has shape ", ShapeString(spec.Shape()), ", expected ", ShapeString(oshape));
    }
    StateTensor* s = ctx.plan->states[static_cast<size_t>(index)].bound;
    const int64_t step = spec.stride.empty() ? 1 : spec.stride.back();
    float* dst = out->f32();
    ForEachSliceRun(spec, strides, [&](int64_t xo, int64_t oo, int64_t n) {
      if (s->fp16 && step == 1) {
        kernels::HalfToFloat(s->half_data() + xo, dst + oo, static_cast<size_t>(n));
      } else if (step == 1) {
        std::memcpy(dst + oo, s->float_data() + xo, static_cast<size_t>(n) * sizeof(float));
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t xi = xo + i * step;
          dst[oo + i] = s->fp16 ? HalfToFloat(s->half_data()[xi]) : s->float_data()[xi];
        }
      }
    });
    return Status::Ok();
  });
  return Status::Ok();
}

// slice_update written straight into a state's storage (see state_rewrite.h).
Status BuildStateSliceUpdate(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * st, b.Input("input"));
  if (st->state < 0) return InvalidArgument("input '", st->name, "' is not a state");
  ANEMLL_ASSIGN_OR_RETURN(Slot * update, b.Input("update"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(update, "update"));
  ANEMLL_ASSIGN_OR_RETURN(update, b.AsF32(update));
  ANEMLL_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(b, false));
  const std::vector<int64_t> shape = st->shape, strides = Strides(st->shape);
  auto check = [shape, update](const SliceSpec& spec) -> Status {
    if (!SameShape(spec, update->shape) && SliceCount(spec) != update->count) {
      return InvalidArgument("update ", ShapeString(update->shape), " does not fit the slice ", ShapeString(spec.Shape()),
                             " of x ", ShapeString(shape), " at begin ", ShapeString(spec.begin));
    }
    return Status::Ok();
  };
  if (a.begin->is_const && a.end->is_const) {
    ANEMLL_ASSIGN_OR_RETURN(SliceSpec spec, Resolve(shape, a));
    ANEMLL_RETURN_IF_ERROR(check(spec));
  }
  b.SideEffects();
  const int index = st->state;
  auto scratch = std::make_shared<SliceSpec>();
  b.SetRun([a, shape, strides, update, index, check, scratch](const RunContext& ctx) {
    SliceSpec& spec = *scratch;
    ANEMLL_RETURN_IF_ERROR(Resolve(shape, a, &spec));
    ANEMLL_RETURN_IF_ERROR(check(spec));
    StateTensor* s = ctx.plan->states[static_cast<size_t>(index)].bound;
    const int64_t step = spec.stride.empty() ? 1 : spec.stride.back();
    const float* src = update->f32();
    ForEachSliceRun(spec, strides, [&](int64_t xo, int64_t oo, int64_t n) {
      if (s->fp16 && step == 1) {
        kernels::FloatToHalf(src + oo, s->half_data() + xo, static_cast<size_t>(n));
      } else if (step == 1) {
        std::memcpy(s->float_data() + xo, src + oo, static_cast<size_t>(n) * sizeof(float));
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t xi = xo + i * step;
          if (s->fp16) {
            s->half_data()[xi] = FloatToHalf(src[oo + i]);
          } else {
            s->float_data()[xi] = src[oo + i];
          }
        }
      }
    });
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterSliceOps(std::map<std::string, OpBuildFn>& r) {
  r["slice_by_index"] = &BuildSliceByIndex;
  r["slice_by_size"] = &BuildSliceBySize;
  r["slice_update"] = &BuildSliceUpdate;
  r[kStateSliceOp] = &BuildStateSlice;
  r[kStateSliceUpdateOp] = &BuildStateSliceUpdate;
}

}  // namespace anemll::runtime::internal
