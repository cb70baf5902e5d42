#include "kernels/lut_int8.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

// The int8 kernels need VNNI (vpdpbusd) and VBMI (vpermb, vpmultishiftqb), which Highway 1.0
// does not expose, so they are written with intrinsics in functions compiled for those features
// and chosen at run time from the CPU's feature bits.
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define ANEMLL_INT8_AVX512 1
#include <immintrin.h>
#define ANEMLL_INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")))
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 headers start some conversions from deliberately undefined vectors.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#else
#define ANEMLL_INT8_AVX512 0
#endif

namespace anemll::kernels {
namespace {

constexpr float kQMax = 127.0f;

// Quantizes n values to int8 with one symmetric scale (the definition both paths follow).
void QuantizeBlock(const float* v, int64_t n, int8_t* q, float* scale) {
  float amax = 0.0f;
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(v[i]);
    if (!(a <= FLT_MAX)) finite = false;
    amax = std::max(amax, a);
  }
  if (!finite || amax == 0.0f) {
    *scale = finite ? 0.0f : std::numeric_limits<float>::quiet_NaN();
    std::fill(q, q + n, int8_t{0});
    return;
  }
  const float inv = kQMax / amax;
  *scale = amax / kQMax;
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::nearbyint(v[i] * inv);
    q[i] = static_cast<int8_t>(std::clamp(r, -kQMax, kQMax));
  }
}

#if ANEMLL_INT8_AVX512
bool CpuHasInt8Kernels() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
                          __builtin_cpu_supports("avx512vbmi");
  return has;
}

// Activations in the kernels' order, per 128-column block: the two 64-byte vectors that meet the
// block's two weight vectors in vpdpbusd, then the 16 int32 lanes' starting values, -128 times the
// sum of the activations each lane multiplies. Weights are stored as q + 128 (vpdpbusd takes one
// unsigned operand), so starting there leaves exactly sum(qw * qx) in every lane.
struct alignas(64) ActivationBlock {
  int8_t x1[64];
  int8_t x2[64];
  int32_t start[16];
};

// Same rounding as QuantizeBlock: x * (127 / amax) in fp32, then round half to even (the MXCSR
// default that vcvtps2dq uses).
ANEMLL_INT8_TARGET void QuantizeBlockAvx512(const float* x, int8_t* q, float* scale) {
  __m512 amax = _mm512_setzero_ps();
  __mmask16 bad = 0;
  const __m512 huge = _mm512_set1_ps(FLT_MAX);
  for (int i = 0; i < 8; ++i) {
    const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + 16 * i));
    bad |= _mm512_cmp_ps_mask(a, huge, _CMP_NLE_UQ);
    amax = _mm512_max_ps(amax, a);
  }
  const float m = _mm512_reduce_max_ps(amax);
  if (bad != 0 || m == 0.0f) {
    *scale = bad != 0 ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    _mm512_storeu_si512(q, _mm512_setzero_si512());
    _mm512_storeu_si512(q + 64, _mm512_setzero_si512());
    return;
  }
  const __m512 inv = _mm512_set1_ps(kQMax / m);
  *scale = m / kQMax;
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  for (int i = 0; i < 8; ++i) {
    __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * i), inv));
    r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16 * i), _mm512_cvtepi32_epi8(r));
  }
}

