#include "mil/type_inference.h"

#include <gtest/gtest.h>

#include "mil/printer.h"

namespace anemll::mil {
namespace {

constexpr int64_t U = kUnknownDim;
constexpr DType F16 = DType::kFp16, F32 = DType::kFp32, I32 = DType::kInt32, B = DType::kBool;

using Inputs = std::vector<std::pair<std::string, std::vector<Argument>>>;

Argument Ref(const std::string& name) { return Argument::Ref(name); }
Argument Lit(Literal lit) { return Argument::Lit(std::move(lit)); }
Argument I(int32_t v) { return Lit(Literal::ScalarInt32(v)); }
Argument Is(const std::vector<int32_t>& v) { return Lit(Literal::Int32({static_cast<int64_t>(v.size())}, v)); }
Argument Bo(bool v) { return Lit(Literal::ScalarBool(v)); }
Argument Bs(const std::vector<bool>& v) { return Lit(Literal::Bool({static_cast<int64_t>(v.size())}, v)); }
Argument S(const std::string& s) { return Lit(Literal::String(s)); }
ValueType T(DType dtype, std::vector<int64_t> shape) { return ValueType::Tensor(dtype, std::move(shape)); }

Operation MakeOp(const std::string& type, const Inputs& inputs) {
  Operation op;
  op.type = type;
  op.name = type + "_0";
  for (const auto& [param, args] : inputs) op.inputs[param] = args;
  return op;
}

Literal Raw(DType dtype, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const size_t bytes = static_cast<size_t>((n * DTypeBits(dtype) + 7) / 8);
  return Literal::Raw(dtype, std::move(shape), std::make_shared<const Buffer>(std::vector<uint8_t>(bytes)));
}

class InferTest : public ::testing::Test {
 protected:
  void Def(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    env_.Define(name, T(dtype, std::move(shape)));
  }
  // The single output type, as text ("fp16[1,?,8]"), or "error: <message>".
  std::string Infer1(const std::string& type, const Inputs& inputs) {
    auto r = InferOutputTypes(MakeOp(type, inputs), env_);
    if (!r.ok()) return "error: " + r.status().message();
    std::string s;
    for (size_t i = 0; i < r->size(); ++i) {
      if (i) s += " ";
      s += FormatType((*r)[i]);
    }
    return s;
  }
  TypeEnv env_;
};

TEST(BroadcastShapes, NumpyRulesWithUnknownDims) {
  EXPECT_EQ(*BroadcastShapes({2, 1, 4}, {3, 1}), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(*BroadcastShapes({}, {5}), (std::vector<int64_t>{5}));
  EXPECT_EQ(*BroadcastShapes({U, 4}, {1, 4}), (std::vector<int64_t>{U, 4}));
  EXPECT_EQ(*BroadcastShapes({U, 1}, {1, 5}), (std::vector<int64_t>{U, 5}));
  EXPECT_EQ(*BroadcastShapes({U}, {7}), (std::vector<int64_t>{7}));
  EXPECT_EQ(*BroadcastShapes({U}, {U}), (std::vector<int64_t>{U}));
  auto bad = BroadcastShapes({2, 3}, {4, 3});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "shapes [2,3] and [4,3] do not broadcast (dim 0: 2 vs 4)");
}

TEST_F(InferTest, ElementwiseBinaryBroadcastsAndKeepsDtype) {
  Def("a", F16, {2, 1, 4});
  Def("b", F16, {3, 1});
  Def("c", F16, {U, 1});
  Def("d", F32, {3, 1});
  for (const char* op : {"add", "sub", "mul", "real_div", "pow", "maximum", "minimum", "floor_div"}) {
    EXPECT_EQ(Infer1(op, {{"x", {Ref("a")}}, {"y", {Ref("b")}}}), "fp16[2,3,4]") << op;
  }
  EXPECT_EQ(Infer1("add", {{"x", {Ref("c")}}, {"y", {Ref("b")}}}), "fp16[3,1]");
  EXPECT_EQ(Infer1("mul", {{"x", {Ref("c")}}, {"y", {Lit(Literal::Fp16({}, {0.5f}))}}}), "fp16[?,1]");
  EXPECT_EQ(Infer1("add", {{"x", {Ref("a")}}, {"y", {Ref("d")}}}),
            "error: op add_0 (add): x and y must have the same dtype, got fp16 and fp32");
}

TEST_F(InferTest, ComparisonsAndLogicalOpsGiveBool) {
  Def("a", I32, {1, U});
  Def("p", B, {4});
  Def("q", B, {1});
  for (const char* op : {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}) {
    EXPECT_EQ(Infer1(op, {{"x", {Ref("a")}}, {"y", {I(0)}}}), "bool[1,?]") << op;
  }
  for (const char* op : {"logical_and", "logical_or", "logical_xor"}) {
    EXPECT_EQ(Infer1(op, {{"x", {Ref("p")}}, {"y", {Ref("q")}}}), "bool[4]") << op;
  }
  EXPECT_EQ(Infer1("logical_not", {{"x", {Ref("p")}}}), "bool[4]");
  Def("c", B, {1, 3});
  Def("t", F16, {2, 1});
  EXPECT_EQ(Infer1("select", {{"cond", {Ref("c")}}, {"a", {Ref("t")}}, {"b", {Lit(Literal::Fp16({}, {0}))}}}),
            "fp16[2,3]");
}

TEST_F(InferTest, UnaryOpsAndCast) {
  Def("x", F16, {1, U, 8});
  for (const char* op : {"sqrt", "rsqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "silu", "relu",
                         "gelu", "erf", "square", "abs", "inverse", "clip", "softmax"}) {
    EXPECT_EQ(Infer1(op, {{"x", {Ref("x")}}}), "fp16[1,?,8]") << op;
  }
  EXPECT_EQ(Infer1("cast", {{"x", {Ref("x")}}, {"dtype", {S("int32")}}}), "int32[1,?,8]");
  EXPECT_EQ(Infer1("cast", {{"x", {Ref("x")}}, {"dtype", {S("int64")}}}),
            "error: op cast_0 (cast): parameter 'dtype' is 'int64', expected one of int8, uint8, int16, "
            "uint16, int32, fp16, fp32, bool");
  EXPECT_EQ(Infer1("softmax", {{"x", {Ref("x")}}, {"axis", {I(3)}}}),
            "error: op softmax_0 (softmax): parameter 'axis' axis 3 out of range for rank 3");
}

TEST_F(InferTest, LinearAndMatmul) {
  Def("x", F16, {1, 1, 64});
  env_.DefineConst("w", T(F16, {128, 64}), nullptr);
  EXPECT_EQ(Infer1("linear", {{"x", {Ref("x")}}, {"weight", {Ref("w")}}}), "fp16[1,1,128]");
  Def("x2", F16, {1, 32});
  EXPECT_EQ(Infer1("linear", {{"x", {Ref("x2")}}, {"weight", {Ref("w")}}}),
            "error: op linear_0 (linear): x [1,32] last dim does not match weight [128,64] D_in");

  Def("q", F16, {1, 2, 4, 8});
  Def("k", F16, {1, 2, 16, 8});
  Def("v", F16, {1, 2, 16, 8});
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("q")}}, {"y", {Ref("k")}}, {"transpose_y", {Bo(true)}}}),
            "fp16[1,2,4,16]");
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("q")}}, {"y", {Ref("k")}}}),
            "error: op matmul_0 (matmul): inner dims do not match: x [1,2,4,8] y [1,2,16,8] "
            "(transpose_x=false, transpose_y=false)");
  Def("a", F32, {2, 1, 3, 4});
  Def("b", F32, {5, 4, 6});
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("a")}}, {"y", {Ref("b")}}}), "fp32[2,5,3,6]");
  Def("vec", F32, {4});
  Def("m", F32, {4, 3});
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("vec")}}, {"y", {Ref("m")}}}), "fp32[3]");
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("m")}}, {"y", {Ref("vec")}}, {"transpose_x", {Bo(true)}}}), "fp32[3]");
  // Mixed dtypes: the non-const operand's dtype wins.
  env_.DefineConst("cw", T(F32, {8, 3}), nullptr);
  EXPECT_EQ(Infer1("matmul", {{"x", {Ref("q")}}, {"y", {Ref("cw")}}}), "fp16[1,2,4,3]");
}

