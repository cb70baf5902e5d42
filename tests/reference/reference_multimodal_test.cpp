// A multimodal gemma3 checkpoint (Gemma3ForConditionalGeneration layout) runs its language model
// exactly like the text-only checkpoint it was made from.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "hf/checkpoint.h"
#include "hf/safetensors.h"
#include "reference/model.h"
#include "reference/session.h"
#include "support/test_support.h"

namespace anemll::reference {
namespace {

using testing::ModelDir;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr double kLogitTol = 1e-4;

// tiny-gemma3's tensors under `prefix`, plus a vision tensor, with a text_config/vision_config config.
void WriteMultimodalGemma(const fs::path& dir, const std::string& prefix) {
  auto text = nlohmann::json::parse(*ReadFile(ModelDir("tiny-gemma3") / "config.json"));
  nlohmann::json config = {{"architectures", {"Gemma3ForConditionalGeneration"}},
                           {"model_type", "gemma3"},
                           {"text_config", text},
                           {"vision_config", {{"model_type", "siglip_vision_model"}}}};
  ASSERT_TRUE(WriteFileAtomic(dir / "config.json", config.dump()).ok());
  auto src = hf::SafetensorsFile::Open(ModelDir("tiny-gemma3") / "model.safetensors");
  ASSERT_TRUE(src.ok());
  hf::SafetensorsWriter w;
  for (const hf::TensorInfo& t : src->tensors()) {
    ASSERT_EQ(t.name.rfind("model.", 0), 0u);
    ASSERT_TRUE(w.Add(prefix + t.name.substr(6), t.dtype, t.shape,
                      std::string(reinterpret_cast<const char*>(t.data), t.nbytes))
                    .ok());
  }
  std::vector<float> v(8, 1.0f);
  ASSERT_TRUE(w.AddF32("multi_modal_projector.mm_soft_emb_norm.weight", {8}, v).ok());
  ASSERT_TRUE(w.Write(dir / "model.safetensors").ok());
}

TEST(ReferenceMultimodal, Gemma3LanguageModelMatchesTextGolden) {
  auto golden = hf::SafetensorsFile::Open(ModelDir("tiny-gemma3") / "golden.safetensors");
  ASSERT_TRUE(golden.ok());
  auto ids64 = *hf::ToInt64(*golden->Find("input_ids"));
  std::vector<int32_t> ids(ids64.begin(), ids64.end());
  auto expected = *hf::ToFloat32(*golden->Find("logits"));
  for (const std::string prefix : {"language_model.model.", "model.language_model."}) {
    TempDir dir;
    WriteMultimodalGemma(dir.path(), prefix);
    auto ckpt = hf::Checkpoint::Open(dir.path());
    ASSERT_TRUE(ckpt.ok()) << ckpt.status().message();
    auto model = Model::Load(*ckpt);
    ASSERT_TRUE(model.ok()) << model.status().message();
    Session session(**model);
    auto logits = session.Forward(ids, Session::LogitsMode::kAll);
    ASSERT_TRUE(logits.ok());
    ASSERT_EQ(logits->values.size(), expected.size());
    double diff = 0;
    for (size_t i = 0; i < expected.size(); ++i) diff = std::max(diff, std::fabs(double(logits->values[i]) - expected[i]));
    EXPECT_LE(diff, kLogitTol) << prefix;
  }
}

}  // namespace
}  // namespace anemll::reference
