// Matrix ops: linear, matmul, 1x1 conv and scaled_dot_product_attention. Weights bound to a
// constexpr_lut_to_dense stay packed and run through the fused LUT kernels.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <memory>

#include "base/half.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/lut_gemm.h"
#include "kernels/lut_int8.h"
#include "kernels/reduce.h"
#include "runtime/ops_common.h"

namespace anemll::runtime::internal {
namespace {

using mil::DType;

// A weight matrix [rows, cols] as seen by the kernels: dense (fp32/fp16) or packed LUT.
struct WeightRef {
  kernels::MatrixRef dense;
  bool is_lut = false;
  kernels::LutMatrixRef lut;
  std::shared_ptr<std::vector<float>> palette;  // keeps lut.lut alive
  std::shared_ptr<const mil::Literal> indices;  // keeps lut.indices alive
  // Set when products use the int8 kernels (LutDot::kInt8 and a kernel for `lut`).
  std::shared_ptr<const kernels::LutInt8Palette> int8;
  const Slot* slot = nullptr;                   // dense: data resolved at run time

  kernels::MatrixRef Dense() const {
    kernels::MatrixRef m = dense;
    m.data = slot->data;
    return m;
  }
};

// Whether a packed LUT can feed the fused kernel; fills `w` if so.
bool FusedLut(const LutSource& L, LutDot lut_dot, WeightRef* w) {
  std::optional<PackedLutMatrix> m = AsPackedLutMatrix(L);
  if (!m) return false;
  w->is_lut = true;
  w->palette = std::move(m->palette);
  w->indices = std::move(m->indices);
  w->lut = m->ref;
  if (lut_dot == LutDot::kInt8 && kernels::LutInt8Available(w->lut)) {
    w->int8 = std::make_shared<const kernels::LutInt8Palette>(kernels::QuantizeLutPalette(w->lut));
  }
  return true;
}

void RunLut(const float* x, int64_t n, int64_t x_stride, const WeightRef& w, const float* bias, float* y,
            int64_t y_stride, ThreadPool* pool) {
  if (w.int8) {
    kernels::LutGemmInt8(x, n, x_stride, w.lut, *w.int8, bias, y, y_stride, pool);
  } else {
    kernels::LutGemmXWt(x, n, x_stride, w.lut, bias, y, y_stride, pool);
  }
}

// Constant weights at least this big are streamed from memory by their product: the plan warms
// them ahead of it (Plan::Execute). Smaller ones stay in cache between tokens anyway.
constexpr size_t kStreamedWeightBytes = size_t{64} << 10;

// Records a fused LUT weight's bytes as streamed by this op. Only the int8 kernels run at memory
// speed; the exact ones are bound by their table lookups, so warming their weights ahead gains
// nothing and delays the worker's start (decode measured about 3% slower with it).
void StreamsLut(OpBuilder& b, const WeightRef& w) {
  if (!w.int8) return;
  const size_t bytes = kernels::PackedIndexBytes(w.lut.rows * w.lut.cols, w.lut.bits);
  if (bytes < kStreamedWeightBytes) return;
  b.StreamsWeight(w.lut.indices, bytes);
}

// The weight parameter as a [rows, cols] matrix where rows = shape[0], cols = prod(shape[1:]).
Result<WeightRef> WeightInput(OpBuilder& b, const std::string& param, std::vector<int64_t>* shape) {
  WeightRef w;
  if (const LutSource* L = b.InputLut(param)) {
    if (FusedLut(*L, b.lut_dot(), &w)) {
      *shape = L->shape;
      StreamsLut(b, w);
      return w;
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, b.Input(param));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(s, param.c_str()));
  if (s->shape.size() < 2) return InvalidArgument("input '", param, "' has rank ", s->shape.size(), ", expected >= 2");
  *shape = s->shape;
  int64_t cols = 1;
  for (size_t d = 1; d < s->shape.size(); ++d) cols *= s->shape[d];
  w.dense = kernels::MatrixRef{nullptr, s->storage == Storage::kF16 ? kernels::ElemType::kF16 : kernels::ElemType::kF32,
                               s->shape[0], cols, cols};
  w.slot = s;
  if (s->is_const && s->data != nullptr && s->bytes() >= kStreamedWeightBytes) b.StreamsWeight(s->data, s->bytes());
  return w;
}

void RunXWt(const float* x, int64_t n, int64_t x_stride, const WeightRef& w, const float* bias, float* y,
            int64_t y_stride, ThreadPool* pool) {
  if (w.is_lut) {
    RunLut(x, n, x_stride, w, bias, y, y_stride, pool);
  } else {
    kernels::GemmXWt(x, n, x_stride, w.Dense(), bias, y, y_stride, pool);
  }
}

Result<Slot*> OptionalBias(OpBuilder& b, int64_t out_features) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * bias, b.OptionalInput("bias"));
  if (bias == nullptr) return bias;
  ANEMLL_ASSIGN_OR_RETURN(bias, b.AsF32(bias));
  if (bias->count != out_features) {
    return InvalidArgument("bias has shape ", ShapeString(bias->shape), ", expected [", out_features, "]");
  }
  return bias;
}

