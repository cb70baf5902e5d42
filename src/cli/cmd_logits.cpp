// `anemll logits --model DIR --ids 1,2,3 --out F.safetensors [--hidden]`: teacher-forced fp32
// reference logits [T, vocab] (and with --hidden the hidden states hidden_0 .. hidden_L [T, hidden],
// named and defined as transformers' output_hidden_states) written as a safetensors file.
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

  generate::TextModelOptions mo;
  mo.load_tokenizer = false;
  mo.num_threads = opt.threads;
  auto model = generate::TextModel::Open(opt.model, mo);
  if (!model.ok()) return Fail(cmd, model.status());
  const hf::ModelSpec& spec = (*model)->spec();

  reference::SessionOptions so;
  so.num_threads = opt.threads;
  reference::Session session((*model)->reference_model(), so);
  HiddenCollector collector;
  if (opt.hidden) session.set_observer(&collector);
  auto logits = session.Forward(tokens, reference::Session::LogitsMode::kAll);
  if (!logits.ok()) return Fail(cmd, logits.status());

  const int64_t T = static_cast<int64_t>(tokens.size());
  hf::SafetensorsWriter writer;
  std::vector<int64_t> ids64(tokens.begin(), tokens.end());
  Status st = writer.AddI64("input_ids", {T}, ids64);
  if (st.ok()) st = writer.AddF32("logits", {T, spec.vocab_size}, logits->values);
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
    "logits", "Teacher-forced fp32 reference logits (and hidden states) of token ids, as safetensors",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<LogitsOptions>();
      sub->add_option("--model", opt->model, "Hugging Face checkpoint folder")->required();
      sub->add_option("--ids", opt->ids, "Token ids, comma-separated (e.g. 1,2,3)")->required();
      sub->add_option("--out", opt->out, "Output .safetensors file (logits [T,V] F32, input_ids [T] I64)")->required();
      sub->add_flag("--hidden", opt->hidden, "Also write hidden_0 .. hidden_L [T,H] F32");
      sub->add_option("--threads", opt->threads, "Worker threads (default: all cores)");
      return [opt] { return RunLogits(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
