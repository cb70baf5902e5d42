// FunctionBuilder core: naming, literal materialization, registry defaults, checking and
// inference of each op, and finishing. The per-op helpers are in builder_ops.cpp.
#include "mil/builder.h"

#include <cstdlib>

#include "base/half.h"
#include "mil/op_table.h"
#include "mil/validate.h"

namespace anemll::mil {
namespace {

// Element count of a shape (negative dims count as 0).
size_t Count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= d > 0 ? static_cast<size_t>(d) : 0;
  return n;
}

bool IsTextInteger(const std::string& text) {
  if (text.empty()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= '0' && text[i] <= '9') && !(i == 0 && text[i] == '-')) return false;
  }
  return true;
}

// The literal of a registry default ("False", "-1", "0.0", "'EXACT'"), in the dtype of its type
// variable when another parameter already fixed it. nullopt if the text is not understood.
std::optional<Literal> DefaultLiteral(const ParamSpec& spec, DType bound_dtype) {
  const std::string& text = *spec.default_text;
  if (text == "False" || text == "True") return Literal::ScalarBool(text == "True");
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    return Literal::String(text.substr(1, text.size() - 2));
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  DType dtype = bound_dtype;
  if (dtype == DType::kInvalid) {
    // coremltools types a Python int as int32 and a float as fp32.
    dtype = IsTextInteger(text) && spec.AllowsDType(DType::kInt32) ? DType::kInt32 : DType::kFp32;
  }
  return ScalarOf(dtype, v);
}

}  // namespace

Literal Int32Vector(const std::vector<int32_t>& values) {
  return Literal::Int32({static_cast<int64_t>(values.size())}, values);
}

Literal BoolVector(const std::vector<bool>& values) {
  return Literal::Bool({static_cast<int64_t>(values.size())}, values);
}

Literal Filled(DType dtype, std::vector<int64_t> shape, double value) {
  const size_t n = Count(shape);
  switch (dtype) {
    case DType::kFp16: return Literal::Fp16(std::move(shape), std::vector<float>(n, static_cast<float>(value)));
    case DType::kInt32:
      return Literal::Int32(std::move(shape), std::vector<int32_t>(n, static_cast<int32_t>(value)));
    case DType::kBool: return Literal::Bool(std::move(shape), std::vector<bool>(n, value != 0));
    case DType::kBf16: {
      std::vector<uint8_t> bytes(2 * n);
      const uint16_t bits = FloatToBf16(static_cast<float>(value));
      for (size_t i = 0; i < n; ++i) {
        bytes[2 * i] = static_cast<uint8_t>(bits & 0xff);
        bytes[2 * i + 1] = static_cast<uint8_t>(bits >> 8);
      }
      return Literal::Raw(dtype, std::move(shape), std::make_shared<const Buffer>(std::move(bytes)));
    }
    default: break;
  }
  return Literal::Fp32(std::move(shape), std::vector<float>(n, static_cast<float>(value)));
}

Literal ScalarOf(DType dtype, double value) { return Filled(dtype, {}, value); }

// ---- FunctionBuilder ---------------------------------------------------------------------------

FunctionBuilder::FunctionBuilder(std::string function_name, std::string opset)
    : function_name_(std::move(function_name)) {
  function_.opset = std::move(opset);
}

void FunctionBuilder::Fail(Status status) {
  if (status_.ok()) status_ = status.WithContext("build " + function_name_);
}

std::string FunctionBuilder::UniqueName(const std::string& base) {
  for (int n = 0;; ++n) {
    std::string candidate = base + "_" + std::to_string(n);
    if (!used_names_.count(candidate)) return candidate;
  }
}

std::string FunctionBuilder::AutoOpName(const std::string& type) {
  int& counter = type_counters_[type];
  std::string name;
  do {
    name = type + "_" + std::to_string(counter++);
  } while (used_names_.count(name));
  return name;
}

Value FunctionBuilder::DeclareInput(const std::string& name, ValueType type, const char* what) {
  if (!status_.ok()) return Value();
  if (!IsValidIdentifier(name) || used_names_.count(name)) {
    Fail(InvalidArgument(what, " name '", name, "' is ", used_names_.count(name) ? "already used" : "not a valid identifier"));
    return Value();
  }
  Value v{name, std::move(type)};
  function_.inputs.push_back(NamedValueType{v.name, v.type});
  env_.Define(v.name, v.type);
  used_names_.insert(name);
  return v;
}

Value FunctionBuilder::Input(const std::string& name, DType dtype, std::vector<int64_t> shape) {
  return DeclareInput(name, ValueType::Tensor(dtype, std::move(shape)), "input");
}

Value FunctionBuilder::StateInput(const std::string& name, DType dtype, std::vector<int64_t> shape) {
  return DeclareInput(name, ValueType::State(dtype, std::move(shape)), "state input");
}

