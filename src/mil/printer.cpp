#include "mil/printer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "base/half.h"
#include "base/status.h"
#include "mil/op_table.h"

namespace anemll::mil {
namespace {

// Literals with more elements than this print as a reference or byte count.
constexpr int64_t kMaxInlineElements = 16;

// Rounds to the precision of a float dtype.
double RoundTo(DType dtype, double v) {
  switch (dtype) {
    case DType::kFp16: return RoundToHalf(static_cast<float>(v));
    case DType::kBf16: return Bf16ToFloat(FloatToBf16(static_cast<float>(v)));
    case DType::kFp32: return static_cast<float>(v);
    default: return v;
  }
}

// Shortest text that reads back as the same value of `dtype` (0.3535 for the fp16 0.353515625).
std::string FormatNumber(DType dtype, double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (RoundTo(dtype, std::strtod(buf, nullptr)) == v) break;
  }
  return buf;
}

std::string FormatElement(const Literal& lit, int64_t i) {
  const DType dtype = lit.type.tensor.dtype;
  if (dtype == DType::kBool) return lit.GetInt(i) ? "true" : "false";
  if (IsFloat(dtype)) return FormatNumber(dtype, lit.GetDouble(i));
  return std::to_string(lit.GetInt(i));
}

std::string Quoted(const std::string& s) { return StrCat("\"", s, "\""); }

std::string FormatArgument(const Argument& arg) {
  if (!arg.is_literal()) return arg.name;
  if (!arg.literal) return "<empty>";
  const Literal& lit = *arg.literal;
  const int64_t n = lit.num_elements();
  if (lit.blob) return StrCat("<", FormatType(lit.type), " blob@", lit.blob->offset, ">");
  if (n >= 0 && n <= kMaxInlineElements) return FormatLiteral(lit);
  return StrCat("<", FormatType(lit.type), " ", lit.data ? lit.data->size() : 0, " bytes>");
}

void PrintOperation(const Operation& op, std::string* out) {
  *out += "  ";
  const bool named_like_output = op.outputs.size() == 1 && op.outputs[0].name == op.name;
  if (op.type == "const") {
    *out += named_like_output ? std::string("const ") : StrCat("const[", op.name, "] ");
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      if (i) *out += ", ";
      *out += FormatType(op.outputs[i].type) + " " + op.outputs[i].name;
    }
    auto val = op.attributes.find("val");
    *out += " = " + (val == op.attributes.end() ? std::string("<missing val>") : FormatLiteral(val->second));
    *out += "\n";
    return;
  }
  if (op.outputs.size() == 1) {
    *out += FormatType(op.outputs[0].type) + " " + op.outputs[0].name + " = ";
  } else if (op.outputs.size() > 1) {
    *out += "(";
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      if (i) *out += ", ";
      *out += FormatType(op.outputs[i].type) + " " + op.outputs[i].name;
    }
    *out += ") = ";
  }
  *out += op.type;
  if (!named_like_output) *out += StrCat("[", op.name, "]");
  *out += "(";
  // Parameters in signature order, then any others (unknown to the table) by name.
  std::vector<std::string> order;
  std::set<std::string> listed;
  if (const OpSignature* sig = FindOp(op.type)) {
    for (const ParamSpec& p : sig->params) {
      if (op.inputs.count(p.name) || op.attributes.count(p.name)) {
        order.push_back(p.name);
        listed.insert(p.name);
      }
    }
  }
  for (const auto& [name, args] : op.inputs) {
    if (listed.insert(name).second) order.push_back(name);
  }
  for (const auto& [name, lit] : op.attributes) {
    if (listed.insert(name).second) order.push_back(name);
  }
  bool first = true;
  for (const std::string& name : order) {
    if (!first) *out += ", ";
    first = false;
    *out += name + "=";
    auto in = op.inputs.find(name);
    if (in == op.inputs.end()) {
      *out += FormatLiteral(op.attributes.at(name));  // iOS16/17 constexpr parameters
      continue;
    }
    const bool tuple = in->second.size() != 1 || name == "values";
    if (tuple) *out += "(";
    for (size_t i = 0; i < in->second.size(); ++i) {
      if (i) *out += ", ";
      *out += FormatArgument(in->second[i]);
    }
    if (tuple) *out += ")";
  }
  *out += ")";
  if (!op.blocks.empty()) *out += StrCat(" { ", op.blocks.size(), " nested block(s) }");
  *out += "\n";
}

}  // namespace

std::string FormatTensorType(const TensorType& type) {
  std::string s = DTypeName(type.dtype);
  if (type.unknown_rank) return s + "[*]";
  if (type.shape.empty()) return s;
  s += "[";
  for (size_t i = 0; i < type.shape.size(); ++i) {
    if (i) s += ",";
    s += type.shape[i] < 0 ? std::string("?") : std::to_string(type.shape[i]);
  }
  return s + "]";
}

std::string FormatType(const ValueType& type) {
  switch (type.kind) {
    case ValueType::Kind::kState: return StrCat("state<", FormatTensorType(type.tensor), ">");
    case ValueType::Kind::kDict: return StrCat("dict<string, ", FormatTensorType(type.tensor), ">");
    case ValueType::Kind::kTensor: break;
  }
  return FormatTensorType(type.tensor);
}

std::string FormatLiteral(const Literal& lit) {
  if (lit.type.kind == ValueType::Kind::kDict) {
    std::string s = "{";
    for (size_t i = 0; i < lit.string_dict.size(); ++i) {
      if (i) s += ", ";
      s += Quoted(lit.string_dict[i].first) + ": " + Quoted(lit.string_dict[i].second);
    }
    return s + "}";
  }
  const TensorType& t = lit.type.tensor;
  const int64_t n = lit.num_elements();
  if (t.dtype == DType::kString) {
    if (lit.strings.size() == 1 && t.is_scalar()) return Quoted(lit.strings[0]);
    std::string s = "[";
    for (size_t i = 0; i < lit.strings.size(); ++i) s += (i ? ", " : "") + Quoted(lit.strings[i]);
    return s + "]";
  }
  if (lit.blob) return StrCat("blob@", lit.blob->offset);
  if (n < 0 || n > kMaxInlineElements) return StrCat("<", lit.data ? lit.data->size() : 0, " bytes>");
  const uint64_t need = (static_cast<uint64_t>(n) * DTypeBits(t.dtype) + 7) / 8;
  if (n > 0 && (!lit.data || lit.data->size() < need)) {
    return StrCat("<", lit.data ? lit.data->size() : 0, " bytes, ", need, " expected>");
  }
  if (t.is_scalar()) return FormatElement(lit, 0);
  std::string s = "[";
  for (int64_t i = 0; i < n; ++i) s += (i ? ", " : "") + FormatElement(lit, i);
  return s + "]";
}

std::string PrintFunction(const std::string& name, const Function& function) {
  std::string out = StrCat("func ", name, "(");
  for (size_t i = 0; i < function.inputs.size(); ++i) {
    if (i) out += ", ";
    out += FormatType(function.inputs[i].type) + " " + function.inputs[i].name;
  }
  out += ") {\n";
  for (const Operation& op : function.block.operations) PrintOperation(op, &out);
  out += "} -> (";
  for (size_t i = 0; i < function.block.outputs.size(); ++i) {
    if (i) out += ", ";
    out += function.block.outputs[i];
  }
  out += ")\n";
  return out;
}

std::string PrintProgram(const Program& program) {
  std::string out;
  for (const auto& [name, fn] : program.functions) {
    if (!out.empty()) out += "\n";
    out += PrintFunction(name, fn);
  }
  return out;
}

}  // namespace anemll::mil
