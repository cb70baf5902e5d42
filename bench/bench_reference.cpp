// Throughput of the fp32 reference: decode and prefill tokens/s on stories260K (or the HF
// checkpoint named by ANEMLL_BENCH_MODEL), and its matmul against the scalar twin.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "base/thread_pool.h"
#include "hf/checkpoint.h"
#include "reference/model.h"
#include "reference/ops.h"
#include "reference/session.h"

namespace anemll::reference {
namespace {

std::filesystem::path BenchModelDir() {
  if (const char* env = std::getenv("ANEMLL_BENCH_MODEL")) return env;
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "tests" / "fixtures" / "models" /
         "stories260K";
}

struct Loaded {
  std::unique_ptr<hf::Checkpoint> checkpoint;
  std::unique_ptr<Model> model;
};

const Loaded* GetModel() {
  static Loaded* loaded = [] {
    auto* l = new Loaded();
    auto ckpt = hf::Checkpoint::Open(BenchModelDir());
    if (!ckpt.ok()) return l;
    l->checkpoint = std::make_unique<hf::Checkpoint>(std::move(ckpt).value());
    auto model = Model::Load(*l->checkpoint);
    if (model.ok()) l->model = std::move(model).value();
    return l;
  }();
  return loaded;
}

// Greedy decode of 128 tokens after a 5-token prompt; items = decoded tokens.
void BM_ReferenceDecode(benchmark::State& state) {
  const Loaded* l = GetModel();
  if (!l->model) {
    state.SkipWithError("cannot load the benchmark model");
    return;
  }
  SessionOptions so;
  so.num_threads = static_cast<int>(state.range(0));
  Session session(*l->model, so);
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  constexpr int kSteps = 128;
  for (auto _ : state) {
    session.Reset();
    auto logits = session.Forward(prompt);
    for (int i = 0; i < kSteps && logits.ok(); ++i) {
      const auto last = logits->last();
      const int32_t next[] = {static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin())};
      logits = session.Forward(next);
    }
    benchmark::DoNotOptimize(logits);
  }
  state.SetItemsProcessed(state.iterations() * kSteps);
}
BENCHMARK(BM_ReferenceDecode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Teacher-forced forward of 128 tokens; items = tokens.
void BM_ReferencePrefill(benchmark::State& state) {
  const Loaded* l = GetModel();
  if (!l->model) {
    state.SkipWithError("cannot load the benchmark model");
    return;
  }
  SessionOptions so;
  so.num_threads = static_cast<int>(state.range(0));
  Session session(*l->model, so);
  std::vector<int32_t> tokens(128);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 37 + 11) % l->model->spec().vocab_size);
  for (auto _ : state) {
    session.Reset();
    auto logits = session.Forward(tokens, Session::LogitsMode::kLast);
    benchmark::DoNotOptimize(logits);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(tokens.size()));
}
BENCHMARK(BM_ReferencePrefill)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// y = x W^T with W [1024, 1024]; range(0) = rows of x. items = multiply-adds.
void MatMulBench(benchmark::State& state, bool scalar) {
  const int64_t rows = state.range(0), n = 1024;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> x(static_cast<size_t>(rows * n)), w(static_cast<size_t>(n * n)), y(static_cast<size_t>(rows * n));
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = dist(rng);
  for (auto _ : state) {
    if (scalar) {
      MatMulTransposedScalar(x.data(), rows, n, w.data(), n, nullptr, y.data());
    } else {
      MatMulTransposed(x.data(), rows, n, w.data(), n, nullptr, y.data(), nullptr);
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * rows * n * n);
}
void BM_MatMulBlocked(benchmark::State& state) { MatMulBench(state, false); }
void BM_MatMulScalar(benchmark::State& state) { MatMulBench(state, true); }
BENCHMARK(BM_MatMulBlocked)->Arg(1)->Arg(16);
BENCHMARK(BM_MatMulScalar)->Arg(1)->Arg(16);

}  // namespace
}  // namespace anemll::reference

BENCHMARK_MAIN();