TEST_F(InferTest, ConvShapes) {
  Def("x", F16, {1, 8, 1, 4});
  env_.DefineConst("w", T(F16, {16, 8, 1, 1}), nullptr);
  EXPECT_EQ(Infer1("conv", {{"x", {Ref("x")}}, {"weight", {Ref("w")}}}), "fp16[1,16,1,4]");
  Def("img", F32, {2, 4, 9, 10});
  env_.DefineConst("k3", T(F32, {6, 2, 3, 3}), nullptr);
  const Inputs base = {{"x", {Ref("img")}}, {"weight", {Ref("k3")}}, {"groups", {I(2)}}};
  auto with = [&](Inputs extra) {
    Inputs in = base;
    in.insert(in.end(), extra.begin(), extra.end());
    return Infer1("conv", in);
  };
  EXPECT_EQ(with({}), "fp32[2,6,7,8]");
  EXPECT_EQ(with({{"strides", {Is({2, 2})}}}), "fp32[2,6,4,4]");
  EXPECT_EQ(with({{"pad_type", {S("same")}}, {"strides", {Is({2, 3})}}}), "fp32[2,6,5,4]");
  EXPECT_EQ(with({{"pad_type", {S("custom")}}, {"pad", {Is({1, 1, 0, 2})}}}), "fp32[2,6,9,10]");
  EXPECT_EQ(with({{"dilations", {Is({2, 1})}}}), "fp32[2,6,5,8]");
  EXPECT_EQ(Infer1("conv", {{"x", {Ref("img")}}, {"weight", {Ref("k3")}}}),
            "error: op conv_0 (conv): x has 4 channels but weight [6,2,3,3] with groups=1 expects 2");
}

