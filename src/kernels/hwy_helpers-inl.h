// Per-target Highway helpers shared by the kernel files (included once per target by
// foreach_target, hence the toggling include guard instead of #pragma once).
#if defined(ANEMLL_KERNELS_HWY_HELPERS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ANEMLL_KERNELS_HWY_HELPERS_INL_H_
#undef ANEMLL_KERNELS_HWY_HELPERS_INL_H_
#else
#define ANEMLL_KERNELS_HWY_HELPERS_INL_H_
#endif

#include <cstdint>
#include <limits>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Whether this target converts fp16 in hardware (F16C / NEON). Highway 1.0.3's emulated
// DemoteTo truncates instead of rounding and its PromoteTo does not keep inf/NaN, so the
// conversion kernels fall back to the scalar code on the other targets.
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_ARCH_ARM_A64
constexpr bool kHasF16Hardware = true;
#else
constexpr bool kHasF16Hardware = false;
#endif

// Loads Lanes(d) fp16 values (raw bits) and widens them to float. Exact for finite values on
// every target (the emulation handles subnormals), which is all that weights contain.
template <class D>
HWY_INLINE hn::Vec<D> LoadHalfAsFloat(D d, const uint16_t* p) {
  const hn::Rebind<hwy::float16_t, D> dh;
  return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
}

template <class D>
HWY_INLINE float SumLanes(D d, hn::Vec<D> v) {
  return hn::GetLane(hn::SumOfLanes(d, v));
}

// The nearest fp16 value of each lane, as float (round to nearest even, overflow -> +-inf,
// NaN unchanged). Pure integer/float lane math, so it is exact on every target.
template <class D>
HWY_INLINE hn::Vec<D> RoundToHalfVec(D d, hn::Vec<D> v) {
  const hn::RebindToUnsigned<D> du;
  const auto bits = hn::BitCast(du, v);
  const auto abs = hn::Abs(v);
  // Normal fp16 range: round the fp32 mantissa to 10 bits (ties to even) with integer math.
  const auto odd = hn::And(hn::ShiftRight<13>(bits), hn::Set(du, 1u));
  const auto rounded_bits =
      hn::And(hn::Add(bits, hn::Add(hn::Set(du, 0x0fffu), odd)), hn::Set(du, ~0x1fffu));
  auto result = hn::BitCast(d, rounded_bits);
  // Subnormal fp16 range (|v| < 2^-14): adding 0.5 makes the FPU round to a multiple of 2^-24.
  const auto half = hn::Set(d, 0.5f);
  const auto sub = hn::CopySignToAbs(hn::Sub(hn::Add(abs, half), half), v);
  result = hn::IfThenElse(hn::Lt(abs, hn::Set(d, 6.103515625e-05f)), sub, result);
  // Overflow: |v| >= 65520 rounds to infinity.
  const auto inf = hn::CopySignToAbs(hn::Set(d, std::numeric_limits<float>::infinity()), v);
  result = hn::IfThenElse(hn::Ge(abs, hn::Set(d, 65520.0f)), inf, result);
  // NaN stays NaN (v != v).
  return hn::IfThenElse(hn::Eq(v, v), result, v);
}

}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#endif  // ANEMLL_KERNELS_HWY_HELPERS_INL_H_
