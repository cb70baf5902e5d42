// Executor tests with hand-built programs, one op kind at a time, against straightforward scalar
// expectations computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "base/half.h"
#include "test_program.h"

namespace anemll::runtime {
namespace {

using mil::DType;
using mil::Literal;
using test::Arg;
using test::RunOnce;
using test::TestProgram;

constexpr double kTol = 1e-5;  // fp32 precision: kernels vs the double expectations below

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

Tensor F32T(std::vector<int64_t> shape, const std::vector<float>& v) {
  return Tensor::FromFloats(DType::kFp32, std::move(shape), v);
}

void ExpectNear(const Tensor& got, const std::vector<double>& want, double tol = kTol) {
  ASSERT_EQ(got.num_elements(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.FloatAt(static_cast<int64_t>(i)), want[i], tol * (1 + std::fabs(want[i]))) << "element " << i;
  }
}

TEST(ExecutorOps, ScaledDotProductAttentionWithFloatAndBoolMasks) {
  // q [2,3,4] k [2,5,4] v [2,5,6]; float mask [3,5] broadcast over the batch.
  const int B = 2, L = 3, S = 5, E = 4, EV = 6;
  const auto q = Random(B * L * E, 1), k = Random(B * S * E, 2), v = Random(B * S * EV, 3);
  std::vector<float> mask(L * S);
  for (int l = 0; l < L; ++l) {
    for (int s = 0; s < S; ++s) mask[l * S + s] = s <= l + 1 ? 0.0f : -INFINITY;
  }
  for (bool bool_mask : {false, true}) {
    TestProgram p;
    p.Input("q", DType::kFp32, {B, L, E}).Input("k", DType::kFp32, {B, S, E}).Input("v", DType::kFp32, {B, S, EV});
    if (bool_mask) {
      std::vector<bool> keep(L * S);
      for (int i = 0; i < L * S; ++i) keep[i] = mask[i] == 0.0f;
      p.Const("m", Literal::Bool({L, S}, keep));
    } else {
      p.Const("m", Literal::Fp32({L, S}, mask));
    }
    p.Op("scaled_dot_product_attention", "attn", {{"query", "q"}, {"key", "k"}, {"value", "v"}, {"attn_mask", "m"}},
         {{"y", DType::kFp32}}, {{B, L, EV}})
        .Output("y");
    auto e = p.Compile();
    ASSERT_TRUE(e.ok()) << e.status().message();
    auto out = RunOnce(**e, {{"q", F32T({B, L, E}, q)}, {"k", F32T({B, S, E}, k)}, {"v", F32T({B, S, EV}, v)}});
    std::vector<double> want;
    for (int b = 0; b < B; ++b) {
      for (int l = 0; l < L; ++l) {
        std::vector<double> sc(S);
        double mx = -INFINITY;
        for (int s = 0; s < S; ++s) {
          double d = 0;
          for (int i = 0; i < E; ++i) d += q[(b * L + l) * E + i] * k[(b * S + s) * E + i];
          sc[s] = d / std::sqrt(static_cast<double>(E)) + mask[l * S + s];
          mx = std::max(mx, sc[s]);
        }
        double sum = 0;
        for (auto& x : sc) sum += (x = std::exp(x - mx));
        for (int j = 0; j < EV; ++j) {
          double o = 0;
          for (int s = 0; s < S; ++s) o += sc[s] / sum * v[(b * S + s) * EV + j];
          want.push_back(o);
        }
      }
    }
    ExpectNear(out.at("y"), want);
  }
}

TEST(ExecutorOps, LayerNormWithGammaBeta) {
  const auto x = Random(3 * 10, 4);
  const auto g = Random(10, 5), bt = Random(10, 6);
  TestProgram p;
  p.Input("x", DType::kFp32, {3, 10})
      .Const("g", Literal::Fp32({10}, g))
      .Const("b", Literal::Fp32({10}, bt))
      .Op("layer_norm", "ln", {{"x", "x"}, {"axes", test::I32s({-1})}, {"gamma", "g"}, {"beta", "b"},
                               {"epsilon", test::F32(1e-5f)}},
          {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({3, 10}, x)}});
  std::vector<double> want;
  for (int r = 0; r < 3; ++r) {
    double m = 0, var = 0;
    for (int i = 0; i < 10; ++i) m += x[r * 10 + i] / 10.0;
    for (int i = 0; i < 10; ++i) var += (x[r * 10 + i] - m) * (x[r * 10 + i] - m) / 10.0;
    for (int i = 0; i < 10; ++i) want.push_back((x[r * 10 + i] - m) / std::sqrt(var + 1e-5) * g[i] + bt[i]);
  }
  ExpectNear(out.at("y"), want, 1e-4);
}

TEST(ExecutorOps, SoftmaxAlongAMiddleAxis) {
  const auto x = Random(2 * 4 * 3, 7, 2.0f);
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 4, 3})
      .Op("softmax", "sm", {{"x", "x"}, {"axis", test::I32(1)}}, {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 4, 3}, x)}});
  std::vector<double> want(x.size());
  for (int a = 0; a < 2; ++a) {
    for (int c = 0; c < 3; ++c) {
      double sum = 0;
      for (int b = 0; b < 4; ++b) sum += std::exp(x[(a * 4 + b) * 3 + c]);
      for (int b = 0; b < 4; ++b) want[(a * 4 + b) * 3 + c] = std::exp(x[(a * 4 + b) * 3 + c]) / sum;
    }
  }
  ExpectNear(out.at("y"), want);
}