TEST_F(InferTest, Reductions) {
  Def("x", F16, {1, 1, 12});
  for (const char* op : {"reduce_mean", "reduce_sum", "reduce_max", "reduce_min"}) {
    EXPECT_EQ(Infer1(op, {{"x", {Ref("x")}}, {"axes", {Is({-1})}}, {"keep_dims", {Bo(false)}}}), "fp16[1,1]");
    EXPECT_EQ(Infer1(op, {{"x", {Ref("x")}}, {"axes", {Is({-1})}}, {"keep_dims", {Bo(true)}}}), "fp16[1,1,1]");
    EXPECT_EQ(Infer1(op, {{"x", {Ref("x")}}}), "fp16");  // all axes
  }
  EXPECT_EQ(Infer1("reduce_argmax", {{"x", {Ref("x")}}}), "int32[1,1]");
  EXPECT_EQ(Infer1("reduce_argmax", {{"x", {Ref("x")}}, {"axis", {I(1)}}, {"keep_dims", {Bo(true)}},
                                     {"output_dtype", {S("uint16")}}}),
            "uint16[1,1,12]");
  EXPECT_EQ(Infer1("reduce_argmax", {{"x", {Ref("x")}}, {"output_dtype", {S("fp16")}}}),
            "error: op reduce_argmax_0 (reduce_argmax): parameter 'output_dtype' is 'fp16', expected int32 or "
            "uint16");
}

