#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/reduce.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/hwy_helpers-inl.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {

float SumImpl(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d);
  auto a1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    a0 = hn::Add(a0, hn::LoadU(d, x + i));
    a1 = hn::Add(a1, hn::LoadU(d, x + i + N));
  }
  for (; i + N <= n; i += N) a0 = hn::Add(a0, hn::LoadU(d, x + i));
  float s = SumLanes(d, hn::Add(a0, a1));
  for (; i < n; ++i) s += x[i];
  return s;
}

float MaxImpl(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  float m = -std::numeric_limits<float>::infinity();
  size_t i = 0;
  if (n >= N) {
    auto acc = hn::Set(d, m);
    for (; i + N <= n; i += N) acc = hn::Max(acc, hn::LoadU(d, x + i));
    m = hn::GetLane(hn::MaxOfLanes(d, acc));
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float MinImpl(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  float m = std::numeric_limits<float>::infinity();
  size_t i = 0;
  if (n >= N) {
    auto acc = hn::Set(d, m);
    for (; i + N <= n; i += N) acc = hn::Min(acc, hn::LoadU(d, x + i));
    m = hn::GetLane(hn::MinOfLanes(d, acc));
  }
  for (; i < n; ++i) m = x[i] < m ? x[i] : m;
  return m;
}

size_t TrimTrailingImpl(const float* x, size_t n, float value) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto v = hn::Set(d, value);
  size_t end = n;
  while (end % N != 0) {
    if (!(x[end - 1] == value)) return end;
    --end;
  }
  while (end >= N && hn::AllTrue(d, hn::Eq(hn::LoadU(d, x + end - N), v))) end -= N;
  while (end > 0 && x[end - 1] == value) --end;
  return end;
}

// Columns up to the last one that is not -inf, rounded up to whole vectors. Attention rows end in
// long runs of masked (-inf) columns; their exp is exactly 0, and padding to whole vectors keeps
// every lane's partial sum what the full row gives, so the result is the same bit for bit.
size_t LiveColumns(const float* x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  if (n % N != 0) return n;
  const size_t live = TrimTrailingImpl(x, n, -std::numeric_limits<float>::infinity());
  if (live == 0) return n;  // all -inf: every entry becomes NaN, as without trimming
  return (live + N - 1) / N * N;
}

void SoftmaxImpl(const float* x, float* y, size_t full) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const size_t n = LiveColumns(x, full);
  for (size_t i = n; i < full; ++i) y[i] = 0.0f;
  const float m = MaxImpl(x, n);
  const auto mv = hn::Set(d, m);
  auto acc = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    // x - max <= 0, inside the valid range of Exp (results below e^-104 flush to 0).
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), mv));
    hn::StoreU(e, d, y + i);
    acc = hn::Add(acc, e);
  }
  float s = SumLanes(d, acc);
  for (; i < n; ++i) {
    y[i] = std::exp(x[i] - m);
    s += y[i];
  }
  const auto inv = hn::Set(d, 1.0f / s);
  i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), inv), d, y + i);
  for (; i < n; ++i) y[i] *= 1.0f / s;
}

// y = (x - shift) * scale [* gamma] [+ beta]
void NormalizeImpl(const float* x, size_t n, float shift, float scale, const float* gamma, const float* beta,
                   float* y) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto sv = hn::Set(d, shift);
  const auto kv = hn::Set(d, scale);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    auto v = hn::Mul(hn::Sub(hn::LoadU(d, x + i), sv), kv);
    if (gamma) v = hn::Mul(v, hn::LoadU(d, gamma + i));
    if (beta) v = hn::Add(v, hn::LoadU(d, beta + i));
    hn::StoreU(v, d, y + i);
  }
  for (; i < n; ++i) {
    float v = (x[i] - shift) * scale;
    if (gamma) v *= gamma[i];
    if (beta) v += beta[i];
    y[i] = v;
  }
}

