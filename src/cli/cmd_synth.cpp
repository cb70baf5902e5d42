// `anemll synth --family F --like NAME --out DIR [--tokenizer DIR] [--seed N] [--layers N] [--vocab N]`
//
// Writes a synthetic Hugging Face checkpoint for benchmarks: the real model's config.json with
// seeded random bf16 weights (norm gains near 1). Tokenizer files are copied from --tokenizer DIR
// when given; without it the checkpoint has no tokenizer (conversion then calibrates the fp16
// range check with fixed token ids).
#include <cstdio>
#include <memory>
#include <string>

#include "base/log.h"
#include "cli/command.h"
#include "convert/synth.h"

namespace anemll::cli {
namespace {

struct SynthFlags {
  std::string family, like, out, tokenizer;
  uint64_t seed = 0;
  int64_t layers = 0, vocab = 0;
  CLI::Option* layers_opt = nullptr;
  CLI::Option* vocab_opt = nullptr;
};

int RunSynth(const SynthFlags& f) {
  convert::SynthOptions o;
  o.family = f.family;
  o.like = f.like;
  o.out = f.out;
  o.tokenizer_dir = f.tokenizer;
  o.seed = f.seed;
  if (f.layers_opt->count() > 0) o.num_layers = f.layers;
  if (f.vocab_opt->count() > 0) o.vocab_size = f.vocab;
  auto r = convert::WriteSyntheticCheckpoint(o);
  if (!r.ok()) return Fail("synth", r.status());
  if (f.tokenizer.empty()) Note("no tokenizer copied (pass --tokenizer DIR to add one)");
  std::printf("wrote %s: %s-like, %llu tensors, %llu parameters, model.safetensors %llu bytes%s\n", f.out.c_str(),
              f.like.c_str(), static_cast<unsigned long long>(r->tensors), static_cast<unsigned long long>(r->parameters),
              static_cast<unsigned long long>(r->bytes), r->tokenizer_files.empty() ? "" : ", tokenizer copied");
  return 0;
}

CommandRegistrar registrar(
    "synth", "Write a synthetic Hugging Face checkpoint (a real config, random bf16 weights) for benchmarks",
    [](CLI::App* sub) -> std::function<int()> {
      auto f = std::make_shared<SynthFlags>();
      std::string known;
      for (const std::string& n : convert::SyntheticModelNames()) known += (known.empty() ? "" : ", ") + n;
      sub->add_option("--family", f->family, "Model family: qwen3, llama, qwen2 or gemma3")->required();
      sub->add_option("--like", f->like, "The real model whose config is used: " + known)->required();
      sub->add_option("--out", f->out, "Output checkpoint folder (written atomically)")->required();
      sub->add_option("--tokenizer", f->tokenizer, "Copy tokenizer files from this folder (default: none)");
      sub->add_option("--seed", f->seed, "Random seed (default 0)");
      f->layers_opt = sub->add_option("--layers", f->layers, "Use this many layers instead of the real count");
      f->vocab_opt = sub->add_option("--vocab", f->vocab, "Use this vocabulary size instead of the real one");
      return [f] { return RunSynth(*f); };
    });

}  // namespace
}  // namespace anemll::cli
