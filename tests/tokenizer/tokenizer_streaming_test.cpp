// StreamingDecoder: pushing ids one at a time and flushing must give exactly Decode(all ids), and
// no chunk may end inside a UTF-8 character.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using nlohmann::json;

json ReadGolden(const std::string& family) {
  std::ifstream in(testing::FixturesDir() / "tokenizer-goldens" / (family + ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// Streams `ids` and checks every chunk is well-formed UTF-8; returns the concatenation.
std::string StreamAll(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip, std::string* bad_chunk) {
  StreamingDecoder dec(tok, skip);
  std::string all;
  for (int32_t id : ids) {
    std::string chunk = dec.Push(id);
    if (!utf8::IsValid(chunk) && bad_chunk->empty()) *bad_chunk = chunk;
    all += chunk;
  }
  all += dec.Flush();
  return all;
}

class StreamingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamingTest, EqualsBatchDecodeOnEveryGoldenCase) {
  const std::string family = GetParam();
  auto tok = Tokenizer::Load(testing::TokenizerDir(family));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const json golden = ReadGolden(family);
  for (const json& c : golden["cases"]) {
    const std::string text = c["text"].get<std::string>();
    for (const char* field : {"ids", "ids_with_special"}) {
      const auto ids = c[field].get<std::vector<int32_t>>();
      for (bool skip : {false, true}) {
        std::string bad;
        EXPECT_EQ(StreamAll(*tok, ids, skip, &bad), tok->Decode(ids, skip))
            << family << " " << field << " skip=" << skip << " case \"" << text << "\"";
        EXPECT_TRUE(bad.empty()) << "chunk ends inside a character: case \"" << text << "\"";
      }
    }
  }
}

// Random id sequences, biased towards byte-fallback tokens and multi-byte pieces, so incomplete
// characters, invalid byte runs and special tokens meet the stream boundaries.
TEST_P(StreamingTest, EqualsBatchDecodeOnRandomIds) {
  const std::string family = GetParam();
  auto tok = Tokenizer::Load(testing::TokenizerDir(family));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  std::vector<int32_t> interesting;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    if (int32_t id = tok->TokenToId(name); id >= 0) interesting.push_back(id);
  }
  for (int32_t id = 0; id < static_cast<int32_t>(tok->vocab_size()) && interesting.size() < 2000; id += 97) {
    interesting.push_back(id);
  }
  for (int32_t id = 0; id < 300; ++id) interesting.push_back(id);  // byte-level single bytes, specials
  std::mt19937 rng(1234);
  std::uniform_int_distribution<size_t> pick(0, interesting.size() - 1);
  std::uniform_int_distribution<int> len(0, 24);
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<int32_t> ids;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) ids.push_back(interesting[pick(rng)]);
    if (trial % 7 == 0) ids.push_back(static_cast<int32_t>(tok->vocab_size()) + 5);  // unknown id
    for (bool skip : {false, true}) {
      std::string bad;
      ASSERT_EQ(StreamAll(*tok, ids, skip, &bad), tok->Decode(ids, skip)) << family << " trial " << trial;
      ASSERT_TRUE(bad.empty()) << family << " trial " << trial;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, StreamingTest,
                         ::testing::Values("qwen3", "llama3", "llama3_1", "deepseek_v3", "gemma3", "mistral"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(StreamingDecoder, HoldsAnIncompleteCharacterUntilItCompletes) {
  auto tok = Tokenizer::Load(testing::TokenizerDir("mistral"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  // "€" is E2 82 AC: three byte-fallback tokens.
  const int32_t e2 = tok->TokenToId("<0xE2>");
  const int32_t x82 = tok->TokenToId("<0x82>");
  const int32_t xac = tok->TokenToId("<0xAC>");
  const int32_t hello = tok->TokenToId("\xE2\x96\x81Hello");
  ASSERT_GE(e2, 0);
  ASSERT_GE(hello, 0);
  StreamingDecoder dec(*tok, true);
  EXPECT_EQ(dec.Push(hello), "Hello");  // leading space stripped at the very start only
  EXPECT_EQ(dec.Push(e2), "");
  EXPECT_EQ(dec.Push(x82), "");
  EXPECT_EQ(dec.Push(xac), "");           // a byte run may still grow
  EXPECT_EQ(dec.Push(hello), "\xE2\x82\xAC Hello");
  EXPECT_EQ(dec.Flush(), "");
}

TEST(StreamingDecoder, ByteLevelEmitsCompleteCharactersOnly) {
  auto tok = Tokenizer::Load(testing::TokenizerDir("qwen3"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const std::vector<int32_t> ids = tok->Encode("\xF0\x9F\x98\x80!", false);  // "😀!"
  StreamingDecoder dec(*tok, false);
  std::string got;
  for (int32_t id : ids) {
    std::string chunk = dec.Push(id);
    EXPECT_TRUE(utf8::IsValid(chunk));
    got += chunk;
  }
  EXPECT_EQ(got, "\xF0\x9F\x98\x80!");
  EXPECT_EQ(dec.Flush(), "");
}

TEST(StreamingDecoder, FlushStartsANewSequence) {
  auto tok = Tokenizer::Load(testing::TokenizerDir("mistral"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const std::vector<int32_t> ids = tok->Encode("Hello world", false);
  StreamingDecoder dec(*tok, true);
  std::string first;
  for (int32_t id : ids) first += dec.Push(id);
  first += dec.Flush();
  std::string second;
  for (int32_t id : ids) second += dec.Push(id);
  second += dec.Flush();
  EXPECT_EQ(first, "Hello world");
  EXPECT_EQ(second, "Hello world");
}

}  // namespace
}  // namespace anemll::tokenizer
