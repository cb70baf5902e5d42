// Time of one Run of a package function through the executor (e.g. the `infer` function of an
// FFN chunk written by `anemll convert`), with deterministic inputs: floats ~N(0,1) rounded to
// fp16, integer inputs = --position, and any input named like a mask filled with the causal
// mask row(s) for that position (0 for columns <= position + row, -inf after).
//
//   ANEMLL_BENCH_PACKAGE=out/qwen_FFN_PF_chunk_01of01.mlpackage ANEMLL_BENCH_FUNCTION=infer
//   ANEMLL_BENCH_POSITION=100 build/bench/bench_kernels_exec --benchmark_counters_tabular=true
//   (the three variables in the environment of one command)
//
// Without ANEMLL_BENCH_PACKAGE the benchmark reports an error and does nothing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "base/half.h"
#include "mil/coreml/package.h"
#include "runtime/executable.h"

namespace anemll::runtime {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::map<std::string, Tensor> MakeInputs(const Executable& e, int64_t position) {
  std::map<std::string, Tensor> in;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (size_t i = 0; i < e.input_names().size(); ++i) {
    const std::string& name = e.input_names()[i];
    const mil::TensorType& t = e.input_type(i);
    std::vector<int64_t> shape = t.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    if (mil::IsFloat(t.dtype)) {
      std::vector<float> v(static_cast<size_t>(n));
      if (name.find("mask") != std::string::npos && !shape.empty()) {
        const int64_t cols = shape.back();
        for (int64_t j = 0; j < n; ++j) v[j] = (j % cols) <= position + (j / cols) ? 0.0f : -INFINITY;
      } else {
        for (auto& x : v) x = RoundToHalf(nd(rng));
      }
      in.emplace(name, Tensor::FromFloats(t.dtype == mil::DType::kFp16 ? mil::DType::kFp16 : mil::DType::kFp32,
                                          shape, v));
    } else {
      in.emplace(name, Tensor::FromInts(mil::DType::kInt32, shape,
                                        std::vector<int32_t>(static_cast<size_t>(n), static_cast<int32_t>(position))));
    }
  }
  return in;
}

// Arguments: {threads, precision (0 = fp16, 1 = fp32)}
void BM_Exec(benchmark::State& state) {
  const std::string pkg = Env("ANEMLL_BENCH_PACKAGE", "");
  if (pkg.empty()) {
    state.SkipWithError("set ANEMLL_BENCH_PACKAGE to an .mlpackage");
    return;
  }
  auto model = mil::coreml::ReadPackage(pkg);
  if (!model.ok()) {
    state.SkipWithError(model.status().message().c_str());
    return;
  }
  std::string fn = Env("ANEMLL_BENCH_FUNCTION", "");
  if (fn.empty()) fn = model->description.default_function_name.empty() ? "main" : model->description.default_function_name;
  Options opt;
  opt.threads = static_cast<int>(state.range(0));
  opt.precision = state.range(1) == 0 ? Precision::kFp16 : Precision::kFp32;
  auto exe = Executable::Compile(*model, fn, opt);
  if (!exe.ok()) {
    state.SkipWithError(exe.status().message().c_str());
    return;
  }
  const int64_t position = std::atoll(Env("ANEMLL_BENCH_POSITION", "0").c_str());
  const std::map<std::string, Tensor> inputs = MakeInputs(**exe, position);
  std::vector<const Tensor*> ordered;
  for (const auto& name : (*exe)->input_names()) ordered.push_back(&inputs.at(name));
  StateStore states;
  std::vector<Tensor> outputs;
  for (auto _ : state) {
    const Status st = (*exe)->Run(ordered, states, &outputs);
    if (!st.ok()) {
      state.SkipWithError(st.message().c_str());
      break;
    }
  }
}

BENCHMARK(BM_Exec)->ArgNames({"threads", "fp32"})->Args({1, 0})->Args({2, 0})->Args({1, 1})->UseRealTime()->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace anemll::runtime

BENCHMARK_MAIN();