TEST_F(InferTest, LayerNormChecksGamma) {
  Def("x", F16, {1, 4, 128});
  EXPECT_EQ(Infer1("layer_norm", {{"x", {Ref("x")}}, {"axes", {Is({-1})}}}), "fp16[1,4,128]");
  env_.DefineConst("g", T(F16, {128}), nullptr);
  env_.DefineConst("g2", T(F16, {64}), nullptr);
  EXPECT_EQ(Infer1("layer_norm", {{"x", {Ref("x")}}, {"axes", {Is({-1})}}, {"gamma", {Ref("g")}}}),
            "fp16[1,4,128]");
  EXPECT_EQ(Infer1("layer_norm", {{"x", {Ref("x")}}, {"axes", {Is({-1})}}, {"gamma", {Ref("g2")}}}),
            "error: op layer_norm_0 (layer_norm): parameter 'gamma' has shape [64], expected x.shape[axes] = "
            "[128]");
}

TEST_F(InferTest, ReshapeSpecialValues) {
  Def("x", F16, {2, 50});
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Is({10, -1})}}}), "fp16[10,10]");
  // iOS17: zeros copy dims counted from the right; a zero beyond the rank of x becomes 1.
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Is({1, 0, -1, 0})}}}), "fp16[1,1,2,50]");
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Is({3, -1})}}}),
            "error: op reshape_0 (reshape): cannot reshape [2,50] to [3,-1]");
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Is({7, 7})}}}),
            "error: op reshape_0 (reshape): cannot reshape [2,50] (100 elements) to [7,7] (49 elements)");
  Def("y", F16, {1, U, 8});
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("y")}}, {"shape", {Is({1, -1, 2, 4})}}}), "fp16[1,?,2,4]");
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("y")}}, {"shape", {Is({0, 0, 8})}}}), "fp16[1,?,8]");
  Def("runtime_shape", I32, {3});
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Ref("runtime_shape")}}}), "fp16[?,?,?]");
}

TEST_F(InferTest, TransposeExpandSqueeze) {
  Def("x", F16, {1, 4, 1, 8});
  EXPECT_EQ(Infer1("transpose", {{"x", {Ref("x")}}, {"perm", {Is({0, 3, 2, 1})}}}), "fp16[1,8,1,4]");
  EXPECT_EQ(Infer1("transpose", {{"x", {Ref("x")}}, {"perm", {Is({0, 1, 1, 2})}}}),
            "error: op transpose_0 (transpose): parameter 'perm' [0,1,1,2] is not a permutation");
  EXPECT_EQ(Infer1("expand_dims", {{"x", {Ref("x")}}, {"axes", {Is({0, -1})}}}), "fp16[1,1,4,1,8,1]");
  EXPECT_EQ(Infer1("squeeze", {{"x", {Ref("x")}}}), "fp16[4,8]");
  EXPECT_EQ(Infer1("squeeze", {{"x", {Ref("x")}}, {"axes", {Is({-2})}}}), "fp16[1,4,8]");
  EXPECT_EQ(Infer1("squeeze", {{"x", {Ref("x")}}, {"axes", {Is({1})}}}),
            "error: op squeeze_0 (squeeze): parameter 'axes' names dim 1 of [1,4,1,8] which is not 1");
}

