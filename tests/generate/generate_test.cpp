// The generation loop over the reference decoder, and stop-token sets.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "generate/decoder.h"
#include "generate/generate.h"
#include "generate/stop_tokens.h"
#include "hf/checkpoint.h"
#include "reference/model.h"
#include "support/test_support.h"
#include "tokenizer/tokenizer.h"

namespace anemll::generate {
namespace {

using testing::ModelDir;

struct Stories {
  std::unique_ptr<hf::Checkpoint> checkpoint;
  std::unique_ptr<reference::Model> model;
  std::vector<int32_t> prompt;    // BOS + "Once upon a time"
  std::vector<int32_t> expected;  // llama2.c greedy continuation (252 tokens)
};

Stories LoadStories() {
  Stories s;
  auto ckpt = hf::Checkpoint::Open(ModelDir("stories260K"));
  EXPECT_TRUE(ckpt.ok());
  s.checkpoint = std::make_unique<hf::Checkpoint>(std::move(ckpt).value());
  auto model = reference::Model::Load(*s.checkpoint);
  EXPECT_TRUE(model.ok());
  s.model = std::move(model).value();
  std::ifstream in(ModelDir("stories260K") / "llama2c" / "golden_once_upon_a_time_greedy_n256.json");
  auto j = nlohmann::json::parse(in);
  s.prompt = j["prompt_ids_with_bos"].get<std::vector<int32_t>>();
  s.expected = j["generated_ids"].get<std::vector<int32_t>>();
  return s;
}

TEST(Generate, GreedyReproducesLlama2cStory) {
  Stories s = LoadStories();
  ReferenceDecoder decoder(*s.model);
  GenerateOptions o;
  o.max_new_tokens = static_cast<int64_t>(s.expected.size());
  std::vector<int32_t> streamed;
  auto r = Generate(decoder, s.prompt, o, [&](int32_t t) {
    streamed.push_back(t);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->tokens, s.expected);
  EXPECT_EQ(streamed, s.expected);
  EXPECT_EQ(r->reason, StopReason::kMaxTokens);
  EXPECT_EQ(r->prompt_tokens, 5);
  // The last token is not fed (no wasted step): prompt + generated - 1.
  EXPECT_EQ(decoder.position(), static_cast<int64_t>(s.prompt.size() + s.expected.size() - 1));
}

TEST(Generate, StopsAtAStopTokenWithoutEmittingIt) {
  Stories s = LoadStories();
  ReferenceDecoder decoder(*s.model);
  GenerateOptions o;
  o.max_new_tokens = 100;
  o.stop_tokens = {999999, s.expected[10]};  // unsorted, with an id that never occurs
  auto r = Generate(decoder, s.prompt, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, StopReason::kStopToken);
  EXPECT_EQ(r->stop_token, s.expected[10]);
  // The first occurrence of that id in the story ends it.
  size_t first = std::find(s.expected.begin(), s.expected.end(), s.expected[10]) - s.expected.begin();
  EXPECT_EQ(r->tokens, std::vector<int32_t>(s.expected.begin(), s.expected.begin() + first));
}

TEST(Generate, CallbackContextAndBudgetLimits) {
  Stories s = LoadStories();
  {
    ReferenceDecoder decoder(*s.model);
    GenerateOptions o;
    int calls = 0;
    auto r = Generate(decoder, s.prompt, o, [&](int32_t) { return ++calls < 3; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->reason, StopReason::kCallback);
    EXPECT_EQ(r->tokens.size(), 3u);
  }
  {
    reference::SessionOptions so;
    so.max_context = 12;
    ReferenceDecoder decoder(*s.model, so);
    GenerateOptions o;
    o.max_new_tokens = 100;
    o.shift_context = false;
    auto r = Generate(decoder, s.prompt, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->reason, StopReason::kContextFull);
    EXPECT_EQ(r->tokens, std::vector<int32_t>(s.expected.begin(), s.expected.begin() + 8));
    // With shifting (the default) generation goes on past the context.
    o.shift_context = true;
    decoder.Reset();
    auto shifted = Generate(decoder, s.prompt, o);
    ASSERT_TRUE(shifted.ok()) << shifted.status().message();
    EXPECT_EQ(shifted->reason, StopReason::kMaxTokens);
    EXPECT_EQ(shifted->tokens.size(), 100u);
    EXPECT_GT(shifted->context_shifts, 0);
    EXPECT_EQ(std::vector<int32_t>(shifted->tokens.begin(), shifted->tokens.begin() + 8),
              std::vector<int32_t>(s.expected.begin(), s.expected.begin() + 8));
    // A prompt that does not fit is an error.
    ReferenceDecoder small(*s.model, so);
    std::vector<int32_t> long_prompt(13, 1);
    auto bad = Generate(small, long_prompt, o);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().message(), "generate: prompt of 13 tokens at position 0 does not fit the context of 12 tokens");
  }
  {
    ReferenceDecoder decoder(*s.model);
    GenerateOptions o;
    o.max_new_tokens = 0;
    auto r = Generate(decoder, s.prompt, o);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->tokens.empty());
    EXPECT_FALSE(Generate(decoder, {}, o).ok());
    o.sampling.top_p = 2;
    EXPECT_FALSE(Generate(decoder, s.prompt, o).ok());
  }
}

TEST(Generate, SeededSamplingIsReproducible) {
  Stories s = LoadStories();
  GenerateOptions o;
  o.max_new_tokens = 40;
  o.sampling.temperature = 1.0;
  o.sampling.top_k = 40;
  o.sampling.top_p = 0.9;
  o.sampling.seed = 42;
  ReferenceDecoder a(*s.model), b(*s.model);
  auto ra = Generate(a, s.prompt, o);
  auto rb = Generate(b, s.prompt, o);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->tokens, rb->tokens);
  EXPECT_NE(ra->tokens, std::vector<int32_t>(s.expected.begin(), s.expected.begin() + 40));
}

TEST(StopTokens, UnionOfConfigGenerationConfigTokenizerAndEndOfTurn) {
  hf::ModelSpec spec;
  spec.vocab_size = 200;
  spec.eos_token_ids = {2, 5000};  // out of vocabulary ids are dropped
  hf::GenerationConfig gen;
  gen.eos_token_ids = {7, 2};
  auto lookup = [](std::string_view t) -> int32_t {
    if (t == "<|im_end|>") return 150;
    if (t == "</s>") return 3;
    return -1;
  };
  EXPECT_EQ(StopTokenIds(spec, &gen, 9, lookup), (std::vector<int32_t>{2, 3, 7, 9, 150}));
  EXPECT_EQ(StopTokenIds(spec, nullptr, -1, {}), (std::vector<int32_t>{2}));
}

TEST(StopTokens, FromRealTokenizers) {
  hf::ModelSpec qwen;
  qwen.vocab_size = 151936;
  auto tok = tokenizer::Tokenizer::Load(testing::TokenizerDir("qwen3"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const auto ids = StopTokenIds(qwen, nullptr, &*tok);
  EXPECT_NE(std::find(ids.begin(), ids.end(), tok->TokenToId("<|im_end|>")), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), tok->TokenToId("<|endoftext|>")), ids.end());

  auto stories_tok = tokenizer::Tokenizer::Load(ModelDir("stories260K"));
  ASSERT_TRUE(stories_tok.ok()) << stories_tok.status().message();
  hf::ModelSpec spec = *hf::LoadModelSpec(ModelDir("stories260K") / "config.json");
  EXPECT_EQ(StopTokenIds(spec, nullptr, &*stories_tok), (std::vector<int32_t>{2}));
}

}  // namespace
}  // namespace anemll::generate
