// Chunk sizing: parameter counts of the fixture models worked out by hand from their configs,
// ANEMLL's documented Qwen3-4B recommendation, the balanced split and the input checks.
#include "convert/chunk_calc.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/file.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using testing::ModelDir;
using testing::TempDir;

constexpr double kBytesTol = 1e-6;  // sizes are exact products of integers and 1.10

ParamCounts CountsOf(const std::string& model) {
  auto spec = LoadSpecForSizing(ModelDir(model));
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? CountParams(*spec) : ParamCounts{};
}

TEST(ChunkCalc, TinyLlamaCounts) {
  // config: hidden 64, intermediate 192, 4 heads of 16, 2 KV heads, 3 layers, vocab 1024, untied.
  auto spec = LoadSpecForSizing(ModelDir("tiny-llama") / "config.json");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_EQ(spec->hidden_size, 64);
  ASSERT_EQ(spec->intermediate_size, 192);
  ASSERT_EQ(spec->num_heads, 4);
  ASSERT_EQ(spec->num_kv_heads, 2);
  ASSERT_EQ(spec->head_dim, 16);
  const ParamCounts c = CountParams(*spec);
  EXPECT_EQ(c.attention, 64 * 64 + 2 * 64 * 32 + 64 * 64);  // q, k, v, o = 12288
  EXPECT_EQ(c.mlp, 3 * 64 * 192);                           // 36864
  EXPECT_EQ(c.norms, 2 * 64);
  EXPECT_EQ(c.layer(), 49280);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.embeddings, 1024 * 64);
  EXPECT_EQ(c.lm_head, 1024 * 64);  // not tied
  EXPECT_EQ(c.final_norm, 64);
  // fp16 bytes x 1.10; LUT4 a quarter of that.
  EXPECT_NEAR(EstimatedLayersBytes(c, 1, 16, 1.10), 49280 * 2 * 1.10, kBytesTol);
  EXPECT_NEAR(EstimatedLayersBytes(c, 3, 4, 1.10), 49280 * 2 * 3 * 0.25 * 1.10, kBytesTol);
}

TEST(ChunkCalc, FamilyExtras) {
  // qwen2: head_dim 64/4 = 16, q/k/v biases (64 + 32 + 32), no o bias, tied.
  ParamCounts q2 = CountsOf("tiny-qwen2");
  EXPECT_EQ(q2.attention, 12288 + 128);
  EXPECT_EQ(q2.mlp, 3 * 64 * 160);
  EXPECT_EQ(q2.layer(), 12416 + 30720 + 128);
  EXPECT_EQ(q2.lm_head, 0);
  // qwen3: head_dim 32 (q width 128, KV width 64), q_norm + k_norm of 32 each.
  ParamCounts q3 = CountsOf("tiny-qwen3");
  EXPECT_EQ(q3.attention, 64 * 128 + 2 * 64 * 64 + 128 * 64 + 2 * 32);
  EXPECT_EQ(q3.layer(), 24640 + 3 * 64 * 128 + 128);
  // gemma3: 4 heads of 32, 1 KV head, q/k norms, 4 norms per layer, 7 layers, tied.
  ParamCounts g3 = CountsOf("tiny-gemma3");
  EXPECT_EQ(g3.attention, 64 * 128 + 2 * 64 * 32 + 128 * 64 + 2 * 32);
  EXPECT_EQ(g3.norms, 4 * 64);
  EXPECT_EQ(g3.layer(), 20544 + 36864 + 256);
  EXPECT_EQ(g3.num_layers, 7);
  EXPECT_EQ(g3.lm_head, 0);
}

TEST(ChunkCalc, BalancedSplitAndLimit) {
  const ParamCounts c = CountsOf("tiny-gemma3");  // 7 layers of 57664 parameters
  const double layer = 57664 * 2 * 1.10;
  auto chunks = EstimateChunks(c, 3, 16, 1.10);  // 3, 2, 2 layers
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].layers.begin, 0);
  EXPECT_EQ(chunks[0].layers.end, 3);
  EXPECT_EQ(chunks[1].layers.begin, 3);
  EXPECT_EQ(chunks[2].layers.end, 7);
  EXPECT_NEAR(chunks[0].bytes, 3 * layer, kBytesTol);
  EXPECT_NEAR(chunks[2].bytes, 2 * layer, kBytesTol);
  EXPECT_NEAR(LargestChunkBytes(c, 3, 16, 1.10), 3 * layer, kBytesTol);

  ChunkSizing z;
  z.max_chunk_mb = 2.5 * layer / kBytesPerMb;  // two layers fit, three do not
  EXPECT_EQ(RecommendChunkCount(c, z), 4);    // 2, 2, 2, 1
  z.max_chunk_mb = 2.0 * layer / kBytesPerMb;  // exactly two layers: fits (<=)
  EXPECT_EQ(RecommendChunkCount(c, z), 4);
  z.max_chunk_mb = 7 * layer / kBytesPerMb;
  EXPECT_EQ(RecommendChunkCount(c, z), 1);
  z.max_chunk_mb = 0.5 * layer / kBytesPerMb;  // not even one layer fits: one layer per chunk
  EXPECT_EQ(RecommendChunkCount(c, z), 7);
  z.lut_bits = 4;  // a quarter of the size: 2 layers fit in the same limit
  z.max_chunk_mb = 0.5 * layer / kBytesPerMb;
  EXPECT_EQ(RecommendChunkCount(c, z), 4);
}

