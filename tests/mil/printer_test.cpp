#include "mil/printer.h"

#include <gtest/gtest.h>

#include "mil/builder.h"

namespace anemll::mil {
namespace {

constexpr DType F16 = DType::kFp16, I32 = DType::kInt32;

Function InferFunction() {
  FunctionBuilder b("infer");
  Value x = b.Input("hidden_states", F16, {1, 1, 64});
  Value pos = b.Input("current_pos", I32, {1});
  Value cache = b.StateInput("kv_cache", F16, {2, 1, 16, 8});
  Literal weight = Filled(F16, {8, 64}, 0.5);
  weight.blob = BlobRef{"@model_path/weights/weight.bin", 64};  // as read from a package
  Value k = b.Name("k_proj", b.Linear(x, weight));
  Value k4 = b.Name("k_4d", b.Reshape(k, {1, 1, 1, 8}));
  Value kv = b.Name("kv_new", b.Concat({k4, k4}, 0));
  Value begin = b.Name("kv_begin", b.Concat({Int32Vector({0, 0}), pos, Int32Vector({0})}, 0));
  Value end = b.Name("kv_end", b.Add(begin, Int32Vector({2, 1, 1, 8})));
  Value read = b.Name("kv_read", b.ReadState(cache));
  Value upd = b.Name("kv_upd", b.SliceUpdate(read, kv, begin, end));
  b.WriteState(cache, upd, "kv_write");
  Value scores = b.Name("scores", b.Mul(b.Name("kv_now", b.ReadState(cache)), ScalarOf(F16, 0.353515625)));
  std::vector<Value> top = b.Name("top", b.Topk(scores, TopkOptions{2}));
  b.Output(top[0]);
  b.Output(top[1]);
  auto fn = b.Finish();
  EXPECT_TRUE(fn.ok()) << fn.status().message();
  return fn.ok() ? std::move(fn).value() : Function();
}

TEST(Printer, FunctionGolden) {
  const std::string expected =
      "func infer(fp16[1,1,64] hidden_states, int32[1] current_pos, state<fp16[2,1,16,8]> kv_cache) {\n"
      "  const fp16[8,64] k_proj_weight_0 = blob@64\n"
      "  const fp16[8] k_proj_bias_0 = [0, 0, 0, 0, 0, 0, 0, 0]\n"
      "  fp16[1,1,8] k_proj = linear(x=hidden_states, weight=k_proj_weight_0, bias=k_proj_bias_0)\n"
      "  const int32[4] k_4d_shape_0 = [1, 1, 1, 8]\n"
      "  fp16[1,1,1,8] k_4d = reshape(x=k_proj, shape=k_4d_shape_0)\n"
      "  const int32 kv_new_axis_0 = 0\n"
      "  const bool kv_new_interleave_0 = false\n"
      "  fp16[2,1,1,8] kv_new = concat(values=(k_4d, k_4d), axis=kv_new_axis_0, interleave=kv_new_interleave_0)\n"
      "  const int32[2] kv_begin_values0_0 = [0, 0]\n"
      "  const int32[1] kv_begin_values2_0 = [0]\n"
      "  const int32 kv_begin_axis_0 = 0\n"
      "  const bool kv_begin_interleave_0 = false\n"
      "  int32[4] kv_begin = concat(values=(kv_begin_values0_0, current_pos, kv_begin_values2_0), "
      "axis=kv_begin_axis_0, interleave=kv_begin_interleave_0)\n"
      "  const int32[4] kv_end_y_0 = [2, 1, 1, 8]\n"
      "  int32[4] kv_end = add(x=kv_begin, y=kv_end_y_0)\n"
      "  fp16[2,1,16,8] kv_read = read_state(input=kv_cache)\n"
      "  fp16[2,1,16,8] kv_upd = slice_update(x=kv_read, update=kv_new, begin=kv_begin, end=kv_end)\n"
      "  write_state[kv_write](input=kv_cache, data=kv_upd)\n"
      "  fp16[2,1,16,8] kv_now = read_state(input=kv_cache)\n"
      "  const fp16 scores_y_0 = 0.3535\n"
      "  fp16[2,1,16,8] scores = mul(x=kv_now, y=scores_y_0)\n"
      "  const int32 top_k_0 = 2\n"
      "  const int32 top_axis_0 = -1\n"
      "  const bool top_ascending_0 = false\n"
      "  const bool top_sort_0 = true\n"
      "  const bool top_return_indices_0 = true\n"
      "  const string top_output_indices_dtype_0 = \"int32\"\n"
      "  (fp16[2,1,16,2] top_0, int32[2,1,16,2] top_1) = topk[top](x=scores, k=top_k_0, axis=top_axis_0, "
      "ascending=top_ascending_0, sort=top_sort_0, return_indices=top_return_indices_0, "
      "output_indices_dtype=top_output_indices_dtype_0)\n"
      "} -> (top_0, top_1)\n";
  EXPECT_EQ(PrintFunction("infer", InferFunction()), expected);
}

TEST(Printer, ConstexprLiteralsAndProgram) {
  FunctionBuilder b("main");
  Value x = b.Input("x", F16, {1, 16});
  Value w = b.Name("w", b.ConstexprLutToDense(
      Literal::Raw(DType::kUInt4, {4, 16}, std::make_shared<const Buffer>(std::vector<uint8_t>(32, 0x21))),
      Literal::Fp16({1, 1, 16, 1}, std::vector<float>(16, -1.5f))));
  b.Output(b.Name("y", b.Linear(x, w, Filled(F16, {4}, 0.25))));
  auto fn = b.Finish();
  ASSERT_TRUE(fn.ok()) << fn.status().message();
  Program program;
  program.functions["main"] = *fn;
  program.functions["aux"] = *fn;
  const std::string main_text =
      "func main(fp16[1,16] x) {\n"
      "  fp16[4,16] w = constexpr_lut_to_dense(indices=<uint4[4,16] 32 bytes>, "
      "lut=[-1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5])\n"
      "  const fp16[4] y_bias_0 = [0.25, 0.25, 0.25, 0.25]\n"
      "  fp16[1,4] y = linear(x=x, weight=w, bias=y_bias_0)\n"
      "} -> (y)\n";
  EXPECT_EQ(PrintFunction("main", *fn), main_text);
  std::string aux_text = main_text;
  aux_text.replace(5, 4, "aux");
  EXPECT_EQ(PrintProgram(program), aux_text + "\n" + main_text);
}

TEST(Printer, TypesAndLiterals) {
  EXPECT_EQ(FormatType(ValueType::Tensor(F16, {1, kUnknownDim, 8})), "fp16[1,?,8]");
  EXPECT_EQ(FormatType(ValueType::Tensor(DType::kFp32, {})), "fp32");
  EXPECT_EQ(FormatType(ValueType::State(F16, {2, 4})), "state<fp16[2,4]>");
  ValueType unknown_rank = ValueType::Tensor(F16, {});
  unknown_rank.tensor.unknown_rank = true;
  EXPECT_EQ(FormatType(unknown_rank), "fp16[*]");
  EXPECT_EQ(FormatLiteral(Literal::ScalarInt32(-7)), "-7");
  EXPECT_EQ(FormatLiteral(Literal::Fp32({3}, {0.1f, -2.5f, 1e10f})), "[0.1, -2.5, 1e+10]");
  EXPECT_EQ(FormatLiteral(Literal::Bool({2}, {true, false})), "[true, false]");
  EXPECT_EQ(FormatLiteral(Literal::String("fp16")), "\"fp16\"");
  EXPECT_EQ(FormatLiteral(Filled(F16, {64, 64}, 1.0)), "<8192 bytes>");
  Literal short_lit = Literal::Int32({3}, {1, 2});
  EXPECT_EQ(FormatLiteral(short_lit), "<8 bytes, 12 expected>");
}

}  // namespace
}  // namespace anemll::mil
