#include "mil/builder.h"

#include <gtest/gtest.h>

#include <functional>

#include "mil/printer.h"
#include "mil/validate.h"

namespace anemll::mil {
namespace {

constexpr DType F16 = DType::kFp16, F32 = DType::kFp32, I32 = DType::kInt32;

std::vector<std::string> OpNames(const Function& fn) {
  std::vector<std::string> names;
  for (const Operation& op : fn.block.operations) names.push_back(op.name);
  return names;
}

const Operation* FindOpNamed(const Function& fn, const std::string& name) {
  for (const Operation& op : fn.block.operations) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

// The value of a const op, or nullptr.
const Literal* ConstVal(const Function& fn, const std::string& name) {
  const Operation* op = FindOpNamed(fn, name);
  if (!op || op->type != "const") return nullptr;
  return &op->attributes.at("val");
}

Literal Weights(DType dtype, std::vector<int64_t> shape, float v = 0.25f) {
  return Filled(dtype, std::move(shape), v);
}

Function FinishOk(FunctionBuilder& b) {
  auto fn = b.Finish();
  EXPECT_TRUE(fn.ok()) << fn.status().message();
  return fn.ok() ? std::move(fn).value() : Function();
}

TEST(Builder, LinearMaterializesWeightAndZeroBiasLikeCoremltools) {
  FunctionBuilder b("infer");
  Value x = b.Input("x", F16, {1, 1, 8});
  Value y = b.Name("q_proj", b.Linear(x, Weights(F16, {8, 8})));
  EXPECT_EQ(y.name, "q_proj");
  EXPECT_EQ(FormatType(y.type), "fp16[1,1,8]");
  b.Output(y);
  Function fn = FinishOk(b);
  EXPECT_EQ(OpNames(fn), (std::vector<std::string>{"q_proj_weight_0", "q_proj_bias_0", "q_proj"}));
  const Literal* bias = ConstVal(fn, "q_proj_bias_0");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(FormatType(bias->type), "fp16[8]");
  EXPECT_EQ(FormatLiteral(*bias), "[0, 0, 0, 0, 0, 0, 0, 0]");
  const Operation* linear = FindOpNamed(fn, "q_proj");
  EXPECT_EQ(linear->inputs.at("weight")[0].name, "q_proj_weight_0");
  EXPECT_EQ(fn.block.outputs, (std::vector<std::string>{"q_proj"}));
  EXPECT_EQ(fn.opset, "CoreML8");
}

TEST(Builder, NameRenamesTheMostRecentOpAndItsConsts) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 4});
  // Nested calls: each Name() applies to the op built just before it.
  Value y = b.Name("y", b.Add(b.Name("scaled", b.Mul(x, ScalarOf(F16, 0.5))), ScalarOf(F16, 1.0)));
  EXPECT_EQ(y.name, "y");
  b.WriteState(b.StateInput("s", F16, {1, 4}), y, "store");
  b.Output(b.Name("out", b.Relu(y)));
  Function fn = FinishOk(b);
  EXPECT_EQ(OpNames(fn), (std::vector<std::string>{"scaled_y_0", "scaled", "y_y_0", "y", "store", "out"}));
  EXPECT_EQ(FindOpNamed(fn, "y")->inputs.at("x")[0].name, "scaled");
  EXPECT_EQ(FindOpNamed(fn, "y")->inputs.at("y")[0].name, "y_y_0");
  EXPECT_EQ(fn.block.outputs, (std::vector<std::string>{"out"}));

  FunctionBuilder late;
  Value a = late.Relu(late.Input("x", F16, {2}));
  late.Relu(a);
  EXPECT_FALSE(late.Name("a", a).valid());
  EXPECT_EQ(late.status().message(), "build main: Name('a'): value 'relu_0' is not the output of the most recent op");
}

TEST(Builder, AutoNamesAreUniquePerType) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {4});
  Value a = b.Add(x, ScalarOf(F16, 1.0));
  Value c = b.Add(a, ScalarOf(F16, 2.0));
  b.Output(c);
  Function fn = FinishOk(b);
  EXPECT_EQ(OpNames(fn), (std::vector<std::string>{"add_0_y_0", "add_0", "add_1_y_0", "add_1"}));
}

