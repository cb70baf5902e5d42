// The pieces of the pipeline on small hand-made inputs: UTF-8 handling, the regex dialect, split
// behaviors, ByteLevel / Metaspace pre-tokenization, added-token matching flags, normalizers,
// BPE options and decoders. Expected values follow the Hugging Face tokenizers documentation and
// its source's semantics.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using nlohmann::json;
const detail::JsonPath kAt{"test.json", "x"};
const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8, LossyReplacesMaximalSubparts) {
  EXPECT_EQ(utf8::Lossy("a\xE2\x82" "b"), "a" + kFFFD + "b");       // truncated 3-byte sequence
  EXPECT_EQ(utf8::Lossy("\xF0\x9F\x98"), kFFFD);                      // truncated at the end: one
  EXPECT_EQ(utf8::Lossy("\xC0\x80"), kFFFD + kFFFD);                  // overlong lead, stray byte
  EXPECT_EQ(utf8::Lossy("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);      // surrogate
  EXPECT_EQ(utf8::Lossy("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // above U+10FFFF
  EXPECT_EQ(utf8::Lossy("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_TRUE(utf8::IsValid("plain ascii text longer than eight bytes"));
  EXPECT_FALSE(utf8::IsValid("plain ascii text \xFF longer than eight"));
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(utf8::IncompleteTailLength("ab"), 0u);
  EXPECT_EQ(utf8::IncompleteTailLength("a\xE2"), 1u);
  EXPECT_EQ(utf8::IncompleteTailLength("a\xE2\x82"), 2u);
  EXPECT_EQ(utf8::IncompleteTailLength("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(utf8::IncompleteTailLength("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(utf8::IncompleteTailLength("\xE2\x41"), 0u);  // already ill-formed: final
  EXPECT_EQ(utf8::IncompleteTailLength("\x82"), 0u);
}

std::vector<std::string> FindAll(const std::string& pattern, const std::string& text) {
  auto re = Regex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << re.status().message();
  std::vector<Match> m;
  re->FindAll(text, m);
  std::vector<std::string> out;
  for (const Match& x : m) out.push_back(text.substr(x.begin, x.end - x.begin));
  return out;
}

TEST(Regex, WhitespaceIsUnicodeWhiteSpaceLikeOniguruma) {
  // U+3000 (ideographic space) is white space; U+180E (Mongolian vowel separator) is not.
  EXPECT_EQ(FindAll(R"(\s+)", "a\xE3\x80\x80" "b"), std::vector<std::string>{"\xE3\x80\x80"});
  EXPECT_TRUE(FindAll(R"(\s)", "\xE1\xA0\x8E").empty());
  EXPECT_EQ(FindAll(R"([^\s\p{L}]+)", "ab 12\xE1\xA0\x8E"), std::vector<std::string>{"12\xE1\xA0\x8E"});
  EXPECT_EQ(FindAll(R"(\S+)", "x\xC2\xA0y"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(FindAll(R"(\h+)", "zz09afAFg"), std::vector<std::string>{"09afAF"});  // \h is a hex digit
  EXPECT_EQ(Regex::TranslateFromOniguruma(R"([\]\s])"), R"([\])" + std::string(
      "\\t-\\r\\x20\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"));
}

TEST(Regex, EmptyMatchesFollowOnigurumaIteration) {
  // "a*" on "baab": empty at 0, "aa" at 1..3, then the empty match at 3 is skipped (it touches
  // the previous match) and one is found at 4.
  EXPECT_EQ(FindAll("a*", "baab"), (std::vector<std::string>{"", "aa", ""}));
}

TEST(Regex, QwenPatternSplitsLikeTokenizers) {
  const std::string qwen =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(FindAll(qwen, "I'M 42  ok\n\nx"),
            (std::vector<std::string>{"I", "'M", " ", "4", "2", " ", " ok", "\n\n", "x"}));
}

std::vector<std::string> PreTokenize(const json& spec, const std::string& text) {
  auto pre = ParsePreTokenizer(spec, kAt);
  EXPECT_TRUE(pre.ok()) << pre.status().message();
  PreTokenized pt;
  pt.buffer = text;
  pt.pieces.push_back({0, static_cast<uint32_t>(text.size()), true});
  (*pre)->Apply(pt);
  std::vector<std::string> out;
  for (const auto& p : pt.pieces) out.emplace_back(pt.view(p));
  return out;
}

json SplitSpec(const std::string& behavior, bool invert = false) {
  return {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}};
}

TEST(PreTokenizer, SplitBehaviors) {
  const std::string t = "the-final--countdown";
  using V = std::vector<std::string>;
  EXPECT_EQ(PreTokenize(SplitSpec("Removed"), t), (V{"the", "final", "countdown"}));
  EXPECT_EQ(PreTokenize(SplitSpec("Isolated"), t), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(PreTokenize(SplitSpec("MergedWithPrevious"), t), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(PreTokenize(SplitSpec("MergedWithNext"), t), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(PreTokenize(SplitSpec("Contiguous"), t), (V{"the", "-", "final", "--", "countdown"}));
  // Inverted: the pieces between matches are dropped, every "-" match is kept on its own.
  EXPECT_EQ(PreTokenize(SplitSpec("Removed", true), t), (V{"-", "-", "-"}));
  const json words = {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Removed"}, {"invert", true}};
  EXPECT_EQ(PreTokenize(words, "hi, you"), (V{"hi", "you"}));
}

TEST(PreTokenizer, ByteLevelWithPrefixSpaceAndRegex) {
  const json spec = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(PreTokenize(spec, "Hello world\n"),
            (std::vector<std::string>{"\xC4\xA0Hello", "\xC4\xA0world", "\xC4\x8A"}));  // Ġ, Ċ
}

TEST(PreTokenizer, MetaspaceSchemes) {
  const json always = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}};
  EXPECT_EQ(PreTokenize(always, "Hey friend!"), (std::vector<std::string>{"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend!"}));
  const json never = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "never"}, {"split", false}};
  EXPECT_EQ(PreTokenize(never, "Hey friend"), (std::vector<std::string>{"Hey\xE2\x96\x81" "friend"}));
}

std::vector<Segment> SplitAdded(const std::vector<AddedToken>& tokens, const std::string& text) {
  AddedTokenMatcher m;
  m.Build(tokens, false);
  std::vector<Segment> out;
  m.Split(text, out);
  return out;
}

AddedToken Tok(int32_t id, std::string content, bool lstrip = false, bool rstrip = false, bool single = false) {
  AddedToken t;
  t.id = id;
  t.content = std::move(content);
  t.lstrip = lstrip;
  t.rstrip = rstrip;
  t.single_word = single;
  return t;
}

std::string Show(const std::vector<Segment>& segs, const std::string& text) {
  std::string s;
  for (const Segment& g : segs) {
    if (g.id >= 0) {
      s += '<';
      s += std::to_string(g.id);
      s += ':';
    } else {
      s += '[';
    }
    s += text.substr(g.begin, g.end - g.begin);
    s += g.id >= 0 ? ">" : "]";
  }
  return s;
}

TEST(AddedTokens, LeftmostLongestAndStripping) {
  std::vector<AddedToken> t = {Tok(7, "<a>"), Tok(8, "<a><b>"), Tok(9, "b>")};
  std::string text = "x<a><b>y<a>";
  EXPECT_EQ(Show(SplitAdded(t, text), text), "[x]<8:<a><b>>[y]<7:<a>>");

  t = {Tok(5, "<mask>", true, true)};
  text = "Hello  <mask>  there";
  EXPECT_EQ(Show(SplitAdded(t, text), text), "[Hello]<5:  <mask>  >[there]");

  t = {Tok(5, "ab", false, false, true)};
  text = "ab cab ab_ ab";
  EXPECT_EQ(Show(SplitAdded(t, text), text), "<5:ab>[ cab ab_ ]<5:ab>");

  EXPECT_TRUE(SplitAdded(t, "").empty());
}

std::string Normalize(const json& spec, std::string s) {
  auto n = ParseNormalizer(spec, kAt);
  EXPECT_TRUE(n.ok()) << n.status().message();
  (*n)->Normalize(s);
  return s;
}

TEST(Normalizer, Forms) {
  EXPECT_EQ(Normalize({{"type", "NFC"}}, "e\xCC\x81 caf\xC3\xA9"), "\xC3\xA9 caf\xC3\xA9");
  EXPECT_EQ(Normalize({{"type", "NFD"}}, "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(Normalize({{"type", "NFKC"}}, "\xEF\xAC\x81"), "fi");  // ﬁ ligature
  const json seq = {{"type", "Sequence"},
                    {"normalizers",
                     {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                      {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}};
  EXPECT_EQ(Normalize(seq, "a b"), "\xE2\x96\x81" "a\xE2\x96\x81" "b");
  EXPECT_EQ(Normalize(seq, ""), "");  // nothing is prepended to an empty string
  EXPECT_EQ(Normalize({{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", "_"}}, "a  b c"), "a_b_c");
  EXPECT_EQ(Normalize({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, " \t x "), "x ");
}

Tokenizer FromJson(const json& j) {
  auto tok = Tokenizer::FromJson(j.dump(), "test.json");
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  if (!tok.ok()) std::abort();
  return std::move(tok).value();
}

TEST(Bpe, MergesByRankAndIgnoreMerges) {
  json j = {{"model",
             {{"type", "BPE"},
              {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}}},
              {"merges", {"#version: 0.2", "b c", "a b", "a bc"}}}}};
  EXPECT_EQ(FromJson(j).Encode("abc", false), std::vector<int32_t>{5});   // b c first, then a bc
  EXPECT_EQ(FromJson(j).Encode("abab", false), (std::vector<int32_t>{3, 3}));
  j["model"]["merges"] = {"a b", "b c"};
  EXPECT_EQ(FromJson(j).Encode("abc", false), (std::vector<int32_t>{3, 2}));  // "ab c": no merge left
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(FromJson(j).Encode("abc", false), std::vector<int32_t>{5});   // the whole word is a token
}

TEST(Bpe, SubwordPrefixAndSuffix) {
  json j = {{"model",
             {{"type", "BPE"},
              {"vocab", {{"a", 0}, {"##b", 1}, {"##c</w>", 2}, {"a##b", 9}, {"ab", 3}, {"abc</w>", 4}}},
              {"continuing_subword_prefix", "##"},
              {"end_of_word_suffix", "</w>"},
              {"merges", json::array({json::array({"a", "##b"}), json::array({"ab", "##c</w>"})})}}}};
  EXPECT_EQ(FromJson(j).Encode("abc", false), std::vector<int32_t>{4});
}

TEST(Bpe, UnknownsAndByteFallback) {
  json j = {{"model",
             {{"type", "BPE"},
              {"vocab", {{"<unk>", 0}, {"a", 1}}},
              {"unk_token", "<unk>"},
              {"merges", json::array()}}}};
  EXPECT_EQ(FromJson(j).Encode("axya", false), (std::vector<int32_t>{1, 0, 0, 1}));
  j["model"]["fuse_unk"] = true;
  EXPECT_EQ(FromJson(j).Encode("axya", false), (std::vector<int32_t>{1, 0, 1}));
  j["model"]["byte_fallback"] = true;
  j["model"]["vocab"]["<0x78>"] = 2;  // 'x' only
  EXPECT_EQ(FromJson(j).Encode("axya", false), (std::vector<int32_t>{1, 2, 0, 1}));
}

std::string DecodeTokens(const json& spec, std::vector<std::string> tokens) {
  auto d = TokenDecoder::Parse(&spec, kAt);
  EXPECT_TRUE(d.ok()) << d.status().message();
  const std::string batch = d->Decode(tokens);
  // The streaming form must agree.
  auto stream = d->NewStream();
  std::string streamed;
  for (const auto& t : tokens) stream->Push(t, streamed);
  stream->Flush(streamed);
  EXPECT_EQ(streamed, batch);
  return batch;
}

TEST(Decoder, ByteFallbackRuns) {
  const json spec = {{"type", "ByteFallback"}};
  EXPECT_EQ(DecodeTokens(spec, {"<0xE2>", "<0x82>", "<0xAC>", "x"}), "\xE2\x82\xAC" "x");
  // An ill-formed run becomes one U+FFFD per byte, valid prefix included.
  EXPECT_EQ(DecodeTokens(spec, {"<0x61>", "<0xE2>", "<0x82>", "y"}), kFFFD + kFFFD + kFFFD + "y");
  EXPECT_EQ(DecodeTokens(spec, {"<0x+A>", "<0x0g>"}), "\n<0x0g>");
  uint8_t b = 0;
  EXPECT_TRUE(ParseByteToken("<0xff>", &b));
  EXPECT_EQ(b, 0xFF);
  EXPECT_FALSE(ParseByteToken("<0xFFF>", &b));
}

TEST(Decoder, SentencePieceChain) {
  const json spec = {{"type", "Sequence"},
                     {"decoders",
                      {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                       {{"type", "ByteFallback"}},
                       {{"type", "Fuse"}},
                       {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  EXPECT_EQ(DecodeTokens(spec, {"\xE2\x96\x81\xE2\x96\x81Hi", "\xE2\x96\x81there"}), " Hi there");
  EXPECT_EQ(DecodeTokens(spec, {}), "");
}

TEST(Decoder, StripBothEndsPerToken) {
  const json spec = {{"type", "Strip"}, {"content", "x"}, {"start", 2}, {"stop", 1}};
  EXPECT_EQ(DecodeTokens(spec, {"xxxaxx", "xbx", "c"}), "xax" "b" "c");
}

TEST(Decoder, MetaspaceDropsTheFirstTokensReplacements) {
  const json spec = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}};
  EXPECT_EQ(DecodeTokens(spec, {"\xE2\x96\x81Hey", "\xE2\x96\x81" "friend"}), "Hey friend");
  const json never = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "never"}};
  EXPECT_EQ(DecodeTokens(never, {"\xE2\x96\x81Hey"}), " Hey");
}

TEST(Decoder, ByteLevelKeepsForeignTokensVerbatim) {
  const json spec = {{"type", "ByteLevel"}};
  EXPECT_EQ(DecodeTokens(spec, {"Hello", "\xC4\xA0world", "<\xEF\xBD\x9C" "end\xEF\xBD\x9C>"}),
            "Hello world<\xEF\xBD\x9C" "end\xEF\xBD\x9C>");
  // "â" is byte E2, which "!" cannot continue: U+FFFD, then "!".
  EXPECT_EQ(DecodeTokens(spec, {"\xC3\xA2", "!"}), kFFFD + "!");
  // "Ģ" is byte 0x80: E2 80 is cut off at the end, one U+FFFD.
  EXPECT_EQ(DecodeTokens(spec, {"\xC3\xA2", "\xC4\xA2"}), kFFFD);
}

}  // namespace
}  // namespace anemll::tokenizer
