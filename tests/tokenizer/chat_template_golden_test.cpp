// Every chat case of the tokenizer goldens (rendered by transformers' apply_chat_template) must
// come out of ChatFormatter byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/test_support.h"
#include "tokenizer/chat_template.h"

namespace anemll::tokenizer {
namespace {

nlohmann::ordered_json LoadGoldens(const std::string& family) {
  std::ifstream in(testing::FixturesDir() / "tokenizer-goldens" / (family + ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::ordered_json::parse(ss.str());
}

// "" when equal; otherwise where the two texts first differ, with context around that offset.
std::string FirstDifference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  const size_t from = i > 30 ? i - 30 : 0;
  auto around = [&](const std::string& s) { return nlohmann::json(s.substr(std::min(from, s.size()), 60)).dump(); };
  std::ostringstream os;
  os << "first difference at byte " << i << " (got " << got.size() << " bytes, want " << want.size()
     << ")\n  got:  ..." << around(got) << "\n  want: ..." << around(want);
  return os.str();
}

void CheckFamily(const std::string& family, size_t min_cases) {
  auto formatter = ChatFormatter::Load(testing::TokenizerDir(family));
  ASSERT_TRUE(formatter.ok()) << formatter.status().message();
  ASSERT_TRUE(formatter->has_template());
  const nlohmann::ordered_json goldens = LoadGoldens(family);
  const nlohmann::ordered_json& cases = goldens.at("chat");
  ASSERT_GE(cases.size(), min_cases);
  for (size_t i = 0; i < cases.size(); ++i) {
    const nlohmann::ordered_json& c = cases[i];
    ChatTemplateOptions opts;
    opts.add_generation_prompt = c.at("add_generation_prompt").get<bool>();
    if (c.contains("enable_thinking")) opts.enable_thinking = c["enable_thinking"].get<bool>();
    auto text = formatter->ApplyOrdered(c.at("messages"), opts);
    ASSERT_TRUE(text.ok()) << family << " case " << i << ": " << text.status().message();
    const std::string diff = FirstDifference(*text, c.at("text").get<std::string>());
    EXPECT_TRUE(diff.empty()) << family << " case " << i << ": " << diff;
  }
}

TEST(ChatTemplateGolden, Gemma3) { CheckFamily("gemma3", 6); }
TEST(ChatTemplateGolden, Qwen3WithAndWithoutThinking) { CheckFamily("qwen3", 12); }
TEST(ChatTemplateGolden, Llama3) { CheckFamily("llama3", 6); }
TEST(ChatTemplateGolden, Llama3_1) { CheckFamily("llama3_1", 6); }
TEST(ChatTemplateGolden, DeepseekV3) { CheckFamily("deepseek_v3", 6); }

TEST(ChatTemplateGolden, MistralHasNoTemplate) {
  auto formatter = ChatFormatter::Load(testing::TokenizerDir("mistral"));
  ASSERT_TRUE(formatter.ok()) << formatter.status().message();
  EXPECT_FALSE(formatter->has_template());
  EXPECT_EQ(formatter->bos_token(), "<s>");
  EXPECT_EQ(formatter->eos_token(), "</s>");
  auto text = formatter->Apply(nlohmann::json::parse(R"([{"role":"user","content":"hi"}])"), {});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("no chat template"), std::string::npos) << text.status().message();
}

TEST(ChatTemplateGolden, SpecialTokensFromAddedTokenObjects) {
  auto formatter = ChatFormatter::Load(testing::TokenizerDir("deepseek_v3"));
  ASSERT_TRUE(formatter.ok()) << formatter.status().message();
  EXPECT_EQ(formatter->bos_token(), "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(formatter->eos_token(), "<｜end▁of▁sentence｜>");
}

}  // namespace
}  // namespace anemll::tokenizer