Value FunctionBuilder::MaterializeConst(const std::string& op_name, const std::string& label,
                                        Literal literal) {
  Operation op;
  op.type = "const";
  op.name = UniqueName(op_name + "_" + label);
  op.outputs.push_back(NamedValueType{op.name, literal.type});
  op.attributes.emplace("val", std::move(literal));
  Status st = ValidateOperation(op, env_);
  if (!st.ok()) {
    Fail(st);
    return Value();
  }
  used_names_.insert(op.name);
  Value v{op.name, op.outputs[0].type};
  env_.DefineOutputs(op);
  pending_consts_.emplace_back(function_.block.operations.size(), label);
  function_.block.operations.push_back(std::move(op));
  return v;
}

std::vector<Value> FunctionBuilder::Op(
    const std::string& type, const std::vector<std::pair<std::string, std::vector<Operand>>>& params) {
  if (!status_.ok() || finished_) {
    if (finished_) Fail(Internal("op ", type, " added after Finish()"));
    return {};
  }
  pending_consts_.clear();
  const OpSignature* sig = FindOp(type);
  if (!sig) {
    Fail(InvalidArgument("unknown op type '", type, "'"));
    return {};
  }
  if (type == "const") {
    Fail(InvalidArgument("use Const() for const ops"));
    return {};
  }
  Operation op;
  op.type = type;
  op.name = AutoOpName(type);
  used_names_.insert(op.name);

  for (const auto& [param, operands] : params) {
    if (op.inputs.count(param)) {
      Fail(InvalidArgument("op ", op.name, " (", type, "): parameter '", param, "' given twice"));
      return {};
    }
    const ParamSpec* spec = sig->Param(param);
    std::vector<Argument>& args = op.inputs[param];
    for (size_t i = 0; i < operands.size(); ++i) {
      const Operand& operand = operands[i];
      if (!operand.is_literal()) {
        if (!operand.value().valid()) {
          Fail(InvalidArgument("op ", op.name, " (", type, "): input '", param, "' is an invalid value"));
          return {};
        }
        args.push_back(Argument::Ref(operand.value().name));
      } else if (sig->is_constexpr()) {
        args.push_back(Argument::Lit(operand.literal()));  // iOS18 constexpr: inline literals
      } else {
        const bool variadic = spec && spec->variadic();
        Value c = MaterializeConst(op.name, variadic ? param + std::to_string(i) : param, operand.literal());
        if (!c.valid()) return {};
        args.push_back(Argument::Ref(c.name));
      }
    }
  }

  // Materialize registry defaults of absent optional parameters (as coremltools does).
  for (const ParamSpec& spec : sig->params) {
    if (op.inputs.count(spec.name) || !spec.optional || !spec.has_literal_default()) continue;
    DType bound = DType::kInvalid;
    if (!spec.type_var.empty()) {
      for (const ParamSpec& other : sig->params) {
        if (other.type_var != spec.type_var || !op.inputs.count(other.name)) continue;
        const Argument& arg = op.inputs[other.name].front();
        if (arg.is_literal()) {
          bound = arg.literal->type.tensor.dtype;
        } else if (const TypeEnv::Entry* e = env_.Find(arg.name)) {
          bound = e->type.tensor.dtype;
        }
      }
    }
    std::optional<Literal> lit = DefaultLiteral(spec, bound);
    if (!lit) {
      Fail(Internal("op ", op.name, " (", type, "): cannot materialize default '", *spec.default_text,
                    "' of parameter '", spec.name, "'"));
      return {};
    }
    if (sig->is_constexpr()) {
      op.inputs[spec.name].push_back(Argument::Lit(std::move(*lit)));
    } else {
      Value c = MaterializeConst(op.name, spec.name, std::move(*lit));
      if (!c.valid()) return {};
      op.inputs[spec.name].push_back(Argument::Ref(c.name));
    }
  }

  Status st = ValidateOperation(op, env_);
  if (!st.ok()) {
    Fail(st);
    return {};
  }
  auto types = InferOutputTypes(op, env_);
  if (!types.ok()) {
    Fail(types.status());
    return {};
  }
  std::vector<Value> values;
  for (size_t i = 0; i < types->size(); ++i) {
    std::string name = types->size() == 1 ? op.name : op.name + "_" + std::to_string(i);
    if (types->size() > 1) {
      if (used_names_.count(name)) {
        Fail(InvalidArgument("op ", op.name, " (", type, "): output name '", name, "' is already used"));
        return {};
      }
      used_names_.insert(name);
    }
    op.outputs.push_back(NamedValueType{name, (*types)[i]});
    values.push_back(Value{name, (*types)[i]});
  }
  env_.DefineOutputs(op);
  last_op_ = function_.block.operations.size();
  last_op_consts_ = std::move(pending_consts_);
  pending_consts_.clear();
  function_.block.operations.push_back(std::move(op));
  return values;
}

