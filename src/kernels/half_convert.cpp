#include "kernels/half_convert.h"

#include <cmath>

#include "base/half.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/half_convert.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/hwy_helpers-inl.h"

HWY_BEFORE_NAMESPACE();
namespace anemll::kernels {
namespace HWY_NAMESPACE {

void HalfToFloatImpl(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  if constexpr (kHasF16Hardware) {
    const hn::ScalableTag<float> d;
    const size_t N = hn::Lanes(d);
    for (; i + N <= n; i += N) hn::StoreU(LoadHalfAsFloat(d, src + i), d, dst + i);
  }
  for (; i < n; ++i) dst[i] = anemll::HalfToFloat(src[i]);
}

void FloatToHalfImpl(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  if constexpr (kHasF16Hardware) {
    const hn::ScalableTag<float> d;
    const hn::Rebind<hwy::float16_t, decltype(d)> dh;
    const size_t N = hn::Lanes(d);
    for (; i + N <= n; i += N) {
      hn::StoreU(hn::DemoteTo(dh, hn::LoadU(d, src + i)), dh, reinterpret_cast<hwy::float16_t*>(dst + i));
    }
  }
  for (; i < n; ++i) dst[i] = anemll::FloatToHalf(src[i]);
}

void RoundToHalfImpl(float* data, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(RoundToHalfVec(d, hn::LoadU(d, data + i)), d, data + i);
  for (; i < n; ++i) data[i] = anemll::RoundToHalf(data[i]);
}

}  // namespace HWY_NAMESPACE
}  // namespace anemll::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace anemll::kernels {

HWY_EXPORT(HalfToFloatImpl);
HWY_EXPORT(FloatToHalfImpl);
HWY_EXPORT(RoundToHalfImpl);

void HalfToFloat(const uint16_t* src, float* dst, size_t n) { HWY_DYNAMIC_DISPATCH(HalfToFloatImpl)(src, dst, n); }
void FloatToHalf(const float* src, uint16_t* dst, size_t n) { HWY_DYNAMIC_DISPATCH(FloatToHalfImpl)(src, dst, n); }
void RoundToHalf(float* data, size_t n) { HWY_DYNAMIC_DISPATCH(RoundToHalfImpl)(data, n); }

namespace scalar {
void HalfToFloat(const uint16_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = anemll::HalfToFloat(src[i]);
}
void FloatToHalf(const float* src, uint16_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = anemll::FloatToHalf(src[i]);
}
void RoundToHalf(float* data, size_t n) {
  for (size_t i = 0; i < n; ++i) data[i] = anemll::RoundToHalf(data[i]);
}
}  // namespace scalar

}  // namespace anemll::kernels
#endif  // HWY_ONCE