TEST(Builder, VariadicLiteralsAndDefaultsFollowCoremltoolsNaming) {
  // kv_begin = concat([[0,0], current_pos, [0]], axis=0) as in the kv_state_multifunction fixture.
  FunctionBuilder b("infer");
  Value pos = b.Input("current_pos", I32, {1});
  Value begin = b.Name("kv_begin", b.Concat({Int32Vector({0, 0}), pos, Int32Vector({0})}, 0));
  EXPECT_EQ(FormatType(begin.type), "int32[4]");
  b.Output(begin);
  Function fn = FinishOk(b);
  EXPECT_EQ(OpNames(fn), (std::vector<std::string>{"kv_begin_values0_0", "kv_begin_values2_0", "kv_begin_axis_0",
                                                   "kv_begin_interleave_0", "kv_begin"}));
  const Operation* concat = FindOpNamed(fn, "kv_begin");
  ASSERT_EQ(concat->inputs.at("values").size(), 3u);
  EXPECT_EQ(concat->inputs.at("values")[1].name, "current_pos");
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "kv_begin_interleave_0")), "false");
}

TEST(Builder, GenericOpMaterializesRegistryDefaults) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 4, 8});
  Value s = b.Op1("softmax", {{"x", {x}}});
  Value g = b.Op1("gelu", {{"x", {s}}});
  Value mean = b.Name("mean", b.Const(Weights(F16, {4})));
  Value var = b.Name("var", b.Const(Weights(F16, {4}, 1.0f)));
  Value bn = b.Op1("batch_norm", {{"x", {g}}, {"mean", {mean}}, {"variance", {var}}});
  b.Output(bn);
  Function fn = FinishOk(b);
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "softmax_0_axis_0")), "-1");
  EXPECT_EQ(ConstVal(fn, "softmax_0_axis_0")->type.tensor.dtype, I32);
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "gelu_0_mode_0")), "\"EXACT\"");
  // batch_norm's epsilon takes the dtype of its type variable U (fixed by mean).
  const Literal* eps = ConstVal(fn, "batch_norm_0_epsilon_0");
  ASSERT_NE(eps, nullptr);
  EXPECT_EQ(FormatType(eps->type), "fp16");
  EXPECT_EQ(FormatLiteral(*eps), "1e-05");
  // Optional parameters defaulting to None stay absent.
  EXPECT_EQ(FindOpNamed(fn, "batch_norm_0")->inputs.count("gamma"), 0u);
}

// Builds `body(b, x)` on an input x and returns the text of each output type.
std::string BuildOne(DType dtype, std::vector<int64_t> shape,
                     const std::function<std::vector<Value>(FunctionBuilder&, Value)>& body) {
  FunctionBuilder b;
  Value x = b.Input("x", dtype, std::move(shape));
  std::vector<Value> outs = body(b, x);
  for (const Value& v : outs) b.Output(v);
  auto fn = b.Finish();
  if (!fn.ok()) return "error: " + fn.status().message();
  std::string s;
  for (size_t i = 0; i < outs.size(); ++i) {
    if (i) s += " ";
    s += FormatType(outs[i].type);
  }
  return s;
}

using B = FunctionBuilder;
std::vector<Value> One(Value v) { return {std::move(v)}; }

TEST(Builder, ElementwiseOps) {
  using Fn = Value (FunctionBuilder::*)(Operand, Operand);
  for (Fn f : {&B::Add, &B::Sub, &B::Mul, &B::RealDiv, &B::Pow, &B::Maximum, &B::Minimum, &B::FloorDiv}) {
    EXPECT_EQ(BuildOne(F16, {2, 1, 4}, [&](B& b, Value x) { return One((b.*f)(x, Weights(F16, {3, 1}))); }),
              "fp16[2,3,4]");
  }
  for (Fn f : {&B::Equal, &B::NotEqual, &B::Less, &B::LessEqual, &B::Greater, &B::GreaterEqual}) {
    EXPECT_EQ(BuildOne(I32, {1, 5}, [&](B& b, Value x) { return One((b.*f)(x, ScalarOf(I32, 0))); }), "bool[1,5]");
  }
  for (Fn f : {&B::LogicalAnd, &B::LogicalOr, &B::LogicalXor}) {
    EXPECT_EQ(BuildOne(DType::kBool, {3}, [&](B& b, Value x) { return One((b.*f)(x, x)); }), "bool[3]");
  }
  EXPECT_EQ(BuildOne(DType::kBool, {3}, [](B& b, Value x) { return One(b.LogicalNot(x)); }), "bool[3]");
  EXPECT_EQ(BuildOne(I32, {1, 4}, [](B& b, Value x) {
              Value ge = b.GreaterEqual(x, ScalarOf(I32, 0));
              return One(b.Select(ge, x, b.Add(x, ScalarOf(I32, 32))));
            }),
            "int32[1,4]");
}

