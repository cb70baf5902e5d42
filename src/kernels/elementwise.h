// Elementwise fp32 kernels: activations and unary math, and binary arithmetic on contiguous runs
// (the runtime handles broadcasting by calling these on its innermost runs). SIMD where it pays
// (exp-based activations, arithmetic); the scalar twins define the results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anemll::kernels {

enum class UnaryOp : uint8_t {
  kRelu,
  kSigmoid,
  kSilu,         // x * sigmoid(x)
  kGeluTanh,     // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kGeluExact,    // 0.5 x (1 + erf(x / sqrt(2)))
  kGeluSigmoid,  // x * sigmoid(1.702 x)
  kTanh,
  kExp,
  kSqrt,
  kRsqrt,        // 1 / sqrt(x + param)
  kLog,          // log(x + param)
  kInverse,      // 1 / (x + param)
  kAbs,
  kSquare,
  kSin,
  kCos,
  kErf,
  kFloor,
  kCeil,
  kRound,        // half away from zero
  kSign,
  kNeg,
};

enum class BinaryOp : uint8_t { kAdd, kSub, kMul, kDiv, kMax, kMin, kPow, kFloorDiv, kMod };

// y[i] = op(x[i]) for i < n; `param` is the epsilon of kRsqrt / kLog / kInverse. y may equal x.
void Unary(UnaryOp op, const float* x, float* y, size_t n, float param = 0.0f);

// y[i] = op(a[i * a_step], b[i * b_step]) for i < n, with steps 0 (broadcast) or 1.
void Binary(BinaryOp op, const float* a, size_t a_step, const float* b, size_t b_step, float* y, size_t n);

// y[i] = min(max(x[i], lo), hi).
void Clip(const float* x, float lo, float hi, float* y, size_t n);

// dst[c * rows + r] = src[r * cols + c]: a [rows, cols] matrix transposed. Works in square tiles
// so that both sides stay within a few cache lines and pages at a time (a plain loop writes every
// element to a new line when the matrix is large).
void Transpose(const float* src, int64_t rows, int64_t cols, float* dst);

// Asks for `bytes` from `p` to be brought into the cache (a hint; no effect on results).
void PrefetchBytes(const void* p, size_t bytes);
// Loads one word of every 64-byte line of [p, p + bytes), which brings the lines into this
// core's caches (and so the shared cache) and, unlike a prefetch hint, always completes.
void ReadBytes(const void* p, size_t bytes);

namespace scalar {
void Transpose(const float* src, int64_t rows, int64_t cols, float* dst);
float Unary(UnaryOp op, float x, float param);
float Binary(BinaryOp op, float a, float b);
void Unary(UnaryOp op, const float* x, float* y, size_t n, float param = 0.0f);
void Binary(BinaryOp op, const float* a, size_t a_step, const float* b, size_t b_step, float* y, size_t n);
}  // namespace scalar

}  // namespace anemll::kernels
