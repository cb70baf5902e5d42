// `anemll run`, `logits`, `tokenize` and `template` on a converted folder (or its meta.yaml): the
// same outputs as on the Hugging Face checkpoint it came from.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hf/safetensors.h"
#include "support/test_support.h"

namespace anemll {
namespace {

using testing::CountLines;
using testing::ModelDir;
using testing::RunCli;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr double kLogitTolFp32 = 1e-3;  // converted graphs in fp32 vs the fp32 reference

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int32_t> PrintedIds(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return nlohmann::json::parse(s.substr(s.rfind('\n') + 1)).get<std::vector<int32_t>>();
}

// Converts stories260K once for the whole suite (fp16 weights, two chunks, batch 8).
class ConvertedStories : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    auto r = RunCli({"convert", "--model", ModelDir("stories260K").string(), "--output", Out().string(), "--context",
                     "512", "--batch", "8", "--lut1", "none", "--lut2", "none", "--lut3", "none"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static fs::path Out() { return *tmp_ / "stories"; }
  static TempDir* tmp_;
};
TempDir* ConvertedStories::tmp_ = nullptr;

TEST_F(ConvertedStories, Fp16RunPrintsTheGoldenStory) {
  auto r = RunCli({"run", "--model", Out().string(), "--prompt", "Once upon a time", "-n", "256", "--temperature", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string golden = Slurp(ModelDir("stories260K") / "golden_story.txt");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(r.out.substr(0, golden.size()), golden);
  EXPECT_EQ(r.err, "");
}

TEST_F(ConvertedStories, MetaPathAndPrecisionsGiveTheReferenceIds) {
  auto ref = RunCli({"run", "--model", ModelDir("stories260K").string(), "--prompt", "Once upon a time", "-n", "64",
                     "--print-ids"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  for (const char* precision : {"fp16", "fp32"}) {
    auto r = RunCli({"run", "--model", (Out() / "meta.yaml").string(), "--prompt", "Once upon a time", "-n", "64",
                     "--print-ids", "--precision", precision});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(PrintedIds(r.out), PrintedIds(ref.out)) << precision;
  }
}

TEST_F(ConvertedStories, LongGenerationShiftsTheContext) {
  // Context 512 is exceeded: the run goes on after shifting and says so in --stats.
  auto r = RunCli({"run", "--model", Out().string(), "--prompt", "Once upon a time", "-n", "700", "--temperature",
                   "0", "--print-ids", "--stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(PrintedIds(r.out).size(), 700u);
  EXPECT_NE(r.err.find("context shifted"), std::string::npos) << r.err;
  auto stop = RunCli({"run", "--model", Out().string(), "--prompt", "Once upon a time", "-n", "700", "--temperature",
                      "0", "--print-ids", "--stats", "--no-shift"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.err.find("stop: context full"), std::string::npos) << stop.err;
  EXPECT_LT(PrintedIds(stop.out).size(), 512u);
}

// stories260K's weights are fp32 and round to fp16 in the packages, so the graphs are checked on
// tiny-llama, whose weights fp16 holds exactly (as in the converter's numeric tests).
TEST(ConvertedLogits, Fp32LogitsMatchTheReference) {
  TempDir tmp;
  auto conv = RunCli({"convert", "--model", ModelDir("tiny-llama").string(), "--output", (tmp / "out").string(),
                      "--context", "32", "--batch", "4", "--lut1", "none", "--lut2", "none", "--lut3", "none"});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  const std::string ids = "1,43,7,261,78,9,74,33,45,62,101,7";
  auto ref = RunCli({"logits", "--model", ModelDir("tiny-llama").string(), "--ids", ids, "--out",
                     (tmp / "ref.safetensors").string()});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  auto got = RunCli({"logits", "--model", (tmp / "out").string(), "--ids", ids, "--out",
                     (tmp / "got.safetensors").string(), "--precision", "fp32"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto a = hf::SafetensorsFile::Open(tmp / "ref.safetensors");
  auto b = hf::SafetensorsFile::Open(tmp / "got.safetensors");
  ASSERT_TRUE(a.ok() && b.ok());
  auto la = hf::ToFloat32(*a->Find("logits"));
  auto lb = hf::ToFloat32(*b->Find("logits"));
  ASSERT_TRUE(la.ok() && lb.ok());
  ASSERT_EQ(la->size(), lb->size());
  ASSERT_GT(la->size(), 12u);
  double worst = 0;
  for (size_t i = 0; i < la->size(); ++i) worst = std::max(worst, std::fabs(double((*la)[i]) - (*lb)[i]));
  EXPECT_LE(worst, kLogitTolFp32);
}

TEST_F(ConvertedStories, TokenizeAndTemplateAcceptMetaYaml) {
  auto a = RunCli({"tokenize", "--model", (Out() / "meta.yaml").string(), "--text", "Once upon a time"});
  auto b = RunCli({"tokenize", "--model", ModelDir("stories260K").string(), "--text", "Once upon a time"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(ConvertedStories, BadInputsFailWithOneLine) {
  TempDir tmp;
  const std::string out = Out().string();
  const std::string file = (tmp / "x.safetensors").string();
  const struct {
    std::vector<std::string> args;
    std::string expect;
  } cases[] = {
      {{"run", "--model", out, "--prompt", "x", "--precision", "fp8"}, "--precision: expected fp16 or fp32, got 'fp8'"},
      {{"run", "--model", out, "--prompt", "x", "--threads", "-1"}, "--threads: must be >= 0"},
      {{"run", "--model", out, "--prompt", "x", "--lut-dot", "int4"}, "--lut-dot: expected exact or int8, got 'int4'"},
      {{"logits", "--model", out, "--ids", "1,2", "--out", file, "--lut-dot", "q8"}, "--lut-dot: expected exact or int8"},
      {{"logits", "--model", out, "--ids", "1,2", "--out", file, "--hidden"}, "--hidden needs a Hugging Face checkpoint"},
      {{"logits", "--model", out, "--ids", "1,600", "--out", file}, "token id 600 is outside the vocabulary"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(c.args);
    EXPECT_NE(r.exit_code, 0) << c.expect;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
  }

  // A folder whose meta.yaml is broken, or whose packages are missing.
  fs::create_directories(tmp / "broken");
  std::ofstream(tmp / "broken" / "meta.yaml") << "model_info:\n  parameters:\n    context_length: many\n";
  auto broken = RunCli({"run", "--model", (tmp / "broken").string(), "--prompt-ids", "1"});
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.err.find("meta.yaml: model_info.parameters.context_length: expected an integer, got 'many'"),
            std::string::npos)
      << broken.err;
  std::ofstream(tmp / "broken" / "meta.yaml") << "model_info:\n  parameters:\n    context_length: 64\n";
  auto missing = RunCli({"run", "--model", (tmp / "broken").string(), "--prompt-ids", "1"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("embeddings: llama_embeddings.mlpackage not found"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace anemll
