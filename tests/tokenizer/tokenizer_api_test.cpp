// Tokenizer API on the real fixtures: the stories260K prompt, vocabulary queries, special tokens,
// post-processor ids, tokenizer_config.json, and encoding arbitrary (even ill-formed) bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

Tokenizer LoadOrDie(const std::filesystem::path& dir) {
  auto tok = Tokenizer::Load(dir);
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  if (!tok.ok()) std::abort();
  return std::move(tok).value();
}

TEST(Stories260K, PromptMatchesLlama2cIds) {
  const Tokenizer tok = LoadOrDie(testing::ModelDir("stories260K"));
  EXPECT_EQ(tok.Encode("Once upon a time", true), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok.Encode("Once upon a time", false), (std::vector<int32_t>{403, 407, 261, 378}));
  EXPECT_EQ(tok.PrefixSpecialIds(), std::vector<int32_t>{1});
  EXPECT_TRUE(tok.SuffixSpecialIds().empty());
  EXPECT_EQ(tok.vocab_size(), 512u);
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{1, 403, 407, 261, 378}, true), "Once upon a time");
  EXPECT_EQ(tok.config().bos_token, "<s>");
  EXPECT_EQ(tok.config().eos_token, "</s>");
  EXPECT_EQ(tok.config().add_bos_token, true);
  EXPECT_EQ(tok.config().add_eos_token, false);
}

TEST(Vocabulary, Qwen3) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("qwen3"));
  EXPECT_EQ(tok.vocab_size(), 151669u);
  EXPECT_EQ(tok.TokenToId("<|im_end|>"), 151645);
  EXPECT_EQ(tok.IdToToken(151645), "<|im_end|>");
  EXPECT_TRUE(tok.IsSpecial(151645));
  EXPECT_FALSE(tok.IsSpecial(tok.TokenToId("<think>")));  // added but not special
  EXPECT_FALSE(tok.IsSpecial(9707));
  EXPECT_EQ(tok.TokenToId("Hello"), 9707);
  EXPECT_EQ(tok.IdToToken(220), "\xC4\xA0");  // "Ġ"
  EXPECT_EQ(tok.TokenToId("no such token"), -1);
  EXPECT_EQ(tok.IdToToken(-1), "");
  EXPECT_EQ(tok.IdToToken(1 << 30), "");
  EXPECT_TRUE(tok.PrefixSpecialIds().empty());
  EXPECT_TRUE(tok.SuffixSpecialIds().empty());
  EXPECT_EQ(tok.config().eos_token, "<|im_end|>");
  EXPECT_EQ(tok.config().pad_token, "<|endoftext|>");
  EXPECT_EQ(tok.config().bos_token, "");
  EXPECT_EQ(tok.config().add_bos_token, false);
  EXPECT_NE(tok.config().chat_template.find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(tok.ConfigTokenId(tok.config().eos_token), 151645);
}

TEST(Vocabulary, SkipSpecialTokensDropsOnlySpecialOnes) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("qwen3"));
  const std::vector<int32_t> ids = tok.Encode("<|im_start|>user\n<think>hi</think><|im_end|>", false);
  EXPECT_EQ(tok.Decode(ids, false), "<|im_start|>user\n<think>hi</think><|im_end|>");
  EXPECT_EQ(tok.Decode(ids, true), "user\n<think>hi</think>");
}

TEST(Vocabulary, Llama31AddsBos) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("llama3_1"));
  EXPECT_EQ(tok.PrefixSpecialIds(), std::vector<int32_t>{128000});
  EXPECT_EQ(tok.vocab_size(), 128256u);
  EXPECT_EQ(tok.config().eos_token, "<|eot_id|>");
  EXPECT_EQ(tok.config().bos_token, "<|begin_of_text|>");
}

TEST(Vocabulary, Gemma3) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("gemma3"));
  EXPECT_EQ(tok.vocab_size(), 262145u);
  EXPECT_EQ(tok.PrefixSpecialIds(), std::vector<int32_t>{2});
  EXPECT_EQ(tok.TokenToId("<start_of_turn>"), 105);
  EXPECT_TRUE(tok.IsSpecial(105));
  EXPECT_FALSE(tok.IsSpecial(tok.TokenToId("<unused0>")));
  EXPECT_EQ(tok.config().eos_token, "<end_of_turn>");
  EXPECT_EQ(tok.config().add_bos_token, true);
  EXPECT_NE(tok.config().chat_template.find("start_of_turn"), std::string::npos);
}

TEST(Vocabulary, DeepSeekConfigTokensAsObjects) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("deepseek_v3"));
  EXPECT_EQ(tok.config().bos_token, "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>");
  EXPECT_EQ(tok.ConfigTokenId(tok.config().bos_token), 0);
  EXPECT_EQ(tok.config().add_bos_token, true);
  EXPECT_TRUE(tok.PrefixSpecialIds().empty());  // tokenizer.json's post-processor adds nothing
}

