// Whether an op would run on the Apple Neural Engine, and why not. Only rules with a documented
// source are encoded (ANEMLL 0.3.5 research notes, sections 4.8 and 7.5):
// * a tensor dim above 16384 does not fit the ANE (LM head slicing, RoPE table note);
// * a state shorter than 256 positions is below the ANE minimum (Gemma3 check);
// * ane_profiler lists int casts (of current_pos), select, gather and greater_equal among the
//   ops that fall back to the CPU: integer arithmetic and gathers leave the ANE;
// * ANE plans use static shapes (fixed cache length, static prefill batches): unknown dims
//   leave it too;
// * const and constexpr ops are not executed (folded when the model loads).
// It backs `anemll profile --analyze`; Core ML's real compute plan can differ.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"
#include "mil/type_inference.h"

namespace anemll::mil {

constexpr int64_t kAneMaxDim = 16384;
constexpr int64_t kAneMinStateLength = 256;

enum class Placement : uint8_t { kAne, kCpu, kConst };
const char* PlacementName(Placement placement);  // "ANE", "CPU", "const"

struct OpPlacement {
  std::string op_name;
  std::string op_type;
  Placement placement = Placement::kAne;
  std::vector<std::string> reasons;  // why the op leaves the ANE (empty otherwise)
};

// The placement of one op; `env` gives the types of its inputs (its outputs are read from the op).
OpPlacement CheckAnePlacement(const Operation& op, const TypeEnv& env);

struct FunctionPlacement {
  std::vector<OpPlacement> ops;       // in block order
  std::vector<std::string> issues;    // function-level (states)
  int ane_ops = 0, cpu_ops = 0, const_ops = 0;

  // Share of executable (non-const) ops on the ANE, in [0, 1]; 1 when there are none.
  double ane_fraction() const;
};

// Every op of a function. Fails if an op reference is undefined.
Result<FunctionPlacement> AnalyzeAnePlacement(const Function& function);

// ane_profiler's coverage guide: > 95% "excellent", 80-95% "good", 50-80% "mixed", else "poor".
const char* CoverageGrade(double ane_fraction);

}  // namespace anemll::mil