TEST(ExecutorOps, GatherAlongAxisAndGatherWithInt16Indices) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 3})
      .Const("idx", Literal::Int32({2, 2}, {2, 0, 1, 1}))
      .Op("gather_along_axis", "ga", {{"x", "x"}, {"indices", "idx"}, {"axis", test::I32(1)}}, {{"y", DType::kFp32}})
      .Input("ids", DType::kInt32, {3})
      .Op("cast", "ids16", {{"x", "ids"}, {"dtype", test::Str("int16")}}, {{"ids16", DType::kInt16}})
      .Op("gather", "g", {{"x", "x"}, {"indices", "ids16"}, {"axis", test::I32(1)}}, {{"z", DType::kFp32}})
      .Output("y")
      .Output("z");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 3}, {1, 2, 3, 4, 5, 6})},
                           {"ids", Tensor::FromInts(DType::kInt32, {3}, {2, 2, 0})}});
  ExpectNear(out.at("y"), {3, 1, 5, 5});
  EXPECT_EQ(out.at("z").shape(), (std::vector<int64_t>{2, 3}));
  ExpectNear(out.at("z"), {3, 3, 1, 6, 6, 4});
}

TEST(ExecutorOps, TopKValuesAndIndices) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 5})
      .Op("topk", "tk", {{"x", "x"}, {"k", test::I32(2)}, {"axis", test::I32(-1)}},
          {{"v", DType::kFp32}, {"i", DType::kInt32}})
      .Output("v")
      .Output("i");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 5}, {0.5f, 3, -1, 3, 2, 9, 8, 7, 6, 10})}});
  ExpectNear(out.at("v"), {3, 3, 10, 9});
  EXPECT_EQ(out.at("i").ToInts(), (std::vector<int32_t>{1, 3, 4, 0}));
}