TEST_F(InferTest, ConcatAndSplit) {
  Def("a", F16, {1, 1, 4, 8});
  Def("b", F16, {1, 1, 4, 8});
  Def("c", F16, {1, 1, U, 8});
  Def("d", F16, {1, 2, 4, 8});
  EXPECT_EQ(Infer1("concat", {{"values", {Ref("a"), Ref("b")}}, {"axis", {I(0)}}}), "fp16[2,1,4,8]");
  EXPECT_EQ(Infer1("concat", {{"values", {Ref("a"), Ref("c")}}, {"axis", {I(2)}}}), "fp16[1,1,?,8]");
  EXPECT_EQ(Infer1("concat", {{"values", {Ref("a"), Ref("b")}}, {"axis", {I(-1)}}, {"interleave", {Bo(true)}}}),
            "fp16[1,1,4,16]");
  EXPECT_EQ(Infer1("concat", {{"values", {Ref("a"), Ref("d")}}, {"axis", {I(0)}}}),
            "error: op concat_0 (concat): parameter 'values' shapes [1,1,4,8] and [1,2,4,8] differ outside axis 0");
  EXPECT_EQ(Infer1("split", {{"x", {Ref("d")}}, {"axis", {I(1)}}, {"num_splits", {I(2)}}}),
            "fp16[1,1,4,8] fp16[1,1,4,8]");
  EXPECT_EQ(Infer1("split", {{"x", {Ref("d")}}, {"axis", {I(-1)}}, {"split_sizes", {Is({2, 6})}}}),
            "fp16[1,2,4,2] fp16[1,2,4,6]");
  EXPECT_EQ(Infer1("split", {{"x", {Ref("d")}}, {"axis", {I(-1)}}, {"split_sizes", {Is({2, 5})}}}),
            "error: op split_0 (split): parameter 'split_sizes' [2,5] sums to 7, but dim 3 of x is 8");
  EXPECT_EQ(Infer1("stack", {{"values", {Ref("a"), Ref("b")}}, {"axis", {I(1)}}}), "fp16[1,2,1,4,8]");
}

TEST_F(InferTest, SliceByIndex) {
  Def("x", F16, {2, 1, 16, 8});
  auto slice = [&](Inputs extra) {
    Inputs in = {{"x", {Ref("x")}}};
    in.insert(in.end(), extra.begin(), extra.end());
    return Infer1("slice_by_index", in);
  };
  EXPECT_EQ(slice({{"begin", {Is({1, 0, 0, 0})}}, {"end", {Is({2, 1, 16, 8})}}}), "fp16[1,1,16,8]");
  EXPECT_EQ(slice({{"begin", {Is({0, 0, -4, 0})}}, {"end", {Is({2, 1, 100, 8})}}}), "fp16[2,1,4,8]");
  EXPECT_EQ(slice({{"begin", {Is({0, 0, 0, 0})}}, {"end", {Is({0, 0, 0, 0})}}, {"stride", {Is({1, 1, 3, -1})}},
                   {"begin_mask", {Bs({true, true, true, true})}}, {"end_mask", {Bs({true, true, true, true})}}}),
            "fp16[2,1,6,8]");
  EXPECT_EQ(slice({{"begin", {Is({0, 0, 5, 0})}}, {"end", {Is({1, 1, 6, 8})}},
                   {"squeeze_mask", {Bs({true, false, true, false})}}}),
            "fp16[1,8]");
  Def("pos", I32, {4});
  EXPECT_EQ(slice({{"begin", {Ref("pos")}}, {"end", {Is({2, 1, 16, 8})}}, {"begin_mask", {Bs({true, true, false, true})}},
                   {"end_mask", {Bs({true, true, false, true})}}}),
            "fp16[2,1,?,8]");
  EXPECT_EQ(slice({{"begin", {Is({0, 0})}}, {"end", {Is({1, 1})}}}),
            "error: op slice_by_index_0 (slice_by_index): parameter 'begin' has shape [2], expected [4]");
  Def("y", F16, {1, U});
  EXPECT_EQ(Infer1("slice_by_index", {{"x", {Ref("y")}}, {"begin", {Is({0, 2})}}, {"end", {Is({1, 5})}}}),
            "fp16[1,3]");
}

