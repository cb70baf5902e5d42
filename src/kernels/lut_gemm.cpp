#include "kernels/lut_gemm.h"

#include <algorithm>
#include <array>
#include <vector>

#include "kernels/gemm.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/lut_gemm.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/hwy_helpers-inl.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using DU = hn::RebindToUnsigned<DF>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;
using VU = hn::Vec<DU>;

// The SIMD decoders need a fixed vector length of at least 4 lanes made of 128-bit blocks.
#if !HWY_HAVE_SCALABLE && HWY_TARGET != HWY_SCALAR
#define ANEMLL_LUT_SIMD 1
constexpr size_t kN = hn::MaxLanes(DF());
constexpr bool kLutSimd = true;
static_assert(kN >= 4, "LUT kernels expect at least 4 float lanes");
#else
#define ANEMLL_LUT_SIMD 0
constexpr size_t kN = 1;
constexpr bool kLutSimd = false;
#endif

#if ANEMLL_LUT_SIMD
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
constexpr bool kAvx512 = true;
#else
constexpr bool kAvx512 = false;
#endif

// One palette of 2^kBits fp32 entries held in registers where it fits (<= 4 vectors), looked up
// with lane permutes; larger palettes are read with a gather.
template <int kBits>
struct Palette {
  static constexpr size_t kEntries = size_t{1} << kBits;
  static constexpr size_t kTables = kEntries <= kN ? 1 : kEntries / kN;
  static constexpr bool kInRegisters = kTables <= 4;

  VF t[kInRegisters ? kTables : 1];
  const float* base = nullptr;

  void Load(const float* lut) {
    const DF d;
    base = lut;
    if constexpr (kInRegisters) {
      if constexpr (kEntries < kN) {
        alignas(64) float padded[kN] = {};
        for (size_t i = 0; i < kEntries; ++i) padded[i] = lut[i];
        t[0] = hn::Load(d, padded);
      } else {
        for (size_t j = 0; j < kTables; ++j) t[j] = hn::LoadU(d, lut + j * kN);
      }
    }
  }

  // Lookup of the low kBits bits of each lane (higher bits are ignored).
  HWY_INLINE VF LookupLowBits(VU idx) const {
    return Lookup(hn::And(idx, hn::Set(DU(), static_cast<uint32_t>(kEntries - 1))));
  }

  HWY_INLINE VF Lookup(VU idx) const {
    const DF d;
    const DU du;
    if constexpr (kBits == 6 && kAvx512) {
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
      // Two 32-entry two-register permutes, then bit 5 picks the half.
      const __m512 lo = _mm512_permutex2var_ps(t[0].raw, idx.raw, t[1].raw);
      const __m512 hi = _mm512_permutex2var_ps(t[2].raw, idx.raw, t[3].raw);
      const __mmask16 upper = _mm512_test_epi32_mask(idx.raw, _mm512_set1_epi32(32));
      return VF{_mm512_mask_blend_ps(upper, lo, hi)};
#endif
    }
    if constexpr (kTables == 1) {
      return hn::TableLookupLanes(t[0], hn::IndicesFromVec(d, idx));
    } else if constexpr (kTables == 2 || kTables == 4) {
      const auto lane = hn::IndicesFromVec(d, hn::And(idx, hn::Set(du, static_cast<uint32_t>(kN - 1))));
      const auto bit0 = hn::RebindMask(d, hn::Ne(hn::And(idx, hn::Set(du, static_cast<uint32_t>(kN))), hn::Zero(du)));
      const VF a = hn::IfThenElse(bit0, hn::TableLookupLanes(t[1], lane), hn::TableLookupLanes(t[0], lane));
      if constexpr (kTables == 2) {
        return a;
      } else {
        const auto bit1 =
            hn::RebindMask(d, hn::Ne(hn::And(idx, hn::Set(du, static_cast<uint32_t>(2 * kN))), hn::Zero(du)));
        const VF b = hn::IfThenElse(bit0, hn::TableLookupLanes(t[3], lane), hn::TableLookupLanes(t[2], lane));
        return hn::IfThenElse(bit1, b, a);
      }
    } else {
      const DI di;
      return hn::GatherIndex(d, base, hn::BitCast(di, idx));
    }
  }
};

// Decodes kN consecutive indices of a byte-aligned LSB-first stream into u32 lanes: each lane
// picks the two bytes holding its bits (one broadcast 16-byte load + a byte shuffle), then a
// per-lane shift and mask. Steps of kVecs vectors keep every step byte-aligned.
template <int kBits>
struct StreamDecoder {
  static constexpr size_t kVecs = (kN * kBits) % 8 == 0 ? 1 : 2;
  static constexpr size_t kStepBytes = kVecs * kN * kBits / 8;
  static constexpr size_t kReadBytes = 16;  // LoadDup128

  hn::Vec<hn::Repartition<uint8_t, DU>> pattern[kVecs];
  VU shift[kVecs];