TEST(Builder, UnaryOps) {
  using Fn = Value (FunctionBuilder::*)(Operand);
  for (Fn f : {&B::Sqrt, &B::Exp, &B::Sin, &B::Cos, &B::Tanh, &B::Sigmoid, &B::Silu, &B::Relu, &B::Erf,
               &B::Square, &B::Abs}) {
    EXPECT_EQ(BuildOne(F16, {1, 8}, [&](B& b, Value x) { return One((b.*f)(x)); }), "fp16[1,8]");
  }
  auto unary = [](std::function<Value(B&, Value)> f) {
    return BuildOne(F16, {1, 8}, [&](B& b, Value x) { return One(f(b, x)); });
  };
  EXPECT_EQ(unary([](B& b, Value x) { return b.Rsqrt(x); }), "fp16[1,8]");
  EXPECT_EQ(unary([](B& b, Value x) { return b.Log(x); }), "fp16[1,8]");
  EXPECT_EQ(unary([](B& b, Value x) { return b.Gelu(x, "TANH_APPROXIMATION"); }), "fp16[1,8]");
  EXPECT_EQ(unary([](B& b, Value x) { return b.Softmax(x, -1); }), "fp16[1,8]");
  EXPECT_EQ(unary([](B& b, Value x) { return b.Clip(x, -65504, 65504); }), "fp16[1,8]");
  EXPECT_EQ(unary([](B& b, Value x) { return b.Cast(x, F32); }), "fp32[1,8]");
}

TEST(Builder, ReductionsAndNorms) {
  auto build = [](std::function<Value(B&, Value)> f) {
    return BuildOne(F16, {1, 4, 16}, [&](B& b, Value x) { return One(f(b, x)); });
  };
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceMean(x, {-1}, true); }), "fp16[1,4,1]");
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceSum(x, {1, 2}); }), "fp16[1]");
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceMax(x, {-1}); }), "fp16[1,4]");
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceMin(x, {0}); }), "fp16[4,16]");
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceArgmax(x); }), "int32[1,4]");
  EXPECT_EQ(build([](B& b, Value x) { return b.ReduceArgmax(x, -1, true, DType::kUInt16); }), "uint16[1,4,1]");
  EXPECT_EQ(build([](B& b, Value x) { return b.LayerNorm(x, {-1}); }), "fp16[1,4,16]");
  EXPECT_EQ(build([](B& b, Value x) { return b.LayerNorm(x, {-1}, Weights(F16, {16}), Weights(F16, {16})); }),
            "fp16[1,4,16]");
}

TEST(Builder, LinearAlgebraAndConv) {
  EXPECT_EQ(BuildOne(F16, {1, 2, 4, 8},
                     [](B& b, Value q) {
                       Value k = b.Const(Weights(F16, {1, 2, 16, 8}));
                       return One(b.Matmul(q, k, false, true));
                     }),
            "fp16[1,2,4,16]");
  EXPECT_EQ(BuildOne(F16, {1, 8, 1, 4},
                     [](B& b, Value x) { return One(b.Conv(x, Weights(F16, {16, 8, 1, 1}), Weights(F16, {16}))); }),
            "fp16[1,16,1,4]");
  ConvOptions strided;
  strided.strides = {1, 2};
  EXPECT_EQ(BuildOne(F16, {1, 8, 1, 8},
                     [&](B& b, Value x) { return One(b.Conv(x, Weights(F16, {4, 8, 1, 3}), std::nullopt, strided)); }),
            "fp16[1,4,1,3]");
  // Conv writes every optional parameter explicitly (conv1x1_fp16 fixture).
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 8, 1, 4});
  b.Output(b.Name("conv_0", b.Conv(x, Weights(F16, {16, 8, 1, 1}))));
  Function fn = FinishOk(b);
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "conv_0_strides_0")), "[1, 1]");
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "conv_0_pad_type_0")), "\"valid\"");
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "conv_0_pad_0")), "[0, 0, 0, 0]");
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "conv_0_dilations_0")), "[1, 1]");
  EXPECT_EQ(FormatLiteral(*ConstVal(fn, "conv_0_groups_0")), "1");
}

