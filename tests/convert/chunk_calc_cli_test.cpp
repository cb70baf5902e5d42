// `anemll chunk-calc` and `anemll convert --chunk auto` end to end.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "base/file.h"
#include "support/test_support.h"

namespace anemll {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::ModelDir;
using testing::CountLines;
using testing::RunCli;
using testing::TempDir;

// Qwen3-4B's real dimensions (the model of ANEMLL's documented example).
fs::path WriteQwen3FourBillion(const TempDir& tmp) {
  const std::string config = R"({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
    "hidden_size": 2560, "intermediate_size": 9728, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 128, "vocab_size": 151936, "num_hidden_layers": 36, "tie_word_embeddings": true,
    "max_position_embeddings": 40960, "rms_norm_eps": 1e-6, "rope_theta": 1000000, "attention_bias": false})";
  const fs::path dir = tmp / "Qwen3-4B";
  fs::create_directory(dir);
  EXPECT_TRUE(WriteFileAtomic(dir / "config.json", config).ok());
  return dir;
}

void ExpectOneLineError(const std::vector<std::string>& args, const std::string& expect,
                        const std::string& command = "chunk-calc") {
  CliResult r = RunCli(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("anemll " + command + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
}

TEST(ChunkCalcCli, ReportForQwen3FourBillion) {
  TempDir tmp;
  const fs::path model = WriteQwen3FourBillion(tmp);
  CliResult r = RunCli({"chunk-calc", "--model", model.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("per layer: 100930816 parameters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recommended: 9 chunk(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chunk 9/9: layers 32-35 (4)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recommended at 950 MB: FP16 9, LUT8 5, LUT6 4, LUT4 3"), std::string::npos) << r.out;
  // Largest chunk at 2 chunks, LUT4: 18 layers · 100930816 · 2 · 4/16 · 1.10 bytes = 952.93 MiB.
  EXPECT_NE(r.out.find("952.93"), std::string::npos) << r.out;
}

TEST(ChunkCalcCli, AutoPrintsOnlyTheCount) {
  TempDir tmp;
  const fs::path model = WriteQwen3FourBillion(tmp);
  const std::pair<const char*, const char*> cases[] = {{"16", "9\n"}, {"8", "5\n"}, {"6", "4\n"}, {"4", "3\n"}};
  for (const auto& [lut, expected] : cases) {
    CliResult r = RunCli({"chunk-calc", "--model", (model / "config.json").string(), "--lut", lut, "--auto"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, expected) << "--lut " << lut;
  }
  // A smaller limit needs more chunks: LUT4 at 400 MB fits 7 layers (52.94 MB each) -> 6 chunks.
  CliResult r = RunCli({"chunk-calc", "--model", model.string(), "--lut", "4", "--max-chunk-mb", "400", "--auto"});
  EXPECT_EQ(r.out, "6\n") << r.err;
}

TEST(ChunkCalcCli, BadInput) {
  TempDir tmp;
  const fs::path model = WriteQwen3FourBillion(tmp);
  ExpectOneLineError({"chunk-calc", "--model", (tmp / "missing").string()}, "missing: no such model folder");
  ExpectOneLineError({"chunk-calc", "--model", tmp.path().string()}, "no config.json");
  ExpectOneLineError({"chunk-calc", "--model", model.string(), "--lut", "5"}, "--lut 5: LUT bits must be one of");
  ExpectOneLineError({"chunk-calc", "--model", model.string(), "--lut", "lots"}, "--lut \"lots\"");
  ExpectOneLineError({"chunk-calc", "--model", model.string(), "--max-chunk-mb", "0"}, "--max-chunk-mb 0: must be positive");
  ExpectOneLineError({"chunk-calc", "--model", model.string(), "--max-chunk-mb", "-5"}, "--max-chunk-mb -5");
}

// tiny-llama: 3 layers of 49280 parameters = 98560 fp16 bytes, 108416 bytes (0.1034 MiB) with
// the 1.10 overhead; a 0.25 MiB limit holds two layers -> 2 chunks (2 + 1 layers), 0.2 MiB one.
TEST(ChunkCalcCli, ConvertChunkAuto) {
  TempDir tmp;
  const fs::path out = tmp / "out";
  CliResult r = RunCli({"convert", "--model", ModelDir("tiny-llama").string(), "--output", out.string(), "--context",
                        "32", "--batch", "8", "--chunk", "auto", "--max-chunk-mb", "0.25", "--lut2", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("note: --chunk auto: 2 chunk(s) for 3 layers (FP16"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out / "llama_FFN_PF_chunk_01of02.mlpackage"));
  EXPECT_TRUE(fs::exists(out / "llama_FFN_PF_chunk_02of02.mlpackage"));
  YAML::Node meta = YAML::LoadFile((out / "meta.yaml").string());
  EXPECT_EQ(meta["model_info"]["parameters"]["num_chunks"].as<int>(), 2);

  const fs::path out3 = tmp / "out3";
  r = RunCli({"-q", "convert", "--model", ModelDir("tiny-llama").string(), "--output", out3.string(), "--context", "32",
              "--batch", "8", "--chunk", "auto", "--max-chunk-mb", "0.2", "--lut2", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out3 / "llama_FFN_PF_chunk_03of03.mlpackage"));

  ExpectOneLineError({"convert", "--model", ModelDir("tiny-llama").string(), "--output", (tmp / "bad").string(),
                      "--chunk", "auto", "--max-chunk-mb", "0"},
                     "--max-chunk-mb 0: must be positive", "convert");
  EXPECT_FALSE(fs::exists(tmp / "bad"));
}

}  // namespace
}  // namespace anemll
