// `anemll bench`: the JSON line's keys and consistency (bandwidth = bytes × decode rate), the
// converted folder's weight bytes per token (about the fp16 parameter bytes), and bad flags.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kernels/lut_int8.h"

#include "support/test_support.h"

namespace anemll {
namespace {

using testing::CountLines;
using testing::ModelDir;
using testing::RunCli;
using testing::TempDir;

// stories260K: 260,000-odd parameters, tied embeddings [512, 64].
constexpr double kStoriesParams = 0.26e6;

nlohmann::json BenchJson(const std::vector<std::string>& args) {
  auto r = RunCli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CountLines(r.out), 1) << r.out;
  return nlohmann::json::parse(r.out);
}

TEST(BenchCli, JsonLineOnConvertedAndReference) {
  TempDir tmp;
  auto conv = RunCli({"convert", "--model", ModelDir("stories260K").string(), "--output", (tmp / "out").string(),
                      "--context", "64", "--batch", "8", "--lut1", "none", "--lut2", "none", "--lut3", "none"});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  for (const std::string& model : {(tmp / "out").string(), ModelDir("stories260K").string()}) {
    const nlohmann::json j = BenchJson({"bench", "--model", model, "--prompt-tokens", "20", "--gen-tokens", "8",
                                        "--repetitions", "2", "--threads", "1", "--json"});
    for (const char* key : {"prefill_tok_s", "decode_tok_s", "weight_bytes_per_token", "decode_gb_s", "threads"}) {
      ASSERT_TRUE(j.contains(key)) << key << " in " << j.dump();
    }
    EXPECT_GT(j["prefill_tok_s"].get<double>(), 0);
    EXPECT_GT(j["decode_tok_s"].get<double>(), 0);
    EXPECT_EQ(j["threads"].get<int>(), 1);
    const double bytes = j["weight_bytes_per_token"].get<double>();
    EXPECT_NEAR(j["decode_gb_s"].get<double>(), bytes * j["decode_tok_s"].get<double>() / 1e9, 1e-9);
    // fp16 packages: 2 bytes per parameter read; the fp32 reference: 4.
    const double per_param = model == ModelDir("stories260K").string() ? 4.0 : 2.0;
    EXPECT_GT(bytes, 0.8 * kStoriesParams * per_param) << model;
    EXPECT_LT(bytes, 1.3 * kStoriesParams * per_param) << model;
  }
  // Each test starts from an empty context: the prompt and the generated tokens must each fit it.
  auto fits = RunCli({"bench", "--model", (tmp / "out").string(), "--prompt-tokens", "60", "--gen-tokens", "60",
                      "--repetitions", "1"});
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
  auto big = RunCli({"bench", "--model", (tmp / "out").string(), "--prompt-tokens", "8", "--gen-tokens", "65"});
  EXPECT_NE(big.exit_code, 0);
  EXPECT_NE(big.err.find("exceed the model's context of 64 tokens"), std::string::npos) << big.err;
}

TEST(BenchCli, Int8LutDotOnAPalettizedFolder) {
  TempDir tmp;
  auto conv = RunCli({"convert", "--model", ModelDir("tiny-qwen3").string(), "--output", (tmp / "out").string(),
                      "--context", "32", "--batch", "4", "--lut2", "4", "--lut3", "6"});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  for (const char* mode : {"exact", "int8"}) {
    const nlohmann::json j = BenchJson({"bench", "--model", (tmp / "out").string(), "--prompt-tokens", "8",
                                        "--gen-tokens", "8", "--repetitions", "1", "--threads", "2", "--lut-dot", mode,
                                        "--json"});
    const bool int8 = std::string(mode) == "int8" && kernels::CpuHasLutInt8Kernels();
    EXPECT_EQ(j["lut_dot"], int8 ? "int8" : "exact") << j.dump();
    EXPECT_GT(j["decode_tok_s"].get<double>(), 0);
  }
}

TEST(BenchCli, BadFlags) {
  const std::string model = ModelDir("stories260K").string();
  const struct {
    std::vector<std::string> args;
    const char* expect;
  } cases[] = {
      {{"bench", "--model", model, "--prompt-tokens", "0"}, "--prompt-tokens: must be >= 1"},
      {{"bench", "--model", model, "--gen-tokens", "-3"}, "--gen-tokens: must be >= 1"},
      {{"bench", "--model", model, "--repetitions", "0"}, "--repetitions: must be >= 1"},
      {{"bench", "--model", model, "--threads", "-1"}, "--threads: must be >= 0"},
      {{"bench", "--model", model, "--precision", "int8"}, "--precision: expected fp16 or fp32"},
      {{"bench", "--model", model, "--lut-dot", "fast"}, "--lut-dot: expected exact or int8, got 'fast'"},
      {{"bench", "--model", "/nonexistent/model"}, "/nonexistent/model"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(c.args);
    EXPECT_NE(r.exit_code, 0) << c.expect;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
  }
}

}  // namespace
}  // namespace anemll