TEST_F(InferTest, SliceBySizeAndUpdate) {
  Def("x", F16, {2, 1, 16, 8});
  Def("pos", I32, {4});
  EXPECT_EQ(Infer1("slice_by_size", {{"x", {Ref("x")}}, {"begin", {Ref("pos")}}, {"size", {Is({1, 1, 4, -1})}}}),
            "fp16[1,1,4,?]");
  EXPECT_EQ(Infer1("slice_by_size", {{"x", {Ref("x")}}, {"begin", {Is({0, 0, 4, 2})}}, {"size", {Is({1, 1, 4, -1})}}}),
            "fp16[1,1,4,6]");
  Def("upd", F16, {2, 1, 4, 8});
  Def("begin", I32, {4});
  Def("end", I32, {4});
  EXPECT_EQ(Infer1("slice_update", {{"x", {Ref("x")}}, {"update", {Ref("upd")}}, {"begin", {Ref("begin")}},
                                    {"end", {Ref("end")}}}),
            "fp16[2,1,16,8]");
  EXPECT_EQ(Infer1("slice_update", {{"x", {Ref("x")}}, {"update", {Ref("upd")}}, {"begin", {Is({0, 0, 0, 0})}},
                                    {"end", {Is({2, 1, 2, 8})}}}),
            "error: op slice_update_0 (slice_update): parameter 'update' has shape [2,1,4,8] but the slice of x "
            "has shape [2,1,2,8]");
}

TEST_F(InferTest, GatherFamily) {
  env_.DefineConst("table", T(F16, {32, 8}), nullptr);
  Def("ids", DType::kInt16, {1, U});
  EXPECT_EQ(Infer1("gather", {{"x", {Ref("table")}}, {"indices", {Ref("ids")}}}), "fp16[1,?,8]");
  Def("rope", F16, {1, 64, 16});
  Def("pos", I32, {4});
  EXPECT_EQ(Infer1("gather", {{"x", {Ref("rope")}}, {"indices", {Ref("pos")}}, {"axis", {I(1)}}}), "fp16[1,4,16]");
  Def("bx", F32, {2, 5, 3});
  Def("bi", I32, {2, 4});
  EXPECT_EQ(Infer1("gather", {{"x", {Ref("bx")}}, {"indices", {Ref("bi")}}, {"axis", {I(1)}}, {"batch_dims", {I(1)}}}),
            "fp32[2,4,3]");
  Def("gi", I32, {2, 7, 3});
  EXPECT_EQ(Infer1("gather_along_axis", {{"x", {Ref("bx")}}, {"indices", {Ref("gi")}}, {"axis", {I(1)}}}),
            "fp32[2,7,3]");
}

TEST_F(InferTest, FillRangeTileBandPart) {
  EXPECT_EQ(Infer1("fill", {{"shape", {Is({2, 3})}}, {"value", {Lit(Literal::Fp16({}, {1}))}}}), "fp16[2,3]");
  EXPECT_EQ(Infer1("fill", {{"shape", {Is({4})}}}), "fp32[4]");
  Def("dyn", I32, {3});
  EXPECT_EQ(Infer1("fill", {{"shape", {Ref("dyn")}}, {"value", {I(0)}}}), "int32[?,?,?]");
  Def("x", F16, {1, U, 8});
  EXPECT_EQ(Infer1("fill_like", {{"ref_tensor", {Ref("x")}}, {"value", {Lit(Literal::Fp16({}, {0}))}}}),
            "fp16[1,?,8]");
  EXPECT_EQ(Infer1("range_1d", {{"end", {I(10)}}, {"start", {I(1)}}, {"step", {I(3)}}}), "int32[3]");
  Def("n", I32, {});
  EXPECT_EQ(Infer1("range_1d", {{"end", {Ref("n")}}, {"start", {I(0)}}, {"step", {I(1)}}}), "int32[?]");
  Def("m", F16, {1, 2, 3});
  EXPECT_EQ(Infer1("tile", {{"x", {Ref("m")}}, {"reps", {Is({2, 1, 4})}}}), "fp16[2,2,12]");
  EXPECT_EQ(Infer1("band_part", {{"x", {Ref("m")}}, {"lower", {I(-1)}}, {"upper", {I(0)}}}), "fp16[1,2,3]");
}

