// Sampling: greedy, repetition penalty, top-k, top-p (transformers' semantics), seeded draws.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "generate/sampler.h"

namespace anemll::generate {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(Sampler, GreedyPicksFirstMaximum) {
  Sampler s(SamplingOptions{});
  const std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_TRUE(s.greedy());
  EXPECT_EQ(s.Sample(logits, {}), 1);
  EXPECT_EQ(Argmax(logits), 1);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  std::vector<float> scores = {2.0f, -2.0f, 1.0f, 4.0f};
  const std::vector<int32_t> history = {0, 1, 1, 99, -3};  // repeats and out-of-range ids are harmless
  Sampler::ApplyRepetitionPenalty(scores, history, 2.0);
  EXPECT_EQ(scores, (std::vector<float>{1.0f, -4.0f, 1.0f, 4.0f}));
  // Greedy honours the penalty too: token 3 (4.0) is repeated and drops to 2.0 < 2.5.
  SamplingOptions o;
  o.repetition_penalty = 2.0;
  Sampler s(o);
  const std::vector<float> logits = {2.5f, 0.0f, 0.0f, 4.0f};
  const std::vector<int32_t> seen = {3};
  EXPECT_EQ(s.Sample(logits, seen), 0);
}

TEST(Sampler, TopKKeepsTiesWithTheKthScore) {
  std::vector<float> scores = {1.0f, 5.0f, 3.0f, 3.0f, 0.0f};
  Sampler::ApplyTopK(scores, 2);
  EXPECT_EQ(scores, (std::vector<float>{-kInf, 5.0f, 3.0f, 3.0f, -kInf}));
  std::vector<float> all = {1.0f, 2.0f};
  Sampler::ApplyTopK(all, 5);
  EXPECT_EQ(all, (std::vector<float>{1.0f, 2.0f}));
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // probabilities 0.5, 0.25, 0.125, 0.125 (log-space logits)
  const std::vector<float> base = {std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.125f)};
  std::vector<float> s1 = base;
  Sampler::ApplyTopP(s1, 0.7);  // ascending cumulative 0.125, 0.25, 0.5, 1: <= 0.3 removed -> 2 dropped
  EXPECT_EQ(s1[2], -kInf);
  EXPECT_EQ(s1[3], -kInf);
  EXPECT_EQ(s1[0], base[0]);
  EXPECT_EQ(s1[1], base[1]);
  std::vector<float> s2 = base;
  Sampler::ApplyTopP(s2, 0.1);  // only the top token survives, never fewer than one
  EXPECT_EQ(s2[0], base[0]);
  EXPECT_EQ(s2[1], -kInf);
  // After filtering, the kept probabilities are renormalised.
  auto p = Sampler::Probabilities(s1);
  EXPECT_NEAR(p[0], 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(p[1], 1.0 / 3.0, 1e-6);
  EXPECT_EQ(p[2], 0.0);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
  std::vector<float> logits(64);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(i * 1.7));
  auto draw = [&](uint64_t seed) {
    SamplingOptions o;
    o.temperature = 1.0;
    o.seed = seed;
    Sampler s(o);
    std::vector<int32_t> out;
    for (int i = 0; i < 32; ++i) out.push_back(s.Sample(logits, {}));
    return out;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

TEST(Sampler, DrawFrequenciesFollowTheFilteredDistribution) {
  // softmax of {log 0.6, log 0.3, log 0.1} with top_k = 2: 2/3 and 1/3.
  const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  SamplingOptions o;
  o.temperature = 1.0;
  o.top_k = 2;
  o.seed = 1234;
  Sampler s(o);
  std::map<int32_t, int> counts;
  constexpr int kDraws = 30000;
  for (int i = 0; i < kDraws; ++i) counts[s.Sample(logits, {})]++;
  EXPECT_EQ(counts[2], 0);
  // 5 standard deviations of a binomial(30000, 2/3) is ~0.014.
  constexpr double kFreqTol = 0.014;
  EXPECT_NEAR(counts[0] / double(kDraws), 2.0 / 3.0, kFreqTol);
  // Low temperature sharpens toward the top token.
  o.temperature = 0.05;
  o.top_k = 0;
  Sampler cold(o);
  int top = 0;
  for (int i = 0; i < 1000; ++i) top += cold.Sample(logits, {}) == 0;
  EXPECT_GT(top, 990);
}

TEST(Sampler, InvalidOptionsNameTheFlag) {
  SamplingOptions o;
  o.temperature = -1;
  EXPECT_EQ(ValidateSamplingOptions(o).message(), "--temperature: must be >= 0, got -1");
  o = {};
  o.top_p = 0;
  EXPECT_EQ(ValidateSamplingOptions(o).message(), "--top-p: must be in (0, 1], got 0");
  o = {};
  o.top_k = -2;
  EXPECT_EQ(ValidateSamplingOptions(o).message(), "--top-k: must be >= 0, got -2");
  o = {};
  o.repetition_penalty = 0;
  EXPECT_FALSE(ValidateSamplingOptions(o).ok());
  EXPECT_TRUE(ValidateSamplingOptions(SamplingOptions{}).ok());
}

}  // namespace
}  // namespace anemll::generate