// Quantizes x [cols] into the kernel order for `bits`: the 4-bit kernel splits each block's 64
// index bytes into low nibbles (even columns) and high nibbles (odd columns); the 6-bit kernel
// unpacks two halves of 64 columns in natural order. A partial last block is padded with zeros.
ANEMLL_INT8_TARGET void PrepareActivations(const float* x, int64_t cols, int bits, ActivationBlock* blocks,
                                           float* scales) {
  alignas(64) int8_t q[128];
  const __m512i even = _mm512_set_epi8(126, 124, 122, 120, 118, 116, 114, 112, 110, 108, 106, 104, 102, 100, 98,
                                       96, 94, 92, 90, 88, 86, 84, 82, 80, 78, 76, 74, 72, 70, 68, 66, 64, 62, 60,
                                       58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32, 30, 28, 26, 24, 22,
                                       20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi8(even, _mm512_set1_epi8(1));
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t b = 0; b * kInt8BlockCols < cols; ++b) {
    const int64_t c0 = b * kInt8BlockCols;
    if (cols - c0 >= kInt8BlockCols) {
      QuantizeBlockAvx512(x + c0, q, &scales[b]);
    } else {
      std::fill(q, q + kInt8BlockCols, int8_t{0});
      QuantizeBlock(x + c0, cols - c0, q, &scales[b]);
    }
    const __m512i a = _mm512_load_si512(q), c = _mm512_load_si512(q + 64);
    __m512i x1 = a, x2 = c;
    if (bits == 4) {
      x1 = _mm512_permutex2var_epi8(a, even, c);
      x2 = _mm512_permutex2var_epi8(a, odd, c);
    }
    ActivationBlock& blk = blocks[b];
    _mm512_store_si512(blk.x1, x1);
    _mm512_store_si512(blk.x2, x2);
    const __m512i sums = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, x1), ones, x2);
    _mm512_store_si512(blk.start, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sums, 7)));
  }
}

// Prefetch distance into L2, as in the exact AVX-512 kernels (see lut_gemm.cpp).
constexpr int64_t kPrefetchBytes = 16384;

// Load mask of the first `bytes` bytes of a 64-byte vector.
inline __mmask64 LowBytes(int64_t bytes) {
  if (bytes <= 0) return 0;
  return bytes >= 64 ? ~__mmask64{0} : (__mmask64{1} << bytes) - 1;
}

// Two weight vectors of one 128-column block, as unsigned q + 128. `bytes` < 64 reads a partial
// last block (the weights past it meet zero activations).
ANEMLL_INT8_TARGET inline void LoadLut4(const uint8_t* p, int64_t bytes, __m512i table, __m512i* w1, __m512i* w2) {
  const __m512i nib = _mm512_set1_epi8(0x0F);
  const __m512i v = bytes >= 64 ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi8(LowBytes(bytes), p);
  *w1 = _mm512_shuffle_epi8(table, _mm512_and_si512(v, nib));
  *w2 = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
}

// 96 index bytes: qword k of a half gets the 6 bytes holding its 8 indices (vpermb), vpmultishiftqb
// moves index i of the qword to byte i (bits 6i..6i+7; vpermb reads only the low 6 bits).
ANEMLL_INT8_TARGET inline void LoadLut6(const uint8_t* p, int64_t bytes, __m512i table, __m512i route_lo,
                                        __m512i route_hi, __m512i fields, __m512i* w1, __m512i* w2) {
  __m512i lo_bytes, hi_bytes;
  if (bytes >= 96) {
    lo_bytes = _mm512_loadu_si512(p);
    hi_bytes = _mm512_loadu_si512(p + 32);
  } else {
    lo_bytes = _mm512_maskz_loadu_epi8(LowBytes(bytes), p);
    hi_bytes = _mm512_maskz_loadu_epi8(LowBytes(bytes - 32), p + 32);
  }
  const __m512i lo = _mm512_permutexvar_epi8(route_lo, lo_bytes);
  const __m512i hi = _mm512_permutexvar_epi8(route_hi, hi_bytes);
  *w1 = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(fields, lo), table);
  *w2 = _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(fields, hi), table);
}

// The 6-bit unpacking's byte routes and bit fields (see LoadLut6).
struct Lut6Controls {
  __m512i route_lo, route_hi, fields;
};