  StreamDecoder() {
    const DU du;
    const hn::Repartition<uint8_t, DU> d8;
    for (size_t v = 0; v < kVecs; ++v) {
      alignas(64) uint8_t bytes[kN * 4];
      alignas(64) uint32_t shifts[kN];
      for (size_t lane = 0; lane < kN; ++lane) {
        const size_t bit = kBits * (v * kN + lane);
        // Byte positions are relative to the lane's own 128-bit block of the broadcast load.
        bytes[4 * lane + 0] = static_cast<uint8_t>(bit / 8);
        bytes[4 * lane + 1] = static_cast<uint8_t>(bit / 8 + 1);
        bytes[4 * lane + 2] = 0x80;  // zero
        bytes[4 * lane + 3] = 0x80;
        shifts[lane] = static_cast<uint32_t>(bit % 8);
      }
      pattern[v] = hn::Load(d8, bytes);
      shift[v] = hn::Load(du, shifts);
    }
  }

  HWY_INLINE void Decode(const uint8_t* p, VU* out) const {
    const DU du;
    const hn::Repartition<uint8_t, DU> d8;
    const auto raw = hn::LoadDup128(d8, p);
    const auto mask = hn::Set(du, (1u << kBits) - 1u);
    for (size_t v = 0; v < kVecs; ++v) {
      const VU two_bytes = hn::BitCast(du, hn::TableLookupBytesOr0(raw, pattern[v]));
      out[v] = hn::And(hn::Shr(two_bytes, shift[v]), mask);
    }
  }
};

// Number of whole decoder steps of `step_bytes` starting at p whose `read_bytes`-byte loads stay
// inside [p, end) and whose indices stay inside the row of `cols` indices.
HWY_INLINE int64_t SafeSteps(const uint8_t* p, const uint8_t* end, int64_t cols, size_t step_cols, size_t step_bytes,
                             size_t read_bytes) {
  int64_t steps = cols / static_cast<int64_t>(step_cols);
  const int64_t avail = end - p;
  if (avail < static_cast<int64_t>(read_bytes)) return 0;
  const int64_t by_bytes = (avail - static_cast<int64_t>(read_bytes)) / static_cast<int64_t>(step_bytes) + 1;
  return std::min(steps, by_bytes);
}

// sum_c W[row, c] * x[c] for one byte-aligned row (4-bit), with x pre-permuted in xp.
HWY_INLINE float RowDotLut4(const uint8_t* row, const uint8_t* end, const float* xp, const float* x, int64_t cols,
                            const Palette<4>& pal, const float* lut) {
  const DF d;
  const DU du;
  const hn::Rebind<uint8_t, DU> d8n;
  const int64_t steps = SafeSteps(row, end, cols, 2 * kN, kN, kN);
  // Four independent accumulators hide the FMA latency.
  VF acc0 = hn::Zero(d);
  VF acc1 = hn::Zero(d);
  VF acc2 = hn::Zero(d);
  VF acc3 = hn::Zero(d);
  int64_t s = 0;
  for (; s + 2 <= steps; s += 2) {
    const uint8_t* p = row + s * static_cast<int64_t>(kN);
    const float* xs = xp + s * static_cast<int64_t>(2 * kN);
    const VU b0 = hn::PromoteTo(du, hn::LoadU(d8n, p));
    const VU b1 = hn::PromoteTo(du, hn::LoadU(d8n, p + kN));
    acc0 = hn::MulAdd(pal.LookupLowBits(b0), hn::LoadU(d, xs), acc0);
    acc1 = hn::MulAdd(pal.Lookup(hn::ShiftRight<4>(b0)), hn::LoadU(d, xs + kN), acc1);
    acc2 = hn::MulAdd(pal.LookupLowBits(b1), hn::LoadU(d, xs + 2 * kN), acc2);
    acc3 = hn::MulAdd(pal.Lookup(hn::ShiftRight<4>(b1)), hn::LoadU(d, xs + 3 * kN), acc3);
  }
  for (; s < steps; ++s) {
    const VU b = hn::PromoteTo(du, hn::LoadU(d8n, row + s * static_cast<int64_t>(kN)));
    const float* xs = xp + s * static_cast<int64_t>(2 * kN);
    acc0 = hn::MulAdd(pal.LookupLowBits(b), hn::LoadU(d, xs), acc0);
    acc1 = hn::MulAdd(pal.Lookup(hn::ShiftRight<4>(b)), hn::LoadU(d, xs + kN), acc1);
  }
  acc0 = hn::Add(acc0, acc2);
  acc1 = hn::Add(acc1, acc3);
  float sum = SumLanes(d, hn::Add(acc0, acc1));
  for (int64_t c = steps * static_cast<int64_t>(2 * kN); c < cols; ++c) sum += lut[ReadPackedIndex(row, 4, c)] * x[c];
  return sum;
}

