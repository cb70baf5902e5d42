// Builds small ML Program functions directly from the IR structs for executor tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mil/ir.h"
#include "runtime/executable.h"

namespace anemll::runtime::test {

using mil::DType;

// An op argument: a value name or an inline literal.
struct Arg {
  Arg(const char* name) : name(name) {}         // NOLINT: implicit by design
  Arg(std::string name) : name(std::move(name)) {}  // NOLINT: implicit by design
  Arg(mil::Literal lit) : literal(std::move(lit)), is_literal(true) {}  // NOLINT: implicit by design
  std::string name;
  mil::Literal literal;
  bool is_literal = false;
};

class TestProgram {
 public:
  TestProgram& Input(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    fn.inputs.push_back({name, mil::ValueType::Tensor(dtype, std::move(shape))});
    return *this;
  }
  TestProgram& State(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    fn.inputs.push_back({name, mil::ValueType::State(dtype, std::move(shape))});
    return *this;
  }
  // A const op defining `name`.
  TestProgram& Const(const std::string& name, mil::Literal value) {
    mil::Operation op;
    op.type = "const";
    op.name = name;
    op.outputs.push_back({name, value.type});
    op.attributes["val"] = std::move(value);
    fn.block.operations.push_back(std::move(op));
    return *this;
  }
  // An op with one binding per parameter ("values" may be given several times: variadic) and
  // outputs of the given dtypes; output shapes are left undeclared (unknown rank) unless given.
  TestProgram& Op(const std::string& type, const std::string& name,
                  const std::vector<std::pair<std::string, Arg>>& inputs,
                  const std::vector<std::pair<std::string, DType>>& outputs,
                  const std::vector<std::vector<int64_t>>& shapes = {}) {
    mil::Operation op;
    op.type = type;
    op.name = name;
    for (const auto& [param, arg] : inputs) {
      op.inputs[param].push_back(arg.is_literal ? mil::Argument::Lit(arg.literal) : mil::Argument::Ref(arg.name));
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      mil::ValueType t;
      t.tensor.dtype = outputs[i].second;
      if (i < shapes.size()) {
        t.tensor.shape = shapes[i];
      } else {
        t.tensor.unknown_rank = true;
      }
      op.outputs.push_back({outputs[i].first, t});
    }
    fn.block.operations.push_back(std::move(op));
    return *this;
  }
  TestProgram& Output(const std::string& name) {
    fn.block.outputs.push_back(name);
    return *this;
  }

  Result<std::unique_ptr<Executable>> Compile(Precision p = Precision::kFp32, const std::string& name = "main") const {
    Options o;
    o.precision = p;
    return Executable::Compile(fn, name, o);
  }

  mil::Function fn;
};

inline mil::Literal I32s(std::vector<int32_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return mil::Literal::Int32({n}, v);
}
inline mil::Literal I32(int32_t v) { return mil::Literal::ScalarInt32(v); }
inline mil::Literal F32(float v) { return mil::Literal::ScalarFp32(v); }
inline mil::Literal Bool(bool v) { return mil::Literal::ScalarBool(v); }
inline mil::Literal Bools(std::vector<bool> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return mil::Literal::Bool({n}, v);
}
inline mil::Literal Str(const std::string& s) { return mil::Literal::String(s); }

// Runs a compiled executable once with fresh states; fails the test on error.
inline std::map<std::string, Tensor> RunOnce(Executable& e, const std::map<std::string, Tensor>& inputs) {
  StateStore states;
  std::map<std::string, Tensor> out;
  const Status st = e.Run(inputs, states, &out);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

}  // namespace anemll::runtime::test
