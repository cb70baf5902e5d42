#include "convert/layout.h"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "convert/meta_yaml.h"

namespace anemll::convert {
namespace {

TEST(LutSpec, ParsesAnemllSyntax) {
  auto none = LutSpec::Parse("--lut2", "none");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->enabled());
  EXPECT_FALSE(LutSpec::Parse("--lut2", "")->enabled());
  EXPECT_FALSE(LutSpec::Parse("--lut2", "false")->enabled());
  auto four = LutSpec::Parse("--lut2", "4");
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->bits, 4);
  EXPECT_EQ(four->group, 8);
  EXPECT_FALSE(four->group_given);
  auto six4 = LutSpec::Parse("--lut3", "6,4");
  ASSERT_TRUE(six4.ok());
  EXPECT_EQ(six4->bits, 6);
  EXPECT_EQ(six4->group, 4);
  EXPECT_EQ(six4->ToString(), "6,4");
  for (const char* t : {"4,0", "4,tensor", "4,t"}) {
    auto r = LutSpec::Parse("--lut2", t);
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_TRUE(r->per_tensor()) << t;
  }
}

TEST(LutSpec, RejectsBadValues) {
  for (const char* t : {"5", "16", "x", "4,abc", "-4"}) {
    auto r = LutSpec::Parse("--lut2", t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_NE(r.status().message().find("--lut2"), std::string::npos);
  }
}

TEST(ChunkLayerRange, FirstChunksTakeTheRemainder) {
  // 28 layers in 3 chunks: 10, 9, 9.
  EXPECT_EQ(ChunkLayerRange(28, 3, 0).begin, 0);
  EXPECT_EQ(ChunkLayerRange(28, 3, 0).end, 10);
  EXPECT_EQ(ChunkLayerRange(28, 3, 1).begin, 10);
  EXPECT_EQ(ChunkLayerRange(28, 3, 1).end, 19);
  EXPECT_EQ(ChunkLayerRange(28, 3, 2).end, 28);
  int covered = 0;
  for (int c = 0; c < 4; ++c) covered += ChunkLayerRange(7, 4, c).size();
  EXPECT_EQ(covered, 7);
}

TEST(LmHead, ChunkSizesAndDefaults) {
  EXPECT_EQ(LmHeadChunkSizes(128256, 8), std::vector<int64_t>(8, 16032));
  auto qwen = LmHeadChunkSizes(151936, 16);
  EXPECT_EQ(qwen.front(), 9496);
  auto odd = LmHeadChunkSizes(1027, 8);
  EXPECT_EQ(odd[0], 129);
  EXPECT_EQ(odd[2], 129);
  EXPECT_EQ(odd[3], 128);
  EXPECT_EQ(DefaultLmHeadSplit("llama"), 8);
  EXPECT_EQ(DefaultLmHeadSplit("qwen2"), 16);
  EXPECT_EQ(DefaultLmHeadSplit("gemma3_text"), 16);
  EXPECT_EQ(DefaultPrefix("qwen2"), "qwen25");
  EXPECT_EQ(DefaultPrefix("qwen3"), "qwen");
  EXPECT_EQ(DefaultPrefix("gemma3_text"), "gemma3");
  EXPECT_EQ(DefaultPrefix("llama"), "llama");
}

TEST(FileNames, MatchAnemll) {
  LutSpec lut4{4, 8, false};
  LutSpec none{};
  EXPECT_EQ(FfnChunkName("qwen", lut4, 0, 2), "qwen_FFN_PF_lut4_chunk_01of02");
  EXPECT_EQ(FfnChunkName("gemma3", none, 1, 2, true), "gemma3_FFN_PF_chunk_02of02_rot");
  EXPECT_EQ(EmbeddingsName("llama", none), "llama_embeddings");
  EXPECT_EQ(LmHeadName("llama", LutSpec{6, 8, false}), "llama_lm_head_lut6");
  EXPECT_EQ(MonolithicName("qwen25", LutSpec{6, 8, false}), "qwen25_monolithic_full_lut6");
}

TEST(MetaYaml, ChunkedMatchesAnemllLayout) {
  MetaYaml m;
  m.model_name = "Llama-3.2-1B-Instruct";
  m.architecture = "llama";
  m.context_length = 1024;
  m.lut_ffn = LutSpec{6, 4, true};
  m.lut_lmhead = LutSpec{6, 8, false};
  m.num_chunks = 2;
  m.prefix = "llama";
  m.embeddings_file = "llama_embeddings.mlmodelc";
  m.lm_head_file = "llama_lm_head_lut6.mlmodelc";
  m.ffn_file = "llama_FFN_PF_lut6_chunk_01of02.mlmodelc";
  m.argmax_in_model = true;
  m.vocab_size = 128256;
  m.lm_head_chunk_sizes = LmHeadChunkSizes(128256, 8);
  const std::string expected =
      "model_info:\n"
      "  name: anemll-Llama-3.2-1B-Instruct-ctx1024\n"
      "  version: 0.3.5\n"
      "  description: |\n"
      "    Demonstarates running Llama-3.2-1B-Instruct on Apple Neural Engine\n"
      "    Context length: 1024\n"
      "    Batch size: 64\n"
      "    Chunks: 2\n"
      "  license: MIT\n"
      "  author: Anemll\n"
      "  framework: Core ML\n"
      "  language: Python\n"
      "  architecture: llama\n"
      "  parameters:\n"
      "    context_length: 1024\n"
      "    batch_size: 64\n"
      "    lut_embeddings: none\n"
      "    lut_ffn: 6\n"
      "    lut_ffn_per_channel: 4\n"
      "    lut_lmhead: 6\n"
      "    num_chunks: 2\n"
      "    model_prefix: llama\n"
      "    embeddings: llama_embeddings.mlmodelc\n"
      "    lm_head: llama_lm_head_lut6.mlmodelc\n"
      "    ffn: llama_FFN_PF_lut6_chunk_01of02.mlmodelc\n"
      "    split_lm_head: 8\n"
      "    argmax_in_model: true\n"
      "    vocab_size: 128256\n"
      "    lm_head_chunk_sizes: [16032, 16032, 16032, 16032, 16032, 16032, 16032, 16032]\n"
      "    prefill_dynamic_slice: true\n";
  EXPECT_EQ(RenderMetaYaml(m), expected);
}

TEST(MetaYaml, MonolithicParsesAsYamlWithComments) {
  MetaYaml m;
  m.monolithic = true;
  m.model_name = "tiny";
  m.architecture = "gemma3_text";
  m.prefix = "gemma3";
  m.lut_ffn = LutSpec{4, 8, false};
  m.lut_lmhead = LutSpec{6, 8, false};
  m.lut_embeddings = m.lut_ffn;
  m.monolithic_file = "gemma3_monolithic_full_lut4.mlmodelc";
  m.split_lm_head = 16;
  m.sliding_window = 512;
  m.rotate_functions = true;
  m.generated_timestamp = "2026-01-01 00:00:00";
  m.conversion_info = {{"command_line", "anemll convert --model x: y"}, {"argmax_in_model", "false"},
                       {"model_path", "/m"}};
  std::string text = RenderMetaYaml(m);
  YAML::Node root = YAML::Load(text);
  auto p = root["model_info"]["parameters"];
  EXPECT_EQ(root["model_info"]["model_type"].as<std::string>(), "monolithic");
  EXPECT_EQ(p["lut_bits"].as<int>(), 4);
  EXPECT_EQ(p["lut_lmhead"].as<int>(), 6);
  EXPECT_FALSE(p["lut_embeddings"]);
  EXPECT_EQ(p["functions"].size(), 4u);
  EXPECT_EQ(p["functions"][1].as<std::string>(), "infer_rotate");
  // Comment block: ANEMLL's order (model_path first), values quoted when YAML would misread them.
  EXPECT_LT(text.find("# model_path: /m"), text.find("# command_line: \"anemll convert --model x: y\""));
  EXPECT_NE(text.find("# argmax_in_model: false"), std::string::npos);
}

}  // namespace
}  // namespace anemll::convert
