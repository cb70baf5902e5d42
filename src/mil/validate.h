// Validation of MIL programs against the iOS18 op table: op types and parameter names, required
// parameters, dtype domains, const-ness, SSA definitions, unique names, state usage, ops newer
// than the function's opset, and declared output types against inferred ones. Signatures are
// the iOS18 ones whatever the opset (anemll writes CoreML8). Errors read like
//   function main: op linear_0 (linear): unknown parameter 'wieght' (linear takes x, weight, bias)
//   function main: op matmul_3 (matmul): input 'x' refers to undefined value 'q_7'
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "mil/ir.h"
#include "mil/type_inference.h"

namespace anemll::mil {

Status ValidateProgram(const Program& program);
Status ValidateFunction(const std::string& name, const Function& function);

// The bindings of one operation (op type, parameter names and count, required parameters,
// defined references, state usage, dtype domains and type variables, const-ness) in `env`.
// Does not look at the outputs. Errors start with "op <name> (<type>): ".
Status ValidateOperation(const Operation& op, const TypeEnv& env);

// MIL identifiers: [A-Za-z_][A-Za-z0-9_@]*
bool IsValidIdentifier(std::string_view name);

// Declared and inferred types agree: same kind and dtype, same rank, equal dims where both are
// known (a package may know a dim that our inference leaves unknown, and vice versa).
bool TypesCompatible(const ValueType& declared, const ValueType& inferred);

}  // namespace anemll::mil