// Two rows at once (4-bit): each x vector is loaded once for both rows.
HWY_INLINE void RowDotLut4x2(const uint8_t* row0, const uint8_t* row1, const uint8_t* end, const float* xp,
                             const float* x, int64_t cols, const Palette<4>& pal0, const Palette<4>& pal1,
                             const float* lut0, const float* lut1, float* s0, float* s1) {
  const DF d;
  const DU du;
  const hn::Rebind<uint8_t, DU> d8n;
  const int64_t steps = std::min(SafeSteps(row0, end, cols, 2 * kN, kN, kN), SafeSteps(row1, end, cols, 2 * kN, kN, kN));
  VF a0 = hn::Zero(d), a1 = hn::Zero(d), c0 = hn::Zero(d), c1 = hn::Zero(d);
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t off = s * static_cast<int64_t>(kN);
    const float* xs = xp + s * static_cast<int64_t>(2 * kN);
    const VF xe = hn::LoadU(d, xs);
    const VF xo = hn::LoadU(d, xs + kN);
    const VU b0 = hn::PromoteTo(du, hn::LoadU(d8n, row0 + off));
    const VU b1 = hn::PromoteTo(du, hn::LoadU(d8n, row1 + off));
    a0 = hn::MulAdd(pal0.LookupLowBits(b0), xe, a0);
    a1 = hn::MulAdd(pal0.LookupLowBits(hn::ShiftRight<4>(b0)), xo, a1);
    c0 = hn::MulAdd(pal1.LookupLowBits(b1), xe, c0);
    c1 = hn::MulAdd(pal1.LookupLowBits(hn::ShiftRight<4>(b1)), xo, c1);
  }
  float t0 = SumLanes(d, hn::Add(a0, a1));
  float t1 = SumLanes(d, hn::Add(c0, c1));
  for (int64_t c = steps * static_cast<int64_t>(2 * kN); c < cols; ++c) {
    t0 += lut0[ReadPackedIndex(row0, 4, c)] * x[c];
    t1 += lut1[ReadPackedIndex(row1, 4, c)] * x[c];
  }
  *s0 = t0;
  *s1 = t1;
}

// Same for the widths decoded by StreamDecoder (1, 2, 3, 6; x in natural order).
template <int kBits>
HWY_INLINE float RowDotStream(const uint8_t* row, const uint8_t* end, const float* x, int64_t cols,
                              const Palette<kBits>& pal, const StreamDecoder<kBits>& dec, const float* lut) {
  using Dec = StreamDecoder<kBits>;
  const DF d;
  const int64_t steps = SafeSteps(row, end, cols, Dec::kVecs * kN, Dec::kStepBytes, Dec::kReadBytes);
  // Steps are unrolled so that at least four accumulators are in flight.
  constexpr int64_t kUnroll = Dec::kVecs == 1 ? 4 : 2;
  VF acc[4] = {hn::Zero(d), hn::Zero(d), hn::Zero(d), hn::Zero(d)};
  int64_t s = 0;
  for (; s + kUnroll <= steps; s += kUnroll) {
    for (int64_t u = 0; u < kUnroll; ++u) {
      VU idx[Dec::kVecs];
      dec.Decode(row + (s + u) * static_cast<int64_t>(Dec::kStepBytes), idx);
      const float* xs = x + (s + u) * static_cast<int64_t>(Dec::kVecs * kN);
      for (size_t v = 0; v < Dec::kVecs; ++v) {
        VF& a = acc[(u * Dec::kVecs + v) & 3];
        a = hn::MulAdd(pal.Lookup(idx[v]), hn::LoadU(d, xs + v * kN), a);
      }
    }
  }
  for (; s < steps; ++s) {
    VU idx[Dec::kVecs];
    dec.Decode(row + s * static_cast<int64_t>(Dec::kStepBytes), idx);
    const float* xs = x + s * static_cast<int64_t>(Dec::kVecs * kN);
    for (size_t v = 0; v < Dec::kVecs; ++v) acc[v] = hn::MulAdd(pal.Lookup(idx[v]), hn::LoadU(d, xs + v * kN), acc[v]);
  }
  const VF acc0 = hn::Add(acc[0], acc[2]);
  const VF acc1 = hn::Add(acc[1], acc[3]);
  float sum = SumLanes(d, hn::Add(acc0, acc1));
  for (int64_t c = steps * static_cast<int64_t>(Dec::kVecs * kN); c < cols; ++c) {
    sum += lut[ReadPackedIndex(row, kBits, c)] * x[c];
  }
  return sum;
}

// 8-bit indices: one widening byte load per vector, palette read with a gather.
HWY_INLINE float RowDotLut8(const uint8_t* row, const float* x, int64_t cols, const Palette<8>& pal) {
  const DF d;
  const DU du;
  const hn::Rebind<uint8_t, DU> d8n;
  VF acc = hn::Zero(d);
  int64_t c = 0;
  for (; c + static_cast<int64_t>(kN) <= cols; c += static_cast<int64_t>(kN)) {
    const VU idx = hn::PromoteTo(du, hn::LoadU(d8n, row + c));
    acc = hn::MulAdd(pal.Lookup(idx), hn::LoadU(d, x + c), acc);
  }
  float sum = SumLanes(d, acc);
  for (; c < cols; ++c) sum += pal.base[row[c]] * x[c];
  return sum;
}

#endif  // ANEMLL_LUT_SIMD

#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
#define ANEMLL_LUT_AVX512 1
#else
#define ANEMLL_LUT_AVX512 0
#endif

