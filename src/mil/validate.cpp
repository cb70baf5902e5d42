#include "mil/validate.h"

#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

#include "mil/op_table.h"
#include "mil/printer.h"

namespace anemll::mil {
namespace {

template <typename... Args>
Status OpError(const Operation& op, const Args&... args) {
  return InvalidArgument("op ", op.name, " (", op.type, "): ", args...);
}

std::string ParamNames(const OpSignature& sig) {
  std::string s;
  for (const ParamSpec& p : sig.params) {
    if (p.kind == InputKind::kInternal) continue;
    if (!s.empty()) s += ", ";
    s += p.name;
  }
  return s;
}

// Bytes a literal of this type needs; -1 if unknown (strings, unknown dims).
int64_t ExpectedBytes(const Literal& lit) {
  const int64_t n = lit.num_elements();
  const int bits = DTypeBits(lit.type.tensor.dtype);
  if (n < 0 || bits == 0) return -1;
  return (n * bits + 7) / 8;
}

Status CheckLiteral(const Operation& op, const std::string& what, const Literal& lit) {
  if (lit.type.kind == ValueType::Kind::kState) return OpError(op, what, " is a literal of state type");
  if (lit.type.kind == ValueType::Kind::kDict) return Status::Ok();
  if (lit.type.tensor.has_unknown_dims()) {
    return OpError(op, what, " is a literal of type ", FormatType(lit.type), " with unknown dims");
  }
  if (lit.type.tensor.dtype == DType::kString) {
    if (static_cast<int64_t>(lit.strings.size()) != lit.num_elements()) {
      return OpError(op, what, " holds ", lit.strings.size(), " strings, its type ",
                     FormatType(lit.type), " needs ", lit.num_elements());
    }
    return Status::Ok();
  }
  const int64_t need = ExpectedBytes(lit);
  if (need < 0) return OpError(op, what, " has unsupported literal dtype ", DTypeName(lit.type.tensor.dtype));
  const int64_t have = lit.data ? static_cast<int64_t>(lit.data->size()) : 0;
  if (have < need) {
    return OpError(op, what, " holds ", have, " bytes, its type ", FormatType(lit.type), " needs ", need);
  }
  return Status::Ok();
}

Status ValidateConst(const Operation& op) {
  if (!op.inputs.empty()) return OpError(op, "const takes no inputs, got '", op.inputs.begin()->first, "'");
  auto val = op.attributes.find("val");
  if (val == op.attributes.end()) return OpError(op, "missing attribute 'val'");
  for (const auto& [name, lit] : op.attributes) {
    if (name != "val") return OpError(op, "unexpected attribute '", name, "'");
  }
  return CheckLiteral(op, "attribute 'val'", val->second);
}

struct Binding {
  const ValueType* type;
  bool is_const;
  std::string ref;  // empty for literals
};

}  // namespace

bool IsValidIdentifier(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '@') return false;
  }
  return true;
}

bool TypesCompatible(const ValueType& declared, const ValueType& inferred) {
  if (declared.kind != inferred.kind || declared.tensor.dtype != inferred.tensor.dtype) return false;
  if (declared.tensor.unknown_rank || inferred.tensor.unknown_rank) return true;
  if (declared.tensor.rank() != inferred.tensor.rank()) return false;
  for (int i = 0; i < declared.tensor.rank(); ++i) {
    const int64_t a = declared.tensor.shape[i], b = inferred.tensor.shape[i];
    if (a >= 0 && b >= 0 && a != b) return false;
  }
  return true;
}