TEST(ExecutorOps, BandPartKeepsTheBand) {
  TestProgram p;
  p.Input("x", DType::kFp32, {3, 4})
      .Op("band_part", "bp", {{"x", "x"}, {"lower", test::I32(1)}, {"upper", test::I32(0)}}, {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::vector<float> x(12);
  std::iota(x.begin(), x.end(), 1.0f);
  auto out = RunOnce(**e, {{"x", F32T({3, 4}, x)}});
  // keep (i, j) with i - j <= 1 and j - i <= 0
  ExpectNear(out.at("y"), {1, 0, 0, 0, 5, 6, 0, 0, 0, 10, 11, 0});
}

TEST(ExecutorOps, SplitBySizesAndCount) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 5})
      .Op("split", "s", {{"x", "x"}, {"split_sizes", test::I32s({2, 3})}, {"axis", test::I32(1)}},
          {{"a", DType::kFp32}, {"b", DType::kFp32}})
      .Op("split", "t", {{"x", "x"}, {"num_splits", test::I32(2)}, {"axis", test::I32(0)}},
          {{"c", DType::kFp32}, {"d", DType::kFp32}})
      .Output("a")
      .Output("b")
      .Output("c")
      .Output("d");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::vector<float> x(10);
  std::iota(x.begin(), x.end(), 0.0f);
  auto out = RunOnce(**e, {{"x", F32T({2, 5}, x)}});
  ExpectNear(out.at("a"), {0, 1, 5, 6});
  ExpectNear(out.at("b"), {2, 3, 4, 7, 8, 9});
  ExpectNear(out.at("c"), {0, 1, 2, 3, 4});
  ExpectNear(out.at("d"), {5, 6, 7, 8, 9});
}

TEST(ExecutorOps, TransposeConcatInterleaveStack) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 3})
      .Op("transpose", "t", {{"x", "x"}, {"perm", test::I32s({1, 0})}}, {{"t", DType::kFp32}})
      .Op("concat", "c", {{"values", "x"}, {"values", "x"}, {"axis", test::I32(0)}, {"interleave", test::Bool(true)}},
          {{"c", DType::kFp32}})
      .Op("stack", "s", {{"values", "x"}, {"values", "x"}, {"axis", test::I32(2)}}, {{"s", DType::kFp32}})
      .Output("t")
      .Output("c")
      .Output("s");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ExpectNear(out.at("t"), {1, 4, 2, 5, 3, 6});
  ExpectNear(out.at("c"), {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  EXPECT_EQ(out.at("s").shape(), (std::vector<int64_t>{2, 3, 2}));
  ExpectNear(out.at("s"), {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6});
}

TEST(ExecutorOps, SliceByIndexMasksNegativeStrideAndSliceUpdateAtRunTimePosition) {
  TestProgram p;
  p.Input("x", DType::kFp32, {3, 4})
      .Input("pos", DType::kInt32, {1})
      .Input("u", DType::kFp32, {1, 2})
      // x[:, ::-2] with masks, and x[1] squeezed
      .Op("slice_by_index", "a",
          {{"x", "x"}, {"begin", test::I32s({0, -1})}, {"end", test::I32s({0, 0})}, {"stride", test::I32s({1, -2})},
           {"begin_mask", test::Bools({true, false})}, {"end_mask", test::Bools({true, true})}},
          {{"a", DType::kFp32}})
      .Op("slice_by_index", "b",
          {{"x", "x"}, {"begin", test::I32s({1, 0})}, {"end", test::I32s({2, 4})},
           {"squeeze_mask", test::Bools({true, false})}},
          {{"b", DType::kFp32}})
      // begin = [pos, 1], end = begin + [1, 2]
      .Op("concat", "begin", {{"values", "pos"}, {"values", test::I32s({1})}, {"axis", test::I32(0)}},
          {{"begin", DType::kInt32}})
      .Op("add", "end", {{"x", "begin"}, {"y", test::I32s({1, 2})}}, {{"end", DType::kInt32}})
      .Op("slice_update", "c", {{"x", "x"}, {"update", "u"}, {"begin", "begin"}, {"end", "end"}}, {{"c", DType::kFp32}},
          {{3, 4}})
      .Output("a")
      .Output("b")
      .Output("c");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::vector<float> x(12);
  std::iota(x.begin(), x.end(), 0.0f);
  auto out = RunOnce(**e, {{"x", F32T({3, 4}, x)},
                           {"pos", Tensor::FromInts(DType::kInt32, {1}, {2})},
                           {"u", F32T({1, 2}, {-1, -2})}});
  EXPECT_EQ(out.at("a").shape(), (std::vector<int64_t>{3, 2}));
  ExpectNear(out.at("a"), {3, 1, 7, 5, 11, 9});
  EXPECT_EQ(out.at("b").shape(), (std::vector<int64_t>{4}));
  ExpectNear(out.at("b"), {4, 5, 6, 7});
  ExpectNear(out.at("c"), {0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2, 11});
}

TEST(ExecutorOps, MatmulTransposesAndBroadcastsBatches) {
  const auto x = Random(2 * 3 * 4, 8), y = Random(4 * 5, 9);
  TestProgram p;
  // x [2, 4, 3] used transposed -> [2, 3, 4]; y [5, 4] transposed -> [4, 5]
  p.Input("x", DType::kFp32, {2, 4, 3})
      .Input("y", DType::kFp32, {5, 4})
      .Op("matmul", "mm", {{"x", "x"}, {"y", "y"}, {"transpose_x", test::Bool(true)}, {"transpose_y", test::Bool(true)}},
          {{"z", DType::kFp32}}, {{2, 3, 5}})
      .Output("z");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 4, 3}, x)}, {"y", F32T({5, 4}, y)}});
  std::vector<double> want;
  for (int b = 0; b < 2; ++b) {
    for (int m = 0; m < 3; ++m) {
      for (int n = 0; n < 5; ++n) {
        double s = 0;
        for (int k = 0; k < 4; ++k) s += x[(b * 4 + k) * 3 + m] * y[n * 4 + k];
        want.push_back(s);
      }
    }
  }
  ExpectNear(out.at("z"), want);
}

