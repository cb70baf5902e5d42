#include "reference/ops.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "base/thread_pool.h"

namespace anemll::reference {
namespace {

// Lanes of independent partial sums: the compiler keeps them in one SIMD register, so the dot
// product vectorizes without reassociation flags.
constexpr int kLanes = 8;
// Rows of x processed against one weight row at a time (the weight row is loaded once).
constexpr int64_t kRowBlock = 4;
// Multiply-adds a task should at least get before another thread is worth waking.
constexpr int64_t kMinMacsPerTask = 1 << 16;

inline float HorizontalSum(const float* acc) {
  float s = 0;
  for (int k = 0; k < kLanes; ++k) s += acc[k];
  return s;
}

// Dot products of `nrows` (<= kRowBlock) rows of x with one weight row.
inline void DotBlock(const float* x, int64_t nrows, int64_t in, const float* w, float* result) {
  float acc[kRowBlock][kLanes] = {};
  const int64_t main = in - in % kLanes;
  for (int64_t i = 0; i < main; i += kLanes) {
    for (int64_t r = 0; r < nrows; ++r) {
      const float* xr = x + r * in + i;
      for (int k = 0; k < kLanes; ++k) acc[r][k] += xr[k] * w[i + k];
    }
  }
  for (int64_t r = 0; r < nrows; ++r) {
    float s = HorizontalSum(acc[r]);
    const float* xr = x + r * in;
    for (int64_t i = main; i < in; ++i) s += xr[i] * w[i];
    result[r] = s;
  }
}

void MatMulRange(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, const float* bias, float* y,
                 int64_t o_begin, int64_t o_end) {
  float result[kRowBlock];
  for (int64_t o = o_begin; o < o_end; ++o) {
    const float* wo = w + o * in;
    const float b = bias ? bias[o] : 0.0f;
    for (int64_t t = 0; t < rows; t += kRowBlock) {
      const int64_t n = std::min(kRowBlock, rows - t);
      DotBlock(x + t * in, n, in, wo, result);
      for (int64_t r = 0; r < n; ++r) y[(t + r) * out + o] = result[r] + b;
    }
  }
}

}  // namespace

void MatMulTransposed(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, const float* bias,
                      float* y, ThreadPool* pool) {
  if (rows <= 0 || out <= 0) return;
  const int64_t macs_per_row = std::max<int64_t>(1, rows * in);
  if (!pool || pool->num_threads() == 1 || macs_per_row * out < 2 * kMinMacsPerTask) {
    MatMulRange(x, rows, in, w, out, bias, y, 0, out);
    return;
  }
  const size_t min_rows = static_cast<size_t>(std::max<int64_t>(1, kMinMacsPerTask / macs_per_row));
  pool->ParallelFor(
      static_cast<size_t>(out),
      [&](size_t b, size_t e) {
        MatMulRange(x, rows, in, w, out, bias, y, static_cast<int64_t>(b), static_cast<int64_t>(e));
      },
      min_rows);
}

void MatMulTransposedScalar(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
                            const float* bias, float* y) {
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t o = 0; o < out; ++o) {
      float s = 0;
      for (int64_t i = 0; i < in; ++i) s += x[t * in + i] * w[o * in + i];
      y[t * out + o] = s + (bias ? bias[o] : 0.0f);
    }
  }
}

void RmsNorm(const float* x, int64_t rows, int64_t n, const float* gain, double eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float mean = static_cast<float>(ss / static_cast<double>(n));
    const float inv = 1.0f / std::sqrt(mean + static_cast<float>(eps));
    for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * inv) * gain[i];
  }
}

void SiluMul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void GeluTanhMul(float* gate, const float* up, int64_t n) {
  const float k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float inner = k * (g + 0.044715f * g * g * g);
    gate[i] = 0.5f * g * (1.0f + std::tanh(inner)) * up[i];
  }
}

void GeluMul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = 0.5f * g * (1.0f + std::erf(g / std::numbers::sqrt2_v<float>)) * up[i];
  }
}

void ApplyRope(float* head, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float a = head[i];
    const float b = head[i + half];
    head[i] = a * cos[i] - b * sin[i];
    head[i + half] = b * cos[i] + a * sin[i];
  }
}

void Softmax(float* x, int64_t n) {
  if (n <= 0) return;
  const float m = *std::max_element(x, x + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float MaxAbs(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

}  // namespace anemll::reference
