// LUT requests through the converter: file names, meta.yaml keys, Core ML metadata, the Gemma 3
// FP16-scaling rule and the end-of-conversion report.
#include <gtest/gtest.h>

#include "base/file.h"
#include "convert/convert_fixture.h"
#include "convert/converter.h"
#include "convert/plan.h"
#include "hf/checkpoint.h"
#include "mil/coreml/package.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using anemll::testing::ModelDir;
using anemll::testing::TempDir;

// Context 32, batch 4.
Result<ConvertResult> ConvertWith(const std::string& model, const fs::path& out, LutSpec emb, LutSpec ffn, LutSpec lmh,
                                  bool monolithic) {
  return test_convert::ConvertFixture(model, out, emb, ffn, lmh, monolithic, 32, 4);
}

std::string Metadata(const fs::path& pkg, const std::string& key) {
  auto m = mil::coreml::ReadPackage(pkg);
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return "";
  const auto& u = m->description.metadata.user_defined;
  auto it = u.find(key);
  return it == u.end() ? "" : it->second;
}

TEST(LutConvert, ChunkedNamesMetaAndMetadata) {
  TempDir tmp;
  auto r = ConvertWith("tiny-qwen3", tmp / "out", LutSpec{}, LutSpec{4, 8, false}, LutSpec{6, 4, true}, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const fs::path out = tmp / "out";
  EXPECT_TRUE(fs::exists(out / "qwen_embeddings.mlpackage"));
  EXPECT_TRUE(fs::exists(out / "qwen_lm_head_lut6.mlpackage"));
  EXPECT_TRUE(fs::exists(out / "qwen_FFN_PF_lut4_chunk_01of02.mlpackage"));
  auto meta = ReadFile(out / "meta.yaml");
  ASSERT_TRUE(meta.ok());
  for (const char* line : {"    lut_embeddings: none\n", "    lut_ffn: 4\n", "    lut_lmhead: 6\n",
                           "    lut_lmhead_per_channel: 4\n", "    lm_head: qwen_lm_head_lut6.mlmodelc\n",
                           "    ffn: qwen_FFN_PF_lut4_chunk_01of02.mlmodelc\n"}) {
    EXPECT_NE(meta->find(line), std::string::npos) << line << *meta;
  }
  EXPECT_EQ(meta->find("lut_ffn_per_channel"), std::string::npos);
  EXPECT_EQ(Metadata(out / "qwen_FFN_PF_lut4_chunk_01of02.mlpackage", "com.anemll.lut_bits"), "4");
  EXPECT_EQ(Metadata(out / "qwen_lm_head_lut6.mlpackage", "com.anemll.lut_bits"), "6");
  EXPECT_EQ(Metadata(out / "qwen_embeddings.mlpackage", "com.anemll.lut_bits"), "none");
  // Report: one row per package, palettized parts name their worst tensor.
  ASSERT_EQ(r->lut_parts.size(), 4u);
  EXPECT_EQ(r->lut_parts[0].tensors, 0);
  EXPECT_EQ(r->lut_parts[1].bits, 6);
  EXPECT_EQ(r->lut_parts[1].group, 4);
  EXPECT_GT(r->lut_parts[2].tensors, 0);
  EXPECT_GT(r->lut_parts[2].worst_cosine, 0.99);
  EXPECT_LT(r->lut_parts[2].worst_cosine, 1.0);
  const std::string table = FormatLutReport(r->lut_parts);
  EXPECT_NE(table.find("qwen_FFN_PF_lut4_chunk_01of02.mlpackage     4      8"), std::string::npos) << table;
  EXPECT_NE(table.find("model.layers."), std::string::npos) << table;
}

TEST(LutConvert, MonolithicOverrides) {
  TempDir tmp;
  auto r = ConvertWith("tiny-qwen2", tmp / "out", LutSpec{8, 8, false}, LutSpec{6, 8, false}, LutSpec{6, 8, false}, true);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::exists(tmp / "out" / "qwen25_monolithic_full_lut6.mlpackage"));
  auto meta = ReadFile(tmp / "out" / "meta.yaml");
  ASSERT_TRUE(meta.ok());
  EXPECT_NE(meta->find("    lut_bits: 6\n"), std::string::npos) << *meta;
  EXPECT_NE(meta->find("    lut_embeddings: 8\n"), std::string::npos) << *meta;
  EXPECT_EQ(meta->find("    lut_lmhead:"), std::string::npos) << *meta;  // same as lut_bits
  // embeddings (8 bits) and every projection and LM-head slice (6 bits) are palettized.
  auto m = mil::coreml::ReadPackage(tmp / "out" / "qwen25_monolithic_full_lut6.mlpackage");
  ASSERT_TRUE(m.ok());
  int lut8 = 0, lut6 = 0;
  for (const mil::Operation& op : m->program.functions.at("infer").block.operations) {
    if (op.type != "constexpr_lut_to_dense") continue;
    const mil::DType t = op.Input("indices")->literal->type.tensor.dtype;
    (t == mil::DType::kUInt8 ? lut8 : lut6) += 1;
  }
  EXPECT_EQ(lut8, 1);
  EXPECT_GT(lut6, 7);
}

TEST(LutConvert, GemmaScaledEmbeddingsStayFp16) {
  auto c = hf::Checkpoint::Open(ModelDir("tiny-gemma3"));
  ASSERT_TRUE(c.ok());
  ConvertOptions o;
  o.context = 64;
  o.batch = 4;
  o.fp16_scale = "0.5";
  o.lut_embeddings = LutSpec{6, 8, false};
  o.lut_ffn = LutSpec{4, 8, false};
  auto p = MakePlan(c->spec(), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_FALSE(p->lut_embeddings.enabled());
  EXPECT_EQ(p->lut_ffn.bits, 4);
  bool noted = false;
  for (const std::string& n : p->notes) noted |= n.find("embeddings stay fp16 with --fp16-scale") != std::string::npos;
  EXPECT_TRUE(noted);
  o.fp16_scale.clear();  // without scaling the request stands
  EXPECT_EQ(MakePlan(c->spec(), o)->lut_embeddings.bits, 6);
}

TEST(LutConvert, GroupNotDividingRowsFails) {
  TempDir tmp;
  auto r = ConvertWith("tiny-llama", tmp / "out", LutSpec{}, LutSpec{4, 3, true}, LutSpec{}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("LUT group size 3 does not divide"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

}  // namespace
}  // namespace anemll::convert