// ANEMLL's documented example: Qwen3-4B (36 layers) at 950 MB -> FP16 9, LUT8 5, LUT6 4, LUT4 3.
TEST(ChunkCalc, Qwen3FourBillionExample) {
  TempDir tmp;
  const std::string config = R"({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
    "hidden_size": 2560, "intermediate_size": 9728, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 128, "vocab_size": 151936, "num_hidden_layers": 36, "tie_word_embeddings": true,
    "max_position_embeddings": 40960, "rms_norm_eps": 1e-6, "rope_theta": 1000000, "attention_bias": false})";
  ASSERT_TRUE(WriteFileAtomic(tmp / "config.json", config).ok());
  auto spec = LoadSpecForSizing(tmp.path());
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const ParamCounts c = CountParams(*spec);
  // q 2560·4096, k = v 2560·1024, o 4096·2560, q/k norms 2·128, MLP 3·2560·9728, norms 2·2560.
  EXPECT_EQ(c.attention, 10485760 + 2 * 2621440 + 10485760 + 256);
  EXPECT_EQ(c.mlp, 74711040);
  EXPECT_EQ(c.layer(), 100930816);
  EXPECT_EQ(c.embeddings, 151936LL * 2560);
  EXPECT_EQ(c.lm_head, 0);
  const int expected[][2] = {{16, 9}, {8, 5}, {6, 4}, {4, 3}};
  for (const auto& [bits, chunks] : expected) {
    ChunkSizing z;
    z.lut_bits = bits;
    EXPECT_EQ(RecommendChunkCount(c, z), chunks) << "LUT bits " << bits;
  }
  // LUT4 at 3 chunks: 12 layers · 100930816 · 2 bytes · 4/16 · 1.10.
  EXPECT_NEAR(LargestChunkBytes(c, 3, 4, 1.10), 12.0 * 100930816 * 2 * 0.25 * 1.10, 1e-3);
  // FP16 needs 9: 8 chunks would hold 5 layers (5 · 211.76 MB > 950 MB).
  EXPECT_GT(LargestChunkBytes(c, 8, 16, 1.10), 950 * kBytesPerMb);
  EXPECT_LE(LargestChunkBytes(c, 9, 16, 1.10), 950 * kBytesPerMb);
}

TEST(ChunkCalc, SizingValidation) {
  ChunkSizing z;
  EXPECT_TRUE(ValidateChunkSizing(z).ok());
  for (int bits : {1, 2, 3, 4, 6, 8, 16}) {
    z.lut_bits = bits;
    EXPECT_TRUE(ValidateChunkSizing(z).ok()) << bits;
  }
  for (int bits : {0, 5, 7, 12, 32}) {
    z.lut_bits = bits;
    Status s = ValidateChunkSizing(z);
    EXPECT_FALSE(s.ok()) << bits;
    EXPECT_NE(s.message().find("--lut " + std::to_string(bits)), std::string::npos) << s.message();
  }
  z = ChunkSizing{};
  for (double mb : {0.0, -1.0, std::nan("")}) {
    z.max_chunk_mb = mb;
    Status s = ValidateChunkSizing(z);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("--max-chunk-mb"), std::string::npos) << s.message();
  }
  z = ChunkSizing{};
  z.overhead = 0;
  EXPECT_NE(ValidateChunkSizing(z).message().find("--overhead"), std::string::npos);
}

TEST(ChunkCalc, ParseSizingBits) {
  EXPECT_EQ(*ParseSizingBits("--lut", "4"), 4);
  EXPECT_EQ(*ParseSizingBits("--lut", "6,4"), 6);
  EXPECT_EQ(*ParseSizingBits("--lut", "none"), 16);
  EXPECT_EQ(*ParseSizingBits("--lut", ""), 16);
  EXPECT_EQ(*ParseSizingBits("--lut", "16"), 16);
  auto bad = ParseSizingBits("--lut", "four");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--lut \"four\""), std::string::npos) << bad.status().message();
}

TEST(ChunkCalc, MissingConfig) {
  TempDir tmp;
  auto none = LoadSpecForSizing(tmp / "nope");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("nope"), std::string::npos);
  auto empty_dir = LoadSpecForSizing(tmp.path());
  ASSERT_FALSE(empty_dir.ok());
  EXPECT_NE(empty_dir.status().message().find("no config.json"), std::string::npos) << empty_dir.status().message();
  ASSERT_TRUE(WriteFileAtomic(tmp / "config.json", "{\"model_type\": \"llama\", \"hidden_size\": \"wide\"}").ok());
  auto partial = LoadSpecForSizing(tmp.path());
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("config.json"), std::string::npos) << partial.status().message();
  EXPECT_NE(partial.status().message().find("hidden_size"), std::string::npos) << partial.status().message();
}

}  // namespace
}  // namespace anemll::convert