ANEMLL_INT8_TARGET Lut6Controls MakeLut6Controls() {
  alignas(64) uint8_t route_bytes[2][64];
  alignas(64) uint8_t field_bytes[64];
  for (int q = 0; q < 8; ++q) {
    for (int j = 0; j < 8; ++j) {
      route_bytes[0][8 * q + j] = static_cast<uint8_t>((6 * q + j) & 63);
      route_bytes[1][8 * q + j] = static_cast<uint8_t>((16 + 6 * q + j) & 63);
      field_bytes[8 * q + j] = static_cast<uint8_t>(6 * j);
    }
  }
  return {_mm512_load_si512(route_bytes[0]), _mm512_load_si512(route_bytes[1]), _mm512_load_si512(field_bytes)};
}

// Weight vectors of block b of a row of row_bytes bytes.
template <int kBits>
ANEMLL_INT8_TARGET inline void LoadBlock(const uint8_t* row, int64_t b, int64_t row_bytes, __m512i table,
                                         const Lut6Controls& c, __m512i* w1, __m512i* w2) {
  constexpr int64_t kBlockBytes = kInt8BlockCols * kBits / 8;
  const int64_t bytes = std::min(kBlockBytes, row_bytes - b * kBlockBytes);
  if constexpr (kBits == 4) {
    LoadLut4(row + b * kBlockBytes, bytes, table, w1, w2);
  } else {
    LoadLut6(row + b * kBlockBytes, bytes, table, c.route_lo, c.route_hi, c.fields, w1, w2);
  }
}

template <int kBits>
ANEMLL_INT8_TARGET void GemvRowsInt8(const ActivationBlock* xb, const float* xs, const LutMatrixRef& w,
                                     const LutInt8Palette& pal, const float* bias, float* y, int64_t r0, int64_t r1) {
  const int64_t blocks = (w.cols + kInt8BlockCols - 1) / kInt8BlockCols;
  const int64_t row_bytes = w.cols * kBits / 8;
  const Lut6Controls controls = MakeLut6Controls();
  const int64_t range_end = r1 * row_bytes;
  for (int64_t q = r0 * row_bytes; q < std::min(range_end, r0 * row_bytes + kPrefetchBytes); q += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(w.indices + q), _MM_HINT_T1);
  }
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t g = r / w.rows_per_group;
    const __m512i table = _mm512_loadu_si512(pal.table.data() + g * 64);
    const uint8_t* row = w.indices + r * row_bytes;
    const int64_t ahead_end = std::min(range_end, (r + 1) * row_bytes + kPrefetchBytes);
    for (int64_t q = r * row_bytes + kPrefetchBytes; q < ahead_end; q += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(w.indices + q), _MM_HINT_T1);
    }
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      __m512i w1, w2;
      LoadBlock<kBits>(row, b, row_bytes, table, controls, &w1, &w2);
      const ActivationBlock& xa = xb[b];
      __m512i s = _mm512_load_si512(xa.start);
      s = _mm512_dpbusd_epi32(s, w1, _mm512_load_si512(xa.x1));
      s = _mm512_dpbusd_epi32(s, w2, _mm512_load_si512(xa.x2));
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(xs[b]), acc);
    }
    float v = _mm512_reduce_add_ps(acc) * pal.scale[static_cast<size_t>(g)];
    if (bias != nullptr) v += bias[r];
    y[r] = v;
  }
}

// Tokens per GEMM tile (2 rows x 8 tokens: 16 accumulators, summed by one SumLanes16).
constexpr int kTileTokens = 8;

#define ANEMLL_SUM_LANES16_ATTR ANEMLL_INT8_TARGET inline
#include "kernels/sum_lanes16-inl.h"
#undef ANEMLL_SUM_LANES16_ATTR