TEST(Builder, ShapingOps) {
  auto build = [](std::function<std::vector<Value>(B&, Value)> f) { return BuildOne(F16, {1, 4, 8}, f); };
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Concat({x, x}, -1)); }), "fp16[1,4,16]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Concat(std::vector<Value>{x, x, x}, 0)); }), "fp16[3,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return b.Split(x, 2, 2); }), "fp16[1,4,4] fp16[1,4,4]");
  EXPECT_EQ(build([](B& b, Value x) { return b.SplitSizes(x, 1, {1, 3}); }), "fp16[1,1,8] fp16[1,3,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Reshape(x, {1, 1, 4, -1})); }), "fp16[1,1,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Transpose(x, {0, 2, 1})); }), "fp16[1,8,4]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.ExpandDims(x, {2})); }), "fp16[1,4,1,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Squeeze(x, std::vector<int32_t>{0})); }), "fp16[4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Squeeze(x)); }), "fp16[4,8]");
  SliceOptions squeeze;
  squeeze.squeeze_mask = {true, false, false};
  squeeze.stride = {1, 2, 1};
  EXPECT_EQ(build([&](B& b, Value x) {
              return One(b.SliceByIndex(x, Int32Vector({0, 0, 0}), Int32Vector({1, 4, 8}), squeeze));
            }),
            "fp16[2,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.SliceBySize(x, Int32Vector({0, 1, 0}), Int32Vector({1, 2, -1}))); }),
            "fp16[1,2,8]");
  EXPECT_EQ(build([](B& b, Value x) {
              return One(b.SliceUpdate(x, Weights(F16, {1, 1, 8}), Int32Vector({0, 3, 0}), Int32Vector({1, 4, 8})));
            }),
            "fp16[1,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.BandPart(x, -1, 0)); }), "fp16[1,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.Tile(x, Int32Vector({2, 1, 1}))); }), "fp16[2,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return One(b.FillLike(x, ScalarOf(F16, 0))); }), "fp16[1,4,8]");
  EXPECT_EQ(build([](B& b, Value x) { return b.Topk(x, TopkOptions{3}); }), "fp16[1,4,3] int32[1,4,3]");
  TopkOptions values_only;
  values_only.return_indices = false;
  EXPECT_EQ(build([&](B& b, Value x) { return b.Topk(x, values_only); }), "fp16[1,4,1]");
}

TEST(Builder, MultiOutputNames) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 4, 8});
  std::vector<Value> parts = b.Split(x, -1, 2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "split_0_0");
  EXPECT_EQ(parts[1].name, "split_0_1");
  std::vector<Value> top = b.Name("top", b.Topk(x, TopkOptions{2}));
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[1].name, "top_1");
  b.Output(parts[1]);
  b.Output(top[1]);
  FinishOk(b);
}

TEST(Builder, GatherFillRange) {
  FunctionBuilder b;
  Value ids = b.Input("input_ids", I32, {1, kUnknownDim});
  Value table = b.Name("embed", b.Const(Weights(F16, {32, 8})));
  Value hidden = b.Gather(table, ids);
  EXPECT_EQ(FormatType(hidden.type), "fp16[1,?,8]");
  Value along = b.GatherAlongAxis(b.Const(Weights(F16, {2, 5})), b.Const(Literal::Int32({2, 3}, {0, 1, 2, 3, 4, 0})), 1);
  EXPECT_EQ(FormatType(along.type), "fp16[2,3]");
  Value filled = b.Fill(Int32Vector({2, 3}), ScalarOf(F16, 1));
  EXPECT_EQ(FormatType(filled.type), "fp16[2,3]");
  Value range = b.Range1d(ScalarOf(I32, 8), ScalarOf(I32, 0), ScalarOf(I32, 2));
  EXPECT_EQ(FormatType(range.type), "int32[4]");
  for (const Value& v : {hidden, along, filled, range}) b.Output(v);
  FinishOk(b);
}