// sum((x - shift)^2)
float SumSquaredDevImpl(const float* x, size_t n, float shift) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto sv = hn::Set(d, shift);
  auto acc = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::Sub(hn::LoadU(d, x + i), sv);
    acc = hn::MulAdd(v, v, acc);
  }
  float s = SumLanes(d, acc);
  for (; i < n; ++i) s += (x[i] - shift) * (x[i] - shift);
  return s;
}

}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace anemll::kernels {

HWY_EXPORT(SumImpl);
HWY_EXPORT(MaxImpl);
HWY_EXPORT(MinImpl);
HWY_EXPORT(SoftmaxImpl);
HWY_EXPORT(TrimTrailingImpl);
HWY_EXPORT(NormalizeImpl);
HWY_EXPORT(SumSquaredDevImpl);

float SumRow(const float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(SumImpl)(x, n); }
float MaxRow(const float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(MaxImpl)(x, n); }
size_t TrimTrailing(const float* x, size_t n, float value) {
  return HWY_DYNAMIC_DISPATCH(TrimTrailingImpl)(x, n, value);
}
float MinRow(const float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(MinImpl)(x, n); }
void SoftmaxRow(const float* x, float* y, size_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(SoftmaxImpl)(x, y, n);
}

void LayerNormRow(const float* x, size_t n, const float* gamma, const float* beta, float eps, float* y) {
  if (n == 0) return;
  const float mean = SumRow(x, n) / static_cast<float>(n);
  const float var = HWY_DYNAMIC_DISPATCH(SumSquaredDevImpl)(x, n, mean) / static_cast<float>(n);
  HWY_DYNAMIC_DISPATCH(NormalizeImpl)(x, n, mean, 1.0f / std::sqrt(var + eps), gamma, beta, y);
}

void RmsNormRow(const float* x, size_t n, const float* gamma, float eps, float* y) {
  if (n == 0) return;
  const float ms = HWY_DYNAMIC_DISPATCH(SumSquaredDevImpl)(x, n, 0.0f) / static_cast<float>(n);
  HWY_DYNAMIC_DISPATCH(NormalizeImpl)(x, n, 0.0f, 1.0f / std::sqrt(ms + eps), gamma, nullptr, y);
}

size_t ArgMaxRow(const float* x, size_t n) {
  if (n == 0) return 0;
  const float m = MaxRow(x, n);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] == m) return i;
  }
  return 0;  // all NaN
}

void TopKRow(const float* x, size_t n, size_t k, bool ascending, float* values, int32_t* indices) {
  k = std::min(k, n);
  thread_local std::vector<int32_t> order;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  auto before = [&](int32_t a, int32_t b) {
    const float va = x[a];
    const float vb = x[b];
    if (va != vb) {
      if (std::isnan(va)) return false;  // NaN sorts last
      if (std::isnan(vb)) return true;
      return ascending ? va < vb : va > vb;
    }
    return a < b;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), before);
  for (size_t i = 0; i < k; ++i) {
    if (values) values[i] = x[order[i]];
    if (indices) indices[i] = order[i];
  }
}

namespace scalar {

void SoftmaxRow(const float* x, float* y, size_t n) {
  if (n == 0) return;
  const float m = MaxRow(x, n);
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - m);
    s += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(y[i] / s);
}

void LayerNormRow(const float* x, size_t n, const float* gamma, const float* beta, float eps, float* y) {
  if (n == 0) return;
  double mean = 0.0;
  for (size_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  double var = 0.0;
  for (size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(n);
  const double inv = 1.0 / std::sqrt(var + eps);
  for (size_t i = 0; i < n; ++i) {
    double v = (x[i] - mean) * inv;
    if (gamma) v *= gamma[i];
    if (beta) v += beta[i];
    y[i] = static_cast<float>(v);
  }
}

void RmsNormRow(const float* x, size_t n, const float* gamma, float eps, float* y) {
  if (n == 0) return;
  double ms = 0.0;
  for (size_t i = 0; i < n; ++i) ms += static_cast<double>(x[i]) * x[i];
  ms /= static_cast<double>(n);
  const double inv = 1.0 / std::sqrt(ms + eps);
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i] * inv * (gamma ? gamma[i] : 1.0f));
}

float SumRow(const float* x, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

float MaxRow(const float* x, size_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

size_t TrimTrailing(const float* x, size_t n, float value) {
  while (n > 0 && x[n - 1] == value) --n;
  return n;
}

size_t ArgMaxRow(const float* x, size_t n) {
  size_t best = 0;
  float m = -std::numeric_limits<float>::infinity();
  bool found = false;
  for (size_t i = 0; i < n; ++i) {
    if (!found ? !std::isnan(x[i]) : x[i] > m) {
      m = x[i];
      best = i;
      found = true;
    }
  }
  return best;
}

}  // namespace scalar
}  // namespace anemll::kernels
#endif  // HWY_ONCE
