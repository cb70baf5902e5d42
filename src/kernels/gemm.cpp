#include "kernels/gemm.h"

#include <algorithm>

#include "base/half.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/hwy_helpers-inl.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {

template <class D>
HWY_INLINE hn::Vec<D> LoadWeights(D d, const float* p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadWeights(D d, const uint16_t* p) {
  return LoadHalfAsFloat(d, p);
}
HWY_INLINE float WeightAt(const float* p) { return *p; }
HWY_INLINE float WeightAt(const uint16_t* p) { return anemll::HalfToFloat(*p); }

// One tile of y: R consecutive weight rows against C consecutive x rows, over all K columns.
// `prefetch`, if set, is a later tile of weight rows to fetch into L2 meanwhile.
template <int R, int C, typename WT>
HWY_INLINE void TileXWt(const float* x, int64_t x_stride, const WT* w, int64_t w_stride, int64_t K,
                        const float* bias, float* y, int64_t y_stride, const WT* prefetch = nullptr) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  hn::Vec<decltype(d)> acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = hn::Zero(d);
  }
  int64_t k = 0;
  for (; k + N <= K; k += N) {
    if (prefetch != nullptr && ((k * static_cast<int64_t>(sizeof(WT))) & 63) == 0) {
      for (int r = 0; r < R; ++r) __builtin_prefetch(prefetch + r * w_stride + k, 0, 2);
    }
    hn::Vec<decltype(d)> xv[C];
    for (int c = 0; c < C; ++c) xv[c] = hn::LoadU(d, x + c * x_stride + k);
    for (int r = 0; r < R; ++r) {
      const auto wv = LoadWeights(d, w + r * w_stride + k);
      for (int c = 0; c < C; ++c) acc[r][c] = hn::MulAdd(wv, xv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      float s = SumLanes(d, acc[r][c]);
      for (int64_t kk = k; kk < K; ++kk) s += WeightAt(w + r * w_stride + kk) * x[c * x_stride + kk];
      if (bias) s += bias[r];
      y[c * y_stride + r] = s;
    }
  }
}

// All x rows against weight rows [r0, r1).
template <typename WT>
void RowsXWt(const float* x, int64_t n, int64_t x_stride, const WT* w, int64_t w_stride, int64_t K,
             const float* bias, float* y, int64_t y_stride, int64_t r0, int64_t r1) {
  constexpr int kRowsGemv = 8;
  // 4x4 tiles: 8 loads per 16 FMAs (4x2 was load-bound: 72 vs 92 GFLOP/s on BM_F16Gemm64).
  constexpr int kRowsGemm = 4;
  constexpr int kCols = 4;
  if (n == 1) {
    // Decode is a stream over the weights: fetch about 16 KB ahead into L2, since demand misses
    // from eight interleaved row streams leave too few lines in flight.
    const int64_t tile_bytes = kRowsGemv * w_stride * static_cast<int64_t>(sizeof(WT));
    const int64_t ahead_rows = kRowsGemv * std::max<int64_t>(1, 16384 / std::max<int64_t>(1, tile_bytes));
    int64_t r = r0;
    for (; r + kRowsGemv <= r1; r += kRowsGemv) {
      const WT* pf = r + ahead_rows + kRowsGemv <= r1 ? w + (r + ahead_rows) * w_stride : nullptr;
      TileXWt<kRowsGemv, 1>(x, x_stride, w + r * w_stride, w_stride, K, bias ? bias + r : nullptr, y + r, y_stride,
                            pf);
    }
    for (; r < r1; ++r) {
      TileXWt<1, 1>(x, x_stride, w + r * w_stride, w_stride, K, bias ? bias + r : nullptr, y + r, y_stride);
    }
    return;
  }
  int64_t r = r0;
  for (; r + kRowsGemm <= r1; r += kRowsGemm) {
    const WT* wr = w + r * w_stride;
    const float* br = bias ? bias + r : nullptr;
    int64_t i = 0;
    for (; i + kCols <= n; i += kCols) {
      TileXWt<kRowsGemm, kCols>(x + i * x_stride, x_stride, wr, w_stride, K, br, y + i * y_stride + r, y_stride);
    }
    for (; i < n; ++i) TileXWt<kRowsGemm, 1>(x + i * x_stride, x_stride, wr, w_stride, K, br, y + i * y_stride + r, y_stride);
  }
  for (; r < r1; ++r) {
    const WT* wr = w + r * w_stride;
    const float* br = bias ? bias + r : nullptr;
    for (int64_t i = 0; i < n; ++i) TileXWt<1, 1>(x + i * x_stride, x_stride, wr, w_stride, K, br, y + i * y_stride + r, y_stride);
  }
}

