// The IR helpers in mil/ir.cpp: dtype names and widths, tensor types, buffers, literal
// factories and accessors, value comparison, and description lookups.
#include <gtest/gtest.h>

#include <cmath>

#include "base/half.h"
#include "mil/ir.h"

namespace anemll::mil {
namespace {

TEST(CoremlIr, DTypeNamesRoundTrip) {
  const DType all[] = {DType::kBool,  DType::kString, DType::kFp16,  DType::kFp32,   DType::kFp64,
                       DType::kBf16,  DType::kInt4,   DType::kInt8,  DType::kInt16,  DType::kInt32,
                       DType::kInt64, DType::kUInt1,  DType::kUInt2, DType::kUInt3,  DType::kUInt4,
                       DType::kUInt6, DType::kUInt8,  DType::kUInt16, DType::kUInt32, DType::kUInt64};
  for (DType d : all) EXPECT_EQ(DTypeFromName(DTypeName(d)), d) << DTypeName(d);
  EXPECT_STREQ(DTypeName(DType::kFp16), "fp16");
  EXPECT_STREQ(DTypeName(DType::kUInt6), "uint6");
  EXPECT_STREQ(DTypeName(DType::kInvalid), "invalid");
  EXPECT_EQ(DTypeFromName("float16"), DType::kInvalid);
  EXPECT_EQ(DTypeFromName(""), DType::kInvalid);
}

TEST(CoremlIr, DTypeClasses) {
  EXPECT_EQ(DTypeBits(DType::kUInt3), 3);
  EXPECT_EQ(DTypeBits(DType::kInt4), 4);
  EXPECT_EQ(DTypeBits(DType::kBool), 8);
  EXPECT_EQ(DTypeBits(DType::kBf16), 16);
  EXPECT_EQ(DTypeBits(DType::kUInt64), 64);
  EXPECT_EQ(DTypeBits(DType::kString), 0);
  EXPECT_EQ(DTypeBits(DType::kInvalid), 0);
  EXPECT_TRUE(IsFloat(DType::kBf16));
  EXPECT_FALSE(IsFloat(DType::kInt32));
  EXPECT_TRUE(IsInteger(DType::kUInt1));
  EXPECT_TRUE(IsInteger(DType::kInt64));
  EXPECT_FALSE(IsInteger(DType::kBool));
  EXPECT_FALSE(IsInteger(DType::kFp16));
  EXPECT_TRUE(IsSubByte(DType::kInt4));
  EXPECT_TRUE(IsSubByte(DType::kUInt6));
  EXPECT_FALSE(IsSubByte(DType::kUInt8));
}

TEST(CoremlIr, TensorTypes) {
  TensorType scalar{DType::kFp32, {}, false};
  EXPECT_TRUE(scalar.is_scalar());
  EXPECT_EQ(scalar.num_elements(), 1);
  TensorType t{DType::kFp16, {2, 3, 4}, false};
  EXPECT_EQ(t.num_elements(), 24);
  EXPECT_EQ(t.rank(), 3);
  EXPECT_FALSE(t.has_unknown_dims());
  TensorType flex{DType::kFp16, {1, kUnknownDim}, false};
  EXPECT_TRUE(flex.has_unknown_dims());
  EXPECT_EQ(flex.num_elements(), -1);
  TensorType unranked{DType::kFp16, {}, true};
  EXPECT_FALSE(unranked.is_scalar());
  EXPECT_TRUE(unranked.has_unknown_dims());
  EXPECT_EQ(unranked.num_elements(), -1);
  TensorType empty{DType::kFp16, {0, 4}, false};
  EXPECT_EQ(empty.num_elements(), 0);
}

TEST(CoremlIr, BufferEquality) {
  Buffer a(std::vector<uint8_t>{1, 2, 3});
  Buffer b(std::vector<uint8_t>{1, 2, 3});
  Buffer c(std::vector<uint8_t>{1, 2, 4});
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == Buffer());
  EXPECT_TRUE(Buffer() == Buffer(std::vector<uint8_t>{}));
  // Borrowed bytes stay alive with the owner.
  auto owner = std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>{9, 8, 7});
  Buffer borrowed(owner, owner->data() + 1, 2);
  owner.reset();
  EXPECT_EQ(borrowed.size(), 2u);
  EXPECT_EQ(borrowed.data()[0], 8);
  EXPECT_EQ(borrowed.data()[1], 7);
}