#if ANEMLL_LUT_AVX512
// AVX-512 GEMV rows for the two widths decode spends its time in (FFN LUT4, LM head LUT6). On
// AVX-512 cores the lookups are bound by the shuffle port, so both kernels spend as few shuffles
// per weight as they can, and x is permuted once per GEMV to match the order the lanes come out in.
//
// 4-bit: one 64-byte load holds 128 columns; dword lane k holds columns 8k..8k+7 as nibbles, so
// shifting the whole vector right by 4m leaves column 8k+m in the low nibble, the only bits
// vpermps reads. 8 lookups cost 7 shifts (the widening byte load they replace cost a shuffle too).
constexpr int64_t kLut4BlockCols = 128;
// 6-bit: 64 columns (48 bytes) per block, as two halves of 32. A half's 24 bytes are spread over
// the four 128-bit blocks (vpermd), each 16-bit lane picks its two bytes (vpshufb) and shifts its
// index to the low bits (vpsrlvw). The fp32 palette is kept as two 64-entry tables of 16-bit
// halves, so one two-table word permute (vpermt2w, low 6 bits) looks up 32 high halves, another the
// low halves, and two word unpacks rebuild 32 exact fp32 weights: fewer shuffles than two fp32
// 32-entry permutes + blend per 16 weights, and exact for any fp32 palette (no fp16 convert).
constexpr int64_t kLut6BlockCols = 64;
// Software prefetch distance. The lookups keep the reorder window full of shuffles, so demand
// misses alone leave too few lines in flight; prefetching this far ahead into L2 (T1: the L1 has
// few miss buffers) took a cold stream on Zen 4 from about 12 to 16 GB/s on one thread and from
// 21 to 29 GB/s on two.
constexpr int64_t kPrefetchBytesAvx512 = 16384;

// A plain loop: measured faster here than eight 16-lane gathers per block.
void PermuteXLut4Avx512(const float* x, int64_t cols, float* xp) {
  for (int64_t b = 0; b + kLut4BlockCols <= cols; b += kLut4BlockCols) {
    for (int64_t m = 0; m < 8; ++m) {
      for (int64_t k = 0; k < 16; ++k) xp[b + 16 * m + k] = x[b + 8 * k + m];
    }
  }
}

// Half h of a 6-bit block: after the unpacks, lane i of 128-bit block j holds column 8j+i (low
// unpack) or 8j+4+i (high unpack).
void PermuteXLut6Avx512(const float* x, int64_t cols, float* xp) {
  const __m512i low = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i high = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  for (int64_t b = 0; b + 32 <= cols; b += 32) {
    const __m512 a = _mm512_loadu_ps(x + b);
    const __m512 c = _mm512_loadu_ps(x + b + 16);
    _mm512_storeu_ps(xp + b, _mm512_permutex2var_ps(a, low, c));
    _mm512_storeu_ps(xp + b + 16, _mm512_permutex2var_ps(a, high, c));
  }
}

HWY_INLINE __m512 RowDotLut4Avx512(const uint8_t* row, const uint8_t* end, const float* xp, const float* x,
                                   int64_t cols, float* tail, __m512 table, const float* lut) {
  const int64_t steps = SafeSteps(row, end, cols, kLut4BlockCols, kLut4BlockCols / 2, kLut4BlockCols / 2);
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t s = 0; s < steps; ++s) {
    __m512i v = _mm512_loadu_si512(row + s * (kLut4BlockCols / 2));
    // One register load: folded into each shift, the load repeats eight times.
    __asm__("" : "+v"(v));
    const float* xs = xp + s * kLut4BlockCols;
    a0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(v, table), _mm512_loadu_ps(xs), a0);
    a1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table), _mm512_loadu_ps(xs + 16), a1);
    a2 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 8), table), _mm512_loadu_ps(xs + 32), a2);
    a3 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 12), table), _mm512_loadu_ps(xs + 48), a3);
    a0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 16), table), _mm512_loadu_ps(xs + 64), a0);
    a1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 20), table), _mm512_loadu_ps(xs + 80), a1);
    a2 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 24), table), _mm512_loadu_ps(xs + 96), a2);
    a3 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 28), table), _mm512_loadu_ps(xs + 112), a3);
  }
  float sum = 0.0f;
  for (int64_t c = steps * kLut4BlockCols; c < cols; ++c) sum += lut[ReadPackedIndex(row, 4, c)] * x[c];
  *tail = sum;
  return _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
}

struct Lut6TablesAvx512 {
  __m512i high_a, high_b;  // high 16 bits of entries 0-31 / 32-63
  __m512i low_a, low_b;    // low 16 bits

  void Load(const float* lut) {
    // Word 2i of a float vector is entry i's low half, word 2i+1 its high half.
    alignas(64) static constexpr uint16_t kOdd[32] = {1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21,
                                                      23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43,
                                                      45, 47, 49, 51, 53, 55, 57, 59, 61, 63};
    alignas(64) static constexpr uint16_t kEven[32] = {0,  2,  4,  6,  8,  10, 12, 14, 16, 18, 20,
                                                       22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42,
                                                       44, 46, 48, 50, 52, 54, 56, 58, 60, 62};
    const __m512i odd = _mm512_load_si512(kOdd);
    const __m512i even = _mm512_load_si512(kEven);
    const __m512i f0 = _mm512_castps_si512(_mm512_loadu_ps(lut));
    const __m512i f1 = _mm512_castps_si512(_mm512_loadu_ps(lut + 16));
    const __m512i f2 = _mm512_castps_si512(_mm512_loadu_ps(lut + 32));
    const __m512i f3 = _mm512_castps_si512(_mm512_loadu_ps(lut + 48));
    high_a = _mm512_permutex2var_epi16(f0, odd, f1);
    high_b = _mm512_permutex2var_epi16(f2, odd, f3);
    low_a = _mm512_permutex2var_epi16(f0, even, f1);
    low_b = _mm512_permutex2var_epi16(f2, even, f3);
  }
};

