// fp16 <-> fp32 conversion of whole buffers (Highway SIMD, runtime dispatch), round-to-nearest-even.
// The scalar twins in namespace `scalar` are the reference the SIMD versions are tested against.
#pragma once

#include <cstddef>
#include <cstdint>

namespace anemll::kernels {

// dst[i] = fp16 bits src[i] as float (exact).
void HalfToFloat(const uint16_t* src, float* dst, size_t n);
// dst[i] = src[i] rounded to the nearest fp16 (ties to even; overflow -> inf; NaN stays NaN).
void FloatToHalf(const float* src, uint16_t* dst, size_t n);
// data[i] = the nearest fp16 value of data[i], kept as float (what an fp16 store does to a value).
void RoundToHalf(float* data, size_t n);

namespace scalar {
void HalfToFloat(const uint16_t* src, float* dst, size_t n);
void FloatToHalf(const float* src, uint16_t* dst, size_t n);
void RoundToHalf(float* data, size_t n);
}  // namespace scalar

}  // namespace anemll::kernels
