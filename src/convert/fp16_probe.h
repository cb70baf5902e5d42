// How large the residual stream gets: an fp32 forward pass over a few dozen calibration tokens
// that loads one layer's weights at a time (so it costs one layer of fp32 memory, not the whole
// model) and records max |x| after every residual add. It is the same computation as the
// reference forward pass (reference/ops.h kernels, checked against reference::Session in the
// tests); the converter uses it for the fp16 overflow warning and for --fp16-scale auto.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "hf/checkpoint.h"

namespace anemll::convert {

// A measured peak: |x| max and where it occurred.
struct ResidualPeak {
  float value = 0.0f;
  int64_t layer = -1;
  bool after_mlp = false;  // else after the attention residual add
  std::string Where() const;  // "layer 3 (mlp residual)"
};

struct ProbeResult {
  ResidualPeak peak;
  std::vector<float> attention_peaks;  // [num_layers]
  std::vector<float> mlp_peaks;        // [num_layers]
  int64_t tokens = 0;
};

// Runs the probe over `tokens` (ids < vocab). `threads` 0: all cores. `on_layer(n)` is called
// after each of the n layers done (for progress reporting).
Result<ProbeResult> MeasureResidualPeaks(const hf::Checkpoint& checkpoint, const std::vector<int32_t>& tokens,
                                         int threads = 0, const std::function<void(int64_t)>& on_layer = {});

// The calibration tokens: a fixed English text through the model folder's tokenizer.json when
// there is one (at most `count` tokens), else `count` fixed ids spread over the vocabulary.
std::vector<int32_t> CalibrationTokens(const std::filesystem::path& model_dir, int64_t vocab_size, int count);

// ANEMLL's rule for --fp16-scale auto: alpha = 50000 / peak, at most 1 (1 = no scaling).
constexpr double kFp16ScaleTarget = 50000.0;
double AutoFp16Scale(float peak);

}  // namespace anemll::convert