// Byte routing for one 24-byte half (see kLut6BlockCols): 128-bit block j serves columns
// 8j..8j+7, whose bits start in source dword floor(6j/4) = {0, 1, 3, 4}[j].
alignas(64) constexpr uint32_t kLut6DwordRoute[16] = {0, 1, 2, 3, 1, 2, 3, 4, 3, 4, 5, 6, 4, 5, 6, 7};
constexpr std::array<uint8_t, 64> Lut6ByteRoute() {
  std::array<uint8_t, 64> r{};
  for (int j = 0; j < 4; ++j) {
    const int base = 4 * static_cast<int>(kLut6DwordRoute[4 * j]);
    for (int k = 0; k < 8; ++k) {
      const int bit = 6 * (8 * j + k);
      r[16 * j + 2 * k] = static_cast<uint8_t>(bit / 8 - base);
      r[16 * j + 2 * k + 1] = static_cast<uint8_t>(bit / 8 - base + 1);
    }
  }
  return r;
}
constexpr std::array<uint16_t, 32> Lut6Shifts() {
  std::array<uint16_t, 32> r{};
  for (int i = 0; i < 32; ++i) r[i] = static_cast<uint16_t>((6 * i) % 8);
  return r;
}
alignas(64) constexpr std::array<uint8_t, 64> kLut6ByteRoute = Lut6ByteRoute();
alignas(64) constexpr std::array<uint16_t, 32> kLut6Shifts = Lut6Shifts();

// Returns the row's lane-wise partial sums; columns past the last whole block go to *tail.
HWY_INLINE __m512 RowDotLut6Avx512(const uint8_t* row, const uint8_t* end, const float* xp, const float* x,
                                   int64_t cols, float* tail, const Lut6TablesAvx512& t, const float* lut) {
  // Each half reads 32 bytes (a ymm load) of which it uses 25.
  const int64_t steps = SafeSteps(row, end, cols, kLut6BlockCols, kLut6BlockCols * 6 / 8, 24 + 32);
  const __m512i dword_route = _mm512_load_si512(kLut6DwordRoute);
  const __m512i byte_route = _mm512_load_si512(kLut6ByteRoute.data());
  const __m512i shifts = _mm512_load_si512(kLut6Shifts.data());
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  auto half = [&](const uint8_t* p, const float* xs, __m512& lo_acc, __m512& hi_acc) HWY_ATTR {
    const __m512i raw = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    const __m512i spread = _mm512_permutexvar_epi32(dword_route, raw);
    const __m512i idx = _mm512_srlv_epi16(_mm512_shuffle_epi8(spread, byte_route), shifts);
    const __m512i high = _mm512_permutex2var_epi16(t.high_a, idx, t.high_b);
    const __m512i low = _mm512_permutex2var_epi16(t.low_a, idx, t.low_b);
    lo_acc = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_unpacklo_epi16(low, high)), _mm512_loadu_ps(xs), lo_acc);
    hi_acc = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_unpackhi_epi16(low, high)), _mm512_loadu_ps(xs + 16), hi_acc);
  };
  for (int64_t s = 0; s < steps; ++s) {
    const uint8_t* p = row + s * (kLut6BlockCols * 6 / 8);
    const float* xs = xp + s * kLut6BlockCols;
    half(p, xs, a0, a1);
    half(p + 24, xs + 32, a2, a3);
  }
  float sum = 0.0f;
  for (int64_t c = steps * kLut6BlockCols; c < cols; ++c) sum += lut[ReadPackedIndex(row, 6, c)] * x[c];
  *tail = sum;
  return _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
}

#define ANEMLL_SUM_LANES16_ATTR HWY_INLINE
#include "kernels/sum_lanes16-inl.h"
#undef ANEMLL_SUM_LANES16_ATTR