TEST(ExecutorOps, ActivationsAndUnaryMath) {
  const std::vector<float> x = {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f};
  TestProgram p;
  p.Input("x", DType::kFp32, {5})
      .Op("gelu", "g1", {{"x", "x"}, {"mode", test::Str("TANH_APPROXIMATION")}}, {{"gt", DType::kFp32}})
      .Op("gelu", "g2", {{"x", "x"}}, {{"ge", DType::kFp32}})
      .Op("silu", "s", {{"x", "x"}}, {{"silu", DType::kFp32}})
      .Op("sigmoid", "sg", {{"x", "x"}}, {{"sig", DType::kFp32}})
      .Op("square", "sq", {{"x", "x"}}, {{"sq", DType::kFp32}})
      .Op("rsqrt", "rs", {{"x", "sq"}, {"epsilon", test::F32(1.0f)}}, {{"rs", DType::kFp32}})
      .Op("clip", "cl", {{"x", "x"}, {"alpha", test::F32(-1.0f)}, {"beta", test::F32(1.0f)}}, {{"cl", DType::kFp32}})
      .Output("gt")
      .Output("ge")
      .Output("silu")
      .Output("sig")
      .Output("rs")
      .Output("cl");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({5}, x)}});
  std::vector<double> gt, ge, silu, sig, rs, cl;
  for (double v : x) {
    gt.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
    ge.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    silu.push_back(v / (1 + std::exp(-v)));
    sig.push_back(1 / (1 + std::exp(-v)));
    rs.push_back(1 / std::sqrt(v * v + 1));
    cl.push_back(std::min(1.0, std::max(-1.0, v)));
  }
  ExpectNear(out.at("gt"), gt);
  ExpectNear(out.at("ge"), ge);
  ExpectNear(out.at("silu"), silu);
  ExpectNear(out.at("sig"), sig);
  ExpectNear(out.at("rs"), rs);
  ExpectNear(out.at("cl"), cl);
}

TEST(ExecutorOps, ReductionsAndArgmax) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 3})
      .Op("reduce_mean", "m", {{"x", "x"}, {"axes", test::I32s({0})}, {"keep_dims", test::Bool(true)}},
          {{"m", DType::kFp32}})
      .Op("reduce_sum", "s", {{"x", "x"}}, {{"s", DType::kFp32}})
      .Op("reduce_max", "mx", {{"x", "x"}, {"axes", test::I32s({-1})}}, {{"mx", DType::kFp32}})
      .Op("reduce_argmax", "am", {{"x", "x"}, {"axis", test::I32(-1)}}, {{"am", DType::kInt32}})
      .Output("m")
      .Output("s")
      .Output("mx")
      .Output("am");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 3}, {1, 5, 2, 7, 0, 7})}});
  EXPECT_EQ(out.at("m").shape(), (std::vector<int64_t>{1, 3}));
  ExpectNear(out.at("m"), {4, 2.5, 4.5});
  EXPECT_EQ(out.at("s").shape(), (std::vector<int64_t>{}));
  ExpectNear(out.at("s"), {22});
  ExpectNear(out.at("mx"), {5, 7});
  EXPECT_EQ(out.at("am").ToInts(), (std::vector<int32_t>{1, 0}));
}