// y[t][r] (before the palette scale) for kR rows x kT tokens: each weight block is unpacked once
// for the kT tokens, and each activation block is loaded once for the kR rows.
template <int kBits, int kR, int kT>
ANEMLL_INT8_TARGET inline void TileInt8(const uint8_t* const* rows, const __m512i* tables, const ActivationBlock* xb,
                                        const float* xs, int64_t blocks, int64_t row_bytes, const Lut6Controls& c,
                                        float out[2][kTileTokens]) {
  __m512 f[kR][kT];
  for (int r = 0; r < kR; ++r) {
    for (int t = 0; t < kT; ++t) f[r][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i w[kR][2];
    for (int r = 0; r < kR; ++r) LoadBlock<kBits>(rows[r], b, row_bytes, tables[r], c, &w[r][0], &w[r][1]);
    for (int t = 0; t < kT; ++t) {
      const ActivationBlock& a = xb[t * blocks + b];
      const __m512i x1 = _mm512_load_si512(a.x1), x2 = _mm512_load_si512(a.x2);
      const __m512i start = _mm512_load_si512(a.start);
      const __m512 scale = _mm512_set1_ps(xs[t * blocks + b]);
      for (int r = 0; r < kR; ++r) {
        const __m512i s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(start, w[r][0], x1), w[r][1], x2);
        f[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, f[r][t]);
      }
    }
  }
  if constexpr (kR == 2 && kT == 8) {
    alignas(64) float sums[16];
    _mm512_store_ps(sums, SumLanes16(&f[0][0]));
    for (int r = 0; r < kR; ++r) {
      for (int t = 0; t < kT; ++t) out[r][t] = sums[r * kT + t];
    }
  } else {
    for (int r = 0; r < kR; ++r) {
      for (int t = 0; t < kT; ++t) out[r][t] = _mm512_reduce_add_ps(f[r][t]);
    }
  }
}

template <int kBits, int kR>
ANEMLL_INT8_TARGET inline void TileInt8Tokens(int kt, const uint8_t* const* rows, const __m512i* tables,
                                              const ActivationBlock* xb, const float* xs, int64_t blocks,
                                              int64_t row_bytes, const Lut6Controls& c, float out[2][kTileTokens]) {
  switch (kt) {
    case 8: TileInt8<kBits, kR, 8>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 7: TileInt8<kBits, kR, 7>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 6: TileInt8<kBits, kR, 6>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 5: TileInt8<kBits, kR, 5>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 4: TileInt8<kBits, kR, 4>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 3: TileInt8<kBits, kR, 3>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    case 2: TileInt8<kBits, kR, 2>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
    default: TileInt8<kBits, kR, 1>(rows, tables, xb, xs, blocks, row_bytes, c, out); break;
  }
}

// Rows [r0, r1) of y [n, y_stride] for n tokens whose activations are xb [n][blocks], xs [n][blocks].
// Rows go in chunks small enough that their weights stay in L1/L2 while every token tile passes.
template <int kBits>
ANEMLL_INT8_TARGET void GemmRowsInt8(const ActivationBlock* xb, const float* xs, int64_t n, const LutMatrixRef& w,
                                     const LutInt8Palette& pal, const float* bias, float* y, int64_t y_stride,
                                     int64_t r0, int64_t r1) {
  constexpr int64_t kChunkRows = 32;
  const int64_t blocks = (w.cols + kInt8BlockCols - 1) / kInt8BlockCols;
  const int64_t row_bytes = w.cols * kBits / 8;
  const Lut6Controls controls = MakeLut6Controls();
  for (int64_t c0 = r0; c0 < r1; c0 += kChunkRows) {
    const int64_t c1 = std::min(r1, c0 + kChunkRows);
    for (int64_t t0 = 0; t0 < n; t0 += kTileTokens) {
      const int kt = static_cast<int>(std::min<int64_t>(kTileTokens, n - t0));
      for (int64_t r = c0; r < c1; r += 2) {
        const int kr = static_cast<int>(std::min<int64_t>(2, c1 - r));
        const uint8_t* rows[2];
        __m512i tables[2];
        for (int i = 0; i < kr; ++i) {
          rows[i] = w.indices + (r + i) * row_bytes;
          tables[i] = _mm512_loadu_si512(pal.table.data() + ((r + i) / w.rows_per_group) * 64);
        }
        float out[2][kTileTokens];
        const ActivationBlock* xt = xb + t0 * blocks;
        const float* st = xs + t0 * blocks;
        if (kr == 2) {
          TileInt8Tokens<kBits, 2>(kt, rows, tables, xt, st, blocks, row_bytes, controls, out);
        } else {
          TileInt8Tokens<kBits, 1>(kt, rows, tables, xt, st, blocks, row_bytes, controls, out);
        }
        for (int i = 0; i < kr; ++i) {
          const float scale = pal.scale[static_cast<size_t>((r + i) / w.rows_per_group)];
          for (int t = 0; t < kt; ++t) {
            float v = out[i][t] * scale;
            if (bias != nullptr) v += bias[r + i];
            y[(t0 + t) * y_stride + r + i] = v;
          }
        }
      }
    }
  }
}

