// `anemll run --model DIR (--prompt S | --prompt-ids 1,2,3) [-n N] [--temperature T] [--top-k K]
// [--top-p P] [--repetition-penalty R] [--seed S] [--print-ids] [--no-template] [--system S]
// [--no-think] [--stats] [--threads N] [--precision fp16|fp32] [--lut-dot exact|int8] [--no-shift]`
//
// DIR is a Hugging Face checkpoint (run by the fp32 reference) or a converted folder / its
// meta.yaml (run by the CPU runtime; fp16 by default, like the ANE). When a converted model's
// context fills up, the most recent tokens are re-fed from position 0 and generation goes on
// (ANEMLL's shift rule); --no-shift stops instead.
//
// Generates text and streams it to stdout as it is produced, then a newline. With a chat template
// in DIR (and no --no-template) the prompt is sent as a user turn (after an optional --system
// turn) rendered with add_generation_prompt, and stdout holds the reply only. Otherwise the prompt
// is encoded as plain text with the tokenizer's special tokens (BOS) and continued: stdout holds
// the prompt text followed by its continuation (as llama2.c and llama.cpp print it).
// --prompt-ids bypasses tokenization (the ids are echoed as text in plain mode, too). Without a
// tokenizer the generated ids are printed instead of text. Generation stops at a stop token
// (config/generation_config eos, tokenizer eos, end-of-turn tokens) or after -n tokens.
//
// Sampling: greedy unless a temperature > 0 is in effect. Without --temperature, the model's
// generation_config.json decides: do_sample true -> its temperature/top_k/top_p/repetition_penalty
// (transformers' defaults 1.0/50/1.0/1.0 for the ones it leaves out); otherwise greedy. Flags
// override single values. --seed (default 0) makes sampled runs reproducible.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "cli/command.h"
#include "generate/generate.h"
#include "generate/text_model.h"

