// Elementwise ops: binary arithmetic and comparisons (numpy broadcasting), logical ops, unary
// math and activations, clip, select and cast.
#include <cmath>
#include <cstring>

#include "kernels/elementwise.h"
#include "kernels/half_convert.h"
#include "runtime/op_fusion.h"
#include "runtime/ops_common.h"

namespace anemll::runtime::internal {
namespace {

using kernels::BinaryOp;
using kernels::UnaryOp;
using mil::DType;

// Loads x and y as a matching pair: both float (fp32 view) or both integer/bool.
Status BinaryOperands(OpBuilder& b, Slot** x, Slot** y) {
  ANEMLL_ASSIGN_OR_RETURN(*x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(*y, b.Input("y"));
  const bool xf = (*x)->is_float(), yf = (*y)->is_float();
  if (xf != yf) {
    return InvalidArgument("x is ", mil::DTypeName((*x)->dtype), " but y is ", mil::DTypeName((*y)->dtype));
  }
  if (xf) {
    ANEMLL_ASSIGN_OR_RETURN(*x, b.AsF32(*x));
    ANEMLL_ASSIGN_OR_RETURN(*y, b.AsF32(*y));
  }
  return Status::Ok();
}

int64_t IntBinary(BinaryOp op, int64_t a, int64_t c, bool* div_by_zero) {
  switch (op) {
    case BinaryOp::kAdd: return a + c;
    case BinaryOp::kSub: return a - c;
    case BinaryOp::kMul: return a * c;
    case BinaryOp::kMax: return a > c ? a : c;
    case BinaryOp::kMin: return a < c ? a : c;
    case BinaryOp::kDiv:
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (c == 0) {
        *div_by_zero = true;
        return 0;
      }
      int64_t q = a / c;
      if (op == BinaryOp::kDiv) return q;
      if ((a % c != 0) && ((a < 0) != (c < 0))) --q;  // floor
      return op == BinaryOp::kFloorDiv ? q : a - q * c;
    }
    case BinaryOp::kPow: {
      if (c < 0) return a == 1 ? 1 : (a == -1 ? (c % 2 ? -1 : 1) : 0);
      int64_t r = 1;
      for (int64_t i = 0; i < c && i < 64; ++i) r = static_cast<int64_t>(static_cast<int32_t>(r * a));
      return r;
    }
  }
  return 0;
}

template <BinaryOp kOp>
Status BuildBinary(OpBuilder& b) {
  Slot *x, *y;
  ANEMLL_RETURN_IF_ERROR(BinaryOperands(b, &x, &y));
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bc, MakeBroadcast({x->shape, y->shape}));
  if (x->is_float()) {
    ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, bc.out_shape));
    b.SetRun([x, y, out, bc](const RunContext&) {
      bc.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
        kernels::Binary(kOp, x->f32() + off[0], static_cast<size_t>(st[0]), y->f32() + off[1],
                        static_cast<size_t>(st[1]), out->f32() + o, static_cast<size_t>(n));
      });
      return Status::Ok();
    });
    return Status::Ok();
  }
  if (x->dtype == DType::kBool || y->dtype == DType::kBool) return InvalidArgument("arithmetic on bool tensors");
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, bc.out_shape));
  b.SetRun([x, y, out, bc](const RunContext&) {
    bool div_by_zero = false;
    bc.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      const int32_t* xa = x->i32() + off[0];
      const int32_t* ya = y->i32() + off[1];
      int32_t* oa = out->i32() + o;
      for (int64_t i = 0; i < n; ++i) {
        oa[i] = static_cast<int32_t>(IntBinary(kOp, xa[i * st[0]], ya[i * st[1]], &div_by_zero));
      }
    });
    if (div_by_zero) return InvalidArgument("integer division by zero");
    return Status::Ok();
  });
  return Status::Ok();
}

enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };

template <Cmp kCmp, class T>
inline uint8_t Compare(T a, T c) {
  switch (kCmp) {
    case Cmp::kEq: return a == c;
    case Cmp::kNe: return a != c;
    case Cmp::kLt: return a < c;
    case Cmp::kLe: return a <= c;
    case Cmp::kGt: return a > c;
    case Cmp::kGe: return a >= c;
  }
  return 0;
}

