// Rotary position embedding tables, computed as transformers does (fp32 inverse frequencies,
// fp32 angle = inv_freq * position, rotate-half layout with the two halves sharing frequencies).
#pragma once

#include <cstdint>
#include <vector>

#include "hf/model_spec.h"

namespace anemll::hf {

// Inverse frequencies [head_dim / 2]: base^(-2i/head_dim), then linear (/ factor) or llama3
// (frequency-dependent) scaling.
std::vector<float> RopeInverseFrequencies(const RopeSpec& rope, int64_t head_dim);

// cos and sin of position * inv_freq for one position: each [head_dim / 2] (the second half of
// a head uses the same values).
void RopeCosSin(const std::vector<float>& inv_freq, int64_t position, float* cos_out, float* sin_out);

}  // namespace anemll::hf
