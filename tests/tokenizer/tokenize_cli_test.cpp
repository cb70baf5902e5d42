// `anemll tokenize`: ids as text and JSON, --add-special, --text-file, --decode, and one-line
// errors with a non-zero exit for bad flags and bad inputs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support/test_support.h"

namespace anemll {
namespace {

using anemll::testing::RunCli;
using anemll::testing::TokenizerDir;

std::string Stories() { return (testing::ModelDir("stories260K")).string(); }

void ExpectOneLineError(const testing::CliResult& r, const std::string& part) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << "'" << part << "' missing in: " << r.err;
}

TEST(TokenizeCli, PrintsIdsSpaceSeparated) {
  auto r = RunCli({"tokenize", "--model", Stories(), "--text", "Once upon a time", "--add-special"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 403 407 261 378\n");
  EXPECT_EQ(r.err, "");
}

TEST(TokenizeCli, PrintsJsonArray) {
  auto r = RunCli({"tokenize", "--model", TokenizerDir("qwen3").string(), "--text", "Hello, world!", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[9707,11,1879,0]\n");
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), 4u);
}

TEST(TokenizeCli, JsonWithoutSpecialIsEmptyForEmptyText) {
  auto r = RunCli({"tokenize", "--model", Stories(), "--text", "", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[]\n");
}

TEST(TokenizeCli, ReadsTextFile) {
  testing::TempDir tmp;
  {
    std::ofstream f(tmp / "prompt.txt", std::ios::binary);
    f << "Once upon a time";
  }
  auto r = RunCli({"tokenize", "--model", Stories(), "--text-file", (tmp / "prompt.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "403 407 261 378\n");
}

TEST(TokenizeCli, DecodesIdsExactly) {
  auto r = RunCli({"tokenize", "--model", Stories(), "--decode", "--ids", "1,403,407,261,378"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<s> Once upon a time");  // special tokens kept, no newline added
  auto s = RunCli({"tokenize", "--model", Stories(), "--decode", "--ids", "1,403,407,261,378", "--skip-special"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, "Once upon a time");
}

TEST(TokenizeCli, DecodeKeepsTrailingNewlines) {
  auto r = RunCli({"tokenize", "--model", TokenizerDir("qwen3").string(), "--decode", "--ids", "9707,198,198"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello\n\n");
}

TEST(TokenizeCli, UnknownFlagIsAOneLineError) {
  auto r = RunCli({"tokenize", "--model", Stories(), "--text", "x", "--bogus"});
  ExpectOneLineError(r, "--bogus");
}

TEST(TokenizeCli, MissingTextIsAnError) {
  auto r = RunCli({"tokenize", "--model", Stories()});
  ExpectOneLineError(r, "--text");
}

TEST(TokenizeCli, BadIdListNamesTheFlag) {
  auto r = RunCli({"tokenize", "--model", Stories(), "--decode", "--ids", "1,x,3"});
  ExpectOneLineError(r, "--ids");
  auto big = RunCli({"tokenize", "--model", Stories(), "--decode", "--ids", "1,600"});
  ExpectOneLineError(big, "600");
}

TEST(TokenizeCli, MissingTokenizerNamesTheFile) {
  testing::TempDir tmp;
  auto r = RunCli({"tokenize", "--model", tmp.path().string(), "--text", "x"});
  ExpectOneLineError(r, "tokenizer.json");
}

TEST(TokenizeCli, MalformedTokenizerNamesTheFile) {
  testing::TempDir tmp;
  {
    std::ofstream f(tmp / "tokenizer.json");
    f << "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [";
  }
  auto r = RunCli({"tokenize", "--model", tmp.path().string(), "--text", "x"});
  ExpectOneLineError(r, "tokenizer.json: malformed JSON");
}

}  // namespace
}  // namespace anemll