template <int kBits>
void GemvRowsAvx512(const float* x, const float* xp, const LutMatrixRef& w, const float* bias, float* y, int64_t r0,
                    int64_t r1) {
  static_assert(kBits == 4 || kBits == 6);
  const uint8_t* end = w.indices + w.indices_bytes;
  const int64_t entries = int64_t{1} << kBits;
  const int64_t row_bytes = w.cols * kBits / 8;
  int64_t group = -1;
  __m512 table4 = _mm512_setzero_ps();
  Lut6TablesAvx512 table6{};
  // Byte offsets of this thread's rows; the first stretch is fetched up front.
  const int64_t range_end = r1 * row_bytes;
  for (int64_t q = r0 * row_bytes; q < std::min(range_end, r0 * row_bytes + kPrefetchBytesAvx512); q += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(w.indices + q), _MM_HINT_T1);
  }
  // Rows go in batches of 16 so that one SumLanes16 finishes them all.
  for (int64_t rb = r0; rb < r1; rb += 16) {
    const int64_t batch = std::min<int64_t>(16, r1 - rb);
    __m512 partial[16];
    alignas(64) float tail[16] = {};
    for (int64_t i = 0; i < batch; ++i) {
      const int64_t r = rb + i;
      const int64_t g = r / w.rows_per_group;
      const float* lut = w.lut + g * entries;
      if (g != group) {
        if constexpr (kBits == 4) {
          table4 = _mm512_loadu_ps(lut);
        } else {
          table6.Load(lut);
        }
        group = g;
      }
      const uint8_t* row = w.indices + r * row_bytes;
      const int64_t ahead_end = std::min(range_end, (r + 1) * row_bytes + kPrefetchBytesAvx512);
      for (int64_t q = r * row_bytes + kPrefetchBytesAvx512; q < ahead_end; q += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(w.indices + q), _MM_HINT_T1);
      }
      if constexpr (kBits == 4) {
        partial[i] = RowDotLut4Avx512(row, end, xp, x, w.cols, &tail[i], table4, lut);
      } else {
        partial[i] = RowDotLut6Avx512(row, end, xp, x, w.cols, &tail[i], table6, lut);
      }
    }
    for (int64_t i = batch; i < 16; ++i) partial[i] = _mm512_setzero_ps();
    __m512 sums = _mm512_add_ps(SumLanes16(partial), _mm512_load_ps(tail));
    const __mmask16 live = static_cast<__mmask16>((1u << batch) - 1u);
    if (bias != nullptr) sums = _mm512_add_ps(sums, _mm512_maskz_loadu_ps(live, bias + rb));
    _mm512_mask_storeu_ps(y + rb, live, sums);
  }
}
#endif  // ANEMLL_LUT_AVX512

// Writes into xp the x order the GEMV kernel of this target consumes for `bits`, and returns
// true; returns false (xp untouched) when that kernel reads x as it is. On AVX-512 the 4- and
// 6-bit kernels have their own orders; elsewhere the 4-bit kernel takes, per block of 2*kN
// columns, the even columns then the odd ones (how one u8->u32 widening load splits into low and
// high nibbles).
bool PermuteForLut(int bits, const float* x, int64_t cols, float* xp) {
#if ANEMLL_LUT_AVX512
  if (bits == 4) {
    PermuteXLut4Avx512(x, cols, xp);
    return true;
  }
  if (bits == 6) {
    PermuteXLut6Avx512(x, cols, xp);
    return true;
  }
#endif
  if (bits != 4) return false;
  const int64_t block = 2 * static_cast<int64_t>(kN);
  const int64_t blocks = cols / block;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* src = x + b * block;
    float* dst = xp + b * block;
    for (size_t i = 0; i < kN; ++i) {
      dst[i] = src[2 * i];
      dst[kN + i] = src[2 * i + 1];
    }
  }
  return true;
}

// Scalar decode of a row + SIMD dot: the path for rows that do not start on a byte boundary.
HWY_INLINE float RowDotScalarDecode(const LutMatrixRef& w, int64_t r, const float* x, float* scratch) {
  const float* lut = w.lut + (r / w.rows_per_group) * (int64_t{1} << w.bits);
  const int64_t first = r * w.cols;
  for (int64_t c = 0; c < w.cols; ++c) scratch[c] = lut[ReadPackedIndex(w.indices, w.bits, first + c)];
  const DF d;
  VF acc = hn::Zero(d);
  int64_t c = 0;
  for (; c + static_cast<int64_t>(kN) <= w.cols; c += static_cast<int64_t>(kN)) {
    acc = hn::MulAdd(hn::LoadU(d, scratch + c), hn::LoadU(d, x + c), acc);
  }
  float sum = SumLanes(d, acc);
  for (; c < w.cols; ++c) sum += scratch[c] * x[c];
  return sum;
}

#if ANEMLL_LUT_SIMD
constexpr int64_t kPrefetchRows = 16;  // rows ahead of the one being multiplied

template <int kBits>
void GemvRowsBits(const float* x, const float* xp, const LutMatrixRef& w, const float* bias, float* y, int64_t r0,
                  int64_t r1) {
#if ANEMLL_LUT_AVX512
  if constexpr (kBits == 4 || kBits == 6) {
    GemvRowsAvx512<kBits>(x, xp, w, bias, y, r0, r1);
    return;
  }
#endif
  Palette<kBits> pal;
  [[maybe_unused]] const StreamDecoder<kBits> dec;
  const uint8_t* end = w.indices + w.indices_bytes;
  const int64_t entries = int64_t{1} << kBits;
  const int64_t row_bytes = w.cols * kBits / 8;
  int64_t group = -1;
  int64_t r = r0;
  if constexpr (kBits == 4) {
    Palette<kBits> pal_b;
    int64_t group_b = -1;
    for (; r + 1 < r1; r += 2) {
      const int64_t ga = r / w.rows_per_group, gb = (r + 1) / w.rows_per_group;
      const float* lut_a = w.lut + ga * entries;
      const float* lut_b = w.lut + gb * entries;
      if (ga != group) {
        pal.Load(lut_a);
        group = ga;
      }
      if (gb != group_b) {
        pal_b.Load(lut_b);
        group_b = gb;
      }
      // Hardware prefetchers ramp up slowly on these short row streams; fetch ahead explicitly.
      if (r + kPrefetchRows + 1 < w.rows) {
        const uint8_t* ahead = w.indices + (r + kPrefetchRows) * row_bytes;
        for (int64_t off = 0; off < 2 * row_bytes; off += 64) hwy::Prefetch(ahead + off);
      }
      float sa, sb;
      RowDotLut4x2(w.indices + r * row_bytes, w.indices + (r + 1) * row_bytes, end, xp, x, w.cols, pal, pal_b, lut_a,
                   lut_b, &sa, &sb);
      y[r] = bias ? sa + bias[r] : sa;
      y[r + 1] = bias ? sb + bias[r + 1] : sb;
    }
  }
  for (; r < r1; ++r) {
    const int64_t g = r / w.rows_per_group;
    const float* lut = w.lut + g * entries;
    if (g != group) {
      pal.Load(lut);
      group = g;
    }
    const uint8_t* row = w.indices + r * row_bytes;
    if (r + kPrefetchRows < w.rows) {
      const uint8_t* ahead = w.indices + (r + kPrefetchRows) * row_bytes;
      for (int64_t off = 0; off < row_bytes; off += 64) hwy::Prefetch(ahead + off);
    }
    float s;
    if constexpr (kBits == 4) {
      s = RowDotLut4(row, end, xp, x, w.cols, pal, lut);
    } else if constexpr (kBits == 8) {
      s = RowDotLut8(row, x, w.cols, pal);
    } else {
      s = RowDotStream<kBits>(row, end, x, w.cols, pal, dec, lut);
    }
    y[r] = bias ? s + bias[r] : s;
  }
}