struct Scratch {
  std::vector<ActivationBlock> blocks;
  std::vector<float> scales;
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}
#endif  // ANEMLL_INT8_AVX512

}  // namespace

bool CpuHasLutInt8Kernels() {
#if ANEMLL_INT8_AVX512
  return CpuHasInt8Kernels();
#else
  return false;
#endif
}

bool LutInt8Available(const LutMatrixRef& w) {
  // Rows must start on a byte: an even column count at 4 bits, a multiple of 4 at 6 bits.
  return ((w.bits == 4 && w.cols % 2 == 0) || (w.bits == 6 && w.cols % 4 == 0)) && w.cols > 0 &&
         CpuHasLutInt8Kernels();
}

LutInt8Palette QuantizeLutPalette(const LutMatrixRef& w) {
  LutInt8Palette p;
  const int64_t entries = int64_t{1} << w.bits;
  p.groups = w.rows_per_group > 0 ? w.rows / w.rows_per_group : 0;
  p.q.resize(static_cast<size_t>(p.groups * entries));
  p.scale.resize(static_cast<size_t>(p.groups));
  p.table.assign(static_cast<size_t>(p.groups * 64), 0);
  for (int64_t g = 0; g < p.groups; ++g) {
    int8_t* q = p.q.data() + g * entries;
    QuantizeBlock(w.lut + g * entries, entries, q, &p.scale[static_cast<size_t>(g)]);
    if (entries > 64) continue;  // no kernel table beyond 6 bits
    for (int64_t i = 0; i < 64; ++i) {
      p.table[static_cast<size_t>(g * 64 + i)] = static_cast<uint8_t>(q[i % entries] + 128);
    }
  }
  return p;
}

void QuantizeActivations(const float* x, int64_t cols, QuantizedActivations* out) {
  const int64_t blocks = (cols + kInt8BlockCols - 1) / kInt8BlockCols;
  out->q.resize(static_cast<size_t>(cols));
  out->scale.resize(static_cast<size_t>(blocks));
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t c0 = b * kInt8BlockCols, n = std::min(kInt8BlockCols, cols - c0);
    QuantizeBlock(x + c0, n, out->q.data() + c0, &out->scale[static_cast<size_t>(b)]);
  }
}