TEST_F(InferTest, Topk) {
  Def("x", F16, {1, 1, 100});
  EXPECT_EQ(Infer1("topk", {{"x", {Ref("x")}}, {"k", {I(5)}}}), "fp16[1,1,5] int32[1,1,5]");
  EXPECT_EQ(Infer1("topk", {{"x", {Ref("x")}}, {"k", {I(-1)}}, {"output_indices_dtype", {S("uint16")}}}),
            "fp16[1,1,100] uint16[1,1,100]");
  EXPECT_EQ(Infer1("topk", {{"x", {Ref("x")}}, {"return_indices", {Bo(false)}}}), "fp16[1,1,1]");
  EXPECT_EQ(Infer1("topk", {{"x", {Ref("x")}}, {"k", {I(101)}}}),
            "error: op topk_0 (topk): parameter 'k' is 101, expected -1 or 1..100");
}

TEST_F(InferTest, ScaledDotProductAttention) {
  Def("q", F16, {1, 4, 8, 16});
  Def("k", F16, {1, 1, 32, 16});
  Def("v", F16, {1, 1, 32, 24});
  Def("mask", F16, {1, 1, 8, 32});
  Def("bad_mask", F16, {1, 1, 8, 16});
  EXPECT_EQ(Infer1("scaled_dot_product_attention", {{"query", {Ref("q")}}, {"key", {Ref("k")}}, {"value", {Ref("v")}},
                                                    {"attn_mask", {Ref("mask")}}}),
            "fp16[1,4,8,24]");
  EXPECT_EQ(Infer1("scaled_dot_product_attention", {{"query", {Ref("q")}}, {"key", {Ref("k")}}, {"value", {Ref("v")}},
                                                    {"attn_mask", {Ref("bad_mask")}}}),
            "error: op scaled_dot_product_attention_0 (scaled_dot_product_attention): parameter 'attn_mask' of "
            "shape [1,1,8,16] does not broadcast to the scores [1,4,8,32]");
  EXPECT_EQ(Infer1("scaled_dot_product_attention", {{"query", {Ref("q")}}, {"key", {Ref("v")}}, {"value", {Ref("v")}}}),
            "error: op scaled_dot_product_attention_0 (scaled_dot_product_attention): query E=16 does not match "
            "key E=24");
}

TEST_F(InferTest, States) {
  env_.Define("kv_cache", ValueType::State(F16, {2, 1, 16, 8}));
  Def("x", F16, {2, 1, 16, 8});
  Def("small", F16, {2, 1, 4, 8});
  EXPECT_EQ(Infer1("read_state", {{"input", {Ref("kv_cache")}}}), "fp16[2,1,16,8]");
  EXPECT_EQ(Infer1("write_state", {{"input", {Ref("kv_cache")}}, {"data", {Ref("x")}}}), "");
  EXPECT_EQ(Infer1("write_state", {{"input", {Ref("kv_cache")}}, {"data", {Ref("small")}}}),
            "error: op write_state_0 (write_state): parameter 'data' is fp16[2,1,4,8] but the state holds "
            "fp16[2,1,16,8]");
  EXPECT_EQ(Infer1("read_state", {{"input", {Ref("x")}}}),
            "error: op read_state_0 (read_state): parameter 'input' must be a state, got a tensor");
}

