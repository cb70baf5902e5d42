// GEMV throughput of the fused LUT kernels against the fp16 GEMV, for a decoder-sized weight
// W[out = 4096, in = 1024] (Core ML linear layout: out rows of in columns), x = 1 row.
//
// Reported: GBps = weight bytes read per second (packed indices + fp16 palettes, or fp16
// weights) and of_23GBps = that rate as a fraction of ~23 GB/s (one core's DRAM bandwidth on the
// reference machine). The `/hot` variants reuse one matrix (it stays in L2/L3); the `/cold` variants cycle
// through enough copies (>= 96 MiB) that every call streams its weights from DRAM.
//
//   build-rt/bench/bench_kernels --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/gemm.h"
#include "kernels/lut_gemm.h"
#include "kernels/lut_int8.h"
#include "kernels/reduce.h"

namespace anemll::kernels {
namespace {

constexpr int64_t kOut = 4096;
constexpr int64_t kIn = 1024;
constexpr int64_t kRowsPerGroup = 8;  // ANEMLL's default LUT group
constexpr double kReferenceBandwidth = 23e9;
constexpr size_t kColdWorkingSet = size_t{96} << 20;

struct LutWeights {
  std::vector<uint8_t> indices;
  std::vector<float> lut;
  LutMatrixRef ref;
};

std::unique_ptr<LutWeights> MakeLut(int bits, uint32_t seed, int64_t rows = kOut, int64_t cols = kIn) {
  auto w = std::make_unique<LutWeights>();
  std::mt19937 rng(seed);
  w->indices.resize(PackedIndexBytes(rows * cols, bits));
  for (auto& b : w->indices) b = static_cast<uint8_t>(rng());
  w->lut.resize(static_cast<size_t>((rows / kRowsPerGroup) << bits));
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (auto& v : w->lut) v = RoundToHalf(nd(rng));
  w->ref = LutMatrixRef{w->indices.data(), w->indices.size(), bits, rows, cols, w->lut.data(), kRowsPerGroup};
  return w;
}

std::vector<float> MakeX(int64_t cols = kIn) {
  std::vector<float> x(static_cast<size_t>(cols));
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  return x;
}

size_t Copies(size_t bytes, bool cold) { return cold ? (kColdWorkingSet + bytes - 1) / bytes : 1; }

// Sets bytes/s (Google Benchmark's rate) and the plain counters GBps and of_23GBps from the
// wall time of the timing loop.
void Report(benchmark::State& state, size_t bytes_per_call, double seconds) {
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(bytes_per_call);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  const double rate = seconds > 0 ? bytes / seconds : 0.0;
  state.counters["GBps"] = rate / 1e9;
  state.counters["of_23GBps"] = rate / kReferenceBandwidth;
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Arguments: {threads, cold}
// `int8`: the int8 dot-product kernels of lut_int8.h instead of the exact ones.
void BM_LutGemv(benchmark::State& state, int bits, bool int8) {
  const int threads = static_cast<int>(state.range(0));
  const bool cold = state.range(1) != 0;
  const size_t bytes = PackedIndexBytes(kOut * kIn, bits) + static_cast<size_t>((kOut / kRowsPerGroup) << bits) * 2;
  std::vector<std::unique_ptr<LutWeights>> ws;
  for (size_t i = 0; i < Copies(bytes, cold); ++i) ws.push_back(MakeLut(bits, static_cast<uint32_t>(i + 1)));
  ThreadPool pool(threads);
  const std::vector<float> x = MakeX();
  std::vector<float> y(kOut);
  size_t next = 0;
  const auto start = Clock::now();
  std::vector<LutInt8Palette> palettes;
  if (int8) {
    for (const auto& w : ws) palettes.push_back(QuantizeLutPalette(w->ref));
  }
  for (auto _ : state) {
    if (int8) {
      LutGemvInt8(x.data(), ws[next]->ref, palettes[next], nullptr, y.data(), &pool);
    } else {
      LutGemmXWt(x.data(), 1, kIn, ws[next]->ref, nullptr, y.data(), kOut, &pool);
    }
    benchmark::DoNotOptimize(y.data());
    next = next + 1 == ws.size() ? 0 : next + 1;
  }
  Report(state, bytes, Seconds(start));
}

// The seven LUT4 GEMVs of a Qwen3-0.6B decoder layer (q, k, v, o, gate, up, down), cycling through
// 28 layers of weights (~100 MiB, so every call streams from DRAM) the way one decode step does.
// Measures what the fixed costs per call (thread wake-up, activation preparation, ramp-up) leave
// of the streaming rate at the model's real shapes. Argument: threads.
void BM_LutDecodeLayers(benchmark::State& state, bool int8) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int kLayers = 28;
  const std::pair<int64_t, int64_t> shapes[] = {{2048, 1024}, {1024, 1024}, {1024, 1024}, {1024, 2048},
                                                {3072, 1024}, {3072, 1024}, {1024, 3072}};
  std::vector<std::unique_ptr<LutWeights>> ws;
  std::vector<LutInt8Palette> palettes;
  size_t bytes = 0;
  for (int l = 0; l < kLayers; ++l) {
    for (const auto& [rows, cols] : shapes) {
      ws.push_back(MakeLut(4, static_cast<uint32_t>(ws.size() + 1), rows, cols));
      bytes += ws.back()->indices.size() + ws.back()->lut.size() * 2;  // indices + fp16 palettes
      if (int8) palettes.push_back(QuantizeLutPalette(ws.back()->ref));
    }
  }
  ThreadPool pool(threads);
  const std::vector<float> x = MakeX(3072);
  std::vector<float> y(3072);
  const auto start = Clock::now();
  for (auto _ : state) {
    for (size_t i = 0; i < ws.size(); ++i) {
      const LutMatrixRef& w = ws[i]->ref;
      if (int8) {
        LutGemvInt8(x.data(), w, palettes[i], nullptr, y.data(), &pool);
      } else {
        LutGemmXWt(x.data(), 1, w.cols, w, nullptr, y.data(), w.rows, &pool);
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
  Report(state, bytes, Seconds(start));
}

void BM_F16Gemv(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const bool cold = state.range(1) != 0;
  const size_t bytes = static_cast<size_t>(kOut * kIn) * 2;
  std::vector<std::vector<uint16_t>> ws(Copies(bytes, cold));
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (auto& w : ws) {
    w.resize(static_cast<size_t>(kOut * kIn));
    for (auto& v : w) v = FloatToHalf(nd(rng));
  }
  ThreadPool pool(threads);
  const std::vector<float> x = MakeX();
  std::vector<float> y(kOut);
  size_t next = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    GemmXWt(x.data(), 1, kIn, MatrixRef::F16(ws[next].data(), kOut, kIn), nullptr, y.data(), kOut, &pool);
    benchmark::DoNotOptimize(y.data());
    next = next + 1 == ws.size() ? 0 : next + 1;
  }
  Report(state, bytes, Seconds(start));
}

// Prefill-shaped LUT4 GEMM: 64 activation rows against [kOut, kIn]; counter GFLOP/s.
void BM_LutGemm64(benchmark::State& state, bool int8) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int64_t kRows = 64;
  auto w = MakeLut(4, 9);
  const LutInt8Palette palette = QuantizeLutPalette(w->ref);
  std::vector<float> x(static_cast<size_t>(kRows * kIn));
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  std::vector<float> y(static_cast<size_t>(kRows * kOut));
  ThreadPool pool(threads);
  for (auto _ : state) {
    if (int8) {
      LutGemmInt8(x.data(), kRows, kIn, w->ref, palette, nullptr, y.data(), kOut, &pool);
    } else {
      LutGemmXWt(x.data(), kRows, kIn, w->ref, nullptr, y.data(), kOut, &pool);
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kRows * kOut * kIn * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// Prefill-shaped fp16 GEMM: 64 activation rows against [kOut, kIn]; counter GFLOP/s.
void BM_F16Gemm64(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int64_t kRows = 64;
  std::vector<uint16_t> w(static_cast<size_t>(kOut * kIn));
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (auto& v : w) v = FloatToHalf(nd(rng));
  std::vector<float> x(static_cast<size_t>(kRows * kIn));
  for (auto& v : x) v = nd(rng);
  std::vector<float> y(static_cast<size_t>(kRows * kOut));
  ThreadPool pool(threads);
  for (auto _ : state) {
    GemmXWt(x.data(), kRows, kIn, MatrixRef::F16(w.data(), kOut, kIn), nullptr, y.data(), kOut, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kRows * kOut * kIn * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// The machine's streaming read bandwidth (SIMD sum over 128 MiB of floats), for reference.
void BM_StreamRead(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::vector<float> buf(size_t{32} << 20, 1.0f);
  ThreadPool pool(threads);
  std::vector<float> partial(static_cast<size_t>(threads));
  const auto start = Clock::now();
  for (auto _ : state) {
    pool.ParallelFor(static_cast<size_t>(threads), [&](size_t t0, size_t t1) {
      for (size_t t = t0; t < t1; ++t) {
        const size_t chunk = buf.size() / static_cast<size_t>(threads);
        partial[t] = SumRow(buf.data() + t * chunk, chunk);
      }
    });
    benchmark::DoNotOptimize(partial.data());
  }
  Report(state, buf.size() * sizeof(float), Seconds(start));
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "cold"});
  for (int cold : {0, 1}) {
    for (int threads : {1, 2}) b->Args({threads, cold});
  }
  b->UseRealTime();
}

BENCHMARK_CAPTURE(BM_LutGemv, lut4, 4, false)->Apply(Args);
BENCHMARK_CAPTURE(BM_LutGemv, lut6, 6, false)->Apply(Args);
BENCHMARK_CAPTURE(BM_LutGemv, lut4_int8, 4, true)->Apply(Args);
BENCHMARK_CAPTURE(BM_LutGemv, lut6_int8, 6, true)->Apply(Args);
BENCHMARK_CAPTURE(BM_LutDecodeLayers, lut4, false)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_LutDecodeLayers, lut4_int8, true)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_F16Gemv)->Apply(Args);
BENCHMARK_CAPTURE(BM_LutGemm64, lut4, false)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_LutGemm64, lut4_int8, true)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_F16Gemm64)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_StreamRead)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace anemll::kernels

BENCHMARK_MAIN();