Status ValidateOperation(const Operation& op, const TypeEnv& env) {
  const OpSignature* sig = FindOp(op.type);
  if (!sig) return OpError(op, "unknown op type '", op.type, "'");
  if (op.type == "const") return ValidateConst(op);

  // iOS16/17 constexpr ops carry their parameters as attributes; other ops only have "name".
  std::map<std::string, std::vector<Binding>> bindings;
  for (const auto& [name, lit] : op.attributes) {
    if (!sig->is_constexpr()) return OpError(op, "unexpected attribute '", name, "'");
    const ParamSpec* spec = sig->Param(name);
    if (!spec || spec->kind == InputKind::kInternal) {
      return OpError(op, "unknown parameter '", name, "' (", op.type, " takes ", ParamNames(*sig), ")");
    }
    if (op.inputs.count(name)) return OpError(op, "parameter '", name, "' bound twice");
    ANEMLL_RETURN_IF_ERROR(CheckLiteral(op, "attribute '" + name + "'", lit));
    bindings[name].push_back(Binding{&lit.type, true, std::string()});
  }
  for (const auto& [name, args] : op.inputs) {
    const ParamSpec* spec = sig->Param(name);
    if (!spec || spec->kind == InputKind::kInternal) {
      return OpError(op, "unknown parameter '", name, "' (", op.type, " takes ", ParamNames(*sig), ")");
    }
    if (args.empty()) return OpError(op, "input '", name, "' has no bindings");
    if (!spec->variadic() && args.size() != 1) {
      return OpError(op, "input '", name, "' has ", args.size(), " bindings, expected 1");
    }
    for (const Argument& arg : args) {
      if (arg.is_literal()) {
        if (!arg.literal) return OpError(op, "input '", name, "' has an empty binding");
        ANEMLL_RETURN_IF_ERROR(CheckLiteral(op, "input '" + name + "'", *arg.literal));
        bindings[name].push_back(Binding{&arg.literal->type, true, std::string()});
        continue;
      }
      const TypeEnv::Entry* e = env.Find(arg.name);
      if (!e) return OpError(op, "input '", name, "' refers to undefined value '", arg.name, "'");
      bindings[name].push_back(Binding{&e->type, e->is_const, arg.name});
    }
  }

  std::map<std::string, std::pair<DType, std::string>> type_vars;  // var -> (dtype, first param)
  for (const ParamSpec& spec : sig->params) {
    if (spec.kind == InputKind::kInternal) continue;
    auto it = bindings.find(spec.name);
    if (it == bindings.end()) {
      if (!spec.optional) return OpError(op, "missing required parameter '", spec.name, "'");
      continue;
    }
    for (const Binding& b : it->second) {
      const std::string what = b.ref.empty() ? "a literal" : "'" + b.ref + "'";
      const bool is_state = b.type->kind == ValueType::Kind::kState;
      if (spec.kind == InputKind::kState) {
        if (!is_state) {
          return OpError(op, "input '", spec.name, "' must be a state, got ", what, " of type ",
                         FormatType(*b.type));
        }
        continue;
      }
      if (is_state) {
        return OpError(op, "input '", spec.name, "' is the state ", what,
                       "; states can only be used by read_state and write_state");
      }
      if (b.type->kind != ValueType::Kind::kTensor) {
        return OpError(op, "input '", spec.name, "' must be a tensor, got ", FormatType(*b.type));
      }
      const DType dtype = b.type->tensor.dtype;
      if (!spec.AllowsDType(dtype)) {
        return OpError(op, "input '", spec.name, "' has dtype ", DTypeName(dtype), ", expected ",
                       spec.dtypes.size() == 1 ? "" : "one of ", DTypeList(spec.dtypes),
                       spec.type_var.empty() ? "" : " (" + spec.type_var + ")");
      }
      if (spec.is_const && !b.is_const) {
        return OpError(op, "input '", spec.name, "' must be a compile-time constant (a const or constexpr ",
                       "output, or a literal), got the runtime value ", what);
      }
      if (!spec.type_var.empty()) {
        auto [var, inserted] = type_vars.emplace(spec.type_var, std::make_pair(dtype, spec.name));
        if (!inserted && var->second.first != dtype) {
          return OpError(op, "inputs '", var->second.second, "' (", DTypeName(var->second.first),
                         ") and '", spec.name, "' (", DTypeName(dtype), ") must have the same dtype (",
                         spec.type_var, ")");
        }
      }
    }
  }
  return Status::Ok();
}

