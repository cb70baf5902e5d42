// `anemll template`: prints the rendered prompt exactly (golden text, no newline added), honours
// --add-generation-prompt and --no-think, and reports bad input on one line with a non-zero exit.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file.h"
#include "support/test_support.h"

namespace anemll {
namespace {

nlohmann::ordered_json GoldenChat(const std::string& family) {
  std::ifstream in(testing::FixturesDir() / "tokenizer-goldens" / (family + ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::ordered_json::parse(ss.str()).at("chat");
}

// The first golden case of `family` with these settings (enable_thinking: -1 absent, 0 false, 1 true).
nlohmann::ordered_json FindCase(const std::string& family, size_t messages, bool add_generation_prompt,
                                int enable_thinking) {
  for (const auto& c : GoldenChat(family)) {
    if (c.at("messages").size() != messages || c.at("add_generation_prompt").get<bool>() != add_generation_prompt) {
      continue;
    }
    const int think = c.contains("enable_thinking") ? (c["enable_thinking"].get<bool>() ? 1 : 0) : -1;
    if (think == enable_thinking) return c;
  }
  ADD_FAILURE() << "no golden case in " << family;
  return nlohmann::ordered_json::object();
}

bool OneLine(const std::string& err) {
  return !err.empty() && err.back() == '\n' && err.find('\n') == err.size() - 1;
}

TEST(TemplateCli, RendersGoldenCaseExactly) {
  testing::TempDir tmp;
  const auto c = FindCase("gemma3", 3, true, -1);
  ASSERT_TRUE(WriteFileAtomic(tmp / "messages.json", c.at("messages").dump()).ok());
  auto r = testing::RunCli({"template", "--model", testing::TokenizerDir("gemma3").string(), "--messages",
                            (tmp / "messages.json").string(), "--add-generation-prompt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, c.at("text").get<std::string>());
  EXPECT_EQ(r.err, "");
}

TEST(TemplateCli, WithoutGenerationPromptAndObjectInput) {
  testing::TempDir tmp;
  const auto c = FindCase("llama3_1", 2, false, -1);
  nlohmann::ordered_json doc;
  doc["messages"] = c.at("messages");
  ASSERT_TRUE(WriteFileAtomic(tmp / "conversation.json", doc.dump(2)).ok());
  auto r = testing::RunCli({"template", "--model", testing::TokenizerDir("llama3_1").string(), "--messages",
                            (tmp / "conversation.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, c.at("text").get<std::string>());
}

TEST(TemplateCli, NoThinkOnQwen3) {
  testing::TempDir tmp;
  const auto no_think = FindCase("qwen3", 2, true, 0);
  const auto think = FindCase("qwen3", 2, true, 1);
  ASSERT_TRUE(WriteFileAtomic(tmp / "m.json", no_think.at("messages").dump()).ok());
  const std::string model = testing::TokenizerDir("qwen3").string();
  auto r = testing::RunCli(
      {"template", "--model", model, "--messages", (tmp / "m.json").string(), "--add-generation-prompt", "--no-think"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, no_think.at("text").get<std::string>());
  EXPECT_NE(r.out.find("<think>\n\n</think>\n\n"), std::string::npos);
  // Without the flag enable_thinking is not passed: the template's default (thinking on).
  auto d = testing::RunCli({"template", "--model", model, "--messages", (tmp / "m.json").string(), "--add-generation-prompt"});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, think.at("text").get<std::string>());
}

TEST(TemplateCli, MalformedMessagesFileIsOneLineNamingTheFile) {
  testing::TempDir tmp;
  const std::string path = (tmp / "broken.json").string();
  ASSERT_TRUE(WriteFileAtomic(path, "[{\"role\": \"user\", \"content\": \n").ok());
  auto r = testing::RunCli({"template", "--model", testing::TokenizerDir("qwen3").string(), "--messages", path});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(OneLine(r.err)) << r.err;
  EXPECT_EQ(r.err.rfind("anemll template: " + path + ": malformed JSON: ", 0), 0u) << r.err;
}

TEST(TemplateCli, OtherErrorsAreOneLine) {
  testing::TempDir tmp;
  const std::string messages = (tmp / "m.json").string();
  ASSERT_TRUE(WriteFileAtomic(messages, R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])").ok());

  auto missing = testing::RunCli({"template", "--model", testing::TokenizerDir("qwen3").string(), "--messages",
                                  (tmp / "absent.json").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(OneLine(missing.err)) << missing.err;
  EXPECT_NE(missing.err.find((tmp / "absent.json").string()), std::string::npos) << missing.err;

  auto no_template =
      testing::RunCli({"template", "--model", testing::TokenizerDir("mistral").string(), "--messages", messages});
  EXPECT_NE(no_template.exit_code, 0);
  EXPECT_TRUE(OneLine(no_template.err)) << no_template.err;
  EXPECT_NE(no_template.err.find("has no chat template"), std::string::npos) << no_template.err;

  // gemma3's template raises on non-alternating roles.
  auto raised = testing::RunCli({"template", "--model", testing::TokenizerDir("gemma3").string(), "--messages", messages});
  EXPECT_NE(raised.exit_code, 0);
  EXPECT_EQ(raised.out, "");
  EXPECT_EQ(raised.err,
            "anemll template: template gemma3/tokenizer_config.json:chat_template line 19: Conversation roles must "
            "alternate user/assistant/user/assistant/...\n");

  ASSERT_TRUE(WriteFileAtomic(tmp / "object.json", R"({"role": "user"})").ok());
  auto not_array = testing::RunCli({"template", "--model", testing::TokenizerDir("qwen3").string(), "--messages",
                                    (tmp / "object.json").string()});
  EXPECT_NE(not_array.exit_code, 0);
  EXPECT_TRUE(OneLine(not_array.err)) << not_array.err;
  EXPECT_NE(not_array.err.find((tmp / "object.json").string() + ": expected a JSON array"), std::string::npos)
      << not_array.err;
}

TEST(TemplateCli, ToolsFile) {
  testing::TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp / "m.json", R"([{"role": "user", "content": "weather?"}])").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp / "tools.json",
                              R"([{"type": "function", "function": {"name": "get_weather", "parameters": {}}}])")
                  .ok());
  auto r = testing::RunCli({"template", "--model", testing::TokenizerDir("qwen3").string(), "--messages",
                            (tmp / "m.json").string(), "--tools", (tmp / "tools.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Tool schemas are printed with their keys in file order.
  EXPECT_NE(r.out.find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {}}}\n</tools>"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace anemll
