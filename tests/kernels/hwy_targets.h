// Runs a test body once per SIMD target compiled into the kernels and supported by this CPU, so
// every dispatch path (AVX-512, AVX2, SSE4, emulated, scalar) is checked against the scalar twins.
#pragma once

#include <gtest/gtest.h>

#include <functional>

#include "hwy/targets.h"

namespace anemll::testing {

inline void ForEachSimdTarget(const std::function<void()>& body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace anemll::testing
