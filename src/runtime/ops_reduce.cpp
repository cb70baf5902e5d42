// Reductions and row ops: reduce_*, reduce_argmax/argmin, softmax, layer_norm, topk, cumsum.
// Sums accumulate in fp32 (kernels) or double (generic path) inside the op.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/elementwise.h"
#include "kernels/half_convert.h"
#include "kernels/reduce.h"
#include "runtime/op_fusion.h"
#include "runtime/ops_common.h"

namespace anemll::runtime::internal {
namespace {

using mil::DType;

enum class Reduce { kSum, kMean, kMax, kMin, kProd, kSumSquare, kL1, kL2, kLogSumExp };

// The input viewed as [outer, dim, inner] around one axis.
struct AxisView {
  int64_t outer = 1, dim = 1, inner = 1;
};

AxisView ViewAround(const std::vector<int64_t>& shape, int axis) {
  AxisView v;
  for (int d = 0; d < axis; ++d) v.outer *= shape[d];
  v.dim = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d) v.inner *= shape[d];
  return v;
}

Result<std::vector<bool>> ReducedAxes(OpBuilder& b, const Slot* x) {
  const int rank = static_cast<int>(x->shape.size());
  std::vector<bool> red(rank, false);
  ANEMLL_ASSIGN_OR_RETURN(auto axes, b.OptionalConstInts("axes"));
  if (!axes) {
    std::fill(red.begin(), red.end(), true);
    return red;
  }
  for (int64_t a : *axes) {
    ANEMLL_ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, rank, "axis"));
    red[ax] = true;
  }
  return red;
}

double Finish(Reduce kind, double acc, int64_t n) {
  switch (kind) {
    case Reduce::kMean: return n ? acc / static_cast<double>(n) : 0.0;
    case Reduce::kL2: return std::sqrt(acc);
    default: return acc;
  }
}