TEST(ExecutorOps, SelectComparisonsAndCasts) {
  TestProgram p;
  p.Input("x", DType::kInt32, {4})
      .Op("greater_equal", "ge", {{"x", "x"}, {"y", test::I32(0)}}, {{"ge", DType::kBool}})
      .Op("add", "wrapped", {{"x", "x"}, {"y", test::I32(10)}}, {{"w", DType::kInt32}})
      .Op("select", "sel", {{"cond", "ge"}, {"a", "x"}, {"b", "w"}}, {{"sel", DType::kInt32}})
      .Op("cast", "f", {{"x", "sel"}, {"dtype", test::Str("fp32")}}, {{"f", DType::kFp32}})
      .Op("cast", "back", {{"x", "f"}, {"dtype", test::Str("int32")}}, {{"back", DType::kInt32}})
      .Output("sel")
      .Output("f")
      .Output("back");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", Tensor::FromInts(DType::kInt32, {4}, {3, -1, 0, -10})}});
  EXPECT_EQ(out.at("sel").ToInts(), (std::vector<int32_t>{3, 9, 0, 0}));
  ExpectNear(out.at("f"), {3, 9, 0, 0});
  EXPECT_EQ(out.at("back").ToInts(), (std::vector<int32_t>{3, 9, 0, 0}));
}

TEST(ExecutorOps, Fp16PrecisionRoundsEveryFp16ResultButFp32PrecisionDoesNot) {
  // 1 + 2^-11 is not an fp16 value: fp16 precision rounds the sum (ties to even -> 1),
  // fp32 precision keeps it.
  TestProgram p;
  p.Input("x", DType::kFp16, {2})
      .Const("c", Literal::Fp16({2}, {0.00048828125f, 0.00048828125f}))
      .Op("add", "y", {{"x", "x"}, {"y", "c"}}, {{"y", DType::kFp16}})
      .Output("y");
  const Tensor x = Tensor::FromFloats(DType::kFp16, {2}, {1.0f, 2.0f});
  auto e16 = p.Compile(Precision::kFp16);
  auto e32 = p.Compile(Precision::kFp32);
  ASSERT_TRUE(e16.ok() && e32.ok());
  auto o16 = RunOnce(**e16, {{"x", x}});
  auto o32 = RunOnce(**e32, {{"x", x}});
  EXPECT_EQ(o16.at("y").dtype(), DType::kFp16);
  EXPECT_EQ(o32.at("y").dtype(), DType::kFp32);
  EXPECT_EQ(o16.at("y").FloatAt(0), 1.0f);
  EXPECT_EQ(o16.at("y").FloatAt(1), 2.0f);
  EXPECT_EQ(o32.at("y").FloatAt(0), 1.00048828125f);
  EXPECT_EQ(o32.at("y").FloatAt(1), 2.00048828125f);
}

TEST(ExecutorOps, ReshapeExpandSqueezeAreViews) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 3})
      .Op("reshape", "r", {{"x", "x"}, {"shape", test::I32s({3, -1})}}, {{"r", DType::kFp32}})
      .Op("expand_dims", "e", {{"x", "r"}, {"axes", test::I32s({0, -1})}}, {{"e", DType::kFp32}})
      .Op("squeeze", "s", {{"x", "e"}}, {{"s", DType::kFp32}})
      .Output("e")
      .Output("s");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 3}, {1, 2, 3, 4, 5, 6})}});
  EXPECT_EQ(out.at("e").shape(), (std::vector<int64_t>{1, 3, 2, 1}));
  EXPECT_EQ(out.at("s").shape(), (std::vector<int64_t>{3, 2}));
  ExpectNear(out.at("s"), {1, 2, 3, 4, 5, 6});
}

