// Checkpoint folders: the per-family tensor tables, prefix probing for multimodal gemma3, and the
// errors for missing or misshapen tensors.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "hf/checkpoint.h"
#include "hf/safetensors.h"
#include "hf/tensor_table.h"
#include "support/test_support.h"

namespace anemll::hf {
namespace {

using testing::ModelDir;
using testing::TempDir;
namespace fs = std::filesystem;

// Copies a fixture's tensors into dir/model.safetensors, renaming, dropping or replacing some.
// rename(name) returns the new name, or "" to drop the tensor.
void CopyTensors(const fs::path& from_dir, const fs::path& to_dir, const std::function<std::string(const std::string&)>& rename,
                 SafetensorsWriter extra = {}) {
  auto src = SafetensorsFile::Open(from_dir / "model.safetensors");
  ASSERT_TRUE(src.ok()) << src.status().message();
  SafetensorsWriter& w = extra;
  for (const TensorInfo& t : src->tensors()) {
    const std::string name = rename(t.name);
    if (name.empty()) continue;
    ASSERT_TRUE(w.Add(name, t.dtype, t.shape, std::string(reinterpret_cast<const char*>(t.data), t.nbytes)).ok());
  }
  ASSERT_TRUE(w.Write(to_dir / "model.safetensors").ok());
}

void CopyConfig(const fs::path& from_dir, const fs::path& to_dir) {
  fs::copy_file(from_dir / "config.json", to_dir / "config.json");
}

std::string OpenError(const fs::path& dir) {
  auto c = Checkpoint::Open(dir);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

class FixtureCheckpoints : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureCheckpoints, OpenAndTensorTableCoversEveryStoredTensor) {
  auto ckpt = Checkpoint::Open(ModelDir(GetParam()));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().message();
  const auto expected = ExpectedTensors(ckpt->spec());
  size_t present = 0;
  for (const auto& e : expected) {
    const TensorInfo* t = ckpt->tensors().Find(e.name);
    if (e.required) {
      EXPECT_NE(t, nullptr) << e.name;
    }
    if (t) {
      ++present;
      EXPECT_EQ(t->shape, e.shape) << e.name;
    }
  }
  // No stored tensor is unknown to the table.
  EXPECT_EQ(present, ckpt->tensors().size());
  EXPECT_EQ(ckpt->output_weight_name(),
            ckpt->spec().tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  EXPECT_FALSE(ckpt->generation_config().has_value());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureCheckpoints,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3",
                                           "tiny-gemma3-fp16-overflow", "stories260K"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(Checkpoint, TensorTableForQwen2HasBiasesAndGemmaHasFourNorms) {
  ModelSpec qwen = *LoadModelSpec(ModelDir("tiny-qwen2") / "config.json");
  auto t = ExpectedTensors(qwen);
  auto has = [&](const std::vector<TensorSpec>& v, const std::string& n) {
    for (const auto& e : v) {
      if (e.name == n) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(t, "model.layers.0.self_attn.q_proj.bias"));
  EXPECT_FALSE(has(t, "model.layers.0.self_attn.o_proj.bias"));
  EXPECT_FALSE(t.back().required);  // tied lm_head
  ModelSpec gemma = *LoadModelSpec(ModelDir("tiny-gemma3") / "config.json");
  auto g = ExpectedTensors(gemma);
  EXPECT_TRUE(has(g, "model.layers.6.post_feedforward_layernorm.weight"));
  EXPECT_TRUE(has(g, "model.layers.6.self_attn.k_norm.weight"));
  // embed + 7 layers * 13 (4 norms, q/k/v/o, q/k norms, gate/up/down) + norm + optional lm_head
  EXPECT_EQ(g.size(), 1u + 7 * 13 + 1 + 1);
}

TEST(CheckpointErrors, MissingTensor) {
  TempDir dir;
  CopyConfig(ModelDir("tiny-llama"), dir.path());
  CopyTensors(ModelDir("tiny-llama"), dir.path(), [](const std::string& n) {
    return n == "model.layers.2.mlp.up_proj.weight" ? std::string() : n;
  });
  EXPECT_EQ(OpenError(dir.path()),
            "checkpoint " + dir.path().string() + ": missing tensor model.layers.2.mlp.up_proj.weight");
}

TEST(CheckpointErrors, MissingUntiedLmHead) {
  TempDir dir;
  CopyConfig(ModelDir("tiny-llama"), dir.path());
  CopyTensors(ModelDir("tiny-llama"), dir.path(),
              [](const std::string& n) { return n == "lm_head.weight" ? std::string() : n; });
  EXPECT_EQ(OpenError(dir.path()), "checkpoint " + dir.path().string() +
                                       ": missing tensor lm_head.weight (tie_word_embeddings is false)");
}

TEST(CheckpointErrors, WrongShape) {
  TempDir dir;
  CopyConfig(ModelDir("tiny-llama"), dir.path());
  SafetensorsWriter replacement;
  std::vector<float> small(96 * 64, 0.0f);
  ASSERT_TRUE(replacement.AddF32("model.layers.2.mlp.up_proj.weight", {96, 64}, small).ok());
  CopyTensors(ModelDir("tiny-llama"), dir.path(), [](const std::string& n) {
    return n == "model.layers.2.mlp.up_proj.weight" ? std::string() : n;
  }, std::move(replacement));
  EXPECT_EQ(OpenError(dir.path()), "checkpoint " + dir.path().string() +
                                       ": tensor model.layers.2.mlp.up_proj.weight has shape [96,64], expected [192,64]");
}

TEST(CheckpointErrors, IntegerWeightIsRefused) {
  TempDir dir;
  CopyConfig(ModelDir("tiny-llama"), dir.path());
  SafetensorsWriter replacement;
  ASSERT_TRUE(replacement.Add("model.norm.weight", DType::kI8, {64}, std::string(64, '\1')).ok());
  CopyTensors(ModelDir("tiny-llama"), dir.path(),
              [](const std::string& n) { return n == "model.norm.weight" ? std::string() : n; },
              std::move(replacement));
  EXPECT_EQ(OpenError(dir.path()), "checkpoint " + dir.path().string() +
                                       ": tensor model.norm.weight has dtype I8, expected F32, F16 or BF16");
}

TEST(CheckpointErrors, MissingConfigAndFolder) {
  TempDir dir;
  EXPECT_EQ(OpenError(dir.path()), "checkpoint " + dir.path().string() + ": no config.json");
  EXPECT_EQ(OpenError(dir / "nope"), "checkpoint " + (dir / "nope").string() + ": not a folder");
  // config.json errors name the file.
  ASSERT_TRUE(WriteFileAtomic(dir / "config.json", R"({"model_type":"phi3"})").ok());
  EXPECT_EQ(OpenError(dir.path()), (dir / "config.json").string() +
                                       ": model_type \"phi3\" is not supported (supported: llama, qwen2, qwen3, "
                                       "gemma3_text, gemma3)");
}

// tiny-gemma3 repackaged as a Gemma3ForConditionalGeneration checkpoint.
void WriteMultimodalGemma(const fs::path& dir, const std::string& prefix) {
  auto text = nlohmann::json::parse(*ReadFile(ModelDir("tiny-gemma3") / "config.json"));
  nlohmann::json config = {{"architectures", {"Gemma3ForConditionalGeneration"}},
                           {"model_type", "gemma3"},
                           {"eos_token_id", {1, 106}},
                           {"text_config", text},
                           {"vision_config", {{"model_type", "siglip_vision_model"}, {"hidden_size", 32}}}};
  config["text_config"]["model_type"] = "gemma3_text";
  ASSERT_TRUE(WriteFileAtomic(dir / "config.json", config.dump(2)).ok());
  SafetensorsWriter vision;
  std::vector<float> v(4, 0.5f);
  ASSERT_TRUE(vision.AddF32("vision_tower.vision_model.post_layernorm.weight", {4}, v).ok());
  CopyTensors(ModelDir("tiny-gemma3"), dir, [&](const std::string& n) { return prefix + n.substr(6); },
              std::move(vision));
}

TEST(Checkpoint, MultimodalGemma3PrefixIsProbed) {
  for (const std::string prefix : {"language_model.model.", "model.language_model."}) {
    TempDir dir;
    WriteMultimodalGemma(dir.path(), prefix);
    auto ckpt = Checkpoint::Open(dir.path());
    ASSERT_TRUE(ckpt.ok()) << ckpt.status().message();
    EXPECT_EQ(ckpt->spec().tensor_prefix, prefix);
    EXPECT_TRUE(ckpt->spec().multimodal);
    EXPECT_EQ(ckpt->output_weight_name(), prefix + "embed_tokens.weight");
    EXPECT_EQ(ckpt->spec().eos_token_ids, (std::vector<int64_t>{1, 106}));
  }
}

TEST(Checkpoint, GenerationConfigIsRead) {
  TempDir dir;
  CopyConfig(ModelDir("tiny-qwen2"), dir.path());
  CopyTensors(ModelDir("tiny-qwen2"), dir.path(), [](const std::string& n) { return n; });
  ASSERT_TRUE(WriteFileAtomic(dir / "generation_config.json", R"({"eos_token_id":[2,7],"do_sample":true})").ok());
  auto ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().message();
  ASSERT_TRUE(ckpt->generation_config().has_value());
  EXPECT_EQ(ckpt->generation_config()->eos_token_ids, (std::vector<int64_t>{2, 7}));

  ASSERT_TRUE(WriteFileAtomic(dir / "generation_config.json", R"({"eos_token_id":"x"})").ok());
  auto bad = Checkpoint::Open(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), (dir / "generation_config.json").string() +
                                        ": field \"eos_token_id\" must be an integer or a list of integers, got \"x\"");
}

TEST(Checkpoint, LoadF32ChecksShape) {
  auto ckpt = Checkpoint::Open(ModelDir("tiny-llama"));
  ASSERT_TRUE(ckpt.ok());
  auto ok = ckpt->LoadF32("model.norm.weight", {64});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 64u);
  auto bad = ckpt->LoadF32("model.norm.weight", {32});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "checkpoint " + ModelDir("tiny-llama").string() +
                                        ": tensor model.norm.weight has shape [64], expected [32]");
  EXPECT_FALSE(ckpt->LoadF32("nope", {1}).ok());
}

}  // namespace
}  // namespace anemll::hf
