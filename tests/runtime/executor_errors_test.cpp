// Malformed programs and bad inputs come back as clear Status errors (never a crash).
#include <gtest/gtest.h>

#include "test_program.h"

namespace anemll::runtime {
namespace {

using mil::DType;
using mil::Literal;
using test::TestProgram;

::testing::AssertionResult FailsWith(const Status& st, StatusCode code, std::initializer_list<const char*> parts) {
  if (st.ok()) return ::testing::AssertionFailure() << "expected an error, got OK";
  if (st.code() != code) {
    return ::testing::AssertionFailure() << "code " << StatusCodeName(st.code()) << ": " << st.message();
  }
  for (const char* p : parts) {
    if (st.message().find(p) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << p << "\": " << st.message();
    }
  }
  return ::testing::AssertionSuccess();
}

TestProgram Gather() {
  TestProgram p;
  p.Input("ids", DType::kInt32, {1, mil::kUnknownDim})
      .Const("table", Literal::Fp16({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}))
      .Op("gather", "emb", {{"x", "table"}, {"indices", "ids"}, {"axis", test::I32(0)}}, {{"h", DType::kFp16}})
      .Output("h");
  return p;
}

TEST(ExecutorErrors, UnsupportedOpNamesOpTypeAndFunction) {
  TestProgram p;
  p.Input("x", DType::kFp32, {2})
      .Op("non_max_suppression", "nms_7", {{"x", "x"}}, {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile(Precision::kFp32, "decode");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(FailsWith(e.status(), StatusCode::kUnsupported, {"decode", "nms_7", "non_max_suppression"}));
}

TEST(ExecutorErrors, UnsupportedConvShape) {
  TestProgram p;
  p.Input("x", DType::kFp32, {1, 2, 4, 4})
      .Const("w", Literal::Fp32({3, 2, 3, 3}, std::vector<float>(54, 0.1f)))
      .Op("conv", "conv3x3", {{"x", "x"}, {"weight", "w"}}, {{"y", DType::kFp32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(FailsWith(e.status(), StatusCode::kUnsupported, {"conv3x3", "conv", "1x1"}));
}

TEST(ExecutorErrors, InputShapeMismatch) {
  auto e = Gather().Compile();
  ASSERT_TRUE(e.ok()) << e.status().message();
  StateStore states;
  std::map<std::string, Tensor> out;
  const Status st = (*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {2, 1}, {0, 1})}}, states, &out);
  EXPECT_TRUE(FailsWith(st, StatusCode::kInvalidArgument, {"input ids", "[2,1]", "[1,?]"}));
}

TEST(ExecutorErrors, MissingUnknownAndMistypedInputs) {
  auto e = Gather().Compile();
  ASSERT_TRUE(e.ok());
  StateStore states;
  std::map<std::string, Tensor> out;
  EXPECT_TRUE(FailsWith((*e)->Run({}, states, &out), StatusCode::kInvalidArgument, {"input ids", "missing"}));
  EXPECT_TRUE(FailsWith((*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {1, 1}, {0})},
                                   {"idz", Tensor::FromInts(DType::kInt32, {1, 1}, {0})}},
                                  states, &out),
                        StatusCode::kInvalidArgument, {"unknown input 'idz'"}));
  EXPECT_TRUE(FailsWith((*e)->Run({{"ids", Tensor::FromFloats(DType::kFp32, {1, 1}, {0})}}, states, &out),
                        StatusCode::kInvalidArgument, {"input ids", "fp32", "int32"}));
}

TEST(ExecutorErrors, OutOfRangeGatherIndexAtRunTime) {
  auto e = Gather().Compile();
  ASSERT_TRUE(e.ok());
  StateStore states;
  std::map<std::string, Tensor> out;
  ASSERT_TRUE((*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {1, 2}, {3, 0})}}, states, &out).ok());
  EXPECT_TRUE(FailsWith((*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {1, 2}, {0, 4})}}, states, &out),
                        StatusCode::kInvalidArgument, {"emb", "gather", "index 4", "[0, 4)"}));
  EXPECT_TRUE(FailsWith((*e)->Run({{"ids", Tensor::FromInts(DType::kInt32, {1, 1}, {-1})}}, states, &out),
                        StatusCode::kInvalidArgument, {"index -1"}));
}

TEST(ExecutorErrors, SliceUpdateOutOfRangeAtRunTime) {
  TestProgram p;
  p.Input("pos", DType::kInt32, {1})
      .State("cache", DType::kFp16, {4, 2})
      .Op("read_state", "r", {{"input", "cache"}}, {{"r", DType::kFp16}})
      .Op("concat", "begin", {{"values", "pos"}, {"values", test::I32s({0})}, {"axis", test::I32(0)}},
          {{"begin", DType::kInt32}})
      .Op("add", "end", {{"x", "begin"}, {"y", test::I32s({1, 2})}}, {{"end", DType::kInt32}})
      .Op("slice_update", "kv_update",
          {{"x", "r"}, {"update", Literal::Fp16({1, 2}, {1, 2})}, {"begin", "begin"}, {"end", "end"}},
          {{"u", DType::kFp16}})
      .Op("write_state", "w", {{"input", "cache"}, {"data", "u"}}, {})
      .Op("reduce_sum", "s", {{"x", "u"}}, {{"s", DType::kFp16}})
      .Output("s");
  auto e = p.Compile(Precision::kFp16);
  ASSERT_TRUE(e.ok()) << e.status().message();
  StateStore states;
  std::map<std::string, Tensor> out;
  ASSERT_TRUE((*e)->Run({{"pos", Tensor::FromInts(DType::kInt32, {1}, {3})}}, states, &out).ok());
  EXPECT_EQ(out.at("s").FloatAt(0), 3.0f);
  EXPECT_TRUE(FailsWith((*e)->Run({{"pos", Tensor::FromInts(DType::kInt32, {1}, {4})}}, states, &out),
                        StatusCode::kInvalidArgument, {"kv_update", "slice_update", "does not fit"}));
}