TEST(ExecutorOps, StatesPersistAcrossRunsAndAreSharedBetweenFunctions) {
  // acc += x, in two functions bound to one store.
  auto make = [](float scale) {
    TestProgram p;
    p.Input("x", DType::kFp16, {2})
        .State("acc", DType::kFp16, {2})
        .Op("read_state", "r", {{"input", "acc"}}, {{"r", DType::kFp16}})
        .Op("mul", "sx", {{"x", "x"}, {"y", Literal::Fp16({}, {scale})}}, {{"sx", DType::kFp16}})
        .Op("add", "sum", {{"x", "r"}, {"y", "sx"}}, {{"sum", DType::kFp16}})
        .Op("write_state", "w", {{"input", "acc"}, {"data", "sum"}}, {})
        .Output("sum");
    return p;
  };
  for (Precision prec : {Precision::kFp16, Precision::kFp32}) {
    auto a = make(1.0f).Compile(prec, "add1");
    auto b = make(2.0f).Compile(prec, "add2");
    ASSERT_TRUE(a.ok() && b.ok());
    StateStore states;
    std::map<std::string, Tensor> out;
    const Tensor x = Tensor::FromFloats(DType::kFp16, {2}, {1.0f, 0.5f});
    ASSERT_TRUE((*a)->Run({{"x", x}}, states, &out).ok());
    ASSERT_TRUE((*b)->Run({{"x", x}}, states, &out).ok());
    ASSERT_TRUE((*a)->Run({{"x", x}}, states, &out).ok());
    EXPECT_EQ(out.at("sum").ToFloats(), (std::vector<float>{4.0f, 2.0f}));
    auto st = states.Read("acc");
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->ToFloats(), (std::vector<float>{4.0f, 2.0f}));
    // The host can overwrite and reset states.
    ASSERT_TRUE(states.Write("acc", Tensor::FromFloats(DType::kFp32, {2}, {10.0f, 20.0f})).ok());
    ASSERT_TRUE((*a)->Run({{"x", x}}, states, &out).ok());
    EXPECT_EQ(out.at("sum").ToFloats(), (std::vector<float>{11.0f, 20.5f}));
    states.Reset();
    ASSERT_TRUE((*a)->Run({{"x", x}}, states, &out).ok());
    EXPECT_EQ(out.at("sum").ToFloats(), (std::vector<float>{1.0f, 0.5f}));
  }
}

TEST(ExecutorOps, LinearWithLutWeightMatchesDenseWeight) {
  // 3-bit palettized weight [5, 16] in 5 groups of 1 row, fed to linear.
  const int out_f = 5, in_f = 16, bits = 3;
  std::mt19937 rng(3);
  std::vector<uint8_t> packed((out_f * in_f * bits + 7) / 8, 0);
  std::vector<int> idx(out_f * in_f);
  for (int i = 0; i < out_f * in_f; ++i) {
    idx[i] = static_cast<int>(rng() % 8);
    for (int b = 0; b < bits; ++b) {
      if ((idx[i] >> b) & 1) packed[(i * bits + b) / 8] |= static_cast<uint8_t>(1u << ((i * bits + b) % 8));
    }
  }
  const auto lut = Random(out_f * 8, 11);
  std::vector<float> lut16;
  for (float v : lut) lut16.push_back(RoundToHalf(v));
  Literal ind = Literal::Raw(DType::kUInt3, {out_f, in_f}, std::make_shared<mil::Buffer>(packed));
  Literal pal = Literal::Fp16({out_f, 1, 8, 1}, lut16);
  const auto x = Random(2 * in_f, 12);
  TestProgram p;
  p.Input("x", DType::kFp32, {2, in_f})
      .Op("constexpr_lut_to_dense", "w", {{"indices", ind}, {"lut", pal}}, {{"w", DType::kFp16}}, {{out_f, in_f}})
      .Op("linear", "y", {{"x", "x"}, {"weight", "w"}}, {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, in_f}, x)}});
  std::vector<double> want;
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < out_f; ++o) {
      double s = 0;
      for (int i = 0; i < in_f; ++i) s += x[n * in_f + i] * lut16[o * 8 + idx[o * in_f + i]];
      want.push_back(s);
    }
  }
  ExpectNear(out.at("y"), want);
}

