// The RMSNorm fusion (runtime/op_fusion.h) on hand-built chains: what it fuses, what it must leave
// alone (shared intermediates, other axes, slices or gains), and that the fused step computes the
// chain's values bit for bit.
#include "runtime/op_fusion.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "test_program.h"

namespace anemll::runtime {
namespace {

using internal::FuseOps;
using internal::kRmsNormOp;
using mil::DType;
using mil::Literal;
using test::I32;
using test::I32s;
using test::TestProgram;

struct Chain {
  std::vector<int64_t> shape = {1, 3, 8};
  std::vector<int64_t> gain_shape = {8};
  float minus_one = -1.0f;
  int32_t concat_axis = -1;
  int32_t norm_axis = -1;
  std::vector<int32_t> slice_end;  // default: the shape
  bool norm_is_output = false;     // the layer_norm result is also a function output
};

std::vector<float> Values(size_t n, float scale, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>((i * 7 + seed * 13) % 23) - 11);
  return v;
}

TestProgram Build(const Chain& c) {
  const int64_t d = c.shape.back();
  std::vector<int64_t> both = c.shape;
  both.back() = 2 * d;
  std::vector<int32_t> end = c.slice_end;
  if (end.empty()) {
    for (int64_t s : c.shape) end.push_back(static_cast<int32_t>(s));
  }
  int64_t gain_count = 1;
  for (int64_t s : c.gain_shape) gain_count *= s;
  TestProgram p;
  p.Input("x", DType::kFp16, c.shape)
      .Const("minus_one", Literal::Fp16({}, {c.minus_one}))
      .Const("gain", Literal::Fp16(c.gain_shape, Values(static_cast<size_t>(gain_count), 0.125f, 1)))
      .Op("mul", "neg", {{"x", "x"}, {"y", "minus_one"}}, {{"neg", DType::kFp16}}, {c.shape})
      .Op("concat", "cat", {{"values", "x"}, {"values", "neg"}, {"axis", I32(c.concat_axis)}, {"interleave", test::Bool(false)}},
          {{"cat", DType::kFp16}}, {both})
      .Op("layer_norm", "ln", {{"x", "cat"}, {"axes", I32s({c.norm_axis})}, {"epsilon", test::F32(1e-5f)}},
          {{"ln", DType::kFp16}}, {both})
      .Op("slice_by_index", "half", {{"x", "ln"}, {"begin", I32s(std::vector<int32_t>(c.shape.size(), 0))}, {"end", I32s(end)}},
          {{"half", DType::kFp16}})
      .Op("mul", "y", {{"x", "half"}, {"y", "gain"}}, {{"y", DType::kFp16}})
      .Output("y");
  if (c.norm_is_output) p.Output("ln");
  return p;
}

std::map<std::string, int> FusedCounts(const TestProgram& p) {
  std::vector<const mil::Operation*> ops;
  for (const mil::Operation& op : p.fn.block.operations) ops.push_back(&op);
  std::deque<mil::Operation> synthetic;
  std::map<std::string, int> n;
  for (const mil::Operation* op : FuseOps(ops, p.fn, &synthetic)) ++n[op->type];
  return n;
}

std::vector<float> RunChain(const TestProgram& p, Precision precision, bool fuse, const std::vector<int64_t>& shape) {
  Options o;
  o.precision = precision;
  o.fuse_ops = fuse;
  auto e = Executable::Compile(p.fn, "main", o);
  EXPECT_TRUE(e.ok()) << e.status().message();
  if (!e.ok()) return {};
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  auto out = test::RunOnce(**e, {{"x", Tensor::FromFloats(DType::kFp16, shape, Values(static_cast<size_t>(n), 0.37f, 2))}});
  const Tensor& y = out.at("y");
  std::vector<float> v(static_cast<size_t>(y.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = y.FloatAt(static_cast<int64_t>(i));
  return v;
}

TEST(OpFusion, RmsNormChainBecomesOneOpWithTheSameValues) {
  for (const auto& [shape, gain_shape] : std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>>{
           {{1, 3, 8}, {8}}, {{1, 4, 1, 16}, {1, 1, 1, 16}}, {{2, 8}, {1, 8}}}) {
    Chain c;
    c.shape = shape;
    c.gain_shape = gain_shape;
    const TestProgram p = Build(c);
    auto n = FusedCounts(p);
    EXPECT_EQ(n[kRmsNormOp], 1);
    EXPECT_EQ(n["layer_norm"] + n["concat"] + n["mul"] + n["slice_by_index"], 0);
    for (Precision prec : {Precision::kFp16, Precision::kFp32}) {
      const auto fused = RunChain(p, prec, true, shape);
      ASSERT_FALSE(fused.empty());
      EXPECT_EQ(fused, RunChain(p, prec, false, shape)) << PrecisionName(prec);
    }
  }
}

TEST(OpFusion, LeavesOtherChainsAlone) {
  std::vector<std::pair<std::string, std::function<void(Chain&)>>> variants = {
      {"a shared intermediate", [](Chain& c) { c.norm_is_output = true; }},
      {"not a negation", [](Chain& c) { c.minus_one = -2.0f; }},
      {"concat on another axis", [](Chain& c) { c.concat_axis = 1; }},
      {"normalized over another axis", [](Chain& c) { c.norm_axis = 1; }},
      {"a shorter slice", [](Chain& c) { c.slice_end = {1, 3, 7}; }},
      {"a gain across rows", [](Chain& c) { c.gain_shape = {3, 8}; }},
      {"a gain along another axis", [](Chain& c) {
         c.shape = {1, 8, 8};
         c.gain_shape = {8, 1};
       }},
  };
  for (auto& [what, change] : variants) {
    Chain c;
    change(c);
    const TestProgram p = Build(c);
    auto n = FusedCounts(p);
    EXPECT_EQ(n[kRmsNormOp], 0) << what;
    EXPECT_EQ(n["layer_norm"], 1) << what;
  }
}

// x [1, heads, T, D] roped with cos/sin [1, 1, T, D]; `swap` concatenates [x1, -x2] instead.
TestProgram Rope(int64_t heads, int64_t t, int64_t d, bool swap) {
  const std::vector<int64_t> shape = {1, heads, t, d}, table = {1, 1, t, d};
  const auto h = static_cast<int32_t>(d / 2);
  const std::vector<int32_t> zero = {0, 0, 0, 0}, mid_begin = {0, 0, 0, h};
  const std::vector<int32_t> mid = {1, static_cast<int32_t>(heads), static_cast<int32_t>(t), h};
  const std::vector<int32_t> end = {1, static_cast<int32_t>(heads), static_cast<int32_t>(t), static_cast<int32_t>(d)};
  TestProgram p;
  p.Input("x", DType::kFp16, shape)
      .Input("cos", DType::kFp16, table)
      .Input("sin", DType::kFp16, table)
      .Const("minus_one", Literal::Fp16({}, {-1.0f}))
      .Op("slice_by_index", "x1", {{"x", "x"}, {"begin", I32s(zero)}, {"end", I32s(mid)}}, {{"x1", DType::kFp16}})
      .Op("slice_by_index", "x2", {{"x", "x"}, {"begin", I32s(mid_begin)}, {"end", I32s(end)}}, {{"x2", DType::kFp16}})
      .Op("mul", "nx2", {{"x", "x2"}, {"y", "minus_one"}}, {{"nx2", DType::kFp16}});
  if (swap) {
    p.Op("concat", "rot", {{"values", "x1"}, {"values", "nx2"}, {"axis", I32(-1)}, {"interleave", test::Bool(false)}},
         {{"rot", DType::kFp16}}, {shape});
  } else {
    p.Op("concat", "rot", {{"values", "nx2"}, {"values", "x1"}, {"axis", I32(-1)}, {"interleave", test::Bool(false)}},
         {{"rot", DType::kFp16}}, {shape});
  }
  p.Op("mul", "a", {{"x", "x"}, {"y", "cos"}}, {{"a", DType::kFp16}})
      .Op("mul", "c", {{"x", "rot"}, {"y", "sin"}}, {{"c", DType::kFp16}})
      .Op("add", "y", {{"x", "a"}, {"y", "c"}}, {{"y", DType::kFp16}}, {shape})
      .Output("y");
  return p;
}

TEST(OpFusion, RopeChainBecomesOneOpWithTheSameValues) {
  for (const auto& [heads, t, d] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{4, 1, 16}, {3, 5, 8}}) {
    const TestProgram p = Rope(heads, t, d, false);
    auto n = FusedCounts(p);
    EXPECT_EQ(n[internal::kRopeOp], 1);
    EXPECT_EQ(n["slice_by_index"] + n["concat"] + n["mul"] + n["add"], 0);
    const std::vector<int64_t> shape = {1, heads, t, d}, table = {1, 1, t, d};
    for (Precision prec : {Precision::kFp16, Precision::kFp32}) {
      std::vector<std::vector<float>> results;
      for (bool fuse : {true, false}) {
        Options o;
        o.precision = prec;
        o.fuse_ops = fuse;
        auto e = Executable::Compile(p.fn, "main", o);
        ASSERT_TRUE(e.ok()) << e.status().message();
        auto out = test::RunOnce(**e, {{"x", Tensor::FromFloats(DType::kFp16, shape, Values(heads * t * d, 0.29f, 3))},
                                       {"cos", Tensor::FromFloats(DType::kFp16, table, Values(t * d, 0.083f, 4))},
                                       {"sin", Tensor::FromFloats(DType::kFp16, table, Values(t * d, 0.061f, 5))}});
        const Tensor& y = out.at("y");
        std::vector<float> v(static_cast<size_t>(y.num_elements()));
        for (size_t i = 0; i < v.size(); ++i) v[i] = y.FloatAt(static_cast<int64_t>(i));
        results.push_back(std::move(v));
      }
      EXPECT_EQ(results[0], results[1]) << PrecisionName(prec);
    }
  }
  // [x1, -x2] is not a rotation by this rule: left alone.
  auto n = FusedCounts(Rope(2, 1, 8, true));
  EXPECT_EQ(n[internal::kRopeOp], 0);
  EXPECT_EQ(n["concat"], 1);
}

}  // namespace
}  // namespace anemll::runtime
