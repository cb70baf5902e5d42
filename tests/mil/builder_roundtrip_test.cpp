// Programs made by the builder, one per op kind, written with the package writer and read back:
// the read program equals the built one, still validates, and prints the same.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "mil/builder.h"
#include "mil/coreml/compare.h"
#include "mil/coreml/package.h"
#include "mil/printer.h"
#include "mil/validate.h"
#include "support/test_support.h"

namespace anemll::mil {
namespace {

constexpr DType F16 = DType::kFp16, F32 = DType::kFp32, I32 = DType::kInt32;

ArrayDType ArrayTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kFp16: return ArrayDType::kFp16;
    case DType::kFp32: return ArrayDType::kFp32;
    case DType::kInt32: return ArrayDType::kInt32;
    default: return ArrayDType::kInvalid;
  }
}

FeatureDescription Feature(const std::string& name, const ValueType& type) {
  FeatureDescription f;
  f.name = name;
  f.type.kind = type.kind == ValueType::Kind::kState ? FeatureType::Kind::kState : FeatureType::Kind::kMultiArray;
  f.type.dtype = ArrayTypeOf(type.tensor.dtype);
  for (int64_t d : type.tensor.shape) f.type.shape.push_back(d < 0 ? 1 : d);
  return f;
}

FunctionDescription Describe(const std::string& name, const Function& fn) {
  FunctionDescription d;
  d.name = name;
  TypeEnv env = TypeEnv::ForFunction(fn);
  for (const Operation& op : fn.block.operations) env.DefineOutputs(op);
  for (const NamedValueType& in : fn.inputs) {
    (in.type.kind == ValueType::Kind::kState ? d.states : d.inputs).push_back(Feature(in.name, in.type));
  }
  for (const std::string& out : fn.block.outputs) d.outputs.push_back(Feature(out, env.Find(out)->type));
  return d;
}

Model SingleFunctionModel(const Function& fn) {
  Model model;
  model.program.functions["main"] = fn;
  FunctionDescription d = Describe("main", fn);
  model.description.inputs = d.inputs;
  model.description.outputs = d.outputs;
  model.description.states = d.states;
  return model;
}

Literal W(DType dtype, std::vector<int64_t> shape, double v) { return Filled(dtype, std::move(shape), v); }

// Distinct non-trivial values, so that a shuffled blob would be noticed.
Literal Ramp(std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>((i % 17) - 8) / 16.0f;
  return Literal::Fp16(std::move(shape), v);
}

using Body = std::function<void(FunctionBuilder&)>;

struct Case {
  std::string name;
  Body body;
};

