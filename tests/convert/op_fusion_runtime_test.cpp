// Op fusion (runtime/op_fusion.h) on converted fixture models: every RMSNorm chain the converter
// writes becomes one fused op, and fused runs give the same logits as unfused ones bit for bit,
// in fp16 and fp32, token by token and in prefill batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "convert/convert_fixture.h"
#include "convert/converter.h"
#include "convert/golden.h"
#include "convert/package_pipeline.h"
#include "mil/coreml/package.h"
#include "runtime/op_fusion.h"
#include "runtime/state_rewrite.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using anemll::testing::TempDir;
using runtime::LutDot;
using runtime::Precision;
using test_host::PackagePipeline;

// LUT4 FFN (fused products), fp16 embeddings and LM head.
Result<ConvertResult> ConvertModel(const std::string& model, const fs::path& out, bool monolithic) {
  return test_convert::ConvertFixture(model, out, LutSpec{}, LutSpec{4, 8, false}, LutSpec{}, monolithic);
}

std::map<std::string, int> Counts(const std::vector<const mil::Operation*>& ops) {
  std::map<std::string, int> n;
  for (const mil::Operation* op : ops) ++n[op->type];
  return n;
}

class OpFusion : public ::testing::TestWithParam<std::string> {};

TEST_P(OpFusion, EveryRmsNormChainOfEveryFunctionFuses) {
  TempDir tmp;
  ASSERT_TRUE(ConvertModel(GetParam(), tmp.path() / "out", false).ok());
  int packages = 0, fused_total = 0;
  for (const auto& entry : fs::directory_iterator(tmp.path() / "out")) {
    if (entry.path().extension() != ".mlpackage") continue;
    ++packages;
    auto model = mil::coreml::ReadPackage(entry.path());
    ASSERT_TRUE(model.ok()) << model.status().message();
    for (const auto& [name, fn] : model->program.functions) {
      std::vector<const mil::Operation*> ops;
      for (const mil::Operation& op : fn.block.operations) ops.push_back(&op);
      std::deque<mil::Operation> synthetic;
      auto before = Counts(ops);
      const auto fused = runtime::internal::FuseOps(ops, fn, &synthetic);
      auto after = Counts(fused);
      const std::string where = entry.path().filename().string() + " " + name;
      // Every layer_norm is an RMSNorm chain (mul, concat, layer_norm, slice_by_index, mul: five
      // ops become one); every attention (one softmax) ropes q and k (slice, slice, mul, concat,
      // mul, mul, add: seven become one).
      const int norms = before["layer_norm"], ropes = 2 * before["softmax"];
      EXPECT_EQ(after["layer_norm"], 0) << where;
      EXPECT_EQ(after["concat"], before["concat"] - norms - ropes) << where;
      EXPECT_EQ(after[runtime::internal::kRmsNormOp], norms) << where;
      EXPECT_EQ(after[runtime::internal::kRopeOp], ropes) << where;
      EXPECT_EQ(ops.size() - 4 * static_cast<size_t>(norms) - 6 * static_cast<size_t>(ropes), fused.size()) << where;
      fused_total += norms + ropes;
    }
  }
  EXPECT_GT(packages, 0);
  EXPECT_GT(fused_total, 0);
}

void ExpectSameLogits(const fs::path& dir, Precision precision, const std::vector<int32_t>& ids, bool batch) {
  auto fused = PackagePipeline::Open(dir, precision, LutDot::kExact, /*fuse_ops=*/true);
  auto plain = PackagePipeline::Open(dir, precision, LutDot::kExact, /*fuse_ops=*/false);
  ASSERT_TRUE(fused.ok() && plain.ok());
  auto a = (*fused)->Feed(ids, batch);
  auto b = (*plain)->Feed(ids, batch);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(a->size(), b->size());
  ASSERT_FALSE(a->empty());
  for (const auto& [pos, logits] : *a) {
    ASSERT_TRUE(b->count(pos));
    ASSERT_EQ(logits, b->at(pos)) << "position " << pos << (batch ? " (batches)" : " (tokens)")
                                  << (precision == Precision::kFp16 ? " fp16" : " fp32");
  }
}

TEST_P(OpFusion, FusedRunsMatchUnfusedRunsBitForBit) {
  TempDir tmp;
  ASSERT_TRUE(ConvertModel(GetParam(), tmp.path() / "out", false).ok());
  const test_golden::Golden golden = test_golden::LoadGolden(GetParam());
  std::vector<int32_t> ids(golden.input_ids.begin(),
                           golden.input_ids.begin() + std::min<ptrdiff_t>(std::ssize(golden.input_ids), 12));
  for (Precision p : {Precision::kFp16, Precision::kFp32}) {
    ExpectSameLogits(tmp.path() / "out", p, ids, /*batch=*/false);
    ExpectSameLogits(tmp.path() / "out", p, ids, /*batch=*/true);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, OpFusion,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3"));

TEST(OpFusionMonolithic, FusedRunsMatchUnfusedRunsBitForBit) {
  TempDir tmp;
  ASSERT_TRUE(ConvertModel("tiny-qwen3", tmp.path() / "out", true).ok());
  const test_golden::Golden golden = test_golden::LoadGolden("tiny-qwen3");
  std::vector<int32_t> ids(golden.input_ids.begin(),
                           golden.input_ids.begin() + std::min<ptrdiff_t>(std::ssize(golden.input_ids), 9));
  ExpectSameLogits(tmp.path() / "out", Precision::kFp16, ids, /*batch=*/true);
}

}  // namespace
}  // namespace anemll::convert
