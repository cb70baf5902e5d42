// meta.yaml as ANEMLL's loaders read it (defaults, reconstructed file names) and the package
// lookup rules (.mlmodelc -> .mlpackage, _lut fallback, chunk siblings), with their errors.
#include "runtime/model_folder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace anemll::runtime {
namespace {

using anemll::testing::TempDir;
namespace fs = std::filesystem;

// ANEMLL 0.3.5's generator output for a LLaMA 3.2 1B, 2 chunks, FFN LUT 6 group 4, argmax.
constexpr const char* kAnemllChunked = R"(model_info:
  name: anemll-Llama-3.2-1B-Instruct-ctx1024
  version: 0.3.5
  description: |
    Demonstarates running Llama-3.2-1B-Instruct on Apple Neural Engine
    Context length: 1024
  license: MIT
  author: Anemll
  framework: Core ML
  language: Python
  architecture: llama
  parameters:
    context_length: 1024
    batch_size: 64
    lut_embeddings: none
    lut_ffn: 6
    lut_ffn_per_channel: 4
    lut_lmhead: 6
    num_chunks: 2
    model_prefix: llama
    embeddings: llama_embeddings.mlmodelc
    lm_head: llama_lm_head_lut6.mlmodelc
    ffn: llama_FFN_PF_lut6_chunk_01of02.mlmodelc
    split_lm_head: 8
    argmax_in_model: true
    vocab_size: 128256
    lm_head_chunk_sizes: [16032, 16032, 16032, 16032, 16032, 16032, 16032, 16032]
    prefill_dynamic_slice: true
# Conversion Parameters (for troubleshooting)
)";

TEST(FolderMeta, ReadsAnemllChunkedMeta) {
  auto m = ParseFolderMeta(kAnemllChunked, "meta.yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(m->monolithic);
  EXPECT_EQ(m->architecture, "llama");
  EXPECT_EQ(m->context_length, 1024);
  EXPECT_EQ(m->state_length, 1024);
  EXPECT_EQ(m->batch_size, 64);
  EXPECT_EQ(m->num_chunks, 2);
  EXPECT_EQ(m->lut_embeddings, 0);
  EXPECT_EQ(m->lut_ffn, 6);
  EXPECT_EQ(m->lut_lmhead, 6);
  EXPECT_EQ(m->lm_head, "llama_lm_head_lut6.mlmodelc");
  EXPECT_EQ(m->ffn, "llama_FFN_PF_lut6_chunk_01of02.mlmodelc");
  EXPECT_TRUE(m->argmax_in_model);
  EXPECT_EQ(m->vocab_size.value_or(0), 128256);
  EXPECT_EQ(m->lm_head_chunk_sizes, std::vector<int64_t>(8, 16032));
  EXPECT_FALSE(m->sliding_window.has_value());
  EXPECT_TRUE(m->batch_prefill());
}

TEST(FolderMeta, DefaultsFollowAnemllLoaders) {
  // An old meta: no file names, no slicing keys, gemma3 prefix, monolithic qwen-style split.
  auto m = ParseFolderMeta(R"(model_info:
  parameters:
    context_length: 2048
    lut_ffn: 4
    lut_lmhead: 6
    num_chunks: 3
    model_prefix: gemma3
)",
                           "old/meta.yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->batch_size, 64);
  EXPECT_EQ(m->embeddings, "gemma3_embeddings.mlmodelc");
  EXPECT_EQ(m->lm_head, "gemma3_lm_head_lut6.mlmodelc");
  EXPECT_EQ(m->ffn, "gemma3_FFN_PF_lut4_chunk_01of03.mlmodelc");
  EXPECT_EQ(m->sliding_window.value_or(0), 512);
  EXPECT_EQ(m->split_lm_head, 8);
  EXPECT_FALSE(m->batch_prefill()) << "without prefill_dynamic_slice/update_mask_prefill every token goes through infer";

  auto mono = ParseFolderMeta(R"(model_info:
  model_type: monolithic
  parameters:
    context_length: 512
    lut_bits: 6
    model_prefix: qwen
)",
                              "meta.yaml");
  ASSERT_TRUE(mono.ok()) << mono.status().message();
  EXPECT_TRUE(mono->monolithic);
  EXPECT_EQ(mono->monolithic_model, "qwen_monolithic_full_lut6.mlmodelc");
  EXPECT_EQ(mono->lut_lmhead, 6);
  EXPECT_EQ(mono->split_lm_head, 16);
}