template <Reduce kKind>
Status BuildReduce(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (x->storage != Storage::kF32 && x->storage != Storage::kI32) return InvalidArgument("cannot reduce a bool tensor");
  ANEMLL_ASSIGN_OR_RETURN(std::vector<bool> red, ReducedAxes(b, x));
  ANEMLL_ASSIGN_OR_RETURN(bool keep, b.ConstBool("keep_dims", false));
  const int rank = static_cast<int>(x->shape.size());
  std::vector<int64_t> oshape;
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    if (red[d]) {
      n *= x->shape[d];
      if (keep) oshape.push_back(1);
    } else {
      oshape.push_back(x->shape[d]);
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  // Trailing reduced axes over f32: one contiguous row per output element.
  int first_red = rank;
  while (first_red > 0 && red[first_red - 1]) --first_red;
  bool trailing = true;
  for (int d = 0; d < first_red; ++d) trailing = trailing && !red[d];
  if (trailing && x->storage == Storage::kF32 &&
      (kKind == Reduce::kSum || kKind == Reduce::kMean || kKind == Reduce::kMax || kKind == Reduce::kMin)) {
    b.SetRun([x, out, n](const RunContext&) {
      for (int64_t o = 0; o < out->count; ++o) {
        const float* row = x->f32() + o * n;
        float v;
        if (kKind == Reduce::kMax) {
          v = kernels::MaxRow(row, static_cast<size_t>(n));
        } else if (kKind == Reduce::kMin) {
          v = kernels::MinRow(row, static_cast<size_t>(n));
        } else {
          v = kernels::SumRow(row, static_cast<size_t>(n));
          if (kKind == Reduce::kMean) v /= static_cast<float>(n);
        }
        out->f32()[o] = v;
      }
      return Status::Ok();
    });
    return Status::Ok();
  }
  // Generic: map every input element to its output element.
  const std::vector<int64_t> xs = Strides(x->shape);
  std::vector<int64_t> ostride(rank, 0);
  {
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; --d) {
      if (!red[d]) {
        ostride[d] = s;
        s *= x->shape[d];
      }
    }
  }
  // Two doubles per output element (accumulator, and the sum of log-sum-exp).
  Slot* acc = b.Scratch(Storage::kF32, 4 * std::max<int64_t>(1, out->count));
  b.SetRun([x, out, xs, ostride, rank, n, acc](const RunContext&) {
    double* a = reinterpret_cast<double*>(acc->data);
    const double init = kKind == Reduce::kMax   ? -std::numeric_limits<double>::infinity()
                        : kKind == Reduce::kMin ? std::numeric_limits<double>::infinity()
                        : kKind == Reduce::kProd ? 1.0
                                                 : 0.0;
    std::fill(a, a + out->count, init);
    double* mx = nullptr;
    if (kKind == Reduce::kLogSumExp) {
      // max first for a stable log-sum-exp
      std::fill(a, a + out->count, -std::numeric_limits<double>::infinity());
      mx = a;
    }
    auto out_index = [&](int64_t i) {
      int64_t o = 0;
      for (int d = 0; d < rank; ++d) o += ((i / xs[d]) % x->shape[d]) * ostride[d];
      return o;
    };
    if (mx) {
      for (int64_t i = 0; i < x->count; ++i) {
        double& m = mx[out_index(i)];
        m = std::max(m, SlotDouble(*x, i));
      }
      double* sums = a + out->count;
      std::fill(sums, sums + out->count, 0.0);
      for (int64_t i = 0; i < x->count; ++i) {
        const int64_t o = out_index(i);
        sums[o] += std::exp(SlotDouble(*x, i) - mx[o]);
      }
      for (int64_t o = 0; o < out->count; ++o) a[o] = mx[o] + std::log(sums[o]);
    } else {
      for (int64_t i = 0; i < x->count; ++i) {
        const double v = SlotDouble(*x, i);
        double& r = a[out_index(i)];
        switch (kKind) {
          case Reduce::kMax: r = v > r ? v : r; break;
          case Reduce::kMin: r = v < r ? v : r; break;
          case Reduce::kProd: r *= v; break;
          case Reduce::kSumSquare:
          case Reduce::kL2: r += v * v; break;
          case Reduce::kL1: r += std::fabs(v); break;
          default: r += v; break;
        }
      }
    }
    for (int64_t o = 0; o < out->count; ++o) {
      const double v = Finish(kKind, a[o], n);
      if (out->storage == Storage::kI32) {
        out->i32()[o] = static_cast<int32_t>(v);
      } else {
        out->f32()[o] = static_cast<float>(v);
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

template <bool kMax>
Status BuildArgReduce(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (x->storage != Storage::kF32 && x->storage != Storage::kI32) return InvalidArgument("x must be numeric");
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", -1));
  ANEMLL_ASSIGN_OR_RETURN(bool keep, b.ConstBool("keep_dims", false));
  ANEMLL_ASSIGN_OR_RETURN(std::string odt, b.ConstString("output_dtype", std::string("int32")));
  const DType out_dtype = mil::DTypeFromName(odt);
  if (out_dtype != DType::kInt32 && out_dtype != DType::kUInt16) {
    return InvalidArgument("output_dtype '", odt, "' (expected int32 or uint16)");
  }
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  std::vector<int64_t> oshape = x->shape;
  if (keep) {
    oshape[axis] = 1;
  } else {
    oshape.erase(oshape.begin() + axis);
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, out_dtype, oshape));
  const AxisView v = ViewAround(x->shape, axis);
  b.SetRun([x, out, v](const RunContext&) {
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        const int64_t base = o * v.dim * v.inner + i;
        int64_t best = 0;
        if (kMax && v.inner == 1 && x->storage == Storage::kF32) {
          best = static_cast<int64_t>(kernels::ArgMaxRow(x->f32() + base, static_cast<size_t>(v.dim)));
        } else {
          double bv = 0.0;
          bool found = false;
          for (int64_t k = 0; k < v.dim; ++k) {
            const double val = SlotDouble(*x, base + k * v.inner);
            if (std::isnan(val)) continue;
            if (!found || (kMax ? val > bv : val < bv)) {
              bv = val;
              best = k;
              found = true;
            }
          }
        }
        out->i32()[o * v.inner + i] = static_cast<int32_t>(best);
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildSoftmax(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", -1));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, static_cast<int>(x->shape.size()), "axis"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  const AxisView v = ViewAround(x->shape, axis);
  Slot* row = v.inner > 1 ? b.Scratch(Storage::kF32, v.dim) : nullptr;
  b.SetRun([x, out, v, row](const RunContext&) {
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        const int64_t base = o * v.dim * v.inner + i;
        if (v.inner == 1) {
          kernels::SoftmaxRow(x->f32() + base, out->f32() + base, static_cast<size_t>(v.dim));
        } else {
          GatherStrided(x->f32() + base, v.inner, v.dim, row->f32());
          kernels::SoftmaxRow(row->f32(), row->f32(), static_cast<size_t>(v.dim));
          ScatterStrided(row->f32(), v.dim, out->f32() + base, v.inner);
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildLayerNorm(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(std::vector<bool> red, ReducedAxes(b, x));
  int first = rank;
  while (first > 0 && red[first - 1]) --first;
  for (int d = 0; d < first; ++d) {
    if (red[d]) return Unsupported("layer_norm over axes that are not the trailing dims of ", ShapeString(x->shape));
  }
  int64_t n = 1;
  for (int d = first; d < rank; ++d) n *= x->shape[d];
  Slot* gamma = nullptr;
  Slot* beta = nullptr;
  if (b.Has("gamma")) {
    ANEMLL_ASSIGN_OR_RETURN(gamma, b.InputF32("gamma"));
  }
  if (b.Has("beta")) {
    ANEMLL_ASSIGN_OR_RETURN(beta, b.InputF32("beta"));
  }
  if ((gamma && gamma->count != n) || (beta && beta->count != n)) {
    return InvalidArgument("gamma/beta must have ", n, " elements (the normalized dims of ", ShapeString(x->shape), ")");
  }
  ANEMLL_ASSIGN_OR_RETURN(double eps, b.ConstFloat("epsilon", 1e-5));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  const float e = static_cast<float>(eps);
  b.SetRun([x, gamma, beta, out, n, e](const RunContext&) {
    const int64_t rows = n ? x->count / n : 0;
    for (int64_t r = 0; r < rows; ++r) {
      kernels::LayerNormRow(x->f32() + r * n, static_cast<size_t>(n), gamma ? gamma->f32() : nullptr,
                            beta ? beta->f32() : nullptr, e, out->f32() + r * n);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// anemll.rms_norm (runtime/op_fusion.h): the ANE's RMSNorm chain mul(x, -1) -> concat([x, -x]) ->
// layer_norm -> first half -> mul(gain) in one step, with the chain's exact arithmetic: the same
// normalization of the same [x, -x] row, the normalized values rounded to fp16 where the chain's
// layer_norm output is, then the same products.
Status BuildRmsNorm(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * gain, b.InputF32("gain"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(gain, "gain"));
  if (x->shape.empty()) return InvalidArgument("x is a scalar");
  const int64_t d = x->shape.back();
  if (gain->count != d) return InvalidArgument("gain has ", gain->count, " elements, expected ", d);
  ANEMLL_ASSIGN_OR_RETURN(double eps, b.ConstFloat("epsilon"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  // [x, -x] and its normalization.
  Slot* scratch = b.Scratch(Storage::kF32, 4 * d);
  const bool round = b.fp16_mode() && x->dtype == DType::kFp16;
  const float e = static_cast<float>(eps);
  b.SetRun([x, gain, out, scratch, d, round, e](const RunContext&) {
    const size_t n = static_cast<size_t>(d);
    float* both = scratch->f32();
    float* normed = both + 2 * n;
    const int64_t rows = d ? x->count / d : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x->f32() + r * d;
      std::memcpy(both, row, n * sizeof(float));
      for (size_t i = 0; i < n; ++i) both[n + i] = -row[i];
      kernels::LayerNormRow(both, 2 * n, nullptr, nullptr, e, normed);
      if (round) kernels::RoundToHalf(normed, n);
      kernels::Binary(kernels::BinaryOp::kMul, normed, 1, gain->f32(), 1, out->f32() + r * d, n);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildTopK(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (x->storage == Storage::kU8) return InvalidArgument("topk of a bool tensor");
  ANEMLL_ASSIGN_OR_RETURN(int64_t k, b.ConstInt("k", 1));
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", -1));
  ANEMLL_ASSIGN_OR_RETURN(bool ascending, b.ConstBool("ascending", false));
  ANEMLL_ASSIGN_OR_RETURN(bool return_indices, b.ConstBool("return_indices", true));
  ANEMLL_ASSIGN_OR_RETURN(std::string odt, b.ConstString("output_indices_dtype", std::string("int32")));
  const int rank = static_cast<int>(x->shape.size());
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, rank, "axis"));
  if (k < 0 || k > x->shape[axis]) return InvalidArgument("k ", k, " is out of range for dim ", x->shape[axis]);
  std::vector<int64_t> oshape = x->shape;
  oshape[axis] = k;
  ANEMLL_ASSIGN_OR_RETURN(Slot * values, b.Output(0, x->dtype, oshape));
  Slot* indices = nullptr;
  if (return_indices && b.num_declared_outputs() > 1) {
    const DType idt = mil::DTypeFromName(odt);
    if (idt != DType::kInt32 && idt != DType::kUInt16) return InvalidArgument("output_indices_dtype '", odt, "'");
    ANEMLL_ASSIGN_OR_RETURN(indices, b.Output(1, idt, oshape));
  }
  b.NoRounding();
  const AxisView v = ViewAround(x->shape, axis);
  Slot* row = b.Scratch(Storage::kF32, v.dim);
  Slot* vals = b.Scratch(Storage::kF32, std::max<int64_t>(1, k));
  Slot* idxs = b.Scratch(Storage::kI32, std::max<int64_t>(1, k));
  b.SetRun([x, values, indices, v, k, ascending, row, vals, idxs](const RunContext&) {
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        const int64_t base = o * v.dim * v.inner + i;
        for (int64_t j = 0; j < v.dim; ++j) row->f32()[j] = ReadFloat(x, base + j * v.inner);
        kernels::TopKRow(row->f32(), static_cast<size_t>(v.dim), static_cast<size_t>(k), ascending, vals->f32(),
                         idxs->i32());
        for (int64_t j = 0; j < k; ++j) {
          const int64_t dst = o * k * v.inner + j * v.inner + i;
          if (values->storage == Storage::kI32) {
            values->i32()[dst] = x->i32()[base + idxs->i32()[j] * v.inner];
          } else {
            values->f32()[dst] = vals->f32()[j];
          }
          if (indices) indices->i32()[dst] = idxs->i32()[j];
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildCumsum(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (x->storage == Storage::kU8) return InvalidArgument("cumsum of a bool tensor");
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", 0));
  ANEMLL_ASSIGN_OR_RETURN(bool exclusive, b.ConstBool("exclusive", false));
  ANEMLL_ASSIGN_OR_RETURN(bool reverse, b.ConstBool("reverse", false));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, static_cast<int>(x->shape.size()), "axis"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  const AxisView v = ViewAround(x->shape, axis);
  b.SetRun([x, out, v, exclusive, reverse](const RunContext&) {
    for (int64_t o = 0; o < v.outer; ++o) {
      for (int64_t i = 0; i < v.inner; ++i) {
        double acc = 0.0;
        for (int64_t j = 0; j < v.dim; ++j) {
          const int64_t jj = reverse ? v.dim - 1 - j : j;
          const int64_t p = (o * v.dim + jj) * v.inner + i;
          const double val = SlotDouble(*x, p);
          if (!exclusive) acc += val;
          if (out->storage == Storage::kI32) {
            out->i32()[p] = static_cast<int32_t>(acc);
          } else {
            out->f32()[p] = static_cast<float>(acc);
          }
          if (exclusive) acc += val;
        }
      }
    }
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterReduceOps(std::map<std::string, OpBuildFn>& r) {
  r["reduce_sum"] = &BuildReduce<Reduce::kSum>;
  r["reduce_mean"] = &BuildReduce<Reduce::kMean>;
  r["reduce_max"] = &BuildReduce<Reduce::kMax>;
  r["reduce_min"] = &BuildReduce<Reduce::kMin>;
  r["reduce_prod"] = &BuildReduce<Reduce::kProd>;
  r["reduce_sum_square"] = &BuildReduce<Reduce::kSumSquare>;
  r["reduce_l1_norm"] = &BuildReduce<Reduce::kL1>;
  r["reduce_l2_norm"] = &BuildReduce<Reduce::kL2>;
  r["reduce_log_sum_exp"] = &BuildReduce<Reduce::kLogSumExp>;
  r["reduce_argmax"] = &BuildArgReduce<true>;
  r["reduce_argmin"] = &BuildArgReduce<false>;
  r["softmax"] = &BuildSoftmax;
  r["layer_norm"] = &BuildLayerNorm;
  r[kRmsNormOp] = &BuildRmsNorm;
  r["topk"] = &BuildTopK;
  r["cumsum"] = &BuildCumsum;
}

}  // namespace anemll::runtime::internal