TEST(Builder, StatesAndAttention) {
  FunctionBuilder b("infer");
  Value x = b.Input("x", F16, {2, 1, 1, 8});
  Value pos = b.Input("current_pos", I32, {1});
  Value q = b.Input("q", F16, {1, 1, 1, 8});
  Value mask = b.Input("causal_mask", F16, {1, 1, 1, 16});
  Value cache = b.StateInput("kv_cache", F16, {2, 1, 16, 8});
  Value begin = b.Concat({Int32Vector({0, 0}), pos, Int32Vector({0})}, 0);
  Value end = b.Add(begin, Int32Vector({2, 1, 1, 8}));
  Value read = b.ReadState(cache);
  Value upd = b.SliceUpdate(read, x, begin, end);
  b.WriteState(cache, upd);
  Value now = b.ReadState(cache);
  Value k = b.SliceByIndex(now, Int32Vector({0, 0, 0, 0}), Int32Vector({1, 1, 16, 8}));
  Value v = b.SliceByIndex(now, Int32Vector({1, 0, 0, 0}), Int32Vector({2, 1, 16, 8}));
  Value attn = b.ScaledDotProductAttention(q, k, v, mask);
  EXPECT_EQ(FormatType(attn.type), "fp16[1,1,1,8]");
  b.Output(attn);
  Function fn = FinishOk(b);
  EXPECT_EQ(fn.inputs.back().type, ValueType::State(F16, {2, 1, 16, 8}));
  const Operation* write = FindOpNamed(fn, "write_state_0");
  ASSERT_NE(write, nullptr);
  EXPECT_TRUE(write->outputs.empty());
}

TEST(Builder, ConstexprOpsTakeInlineLiterals) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 256});
  auto indices = std::make_shared<const Buffer>(std::vector<uint8_t>(64 * 256 / 2, 0x10));
  Value w = b.Name("w_palettized", b.ConstexprLutToDense(Literal::Raw(DType::kUInt4, {64, 256}, indices),
                                                        Weights(F16, {4, 1, 16, 1})));
  EXPECT_EQ(FormatType(w.type), "fp16[64,256]");
  Value scaled = b.ConstexprBlockwiseShiftScale(w, Weights(F16, {64, 1}, 2.0f));
  Value y = b.Linear(x, scaled);
  auto bytes = [](size_t n) { return std::make_shared<const Buffer>(std::vector<uint8_t>(n)); };
  Value q = b.ConstexprAffineDequantize(Literal::Raw(DType::kInt8, {4, 8}, bytes(32)),
                                        Literal::Raw(DType::kInt8, {}, bytes(1)), Weights(F32, {4}), 0);
  Value c = b.ConstexprCast(Weights(F16, {4, 8}), F32);
  EXPECT_EQ(FormatType(q.type), "fp32[4,8]");
  EXPECT_EQ(FormatType(c.type), "fp32[4,8]");
  b.Output(y);
  b.Output(b.Add(q, c));
  Function fn = FinishOk(b);
  const Operation* lut = FindOpNamed(fn, "w_palettized");
  ASSERT_NE(lut, nullptr);
  EXPECT_TRUE(lut->inputs.at("indices")[0].is_literal());
  EXPECT_EQ(lut->inputs.at("indices")[0].literal->data, indices);  // no copy
  EXPECT_TRUE(lut->inputs.at("lut")[0].is_literal());
  const Operation* shift = FindOpNamed(fn, "constexpr_blockwise_shift_scale_0");
  EXPECT_EQ(shift->inputs.at("data")[0].name, "w_palettized");  // chained by name
  // Constexpr ops make no const ops for their literals.
  for (const Operation& op : fn.block.operations) EXPECT_NE(op.name.find("w_palettized_"), 0u) << op.name;
}

TEST(Builder, SharedWeightBufferAcrossFunctions) {
  const Literal weight = Weights(F16, {8, 8});
  Function fns[2];
  for (int i = 0; i < 2; ++i) {
    FunctionBuilder b(i == 0 ? "infer" : "prefill");
    Value x = b.Input("x", F16, {1, i == 0 ? 1 : 4, 8});
    b.Output(b.Name("q_proj", b.Linear(x, weight)));
    fns[i] = FinishOk(b);
  }
  const Literal* a = ConstVal(fns[0], "q_proj_weight_0");
  const Literal* c = ConstVal(fns[1], "q_proj_weight_0");
  ASSERT_TRUE(a && c);
  EXPECT_EQ(a->data.get(), c->data.get());
  EXPECT_EQ(a->data.get(), weight.data.get());
}