template <Cmp kCmp>
Status BuildCompare(OpBuilder& b) {
  Slot *x, *y;
  ANEMLL_RETURN_IF_ERROR(BinaryOperands(b, &x, &y));
  if (x->storage != y->storage) return InvalidArgument("x and y have different dtypes");
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bc, MakeBroadcast({x->shape, y->shape}));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, DType::kBool, bc.out_shape));
  b.SetRun([x, y, out, bc](const RunContext&) {
    bc.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      uint8_t* oa = out->u8() + o;
      if (x->storage == Storage::kF32) {
        const float* xa = x->f32() + off[0];
        const float* ya = y->f32() + off[1];
        for (int64_t i = 0; i < n; ++i) oa[i] = Compare<kCmp>(xa[i * st[0]], ya[i * st[1]]);
      } else if (x->storage == Storage::kI32) {
        const int32_t* xa = x->i32() + off[0];
        const int32_t* ya = y->i32() + off[1];
        for (int64_t i = 0; i < n; ++i) oa[i] = Compare<kCmp>(xa[i * st[0]], ya[i * st[1]]);
      } else {
        const uint8_t* xa = x->u8() + off[0];
        const uint8_t* ya = y->u8() + off[1];
        for (int64_t i = 0; i < n; ++i) oa[i] = Compare<kCmp>(xa[i * st[0]], ya[i * st[1]]);
      }
    });
    return Status::Ok();
  });
  return Status::Ok();
}

enum class Logic { kAnd, kOr, kXor };

template <Logic kLogic>
Status BuildLogical(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * y, b.Input("y"));
  ANEMLL_RETURN_IF_ERROR(RequireBool(x, "x"));
  ANEMLL_RETURN_IF_ERROR(RequireBool(y, "y"));
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bc, MakeBroadcast({x->shape, y->shape}));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, DType::kBool, bc.out_shape));
  b.SetRun([x, y, out, bc](const RunContext&) {
    bc.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      for (int64_t i = 0; i < n; ++i) {
        const bool p = x->u8()[off[0] + i * st[0]] != 0, q = y->u8()[off[1] + i * st[1]] != 0;
        out->u8()[o + i] = kLogic == Logic::kAnd ? (p && q) : kLogic == Logic::kOr ? (p || q) : (p != q);
      }
    });
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildLogicalNot(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_RETURN_IF_ERROR(RequireBool(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, DType::kBool, x->shape));
  b.SetRun([x, out](const RunContext&) {
    for (int64_t i = 0; i < x->count; ++i) out->u8()[i] = x->u8()[i] == 0;
    return Status::Ok();
  });
  return Status::Ok();
}

// Default epsilon of the ops that take one (iOS17 definitions).
double DefaultEpsilon(UnaryOp op) {
  switch (op) {
    case UnaryOp::kRsqrt: return 1e-12;
    case UnaryOp::kLog: return 1e-45;
    case UnaryOp::kInverse: return 1e-4;
    default: return 0.0;
  }
}

Status UnaryWith(OpBuilder& b, UnaryOp op) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  // abs / square / sign / neg also take int32.
  if (x->storage == Storage::kI32 &&
      (op == UnaryOp::kAbs || op == UnaryOp::kSquare || op == UnaryOp::kSign || op == UnaryOp::kNeg)) {
    ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
    b.SetRun([x, out, op](const RunContext&) {
      for (int64_t i = 0; i < x->count; ++i) {
        const int64_t v = x->i32()[i];
        const int64_t r = op == UnaryOp::kAbs ? (v < 0 ? -v : v)
                          : op == UnaryOp::kSquare ? v * v
                          : op == UnaryOp::kNeg   ? -v
                                                  : (v > 0) - (v < 0);
        out->i32()[i] = static_cast<int32_t>(r);
      }
      return Status::Ok();
    });
    return Status::Ok();
  }
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  const double eps_default = DefaultEpsilon(op);
  float eps = 0.0f;
  if (op == UnaryOp::kRsqrt || op == UnaryOp::kLog || op == UnaryOp::kInverse) {
    ANEMLL_ASSIGN_OR_RETURN(double e, b.ConstFloat("epsilon", eps_default));
    eps = static_cast<float>(e);
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  b.SetRun([x, out, op, eps](const RunContext&) {
    kernels::Unary(op, x->f32(), out->f32(), static_cast<size_t>(x->count), eps);
    return Status::Ok();
  });
  return Status::Ok();
}