void LutGemmInt8(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const LutInt8Palette& palette,
                 const float* bias, float* y, int64_t y_stride, ThreadPool* pool) {
#if ANEMLL_INT8_AVX512
  if (!LutInt8Available(w)) {
    scalar::LutGemmInt8(x, n, x_stride, w, palette, bias, y, y_stride);
    return;
  }
  if (w.rows <= 0 || n <= 0) return;
  Scratch& s = ThreadScratch();
  const int64_t blocks = (w.cols + kInt8BlockCols - 1) / kInt8BlockCols;
  if (s.blocks.size() < static_cast<size_t>(n * blocks)) {
    s.blocks.resize(static_cast<size_t>(n * blocks));
    s.scales.resize(static_cast<size_t>(n * blocks));
  }
  for (int64_t t = 0; t < n; ++t) {
    PrepareActivations(x + t * x_stride, w.cols, w.bits, s.blocks.data() + t * blocks, s.scales.data() + t * blocks);
  }
  const ActivationBlock* xb = s.blocks.data();
  const float* xs = s.scales.data();
  // 16 rows per work item; at least ~64K products per task so small layers stay on one thread.
  constexpr int64_t kRowBlock = 16;
  const int64_t items = (w.rows + kRowBlock - 1) / kRowBlock;
  const size_t min_items = static_cast<size_t>(std::max<int64_t>(1, (int64_t{1} << 16) / (kRowBlock * w.cols * n)));
  auto run = [&](size_t i0, size_t i1) {
    const int64_t r0 = static_cast<int64_t>(i0) * kRowBlock;
    const int64_t r1 = std::min(w.rows, static_cast<int64_t>(i1) * kRowBlock);
    if (n == 1) {
      if (w.bits == 4) {
        GemvRowsInt8<4>(xb, xs, w, palette, bias, y, r0, r1);
      } else {
        GemvRowsInt8<6>(xb, xs, w, palette, bias, y, r0, r1);
      }
    } else if (w.bits == 4) {
      GemmRowsInt8<4>(xb, xs, n, w, palette, bias, y, y_stride, r0, r1);
    } else {
      GemmRowsInt8<6>(xb, xs, n, w, palette, bias, y, y_stride, r0, r1);
    }
  };
  if (pool == nullptr || pool->num_threads() == 1) {
    run(0, static_cast<size_t>(items));
    return;
  }
  // Passed through one reference, which fits std::function's inline storage (no allocation).
  pool->ParallelFor(static_cast<size_t>(items), [&run](size_t i0, size_t i1) { run(i0, i1); }, min_items);
#else
  (void)pool;
  scalar::LutGemmInt8(x, n, x_stride, w, palette, bias, y, y_stride);
#endif
}

void LutGemvInt8(const float* x, const LutMatrixRef& w, const LutInt8Palette& palette, const float* bias, float* y,
                 ThreadPool* pool) {
  LutGemmInt8(x, 1, w.cols, w, palette, bias, y, w.rows, pool);
}

namespace scalar {
void LutGemvInt8(const float* x, const LutMatrixRef& w, const LutInt8Palette& palette, const float* bias, float* y) {
  QuantizedActivations xa;
  QuantizeActivations(x, w.cols, &xa);
  const int64_t entries = int64_t{1} << w.bits;
  for (int64_t r = 0; r < w.rows; ++r) {
    const int64_t g = r / w.rows_per_group;
    const int8_t* qw = palette.q.data() + g * entries;
    float acc = 0.0f;
    for (int64_t c0 = 0, b = 0; c0 < w.cols; c0 += kInt8BlockCols, ++b) {
      const int64_t c1 = std::min(w.cols, c0 + kInt8BlockCols);
      int32_t sum = 0;
      for (int64_t c = c0; c < c1; ++c) {
        sum += int32_t{qw[ReadPackedIndex(w.indices, w.bits, r * w.cols + c)]} * int32_t{xa.q[static_cast<size_t>(c)]};
      }
      acc += xa.scale[static_cast<size_t>(b)] * static_cast<float>(sum);
    }
    float v = acc * palette.scale[static_cast<size_t>(g)];
    if (bias != nullptr) v += bias[r];
    y[r] = v;
  }
}

void LutGemmInt8(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const LutInt8Palette& palette,
                 const float* bias, float* y, int64_t y_stride) {
  std::vector<float> row(static_cast<size_t>(w.rows));
  for (int64_t t = 0; t < n; ++t) {
    LutGemvInt8(x + t * x_stride, w, palette, bias, row.data());
    std::copy(row.begin(), row.end(), y + t * y_stride);
  }
}
}  // namespace scalar

}  // namespace anemll::kernels