namespace anemll::cli {
namespace {

constexpr int64_t kDefaultMaxTokens = 128;
// transformers' GenerationConfig defaults for sampling values a generation_config leaves out.
constexpr double kHfDefaultTemperature = 1.0;
constexpr int64_t kHfDefaultTopK = 50;

struct RunOptions {
  std::string model;
  std::string prompt;
  std::string prompt_ids;
  std::string system;
  int64_t max_tokens = kDefaultMaxTokens;
  double temperature = 0;
  int64_t top_k = 0;
  double top_p = 1.0;
  double repetition_penalty = 1.0;
  uint64_t seed = 0;
  bool print_ids = false;
  bool no_template = false;
  bool no_think = false;
  bool stats = false;
  int threads = 0;
  std::string precision = "fp16";
  std::string lut_dot = "exact";
  bool no_shift = false;
  // Set when the flag was given (so generation_config defaults do not override it).
  CLI::Option* prompt_opt = nullptr;
  CLI::Option* prompt_ids_opt = nullptr;
  CLI::Option* temperature_opt = nullptr;
  CLI::Option* top_k_opt = nullptr;
  CLI::Option* top_p_opt = nullptr;
  CLI::Option* repetition_opt = nullptr;
  CLI::Option* system_opt = nullptr;
};

bool Given(const CLI::Option* o) { return o && o->count() > 0; }

generate::SamplingOptions ResolveSampling(const RunOptions& opt, const hf::GenerationConfig* gen) {
  generate::SamplingOptions s;
  if (gen && gen->do_sample.value_or(false)) {
    s.temperature = gen->temperature.value_or(kHfDefaultTemperature);
    s.top_k = gen->top_k.value_or(kHfDefaultTopK);
    s.top_p = gen->top_p.value_or(1.0);
    s.repetition_penalty = gen->repetition_penalty.value_or(1.0);
  } else if (gen) {
    s.repetition_penalty = gen->repetition_penalty.value_or(1.0);
  }
  if (Given(opt.temperature_opt)) s.temperature = opt.temperature;
  if (Given(opt.top_k_opt)) s.top_k = opt.top_k;
  if (Given(opt.top_p_opt)) s.top_p = opt.top_p;
  if (Given(opt.repetition_opt)) s.repetition_penalty = opt.repetition_penalty;
  s.seed = opt.seed;
  return s;
}

// Whether the prompt goes through the chat template (else it is plain text to continue).
bool UsesChatTemplate(const RunOptions& opt, const generate::TextModel& model) {
  return model.tokenizer() && model.chat_formatter() && !opt.no_template && !Given(opt.prompt_ids_opt);
}

// The prompt's token ids, from --prompt-ids or by rendering/encoding --prompt.
Result<std::vector<int32_t>> PromptIds(const RunOptions& opt, const generate::TextModel& model) {
  if (Given(opt.prompt_ids_opt)) {
    ANEMLL_ASSIGN_OR_RETURN(std::vector<int> ids, ParseIdList("--prompt-ids", opt.prompt_ids));
    return std::vector<int32_t>(ids.begin(), ids.end());
  }
  const tokenizer::Tokenizer* tok = model.tokenizer();
  if (!tok) {
    return NotFound("model ", opt.model, " has no tokenizer.json: use --prompt-ids instead of --prompt");
  }
  const tokenizer::ChatFormatter* chat = model.chat_formatter();
  if (UsesChatTemplate(opt, model)) {
    nlohmann::json messages = nlohmann::json::array();
    if (Given(opt.system_opt)) messages.push_back({{"role", "system"}, {"content", opt.system}});
    messages.push_back({{"role", "user"}, {"content", opt.prompt}});
    tokenizer::ChatTemplateOptions co;
    co.add_generation_prompt = true;
    if (opt.no_think) co.enable_thinking = false;
    ANEMLL_ASSIGN_OR_RETURN(std::string text, chat->Apply(messages, co));
    // The rendered template already holds BOS and the other special tokens.
    return tok->Encode(text, /*add_special_tokens=*/false);
  }
  if (Given(opt.system_opt)) Warn("--system needs a chat template; ignored");
  return tok->Encode(opt.prompt, /*add_special_tokens=*/true);
}

int RunRun(const RunOptions& opt) {
  const std::string cmd = "run";
  if (Given(opt.prompt_opt) == Given(opt.prompt_ids_opt)) {
    return Fail(cmd, "give exactly one of --prompt and --prompt-ids");
  }
  if (opt.max_tokens < 0) return Fail(cmd, StrCat("-n/--max-tokens: must be >= 0, got ", opt.max_tokens));
  if (opt.threads < 0) return Fail(cmd, StrCat("--threads: must be >= 0, got ", opt.threads));
  generate::TextModelOptions mo;
  mo.num_threads = opt.threads;
  auto precision = ParsePrecision(opt.precision);
  if (!precision.ok()) return Fail(cmd, precision.status());
  mo.precision = *precision;
  auto lut_dot = ParseLutDot(opt.lut_dot);
  if (!lut_dot.ok()) return Fail(cmd, lut_dot.status());
  mo.lut_dot = *lut_dot;
  auto model = generate::TextModel::Open(opt.model, mo);
  if (!model.ok()) return Fail(cmd, model.status());
  const generate::TextModel& m = **model;

  auto prompt = PromptIds(opt, m);
  if (!prompt.ok()) return Fail(cmd, prompt.status());

  generate::GenerateOptions go;
  go.max_new_tokens = opt.max_tokens;
  go.sampling = ResolveSampling(opt, m.generation_config());
  go.stop_tokens = m.stop_tokens();
  go.shift_context = !opt.no_shift;
  if (m.package_model() && m.package_model()->meta().argmax_in_model && go.sampling.temperature > 0) {
    Warn("the model computes argmax in the LM head (argmax_in_model): sampling settings are ignored, decoding is greedy");
  }

  std::unique_ptr<generate::Decoder> decoder = m.NewDecoder();
  const tokenizer::Tokenizer* tok = m.tokenizer();
  std::optional<tokenizer::StreamingDecoder> stream;
  if (tok) stream.emplace(*tok, /*skip_special_tokens=*/true);
  bool first = true;
  // Plain completion prints the prompt's text before its continuation; it is written once the
  // prompt has run, so a rejected prompt leaves stdout empty.
  bool echo_pending = stream && !UsesChatTemplate(opt, m);
  auto echo_prompt = [&] {
    if (!echo_pending) return;
    echo_pending = false;
    for (int32_t id : *prompt) {
      const std::string piece = stream->Push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    }
  };
  auto on_token = [&](int32_t id) {
    echo_prompt();
    if (stream) {
      const std::string piece = stream->Push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    } else {
      // No tokenizer: the ids themselves are the text.
      std::fprintf(stdout, first ? "%d" : " %d", id);
    }
    first = false;
    std::fflush(stdout);
    return true;
  };
  auto result = generate::Generate(*decoder, *prompt, go, on_token);
  if (result.ok()) echo_prompt();
  if (stream && result.ok()) {
    const std::string rest = stream->Flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
  }
  if (!first || result.ok()) std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!result.ok()) return Fail(cmd, result.status());

