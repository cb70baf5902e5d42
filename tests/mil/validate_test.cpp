#include "mil/validate.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace anemll::mil {
namespace {

constexpr DType F16 = DType::kFp16;

ValueType T(DType dtype, std::vector<int64_t> shape) { return ValueType::Tensor(dtype, std::move(shape)); }

Operation ConstOp(const std::string& name, Literal val) {
  Operation op;
  op.type = "const";
  op.name = name;
  op.outputs.push_back({name, val.type});
  op.attributes.emplace("val", std::move(val));
  return op;
}

Operation MakeOp(const std::string& type, const std::string& name,
                 std::vector<std::pair<std::string, std::vector<Argument>>> inputs,
                 std::vector<NamedValueType> outputs) {
  Operation op;
  op.type = type;
  op.name = name;
  for (auto& [param, args] : inputs) op.inputs[param] = std::move(args);
  op.outputs = std::move(outputs);
  return op;
}

Argument Ref(const std::string& name) { return Argument::Ref(name); }

// func main(fp16[1,64] x) { w, b consts; fp16[1,32] linear_0 = linear(x, w, b) } -> (linear_0)
Function LinearFunction() {
  Function fn;
  fn.inputs.push_back({"x", T(F16, {1, 64})});
  fn.block.operations.push_back(ConstOp("w", Literal::Fp16({32, 64}, std::vector<float>(32 * 64, 0.5f))));
  fn.block.operations.push_back(ConstOp("b", Literal::Fp16({32}, std::vector<float>(32, 0.0f))));
  fn.block.operations.push_back(MakeOp("linear", "linear_0",
                                       {{"x", {Ref("x")}}, {"weight", {Ref("w")}}, {"bias", {Ref("b")}}},
                                       {{"linear_0", T(F16, {1, 32})}}));
  fn.block.outputs = {"linear_0"};
  return fn;
}

Operation& LinearOp(Function& fn) { return fn.block.operations[2]; }

std::string Check(const Function& fn) {
  Status st = ValidateFunction("main", fn);
  return st.ok() ? "ok" : st.message();
}

TEST(Validate, AcceptsAValidFunction) {
  EXPECT_EQ(Check(LinearFunction()), "ok");
  Program p;
  p.functions["main"] = LinearFunction();
  EXPECT_TRUE(ValidateProgram(p).ok());
}

TEST(Validate, UnknownParameterName) {
  Function fn = LinearFunction();
  auto node = LinearOp(fn).inputs.extract("weight");
  node.key() = "wieght";
  LinearOp(fn).inputs.insert(std::move(node));
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear): unknown parameter 'wieght' (linear takes x, weight, bias)");
}

TEST(Validate, MissingRequiredParameter) {
  Function fn = LinearFunction();
  LinearOp(fn).inputs.erase("weight");
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear): missing required parameter 'weight'");
}

TEST(Validate, DtypeOutsideDomain) {
  Function fn = LinearFunction();
  fn.inputs[0].type = T(DType::kInt8, {1, 64});
  EXPECT_EQ(Check(fn),
            "function main: op linear_0 (linear): input 'x' has dtype int8, expected one of fp16, fp32, int32 (T)");
}

TEST(Validate, TypeVariableMismatch) {
  Function fn;
  fn.inputs = {{"a", T(F16, {4})}, {"b", T(DType::kFp32, {4})}};
  fn.block.operations.push_back(
      MakeOp("add", "add_0", {{"x", {Ref("a")}}, {"y", {Ref("b")}}}, {{"add_0", T(F16, {4})}}));
  fn.block.outputs = {"add_0"};
  EXPECT_EQ(Check(fn), "function main: op add_0 (add): inputs 'x' (fp16) and 'y' (fp32) must have the same dtype (T)");
}

TEST(Validate, DanglingValueName) {
  Function fn = LinearFunction();
  LinearOp(fn).inputs["x"] = {Ref("q_7")};
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear): input 'x' refers to undefined value 'q_7'");
}

TEST(Validate, ValueUsedBeforeItIsDefined) {
  Function fn = LinearFunction();
  auto& ops = fn.block.operations;
  std::rotate(ops.begin(), ops.begin() + 1, ops.end());  // b, linear_0, w: linear before w
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear): input 'weight' refers to undefined value 'w'");
}