Status ValidateFunction(const std::string& name, const Function& function) {
  const std::string where = "function " + name;
  if (!IsValidIdentifier(name)) return InvalidArgument(where, ": function name is not a valid identifier");
  // Opset "CoreML<n>" is iOS<n + 10>; an op must exist there (scaled_dot_product_attention,
  // read_state, slice_update ... need CoreML8).
  int ios = 0;
  if (function.opset.rfind("CoreML", 0) == 0) ios = std::atoi(function.opset.c_str() + 6) + 10;
  if (ios < 15) return InvalidArgument(where, ": unknown opset '", function.opset, "'");
  TypeEnv env;
  // Where each name was defined, for duplicate messages.
  std::unordered_map<std::string, std::string> defined_by;
  std::map<std::string, bool> state_used;
  for (const NamedValueType& in : function.inputs) {
    if (!IsValidIdentifier(in.name)) {
      return InvalidArgument(where, ": input name '", in.name, "' is not a valid identifier");
    }
    if (!defined_by.emplace(in.name, "an input").second) {
      return InvalidArgument(where, ": input '", in.name, "' declared twice");
    }
    if (in.type.kind == ValueType::Kind::kDict) {
      return InvalidArgument(where, ": input '", in.name, "' has dictionary type");
    }
    if (in.type.kind == ValueType::Kind::kState) state_used[in.name] = false;
    env.Define(in.name, in.type);
  }

  for (const Operation& op : function.block.operations) {
    if (!IsValidIdentifier(op.name)) {
      return InvalidArgument(where, ": op '", op.name, "' (", op.type, "): name is not a valid identifier");
    }
    if (!op.blocks.empty()) {
      return Unsupported(where, ": op ", op.name, " (", op.type, "): nested blocks are not supported");
    }
    Status st = ValidateOperation(op, env);
    if (!st.ok()) return st.WithContext(where);
    const OpSignature* sig = FindOp(op.type);
    if (std::atoi(sig->first_opset.c_str() + 3) > ios) {
      return InvalidArgument(where, ": op ", op.name, " (", op.type, ") needs ", sig->first_opset, " (CoreML",
                             std::atoi(sig->first_opset.c_str() + 3) - 10, "), the function's opset is ",
                             function.opset);
    }
    for (const auto& [param, args] : op.inputs) {
      for (const Argument& a : args) {
        auto it = state_used.find(a.name);
        if (!a.is_literal() && it != state_used.end()) it->second = true;
      }
    }
    auto inferred = InferOutputTypes(op, env);
    if (!inferred.ok()) return inferred.status().WithContext(where);
    if (inferred->size() != op.outputs.size()) {
      return InvalidArgument(where, ": op ", op.name, " (", op.type, ") declares ", op.outputs.size(),
                             " outputs, expected ", inferred->size());
    }
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const NamedValueType& out = op.outputs[i];
      if (!IsValidIdentifier(out.name)) {
        return InvalidArgument(where, ": op ", op.name, " (", op.type, "): output name '", out.name,
                               "' is not a valid identifier");
      }
      auto [it, inserted] = defined_by.emplace(out.name, "op " + op.name);
      if (!inserted) {
        return InvalidArgument(where, ": op ", op.name, " (", op.type, "): value '", out.name,
                               "' is already defined by ", it->second);
      }
      if (!TypesCompatible(out.type, (*inferred)[i])) {
        return InvalidArgument(where, ": op ", op.name, " (", op.type, "): output '", out.name,
                               "' is declared ", FormatType(out.type), " but inferred ",
                               FormatType((*inferred)[i]));
      }
    }
    env.DefineOutputs(op);
  }

  for (const std::string& out : function.block.outputs) {
    const TypeEnv::Entry* e = env.Find(out);
    if (!e) return InvalidArgument(where, ": block output '", out, "' is not defined");
    if (e->type.kind != ValueType::Kind::kTensor) {
      return InvalidArgument(where, ": block output '", out, "' is a state, not a tensor");
    }
  }
  // Core ML rejects a model whose state input is never used.
  for (const auto& [state, used] : state_used) {
    if (!used) return InvalidArgument(where, ": state input '", state, "' is never used");
  }
  return Status::Ok();
}

Status ValidateProgram(const Program& program) {
  if (program.version != 1) return InvalidArgument("program: version is ", program.version, ", expected 1");
  if (program.functions.empty()) return InvalidArgument("program: has no functions");
  for (const auto& [name, fn] : program.functions) ANEMLL_RETURN_IF_ERROR(ValidateFunction(name, fn));
  return Status::Ok();
}

}  // namespace anemll::mil