TEST(FolderMeta, BadMetaNamesFileAndKey) {
  const struct {
    const char* yaml;
    const char* expect;
  } cases[] = {
      {"model_info: [unclosed", "not valid YAML"},
      {"name: x\n", "model_info: missing"},
      {"model_info:\n  name: x\n", "model_info.parameters: missing"},
      {"model_info:\n  parameters:\n    batch_size: 4\n", "context_length: missing"},
      {"model_info:\n  parameters:\n    context_length: lots\n", "context_length: expected an integer, got 'lots'"},
      {"model_info:\n  parameters:\n    context_length: 0\n", "context_length: must be >= 1"},
      {"model_info:\n  parameters:\n    context_length: 64\n    num_chunks: 0\n", "num_chunks: must be in [1, 99]"},
      {"model_info:\n  parameters:\n    context_length: 64\n    batch_size: -2\n", "batch_size: must be >= 1"},
      {"model_info:\n  parameters:\n    context_length: 64\n    lm_head_chunk_sizes: 8\n",
       "lm_head_chunk_sizes: expected a list"},
      {"model_info:\n  parameters:\n    context_length: 64\n    lm_head_chunk_sizes: [8, x]\n",
       "lm_head_chunk_sizes[1]: expected an integer"},
      {"model_info:\n  parameters:\n    context_length: 64\n    argmax_in_model: maybe\n",
       "argmax_in_model: expected true or false"},
      {"model_info:\n  parameters:\n    context_length: 64\n    state_length: 32\n", "state_length: 32 is below"},
  };
  for (const auto& c : cases) {
    auto m = ParseFolderMeta(c.yaml, "dir/meta.yaml");
    ASSERT_FALSE(m.ok()) << c.yaml;
    EXPECT_NE(m.status().message().find("dir/meta.yaml"), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find(c.expect), std::string::npos) << m.status().message();
  }
}

void Touch(const fs::path& p) {
  fs::create_directories(p);
}

TEST(ResolvePackage, CompiledNameFindsPackageSibling) {
  TempDir tmp;
  Touch(tmp / "llama_embeddings.mlpackage");
  Touch(tmp / "llama_lm_head_lut6.mlmodelc");
  const fs::path meta = tmp / "meta.yaml";
  auto p = ResolvePackage(tmp.path(), "llama_embeddings.mlmodelc", "embeddings", meta);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->filename(), "llama_embeddings.mlpackage");
  auto bare = ResolvePackage(tmp.path(), "llama_embeddings", "embeddings", meta);
  ASSERT_TRUE(bare.ok());
  // A missing _lut<b> package falls back to the plain name, as ANEMLL's loaders do.
  auto lut = ResolvePackage(tmp.path(), "llama_embeddings_lut4.mlmodelc", "embeddings", meta);
  ASSERT_TRUE(lut.ok()) << lut.status().message();
  EXPECT_EQ(lut->filename(), "llama_embeddings.mlpackage");
  // Only a compiled model: say why it cannot be used.
  auto compiled = ResolvePackage(tmp.path(), "llama_lm_head_lut6.mlmodelc", "lm_head", meta);
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.status().message().find("lm_head: llama_lm_head_lut6.mlmodelc is a compiled model"),
            std::string::npos)
      << compiled.status().message();
  auto missing = ResolvePackage(tmp.path(), "qwen_FFN_PF_chunk_01of02.mlmodelc", "ffn", meta);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("ffn: qwen_FFN_PF_chunk_01of02.mlpackage not found"), std::string::npos)
      << missing.status().message();
  auto escape = ResolvePackage(tmp.path(), "../x.mlmodelc", "ffn", meta);
  ASSERT_FALSE(escape.ok());
  EXPECT_NE(escape.status().message().find("not a file name in the folder"), std::string::npos);
}

TEST(OpenPackageFolder, FindsChunkSiblingsAndRotateFiles) {
  TempDir tmp;
  for (const char* d : {"g_embeddings.mlpackage", "g_lm_head.mlpackage", "g_FFN_PF_chunk_01of02.mlpackage",
                        "g_FFN_PF_chunk_02of02.mlpackage", "g_FFN_PF_chunk_01of02_rot.mlpackage",
                        "g_FFN_PF_chunk_02of02_rot.mlpackage"}) {
    Touch(tmp / d);
  }
  std::ofstream(tmp / "meta.yaml") << "model_info:\n  parameters:\n    context_length: 64\n    num_chunks: 2\n"
                                      "    model_prefix: g\n    split_rotate: true\n    sliding_window: 16\n";
  auto f = OpenPackageFolder(tmp / "meta.yaml");
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->chunks.size(), 2u);
  EXPECT_EQ(f->chunks[1].main.filename(), "g_FFN_PF_chunk_02of02.mlpackage");
  EXPECT_EQ(f->chunks[1].rotate.filename(), "g_FFN_PF_chunk_02of02_rot.mlpackage");
  EXPECT_TRUE(IsPackageFolder(tmp.path()));
  EXPECT_TRUE(IsPackageFolder(tmp / "meta.yaml"));

  // num_chunks disagreeing with the ffn name.
  std::ofstream(tmp / "meta.yaml") << "model_info:\n  parameters:\n    context_length: 64\n    num_chunks: 3\n"
                                      "    model_prefix: g\n    ffn: g_FFN_PF_chunk_01of02.mlmodelc\n";
  auto bad = OpenPackageFolder(tmp.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("says 2 chunks but num_chunks is 3"), std::string::npos)
      << bad.status().message();

  auto none = OpenPackageFolder(tmp / "missing");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("meta.yaml: not found"), std::string::npos);
}

}  // namespace
}  // namespace anemll::runtime
