// Bad tokenizer.json / tokenizer_config.json files: each gives a clear error naming the file and
// the JSON field, never a crash.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/test_support.h"
#include "tokenizer/tokenizer.h"

namespace anemll::tokenizer {
namespace {

constexpr const char* kOrigin = "dir/tokenizer.json";

// A small valid tokenizer.json with one part replaced.
std::string TokenizerJson(const std::string& model, const std::string& extra = "") {
  return R"({"version": "1.0", "added_tokens": [], )" + extra + R"("model": )" + model + "}";
}

const std::string kModel =
    R"({"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})";

void ExpectError(const std::string& json, const std::string& part1, const std::string& part2 = "") {
  auto tok = Tokenizer::FromJson(json, kOrigin);
  ASSERT_FALSE(tok.ok()) << "loaded: " << json;
  const std::string& msg = tok.status().message();
  EXPECT_EQ(msg.rfind(kOrigin, 0), 0u) << msg;  // names the file first
  EXPECT_NE(msg.find(part1), std::string::npos) << "'" << part1 << "' missing in: " << msg;
  if (!part2.empty()) {
    EXPECT_NE(msg.find(part2), std::string::npos) << "'" << part2 << "' missing in: " << msg;
  }
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(TokenizerErrors, TheBaseFileLoads) {
  auto tok = Tokenizer::FromJson(TokenizerJson(kModel), kOrigin);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ(tok->Encode("ab", false), std::vector<int32_t>{2});
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{2, 0}, false), "ab a");  // no decoder: joined by spaces
}

TEST(TokenizerErrors, MalformedJson) {
  ExpectError(R"({"model": {"type": "BPE", "vocab": {"a": 0)", "malformed JSON");
  ExpectError("", "malformed JSON");
  ExpectError("[1, 2]", "expected a JSON object");
}

TEST(TokenizerErrors, UnknownModelType) {
  ExpectError(TokenizerJson(R"({"type": "WordPiece", "vocab": {"a": 0}})"), "model.type", "WordPiece");
  ExpectError(TokenizerJson(R"({"type": "Unigram", "vocab": [["a", -1.0]]})"), "model.type", "Unigram");
  ExpectError(R"({"version": "1.0"})", "model", "missing");
}

TEST(TokenizerErrors, BadVocabAndMerges) {
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]})"), "model.merges[0]",
              "\"c\" is not in the vocabulary");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]})"), "model.merges[0]",
              "merged token \"ab\"");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "ab"]})"),
              "model.merges[1]", "left right");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a"]]})"), "model.merges[0]");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": "zero"}, "merges": []})"), "model.vocab", "\"a\"");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": -3}, "merges": []})"), "model.vocab", "\"a\"");
  ExpectError(TokenizerJson(R"({"type": "BPE", "merges": []})"), "model.vocab", "missing");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0}})"), "model.merges", "missing");
  ExpectError(TokenizerJson(R"({"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"})"),
              "model.byte_fallback");
}

TEST(TokenizerErrors, UnknownComponentTypes) {
  ExpectError(TokenizerJson(kModel, R"("normalizer": {"type": "Lowercase"}, )"), "normalizer.type", "Lowercase");
  ExpectError(TokenizerJson(kModel, R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Bogus"}]}, )"),
              "normalizer.normalizers[1].type", "Bogus");
  ExpectError(TokenizerJson(kModel, R"("pre_tokenizer": {"type": "BertPreTokenizer"}, )"), "pre_tokenizer.type",
              "BertPreTokenizer");
  ExpectError(TokenizerJson(kModel, R"("decoder": {"type": "WordPiece"}, )"), "decoder.type", "WordPiece");
  ExpectError(TokenizerJson(kModel, R"("post_processor": {"type": "Bogus"}, )"), "post_processor.type", "Bogus");
  ExpectError(TokenizerJson(kModel, R"("normalizer": {"kind": "NFC"}, )"), "normalizer.type", "missing");
}

TEST(TokenizerErrors, BadRegexNamesTheField) {
  ExpectError(TokenizerJson(kModel, R"("pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false}]}, )"),
              "pre_tokenizer.pretokenizers[0].pattern.Regex", "(unclosed");
  ExpectError(TokenizerJson(kModel, R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"}, )"),
              "pre_tokenizer.behavior", "Sideways");
  ExpectError(TokenizerJson(kModel, R"("normalizer": {"type": "Replace", "pattern": {"Regex": "[z-a]"}, "content": ""}, )"),
              "normalizer.pattern.Regex");
}

TEST(TokenizerErrors, BadAddedTokens) {
  ExpectError(R"({"added_tokens": {"a": 1}, "model": )" + kModel + "}", "added_tokens", "expected an array");
  ExpectError(R"({"added_tokens": [{"id": 5, "special": true}], "model": )" + kModel + "}", "added_tokens[0].content",
              "missing");
  ExpectError(R"({"added_tokens": [{"id": 5, "content": "<s>", "special": "yes"}], "model": )" + kModel + "}",
              "added_tokens[0].special");
}

TEST(TokenizerErrors, PostProcessorNamesUnknownSpecialToken) {
  ExpectError(TokenizerJson(kModel, R"("post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {}}, )"),
              "post_processor.single[0]", "<s>");
  ExpectError(TokenizerJson(kModel, R"("post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [99], "tokens": ["<s>"]}}}, )"),
              "post_processor", "99");
}

TEST(TokenizerErrors, UnknownVersion) { ExpectError(R"({"version": "2.0", "model": )" + kModel + "}", "version"); }

TEST(TokenizerErrors, MissingFileNamesThePath) {
  testing::TempDir tmp;
  auto tok = Tokenizer::Load(tmp.path());
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find((tmp / "tokenizer.json").string()), std::string::npos)
      << tok.status().message();
  auto nowhere = Tokenizer::Load(tmp / "does-not-exist");
  ASSERT_FALSE(nowhere.ok());
}

TEST(TokenizerErrors, BadConfigNamesFileAndField) {
  testing::TempDir tmp;
  {
    std::ofstream f(tmp / "tokenizer.json");
    f << TokenizerJson(kModel);
  }
  auto write_config = [&](const std::string& text) {
    std::ofstream f(tmp / "tokenizer_config.json");
    f << text;
  };
  const std::string config_path = (tmp / "tokenizer_config.json").string();
  struct Case {
    std::string text;
    std::string field;
  };
  for (const Case& c : {Case{"{\"bos_token\": ", "malformed JSON"}, Case{R"({"bos_token": 5})", "bos_token"},
                        Case{R"({"add_bos_token": "yes"})", "add_bos_token"},
                        Case{R"({"chat_template": 7})", "chat_template"},
                        Case{R"({"chat_template": [{"name": "default"}]})", "chat_template[0].template"}}) {
    write_config(c.text);
    auto tok = Tokenizer::Load(tmp.path());
    ASSERT_FALSE(tok.ok()) << c.text;
    EXPECT_NE(tok.status().message().find(config_path), std::string::npos) << tok.status().message();
    EXPECT_NE(tok.status().message().find(c.field), std::string::npos) << tok.status().message();
  }
}

}  // namespace
}  // namespace anemll::tokenizer
