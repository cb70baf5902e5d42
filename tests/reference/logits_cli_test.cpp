// `anemll logits` end to end: the written logits and hidden states equal the goldens.
#include <gtest/gtest.h>

#include <cmath>

#include "hf/safetensors.h"
#include "support/test_support.h"

namespace anemll {
namespace {

using testing::ModelDir;
using testing::CountLines;
using testing::RunCli;
using testing::TempDir;

constexpr double kLogitTol = 1e-4;
constexpr double kHiddenTol = 1e-4;

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

class LogitsCli : public ::testing::TestWithParam<std::string> {};

TEST_P(LogitsCli, OutputEqualsGolden) {
  const auto dir = ModelDir(GetParam());
  auto golden = hf::SafetensorsFile::Open(dir / "golden.safetensors");
  ASSERT_TRUE(golden.ok());
  const auto ids = *hf::ToInt64(*golden->Find("input_ids"));
  std::string id_list;
  for (size_t i = 0; i < ids.size(); ++i) id_list += (i ? "," : "") + std::to_string(ids[i]);

  TempDir tmp;
  const auto out = tmp / "logits.safetensors";
  auto r = RunCli({"logits", "--model", dir.string(), "--ids", id_list, "--out", out.string(), "--hidden"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto file = hf::SafetensorsFile::Open(out);
  ASSERT_TRUE(file.ok()) << file.status().message();
  const hf::TensorInfo* logits = file->Find("logits");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->dtype, hf::DType::kF32);
  EXPECT_EQ(logits->shape, golden->Find("logits")->shape);
  EXPECT_LE(MaxAbsDiff(*hf::ToFloat32(*logits), *hf::ToFloat32(*golden->Find("logits"))), kLogitTol);
  EXPECT_EQ(*hf::ToInt64(*file->Find("input_ids")), ids);
  for (int i = 0;; ++i) {
    const std::string name = "hidden_" + std::to_string(i);
    const hf::TensorInfo* g = golden->Find(name);
    if (!g) {
      EXPECT_EQ(file->Find(name), nullptr) << name;
      break;
    }
    const hf::TensorInfo* h = file->Find(name);
    ASSERT_NE(h, nullptr) << name;
    EXPECT_EQ(h->shape, g->shape);
    EXPECT_LE(MaxAbsDiff(*hf::ToFloat32(*h), *hf::ToFloat32(*g)), kHiddenTol) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LogitsCli, ::testing::Values("tiny-llama", "tiny-gemma3", "stories260K"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(LogitsCli, WithoutHiddenWritesOnlyLogits) {
  TempDir tmp;
  const auto out = tmp / "l.safetensors";
  auto r = RunCli({"logits", "--model", ModelDir("tiny-qwen3").string(), "--ids", "1,2,3", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto file = hf::SafetensorsFile::Open(out);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->Find("logits")->shape, (std::vector<int64_t>{3, 1024}));
  EXPECT_EQ(file->Find("hidden_0"), nullptr);
}

TEST(LogitsCli, ErrorsAreOneLineAndNonZero) {
  TempDir tmp;
  const std::string model = ModelDir("tiny-llama").string();
  const std::string out = (tmp / "x.safetensors").string();
  struct Case {
    std::vector<std::string> args;
    std::string expected_part;
  };
  const Case cases[] = {
      {{"logits", "--model", (tmp / "missing").string(), "--ids", "1", "--out", out}, "missing"},
      {{"logits", "--model", model, "--ids", "1,,2", "--out", out}, "--ids"},
      {{"logits", "--model", model, "--ids", "1,5000", "--out", out}, "token id 5000"},
      {{"logits", "--model", model, "--ids", "1", "--out", (tmp / "no" / "dir.safetensors").string()}, "dir.safetensors"},
      {{"logits", "--model", model, "--ids", "1"}, "--out"},
      {{"logits", "--model", model, "--ids", "1", "--out", out, "--frobnicate"}, "--frobnicate"},
  };
  for (const auto& c : cases) {
    auto r = RunCli(c.args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected_part), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace anemll
