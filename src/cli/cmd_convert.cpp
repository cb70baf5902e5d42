// `anemll convert --model HF_DIR --output OUT [--context 512] [--batch 64] [--chunk N|auto]
// [--prefix P] [--monolithic] [--argmax] [--split-rotate] [--single-cache] [--fp16-scale auto|ALPHA]
// [--clamp V] [--static-prefill-slice] [--compile] [--restart STEP] [--only STEP] [LUT flags]`
//
// Converts a Hugging Face checkpoint into ANEMLL's output layout (Core ML packages, meta.yaml,
// tokenizer files) in one process. Flags and defaults are those of ANEMLL's convert_model.sh and
// convert_monolith.sh (LUT: FFN 4, LM head 6, embeddings fp16; monolithic --lut 4 for all).
// Interrupting (Ctrl-C) stops between units of work and leaves no output folder behind.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/log.h"
#include "cli/command.h"
#include "convert/converter.h"

namespace anemll::cli {
namespace {

std::atomic<bool> g_cancel{false};

extern "C" void OnInterrupt(int) { g_cancel.store(true); }

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

struct ConvertFlags {
  std::string model, output;
  int context = 512;
  int batch = 64;
  std::string chunk;
  double max_chunk_mb = 950;
  std::string prefix;
  bool monolithic = false, argmax = false, split_rotate = false, single_cache = false;
  bool static_slice = false, dynamic_slice = false, compile = false, skip_check = false;
  std::string fp16_scale;
  double clamp = 0;
  std::string restart, only;
  std::string lut1, lut2, lut3, lut, lut_embeddings, lut_lmhead;
  int threads = 0;
  CLI::Option* clamp_opt = nullptr;
  CLI::App* app = nullptr;
};

// "--flag value" pairs of the options actually given, shell-quoted: the command line recorded in
// meta.yaml (flag order canonical).
std::string CommandLine(const CLI::App& app) {
  auto quote = [](const std::string& s) {
    if (!s.empty() && s.find_first_of(" \t\n'\"\\$`;&|<>()*?[]#~") == std::string::npos) return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  std::string line = "anemll convert";
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() == 0 || opt->get_name() == "--help") continue;
    std::string name = opt->get_lnames().empty() ? opt->get_name() : "--" + opt->get_lnames().front();
    if (opt->get_type_size() == 0) {
      line += " " + name;
      continue;
    }
    for (const std::string& v : opt->results()) line += " " + name + " " + quote(v);
  }
  return line;
}

Result<int> ParseStep(const std::string& flag, const std::string& text) {
  std::string t = text;
  // convert_monolith.sh names its rotate sub-steps 2b and 2c: they are part of step 2 here.
  if (t == "2b" || t == "2c") t = "2";
  char* end = nullptr;
  const long v = std::strtol(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || v < 1 || v > 99) return InvalidArgument(flag, " \"", text, "\": not a step number");
  return static_cast<int>(v);
}

// --chunk auto: the chunk count `anemll chunk-calc --auto` gives for this model at the FFN LUT's
// bits (16 without a LUT) and --max-chunk-mb, decided before planning.
int RunConvert(const ConvertFlags& f) {
  const std::string cmd = "convert";
  convert::ConvertRequest req;
  req.model_dir = f.model;
  req.output_dir = f.output;
  convert::ConvertOptions& o = req.options;
  o.context = f.context;
  o.batch = f.batch;
  if (!f.chunk.empty()) {
    if (f.chunk == "auto") {
      o.chunk_auto = true;
    } else {
      char* end = nullptr;
      const long n = std::strtol(f.chunk.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 100000) return Fail(cmd, "--chunk \"" + f.chunk + "\": not a chunk count or auto");
      o.chunks = static_cast<int>(n);
    }
  }
  o.max_chunk_mb = f.max_chunk_mb;
  o.prefix = f.prefix;
  o.monolithic = f.monolithic;
  o.argmax = f.argmax;
  o.split_rotate = f.split_rotate;
  o.single_cache = f.single_cache;
  o.static_prefill_slice = f.static_slice;
  o.fp16_scale = f.fp16_scale;
  if (f.clamp_opt && f.clamp_opt->count() > 0) o.clamp = f.clamp;

  // LUT flags: --lut1/--lut2/--lut3 (convert_model.sh) or --lut/--lut-embeddings/--lut-lmhead
  // (convert_monolith.sh).
  auto parse_lut = [&](const std::string& flag, const std::string& text, convert::LutSpec* out) -> bool {
    if (f.app->count(flag) == 0) return true;  // not given ("" given means none)
    auto lut = convert::LutSpec::Parse(flag, text);
    if (!lut.ok()) {
      Fail(cmd, lut.status());
      return false;
    }
    *out = *lut;
    return true;
  };
  // ANEMLL's defaults: convert_model.sh --lut2 4 --lut3 6 (group 8), embeddings fp16;
  // convert_monolith.sh --lut 4 for every component.
  o.lut_ffn = convert::LutSpec{4, 8, false};
  if (!parse_lut("--lut", f.lut, &o.lut_ffn)) return 1;
  o.lut_embeddings = o.lut_lmhead = o.lut_ffn;
  if (!f.monolithic && f.app->count("--lut") == 0) {
    o.lut_embeddings = convert::LutSpec{};
    o.lut_lmhead = convert::LutSpec{6, 8, false};
  }
  if (!parse_lut("--lut1", f.lut1, &o.lut_embeddings) || !parse_lut("--lut2", f.lut2, &o.lut_ffn) ||
      !parse_lut("--lut3", f.lut3, &o.lut_lmhead) || !parse_lut("--lut-embeddings", f.lut_embeddings, &o.lut_embeddings) ||
      !parse_lut("--lut-lmhead", f.lut_lmhead, &o.lut_lmhead)) {
    return 1;
  }

  if (!f.restart.empty()) {
    auto step = ParseStep("--restart", f.restart);
    if (!step.ok()) return Fail(cmd, step.status());
    req.restart_step = *step;
  }
  if (!f.only.empty()) {
    auto step = ParseStep("--only", f.only);
    if (!step.ok()) return Fail(cmd, step.status());
    req.only_step = *step;
  }
  req.compile = f.compile;
  req.threads = f.threads;
  req.command_line = CommandLine(*f.app);
  req.cancel = &g_cancel;
  // A pause after each step, so that tests can interrupt a conversion at a known point.
  if (const char* delay = std::getenv("ANEMLL_CONVERT_STEP_DELAY_MS")) req.step_delay_ms = std::atoi(delay);

  InstallInterruptHandler();
  auto result = convert::Convert(req);
  if (!result.ok()) return Fail(cmd, result.status());
  const convert::ConversionPlan& p = result->plan;
  std::printf("converted %s -> %s: %s, context %lld, batch %lld, %d chunk(s)%s\n", f.model.c_str(), f.output.c_str(),
              p.spec.model_type.c_str(), static_cast<long long>(p.context), static_cast<long long>(p.batch),
              p.num_chunks, p.monolithic ? ", monolithic" : "");
  for (const std::string& file : result->files) std::printf("  %s\n", file.c_str());
  if (!result->lut_parts.empty()) std::printf("%s", convert::FormatLutReport(result->lut_parts).c_str());
  return 0;
}

CommandRegistrar registrar(
    "convert", "Convert a Hugging Face checkpoint into ANEMLL-layout Core ML packages",
    [](CLI::App* sub) -> std::function<int()> {
      auto f = std::make_shared<ConvertFlags>();
      f->app = sub;
      sub->add_option("--model", f->model, "Hugging Face checkpoint folder (config.json + *.safetensors)")->required();
      sub->add_option("--output", f->output, "Output folder (created; replaced atomically when done)")->required();
      sub->add_option("--context", f->context, "Context length: KV cache length and causal mask width (default 512)");
      sub->add_option("--batch", f->batch, "Prefill batch: tokens per prefill call (default 64)");
      sub->add_option("--chunk", f->chunk, "Number of FFN chunks, or auto (default 2, at most the layer count)");
      sub->add_option("--max-chunk-mb", f->max_chunk_mb,
                      "Largest FFN chunk for --chunk auto, in MB (MiB), sized at --lut2's bits (default 950)");
      sub->add_option("--prefix", f->prefix, "File name prefix (default: llama, qwen, qwen25 or gemma3 by architecture)");
      sub->add_flag("--monolithic", f->monolithic, "One package with embeddings, all layers and the LM head");
      sub->add_flag("--argmax", f->argmax, "Argmax inside the LM head (outputs argmax_idx/argmax_val per slice)");
      sub->add_flag("--split-rotate", f->split_rotate, "Gemma 3: rotate functions in separate _rot packages");
      sub->add_flag("--single-cache", f->single_cache, "Gemma 3: one unified KV cache (context up to the window only)");
      sub->add_option("--fp16-scale", f->fp16_scale,
                      "Residual scaling alpha in (0,1], or auto (measure the peak; alpha = 50000/peak)");
      f->clamp_opt = sub->add_option("--clamp", f->clamp, "Clamp the residual stream to [-V, V] after each add");
      sub->add_flag("--static-prefill-slice", f->static_slice,
                    "Gemma 3: prefill writes the cache through an update_mask input instead of dynamic slices");
      sub->add_flag("--dynamic-prefill-slice", f->dynamic_slice, "Prefill writes the cache with dynamic slices (default)");
      sub->add_flag("--compile", f->compile, "Compile each package with xcrun coremlcompiler when available (macOS)");
      sub->add_option("--restart", f->restart,
                      "Restart at step N on an existing output (1 embeddings, 2 LM head, 3/4 FFN+prefill, 5 combine, "
                      "6 compile, 7 tokenizer+meta; monolithic: 1/2 package, 3 combine, 4 compile, 5 files)");
      sub->add_option("--only", f->only, "Run only step N on an existing output");
      const std::string lut_note =
          " (bits[,group] with bits 1, 2, 3, 4, 6 or 8; group = output channels per table, default 8, 0 = per tensor; "
          "none or \"\" = fp16)";
      sub->add_option("--lut1", f->lut1, "Embeddings LUT (default none)" + lut_note);
      sub->add_option("--lut2", f->lut2, "FFN LUT (default 4)" + lut_note);
      sub->add_option("--lut3", f->lut3, "LM head LUT (default 6)" + lut_note);
      sub->add_option("--lut", f->lut, "LUT for all parts (monolithic default 4)" + lut_note);
      sub->add_option("--lut-embeddings", f->lut_embeddings, "Embeddings LUT override (monolithic)" + lut_note);
      sub->add_option("--lut-lmhead", f->lut_lmhead, "LM head LUT override (monolithic)" + lut_note);
      sub->add_flag("--skip-check", f->skip_check, "Accepted for ANEMLL compatibility (no dependency check is needed)");
      sub->add_option("--threads", f->threads, "Threads for the fp16 range probe (default: all cores)");
      return [f] { return RunConvert(*f); };
    });

}  // namespace
}  // namespace anemll::cli
