// The building blocks of the fp32 reference forward pass: plain loops, written to be read.
// Matrices are row-major; a weight W [out, in] is used as y = x W^T (HF Linear layout).
#pragma once

#include <cstdint>

namespace anemll {
class ThreadPool;
}

namespace anemll::reference {

// y[t, o] = sum_i x[t, i] * w[o, i] (+ bias[o]) for t < rows; x [rows, in], w [out, in], y [rows, out].
// Parallel over output rows when `pool` is given and the work is large enough.
void MatMulTransposed(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, const float* bias,
                      float* y, ThreadPool* pool);

// Scalar twin of MatMulTransposed (one accumulator per output, in order) for tests.
void MatMulTransposedScalar(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
                            const float* bias, float* y);

// RMSNorm of each of `rows` vectors of length n: y = x / sqrt(mean(x^2) + eps) * gain.
// (Gemma's (1 + w) gain is folded into `gain` at load.) In-place use (y == x) is allowed.
void RmsNorm(const float* x, int64_t rows, int64_t n, const float* gain, double eps, float* y);

// x <- silu(gate) * up, or gelu(gate) * up, elementwise over n values (the gated MLP's middle).
void SiluMul(float* gate, const float* up, int64_t n);
void GeluTanhMul(float* gate, const float* up, int64_t n);
void GeluMul(float* gate, const float* up, int64_t n);

// Rotate-half rope on one head vector of length head_dim with cos/sin [head_dim / 2].
void ApplyRope(float* head, int64_t head_dim, const float* cos, const float* sin);

// In-place softmax over n values; returns nothing, writes probabilities.
void Softmax(float* x, int64_t n);

// max |x| over n values.
float MaxAbs(const float* x, int64_t n);

}  // namespace anemll::reference
