// `anemll logits --model DIR --ids 1,2,3 --out F.safetensors [--hidden]`: teacher-forced fp32
// reference logits [T, vocab] (and with --hidden the hidden states hidden_0 .. hidden_L [T, hidden],
// named and defined as transformers' output_hidden_states) written as a safetensors file.
// A converted folder (or its meta.yaml) gives the runtime's logits instead, each position run
// through `infer` and the LM head ([--precision fp16|fp32], fp16 by default; [--lut-dot exact|int8]).
#include <map>
#include <memory>
#include <string>

#include "cli/command.h"
#include "generate/text_model.h"
#include "hf/safetensors.h"
#include "reference/session.h"

namespace anemll::cli {
namespace {

struct LogitsOptions {
  std::string model;
  std::string ids;
  std::string out;
  bool hidden = false;
  int threads = 0;
  std::string precision = "fp16";
  std::string lut_dot = "exact";
};

class HiddenCollector : public reference::ForwardObserver {
 public:
  void OnHidden(int64_t index, std::span<const float> hidden, int64_t rows) override {
    hidden_[index].assign(hidden.begin(), hidden.end());
  }
  std::map<int64_t, std::vector<float>> hidden_;
};

int RunLogits(const LogitsOptions& opt) {
  const std::string cmd = "logits";
  auto ids = ParseIdList("--ids", opt.ids);
  if (!ids.ok()) return Fail(cmd, ids.status());
  std::vector<int32_t> tokens(ids->begin(), ids->end());

  if (opt.threads < 0) return Fail(cmd, StrCat("--threads: must be >= 0, got ", opt.threads));
  generate::TextModelOptions mo;
  mo.load_tokenizer = false;
  mo.num_threads = opt.threads;
  auto precision = ParsePrecision(opt.precision);
  if (!precision.ok()) return Fail(cmd, precision.status());
  mo.precision = *precision;
  auto lut_dot = ParseLutDot(opt.lut_dot);
  if (!lut_dot.ok()) return Fail(cmd, lut_dot.status());
  mo.lut_dot = *lut_dot;
  auto model = generate::TextModel::Open(opt.model, mo);
  if (!model.ok()) return Fail(cmd, model.status());
  const hf::ModelSpec& spec = (*model)->spec();
  const int64_t T = static_cast<int64_t>(tokens.size());
  for (int32_t id : tokens) {
    if (id < 0 || id >= spec.vocab_size) {
      return Fail(cmd, StrCat("--ids: token id ", id, " is outside the vocabulary (size ", spec.vocab_size, ")"));
    }
  }

  HiddenCollector collector;
  std::vector<float> values;
  if (const runtime::PackageModel* package = (*model)->package_model()) {
    if (opt.hidden) return Fail(cmd, "--hidden needs a Hugging Face checkpoint (converted folders give logits only)");
    if (T > package->context_length()) {
      return Fail(cmd, StrCat("--ids: ", T, " tokens exceed the context of ", package->context_length(), " tokens"));
    }
    runtime::PackageSession session(*package);
    values.reserve(static_cast<size_t>(T * spec.vocab_size));
    for (int32_t id : tokens) {
      auto step = session.Step(id);
      if (!step.ok()) return Fail(cmd, step.status());
      values.insert(values.end(), step->begin(), step->end());
    }
  } else {
    reference::SessionOptions so;
    so.num_threads = opt.threads;
    reference::Session session(*(*model)->reference_model(), so);
    if (opt.hidden) session.set_observer(&collector);
    auto logits = session.Forward(tokens, reference::Session::LogitsMode::kAll);
    if (!logits.ok()) return Fail(cmd, logits.status());
    values = std::move(logits->values);
  }

  hf::SafetensorsWriter writer;
  std::vector<int64_t> ids64(tokens.begin(), tokens.end());
  Status st = writer.AddI64("input_ids", {T}, ids64);
  if (st.ok()) st = writer.AddF32("logits", {T, spec.vocab_size}, values);
  if (opt.hidden) {
    for (const auto& [index, values] : collector.hidden_) {
      if (!st.ok()) break;
      st = writer.AddF32("hidden_" + std::to_string(index), {T, spec.hidden_size}, values);
    }
  }
  writer.SetMetadata("model", opt.model);
  if (st.ok()) st = writer.Write(opt.out);
  if (!st.ok()) return Fail(cmd, st);
  return 0;
}

CommandRegistrar registrar(
    "logits", "Teacher-forced logits (fp32 reference, or a converted folder on the runtime) of token ids, as safetensors",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<LogitsOptions>();
      sub->add_option("--model", opt->model, "Hugging Face checkpoint, or converted folder / its meta.yaml")->required();
      sub->add_option("--ids", opt->ids, "Token ids, comma-separated (e.g. 1,2,3)")->required();
      sub->add_option("--out", opt->out, "Output .safetensors file (logits [T,V] F32, input_ids [T] I64)")->required();
      sub->add_flag("--hidden", opt->hidden, "Also write hidden_0 .. hidden_L [T,H] F32");
      sub->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
      sub->add_option("--precision", opt->precision, "Converted folders: fp16 (like the ANE, default) or fp32");
      sub->add_option("--lut-dot", opt->lut_dot, kLutDotHelp);
      return [opt] { return RunLogits(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