TEST_F(InferTest, ConstexprOps) {
  // Grouped 4-bit palettization as coremltools writes it (linear_lut4_grouped fixture).
  EXPECT_EQ(Infer1("constexpr_lut_to_dense", {{"indices", {Lit(Raw(DType::kUInt4, {64, 256}))}},
                                              {"lut", {Lit(Raw(F16, {4, 1, 16, 1}))}}}),
            "fp16[64,256]");
  // Vector palettization: the vector axis grows by the vector size.
  EXPECT_EQ(Infer1("constexpr_lut_to_dense", {{"indices", {Lit(Raw(DType::kUInt1, {2, 2, 2}))}},
                                              {"lut", {Lit(Raw(DType::kInt8, {1, 1, 1, 2, 3}))}},
                                              {"vector_axis", {I(1)}}}),
            "int8[2,6,2]");
  EXPECT_EQ(Infer1("constexpr_lut_to_dense", {{"indices", {Lit(Raw(DType::kUInt4, {64, 256}))}},
                                              {"lut", {Lit(Raw(F16, {4, 1, 8, 1}))}}}),
            "error: op constexpr_lut_to_dense_0 (constexpr_lut_to_dense): parameter 'lut' has 8 palette entries, "
            "expected 2^4 for uint4 indices");
  EXPECT_EQ(Infer1("constexpr_lut_to_dense", {{"indices", {Lit(Raw(DType::kUInt4, {64, 256}))}},
                                              {"lut", {Lit(Raw(F16, {3, 1, 16, 1}))}}}),
            "error: op constexpr_lut_to_dense_0 (constexpr_lut_to_dense): parameter 'lut' dim 0 (3) does not "
            "divide indices dim 64");
  EXPECT_EQ(Infer1("constexpr_blockwise_shift_scale", {{"data", {Lit(Raw(DType::kInt4, {64, 256}))}},
                                                       {"scale", {Lit(Raw(F16, {64, 8}))}}}),
            "fp16[64,256]");
  EXPECT_EQ(Infer1("constexpr_blockwise_shift_scale", {{"data", {Lit(Raw(DType::kInt4, {64, 256}))}},
                                                       {"scale", {Lit(Raw(F16, {64, 7}))}}}),
            "error: op constexpr_blockwise_shift_scale_0 (constexpr_blockwise_shift_scale): parameter 'scale' "
            "dim 1 (7) does not divide data dim 256");
  EXPECT_EQ(Infer1("constexpr_affine_dequantize", {{"quantized_data", {Lit(Raw(DType::kInt8, {16, 8}))}},
                                                   {"zero_point", {Lit(Raw(DType::kInt8, {}))}},
                                                   {"scale", {Lit(Raw(F32, {16}))}},
                                                   {"axis", {I(0)}}}),
            "fp32[16,8]");
  EXPECT_EQ(Infer1("constexpr_cast", {{"source_val", {Lit(Raw(F16, {4, 4}))}}, {"output_dtype", {S("fp32")}}}),
            "fp32[4,4]");
  // iOS16/17 form: parameters as attributes.
  Operation op = MakeOp("constexpr_cast", {});
  op.attributes.emplace("source_val", Raw(F16, {3}));
  op.attributes.emplace("output_dtype", Literal::String("fp32"));
  auto r = InferOutputTypes(op, env_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(FormatType(r->at(0)), "fp32[3]");
}

TEST_F(InferTest, ConstAndUnknownOps) {
  Operation c = MakeOp("const", {});
  c.attributes.emplace("val", Literal::Int32({4}, {1, 1, 1, 8}));
  auto r = InferOutputTypes(c, env_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatType(r->at(0)), "int32[4]");
  EXPECT_EQ(Infer1("const", {}), "error: op const_0 (const): const has no 'val' attribute");
  auto unknown = InferOutputTypes(MakeOp("frobnicate", {}), env_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(Infer1("relu", {{"x", {Ref("nope")}}}), "error: op relu_0 (relu): parameter 'x' refers to undefined value 'nope'");
  EXPECT_EQ(Infer1("relu", {}), "error: op relu_0 (relu): parameter 'x' is missing");
}

TEST_F(InferTest, ConstValuesFromEnvironment) {
  // A const op's value is visible to later ops through the environment (reshape's shape).
  Operation c = MakeOp("const", {});
  c.name = "shape_0";
  c.attributes.emplace("val", Literal::Int32({3}, {1, 4, 8}));
  c.outputs.push_back({"shape_0", T(I32, {3})});
  env_.DefineOutputs(c);
  Def("x", F16, {1, 32});
  EXPECT_EQ(Infer1("reshape", {{"x", {Ref("x")}}, {"shape", {Ref("shape_0")}}}), "fp16[1,4,8]");
  ASSERT_NE(env_.Find("shape_0"), nullptr);
  EXPECT_TRUE(env_.Find("shape_0")->is_const);
}

}  // namespace
}  // namespace anemll::mil