void GemmXWtRows(const float* x, int64_t n, int64_t x_stride, const MatrixRef& w, const float* bias, float* y,
                 int64_t y_stride, int64_t r0, int64_t r1) {
  if (w.type == ElemType::kF16) {
    RowsXWt(x, n, x_stride, static_cast<const uint16_t*>(w.data), w.row_stride, w.cols, bias, y, y_stride, r0, r1);
  } else {
    RowsXWt(x, n, x_stride, static_cast<const float*>(w.data), w.row_stride, w.cols, bias, y, y_stride, r0, r1);
  }
}

// y[i, o0:o1] = x[i, :] · b[:, o0:o1]
template <typename WT>
void ColsXB(const float* x, int64_t n, int64_t x_stride, const WT* b, int64_t b_stride, int64_t K, float* y,
            int64_t y_stride, int64_t o0, int64_t o1) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  constexpr int kVecs = 4;
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + i * x_stride;
    float* yi = y + i * y_stride;
    int64_t o = o0;
    for (; o + kVecs * N <= o1; o += kVecs * N) {
      hn::Vec<decltype(d)> acc[kVecs];
      for (int j = 0; j < kVecs; ++j) acc[j] = hn::Zero(d);
      for (int64_t k = 0; k < K; ++k) {
        const auto xv = hn::Set(d, xi[k]);
        const WT* row = b + k * b_stride + o;
        for (int j = 0; j < kVecs; ++j) acc[j] = hn::MulAdd(xv, LoadWeights(d, row + j * N), acc[j]);
      }
      for (int j = 0; j < kVecs; ++j) hn::StoreU(acc[j], d, yi + o + j * N);
    }
    for (; o + N <= o1; o += N) {
      auto acc = hn::Zero(d);
      for (int64_t k = 0; k < K; ++k) acc = hn::MulAdd(hn::Set(d, xi[k]), LoadWeights(d, b + k * b_stride + o), acc);
      hn::StoreU(acc, d, yi + o);
    }
    for (; o < o1; ++o) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += xi[k] * WeightAt(b + k * b_stride + o);
      yi[o] = s;
    }
  }
}

void GemmXBCols(const float* x, int64_t n, int64_t x_stride, const MatrixRef& b, float* y, int64_t y_stride,
                int64_t o0, int64_t o1) {
  if (b.type == ElemType::kF16) {
    ColsXB(x, n, x_stride, static_cast<const uint16_t*>(b.data), b.row_stride, b.rows, y, y_stride, o0, o1);
  } else {
    ColsXB(x, n, x_stride, static_cast<const float*>(b.data), b.row_stride, b.rows, y, y_stride, o0, o1);
  }
}

