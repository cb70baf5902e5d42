// The KV-cache rewrite (runtime/state_rewrite.h): which patterns it turns into in-place state
// slices, which it must leave alone, and that rewritten programs compute the same values.
#include "runtime/state_rewrite.h"

#include <gtest/gtest.h>

#include "mil/coreml/package.h"
#include "runtime/plan.h"
#include "support/test_support.h"
#include "test_program.h"

namespace anemll::runtime {
namespace {

using internal::kStateSliceOp;
using internal::kStateSliceUpdateOp;
using mil::DType;
using mil::Literal;
using test::TestProgram;

std::map<std::string, int> OpCounts(const std::vector<const mil::Operation*>& ops) {
  std::map<std::string, int> counts;
  for (const mil::Operation* op : ops) ++counts[op->type];
  return counts;
}

TEST(StateRewrite, KvCacheFixtureUpdatesAndSlicesInPlace) {
  auto model = mil::coreml::ReadPackage(anemll::testing::FixturesDir() / "coreml" / "kv_state_multifunction" /
                                        "kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (const char* fn : {"infer", "prefill"}) {
    std::deque<mil::Operation> synthetic;
    const auto ops = internal::RewriteStateAccess(model->program.functions.at(fn).block, {"kv_cache"}, &synthetic);
    auto counts = OpCounts(ops);
    EXPECT_EQ(counts["read_state"], 0) << fn;
    EXPECT_EQ(counts["write_state"], 0) << fn;
    EXPECT_EQ(counts["slice_update"], 0) << fn;
    EXPECT_EQ(counts[kStateSliceUpdateOp], 1) << fn;
    EXPECT_EQ(counts[kStateSliceOp], 2) << fn;
    EXPECT_EQ(counts["slice_by_index"], 0) << fn;
  }
}

// cache[pos] = x; y = sum(cache[0:2]) (+ extra uses that may block the rewrite)
TestProgram CacheProgram(bool read_used_elsewhere, bool write_between) {
  TestProgram p;
  p.Input("x", DType::kFp16, {1, 2})
      .Input("pos", DType::kInt32, {1})
      .State("cache", DType::kFp16, {4, 2})
      .Op("read_state", "r0", {{"input", "cache"}}, {{"r0", DType::kFp16}})
      .Op("concat", "begin", {{"values", "pos"}, {"values", test::I32s({0})}, {"axis", test::I32(0)}},
          {{"begin", DType::kInt32}})
      .Op("add", "end", {{"x", "begin"}, {"y", test::I32s({1, 2})}}, {{"end", DType::kInt32}})
      .Op("slice_update", "upd", {{"x", "r0"}, {"update", "x"}, {"begin", "begin"}, {"end", "end"}},
          {{"u", DType::kFp16}}, {{4, 2}})
      .Op("write_state", "w", {{"input", "cache"}, {"data", "u"}}, {})
      .Op("read_state", "r1", {{"input", "cache"}}, {{"r1", DType::kFp16}});
  if (write_between) {
    p.Op("write_state", "w2", {{"input", "cache"}, {"data", Literal::Fp16({4, 2}, std::vector<float>(8, 0.5f))}}, {});
  }
  p.Op("slice_by_index", "head", {{"x", "r1"}, {"begin", test::I32s({0, 0})}, {"end", test::I32s({2, 2})}},
       {{"h", DType::kFp16}}, {{2, 2}})
      .Op("reduce_sum", "y", {{"x", "h"}}, {{"y", DType::kFp16}})
      .Output("y");
  if (read_used_elsewhere) {
    p.Op("reduce_max", "m", {{"x", "r0"}}, {{"m", DType::kFp16}}).Output("m");
  }
  return p;
}

TEST(StateRewrite, LeavesOtherUsesAndInterveningWritesAlone) {
  {
    TestProgram p = CacheProgram(false, false);
    std::deque<mil::Operation> syn;
    auto counts = OpCounts(internal::RewriteStateAccess(p.fn.block, {"cache"}, &syn));
    EXPECT_EQ(counts[kStateSliceUpdateOp], 1);
    EXPECT_EQ(counts[kStateSliceOp], 1);
  }
  {
    TestProgram p = CacheProgram(true, false);  // r0 also feeds reduce_max
    std::deque<mil::Operation> syn;
    auto counts = OpCounts(internal::RewriteStateAccess(p.fn.block, {"cache"}, &syn));
    EXPECT_EQ(counts[kStateSliceUpdateOp], 0);
    EXPECT_EQ(counts["slice_update"], 1);
    EXPECT_EQ(counts[kStateSliceOp], 1);
  }
  {
    TestProgram p = CacheProgram(false, true);  // a write between r1 and its slice
    std::deque<mil::Operation> syn;
    auto counts = OpCounts(internal::RewriteStateAccess(p.fn.block, {"cache"}, &syn));
    EXPECT_EQ(counts[kStateSliceUpdateOp], 1);
    EXPECT_EQ(counts[kStateSliceOp], 0);
    EXPECT_EQ(counts["slice_by_index"], 1);
  }
}

TEST(StateRewrite, RewrittenAndPlainProgramsAgreeOverSeveralRuns) {
  for (bool blocked : {false, true}) {
    for (Precision prec : {Precision::kFp16, Precision::kFp32}) {
      auto e = CacheProgram(blocked, false).Compile(prec);
      ASSERT_TRUE(e.ok()) << e.status().message();
      StateStore states;
      std::map<std::string, Tensor> out;
      float want = 0;
      for (int pos = 0; pos < 4; ++pos) {
        const float a = 0.25f * (pos + 1), b = -1.5f * pos;
        ASSERT_TRUE((*e)->Run({{"x", Tensor::FromFloats(DType::kFp16, {1, 2}, {a, b})},
                               {"pos", Tensor::FromInts(DType::kInt32, {1}, {pos})}},
                              states, &out)
                        .ok());
        if (pos < 2) want += a + b;
        EXPECT_EQ(out.at("y").FloatAt(0), want) << "pos " << pos;
      }
      auto cache = states.Read("cache");
      ASSERT_TRUE(cache.ok());
      EXPECT_EQ(cache->ToFloats(), (std::vector<float>{0.25f, 0, 0.5f, -1.5f, 0.75f, -3, 1, -4.5f}));
      // Writing past the end is an error naming the update op, rewritten or not.
      const Status st = (*e)->Run({{"x", Tensor::FromFloats(DType::kFp16, {1, 2}, {1, 1})},
                                   {"pos", Tensor::FromInts(DType::kInt32, {1}, {4})}},
                                  states, &out);
      EXPECT_FALSE(st.ok());
      EXPECT_NE(st.message().find("upd"), std::string::npos) << st.message();
      EXPECT_NE(st.message().find("does not fit"), std::string::npos) << st.message();
    }
  }
}

TEST(StateRewrite, KvCacheFixturePlanReadsKeysAndValuesAsStateViews) {
  auto model = mil::coreml::ReadPackage(anemll::testing::FixturesDir() / "coreml" / "kv_state_multifunction" /
                                        "kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (Precision prec : {Precision::kFp16, Precision::kFp32}) {
    const mil::Function& fn = model->program.functions.at("infer");
    internal::PlanBuilder builder(fn, "infer", prec, nullptr);
    std::vector<std::vector<int64_t>> shapes;
    for (const auto& in : fn.inputs) {
      if (in.type.kind == mil::ValueType::Kind::kTensor) shapes.push_back(in.type.tensor.shape);
    }
    auto plan = builder.Build(shapes);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    // K and V are read in place by the two matmuls; nothing copies the whole cache.
    EXPECT_EQ((*plan)->state_views.size(), 2u);
    for (const internal::Step& st : (*plan)->steps) {
      EXPECT_NE(st.op->type, "read_state");
      EXPECT_NE(st.op->type, "write_state");
    }
  }
}

// Two chained slice_updates (K then V) into one write, as the converter emits them.
TEST(StateRewrite, ChainedUpdatesBecomeInPlaceUpdates) {
  TestProgram p;
  p.Input("k", DType::kFp16, {1, 2})
      .Input("v", DType::kFp16, {1, 2})
      .Input("pos", DType::kInt32, {1})
      .State("cache", DType::kFp16, {2, 3, 2})
      .Op("read_state", "r", {{"input", "cache"}}, {{"r", DType::kFp16}})
      .Op("concat", "kb", {{"values", test::I32s({0})}, {"values", "pos"}, {"values", test::I32s({0})},
                           {"axis", test::I32(0)}}, {{"kb", DType::kInt32}})
      .Op("add", "vb", {{"x", "kb"}, {"y", test::I32s({1, 0, 0})}}, {{"vb", DType::kInt32}})
      .Op("add", "ke", {{"x", "kb"}, {"y", test::I32s({1, 1, 2})}}, {{"ke", DType::kInt32}})
      .Op("add", "ve", {{"x", "vb"}, {"y", test::I32s({1, 1, 2})}}, {{"ve", DType::kInt32}})
      .Op("slice_update", "k_update", {{"x", "r"}, {"update", "k"}, {"begin", "kb"}, {"end", "ke"}},
          {{"c1", DType::kFp16}}, {{2, 3, 2}})
      .Op("slice_update", "v_update", {{"x", "c1"}, {"update", "v"}, {"begin", "vb"}, {"end", "ve"}},
          {{"c2", DType::kFp16}}, {{2, 3, 2}})
      .Op("write_state", "w", {{"input", "cache"}, {"data", "c2"}}, {})
      .Op("read_state", "now", {{"input", "cache"}}, {{"now", DType::kFp16}})
      .Op("reduce_sum", "s", {{"x", "now"}}, {{"s", DType::kFp16}})
      .Output("s");
  std::deque<mil::Operation> syn;
  auto counts = OpCounts(internal::RewriteStateAccess(p.fn.block, {"cache"}, &syn));
  EXPECT_EQ(counts[kStateSliceUpdateOp], 2);
  EXPECT_EQ(counts["slice_update"], 0);
  EXPECT_EQ(counts["write_state"], 0);
  EXPECT_EQ(counts["read_state"], 1);  // the re-read feeds a reduction, not a slice
  auto e = p.Compile(Precision::kFp16);
  ASSERT_TRUE(e.ok()) << e.status().message();
  StateStore states;
  std::map<std::string, Tensor> out;
  for (int pos = 0; pos < 3; ++pos) {
    ASSERT_TRUE((*e)->Run({{"k", Tensor::FromFloats(DType::kFp16, {1, 2}, {1.0f * pos, 1})},
                           {"v", Tensor::FromFloats(DType::kFp16, {1, 2}, {-2, 0.5f})},
                           {"pos", Tensor::FromInts(DType::kInt32, {1}, {pos})}},
                          states, &out)
                    .ok());
  }
  auto cache = states.Read("cache");
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ(cache->ToFloats(), (std::vector<float>{0, 1, 1, 1, 2, 1, -2, 0.5f, -2, 0.5f, -2, 0.5f}));
  EXPECT_EQ(out.at("s").FloatAt(0), 3.0f + 3.0f - 4.5f);
}

}  // namespace
}  // namespace anemll::runtime
