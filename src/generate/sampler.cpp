#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace anemll::generate {

namespace {
constexpr float kMasked = -std::numeric_limits<float>::infinity();
}

Status ValidateSamplingOptions(const SamplingOptions& o) {
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) {
    return InvalidArgument("--temperature: must be >= 0, got ", o.temperature);
  }
  if (o.top_k < 0) return InvalidArgument("--top-k: must be >= 0, got ", o.top_k);
  if (!(o.top_p > 0 && o.top_p <= 1)) return InvalidArgument("--top-p: must be in (0, 1], got ", o.top_p);
  if (!(o.repetition_penalty > 0) || !std::isfinite(o.repetition_penalty)) {
    return InvalidArgument("--repetition-penalty: must be > 0, got ", o.repetition_penalty);
  }
  return Status::Ok();
}

int32_t Argmax(std::span<const float> logits) {
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

void Sampler::ApplyRepetitionPenalty(std::vector<float>& scores, std::span<const int32_t> history, double penalty) {
  if (penalty == 1.0) return;
  std::vector<bool> seen(scores.size(), false);
  const float p = static_cast<float>(penalty);
  for (int32_t t : history) {
    if (t < 0 || static_cast<size_t>(t) >= scores.size() || seen[static_cast<size_t>(t)]) continue;
    seen[static_cast<size_t>(t)] = true;
    float& s = scores[static_cast<size_t>(t)];
    s = s < 0 ? s * p : s / p;
  }
}

void Sampler::ApplyTopK(std::vector<float>& scores, int64_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= scores.size()) return;
  std::vector<float> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  const float kth = sorted[static_cast<size_t>(k - 1)];
  for (float& s : scores) {
    if (s < kth) s = kMasked;
  }
}

std::vector<double> Sampler::Probabilities(const std::vector<float>& scores) {
  std::vector<double> p(scores.size(), 0.0);
  const float m = *std::max_element(scores.begin(), scores.end());
  if (m == kMasked) return p;
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    p[i] = scores[i] == kMasked ? 0.0 : std::exp(static_cast<double>(scores[i]) - m);
    sum += p[i];
  }
  for (double& v : p) v /= sum;
  return p;
}

void Sampler::ApplyTopP(std::vector<float>& scores, double top_p) {
  if (top_p >= 1.0) return;
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  const std::vector<double> probs = Probabilities(scores);
  double cumulative = 0;
  for (size_t r = 0; r + 1 < order.size(); ++r) {  // the last (largest) always stays
    cumulative += probs[order[r]];
    if (cumulative <= 1.0 - top_p) scores[order[r]] = kMasked;
  }
}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history) {
  std::vector<float> scores(logits.begin(), logits.end());
  if (scores.empty()) return -1;
  ApplyRepetitionPenalty(scores, history, options_.repetition_penalty);
  if (greedy()) return Argmax(scores);
  const float t = static_cast<float>(options_.temperature);
  for (float& s : scores) s = s / t;
  ApplyTopK(scores, options_.top_k);
  ApplyTopP(scores, options_.top_p);
  const std::vector<double> probs = Probabilities(scores);
  const double u = Uniform();
  double cumulative = 0;
  size_t last_nonzero = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] == 0) continue;
    last_nonzero = i;
    cumulative += probs[i];
    if (u < cumulative) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(last_nonzero);  // rounding left u just above the total
}

}  // namespace anemll::generate