TEST(ExecutorOps, GatherRowsFromLutTableDecodesOnlyThoseRows) {
  // A 4-bit palettized embedding table [8 rows, 12] with one palette per 4 rows, gathered by id.
  const int rows = 8, cols = 12, bits = 4, per_group = 4;
  std::mt19937 rng(5);
  std::vector<uint8_t> packed((rows * cols * bits + 7) / 8, 0);
  std::vector<int> idx(rows * cols);
  for (int i = 0; i < rows * cols; ++i) {
    idx[i] = static_cast<int>(rng() % 16);
    packed[i / 2] |= static_cast<uint8_t>(idx[i] << (4 * (i % 2)));
  }
  std::vector<float> lut16;
  for (float v : Random(rows / per_group * 16, 21)) lut16.push_back(RoundToHalf(v));
  Literal ind = Literal::Raw(DType::kUInt4, {rows, cols}, std::make_shared<mil::Buffer>(packed));
  Literal pal = Literal::Fp16({rows / per_group, 1, 16, 1}, lut16);
  TestProgram p;
  p.Input("ids", DType::kInt32, {1, 3})
      .Op("constexpr_lut_to_dense", "table", {{"indices", ind}, {"lut", pal}}, {{"table", DType::kFp16}}, {{rows, cols}})
      .Op("gather", "g", {{"x", "table"}, {"indices", "ids"}, {"axis", test::I32(0)}}, {{"h", DType::kFp16}})
      .Output("h");
  for (auto precision : {runtime::Precision::kFp16, runtime::Precision::kFp32}) {
    auto e = p.Compile(precision);
    ASSERT_TRUE(e.ok()) << e.status().message();
    const std::vector<int32_t> ids = {6, 0, 3};
    auto out = RunOnce(**e, {{"ids", Tensor::FromInts(DType::kInt32, {1, 3}, ids)}});
    ASSERT_EQ(out.at("h").shape(), (std::vector<int64_t>{1, 3, cols}));
    std::vector<float> want;
    for (int32_t r : ids) {
      for (int c = 0; c < cols; ++c) want.push_back(lut16[(r / per_group) * 16 + idx[r * cols + c]]);
    }
    EXPECT_EQ(out.at("h").ToFloats(), want);
    std::map<std::string, Tensor> bad_out;
    StateStore states;
    const Status bad = (*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {1, 3}, {1, 8, 0})}}, states, &bad_out);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.message().find("row 8 of the palettized table (position 1) is out of range [0, 8)"), std::string::npos)
        << bad.message();
  }
}

TEST(ExecutorOps, Ios16LutToDenseWithAttributes) {
  // indices (2 bits) [3,0,1,2,2,1] packed LSB-first: 0b10'01'00'11 = 0x93, 0b0110 = 0x06.
  TestProgram p;
  p.Input("x", DType::kFp32, {2, 3});
  mil::Operation op;
  op.type = "constexpr_lut_to_dense";
  op.name = "w";
  op.outputs.push_back({"w", mil::ValueType::Tensor(DType::kFp32, {2, 3})});
  op.attributes["indices"] = Literal::Raw(DType::kUInt8, {2}, std::make_shared<mil::Buffer>(std::vector<uint8_t>{0x93, 0x06}));
  op.attributes["lut"] = Literal::Fp32({4}, {0.5f, -1.0f, 2.0f, 4.0f});
  op.attributes["shape"] = Literal::Int32({2}, {2, 3});
  p.fn.block.operations.push_back(op);
  p.Op("add", "y", {{"x", "x"}, {"y", "w"}}, {{"y", DType::kFp32}}).Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto out = RunOnce(**e, {{"x", F32T({2, 3}, std::vector<float>(6, 0.0f))}});
  ExpectNear(out.at("y"), {4, 0.5, -1, 2, 2, -1});
}

}  // namespace
}  // namespace anemll::runtime