TEST(ExecutorErrors, MalformedPrograms) {
  {
    TestProgram p;  // a value used before it is defined
    p.Input("x", DType::kFp32, {2}).Op("relu", "r", {{"x", "nowhere"}}, {{"y", DType::kFp32}}).Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kNotFound, {"op r (relu)", "nowhere"}));
  }
  {
    TestProgram p;  // linear weight does not fit x
    p.Input("x", DType::kFp32, {1, 3})
        .Const("w", Literal::Fp32({2, 4}, std::vector<float>(8, 1.0f)))
        .Op("linear", "proj", {{"x", "x"}, {"weight", "w"}}, {{"y", DType::kFp32}})
        .Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kInvalidArgument, {"proj", "[1,3]", "[2,4]"}));
  }
  {
    TestProgram p;  // reshape to a different element count
    p.Input("x", DType::kFp32, {2, 3})
        .Op("reshape", "rs", {{"x", "x"}, {"shape", test::I32s({4, 2})}}, {{"y", DType::kFp32}})
        .Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kInvalidArgument, {"rs", "cannot reshape"}));
  }
  {
    TestProgram p;  // declared output shape disagrees with the inferred one
    p.Input("x", DType::kFp32, {2, 3})
        .Op("relu", "r", {{"x", "x"}}, {{"y", DType::kFp32}}, {{3, 2}})
        .Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kInvalidArgument, {"output y", "[2,3]", "[3,2]"}));
  }
  {
    TestProgram p;  // a literal whose bytes do not match its shape
    mil::Literal bad = Literal::Fp32({4}, {1, 2, 3, 4});
    bad.type.tensor.shape = {5};
    p.Input("x", DType::kFp32, {5}).Op("add", "a", {{"x", "x"}, {"y", bad}}, {{"y", DType::kFp32}}).Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kFormatError, {"op a (add)", "16 bytes, expected 20"}));
  }
  {
    TestProgram p;  // a string where a tensor is expected
    p.Input("x", DType::kFp32, {2}).Op("add", "a", {{"x", "x"}, {"y", test::Str("oops")}}, {{"y", DType::kFp32}}).Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kInvalidArgument, {"op a (add)", "input 'y' is a string"}));
  }
  {
    TestProgram p;  // an absurd shape
    p.Input("x", DType::kFp32, {2})
        .Op("fill", "f", {{"shape", Literal::Int32({3}, {1 << 30, 1 << 30, 1 << 30})}, {"value", test::F32(1.0f)}},
            {{"y", DType::kFp32}})
        .Output("y");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kUnsupported, {"op f (fill)", "elements"}));
  }
  {
    TestProgram p;  // missing output
    p.Input("x", DType::kFp32, {2}).Output("ghost");
    auto e = p.Compile();
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(FailsWith(e.status(), StatusCode::kNotFound, {"output ghost"}));
  }
}

TEST(ExecutorErrors, StateShapeConflictBetweenFunctions) {
  auto make = [](int64_t n) {
    TestProgram p;
    p.Input("x", DType::kFp16, {1})
        .State("kv", DType::kFp16, {n})
        .Op("read_state", "r", {{"input", "kv"}}, {{"r", DType::kFp16}})
        .Op("reduce_sum", "s", {{"x", "r"}}, {{"s", DType::kFp16}})
        .Output("s");
    return p;
  };
  auto a = make(4).Compile(Precision::kFp16, "a");
  auto b = make(8).Compile(Precision::kFp16, "b");
  auto c = make(4).Compile(Precision::kFp32, "c");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  StateStore states;
  std::map<std::string, Tensor> out;
  const Tensor x = Tensor::FromFloats(DType::kFp16, {1}, {0});
  ASSERT_TRUE((*a)->Run({{"x", x}}, states, &out).ok());
  EXPECT_TRUE(FailsWith((*b)->Run({{"x", x}}, states, &out), StatusCode::kInvalidArgument, {"state kv", "[8]", "[4]"}));
  EXPECT_TRUE(FailsWith((*c)->Run({{"x", x}}, states, &out), StatusCode::kInvalidArgument, {"state kv", "fp32", "fp16"}));
}

TEST(ExecutorErrors, IntegerDivisionByZero) {
  TestProgram p;
  p.Input("x", DType::kInt32, {2})
      .Op("floor_div", "d", {{"x", "x"}, {"y", "x"}}, {{"y", DType::kInt32}})
      .Output("y");
  auto e = p.Compile();
  ASSERT_TRUE(e.ok());
  StateStore states;
  std::map<std::string, Tensor> out;
  EXPECT_TRUE(FailsWith((*e)->Run({{"x", Tensor::FromInts(DType::kInt32, {2}, {3, 0})}}, states, &out),
                        StatusCode::kInvalidArgument, {"op d (floor_div)", "division by zero"}));
}

}  // namespace
}  // namespace anemll::runtime
