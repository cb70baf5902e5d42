// Picking the next token from logits: greedy at temperature 0, otherwise temperature, top-k and
// top-p (nucleus) sampling as transformers applies them, with an optional repetition penalty.
// Seeded std::mt19937_64 with our own uniform mapping, so a seed gives the same tokens on every
// platform.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "base/status.h"

namespace anemll::generate {

struct SamplingOptions {
  double temperature = 0.0;         // 0: greedy (argmax, first max wins)
  int64_t top_k = 0;                // 0: off
  double top_p = 1.0;               // 1: off
  double repetition_penalty = 1.0;  // 1: off; >1 discourages tokens already in the history
  uint64_t seed = 0;
};

// temperature >= 0, top_k >= 0, 0 < top_p <= 1, repetition_penalty > 0; errors name the flag.
Status ValidateSamplingOptions(const SamplingOptions& options);

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {}

  // `history`: tokens seen so far (prompt + generated), for the repetition penalty.
  int32_t Sample(std::span<const float> logits, std::span<const int32_t> history);
  bool greedy() const { return options_.temperature <= 0.0; }

  // The steps, exposed for tests. Each works in place on scores [vocab].
  static void ApplyRepetitionPenalty(std::vector<float>& scores, std::span<const int32_t> history, double penalty);
  // Scores below the k-th largest become -inf (ties with it are kept).
  static void ApplyTopK(std::vector<float>& scores, int64_t k);
  // Keeps the smallest set of highest-probability tokens whose probability mass reaches p: sorted
  // ascending, tokens whose cumulative probability is <= 1 - p become -inf; the top one always stays.
  static void ApplyTopP(std::vector<float>& scores, double p);
  // Probabilities (softmax of the remaining scores), in double.
  static std::vector<double> Probabilities(const std::vector<float>& scores);

 private:
  // Uniform in [0, 1) from the top 53 bits of one engine draw.
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

  SamplingOptions options_;
  std::mt19937_64 rng_;
};

int32_t Argmax(std::span<const float> logits);

}  // namespace anemll::generate
