// Row kernels over one contiguous fp32 row: softmax, layer/RMS norm, sum/max, argmax, top-k.
// Sums accumulate in fp32 (SIMD) and double (scalar twins).
#pragma once

#include <cstddef>
#include <cstdint>

namespace anemll::kernels {

// y = exp(x - max(x)) / sum(exp(x - max(x))). y may equal x.
void SoftmaxRow(const float* x, float* y, size_t n);

// y = (x - mean) / sqrt(var + eps) [* gamma] [+ beta], population variance. y may equal x.
void LayerNormRow(const float* x, size_t n, const float* gamma, const float* beta, float eps, float* y);

// y = x / sqrt(mean(x^2) + eps) [* gamma]. y may equal x.
void RmsNormRow(const float* x, size_t n, const float* gamma, float eps, float* y);

float SumRow(const float* x, size_t n);
float MaxRow(const float* x, size_t n);  // -inf for n == 0
float MinRow(const float* x, size_t n);  // +inf for n == 0

// Index of the largest value (the first one on ties; NaN never wins). 0 for n == 0.
size_t ArgMaxRow(const float* x, size_t n);

// 1 + the index of the last element that is not == value (0 when all are); -0 == 0, NaN counts.
size_t TrimTrailing(const float* x, size_t n, float value);

// The k largest (or smallest) values in order, ties broken by the lower index.
void TopKRow(const float* x, size_t n, size_t k, bool ascending, float* values, int32_t* indices);

namespace scalar {
void SoftmaxRow(const float* x, float* y, size_t n);
void LayerNormRow(const float* x, size_t n, const float* gamma, const float* beta, float eps, float* y);
void RmsNormRow(const float* x, size_t n, const float* gamma, float eps, float* y);
float SumRow(const float* x, size_t n);
float MaxRow(const float* x, size_t n);
size_t ArgMaxRow(const float* x, size_t n);
size_t TrimTrailing(const float* x, size_t n, float value);
}  // namespace scalar

}  // namespace anemll::kernels
