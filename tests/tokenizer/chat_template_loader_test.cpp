// ChatFormatter::Load: where the template comes from (tokenizer_config.json string or named list,
// chat_template.jinja, chat_template.json), the special tokens it sees, the variables Apply passes,
// and the errors for missing or malformed files.
#include <gtest/gtest.h>

#include <fstream>

#include "base/file.h"
#include "support/test_support.h"
#include "tokenizer/chat_template.h"

namespace anemll::tokenizer {
namespace {
namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  ASSERT_TRUE(WriteFileAtomic(path, text).ok()) << path;
}

const nlohmann::json kUser = nlohmann::json::parse(R"([{"role": "user", "content": "hi"}])");

TEST(ChatTemplateLoader, TemplateStringAndSpecialTokens) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({
    "bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false}, "unk_token": null, "pad_token": "<pad>",
    "chat_template": "{{ bos_token }}|{{ eos_token }}|{{ unk_token is defined }}|{{ pad_token }}|{% for m in messages %}{{ m.role }}:{{ m.content }}{% endfor %}|{{ add_generation_prompt }}"
  })");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->has_template());
  EXPECT_EQ(f->bos_token(), "<s>");
  EXPECT_EQ(f->eos_token(), "</s>");
  EXPECT_EQ(f->unk_token(), "");
  EXPECT_EQ(f->pad_token(), "<pad>");
  ChatTemplateOptions opts;
  auto text = f->Apply(kUser, opts);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, "<s>|</s>|False|<pad>|user:hi|True");
  opts.add_generation_prompt = false;
  EXPECT_EQ(*f->Apply(kUser, opts), "<s>|</s>|False|<pad>|user:hi|False");
}

TEST(ChatTemplateLoader, EnableThinkingAndToolsArePassedAsTransformersDoes) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"chat_template":
    "{{ enable_thinking is defined }}/{{ enable_thinking }}|{{ tools is none }}|{{ tools|tojson }}|{{ documents is none }}"})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  ChatTemplateOptions opts;
  EXPECT_EQ(*f->Apply(kUser, opts), "False/|True|null|True");
  opts.enable_thinking = false;
  // Tool schemas keep the key order they were written in (ordered_json).
  opts.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "f", "description": "d"}}])");
  EXPECT_EQ(*f->Apply(kUser, opts),
            R"(True/False|False|[{"type": "function", "function": {"name": "f", "description": "d"}}]|True)");
  // A plain nlohmann::json assigns too (its keys come sorted).
  opts.tools = nlohmann::json::parse(R"([{"type": "function", "function": {"name": "f"}}])");
  EXPECT_EQ(*f->Apply(kUser, opts), R"(True/False|False|[{"function": {"name": "f"}, "type": "function"}]|True)");
}

TEST(ChatTemplateLoader, MessageKeyOrderIsKeptByApplyOrdered) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"chat_template": "{{ messages|tojson }}"})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto text = f->ApplyOrdered(nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])"), {});
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, R"([{"role": "user", "content": "hi"}])");
}

TEST(ChatTemplateLoader, ChatTemplateJinjaWins) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"bos_token": "<s>", "chat_template": "from config"})");
  Write(dir / "chat_template.jinja", "from jinja file {{ bos_token }}\n");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(*f->Apply(kUser, {}), "from jinja file <s>");  // one trailing newline dropped, as in Jinja
}

TEST(ChatTemplateLoader, JinjaFileAloneIsEnough) {
  testing::TempDir dir;
  Write(dir / "chat_template.jinja", "{{ messages[0].content }}");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->bos_token(), "");
  EXPECT_EQ(*f->Apply(kUser, {}), "hi");
}

TEST(ChatTemplateLoader, ChatTemplateJsonFallback) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"eos_token": "</s>"})");
  Write(dir / "chat_template.json", R"({"chat_template": "json:{{ eos_token }}"})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(*f->Apply(kUser, {}), "json:</s>");
}

TEST(ChatTemplateLoader, NamedTemplatesDefaultAndToolUse) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"chat_template": [
    {"name": "default", "template": "default"}, {"name": "tool_use", "template": "tools:{{ tools|length }}"},
    {"name": "rag", "template": "rag"}]})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  ChatTemplateOptions opts;
  EXPECT_EQ(*f->Apply(kUser, opts), "default");
  opts.tools = nlohmann::json::array({nlohmann::json::object()});
  EXPECT_EQ(*f->Apply(kUser, opts), "tools:1");
}

TEST(ChatTemplateLoader, NamedTemplatesWithoutDefault) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "rag"}]})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->has_template());
  auto text = f->Apply(kUser, {});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("none is called \"default\""), std::string::npos) << text.status().message();
}

TEST(ChatTemplateLoader, NoTemplate) {
  testing::TempDir dir;
  Write(dir / "tokenizer_config.json", R"({"bos_token": "<s>", "chat_template": null})");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_FALSE(f->has_template());
  auto text = f->Apply(kUser, {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), StrCat("chat template: ", dir.path().string(),
                                            " has no chat template (no chat_template in tokenizer_config.json and no "
                                            "chat_template.jinja)"));
}

TEST(ChatTemplateLoader, BrokenTemplateLoadsButApplyReportsIt) {
  testing::TempDir dir;
  fs::create_directories(dir / "mymodel");
  Write(dir / "mymodel" / "tokenizer_config.json", R"({"chat_template": "ok\n{% for m in messages %}\n{{ m }"})");
  auto f = ChatFormatter::Load(dir / "mymodel");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->has_template());
  auto text = f->Apply(kUser, {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message().rfind("template mymodel/tokenizer_config.json:chat_template line 3: ", 0), 0u)
      << text.status().message();
}

TEST(ChatTemplateLoader, LoadErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing = ChatFormatter::Load(dir / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), StrCat("chat template: model folder ", (dir / "nope").string(), " does not exist"));

  auto empty = ChatFormatter::Load(dir.path());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("has neither tokenizer_config.json nor chat_template.jinja"), std::string::npos);

  Write(dir / "tokenizer_config.json", "{\"chat_template\": \"x\",");
  auto malformed = ChatFormatter::Load(dir.path());
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().code(), StatusCode::kFormatError);
  EXPECT_EQ(malformed.status().message().rfind((dir / "tokenizer_config.json").string() + ": malformed JSON: ", 0), 0u)
      << malformed.status().message();

  Write(dir / "tokenizer_config.json", R"({"chat_template": 5})");
  auto wrong_type = ChatFormatter::Load(dir.path());
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().message(),
            StrCat((dir / "tokenizer_config.json").string(), ": chat_template must be a string or a list, not number"));

  Write(dir / "tokenizer_config.json", R"({"bos_token": 7, "chat_template": "x"})");
  auto bad_token = ChatFormatter::Load(dir.path());
  ASSERT_FALSE(bad_token.ok());
  EXPECT_EQ(bad_token.status().message(),
            StrCat((dir / "tokenizer_config.json").string(),
                   ": field bos_token must be a string or an object with \"content\", not number"));
}

TEST(ChatTemplateLoader, MessagesMustBeAnArray) {
  testing::TempDir dir;
  Write(dir / "chat_template.jinja", "x");
  auto f = ChatFormatter::Load(dir.path());
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto text = f->Apply(nlohmann::json::object(), {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), "chat template: messages must be a JSON array, not object");
}

}  // namespace
}  // namespace anemll::tokenizer
