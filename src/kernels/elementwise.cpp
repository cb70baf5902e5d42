#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/contrib/math/math-inl.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/hwy_helpers-inl.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {

// e^x for every float: Highway's Exp is only valid up to +104, so larger inputs become +inf.
template <class D, class V>
HWY_INLINE V ExpFull(D d, V x) {
  const V y = hn::Exp(d, x);
  return hn::IfThenElse(hn::Gt(x, hn::Set(d, 88.72283935546875f)), hn::Set(d, HUGE_VALF), y);
}

template <class D, class V>
HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, ExpFull(d, hn::Neg(x))));
}

template <class D, class V>
HWY_INLINE V GeluTanh(D d, V x) {
  const V inner = hn::Mul(hn::Set(d, 0.7978845608028654f),
                          hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), hn::Mul(x, x)), x, x));
  return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), hn::Tanh(d, inner)));
}

// Returns false when the op has no SIMD form here (the caller then runs the scalar twin).
bool UnaryImpl(UnaryOp op, const float* x, float* y, size_t n, float param) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  switch (op) {
    case UnaryOp::kRelu:
      for (; i + N <= n; i += N) hn::StoreU(hn::Max(hn::LoadU(d, x + i), hn::Zero(d)), d, y + i);
      break;
    case UnaryOp::kSigmoid:
      for (; i + N <= n; i += N) hn::StoreU(Sigmoid(d, hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kSilu:
      for (; i + N <= n; i += N) {
        const auto v = hn::LoadU(d, x + i);
        hn::StoreU(hn::Mul(v, Sigmoid(d, v)), d, y + i);
      }
      break;
    case UnaryOp::kGeluSigmoid:
      for (; i + N <= n; i += N) {
        const auto v = hn::LoadU(d, x + i);
        hn::StoreU(hn::Mul(v, Sigmoid(d, hn::Mul(hn::Set(d, 1.702f), v))), d, y + i);
      }
      break;
    case UnaryOp::kGeluTanh:
      for (; i + N <= n; i += N) hn::StoreU(GeluTanh(d, hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kTanh:
      for (; i + N <= n; i += N) hn::StoreU(hn::Tanh(d, hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kExp:
      for (; i + N <= n; i += N) hn::StoreU(ExpFull(d, hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kSqrt:
      for (; i + N <= n; i += N) hn::StoreU(hn::Sqrt(hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kRsqrt: {
      const auto eps = hn::Set(d, param);
      const auto one = hn::Set(d, 1.0f);
      for (; i + N <= n; i += N) hn::StoreU(hn::Div(one, hn::Sqrt(hn::Add(hn::LoadU(d, x + i), eps))), d, y + i);
      break;
    }
    case UnaryOp::kAbs:
      for (; i + N <= n; i += N) hn::StoreU(hn::Abs(hn::LoadU(d, x + i)), d, y + i);
      break;
    case UnaryOp::kSquare:
      for (; i + N <= n; i += N) {
        const auto v = hn::LoadU(d, x + i);
        hn::StoreU(hn::Mul(v, v), d, y + i);
      }
      break;
    case UnaryOp::kNeg:
      for (; i + N <= n; i += N) hn::StoreU(hn::Neg(hn::LoadU(d, x + i)), d, y + i);
      break;
    default:
      return false;
  }
  for (; i < n; ++i) y[i] = scalar::Unary(op, x[i], param);
  return true;
}

template <class V>
HWY_INLINE V ApplyBinary(BinaryOp op, V a, V b) {
  switch (op) {
    case BinaryOp::kAdd: return hn::Add(a, b);
    case BinaryOp::kSub: return hn::Sub(a, b);
    case BinaryOp::kMul: return hn::Mul(a, b);
    case BinaryOp::kDiv: return hn::Div(a, b);
    case BinaryOp::kMax: return hn::Max(a, b);
    default: return hn::Min(a, b);
  }
}

bool BinaryImpl(BinaryOp op, const float* a, size_t a_step, const float* b, size_t b_step, float* y, size_t n) {
  if (op != BinaryOp::kAdd && op != BinaryOp::kSub && op != BinaryOp::kMul && op != BinaryOp::kDiv &&
      op != BinaryOp::kMax && op != BinaryOp::kMin) {
    return false;
  }
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (a_step == 1 && b_step == 1) {
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(op, hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  } else if (a_step == 1) {
    const auto bv = hn::Set(d, b[0]);
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(op, hn::LoadU(d, a + i), bv), d, y + i);
  } else if (b_step == 1) {
    const auto av = hn::Set(d, a[0]);
    for (; i + N <= n; i += N) hn::StoreU(ApplyBinary(op, av, hn::LoadU(d, b + i)), d, y + i);
  }
  for (; i < n; ++i) y[i] = scalar::Binary(op, a[i * a_step], b[i * b_step]);
  return true;
}

void ClipImpl(const float* x, float lo, float hi, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto lov = hn::Set(d, lo);
  const auto hiv = hn::Set(d, hi);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Min(hn::Max(hn::LoadU(d, x + i), lov), hiv), d, y + i);
  for (; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
}

}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace anemll::kernels {

HWY_EXPORT(UnaryImpl);
HWY_EXPORT(BinaryImpl);
HWY_EXPORT(ClipImpl);

void Unary(UnaryOp op, const float* x, float* y, size_t n, float param) {
  if (!HWY_DYNAMIC_DISPATCH(UnaryImpl)(op, x, y, n, param)) scalar::Unary(op, x, y, n, param);
}

void Binary(BinaryOp op, const float* a, size_t a_step, const float* b, size_t b_step, float* y, size_t n) {
  if (!HWY_DYNAMIC_DISPATCH(BinaryImpl)(op, a, a_step, b, b_step, y, n)) {
    scalar::Binary(op, a, a_step, b, b_step, y, n);
  }
}

void Clip(const float* x, float lo, float hi, float* y, size_t n) { HWY_DYNAMIC_DISPATCH(ClipImpl)(x, lo, hi, y, n); }

void PrefetchBytes(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += 64) hwy::Prefetch(c + off);
}

void ReadBytes(const void* p, size_t bytes) {
  const unsigned char* c = static_cast<const unsigned char*>(p);
  unsigned sum = 0;
  for (size_t off = 0; off < bytes; off += 64) sum += c[off];
  // Keeps the loads: the compiler may not drop a value that leaves through an asm operand.
  asm volatile("" : : "r"(sum));
}

void Transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
  constexpr int64_t kTile = 16;  // 16 floats = one 64-byte line per tile row
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

namespace scalar {
void Transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
}


float Unary(UnaryOp op, float x, float param) {
  switch (op) {
    case UnaryOp::kRelu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case UnaryOp::kSilu: return x / (1.0f + std::exp(-x));
    case UnaryOp::kGeluTanh:
      return 0.5f * x * (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case UnaryOp::kGeluExact: return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    case UnaryOp::kGeluSigmoid: return x / (1.0f + std::exp(-1.702f * x));
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kRsqrt: return 1.0f / std::sqrt(x + param);
    case UnaryOp::kLog: return std::log(x + param);
    case UnaryOp::kInverse: return 1.0f / (x + param);
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kSquare: return x * x;
    case UnaryOp::kSin: return std::sin(x);
    case UnaryOp::kCos: return std::cos(x);
    case UnaryOp::kErf: return std::erf(x);
    case UnaryOp::kFloor: return std::floor(x);
    case UnaryOp::kCeil: return std::ceil(x);
    case UnaryOp::kRound: return std::round(x);
    case UnaryOp::kSign: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case UnaryOp::kNeg: return -x;
  }
  return x;
}

float Binary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kMax: return a > b ? a : b;
    case BinaryOp::kMin: return a < b ? a : b;
    case BinaryOp::kPow: return std::pow(a, b);
    case BinaryOp::kFloorDiv: return std::floor(a / b);
    case BinaryOp::kMod: return a - std::floor(a / b) * b;
  }
  return a;
}

void Unary(UnaryOp op, const float* x, float* y, size_t n, float param) {
  for (size_t i = 0; i < n; ++i) y[i] = Unary(op, x[i], param);
}

void Binary(BinaryOp op, const float* a, size_t a_step, const float* b, size_t b_step, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = Binary(op, a[i * a_step], b[i * b_step]);
}

}  // namespace scalar
}  // namespace anemll::kernels
#endif  // HWY_ONCE