#endif  // ANEMLL_LUT_SIMD

// y[r0:r1] for one x row. xp = x as PermuteForLut ordered it (x itself if it did not); scratch holds
// w.cols floats (used when rows are not byte-aligned).
void LutGemvRows(const float* x, const float* xp, const LutMatrixRef& w, const float* bias, float* y, int64_t r0,
                 int64_t r1, float* scratch) {
  const bool aligned = (w.cols * w.bits) % 8 == 0;
  if (!kLutSimd || !aligned) {
    for (int64_t r = r0; r < r1; ++r) {
      const float s = RowDotScalarDecode(w, r, x, scratch);
      y[r] = bias ? s + bias[r] : s;
    }
    return;
  }
#if ANEMLL_LUT_SIMD
  switch (w.bits) {
    case 1: return GemvRowsBits<1>(x, xp, w, bias, y, r0, r1);
    case 2: return GemvRowsBits<2>(x, xp, w, bias, y, r0, r1);
    case 3: return GemvRowsBits<3>(x, xp, w, bias, y, r0, r1);
    case 4: return GemvRowsBits<4>(x, xp, w, bias, y, r0, r1);
    case 6: return GemvRowsBits<6>(x, xp, w, bias, y, r0, r1);
    default: return GemvRowsBits<8>(x, xp, w, bias, y, r0, r1);
  }
#endif
}

#if ANEMLL_LUT_SIMD
template <int kBits>
void DecodeRowBits(const LutMatrixRef& w, int64_t r, float* out) {
  const DF d;
  const DU du;
  Palette<kBits> pal;
  const float* lut = w.lut + (r / w.rows_per_group) * (int64_t{1} << kBits);
  pal.Load(lut);
  const uint8_t* row = w.indices + r * (w.cols * kBits / 8);
  int64_t c = 0;
  if constexpr (kBits == 8) {
    const hn::Rebind<uint8_t, DU> d8n;
    for (; c + static_cast<int64_t>(kN) <= w.cols; c += static_cast<int64_t>(kN)) {
      hn::StoreU(pal.Lookup(hn::PromoteTo(du, hn::LoadU(d8n, row + c))), d, out + c);
    }
  } else {
    using Dec = StreamDecoder<kBits>;
    const Dec dec;
    const int64_t steps =
        SafeSteps(row, w.indices + w.indices_bytes, w.cols, Dec::kVecs * kN, Dec::kStepBytes, Dec::kReadBytes);
    for (int64_t s = 0; s < steps; ++s) {
      VU idx[Dec::kVecs];
      dec.Decode(row + s * static_cast<int64_t>(Dec::kStepBytes), idx);
      for (size_t v = 0; v < Dec::kVecs; ++v) hn::StoreU(pal.Lookup(idx[v]), d, out + c + v * kN);
      c += static_cast<int64_t>(Dec::kVecs * kN);
    }
  }
  for (; c < w.cols; ++c) out[c] = lut[ReadPackedIndex(row, kBits, c)];
}

#endif  // ANEMLL_LUT_SIMD

void DecodeRowImpl(const LutMatrixRef& w, int64_t r, float* out) {
  const bool aligned = (w.cols * w.bits) % 8 == 0;
  if (!kLutSimd || !aligned) {
    const float* lut = w.lut + (r / w.rows_per_group) * (int64_t{1} << w.bits);
    for (int64_t c = 0; c < w.cols; ++c) out[c] = lut[ReadPackedIndex(w.indices, w.bits, r * w.cols + c)];
    return;
  }
#if ANEMLL_LUT_SIMD
  switch (w.bits) {
    case 1: return DecodeRowBits<1>(w, r, out);
    case 2: return DecodeRowBits<2>(w, r, out);
    case 3: return DecodeRowBits<3>(w, r, out);
    case 4: return DecodeRowBits<4>(w, r, out);
    case 6: return DecodeRowBits<6>(w, r, out);
    default: return DecodeRowBits<8>(w, r, out);
  }
#endif
}

