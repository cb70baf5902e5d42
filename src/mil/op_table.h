// The iOS18 (opset CoreML8) MIL op table: for every op its parameters with their type domains,
// const-ness, optional flags and registry defaults. Transcribed from mil-ops-ios18.txt (beside
// this file, a dump of coremltools' op registry); op_table_test checks the table against it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mil/ir.h"

namespace anemll::mil {

// How a parameter is bound (coremltools' input types).
enum class InputKind : uint8_t {
  kTensor,    // TensorInputType: one tensor (or scalar) binding
  kTuple,     // TupleInputType: variadic, one binding per element (concat's values)
  kState,     // StateInputType: a function input of state type
  kInternal,  // InternalInputType: const's val (an attribute, not an input)
};

struct ParamSpec {
  std::string name;
  InputKind kind = InputKind::kTensor;
  // The type domain: either a named type variable of the op ("T"; all parameters naming the same
  // variable must have the same dtype) or an explicit list. `dtypes` is always resolved; empty
  // means any dtype (tuples, const's val, write_state's data).
  std::string type_var;
  std::vector<DType> dtypes;
  bool is_const = false;  // must be a const/constexpr output or a literal
  bool optional = false;
  // The registry's default as printed ("False", "-1", "0.0", "'EXACT'", "None"); nullopt when
  // the registry prints none (required, or a default computed from other inputs).
  std::optional<std::string> default_text;

  bool variadic() const { return kind == InputKind::kTuple; }
  bool AllowsDType(DType dtype) const;
  // Optional with a literal, non-None registry default (coremltools materializes these).
  bool has_literal_default() const { return default_text && *default_text != "None"; }
};

struct TypeDomain {
  std::string name;  // "T", "U", "IndicesT" ...
  std::vector<DType> dtypes;
};

struct OpSignature {
  std::string type;           // "linear"
  std::string defined_in;     // opset of the effective definition: "iOS17"
  std::string first_opset;    // first opset that has the op: "iOS13"
  std::vector<TypeDomain> type_domains;
  std::vector<ParamSpec> params;  // in registry order
  // False for ops that the registry dump does not list but that the proto and coremltools use
  // (write_state, reduce_min, logical_or, logical_xor).
  bool in_registry = true;

  const ParamSpec* Param(std::string_view name) const;
  const TypeDomain* Domain(std::string_view name) const;
  bool is_constexpr() const { return type.rfind("constexpr_", 0) == 0; }
};

// The signature of an op type, or nullptr if the op is not part of the iOS18 table.
const OpSignature* FindOp(std::string_view type);
// Every op of the table, in registry order (supplementary ops last).
const std::vector<OpSignature>& AllOps();

// "fp16, fp32, int32" (for messages).
std::string DTypeList(const std::vector<DType>& dtypes);

}  // namespace anemll::mil