  if (opt.print_ids) {
    nlohmann::json ids = result->tokens;
    std::fprintf(stdout, "%s\n", ids.dump().c_str());
  }
  if (opt.stats) {
    const double prefill = result->prefill_seconds, decode = result->decode_seconds;
    const size_t n = result->tokens.size();
    // The first token comes from the prefill's logits; the others each cost one decode step.
    const double steps = n > 1 ? static_cast<double>(n - 1) : 0.0;
    std::fprintf(stderr,
                 "prompt: %lld tokens in %.1f ms (%.1f tok/s); generated: %zu tokens, %.1f ms decode "
                 "(%.1f tok/s); stop: %s%s\n",
                 static_cast<long long>(result->prompt_tokens), prefill * 1e3,
                 prefill > 0 ? result->prompt_tokens / prefill : 0.0, n, decode * 1e3,
                 decode > 0 ? steps / decode : 0.0, generate::StopReasonName(result->reason),
                 result->context_shifts > 0 ? StrCat("; context shifted ", result->context_shifts, "x").c_str() : "");
  }
  return 0;
}

CommandRegistrar registrar(
    "run", "Generate text from a prompt, streamed to stdout",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<RunOptions>();
      sub->add_option("--model", opt->model, "Hugging Face checkpoint, or converted folder / its meta.yaml")->required();
      opt->prompt_opt = sub->add_option("--prompt", opt->prompt, "Prompt text");
      opt->prompt_ids_opt = sub->add_option("--prompt-ids", opt->prompt_ids, "Prompt token ids, comma-separated");
      sub->add_option("-n,--max-tokens", opt->max_tokens, "Tokens to generate at most (default 128)");
      opt->temperature_opt =
          sub->add_option("--temperature", opt->temperature, "Sampling temperature; 0 = greedy (default: greedy "
                                                             "unless generation_config.json sets do_sample)");
      opt->top_k_opt = sub->add_option("--top-k", opt->top_k, "Keep the K most likely tokens (0 = off)");
      opt->top_p_opt = sub->add_option("--top-p", opt->top_p, "Nucleus sampling mass in (0, 1] (1 = off)");
      opt->repetition_opt =
          sub->add_option("--repetition-penalty", opt->repetition_penalty, "Penalty > 1 for repeated tokens");
      sub->add_option("--seed", opt->seed, "Random seed for sampling (default 0)");
      sub->add_flag("--print-ids", opt->print_ids, "After the text, print the generated ids as a JSON array");
      sub->add_flag("--no-template", opt->no_template, "Encode the prompt as plain text, without the chat template");
      opt->system_opt = sub->add_option("--system", opt->system, "System message (chat template only)");
      sub->add_flag("--no-think", opt->no_think, "Render the template with enable_thinking=false");
      sub->add_flag("--stats", opt->stats, "Print prefill/decode timings to stderr");
      sub->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
      sub->add_option("--precision", opt->precision, "Converted folders: fp16 (like the ANE, default) or fp32");
      sub->add_option("--lut-dot", opt->lut_dot, kLutDotHelp);
      sub->add_flag("--no-shift", opt->no_shift, "Stop when the context is full instead of shifting it");
      return [opt] { return RunRun(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
