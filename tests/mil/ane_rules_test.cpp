#include "mil/ane_rules.h"

#include <gtest/gtest.h>

#include "mil/builder.h"
#include "mil/coreml/package.h"
#include "support/test_support.h"

namespace anemll::mil {
namespace {

constexpr DType F16 = DType::kFp16, I32 = DType::kInt32;

FunctionPlacement Analyze(const Function& fn) {
  auto r = AnalyzeAnePlacement(fn);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : FunctionPlacement();
}

const OpPlacement& Find(const FunctionPlacement& fp, const std::string& name) {
  for (const OpPlacement& p : fp.ops) {
    if (p.op_name == name) return p;
  }
  static const OpPlacement kMissing{"<missing>", "", Placement::kConst, {}};
  ADD_FAILURE() << "no op " << name;
  return kMissing;
}

TEST(AneRules, FloatGraphStaysOnTheAne) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 64, 1, 8});
  Value y = b.Name("proj", b.Conv(x, Filled(F16, {64, 64, 1, 1}, 0.1)));
  b.Output(b.Name("act", b.Silu(y)));
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok()) << fn.status().message();
  FunctionPlacement fp = Analyze(*fn);
  EXPECT_EQ(fp.ane_ops, 2);
  EXPECT_EQ(fp.cpu_ops, 0);
  EXPECT_GT(fp.const_ops, 0);
  EXPECT_EQ(Find(fp, "proj").placement, Placement::kAne);
  EXPECT_EQ(Find(fp, "proj_weight_0").placement, Placement::kConst);
  EXPECT_DOUBLE_EQ(fp.ane_fraction(), 1.0);
  EXPECT_STREQ(CoverageGrade(fp.ane_fraction()), "excellent");
}

TEST(AneRules, DimAboveLimitLeavesTheAne) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 1, 64});
  b.Output(b.Name("lm_head", b.Linear(x, Filled(F16, {16385, 64}, 0.0))));
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok());
  const FunctionPlacement fp = Analyze(*fn);
  const OpPlacement& p = Find(fp, "lm_head");
  EXPECT_EQ(p.placement, Placement::kCpu);
  ASSERT_EQ(p.reasons.size(), 1u);
  EXPECT_EQ(p.reasons[0], "output 'lm_head' fp16[1,1,16385] has dim 16385 > 16384 (ANE limit)");
}

TEST(AneRules, IntegerOpsGatherAndDynamicShapesLeaveTheAne) {
  // The embeddings program of the enumerated_embeddings fixture (coremltools' rewrite).
  auto model = coreml::ReadPackage(testing::FixturesDir() / "coreml" / "enumerated_embeddings" /
                                   "enumerated_embeddings.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  FunctionPlacement fp = Analyze(model->program.functions.at("main"));
  EXPECT_EQ(fp.ane_ops, 0);
  EXPECT_EQ(fp.cpu_ops, 7);  // 3 casts, greater_equal, add, select, gather
  const OpPlacement& ge = Find(fp, "greater_equal_0");
  EXPECT_EQ(ge.reasons, (std::vector<std::string>{"input 'x' int32[1,?] has a dynamic shape",
                                                  "integer greater_equal (int32 input 'x')",
                                                  "output 'greater_equal_0' bool[1,?] has a dynamic shape"}));
  const OpPlacement& gather = Find(fp, "hidden_cast_int16_cast_int16");
  EXPECT_EQ(gather.reasons.front(), "gather runs on the CPU (ane_profiler fallback)");
  EXPECT_STREQ(CoverageGrade(fp.ane_fraction()), "poor");

  FunctionBuilder b;
  Value pos = b.Input("current_pos", I32, {1});
  Value x = b.Input("x", F16, {1, 4});
  b.Output(b.Name("pos16", b.Cast(pos, DType::kInt16)));
  b.Output(b.Name("index_slice", b.SliceBySize(x, b.Concat({Int32Vector({0}), pos}, 0), Int32Vector({1, 2}))));
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok()) << fn.status().message();
  FunctionPlacement f2 = Analyze(*fn);
  EXPECT_EQ(Find(f2, "pos16").reasons,
            (std::vector<std::string>{"integer cast (int32 input 'x')",
                                      "cast to int16 (integer casts run on the CPU)"}));
  // Index parameters may be integers: a slice with runtime begin stays on the ANE...
  EXPECT_EQ(Find(f2, "index_slice").placement, Placement::kAne);
  EXPECT_EQ(Find(f2, "index_slice").reasons, std::vector<std::string>{});
  // ...but computing the index (an int32 concat) does not.
  EXPECT_EQ(Find(f2, "concat_0").placement, Placement::kCpu);
}

TEST(AneRules, ShortStatesAreBelowTheAneMinimum) {
  auto model = coreml::ReadPackage(testing::FixturesDir() / "coreml" / "kv_state_multifunction" /
                                   "kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  FunctionPlacement fp = Analyze(model->program.functions.at("infer"));
  ASSERT_EQ(fp.issues.size(), 1u);
  EXPECT_EQ(fp.issues[0], "state 'kv_cache' state<fp16[2,1,16,8]> holds 16 positions < 256 (ANE minimum state length)");
  EXPECT_EQ(Find(fp, "kv_read").placement, Placement::kCpu);
  EXPECT_EQ(Find(fp, "q_proj").placement, Placement::kAne);
  EXPECT_EQ(Find(fp, "kv_end").placement, Placement::kCpu);  // int32 add of cache positions

  FunctionBuilder b;
  Value cache = b.StateInput("kv_cache", F16, {2, 1, 256, 8});
  b.Output(b.Name("read", b.ReadState(cache)));
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok());
  FunctionPlacement ok = Analyze(*fn);
  EXPECT_TRUE(ok.issues.empty());
  EXPECT_EQ(Find(ok, "read").placement, Placement::kAne);
}

TEST(AneRules, CoverageGrades) {
  EXPECT_STREQ(CoverageGrade(0.99), "excellent");
  EXPECT_STREQ(CoverageGrade(0.9), "good");
  EXPECT_STREQ(CoverageGrade(0.6), "mixed");
  EXPECT_STREQ(CoverageGrade(0.2), "poor");
  EXPECT_STREQ(PlacementName(Placement::kCpu), "CPU");
}

TEST(AneRules, UndefinedReferenceIsAnError) {
  Function fn;
  Operation op;
  op.type = "relu";
  op.name = "relu_0";
  op.inputs["x"] = {Argument::Ref("nope")};
  fn.block.operations.push_back(op);
  auto r = AnalyzeAnePlacement(fn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "op relu_0 (relu): input 'x' refers to undefined value 'nope'");
}

}  // namespace
}  // namespace anemll::mil