std::vector<Case> Cases() {
  return {
      {"linear", [](FunctionBuilder& b) { b.Output(b.Linear(b.Input("x", F16, {1, 1, 16}), Ramp({12, 16}))); }},
      {"matmul", [](FunctionBuilder& b) {
         Value q = b.Input("q", F16, {1, 2, 4, 8});
         b.Output(b.Matmul(q, b.Const(Ramp({1, 2, 16, 8})), false, true));
       }},
      {"conv", [](FunctionBuilder& b) {
         b.Output(b.Conv(b.Input("x", F16, {1, 8, 1, 4}), Ramp({16, 8, 1, 1}), Ramp({16})));
       }},
      {"elementwise", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {2, 4});
         Value y = b.Input("y", F16, {1, 4});
         Value s = b.Add(b.Sub(b.Mul(x, y), b.RealDiv(x, ScalarOf(F16, 3))), b.Pow(y, ScalarOf(F16, 2)));
         b.Output(b.Maximum(b.Minimum(s, ScalarOf(F16, 100)), ScalarOf(F16, -100)));
         b.Output(b.FloorDiv(x, y));
       }},
      {"unary", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {1, 8});
         Value v = b.Sqrt(b.Abs(x));
         v = b.Rsqrt(b.Exp(v));
         v = b.Log(b.Square(v));
         v = b.Tanh(b.Sin(b.Cos(v)));
         v = b.Gelu(b.Silu(b.Sigmoid(b.Relu(v))), "TANH_APPROXIMATION");
         b.Output(b.Clip(b.Erf(b.Softmax(v)), -1, 1));
       }},
      {"compare_select", [](FunctionBuilder& b) {
         Value ids = b.Input("input_ids", I32, {1, 4});
         Value ge = b.GreaterEqual(ids, ScalarOf(I32, 0));
         Value any = b.LogicalXor(b.LogicalOr(b.LogicalAnd(ge, b.Less(ids, ScalarOf(I32, 9))),
                                              b.Equal(ids, ScalarOf(I32, 3))),
                                  b.LogicalNot(b.NotEqual(ids, ScalarOf(I32, 1))));
         Value picked = b.Select(b.LessEqual(ids, ScalarOf(I32, 5)), ids, b.Add(ids, ScalarOf(I32, 32)));
         b.Output(b.Select(any, picked, b.Sub(picked, ScalarOf(I32, 1))));
         b.Output(b.Cast(b.Greater(ids, ScalarOf(I32, 2)), F16));
       }},
      {"reductions", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {1, 2, 12});
         b.Output(b.ReduceMean(x, {-1}, true));
         b.Output(b.ReduceSum(x, {1}));
         b.Output(b.ReduceMax(x, {-1}));
         b.Output(b.ReduceMin(x, {0, 1}));
         b.Output(b.ReduceArgmax(x, -1));
       }},
      {"layer_norm", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {1, 4, 16});
         Value n = b.LayerNorm(b.Concat({x, b.Mul(x, ScalarOf(F16, -1))}, -1), {-1});
         Value half = b.SliceByIndex(n, Int32Vector({0, 0, 0}), Int32Vector({1, 4, 16}));
         b.Output(b.Mul(half, Ramp({16})));
         b.Output(b.LayerNorm(x, {-1}, Ramp({16}), W(F16, {16}, 0.125)));
       }},
      {"shaping", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {1, 4, 8});
         std::vector<Value> parts = b.Split(x, -1, 2);
         std::vector<Value> sized = b.SplitSizes(x, 1, {1, 3});
         Value r = b.Reshape(b.Transpose(parts[0], {0, 2, 1}), {1, 1, 4, 4});
         b.Output(b.Squeeze(b.ExpandDims(r, {0}), std::vector<int32_t>{0}));
         b.Output(sized[1]);
         b.Output(b.Tile(parts[1], Int32Vector({2, 1, 1})));
         b.Output(b.BandPart(x, -1, 0));
       }},
      {"slices", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {2, 1, 16, 8});
         Value upd = b.Input("update", F16, {2, 1, 4, 8});
         Value pos = b.Input("current_pos", I32, {1});
         Value begin = b.Concat({Int32Vector({0, 0}), pos, Int32Vector({0})}, 0);
         Value end = b.Add(begin, Int32Vector({2, 1, 4, 8}));
         b.Output(b.SliceUpdate(x, upd, begin, end));
         SliceOptions opts;
         opts.stride = {1, 1, 2, 1};
         opts.squeeze_mask = {false, true, false, false};
         b.Output(b.SliceByIndex(x, Int32Vector({0, 0, 0, 0}), Int32Vector({2, 1, 16, 8}), opts));
         b.Output(b.SliceBySize(x, begin, Int32Vector({1, 1, 4, -1})));
       }},
      {"gather_fill_range", [](FunctionBuilder& b) {
         Value ids = b.Input("input_ids", I32, {1, 4});
         Value table = b.Const(Ramp({32, 8}));
         b.Output(b.Gather(table, ids));
         b.Output(b.GatherAlongAxis(b.Const(Ramp({2, 5})), b.Const(Literal::Int32({2, 3}, {0, 1, 2, 3, 4, 0})), 1));
         b.Output(b.Fill(Int32Vector({2, 3}), ScalarOf(F16, 1)));
         b.Output(b.FillLike(ids, ScalarOf(F16, 0)));
         b.Output(b.Range1d(ScalarOf(I32, 8), ScalarOf(I32, 0), ScalarOf(I32, 2)));
       }},
      {"topk", [](FunctionBuilder& b) {
         std::vector<Value> top = b.Topk(b.Input("logits", F16, {1, 64}), TopkOptions{4});
         b.Output(top[0]);
         b.Output(top[1]);
       }},
      {"attention_state", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {2, 1, 1, 8});
         Value pos = b.Input("current_pos", I32, {1});
         Value q = b.Input("q", F16, {1, 1, 1, 8});
         Value mask = b.Input("causal_mask", F16, {1, 1, 1, 16});
         Value cache = b.StateInput("kv_cache", F16, {2, 1, 16, 8});
         Value begin = b.Concat({Int32Vector({0, 0}), pos, Int32Vector({0})}, 0);
         Value end = b.Add(begin, Int32Vector({2, 1, 1, 8}));
         b.WriteState(cache, b.SliceUpdate(b.ReadState(cache), x, begin, end));
         Value now = b.ReadState(cache);
         Value k = b.SliceByIndex(now, Int32Vector({0, 0, 0, 0}), Int32Vector({1, 1, 16, 8}));
         Value v = b.SliceByIndex(now, Int32Vector({1, 0, 0, 0}), Int32Vector({2, 1, 16, 8}));
         b.Output(b.ScaledDotProductAttention(q, k, v, mask));
       }},
      {"constexpr", [](FunctionBuilder& b) {
         Value x = b.Input("x", F16, {1, 64});
         std::vector<uint8_t> packed(32 * 64 / 2);
         for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(i * 37 + 11);
         Value w = b.ConstexprLutToDense(
             Literal::Raw(DType::kUInt4, {32, 64}, std::make_shared<const Buffer>(packed)), Ramp({4, 1, 16, 1}));
         Value scaled = b.ConstexprBlockwiseShiftScale(w, Ramp({32, 1}));
         Value y = b.Linear(x, scaled);
         std::vector<uint8_t> q8(16 * 8);
         for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<uint8_t>(i * 5);
         Value deq = b.ConstexprAffineDequantize(Literal::Raw(DType::kInt8, {16, 8}, std::make_shared<const Buffer>(q8)),
                                                 Literal::Raw(DType::kInt8, {}, std::make_shared<const Buffer>(
                                                                                      std::vector<uint8_t>{3})),
                                                 W(F16, {16}, 0.5), 0);
         Value cast = b.ConstexprCast(Ramp({16, 8}), F32);
         b.Output(y);
         b.Output(b.Add(b.Cast(deq, F32), cast));
       }},
  };
}

class BuilderRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(BuilderRoundTrip, WriteReadEqual) {
  FunctionBuilder b("main");
  GetParam().body(b);
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok()) << fn.status().message();
  const Model model = SingleFunctionModel(*fn);
  testing::TempDir dir;
  const auto pkg = dir / (GetParam().name + ".mlpackage");
  Status written = coreml::WritePackage(model, pkg);
  ASSERT_TRUE(written.ok()) << written.message();
  auto read = coreml::ReadPackage(pkg);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(coreml::FirstDifference(model, *read), "");
  Status valid = ValidateProgram(read->program);
  EXPECT_TRUE(valid.ok()) << valid.message();
  // Same text except where a constant now lives in weight.bin.
  std::string before = PrintProgram(model.program), after = PrintProgram(read->program);
  EXPECT_EQ(read->program.functions.at("main").block.operations.size(), fn->block.operations.size());
  if (after.find("blob@") == std::string::npos) {
    EXPECT_EQ(before, after);
  }
}

INSTANTIATE_TEST_SUITE_P(OpKinds, BuilderRoundTrip, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(BuilderRoundTripMultifunction, SharedWeightsAreStoredOnce) {
  const Literal wq = Ramp({16, 16});
  const Literal wk = Ramp({16, 16});  // same bytes, another Buffer
  Model model;
  for (const auto& [name, len] : {std::pair<std::string, int32_t>{"infer", 1}, {"prefill", 4}}) {
    FunctionBuilder b(name);
    Value x = b.Input("x", F16, {1, len, 16});
    Value cache = b.StateInput("kv_cache", F16, {2, 1, 16, 16});
    Value q = b.Name("q_proj", b.Linear(x, wq));
    Value k = b.Name("k_proj", b.Linear(x, wk));
    b.WriteState(cache, b.SliceUpdate(b.ReadState(cache), b.Reshape(b.Concat({k, q}, 0), {2, 1, len, 16}),
                                      Int32Vector({0, 0, 0, 0}), Int32Vector({2, 1, len, 16})));
    b.Output(b.Name("y", b.Add(q, k)));
    auto fn = b.Finish();
    ASSERT_TRUE(fn.ok()) << fn.status().message();
    model.program.functions[name] = *fn;
    model.description.functions.push_back(Describe(name, *fn));
  }
  model.description.default_function_name = "infer";
  testing::TempDir dir;
  const auto pkg = dir / "multi.mlpackage";
  Status written = coreml::WritePackage(model, pkg);
  ASSERT_TRUE(written.ok()) << written.message();
  auto read = coreml::ReadPackage(pkg);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(coreml::FirstDifference(model, *read), "");
  EXPECT_TRUE(ValidateProgram(read->program).ok());
  // All four 16x16 weight consts (two per function) point at one blob.
  std::set<uint64_t> offsets;
  int weights = 0;
  for (const auto& [name, fn] : read->program.functions) {
    for (const Operation& op : fn.block.operations) {
      if (op.type != "const") continue;
      const Literal& val = op.attributes.at("val");
      if (val.type.tensor.shape != std::vector<int64_t>{16, 16}) continue;
      ASSERT_TRUE(val.blob.has_value()) << op.name;
      offsets.insert(val.blob->offset);
      ++weights;
    }
  }
  EXPECT_EQ(weights, 4);
  EXPECT_EQ(offsets.size(), 1u);
}

}  // namespace
}  // namespace anemll::mil