// GEMM rows [r0, r1): decode a block of weight rows into `scratch` (kGemmRows x cols floats),
// then run the dense fp32 GEMM tile kernels over all x rows, so each x row is read once per block.
constexpr int64_t kGemmRows = 16;

void LutGemmRows(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const float* bias, float* y,
                 int64_t y_stride, int64_t r0, int64_t r1, float* scratch) {
  for (int64_t r = r0; r < r1; r += kGemmRows) {
    const int64_t rows = std::min(kGemmRows, r1 - r);
    for (int64_t i = 0; i < rows; ++i) DecodeRowImpl(w, r + i, scratch + i * w.cols);
    GemmXWt(x, n, x_stride, MatrixRef::F32(scratch, rows, w.cols), bias ? bias + r : nullptr, y + r, y_stride,
            nullptr);
  }
}

#undef ANEMLL_LUT_SIMD
#undef ANEMLL_LUT_AVX512
}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace anemll::kernels {

HWY_EXPORT(PermuteForLut);
HWY_EXPORT(LutGemvRows);
HWY_EXPORT(LutGemmRows);
HWY_EXPORT(DecodeRowImpl);

bool IsSupportedLutBits(int bits) {
  return bits == 1 || bits == 2 || bits == 3 || bits == 4 || bits == 6 || bits == 8;
}

void WritePackedIndex(uint8_t* stream, int bits, int64_t i, uint32_t value) {
  const uint64_t bit = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  for (int b = 0; b < bits; ++b) {
    const uint64_t k = bit + static_cast<uint64_t>(b);
    const uint8_t m = static_cast<uint8_t>(1u << (k % 8));
    if ((value >> b) & 1u) {
      stream[k / 8] |= m;
    } else {
      stream[k / 8] &= static_cast<uint8_t>(~m);
    }
  }
}

namespace {
// Per-thread scratch, grown on demand so steady-state calls do not allocate.
float* ThreadScratch(int slot, size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& b = buffers[slot];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}
}  // namespace

void LutGemmXWt(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const float* bias, float* y,
                int64_t y_stride, ThreadPool* pool) {
  if (n <= 0 || w.rows <= 0) return;
  // Rows per work item: at least ~64K weights per task so small layers stay on one thread.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (w.rows + kBlock - 1) / kBlock;
  const size_t min_blocks = static_cast<size_t>(std::max<int64_t>(1, (int64_t{1} << 16) / (kBlock * std::max<int64_t>(1, w.cols * n))));
  const float* xp = x;
  if (n == 1) {
    float* buf = ThreadScratch(0, static_cast<size_t>(w.cols));
    if (HWY_DYNAMIC_DISPATCH(PermuteForLut)(w.bits, x, w.cols, buf)) xp = buf;
  }
  struct Args {
    const float* x;
    const float* xp;
    int64_t n, x_stride;
    const LutMatrixRef* w;
    const float* bias;
    float* y;
    int64_t y_stride;
  } args{x, xp, n, x_stride, &w, bias, y, y_stride};
  auto run = [&args](size_t b0, size_t b1) {
    const Args& a = args;
    const int64_t r0 = static_cast<int64_t>(b0) * kBlock;
    const int64_t r1 = std::min(a.w->rows, static_cast<int64_t>(b1) * kBlock);
    float* scratch = ThreadScratch(1, static_cast<size_t>(a.w->cols * (a.n == 1 ? 1 : 16)));
    if (a.n == 1) {
      HWY_DYNAMIC_DISPATCH(LutGemvRows)(a.x, a.xp, *a.w, a.bias, a.y, r0, r1, scratch);
    } else {
      HWY_DYNAMIC_DISPATCH(LutGemmRows)(a.x, a.n, a.x_stride, *a.w, a.bias, a.y, a.y_stride, r0, r1, scratch);
    }
  };
  if (pool == nullptr || pool->num_threads() == 1) {
    run(0, static_cast<size_t>(blocks));
    return;
  }
  pool->ParallelFor(static_cast<size_t>(blocks), run, min_blocks);
}

void DecodeLutRow(const LutMatrixRef& w, int64_t row, float* out) { HWY_DYNAMIC_DISPATCH(DecodeRowImpl)(w, row, out); }

namespace scalar {

void DecodeLutRow(const LutMatrixRef& w, int64_t row, float* out) {
  const float* lut = w.lut + (row / w.rows_per_group) * (int64_t{1} << w.bits);
  for (int64_t c = 0; c < w.cols; ++c) out[c] = lut[ReadPackedIndex(w.indices, w.bits, row * w.cols + c)];
}

void LutGemmXWt(const float* x, int64_t n, int64_t x_stride, const LutMatrixRef& w, const float* bias, float* y,
                int64_t y_stride) {
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    scalar::DecodeLutRow(w, r, row.data());
    for (int64_t i = 0; i < n; ++i) {
      double s = 0.0;
      for (int64_t c = 0; c < w.cols; ++c) s += static_cast<double>(row[c]) * x[i * x_stride + c];
      if (bias) s += bias[r];
      y[i * y_stride + r] = static_cast<float>(s);
    }
  }
}

}  // namespace scalar
}  // namespace anemll::kernels
#endif  // HWY_ONCE
