#include "mil/ane_rules.h"

#include "mil/op_table.h"
#include "mil/printer.h"

namespace anemll::mil {
namespace {

// Ops ane_profiler reports on the CPU whatever their operand types.
bool AlwaysOnCpu(const std::string& type) { return type == "gather" || type == "while_loop" || type == "cond"; }

void AddReason(OpPlacement* p, std::string reason) {
  for (const std::string& r : p->reasons) {
    if (r == reason) return;
  }
  p->reasons.push_back(std::move(reason));
}

void CheckTensor(const std::string& what, const ValueType& type, OpPlacement* p) {
  const TensorType& t = type.tensor;
  if (t.unknown_rank) {
    AddReason(p, StrCat(what, " has unknown rank (dynamic shape)"));
    return;
  }
  for (int64_t d : t.shape) {
    if (d < 0) {
      AddReason(p, StrCat(what, " ", FormatType(type), " has a dynamic shape"));
    } else if (d > kAneMaxDim) {
      AddReason(p, StrCat(what, " ", FormatType(type), " has dim ", d, " > ", kAneMaxDim, " (ANE limit)"));
    }
  }
  if (type.kind == ValueType::Kind::kState && t.rank() >= 2 && t.shape[t.rank() - 2] >= 0 &&
      t.shape[t.rank() - 2] < kAneMinStateLength) {
    AddReason(p, StrCat(what, " ", FormatType(type), " holds ", t.shape[t.rank() - 2], " positions < ",
                        kAneMinStateLength, " (ANE minimum state length)"));
  }
}

}  // namespace

const char* PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kAne: return "ANE";
    case Placement::kCpu: return "CPU";
    case Placement::kConst: return "const";
  }
  return "?";
}

OpPlacement CheckAnePlacement(const Operation& op, const TypeEnv& env) {
  OpPlacement p{op.name, op.type, Placement::kAne, {}};
  const OpSignature* sig = FindOp(op.type);
  if (op.type == "const" || (sig && sig->is_constexpr())) {
    p.placement = Placement::kConst;
    return p;
  }
  if (!sig) AddReason(&p, StrCat("op type '", op.type, "' is not an iOS18 MIL op"));
  if (AlwaysOnCpu(op.type)) AddReason(&p, StrCat(op.type, " runs on the CPU (ane_profiler fallback)"));

  for (const auto& [param, args] : op.inputs) {
    const ParamSpec* spec = sig ? sig->Param(param) : nullptr;
    for (const Argument& a : args) {
      const ValueType* type = nullptr;
      if (a.is_literal()) {
        if (a.literal) type = &a.literal->type;
      } else if (const TypeEnv::Entry* e = env.Find(a.name)) {
        if (e->is_const) continue;  // weights and parameters are not runtime tensors
        type = &e->type;
      }
      if (!type) continue;
      CheckTensor(StrCat("input '", param, "'"), *type, &p);
      // Integer data means integer arithmetic, which stays on the CPU. Index and shape
      // parameters (begin, indices, shape, reps: domains without a float) do not count.
      bool data_param = !spec || spec->dtypes.empty();
      for (DType d : spec ? spec->dtypes : std::vector<DType>{}) data_param = data_param || IsFloat(d);
      if (data_param && type->kind == ValueType::Kind::kTensor && IsInteger(type->tensor.dtype)) {
        AddReason(&p, StrCat("integer ", op.type, " (", DTypeName(type->tensor.dtype), " input '", param, "')"));
      }
    }
  }
  for (const NamedValueType& out : op.outputs) {
    CheckTensor(StrCat("output '", out.name, "'"), out.type, &p);
    if (op.type == "cast" && IsInteger(out.type.tensor.dtype)) {
      AddReason(&p, StrCat("cast to ", DTypeName(out.type.tensor.dtype), " (integer casts run on the CPU)"));
    }
  }
  if (!p.reasons.empty()) p.placement = Placement::kCpu;
  return p;
}

double FunctionPlacement::ane_fraction() const {
  const int executable = ane_ops + cpu_ops;
  return executable == 0 ? 1.0 : static_cast<double>(ane_ops) / executable;
}

Result<FunctionPlacement> AnalyzeAnePlacement(const Function& function) {
  FunctionPlacement result;
  TypeEnv env = TypeEnv::ForFunction(function);
  for (const NamedValueType& in : function.inputs) {
    if (in.type.kind != ValueType::Kind::kState) continue;
    OpPlacement probe;
    CheckTensor(StrCat("state '", in.name, "'"), in.type, &probe);
    for (std::string& r : probe.reasons) result.issues.push_back(std::move(r));
  }
  for (const Operation& op : function.block.operations) {
    for (const auto& [param, args] : op.inputs) {
      for (const Argument& a : args) {
        if (!a.is_literal() && !env.Contains(a.name)) {
          return InvalidArgument("op ", op.name, " (", op.type, "): input '", param,
                                 "' refers to undefined value '", a.name, "'");
        }
      }
    }
    OpPlacement p = CheckAnePlacement(op, env);
    switch (p.placement) {
      case Placement::kAne: ++result.ane_ops; break;
      case Placement::kCpu: ++result.cpu_ops; break;
      case Placement::kConst: ++result.const_ops; break;
    }
    result.ops.push_back(std::move(p));
    env.DefineOutputs(op);
  }
  return result;
}

const char* CoverageGrade(double ane_fraction) {
  if (ane_fraction > 0.95) return "excellent";
  if (ane_fraction >= 0.80) return "good";
  if (ane_fraction >= 0.50) return "mixed";
  return "poor";
}

}  // namespace anemll::mil
