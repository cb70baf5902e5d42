// Dense matrix products with fp32 activations and fp32 accumulation; the weight-like operand may
// be stored as fp32 or fp16 (widened on the fly, never copied). Multi-threaded over output
// columns with the ThreadPool (nullptr = single-threaded).
//
// Layouts follow Core ML: a `linear` / 1x1 `conv` weight is W[out, in], so
//   GemmXWt: y[n, out] = x[n, in] · W[out, in]ᵀ (+ bias[out])     (also matmul with transpose_y)
//   GemmXB:  y[n, out] = x[n, in] · B[in, out]                     (matmul without transpose_y)
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/thread_pool.h"

namespace anemll::kernels {

enum class ElemType : uint8_t { kF32, kF16 };

// A row-major matrix [rows, cols] of fp32 values or fp16 bits; rows are `row_stride` elements
// apart (row_stride >= cols).
struct MatrixRef {
  const void* data = nullptr;
  ElemType type = ElemType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_stride = 0;

  static MatrixRef F32(const float* p, int64_t rows, int64_t cols) {
    return MatrixRef{p, ElemType::kF32, rows, cols, cols};
  }
  static MatrixRef F16(const uint16_t* p, int64_t rows, int64_t cols) {
    return MatrixRef{p, ElemType::kF16, rows, cols, cols};
  }
};

// y[i, o] = sum_k x[i, k] * w[o, k] + (bias ? bias[o] : 0), for i < n, o < w.rows, k < w.cols.
// x rows are x_stride floats apart, y rows y_stride floats apart.
void GemmXWt(const float* x, int64_t n, int64_t x_stride, const MatrixRef& w, const float* bias, float* y,
             int64_t y_stride, ThreadPool* pool);

// y[i, o] = sum_k x[i, k] * b[k, o], for i < n, k < b.rows, o < b.cols.
void GemmXB(const float* x, int64_t n, int64_t x_stride, const MatrixRef& b, float* y, int64_t y_stride,
            ThreadPool* pool);

// Dot product of n floats (SIMD, fp32 accumulation).
float Dot(const float* a, const float* b, size_t n);

namespace scalar {
void GemmXWt(const float* x, int64_t n, int64_t x_stride, const MatrixRef& w, const float* bias, float* y,
             int64_t y_stride);
void GemmXB(const float* x, int64_t n, int64_t x_stride, const MatrixRef& b, float* y, int64_t y_stride);
float Dot(const float* a, const float* b, size_t n);
}  // namespace scalar

}  // namespace anemll::kernels