TEST(Vocabulary, MistralHasNoChatTemplate) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("mistral"));
  EXPECT_EQ(tok.config().chat_template, "");
  EXPECT_TRUE(tok.config().named_chat_templates.empty());
  EXPECT_EQ(tok.config().unk_token, "<unk>");
  EXPECT_EQ(tok.PrefixSpecialIds(), std::vector<int32_t>{1});
}

TEST(Config, TemplateListAndJinjaFile) {
  testing::TempDir tmp;
  std::filesystem::copy_file(testing::ModelDir("stories260K") / "tokenizer.json", tmp / "tokenizer.json");
  {
    std::ofstream f(tmp / "tokenizer_config.json");
    f << R"({"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": null,
             "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})";
  }
  auto tok = Tokenizer::Load(tmp.path());
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->config().bos_token, "<s>");
  EXPECT_EQ(tok->config().eos_token, "");
  EXPECT_FALSE(tok->config().add_bos_token.has_value());
  EXPECT_EQ(tok->config().chat_template, "D");
  ASSERT_EQ(tok->config().named_chat_templates.size(), 1u);
  EXPECT_EQ(tok->config().named_chat_templates.at("tool_use"), "T");
  {
    std::ofstream f(tmp / "chat_template.jinja");
    f << "{{ messages }}";
  }
  auto with_file = Tokenizer::Load(tmp.path());
  ASSERT_TRUE(with_file.ok()) << with_file.status().message();
  EXPECT_EQ(with_file->config().chat_template, "{{ messages }}");
}

TEST(Encode, CopiesShareState) {
  const Tokenizer a = LoadOrDie(testing::ModelDir("stories260K"));
  Tokenizer b = a;
  Tokenizer c = std::move(b);
  EXPECT_EQ(c.Encode("Once upon a time", true), a.Encode("Once upon a time", true));
}

class IllFormedInput : public ::testing::TestWithParam<std::string> {};

// Ill-formed UTF-8 is encoded as its lossy conversion; nothing crashes on random bytes.
TEST_P(IllFormedInput, EncodesLikeTheLossyConversion) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir(GetParam()));
  const std::vector<std::string> samples = {
      std::string("abc\xFF" "def"), std::string("\xE4\xB8"), std::string("x\xC0\x80y"),
      std::string("\xED\xA0\x80 surrogate"), std::string("\xF0\x9F\x98"), std::string("\x80\x80\x80"),
      std::string("ok\0nul", 6)};
  for (const std::string& s : samples) {
    EXPECT_EQ(tok.Encode(s, true), tok.Encode(utf8::Lossy(s), true)) << GetParam();
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 64);
  for (int trial = 0; trial < 300; ++trial) {
    std::string s;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
      // Mostly bytes that form or break multi-byte sequences, some ASCII and spaces.
      const int r = byte(rng);
      s.push_back(static_cast<char>(r < 64 ? ' ' + (r % 64) : r));
    }
    const std::vector<int32_t> ids = tok.Encode(s, false);
    for (int32_t id : ids) ASSERT_LT(static_cast<size_t>(id), tok.vocab_size());
    EXPECT_EQ(ids, tok.Encode(utf8::Lossy(s), false));
    EXPECT_TRUE(utf8::IsValid(tok.Decode(ids, false)));
  }
}

INSTANTIATE_TEST_SUITE_P(Families, IllFormedInput, ::testing::Values("qwen3", "llama3", "deepseek_v3", "gemma3", "mistral"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Well-formed text round-trips through encode and decode for the byte-level families.
TEST(Encode, RoundTripsArbitraryText) {
  const Tokenizer tok = LoadOrDie(testing::TokenizerDir("qwen3"));
  const std::string text = "Z\xC3\xBC" "rich \xE2\x80\x94 \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD\n\t  x\xE2\x80\x83y \xE1\xA0\x8E z";
  EXPECT_EQ(tok.Decode(tok.Encode(text, false), false), text);
}

// Long runs (whitespace, one letter, emoji, digits) exercise regex backtracking, the JIT stack and
// very long BPE words; every byte-level / byte-fallback family must round-trip them.
TEST(Encode, LongRunsRoundTrip) {
  const std::vector<std::string> texts = {
      std::string(200000, ' '), std::string(100000, '\n'), std::string(300000, 'a'),
      [] {
        std::string s;
        for (int i = 0; i < 50000; ++i) s += "\xF0\x9F\x98\x80";
        return s;
      }(),
      [] {
        std::string s;
        for (int i = 0; i < 30000; ++i) s += std::to_string(i) + (i % 7 ? " " : " \t\r\n  ");
        return s;
      }()};
  for (const char* family : {"qwen3", "gemma3", "mistral"}) {
    const Tokenizer tok = LoadOrDie(testing::TokenizerDir(family));
    for (const std::string& text : texts) {
      const std::vector<int32_t> ids = tok.Encode(text, false);
      EXPECT_FALSE(ids.empty());
      EXPECT_TRUE(tok.Decode(ids, false) == text) << family << ": round trip of a " << text.size() << "-byte run";
    }
  }
}

}  // namespace
}  // namespace anemll::tokenizer