TEST(CoremlIr, LiteralFactoriesAndAccessors) {
  Literal f32 = Literal::Fp32({2}, {1.5f, -2.25f});
  EXPECT_EQ(f32.type, ValueType::Tensor(DType::kFp32, {2}));
  EXPECT_EQ(f32.data->size(), 8u);
  EXPECT_EQ(f32.GetDouble(1), -2.25);
  EXPECT_EQ(f32.GetInt(0), 1);

  Literal f16 = Literal::Fp16({3}, {0.1f, 65504.f, -1.0f});
  EXPECT_EQ(f16.data->size(), 6u);
  EXPECT_EQ(f16.GetDouble(0), static_cast<double>(RoundToHalf(0.1f)));  // rounded to fp16
  EXPECT_EQ(f16.GetDouble(1), 65504.0);
  EXPECT_EQ(f16.GetDouble(2), -1.0);
  EXPECT_EQ(Literal::Fp16Bits({}, {0x35a8}).GetDouble(), 0.353515625);

  Literal i32 = Literal::Int32({2, 2}, {1, -2, 3, -2147483647 - 1});
  EXPECT_EQ(i32.num_elements(), 4);
  EXPECT_EQ(i32.GetInt(3), -2147483648LL);
  EXPECT_EQ(i32.GetDouble(1), -2.0);

  Literal b = Literal::Bool({3}, {true, false, true});
  EXPECT_EQ(b.data->size(), 3u);
  EXPECT_EQ(b.GetInt(0), 1);
  EXPECT_EQ(b.GetInt(1), 0);

  Literal s = Literal::String("fp16");
  EXPECT_TRUE(s.type.tensor.is_scalar());
  EXPECT_EQ(s.type.tensor.dtype, DType::kString);
  EXPECT_EQ(s.strings, std::vector<std::string>{"fp16"});

  EXPECT_EQ(Literal::ScalarInt32(-7).GetInt(), -7);
  EXPECT_EQ(Literal::ScalarFp32(0.5f).GetDouble(), 0.5);
  EXPECT_EQ(Literal::ScalarBool(true).GetInt(), 1);

  // Raw bytes of every width read back through the accessors.
  const std::vector<uint8_t> i16 = {0xff, 0xff, 0x02, 0x00};
  EXPECT_EQ(Literal::Raw(DType::kInt16, {2}, std::make_shared<const Buffer>(i16)).GetInt(0), -1);
  EXPECT_EQ(Literal::Raw(DType::kUInt16, {2}, std::make_shared<const Buffer>(i16)).GetInt(0), 65535);
  EXPECT_EQ(Literal::Raw(DType::kInt8, {4}, std::make_shared<const Buffer>(i16)).GetInt(0), -1);
  EXPECT_EQ(Literal::Raw(DType::kUInt8, {4}, std::make_shared<const Buffer>(i16)).GetInt(0), 255);
  EXPECT_EQ(Literal::Raw(DType::kInt4, {8}, std::make_shared<const Buffer>(i16)).GetInt(4), 2);
  EXPECT_EQ(Literal::Raw(DType::kInt4, {8}, std::make_shared<const Buffer>(i16)).GetInt(0), -1);
  const std::vector<uint8_t> bf = {0x80, 0x3f};  // bf16 1.0
  EXPECT_EQ(Literal::Raw(DType::kBf16, {1}, std::make_shared<const Buffer>(bf)).GetDouble(), 1.0);
}

TEST(CoremlIr, AccessorsOutOfRangeDoNotCrash) {
  Literal i32 = Literal::Int32({2}, {1, 2});
  EXPECT_EQ(i32.GetInt(2), 0);
  EXPECT_EQ(i32.GetInt(-1), 0);
  EXPECT_TRUE(std::isnan(i32.GetDouble(5)));
  Literal empty;
  EXPECT_EQ(empty.GetInt(), 0);
  EXPECT_EQ(Literal::String("x").GetInt(), 0);
}

TEST(CoremlIr, SameValue) {
  Literal a = Literal::Fp16({2}, {1, 2});
  Literal b = Literal::Fp16({2}, {1, 2});
  b.blob = BlobRef{"@model_path/weights/weight.bin", 64};  // placement is not compared
  EXPECT_TRUE(a.SameValue(b));
  EXPECT_FALSE(a.SameValue(Literal::Fp16({2}, {1, 3})));
  EXPECT_FALSE(a.SameValue(Literal::Fp16({1, 2}, {1, 2})));
  EXPECT_FALSE(a.SameValue(Literal::Raw(DType::kInt16, {2}, a.data)));
  EXPECT_TRUE(Literal::String("a").SameValue(Literal::String("a")));
  EXPECT_FALSE(Literal::String("a").SameValue(Literal::String("b")));
  // Unused bits of a sub-byte stream's last byte carry no value.
  Literal u3a = Literal::Raw(DType::kUInt3, {2}, std::make_shared<const Buffer>(std::vector<uint8_t>{0x0b}));
  Literal u3b = Literal::Raw(DType::kUInt3, {2}, std::make_shared<const Buffer>(std::vector<uint8_t>{0xcb}));
  Literal u3c = Literal::Raw(DType::kUInt3, {2}, std::make_shared<const Buffer>(std::vector<uint8_t>{0x0c}));
  EXPECT_TRUE(u3a.SameValue(u3b));
  EXPECT_FALSE(u3a.SameValue(u3c));
}

TEST(CoremlIr, OperationInputAndDescriptionLookups) {
  Operation op;
  op.inputs["x"].push_back(Argument::Ref("a"));
  op.inputs["values"] = {Argument::Ref("p"), Argument::Ref("q")};
  op.inputs["axis"].push_back(Argument::Lit(Literal::ScalarInt32(0)));
  op.inputs["none"];
  ASSERT_NE(op.Input("x"), nullptr);
  EXPECT_EQ(op.Input("x")->name, "a");
  EXPECT_FALSE(op.Input("x")->is_literal());
  EXPECT_TRUE(op.Input("axis")->is_literal());
  EXPECT_EQ(op.Input("values")->name, "p");
  EXPECT_EQ(op.Input("none"), nullptr);
  EXPECT_EQ(op.Input("missing"), nullptr);

  ModelDescription single;
  single.inputs.push_back({"x", "", {}});
  EXPECT_FALSE(single.is_multifunction());
  EXPECT_EQ(single.FunctionNames(), std::vector<std::string>{"main"});
  ASSERT_TRUE(single.Function("main").has_value());
  EXPECT_EQ(single.Function("main")->inputs[0].name, "x");
  EXPECT_FALSE(single.Function("infer").has_value());

  ModelDescription multi;
  multi.functions = {{"infer", {}, {}, {}}, {"prefill", {}, {}, {}}};
  multi.default_function_name = "infer";
  EXPECT_TRUE(multi.is_multifunction());
  EXPECT_EQ(multi.FunctionNames(), (std::vector<std::string>{"infer", "prefill"}));
  EXPECT_TRUE(multi.Function("prefill").has_value());
  EXPECT_FALSE(multi.Function("main").has_value());
}

}  // namespace
}  // namespace anemll::mil
