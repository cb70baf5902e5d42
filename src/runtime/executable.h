// Executes one function of an ML Program on the CPU.
//
// Compile() checks the function once; the first Run() with a given set of input shapes builds a
// plan for them (value slots, constants bound in place — fp16 weights stay fp16, palettized
// weights stay packed and feed fused LUT kernels —, shapes inferred and checked against the
// program's declared types, constant subgraphs folded, one buffer arena sized by liveness) and
// caches it; later Runs with the same shapes reuse it without allocating per op.
//
// Precision::kFp16 behaves like the ANE: every fp16-typed value is stored as fp16 (each op's
// result is rounded to fp16) while matmul/conv/softmax/reductions accumulate in fp32 inside the
// op. Precision::kFp32 computes and stores fp16-typed values in fp32 (fp16 constants and inputs
// are widened exactly) to check the graph itself. fp32-typed values are fp32 in both modes.
//
// Not thread-safe: one Run at a time per Executable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mil/ir.h"
#include "runtime/state_store.h"
#include "runtime/tensor.h"

namespace anemll::runtime {

enum class Precision { kFp16, kFp32 };

const char* PrecisionName(Precision p);

// How activations meet weights palettized with a LUT. kExact multiplies the fp32 palette values
// (the reference, in either precision). kInt8 uses the int8 dot-product kernels of
// kernels/lut_int8.h (int8 palettes, activations quantized per 128 columns, int32 sums, like
// llama.cpp's Q4_0 x Q8_0) in decode and prefill, for the weights this CPU has such a kernel for;
// the others stay exact.
enum class LutDot { kExact, kInt8 };

const char* LutDotName(LutDot d);

struct Options {
  Precision precision = Precision::kFp16;
  LutDot lut_dot = LutDot::kExact;
  int threads = 1;            // threads for the big kernels (counting the caller)
  ThreadPool* pool = nullptr;  // share a pool instead (overrides `threads`); must outlive the Executable
  // Run op chains such as the ANE's RMSNorm as single steps (runtime/op_fusion.h). The results are
  // the same bit for bit; off is for checking exactly that.
  bool fuse_ops = true;
};

namespace internal {
struct Plan;
class PlanCache;
}  // namespace internal

class Executable {
 public:
  // Compiles function `function` of `model` (its description, when present, adds the allowed
  // input shapes: enumerated shapes and ranges).
  static Result<std::unique_ptr<Executable>> Compile(const mil::Model& model, const std::string& function,
                                                     const Options& options = {});
  // Compiles a bare function (no description).
  static Result<std::unique_ptr<Executable>> Compile(const mil::Function& function, const std::string& name,
                                                     const Options& options = {});
  ~Executable();

  const std::string& name() const { return name_; }
  Precision precision() const { return options_.precision; }
  // Tensor inputs in declared order, outputs in block order, state inputs in declared order.
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  const std::vector<std::string>& state_names() const { return state_names_; }
  // Declared type of input i (unknown dims = kUnknownDim).
  const mil::TensorType& input_type(size_t i) const { return input_types_[i]; }

  // Runs with inputs by name; fills `outputs` by name (fp16-typed outputs come back as fp16
  // tensors in fp16 precision and as fp32 tensors in fp32 precision; integer outputs as int32).
  Status Run(const std::map<std::string, Tensor>& inputs, StateStore& states, std::map<std::string, Tensor>* outputs);
  // Same with inputs in input_names() order and outputs in output_names() order (existing
  // output tensors of the right type and shape are reused).
  Status Run(const std::vector<const Tensor*>& inputs, StateStore& states, std::vector<Tensor>* outputs);

  // Builds (or finds) the plan for these input shapes ahead of the first Run.
  Status Prepare(const std::vector<std::vector<int64_t>>& input_shapes);

 private:
  Executable() = default;
  Status Init(const mil::Function& function, const std::string& name, const Options& options,
              const mil::FunctionDescription* description);
  Status CheckInputShape(size_t i, const std::vector<int64_t>& shape) const;
  Result<internal::Plan*> PlanFor(const std::vector<std::vector<int64_t>>& shapes);

  std::string name_;
  Options options_;
  std::shared_ptr<const mil::Function> function_;
  std::vector<std::string> input_names_;
  std::vector<mil::TensorType> input_types_;
  std::vector<std::vector<std::vector<int64_t>>> enumerated_shapes_;            // per input, may be empty
  std::vector<std::vector<std::pair<int64_t, int64_t>>> shape_ranges_;          // per input, may be empty
  std::vector<std::string> output_names_;
  std::vector<std::string> state_names_;
  std::unique_ptr<ThreadPool> own_pool_;
  ThreadPool* pool_ = nullptr;
  std::unique_ptr<internal::PlanCache> plans_;
  std::vector<std::vector<int64_t>> shape_scratch_;
};

}  // namespace anemll::runtime
