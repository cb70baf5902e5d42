// Palettized (LUT) GEMV and GEMM with 8-bit integer dot products: the opt-in fast path.
//
// The kernels of lut_gemm.h multiply the fp32 palette values by fp32 activations, exactly. This
// path gives that up for speed, the way llama.cpp's Q4_0 x Q8_0 dot products do:
//   - each group's palette is quantized once to int8, symmetric, one fp32 scale per group
//     (max |entry| -> 127);
//   - the activation vector is quantized per block of kInt8BlockCols columns (max |x| -> 127,
//     round to nearest even);
//   - products are summed exactly in int32 per block, then scaled and summed in fp32:
//       y[r] = s_w[g] * sum_b s_x[b] * sum_{c in b} qw[g][idx(r, c)] * qx[c]  (+ bias[r]),
//     g = r / rows_per_group.
// On AVX-512 VNNI + VBMI cores the 4-bit kernel looks weights up with vpshufb (16-entry table per
// 128-bit lane) and the 6-bit kernel unpacks indices with vpmultishiftqb and looks them up with
// vpermb (64-entry table), 64 weights per instruction either way, against 16 per fp32 permute in
// the exact kernels. That moves decode from shuffle-bound to memory-bound, and roughly doubles
// the prefill GEMM (4 MACs per byte lane per instruction against 1 per fp32 lane).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/lut_gemm.h"

namespace anemll::kernels {

// Columns per activation block (one scale each).
constexpr int64_t kInt8BlockCols = 128;

// A weight's palettes quantized to int8.
struct LutInt8Palette {
  int64_t groups = 0;
  std::vector<int8_t> q;      // [groups][1 << bits] quantized entries
  std::vector<float> scale;   // [groups] entry = q * scale (approximately)
  std::vector<uint8_t> table; // [groups][64] kernel tables: q + 128, 4-bit ones repeated per 16 bytes
};

// Whether this CPU has the int8 kernels (x86 with AVX-512 VNNI and VBMI).
bool CpuHasLutInt8Kernels();

// Whether this CPU has an int8 kernel for `w`: 4-bit indices with an even column count or 6-bit
// with a multiple of 4 (rows start on a byte), on an x86 core with AVX-512 VNNI and VBMI.
// Elsewhere callers keep the exact kernels.
bool LutInt8Available(const LutMatrixRef& w);

// Quantizes each group's palette of `w` (any supported bit width).
LutInt8Palette QuantizeLutPalette(const LutMatrixRef& w);

// Activations quantized per block: q[c] = round_half_even(x[c] * 127 / amax_b), scale[b] = amax_b / 127
// (scale 0 for an all-zero block, NaN when the block holds a NaN or an infinity).
struct QuantizedActivations {
  std::vector<int8_t> q;      // [cols]
  std::vector<float> scale;   // [ceil(cols / kInt8BlockCols)]
};
void QuantizeActivations(const float* x, int64_t cols, QuantizedActivations* out);

// y[r] for r < w.rows as defined above; x is [w.cols]. Without a kernel for `w`
// (LutInt8Available) it runs the scalar definition.
void LutGemvInt8(const float* x, const LutMatrixRef& w, const LutInt8Palette& palette, const float* bias, float* y,
                 ThreadPool* pool);
// The same for n tokens: x rows x_stride apart, y rows [w.rows] y_stride apart. Tiles of 2 rows x
// 8 tokens unpack each weight block once per 8 tokens.
void LutGemmInt8(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const LutInt8Palette& palette,
                 const float* bias, float* y, int64_t y_stride, ThreadPool* pool);

namespace scalar {
// The definition (any bit width, any column count; the last block may be partial).
void LutGemvInt8(const float* x, const LutMatrixRef& w, const LutInt8Palette& palette, const float* bias, float* y);
void LutGemmInt8(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const LutInt8Palette& palette,
                 const float* bias, float* y, int64_t y_stride);
}  // namespace scalar

}  // namespace anemll::kernels