float DotImpl(const float* a, const float* b, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto acc0 = hn::Zero(d);
  auto acc1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    acc0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc0);
    acc1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), acc1);
  }
  for (; i + N <= n; i += N) acc0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc0);
  float s = SumLanes(d, hn::Add(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

size_t FloatLanes() { return hn::Lanes(hn::ScalableTag<float>()); }

}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace anemll::kernels {

HWY_EXPORT(GemmXWtRows);
HWY_EXPORT(GemmXBCols);
HWY_EXPORT(DotImpl);
HWY_EXPORT(FloatLanes);

namespace {
// Work items of at least ~64K multiply-adds, so tiny products do not pay for waking threads.
size_t MinItemsPerTask(int64_t work_per_item) {
  constexpr int64_t kMinWork = 1 << 16;
  return static_cast<size_t>(std::max<int64_t>(1, kMinWork / std::max<int64_t>(1, work_per_item)));
}
}  // namespace

void GemmXWt(const float* x, int64_t n, int64_t x_stride, const MatrixRef& w, const float* bias, float* y,
             int64_t y_stride, ThreadPool* pool) {
  if (n <= 0 || w.rows <= 0) return;
  constexpr int64_t kBlock = 8;  // rows per work item, a multiple of the tile heights
  const int64_t blocks = (w.rows + kBlock - 1) / kBlock;
  // One captured pointer keeps the std::function in its small buffer (no allocation per call).
  struct Args {
    const float* x;
    int64_t n, x_stride;
    const MatrixRef* w;
    const float* bias;
    float* y;
    int64_t y_stride;
  } args{x, n, x_stride, &w, bias, y, y_stride};
  auto run = [&args](size_t b0, size_t b1) {
    const Args& a = args;
    const int64_t r0 = static_cast<int64_t>(b0) * kBlock;
    const int64_t r1 = std::min(a.w->rows, static_cast<int64_t>(b1) * kBlock);
    HWY_DYNAMIC_DISPATCH(GemmXWtRows)(a.x, a.n, a.x_stride, *a.w, a.bias, a.y, a.y_stride, r0, r1);
  };
  if (pool == nullptr || pool->num_threads() == 1) {
    run(0, static_cast<size_t>(blocks));
    return;
  }
  pool->ParallelFor(static_cast<size_t>(blocks), run, MinItemsPerTask(kBlock * w.cols * n));
}

void GemmXB(const float* x, int64_t n, int64_t x_stride, const MatrixRef& b, float* y, int64_t y_stride,
            ThreadPool* pool) {
  if (n <= 0 || b.cols <= 0) return;
  const int64_t block = 4 * static_cast<int64_t>(HWY_DYNAMIC_DISPATCH(FloatLanes)());
  const int64_t blocks = (b.cols + block - 1) / block;
  struct Args {
    const float* x;
    int64_t n, x_stride;
    const MatrixRef* b;
    float* y;
    int64_t y_stride, block;
  } args{x, n, x_stride, &b, y, y_stride, block};
  auto run = [&args](size_t b0, size_t b1) {
    const Args& a = args;
    const int64_t o0 = static_cast<int64_t>(b0) * a.block;
    const int64_t o1 = std::min(a.b->cols, static_cast<int64_t>(b1) * a.block);
    HWY_DYNAMIC_DISPATCH(GemmXBCols)(a.x, a.n, a.x_stride, *a.b, a.y, a.y_stride, o0, o1);
  };
  if (pool == nullptr || pool->num_threads() == 1) {
    run(0, static_cast<size_t>(blocks));
    return;
  }
  pool->ParallelFor(static_cast<size_t>(blocks), run, MinItemsPerTask(block * b.rows * n));
}

float Dot(const float* a, const float* b, size_t n) { return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, n); }

namespace scalar {
namespace {
float At(const MatrixRef& m, int64_t r, int64_t c) {
  const int64_t i = r * m.row_stride + c;
  return m.type == ElemType::kF16 ? anemll::HalfToFloat(static_cast<const uint16_t*>(m.data)[i])
                                  : static_cast<const float*>(m.data)[i];
}
}  // namespace

void GemmXWt(const float* x, int64_t n, int64_t x_stride, const MatrixRef& w, const float* bias, float* y,
             int64_t y_stride) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < w.rows; ++o) {
      double s = 0.0;
      for (int64_t k = 0; k < w.cols; ++k) s += static_cast<double>(x[i * x_stride + k]) * At(w, o, k);
      if (bias) s += bias[o];
      y[i * y_stride + o] = static_cast<float>(s);
    }
  }
}

void GemmXB(const float* x, int64_t n, int64_t x_stride, const MatrixRef& b, float* y, int64_t y_stride) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < b.cols; ++o) {
      double s = 0.0;
      for (int64_t k = 0; k < b.rows; ++k) s += static_cast<double>(x[i * x_stride + k]) * At(b, k, o);
      y[i * y_stride + o] = static_cast<float>(s);
    }
  }
}

float Dot(const float* a, const float* b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}
}  // namespace scalar

}  // namespace anemll::kernels
#endif  // HWY_ONCE
