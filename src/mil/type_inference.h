// Output types of MIL operations (shape and dtype inference), following the iOS18 op semantics.
// Unknown dims (kUnknownDim) propagate; a dim that depends on a runtime value is unknown.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil {

// What is known about the values visible at some point of a block: their types, whether they
// are compile-time constants (const / constexpr outputs), and the value of const outputs.
class TypeEnv {
 public:
  struct Entry {
    ValueType type;
    bool is_const = false;                   // a const or constexpr_* output
    std::shared_ptr<const Literal> value;    // the value of a const op's output
  };

  // The function's inputs (tensors and states).
  static TypeEnv ForFunction(const Function& fn);

  void Define(const std::string& name, ValueType type);
  void DefineConst(const std::string& name, ValueType type, std::shared_ptr<const Literal> value);
  // Defines the declared outputs of `op` (const ops with their value, constexpr ops as const).
  void DefineOutputs(const Operation& op);

  void Erase(const std::string& name) { values_.erase(name); }
  const Entry* Find(const std::string& name) const;
  bool Contains(const std::string& name) const { return Find(name) != nullptr; }

 private:
  std::unordered_map<std::string, Entry> values_;
};

// The output types of `op` given the types (and constant values) of its inputs in `env`.
// Errors name the op and the parameter: "op k_4d (reshape): parameter 'shape' ...".
Result<std::vector<ValueType>> InferOutputTypes(const Operation& op, const TypeEnv& env);

// numpy broadcasting of two shapes; an unknown dim against 1 or an unknown dim stays unknown.
Result<std::vector<int64_t>> BroadcastShapes(const std::vector<int64_t>& a,
                                             const std::vector<int64_t>& b);

}  // namespace anemll::mil