Value FunctionBuilder::Op1(const std::string& type,
                           const std::vector<std::pair<std::string, std::vector<Operand>>>& params) {
  std::vector<Value> out = Op(type, params);
  if (out.empty()) return Value();
  if (out.size() != 1) {
    Fail(InvalidArgument("op ", type, " has ", out.size(), " outputs, expected 1"));
    return Value();
  }
  return out[0];
}

Value FunctionBuilder::Const(Literal value) {
  if (!status_.ok()) return Value();
  Operation op;
  op.type = "const";
  op.name = AutoOpName("const");
  op.outputs.push_back(NamedValueType{op.name, value.type});
  op.attributes.emplace("val", std::move(value));
  Status st = ValidateOperation(op, env_);
  if (!st.ok()) {
    Fail(st);
    return Value();
  }
  used_names_.insert(op.name);
  Value v{op.name, op.outputs[0].type};
  env_.DefineOutputs(op);
  last_op_ = function_.block.operations.size();
  last_op_consts_.clear();
  function_.block.operations.push_back(std::move(op));
  return v;
}

Value FunctionBuilder::Name(const std::string& name, const Value& value) {
  std::vector<Value> renamed = Name(name, std::vector<Value>{value});
  return renamed.empty() ? Value() : renamed[0];
}

std::vector<Value> FunctionBuilder::Name(const std::string& name, const std::vector<Value>& values) {
  if (!status_.ok()) return {};
  if (values.empty() || !values[0].valid()) {
    Fail(InvalidArgument("Name('", name, "'): the value is invalid"));
    return {};
  }
  if (last_op_ >= function_.block.operations.size() ||
      function_.block.operations[last_op_].outputs.empty() ||
      function_.block.operations[last_op_].outputs[0].name != values[0].name) {
    Fail(InvalidArgument("Name('", name, "'): value '", values[0].name,
                         "' is not the output of the most recent op"));
    return {};
  }
  Operation& op = function_.block.operations[last_op_];
  if (name == op.name) return values;
  if (!IsValidIdentifier(name)) {
    Fail(InvalidArgument("op name '", name, "' (", op.type, ") is not a valid identifier"));
    return {};
  }
  // New names: the op, its outputs, then its consts.
  std::vector<std::string> out_names;
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    out_names.push_back(op.outputs.size() == 1 ? name : name + "_" + std::to_string(i));
  }
  out_names.push_back(name);
  for (const std::string& n : out_names) {
    if (used_names_.count(n)) {
      Fail(InvalidArgument("op name '", name, "' (", op.type, ") is already used"));
      return {};
    }
  }
  out_names.pop_back();
  used_names_.erase(op.name);
  for (NamedValueType& out : op.outputs) {
    used_names_.erase(out.name);
    env_.Erase(out.name);
  }
  op.name = name;
  used_names_.insert(name);
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    op.outputs[i].name = out_names[i];
    used_names_.insert(out_names[i]);
  }
  for (const auto& [index, label] : last_op_consts_) {
    Operation& c = function_.block.operations[index];
    const std::string old = c.name;
    used_names_.erase(old);
    env_.Erase(old);
    c.name = UniqueName(name + "_" + label);
    c.outputs[0].name = c.name;
    used_names_.insert(c.name);
    env_.DefineOutputs(c);
    for (auto& [param, args] : op.inputs) {
      for (Argument& a : args) {
        if (!a.is_literal() && a.name == old) a.name = c.name;
      }
    }
  }
  env_.DefineOutputs(op);
  std::vector<Value> renamed;
  for (const NamedValueType& out : op.outputs) renamed.push_back(Value{out.name, out.type});
  return renamed;
}

void FunctionBuilder::Output(const Value& value) {
  if (!status_.ok()) return;
  if (!value.valid()) {
    Fail(InvalidArgument("block output is an invalid value"));
    return;
  }
  function_.block.outputs.push_back(value.name);
}

Result<Function> FunctionBuilder::Finish() {
  if (finished_) return Internal("build ", function_name_, ": Finish() called twice");
  if (!status_.ok()) return status_;
  finished_ = true;
  if (function_.block.outputs.empty()) {
    return InvalidArgument("build ", function_name_, ": function has no outputs");
  }
  Status st = ValidateFunction(function_name_, function_);
  if (!st.ok()) {
    // "function main: <what>" -> "build main: <what>", like the errors of single ops.
    const std::string prefix = "function " + function_name_ + ": ";
    std::string what = st.message();
    if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
    return Status(st.code(), StrCat("build ", function_name_, ": ", what));
  }
  return std::move(function_);
}

}  // namespace anemll::mil