TEST(Validate, DuplicateValueName) {
  Function fn = LinearFunction();
  fn.block.operations[1] = ConstOp("x", Literal::Fp16({32}, std::vector<float>(32, 0.0f)));
  EXPECT_EQ(Check(fn), "function main: op x (const): value 'x' is already defined by an input");
  Function fn2 = LinearFunction();
  fn2.block.operations[1].outputs[0].name = "w";
  EXPECT_EQ(Check(fn2), "function main: op b (const): value 'w' is already defined by op w");
  Function fn3 = LinearFunction();
  fn3.inputs.push_back(fn3.inputs[0]);
  EXPECT_EQ(Check(fn3), "function main: input 'x' declared twice");
}

TEST(Validate, NonConstWhereConstIsRequired) {
  Function fn = LinearFunction();
  fn.inputs.push_back({"w_in", T(F16, {32, 64})});
  LinearOp(fn).inputs["weight"] = {Ref("w_in")};
  EXPECT_EQ(Check(fn),
            "function main: op linear_0 (linear): input 'weight' must be a compile-time constant (a const or "
            "constexpr output, or a literal), got the runtime value 'w_in'");
}

TEST(Validate, ConstexprOutputCountsAsConst) {
  Function fn = LinearFunction();
  std::vector<uint8_t> indices(32 * 64 / 2, 0x21);
  Operation lut = MakeOp(
      "constexpr_lut_to_dense", "w_pal",
      {{"indices", {Argument::Lit(Literal::Raw(DType::kUInt4, {32, 64}, std::make_shared<const Buffer>(indices)))}},
       {"lut", {Argument::Lit(Literal::Fp16({1, 1, 16, 1}, std::vector<float>(16, 0.25f)))}}},
      {{"w_pal", T(F16, {32, 64})}});
  fn.block.operations.insert(fn.block.operations.begin() + 2, lut);
  fn.block.operations[3].inputs["weight"] = {Ref("w_pal")};
  EXPECT_EQ(Check(fn), "ok");
}

TEST(Validate, DeclaredOutputTypeMustMatchInference) {
  Function fn = LinearFunction();
  LinearOp(fn).outputs[0].type = T(F16, {1, 33});
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear): output 'linear_0' is declared fp16[1,33] but inferred fp16[1,32]");
  LinearOp(fn).outputs[0].type = T(F16, {1, kUnknownDim});  // a flexible declared dim is fine
  EXPECT_EQ(Check(fn), "ok");
  LinearOp(fn).outputs.push_back({"extra", T(F16, {1})});
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linear) declares 2 outputs, expected 1");
}

TEST(Validate, BlockOutputsMustBeDefined) {
  Function fn = LinearFunction();
  fn.block.outputs = {"linear_1"};
  EXPECT_EQ(Check(fn), "function main: block output 'linear_1' is not defined");
}

TEST(Validate, UnknownOpTypeAndBadBindings) {
  Function fn = LinearFunction();
  LinearOp(fn).type = "linaer";
  EXPECT_EQ(Check(fn), "function main: op linear_0 (linaer): unknown op type 'linaer'");
  Function fn2 = LinearFunction();
  LinearOp(fn2).inputs["x"].push_back(Ref("x"));
  EXPECT_EQ(Check(fn2), "function main: op linear_0 (linear): input 'x' has 2 bindings, expected 1");
  Function fn3 = LinearFunction();
  LinearOp(fn3).attributes.emplace("alpha", Literal::ScalarInt32(1));
  EXPECT_EQ(Check(fn3), "function main: op linear_0 (linear): unexpected attribute 'alpha'");
}

TEST(Validate, ConstLiteralMustHoldItsBytes) {
  Function fn = LinearFunction();
  Literal short_val = Literal::Fp16({32}, std::vector<float>(31, 0.0f));  // 62 bytes for 32 halfs
  short_val.type = T(F16, {32});
  fn.block.operations[1] = ConstOp("b", short_val);
  EXPECT_EQ(Check(fn), "function main: op b (const): attribute 'val' holds 62 bytes, its type fp16[32] needs 64");
}

TEST(Validate, InvalidIdentifiers) {
  Function fn = LinearFunction();
  fn.inputs[0].name = "1x";
  EXPECT_EQ(Check(fn), "function main: input name '1x' is not a valid identifier");
  EXPECT_TRUE(IsValidIdentifier("kv_cache@0"));
  EXPECT_FALSE(IsValidIdentifier("a-b"));
  EXPECT_FALSE(IsValidIdentifier(""));
}

