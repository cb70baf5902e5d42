// LUT palettization throughput on bf16-like weights (values rounded to fp16 after a bf16 round,
// as checkpoint weights are): FFN-sized matrices at LUT4 group 8 and an LM-head slice at LUT6.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "quant/palettize.h"

namespace {

std::vector<uint16_t> Bf16LikeWeights(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.0346f, 0.0346f);
  std::vector<uint16_t> w(static_cast<size_t>(rows * cols));
  for (uint16_t& h : w) h = anemll::FloatToHalf(anemll::Bf16ToFloat(anemll::FloatToBf16(u(rng))));
  return w;
}

// args: rows, cols, bits, threads
void BM_PalettizeGrouped(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const int bits = static_cast<int>(state.range(2));
  anemll::ThreadPool pool(static_cast<int>(state.range(3)));
  const std::vector<uint16_t> w = Bf16LikeWeights(rows, cols, 1);
  anemll::quant::MatrixView view{w.data(), anemll::quant::ValueType::kF16, rows, cols};
  for (auto _ : state) {
    auto r = anemll::quant::Palettize(view, {bits, 8}, &pool);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_PalettizeGrouped)->Args({3072, 1024, 4, 1})->Args({3072, 1024, 4, 2})->Args({9496, 1024, 6, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PalettizePerTensor(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  anemll::ThreadPool pool(2);
  const std::vector<uint16_t> w = Bf16LikeWeights(rows, cols, 2);
  anemll::quant::MatrixView view{w.data(), anemll::quant::ValueType::kF16, rows, cols};
  for (auto _ : state) {
    auto r = anemll::quant::Palettize(view, {static_cast<int>(state.range(2)), 0}, &pool);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_PalettizePerTensor)->Args({3072, 1024, 4})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