template <UnaryOp kOp>
Status BuildUnary(OpBuilder& b) {
  return UnaryWith(b, kOp);
}

Status BuildGelu(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(std::string mode, b.ConstString("mode", std::string("EXACT")));
  if (mode == "EXACT") return UnaryWith(b, UnaryOp::kGeluExact);
  if (mode == "TANH_APPROXIMATION") return UnaryWith(b, UnaryOp::kGeluTanh);
  if (mode == "SIGMOID_APPROXIMATION") return UnaryWith(b, UnaryOp::kGeluSigmoid);
  return InvalidArgument("unknown gelu mode '", mode, "'");
}

Status BuildClip(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_ASSIGN_OR_RETURN(double alpha, b.ConstFloat("alpha"));
  ANEMLL_ASSIGN_OR_RETURN(double beta, b.ConstFloat("beta"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  const float lo = static_cast<float>(alpha), hi = static_cast<float>(beta);
  b.SetRun([x, out, lo, hi](const RunContext&) {
    kernels::Clip(x->f32(), lo, hi, out->f32(), static_cast<size_t>(x->count));
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildRelu6(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  b.SetRun([x, out](const RunContext&) {
    kernels::Clip(x->f32(), 0.0f, 6.0f, out->f32(), static_cast<size_t>(x->count));
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildLeakyRelu(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_ASSIGN_OR_RETURN(double alpha, b.ConstFloat("alpha", 0.01));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  const float a = static_cast<float>(alpha);
  b.SetRun([x, out, a](const RunContext&) {
    for (int64_t i = 0; i < x->count; ++i) out->f32()[i] = x->f32()[i] >= 0.0f ? x->f32()[i] : a * x->f32()[i];
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildSoftplus(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  b.SetRun([x, out](const RunContext&) {
    for (int64_t i = 0; i < x->count; ++i) {
      const float v = x->f32()[i];
      out->f32()[i] = v > 20.0f ? v : std::log1p(std::exp(v));
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildSelect(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * cond, b.Input("cond"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * a, b.Input("a"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * c, b.Input("b"));
  ANEMLL_RETURN_IF_ERROR(RequireBool(cond, "cond"));
  if (a->is_float() != c->is_float() || (!a->is_float() && a->storage != c->storage)) {
    return InvalidArgument("a is ", mil::DTypeName(a->dtype), " but b is ", mil::DTypeName(c->dtype));
  }
  if (a->is_float()) {
    ANEMLL_ASSIGN_OR_RETURN(a, b.AsF32(a));
    ANEMLL_ASSIGN_OR_RETURN(c, b.AsF32(c));
  }
  ANEMLL_ASSIGN_OR_RETURN(Broadcast bc, MakeBroadcast({cond->shape, a->shape, c->shape}));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, a->dtype, bc.out_shape));
  b.NoRounding();
  b.SetRun([cond, a, c, out, bc](const RunContext&) {
    const size_t e = StorageBytes(out->storage);
    bc.ForEachRun<3>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      for (int64_t i = 0; i < n; ++i) {
        const bool take_a = cond->u8()[off[0] + i * st[0]] != 0;
        const uint8_t* src = take_a ? a->data + (off[1] + i * st[1]) * static_cast<int64_t>(e)
                                    : c->data + (off[2] + i * st[2]) * static_cast<int64_t>(e);
        std::memcpy(out->data + (o + i) * static_cast<int64_t>(e), src, e);
      }
    });
    return Status::Ok();
  });
  return Status::Ok();
}

int32_t WrapTo(DType dtype, int64_t v) {
  switch (dtype) {
    case DType::kInt8: return static_cast<int8_t>(v);
    case DType::kUInt8: return static_cast<uint8_t>(v);
    case DType::kInt16: return static_cast<int16_t>(v);
    case DType::kUInt16: return static_cast<uint16_t>(v);
    default: return static_cast<int32_t>(v);
  }
}

int64_t FloatToInt(float f) {
  if (std::isnan(f)) return 0;
  if (f >= 2147483647.0f) return INT32_MAX;
  if (f <= -2147483648.0f) return INT32_MIN;
  return static_cast<int64_t>(f);  // toward zero
}

Status BuildCast(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.Input("x"));
  ANEMLL_ASSIGN_OR_RETURN(std::string name, b.ConstString("dtype"));
  const DType to = mil::DTypeFromName(name);
  const bool supported = to == DType::kFp16 || to == DType::kFp32 || to == DType::kBool || to == DType::kInt8 ||
                         to == DType::kUInt8 || to == DType::kInt16 || to == DType::kUInt16 || to == DType::kInt32;
  if (!supported) return InvalidArgument("cast to '", name, "' is not supported");
  if (x->storage == Storage::kF16) {
    ANEMLL_ASSIGN_OR_RETURN(x, b.AsF32(x));
  }
  if (to == x->dtype) {
    // Same dtype: a view.
    ANEMLL_RETURN_IF_ERROR(b.AliasOutput(0, x, x->shape).status());
    return Status::Ok();
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, to, x->shape));
  b.SetRun([x, out, to](const RunContext&) {
    const int64_t n = x->count;
    if (out->storage == Storage::kF32) {
      if (x->storage == Storage::kF32) {
        std::memcpy(out->f32(), x->f32(), static_cast<size_t>(n) * 4);
      } else {
        for (int64_t i = 0; i < n; ++i) out->f32()[i] = ReadFloat(x, i);
      }
    } else if (out->storage == Storage::kU8) {
      for (int64_t i = 0; i < n; ++i) out->u8()[i] = ReadFloat(x, i) != 0.0f;
    } else if (x->storage == Storage::kF32) {
      for (int64_t i = 0; i < n; ++i) out->i32()[i] = WrapTo(to, FloatToInt(x->f32()[i]));
    } else {
      for (int64_t i = 0; i < n; ++i) out->i32()[i] = WrapTo(to, SlotInt(*x, i));
    }
    return Status::Ok();
  });
  return Status::Ok();
}

// anemll.rope (runtime/op_fusion.h): the rotary embedding chain in one step, with the chain's
// arithmetic: p = x·cos and q = [-x2, x1]·sin with the same products (each rounded to fp16 where
// the chain's are), then p + q.
Status BuildRope(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * x, b.InputF32("x"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * cos, b.InputF32("cos"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * sin, b.InputF32("sin"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(x, "x"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(cos, "cos"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(sin, "sin"));
  if (x->shape.empty() || x->shape.back() % 2 != 0) {
    return InvalidArgument("x has shape ", ShapeString(x->shape), ", expected an even last dim");
  }
  ANEMLL_ASSIGN_OR_RETURN(Broadcast by_cos, MakeBroadcast({x->shape, cos->shape}));
  ANEMLL_ASSIGN_OR_RETURN(Broadcast by_sin, MakeBroadcast({x->shape, sin->shape}));
  if (by_cos.out_shape != x->shape || by_sin.out_shape != x->shape) {
    return InvalidArgument("cos ", ShapeString(cos->shape), " and sin ", ShapeString(sin->shape),
                           " do not broadcast to x ", ShapeString(x->shape));
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, x->dtype, x->shape));
  Slot* rotated = b.Scratch(Storage::kF32, x->count);
  Slot* q = b.Scratch(Storage::kF32, x->count);
  const bool round = b.fp16_mode() && x->dtype == DType::kFp16;
  b.SetRun([x, cos, sin, out, rotated, q, by_cos, by_sin, round](const RunContext&) {
    const int64_t d = x->shape.back(), h = d / 2;
    const int64_t rows = d ? x->count / d : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x->f32() + r * d;
      float* rr = rotated->f32() + r * d;
      for (int64_t i = 0; i < h; ++i) {
        rr[i] = -xr[h + i];
        rr[h + i] = xr[i];
      }
    }
    by_cos.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      kernels::Binary(BinaryOp::kMul, x->f32() + off[0], static_cast<size_t>(st[0]), cos->f32() + off[1],
                      static_cast<size_t>(st[1]), out->f32() + o, static_cast<size_t>(n));
    });
    by_sin.ForEachRun<2>([&](int64_t o, const auto& off, int64_t n, const auto& st) {
      kernels::Binary(BinaryOp::kMul, rotated->f32() + off[0], static_cast<size_t>(st[0]), sin->f32() + off[1],
                      static_cast<size_t>(st[1]), q->f32() + o, static_cast<size_t>(n));
    });
    const size_t count = static_cast<size_t>(x->count);
    if (round) {
      kernels::RoundToHalf(out->f32(), count);
      kernels::RoundToHalf(q->f32(), count);
    }
    kernels::Binary(BinaryOp::kAdd, out->f32(), 1, q->f32(), 1, out->f32(), count);
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterElementwiseOps(std::map<std::string, OpBuildFn>& r) {
  r[kRopeOp] = &BuildRope;
  r["add"] = &BuildBinary<BinaryOp::kAdd>;
  r["sub"] = &BuildBinary<BinaryOp::kSub>;
  r["mul"] = &BuildBinary<BinaryOp::kMul>;
  r["real_div"] = &BuildBinary<BinaryOp::kDiv>;
  r["maximum"] = &BuildBinary<BinaryOp::kMax>;
  r["minimum"] = &BuildBinary<BinaryOp::kMin>;
  r["pow"] = &BuildBinary<BinaryOp::kPow>;
  r["floor_div"] = &BuildBinary<BinaryOp::kFloorDiv>;
  r["mod"] = &BuildBinary<BinaryOp::kMod>;
  r["equal"] = &BuildCompare<Cmp::kEq>;
  r["not_equal"] = &BuildCompare<Cmp::kNe>;
  r["less"] = &BuildCompare<Cmp::kLt>;
  r["less_equal"] = &BuildCompare<Cmp::kLe>;
  r["greater"] = &BuildCompare<Cmp::kGt>;
  r["greater_equal"] = &BuildCompare<Cmp::kGe>;
  r["logical_and"] = &BuildLogical<Logic::kAnd>;
  r["logical_or"] = &BuildLogical<Logic::kOr>;
  r["logical_xor"] = &BuildLogical<Logic::kXor>;
  r["logical_not"] = &BuildLogicalNot;
  r["relu"] = &BuildUnary<UnaryOp::kRelu>;
  r["sigmoid"] = &BuildUnary<UnaryOp::kSigmoid>;
  r["silu"] = &BuildUnary<UnaryOp::kSilu>;
  r["tanh"] = &BuildUnary<UnaryOp::kTanh>;
  r["exp"] = &BuildUnary<UnaryOp::kExp>;
  r["sqrt"] = &BuildUnary<UnaryOp::kSqrt>;
  r["rsqrt"] = &BuildUnary<UnaryOp::kRsqrt>;
  r["log"] = &BuildUnary<UnaryOp::kLog>;
  r["inverse"] = &BuildUnary<UnaryOp::kInverse>;
  r["abs"] = &BuildUnary<UnaryOp::kAbs>;
  r["square"] = &BuildUnary<UnaryOp::kSquare>;
  r["sin"] = &BuildUnary<UnaryOp::kSin>;
  r["cos"] = &BuildUnary<UnaryOp::kCos>;
  r["erf"] = &BuildUnary<UnaryOp::kErf>;
  r["floor"] = &BuildUnary<UnaryOp::kFloor>;
  r["ceil"] = &BuildUnary<UnaryOp::kCeil>;
  r["round"] = &BuildUnary<UnaryOp::kRound>;
  r["sign"] = &BuildUnary<UnaryOp::kSign>;
  r["gelu"] = &BuildGelu;
  r["clip"] = &BuildClip;
  r["relu6"] = &BuildRelu6;
  r["leaky_relu"] = &BuildLeakyRelu;
  r["softplus"] = &BuildSoftplus;
  r["select"] = &BuildSelect;
  r["cast"] = &BuildCast;
}

}  // namespace anemll::runtime::internal