// The KV-cache flow of the kv_state_multifunction fixture.
Function StateFunction() {
  Function fn;
  fn.inputs = {{"x", T(F16, {2, 1, 4, 8})}, {"kv_cache", ValueType::State(F16, {2, 1, 16, 8})}};
  auto ints = [](std::vector<int32_t> v) { return Argument::Lit(Literal::Int32({static_cast<int64_t>(v.size())}, v)); };
  fn.block.operations.push_back(
      MakeOp("read_state", "kv_read", {{"input", {Ref("kv_cache")}}}, {{"kv_read", T(F16, {2, 1, 16, 8})}}));
  fn.block.operations.push_back(MakeOp(
      "slice_update", "kv_upd",
      {{"x", {Ref("kv_read")}}, {"update", {Ref("x")}}, {"begin", {ints({0, 0, 0, 0})}}, {"end", {ints({2, 1, 4, 8})}}},
      {{"kv_upd", T(F16, {2, 1, 16, 8})}}));
  fn.block.operations.push_back(
      MakeOp("write_state", "kv_write", {{"input", {Ref("kv_cache")}}, {"data", {Ref("kv_upd")}}}, {}));
  fn.block.operations.push_back(
      MakeOp("read_state", "kv_now", {{"input", {Ref("kv_cache")}}}, {{"kv_now", T(F16, {2, 1, 16, 8})}}));
  fn.block.outputs = {"kv_now"};
  return fn;
}

TEST(Validate, StatesOnlyThroughReadAndWriteState) {
  EXPECT_EQ(Check(StateFunction()), "ok");
  Function fn = StateFunction();
  fn.block.operations[1].inputs["x"] = {Ref("kv_cache")};
  EXPECT_EQ(Check(fn), "function main: op kv_upd (slice_update): input 'x' is the state 'kv_cache'; states can only "
                       "be used by read_state and write_state");
  Function fn2 = StateFunction();
  fn2.block.operations[0].inputs["input"] = {Ref("x")};
  EXPECT_EQ(Check(fn2), "function main: op kv_read (read_state): input 'input' must be a state, got 'x' of type "
                        "fp16[2,1,4,8]");
  Function fn3 = StateFunction();
  fn3.block.outputs = {"kv_cache"};
  EXPECT_EQ(Check(fn3), "function main: block output 'kv_cache' is a state, not a tensor");
}

TEST(Validate, OpsNewerThanTheOpset) {
  Function fn = StateFunction();
  fn.opset = "CoreML7";
  EXPECT_EQ(Check(fn), "function main: op kv_read (read_state) needs iOS18 (CoreML8), the function's opset is CoreML7");
  fn.opset = "MyOpset";
  EXPECT_EQ(Check(fn), "function main: unknown opset 'MyOpset'");
  Function old = LinearFunction();
  old.opset = "CoreML5";  // linear exists since iOS13
  EXPECT_EQ(Check(old), "ok");
}

TEST(Validate, UnknownConstexprAttribute) {
  // The iOS16 form of constexpr_lut_to_dense (packed indices + shape attribute) is not iOS18's.
  Function fn = LinearFunction();
  Operation lut = MakeOp("constexpr_lut_to_dense", "w_pal", {}, {{"w_pal", T(F16, {32, 64})}});
  lut.attributes.emplace("shape", Literal::Int32({2}, {32, 64}));
  fn.block.operations.insert(fn.block.operations.begin(), lut);
  EXPECT_EQ(Check(fn), "function main: op w_pal (constexpr_lut_to_dense): unknown parameter 'shape' "
                       "(constexpr_lut_to_dense takes indices, lut, vector_axis)");
}

TEST(Validate, UnusedStateIsRejected) {
  Function fn = LinearFunction();
  fn.inputs.push_back({"kv_cache", ValueType::State(F16, {2, 1, 16, 8})});
  EXPECT_EQ(Check(fn), "function main: state input 'kv_cache' is never used");
}

TEST(Validate, ProgramLevelChecks) {
  Program p;
  EXPECT_EQ(ValidateProgram(p).message(), "program: has no functions");
  p.functions["main"] = LinearFunction();
  p.version = 2;
  EXPECT_EQ(ValidateProgram(p).message(), "program: version is 2, expected 1");
  p.version = 1;
  p.functions["bad name"] = LinearFunction();
  EXPECT_EQ(ValidateProgram(p).message(), "function bad name: function name is not a valid identifier");
}

TEST(Validate, TypesCompatible) {
  EXPECT_TRUE(TypesCompatible(T(F16, {1, 2}), T(F16, {1, 2})));
  EXPECT_TRUE(TypesCompatible(T(F16, {1, kUnknownDim}), T(F16, {1, 2})));
  EXPECT_FALSE(TypesCompatible(T(F16, {1, 2}), T(DType::kFp32, {1, 2})));
  EXPECT_FALSE(TypesCompatible(T(F16, {1, 2}), T(F16, {2})));
  EXPECT_FALSE(TypesCompatible(ValueType::State(F16, {2}), T(F16, {2})));
}

}  // namespace
}  // namespace anemll::mil