Status BuildLinear(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  std::vector<int64_t> wshape;
  ANEMLL_ASSIGN_OR_RETURN(WeightRef w, WeightInput(b, "weight", &wshape));
  if (wshape.size() != 2) return InvalidArgument("weight has shape ", ShapeString(wshape), ", expected [out, in]");
  if (x->shape.empty() || x->shape.back() != wshape[1]) {
    return InvalidArgument("x has shape ", ShapeString(x->shape), " but weight is ", ShapeString(wshape));
  }
  const int64_t out_f = wshape[0], in_f = wshape[1];
  ANEMLL_ASSIGN_OR_RETURN(Slot * bias, OptionalBias(b, out_f));
  std::vector<int64_t> oshape = x->shape;
  oshape.back() = out_f;
  ANEMLL_ASSIGN_OR_RETURN(Slot * y, b.Output(0, x->dtype, oshape));
  const int64_t n = x->count / std::max<int64_t>(1, in_f);
  b.SetRun([x, w, bias, y, n, in_f, out_f](const RunContext& ctx) {
    RunXWt(x->f32(), n, in_f, w, bias ? bias->f32() : nullptr, y->f32(), out_f, ctx.pool);
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildConv(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  std::vector<int64_t> wshape;
  ANEMLL_ASSIGN_OR_RETURN(WeightRef w, WeightInput(b, "weight", &wshape));
  const int rank = static_cast<int>(x->shape.size());
  if (rank < 3 || rank > 5 || wshape.size() != x->shape.size()) {
    return InvalidArgument("x ", ShapeString(x->shape), " and weight ", ShapeString(wshape),
                           " are not a [N, C, *spatial] / [C_out, C_in, *kernel] pair");
  }
  const int nsp = rank - 2;
  ANEMLL_ASSIGN_OR_RETURN(int64_t groups, b.ConstInt("groups", 1));
  ANEMLL_ASSIGN_OR_RETURN(auto strides, b.OptionalConstInts("strides"));
  ANEMLL_ASSIGN_OR_RETURN(std::string pad_type, b.ConstString("pad_type", std::string("valid")));
  ANEMLL_ASSIGN_OR_RETURN(auto pad, b.OptionalConstInts("pad"));
  bool simple = groups == 1;
  for (int d = 0; d < nsp; ++d) simple = simple && wshape[2 + d] == 1;
  if (strides) {
    for (int64_t s : *strides) simple = simple && s == 1;
  }
  if (pad_type == "custom" && pad) {
    for (int64_t p : *pad) simple = simple && p == 0;
  } else if (pad_type != "valid" && pad_type != "same" && pad_type != "same_lower" && pad_type != "custom") {
    return InvalidArgument("unknown pad_type '", pad_type, "'");
  }
  if (!simple) {
    return Unsupported("conv with weight ", ShapeString(wshape), ", groups ", groups,
                       " and non-unit strides or padding is not supported (only 1x1 kernels, stride 1, groups 1, "
                       "no padding)");
  }
  const int64_t cin = x->shape[1], cout = wshape[0];
  if (wshape[1] != cin) {
    return InvalidArgument("x has ", cin, " channels but weight ", ShapeString(wshape), " expects ", wshape[1]);
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * bias, OptionalBias(b, cout));
  std::vector<int64_t> oshape = x->shape;
  oshape[1] = cout;
  ANEMLL_ASSIGN_OR_RETURN(Slot * y, b.Output(0, x->dtype, oshape));
  const int64_t batch = x->shape[0];
  int64_t sp = 1;
  for (int d = 2; d < rank; ++d) sp *= x->shape[d];
  Slot* xt = sp > 1 ? b.Scratch(Storage::kF32, sp * cin) : nullptr;
  Slot* yt = sp > 1 ? b.Scratch(Storage::kF32, sp * cout) : nullptr;
  b.SetRun([x, w, bias, y, xt, yt, batch, sp, cin, cout](const RunContext& ctx) {
    const float* bptr = bias ? bias->f32() : nullptr;
    for (int64_t n = 0; n < batch; ++n) {
      const float* xn = x->f32() + n * cin * sp;
      float* yn = y->f32() + n * cout * sp;
      if (sp == 1) {
        RunXWt(xn, 1, cin, w, bptr, yn, cout, ctx.pool);
        continue;
      }
      // [C, S] -> [S, C], product, [S, C_out] -> [C_out, S]
      kernels::Transpose(xn, cin, sp, xt->f32());
      RunXWt(xt->f32(), sp, cin, w, bptr, yt->f32(), cout, ctx.pool);
      kernels::Transpose(yt->f32(), sp, cout, yn);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// Batch offsets (in matrices) of two operands broadcast over their leading dims.
Result<std::vector<std::pair<int64_t, int64_t>>> BatchPairs(const std::vector<int64_t>& ba,
                                                            const std::vector<int64_t>& bb,
                                                            std::vector<int64_t>* out_batch) {
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bc, MakeBroadcast({ba, bb}));
  *out_batch = bc.out_shape;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  bc.ForEachRun<2>([&](int64_t, const auto& off, int64_t n, const auto& st) {
    for (int64_t i = 0; i < n; ++i) pairs.emplace_back(off[0] + i * st[0], off[1] + i * st[1]);
  });
  return pairs;
}

// Attention scores: when this matmul's result only flows through shape ops, scaling by a
// constant and tanh into `add(scores, mask)`, every column whose mask is -inf in all rows ends up
// -inf whatever the score. Returns that mask (as fp32), so the run computes only the columns up
// to the last one the mask keeps and writes 0 to the rest (exact: finite + -inf = -inf).
Slot* FindColumnMask(OpBuilder& b, int64_t columns) {
  if (b.op().outputs.size() != 1) return nullptr;
  std::string v = b.op().outputs[0].name;
  for (int hops = 0; hops < 8; ++hops) {
    const auto consumers = b.Consumers(v);
    if (consumers.size() != 1) return nullptr;
    const mil::Operation* op = b.OpAt(consumers[0].first);
    if (op == nullptr || op->outputs.size() != 1) return nullptr;
    const mil::TensorType& t = op->outputs[0].type.tensor;
    if (t.unknown_rank || t.shape.empty() || t.shape.back() != columns) return nullptr;
    auto other = [&]() -> Slot* {
      for (const auto& [param, args] : op->inputs) {
        if (param != "x" && param != "y") continue;
        if (args.size() != 1 || args[0].is_literal() || args[0].name == v) continue;
        return b.Peek(args[0].name);
      }
      return nullptr;
    };
    if (op->type == "reshape" || op->type == "expand_dims" || op->type == "squeeze" || op->type == "tanh") {
      // shape-only or maps finite to finite
    } else if (op->type == "mul" || op->type == "real_div") {
      const Slot* c = other();
      bool literal_scalar = false;
      for (const auto& [param, args] : op->inputs) {
        if ((param == "x" || param == "y") && args.size() == 1 && args[0].is_literal()) {
          literal_scalar = args[0].literal->num_elements() == 1;
        }
      }
      if (!literal_scalar && (c == nullptr || !c->is_const || c->count != 1)) return nullptr;
      if (c && !std::isfinite(SlotDouble(*c, 0))) return nullptr;
      if (op->type == "real_div" && c && SlotDouble(*c, 0) == 0.0) return nullptr;
    } else if (op->type == "add") {
      Slot* mask = other();
      if (mask == nullptr || !mask->is_float() || mask->shape.empty() || mask->shape.back() != columns) return nullptr;
      auto f32 = b.AsF32(mask);
      if (!f32.ok()) return nullptr;
      b.AddInput(*f32);
      return *f32;
    } else {
      return nullptr;
    }
    v = op->outputs[0].name;
  }
  return nullptr;
}

// 1 + the last column of x [rows, columns] that is not `value` in some row.
int64_t LastColumnNotEqual(const float* x, int64_t rows, int64_t columns, float value) {
  int64_t last = 0;
  for (int64_t r = 0; r < rows && last < columns; ++r) {
    const float* row = x + r * columns + last;
    last += static_cast<int64_t>(kernels::TrimTrailing(row, static_cast<size_t>(columns - last), value));
  }
  return last;
}

// 1 + the last column any row of the mask keeps (mask > -inf).
int64_t KeptColumns(const Slot* mask, int64_t columns) {
  return LastColumnNotEqual(mask->f32(), mask->count / columns, columns, -INFINITY);
}

// 1 + the last column of x [rows, k] holding a nonzero value in any row.
int64_t UsedInner(const float* x, int64_t rows, int64_t k) { return LastColumnNotEqual(x, rows, k, 0.0f); }

Status BuildMatmul(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(bool tx, b.ConstBool("transpose_x", false));
  ANEMLL_ASSIGN_OR_RETURN(bool ty, b.ConstBool("transpose_y", false));
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  // A rank-2 y behind a LUT with transpose_y is a linear weight [N, K].
  WeightRef lut_w;
  const LutSource* L = b.InputLut("y");
  const bool fused = L != nullptr && ty && L->shape.size() == 2 && FusedLut(*L, b.lut_dot(), &lut_w);
  if (fused) StreamsLut(b, lut_w);
  Slot* y = nullptr;
  std::vector<int64_t> yshape;
  if (fused) {
    yshape = L->shape;
  } else {
    ANEMLL_ASSIGN_OR_RETURN(y, b.Input("y"));
    ANEMLL_RETURN_IF_ERROR(RequireFloat(y, "y"));
    yshape = y->shape;
  }
  std::vector<int64_t> xs = x->shape, ys = yshape;
  if (xs.empty() || ys.empty()) return InvalidArgument("matmul of a scalar");
  const bool x1 = xs.size() == 1, y1 = ys.size() == 1;
  if (x1) xs.insert(xs.begin(), 1);  // [K] -> [1, K]
  if (y1) ys.push_back(1);           // [K] -> [K, 1]
  const int64_t M = tx ? xs[xs.size() - 1] : xs[xs.size() - 2];
  const int64_t Kx = tx ? xs[xs.size() - 2] : xs[xs.size() - 1];
  const int64_t Ky = ty ? ys[ys.size() - 1] : ys[ys.size() - 2];
  const int64_t N = ty ? ys[ys.size() - 2] : ys[ys.size() - 1];
  if (Kx != Ky) {
    return InvalidArgument("x ", ShapeString(x->shape), " and y ", ShapeString(yshape), " (transpose_x=", tx,
                           ", transpose_y=", ty, ") have inner dims ", Kx, " and ", Ky);
  }
  const int64_t K = Kx;
  std::vector<int64_t> batch;
  ANEMLL_ASSIGN_OR_RETURN(auto pairs, BatchPairs(std::vector<int64_t>(xs.begin(), xs.end() - 2),
                                                 std::vector<int64_t>(ys.begin(), ys.end() - 2), &batch));
  std::vector<int64_t> oshape = batch;
  if (!x1) oshape.push_back(M);
  if (!y1) oshape.push_back(N);
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, oshape));
  Slot* xt = tx ? b.Scratch(Storage::kF32, M * K) : nullptr;
  const kernels::ElemType yt = y && y->storage == Storage::kF16 ? kernels::ElemType::kF16 : kernels::ElemType::kF32;
  const size_t yelem = yt == kernels::ElemType::kF16 ? 2 : 4;
  // Attention: q·kᵀ computes only the columns the mask keeps; p·v skips trailing zero weights.
  Slot* col_mask = ty && !fused && !y1 ? FindColumnMask(b, N) : nullptr;
  const bool trim_inner = !ty && !fused && !tx && N >= 8;
  // p·v: each pair's used inner length, found once for the prefetch and the product.
  Slot* inner_used = trim_inner ? b.Scratch(Storage::kI32, static_cast<int64_t>(pairs.size())) : nullptr;
  b.SetRun([x, y, out, xt, pairs, M, N, K, tx, ty, fused, lut_w, yt, yelem, col_mask, trim_inner,
            inner_used](const RunContext& ctx) {
    const int64_t n_used = col_mask ? KeptColumns(col_mask, N) : N;
    // Zero weights beyond the last used column of x add exactly 0.
    auto inner = [&](size_t bi) {
      return trim_inner ? UsedInner(x->f32() + pairs[bi].first * M * K, M, K) : K;
    };
    // k_used: rows of y [K, N] a p·v-style product reads (ignored for q·kᵀ and fused weights).
    auto run_pair = [&](size_t bi, ThreadPool* pool, int64_t k_used) {
      const float* xb = x->f32() + pairs[bi].first * M * K;
      if (tx) {  // [K, M] -> [M, K]
        for (int64_t k = 0; k < K; ++k) {
          for (int64_t m = 0; m < M; ++m) xt->f32()[m * K + k] = xb[k * M + m];
        }
        xb = xt->f32();
      }
      float* ob = out->f32() + static_cast<int64_t>(bi) * M * N;
      if (fused) {
        RunLut(xb, M, K, lut_w, nullptr, ob, N, pool);
        return;
      }
      const uint8_t* yb = y->data + static_cast<size_t>(pairs[bi].second * K * N) * yelem;
      if (ty) {
        kernels::GemmXWt(xb, M, K, kernels::MatrixRef{yb, yt, n_used, K, K}, nullptr, ob, N, pool);
        if (n_used < N) {
          for (int64_t m = 0; m < M; ++m) std::fill(ob + m * N + n_used, ob + (m + 1) * N, 0.0f);
        }
      } else {
        if (k_used == 0) {
          std::fill(ob, ob + M * N, 0.0f);
        } else {
          kernels::GemmXB(xb, M, K, kernels::MatrixRef{yb, yt, k_used, N, N}, ob, N, pool);
        }
      }
    };
    // Attention runs one small product per head: threads take whole heads (one wake-up per op
    // instead of one per head). The transposed-x path shares one scratch, so it stays serial.
    ThreadPool* pool = ctx.pool;
    // The used part of y (a KV cache in attention) was evicted by the weights streamed since the
    // last token; requesting all of a thread's rows up front overlaps their misses.
    if (pool != nullptr && pool->num_threads() > 1 && pairs.size() > 1 && !tx && !fused) {
      auto heads = [&](size_t b0, size_t b1) {
        for (size_t bi = b0; bi < b1; ++bi) {
          // q·kᵀ reads the kept rows of y [N, K]; p·v the rows of y [K, N] that meet nonzero weights.
          const int64_t rows = ty ? n_used : inner(bi);
          if (inner_used != nullptr) inner_used->i32()[bi] = static_cast<int32_t>(rows);
          const uint8_t* yb = y->data + static_cast<size_t>(pairs[bi].second * K * N) * yelem;
          kernels::PrefetchBytes(yb, static_cast<size_t>(rows * (ty ? K : N)) * yelem);
        }
        for (size_t bi = b0; bi < b1; ++bi) run_pair(bi, nullptr, inner_used ? inner_used->i32()[bi] : K);
      };
      // Passed through one reference, which fits std::function's inline storage (no allocation).
      pool->ParallelFor(pairs.size(), [&heads](size_t b0, size_t b1) { heads(b0, b1); });
    } else {
      for (size_t bi = 0; bi < pairs.size(); ++bi) run_pair(bi, pool, inner(bi));
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// scaled_dot_product_attention: softmax(q kᵀ / sqrt(E) + mask) v, fp32 inside.
Status BuildSdpa(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * q, b.Input("query"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * k, b.Input("key"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * v, b.Input("value"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(q, "query"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(k, "key"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(v, "value"));
  ANEMLL_ASSIGN_OR_RETURN(q, b.AsF32(q));
  ANEMLL_ASSIGN_OR_RETURN(Slot * mask, b.OptionalInput("attn_mask"));
  if (q->shape.size() < 2 || k->shape.size() < 2 || v->shape.size() < 2) {
    return InvalidArgument("query/key/value need rank >= 2");
  }
  const int64_t L = q->shape[q->shape.size() - 2], E = q->shape.back();
  const int64_t S = k->shape[k->shape.size() - 2], EV = v->shape.back();
  if (k->shape.back() != E || v->shape[v->shape.size() - 2] != S) {
    return InvalidArgument("query ", ShapeString(q->shape), ", key ", ShapeString(k->shape), " and value ",
                           ShapeString(v->shape), " do not fit [.., L, E], [.., S, E], [.., S, EV]");
  }
  std::vector<int64_t> qb(q->shape.begin(), q->shape.end() - 2), kb(k->shape.begin(), k->shape.end() - 2),
      vb(v->shape.begin(), v->shape.end() - 2);
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bb, MakeBroadcast({qb, kb, vb}));
  std::vector<std::array<int64_t, 3>> batches;
  bb.ForEachRun<3>([&](int64_t, const auto& off, int64_t n, const auto& st) {
    for (int64_t i = 0; i < n; ++i) batches.push_back({off[0] + i * st[0], off[1] + i * st[1], off[2] + i * st[2]});
  });
  std::vector<int64_t> oshape = bb.out_shape;
  oshape.push_back(L);
  oshape.push_back(EV);
  // Mask offsets per batch and its row/column steps over the [L, S] score matrix.
  std::vector<int64_t> mask_off;
  int64_t mask_row = 0, mask_col = 0;
  if (mask) {
    if (mask->is_float()) {
      ANEMLL_ASSIGN_OR_RETURN(mask, b.AsF32(mask));
    }
    std::vector<int64_t> full = bb.out_shape;
    full.push_back(L);
    full.push_back(S);
    ANEMLL_ASSIGN_OR_RETURN(Broadcast mb, MakeBroadcast({full, mask->shape}));
    if (mb.out_shape != full) {
      return InvalidArgument("attn_mask ", ShapeString(mask->shape), " does not broadcast to ", ShapeString(full));
    }
    const size_t r = mask->shape.size();
    const std::vector<int64_t> ms = Strides(mask->shape);
    mask_col = r >= 1 && mask->shape[r - 1] != 1 ? ms[r - 1] : 0;
    mask_row = r >= 2 && mask->shape[r - 2] != 1 ? ms[r - 2] : 0;
    // Offset of each batch: broadcast the batch part of the mask shape.
    std::vector<int64_t> mbatch(mask->shape.begin(), mask->shape.end() - std::min<size_t>(r, 2));
    std::vector<int64_t> mbs = Strides(mbatch);
    const std::vector<int64_t> obs = Strides(bb.out_shape);
    const int64_t nb = NumElements(bb.out_shape);
    const int64_t mat = (r >= 1 ? mask->shape[r - 1] : 1) * (r >= 2 ? mask->shape[r - 2] : 1);
    for (int64_t i = 0; i < nb; ++i) {
      int64_t off = 0;
      const size_t pad = bb.out_shape.size() - mbatch.size();
      for (size_t d = 0; d < mbatch.size(); ++d) {
        const int64_t idx = (i / obs[pad + d]) % bb.out_shape[pad + d];
        if (mbatch[d] != 1) off += idx * mbs[d];
      }
      mask_off.push_back(off * mat);
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, q->dtype, oshape));
  Slot* scores = b.Scratch(Storage::kF32, L * S);
  const float scale = 1.0f / std::sqrt(static_cast<float>(E));
  const auto et = [](const Slot* s) {
    return s->storage == Storage::kF16 ? kernels::ElemType::kF16 : kernels::ElemType::kF32;
  };
  const kernels::ElemType kt = et(k), vt = et(v);
  b.SetRun([=](const RunContext& ctx) {
    const size_t ke = kt == kernels::ElemType::kF16 ? 2 : 4, ve = vt == kernels::ElemType::kF16 ? 2 : 4;
    for (size_t bi = 0; bi < batches.size(); ++bi) {
      const float* qb = q->f32() + batches[bi][0] * L * E;
      const uint8_t* kbp = k->data + static_cast<size_t>(batches[bi][1] * S * E) * ke;
      const uint8_t* vbp = v->data + static_cast<size_t>(batches[bi][2] * S * EV) * ve;
      float* sc = scores->f32();
      kernels::GemmXWt(qb, L, E, kernels::MatrixRef{kbp, kt, S, E, E}, nullptr, sc, S, ctx.pool);
      for (int64_t l = 0; l < L; ++l) {
        float* row = sc + l * S;
        for (int64_t s = 0; s < S; ++s) {
          float val = row[s] * scale;
          if (mask) {
            const int64_t mi = mask_off[bi] + l * mask_row + s * mask_col;
            if (mask->storage == Storage::kU8) {
              if (!mask->u8()[mi]) val = -INFINITY;
            } else {
              val += mask->f32()[mi];
            }
          }
          row[s] = val;
        }
        kernels::SoftmaxRow(row, row, static_cast<size_t>(S));
      }
      kernels::GemmXB(sc, L, S, kernels::MatrixRef{vbp, vt, S, EV, EV}, out->f32() + static_cast<int64_t>(bi) * L * EV,
                      EV, ctx.pool);
    }
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterLinearOps(std::map<std::string, OpBuildFn>& r) {
  r["linear"] = &BuildLinear;
  r["conv"] = &BuildConv;
  r["matmul"] = &BuildMatmul;
  r["scaled_dot_product_attention"] = &BuildSdpa;
}

}  // namespace anemll::runtime::internal
