// Every case of tests/fixtures/tokenizer-goldens (made with Hugging Face tokenizers 0.23) must
// come out identical: ids, ids with the post-processor's special tokens, and decoded text.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokenizer/tokenizer.h"

namespace anemll::tokenizer {
namespace {

using nlohmann::json;

json ReadGolden(const std::string& family) {
  std::ifstream in(testing::FixturesDir() / "tokenizer-goldens" / (family + ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string Show(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, AllCasesMatch) {
  const std::string family = GetParam();
  auto tok = Tokenizer::Load(testing::TokenizerDir(family));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const json golden = ReadGolden(family);
  ASSERT_GT(golden["cases"].size(), 50u);
  for (const json& c : golden["cases"]) {
    const std::string text = c["text"].get<std::string>();
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    const auto ids_special = c["ids_with_special"].get<std::vector<int32_t>>();
    const std::string decoded = c["decoded"].get<std::string>();

    const std::vector<int32_t> got = tok->Encode(text, false);
    EXPECT_EQ(got, ids) << family << " case \"" << text << "\"\n got  " << Show(got) << "\n want " << Show(ids);
    const std::vector<int32_t> got_special = tok->Encode(text, true);
    EXPECT_EQ(got_special, ids_special) << family << " case \"" << text << "\" (with special tokens)";
    EXPECT_EQ(tok->Decode(ids, /*skip_special_tokens=*/false), decoded) << family << " decode of \"" << text << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GoldenTest,
                         ::testing::Values("qwen3", "llama3", "llama3_1", "deepseek_v3", "gemma3", "mistral"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace anemll::tokenizer
