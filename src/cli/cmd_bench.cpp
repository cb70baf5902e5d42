// `anemll bench --model DIR [--prompt-tokens 128] [--gen-tokens 32] [--threads N]
// [--repetitions 3] [--precision fp16|fp32] [--lut-dot exact|int8] [--json]`
//
// Prefill and decode speed of a converted folder (CPU runtime) or a Hugging Face checkpoint
// (fp32 reference), measured like llama-bench: one warm-up pass (builds every plan), then
// repetitions of "prefill P tokens from an empty cache" and "decode G tokens after it", reported
// as mean ± standard deviation of tokens/s. Decode bandwidth = weight bytes read per token ×
// decode tokens/s. Token ids are fixed pseudo-random ids, so runs are comparable.
// --json prints one line: {"prefill_tok_s", "decode_tok_s", "weight_bytes_per_token",
// "decode_gb_s", "threads", ...}.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/thread_pool.h"
#include "cli/command.h"
#include "generate/text_model.h"
#include "kernels/lut_int8.h"

namespace anemll::cli {
namespace {

struct BenchOptions {
  std::string model;
  int64_t prompt_tokens = 128;
  int64_t gen_tokens = 32;
  int threads = 0;
  int repetitions = 3;
  std::string precision = "fp16";
  std::string lut_dot = "exact";
  bool json = false;
};

struct Stats {
  double mean = 0, sd = 0;
};

Stats Summarize(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

// Weight bytes one decode step reads: the packages' count, or for the fp32 reference every
// weight except the embedding table (one row of it), which the LM head reads in full when tied.
int64_t WeightBytesPerToken(const generate::TextModel& m) {
  if (const runtime::PackageModel* p = m.package_model()) return p->weight_bytes_per_token();
  const reference::Model& r = *m.reference_model();
  const int64_t table = static_cast<int64_t>(r.embedding().size() * sizeof(float));
  const int64_t row = r.spec().hidden_size * static_cast<int64_t>(sizeof(float));
  const bool tied = r.output_weight() == r.embedding().data();
  return static_cast<int64_t>(r.weight_bytes()) - (tied ? 0 : table - row);
}

Status Bench(const BenchOptions& opt) {
  if (opt.prompt_tokens < 1) return InvalidArgument("--prompt-tokens: must be >= 1, got ", opt.prompt_tokens);
  if (opt.gen_tokens < 1) return InvalidArgument("--gen-tokens: must be >= 1, got ", opt.gen_tokens);
  if (opt.repetitions < 1) return InvalidArgument("--repetitions: must be >= 1, got ", opt.repetitions);
  if (opt.threads < 0) return InvalidArgument("--threads: must be >= 0, got ", opt.threads);
  generate::TextModelOptions mo;
  mo.load_tokenizer = false;
  mo.num_threads = opt.threads;
  ANEMLL_ASSIGN_OR_RETURN(mo.precision, ParsePrecision(opt.precision));
  ANEMLL_ASSIGN_OR_RETURN(mo.lut_dot, ParseLutDot(opt.lut_dot));
  ANEMLL_ASSIGN_OR_RETURN(std::unique_ptr<generate::TextModel> model, generate::TextModel::Open(opt.model, mo));
  std::unique_ptr<generate::Decoder> decoder = model->NewDecoder();
  const int64_t context = decoder->context_length();
  // As llama-bench does, the two tests are separate: prefill of the prompt into an empty context,
  // and decode of gen_tokens single tokens from position 0.
  if (context > 0 && std::max(opt.prompt_tokens, opt.gen_tokens) > context) {
    return InvalidArgument("--prompt-tokens ", opt.prompt_tokens, " / --gen-tokens ", opt.gen_tokens,
                           " exceed the model's context of ", context, " tokens");
  }
  const int64_t vocab = decoder->vocab_size();
  std::vector<int32_t> prompt;
  for (int64_t i = 0; i < opt.prompt_tokens; ++i) prompt.push_back(static_cast<int32_t>((i * 7919 + 13) % vocab));

  using Clock = std::chrono::steady_clock;
  std::vector<double> prefill_rates, decode_rates;
  for (int rep = -1; rep < opt.repetitions; ++rep) {  // rep -1: warm-up
    decoder->Reset();
    auto t0 = Clock::now();
    ANEMLL_RETURN_IF_ERROR(decoder->Prefill(prompt).status());
    auto t1 = Clock::now();
    decoder->Reset();
    auto t2 = Clock::now();
    int32_t next = 1 % static_cast<int32_t>(vocab);
    const int32_t first[1] = {next};
    ANEMLL_RETURN_IF_ERROR(decoder->Prefill(first).status());
    for (int64_t g = 1; g < opt.gen_tokens; ++g) {
      next = static_cast<int32_t>((next * 31 + g * 17 + 5) % vocab);
      ANEMLL_RETURN_IF_ERROR(decoder->Step(next).status());
    }
    auto t3 = Clock::now();
    if (rep < 0) continue;
    prefill_rates.push_back(static_cast<double>(opt.prompt_tokens) / std::chrono::duration<double>(t1 - t0).count());
    decode_rates.push_back(static_cast<double>(opt.gen_tokens) / std::chrono::duration<double>(t3 - t2).count());
  }
  const Stats pp = Summarize(prefill_rates), tg = Summarize(decode_rates);
  const int64_t bytes = WeightBytesPerToken(*model);
  const double gb_s = tg.mean * static_cast<double>(bytes) / 1e9;
  const int threads = opt.threads > 0 ? opt.threads : ThreadPool::HardwareThreads();
  std::string engine = "reference fp32";
  // The LUT products actually used: int8 only where this CPU has the kernels.
  const bool int8 = model->is_converted() && mo.lut_dot == runtime::LutDot::kInt8 && kernels::CpuHasLutInt8Kernels();
  if (model->is_converted()) {
    engine = StrCat("runtime ", runtime::PrecisionName(model->package_model()->precision()),
                    int8 ? ", int8 LUT dot" : "");
    if (mo.lut_dot == runtime::LutDot::kInt8 && !int8) engine += ", exact LUT dot (no int8 kernels on this CPU)";
  }
  if (opt.json) {
    nlohmann::ordered_json j;
    j["prefill_tok_s"] = pp.mean;
    j["decode_tok_s"] = tg.mean;
    j["weight_bytes_per_token"] = bytes;
    j["decode_gb_s"] = gb_s;
    j["threads"] = threads;
    j["prefill_tok_s_sd"] = pp.sd;
    j["decode_tok_s_sd"] = tg.sd;
    j["prompt_tokens"] = opt.prompt_tokens;
    j["gen_tokens"] = opt.gen_tokens;
    j["repetitions"] = opt.repetitions;
    j["engine"] = engine;
    j["lut_dot"] = runtime::LutDotName(int8 ? runtime::LutDot::kInt8 : runtime::LutDot::kExact);
    std::printf("%s\n", j.dump().c_str());
    return Status::Ok();
  }
  std::printf("model: %s (%s, %d threads, %d repetitions)\n", opt.model.c_str(), engine.c_str(), threads,
              opt.repetitions);
  std::printf("%-10s %14s %12s\n", "test", "tokens/s", "± sd");
  std::printf("%-10s %14.2f %12.2f\n", StrCat("pp", opt.prompt_tokens).c_str(), pp.mean, pp.sd);
  std::printf("%-10s %14.2f %12.2f\n", StrCat("tg", opt.gen_tokens).c_str(), tg.mean, tg.sd);
  std::printf("weights read per token: %.1f MB; decode bandwidth: %.2f GB/s\n", static_cast<double>(bytes) / 1e6,
              gb_s);
  return Status::Ok();
}

CommandRegistrar registrar(
    "bench", "Prefill and decode tokens/s of a converted folder or checkpoint (llama-bench style)",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<BenchOptions>();
      sub->add_option("--model", opt->model, "Converted folder / its meta.yaml, or Hugging Face checkpoint")
          ->required();
      sub->add_option("--prompt-tokens", opt->prompt_tokens, "Prompt length for the prefill test (default 128)");
      sub->add_option("--gen-tokens", opt->gen_tokens, "Tokens for the decode test (default 32)");
      sub->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
      sub->add_option("--repetitions", opt->repetitions, "Measured repetitions after one warm-up (default 3)");
      sub->add_option("--precision", opt->precision, "Converted folders: fp16 (default) or fp32");
      sub->add_option("--lut-dot", opt->lut_dot, kLutDotHelp);
      sub->add_flag("--json", opt->json, "Print one JSON line");
      return [opt] {
        Status st = Bench(*opt);
        return st.ok() ? 0 : Fail("bench", st);
      };
    });

}  // namespace
}  // namespace anemll::cli
