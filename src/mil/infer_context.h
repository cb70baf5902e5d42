// Internal to type inference: parameter lookup for one operation, shared by the inference files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"
#include "mil/type_inference.h"

namespace anemll::mil::infer {

// One binding of a parameter, resolved against the environment.
struct Arg {
  const ValueType* type = nullptr;
  const Literal* value = nullptr;  // known constant value (literal or const op output)
  bool is_const = false;
  std::string ref;                 // the value name; empty for a literal
};

class OpContext {
 public:
  OpContext(const Operation& op, const TypeEnv& env) : op_(op), env_(env) {}

  const Operation& op() const { return op_; }

  // Whether the parameter is bound (as an input or, for iOS16/17 constexpr ops, an attribute).
  bool Has(const std::string& param) const;
  // The single binding of a parameter; errors if absent or undefined.
  Result<Arg> Get(const std::string& param) const;
  // All bindings of a (variadic) parameter.
  Result<std::vector<Arg>> GetAll(const std::string& param) const;
  // The tensor type of a required tensor parameter (not a state, known rank).
  Result<TensorType> Tensor(const std::string& param) const;
  // A tensor parameter that may be a scalar/any rank, or unknown rank.
  Result<TensorType> TensorAnyRank(const std::string& param) const;

  // Constant values. Absent optional parameters give the fallback; bound non-constant
  // parameters give nullopt for the *Opt variants and an error otherwise.
  Result<std::optional<std::vector<int64_t>>> IntsOpt(const std::string& param) const;
  Result<std::vector<int64_t>> Ints(const std::string& param) const;
  Result<int64_t> Int(const std::string& param, std::optional<int64_t> fallback) const;
  Result<bool> Bool(const std::string& param, std::optional<bool> fallback) const;
  Result<std::string> String(const std::string& param, std::optional<std::string> fallback) const;

  // "op <name> (<type>): <message>"
  template <typename... Args>
  Status Error(const Args&... args) const {
    return InvalidArgument("op ", op_.name, " (", op_.type, "): ", args...);
  }
  template <typename... Args>
  Status ParamError(const std::string& param, const Args&... args) const {
    return Error("parameter '", param, "' ", args...);
  }

 private:
  const Operation& op_;
  const TypeEnv& env_;
};

using Types = std::vector<ValueType>;
using InferFn = Result<Types> (*)(const OpContext&);

// Shaping, slicing, gather, fill, topk and constexpr ops (type_inference_tensor.cpp).
InferFn FindTensorOpInference(const std::string& type);

// Normalizes an axis in [-rank, rank) to [0, rank).
Result<int> NormalizeAxis(const OpContext& ctx, const std::string& param, int64_t axis, int rank);
// a*b, unknown if either is unknown.
inline int64_t MulDims(int64_t a, int64_t b) { return a < 0 || b < 0 ? kUnknownDim : a * b; }
inline int64_t AddDims(int64_t a, int64_t b) { return a < 0 || b < 0 ? kUnknownDim : a + b; }
// "[1,?,64]" (negative dims are unknown)
std::string ShapeText(const std::vector<int64_t>& shape);
// "[1,-1,64]" (integer values as they are: reshape targets, axes, sizes)
std::string ValuesText(const std::vector<int64_t>& values);
inline ValueType TensorOf(DType dtype, std::vector<int64_t> shape) {
  return ValueType::Tensor(dtype, std::move(shape));
}

}  // namespace anemll::mil::infer
