// Tokenizer throughput: Encode on ~1 MB of multilingual text (the golden case texts — prose in a
// dozen scripts, code, emoji, odd whitespace — repeated), Decode of the result, and the time to
// load the largest tokenizer.json (gemma3, 33 MB). Bytes/s is input text per second on one core.
//
//   <build>/bench/bench_tokenizer --benchmark_filter=Encode
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using anemll::tokenizer::Tokenizer;

constexpr size_t kTextBytes = 1 << 20;

fs::path TokenizerDir(const std::string& family) {
  return fs::path(ANEMLL_FIXTURES_BUILD) / "tokenizers" / family;
}

// The golden texts of all families, shuffled and joined two to a numbered line, to ~1 MB. Lines
// never repeat (as in real text), so per-word caches help only where words recur.
const std::string& BenchText() {
  static const std::string text = [] {
    std::set<std::string> seen;
    std::vector<std::string> cases;
    for (const char* family : {"qwen3", "llama3", "deepseek_v3", "gemma3", "mistral"}) {
      std::ifstream in(fs::path(ANEMLL_FIXTURES_SRC) / "tokenizer-goldens" / (std::string(family) + ".json"));
      std::stringstream ss;
      ss << in.rdbuf();
      const auto golden = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
      if (!golden.is_object()) continue;
      for (const auto& c : golden["cases"]) {
        const std::string t = c["text"].get<std::string>();
        if (seen.insert(t).second) cases.push_back(t);
      }
    }
    if (cases.empty()) cases.push_back("no fixtures found");
    std::mt19937 rng(42);
    std::uniform_int_distribution<size_t> pick(0, cases.size() - 1);
    std::string all;
    for (size_t line = 0; all.size() < kTextBytes; ++line) {
      all += std::to_string(line);
      all += ' ';
      all += cases[pick(rng)];
      all += ' ';
      all += cases[pick(rng)];
      all += '\n';
    }
    return all;
  }();
  return text;
}

const Tokenizer& Load(const std::string& family) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> loaded;
  auto& slot = loaded[family];
  if (!slot) {
    auto tok = Tokenizer::Load(TokenizerDir(family));
    if (!tok.ok()) {
      std::fprintf(stderr, "bench_tokenizer: %s\n", tok.status().message().c_str());
      std::exit(1);
    }
    slot = std::make_unique<Tokenizer>(std::move(tok).value());
  }
  return *slot;
}

void BM_Encode(benchmark::State& state, const std::string& family) {
  const Tokenizer& tok = Load(family);
  const std::string& text = BenchText();
  size_t tokens = 0;
  for (auto _ : state) {
    std::vector<int32_t> ids = tok.Encode(text, false);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["text_bytes"] = static_cast<double>(text.size());
}

void BM_Decode(benchmark::State& state, const std::string& family) {
  const Tokenizer& tok = Load(family);
  const std::string& text = BenchText();
  const std::vector<int32_t> ids = tok.Encode(text, false);
  for (auto _ : state) {
    std::string out = tok.Decode(ids, false);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(ids.size());
}

void BM_Load(benchmark::State& state, const std::string& family) {
  for (auto _ : state) {
    auto tok = Tokenizer::Load(TokenizerDir(family));
    if (!tok.ok()) state.SkipWithError(tok.status().message().c_str());
    benchmark::DoNotOptimize(tok.ok());
  }
}

BENCHMARK_CAPTURE(BM_Encode, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, gemma3, std::string("gemma3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3, std::string("llama3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, mistral, std::string("mistral"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, gemma3, std::string("gemma3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, gemma3, std::string("gemma3"))->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Load, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
