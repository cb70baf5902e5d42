// `anemll exec PKG [--function F] --inputs IN.safetensors --out OUT.safetensors
//   [--state-in S.safetensors] [--state-out S.safetensors] [--precision fp16|fp32] [--threads N]`:
// runs one function of an .mlpackage on the CPU. Inputs are read by feature name (F32/F16/I32
// tensors); outputs are written as F32 (floats) / I32 (integers), states after the run as F32.
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "cli/command.h"
#include "mil/coreml/package.h"
#include "runtime/executable.h"
#include "runtime/tensor_io.h"

namespace anemll::cli {
namespace {

struct ExecOptions {
  std::string package;
  std::string function;
  std::string inputs;
  std::string out;
  std::string state_in;
  std::string state_out;
  std::string precision = "fp16";
  int threads = 1;
};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

Status Exec(const ExecOptions& o) {
  runtime::Options options;
  ANEMLL_ASSIGN_OR_RETURN(options.precision, ParsePrecision(o.precision));
  if (o.threads < 1) return InvalidArgument("--threads: ", o.threads, " is not a positive number");
  options.threads = o.threads;

  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, mil::coreml::ReadPackage(o.package));
  std::string function = o.function;
  if (function.empty()) {
    function = model.description.default_function_name;
    if (function.empty()) function = model.program.functions.size() == 1 ? model.program.functions.begin()->first : "main";
  }
  ANEMLL_ASSIGN_OR_RETURN(auto exe, runtime::Executable::Compile(model, function, options));

  ANEMLL_ASSIGN_OR_RETURN(auto file_inputs, runtime::ReadTensors(o.inputs));
  std::map<std::string, runtime::Tensor> inputs;
  for (const std::string& name : exe->input_names()) {
    auto it = file_inputs.find(name);
    if (it == file_inputs.end()) {
      return NotFound(o.inputs, ": no tensor named '", name, "' (inputs of function ", function, ": ",
                      JoinNames(exe->input_names()), ")");
    }
    inputs.emplace(name, std::move(it->second));
  }

  runtime::StateStore states;
  const bool fp16 = options.precision == runtime::Precision::kFp16;
  if (!o.state_in.empty()) {
    ANEMLL_ASSIGN_OR_RETURN(auto file_states, runtime::ReadTensors(o.state_in));
    for (auto& [name, tensor] : file_states) {
      const auto& names = exe->state_names();
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        return InvalidArgument(o.state_in, ": tensor '", name, "' is not a state of function ", function,
                               " (states: ", JoinNames(names), ")");
      }
      Status st = states.Write(name, tensor, fp16);
      if (!st.ok()) return st.WithContext(o.state_in);
    }
  }

  std::map<std::string, runtime::Tensor> outputs;
  ANEMLL_RETURN_IF_ERROR(exe->Run(inputs, states, &outputs));
  ANEMLL_RETURN_IF_ERROR(runtime::WriteTensors(o.out, outputs));
  if (!o.state_out.empty()) {
    std::map<std::string, runtime::Tensor> after;
    for (const std::string& name : exe->state_names()) {
      ANEMLL_ASSIGN_OR_RETURN(runtime::Tensor t, states.Read(name));
      after.emplace(name, std::move(t));
    }
    ANEMLL_RETURN_IF_ERROR(runtime::WriteTensors(o.state_out, after));
  }
  return Status::Ok();
}

CommandRegistrar registrar(
    "exec", "Run one function of an .mlpackage on the CPU with inputs from a safetensors file",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<ExecOptions>();
      sub->add_option("package", opt->package, "Path of the .mlpackage")->required();
      sub->add_option("--function", opt->function, "Function to run (default: the package's default function)");
      sub->add_option("--inputs", opt->inputs, "safetensors file with one tensor per input feature")->required();
      sub->add_option("--out", opt->out, "safetensors file to write the outputs to")->required();
      sub->add_option("--state-in", opt->state_in, "safetensors file with initial state values (default: zeros)");
      sub->add_option("--state-out", opt->state_out, "safetensors file to write the states to after the run");
      sub->add_option("--precision", opt->precision, "fp16 (ANE-like, default) or fp32");
      sub->add_option("--threads", opt->threads, "Threads for the matrix kernels (default 1)");
      return [opt] {
        const Status st = Exec(*opt);
        return st.ok() ? 0 : Fail("exec", st);
      };
    });

}  // namespace
}  // namespace anemll::cli