TEST(Builder, ErrorsAreStickyAndNameTheOpAndParameter) {
  FunctionBuilder b;
  Value x = b.Input("x", DType::kInt8, {1, 8});
  Value y = b.Linear(x, Weights(F16, {4, 8}));
  EXPECT_FALSE(y.valid());
  Value z = b.Relu(y);  // keeps the first error
  EXPECT_FALSE(z.valid());
  b.Output(z);
  auto fn = b.Finish();
  ASSERT_FALSE(fn.ok());
  EXPECT_EQ(fn.status().message(),
            "build main: op linear_0 (linear): input 'x' has dtype int8, expected one of fp16, fp32, int32 (T)");
}

TEST(Builder, ErrorMessages) {
  auto error = [](std::function<void(FunctionBuilder&, Value)> f) {
    FunctionBuilder b;
    Value x = b.Input("x", F16, {1, 8});
    f(b, x);
    b.Output(x);
    auto fn = b.Finish();
    return fn.ok() ? std::string("ok") : fn.status().message();
  };
  EXPECT_EQ(error([](B& b, Value x) { b.Op1("linear", {{"x", {x}}, {"wieght", {Weights(F16, {2, 8})}}}); }),
            "build main: op linear_0 (linear): unknown parameter 'wieght' (linear takes x, weight, bias)");
  EXPECT_EQ(error([](B& b, Value x) { b.Op1("linear", {{"x", {x}}}); }),
            "build main: op linear_0 (linear): missing required parameter 'weight'");
  EXPECT_EQ(error([](B& b, Value x) { b.Linear(x, x); }),
            "build main: op linear_0 (linear): input 'weight' must be a compile-time constant (a const or constexpr "
            "output, or a literal), got the runtime value 'x'");
  EXPECT_EQ(error([](B& b, Value x) { b.Reshape(x, {3, -1}); }),
            "build main: op reshape_0 (reshape): cannot reshape [1,8] to [3,-1]");
  EXPECT_EQ(error([](B& b, Value x) { b.Op1("frob", {}); }), "build main: unknown op type 'frob'");
  EXPECT_EQ(error([](B& b, Value x) { b.Name("x", b.Relu(x)); }), "build main: op name 'x' (relu) is already used");
  EXPECT_EQ(error([](B& b, Value x) { b.Name("bad name", b.Relu(x)); }),
            "build main: op name 'bad name' (relu) is not a valid identifier");
  EXPECT_EQ(error([](B& b, Value x) { b.Relu(Value()); }), "build main: op relu_0 (relu): input 'x' is an invalid value");
  EXPECT_EQ(error([](B& b, Value x) { b.Input("x", F16, {1}); }), "build main: input name 'x' is already used");
  EXPECT_EQ(error([](B& b, Value x) { b.Op1("split", {{"x", {x}}, {"axis", {ScalarOf(I32, 1)}}, {"num_splits", {ScalarOf(I32, 2)}}}); }),
            "build main: op split has 2 outputs, expected 1");
  EXPECT_EQ(error([](B& b, Value x) { b.StateInput("kv_cache", F16, {2, 256, 8}); }),
            "build main: state input 'kv_cache' is never used");
  FunctionBuilder empty;
  EXPECT_EQ(empty.Finish().status().message(), "build main: function has no outputs");
}

TEST(Builder, FinishTwiceIsAnError) {
  FunctionBuilder b;
  b.Output(b.Input("x", F16, {1}));
  ASSERT_TRUE(b.Finish().ok());
  EXPECT_EQ(b.Finish().status().message(), "build main: Finish() called twice");
}

TEST(Builder, BuiltFunctionsValidate) {
  FunctionBuilder b;
  Value x = b.Input("x", F16, {1, 4, 64});
  Value h = b.Linear(x, Weights(F16, {64, 64}));
  Value n = b.LayerNorm(b.Concat({h, b.Mul(h, ScalarOf(F16, -1))}, -1), {-1});
  Value parts = b.SliceByIndex(n, Int32Vector({0, 0, 0}), Int32Vector({1, 4, 64}));
  b.Output(b.Silu(parts));
  Function fn = FinishOk(b);
  EXPECT_TRUE(ValidateFunction("main", fn).ok());
}

}  // namespace
}  // namespace anemll::mil
