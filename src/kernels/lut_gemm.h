// Fused palettized (LUT) matrix products: the weight is a packed n-bit index stream plus one
// palette per group of consecutive output rows, and is dequantized on the fly inside the dot
// product (a dense copy is never materialized; GEMM decodes one weight row at a time).
//
// Index stream: row-major [rows (out), cols (in)] indices, element i at bits [i*bits, i*bits+bits)
// of one continuous LSB-first bit stream (bit k = bit k%8 of byte k/8), exactly as Core ML stores
// a uint1/2/3/4/6/8 constexpr_lut_to_dense `indices` tensor.
// Weight: W[r, c] = lut[(r / rows_per_group) * (1 << bits) + index(r, c)].
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/thread_pool.h"

namespace anemll::kernels {

struct LutMatrixRef {
  const uint8_t* indices = nullptr;  // packed index stream
  size_t indices_bytes = 0;          // readable bytes at `indices` (>= ceil(rows*cols*bits/8))
  int bits = 4;                      // 1, 2, 3, 4, 6 or 8
  int64_t rows = 0;                  // output features
  int64_t cols = 0;                  // input features
  const float* lut = nullptr;        // [rows / rows_per_group][1 << bits] palette values
  int64_t rows_per_group = 1;        // must divide rows
};

// Whether `bits` is a supported index width.
bool IsSupportedLutBits(int bits);

// Bytes of a packed stream of `count` indices of `bits` bits.
inline size_t PackedIndexBytes(int64_t count, int bits) {
  return static_cast<size_t>((count * bits + 7) / 8);
}

// Index i of a packed stream.
inline uint32_t ReadPackedIndex(const uint8_t* stream, int bits, int64_t i) {
  const uint64_t bit = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  const uint8_t* p = stream + bit / 8;
  const unsigned shift = static_cast<unsigned>(bit % 8);
  uint32_t v = p[0];
  if (shift + static_cast<unsigned>(bits) > 8) v |= static_cast<uint32_t>(p[1]) << 8;
  return (v >> shift) & ((1u << bits) - 1u);
}

// Writes index i of a packed stream (the stream must start zeroed or hold old bits to replace).
void WritePackedIndex(uint8_t* stream, int bits, int64_t i, uint32_t value);

// y[i, o] = sum_k x[i, k] * W[o, k] + (bias ? bias[o] : 0); x rows x_stride apart, y rows y_stride.
void LutGemmXWt(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const float* bias, float* y,
                int64_t y_stride, ThreadPool* pool);

// out[c] = W[row, c] for c < cols (SIMD decode).
void DecodeLutRow(const LutMatrixRef& w, int64_t row, float* out);

namespace scalar {
// out[c] = W[row, c], decoded one index at a time: the definition of the weights.
void DecodeLutRow(const LutMatrixRef& w, int64_t row, float* out);
void LutGemmXWt(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const float* bias, float* y,
                int64_t y_stride);
}  // namespace scalar

}  // namespace anemll::kernels
