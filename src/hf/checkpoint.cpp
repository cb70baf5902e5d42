#include "hf/checkpoint.h"

namespace anemll::hf {
namespace fs = std::filesystem;

namespace {

// Where the language model's tensors live, probed by the embedding's name.
Status ResolveTensorNames(const TensorStore& store, const std::string& label, ModelSpec* spec) {
  std::vector<std::string> prefixes = {spec->tensor_prefix};
  if (spec->multimodal) {
    // Hub checkpoints (transformers 4) and transformers 5 save the language model differently.
    prefixes = {"language_model.model.", "model.language_model.", "model."};
  }
  bool found = false;
  for (const auto& p : prefixes) {
    if (store.Find(p + "embed_tokens.weight")) {
      spec->tensor_prefix = p;
      found = true;
      break;
    }
  }
  if (!found) return NotFound(label, ": missing tensor ", prefixes.front(), "embed_tokens.weight");
  if (spec->tie_word_embeddings) {
    spec->lm_head_name.clear();
    return Status::Ok();
  }
  const std::vector<std::string> heads =
      spec->tensor_prefix == "language_model.model."
          ? std::vector<std::string>{"language_model.lm_head.weight", "lm_head.weight"}
          : std::vector<std::string>{"lm_head.weight", "language_model.lm_head.weight"};
  for (const auto& h : heads) {
    if (store.Find(h)) {
      spec->lm_head_name = h;
      return Status::Ok();
    }
  }
  return NotFound(label, ": missing tensor ", heads.front(), " (tie_word_embeddings is false)");
}

}  // namespace

Result<Checkpoint> Checkpoint::Open(const fs::path& dir) {
  Checkpoint c;
  c.dir_ = dir;
  const std::string label = c.label();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(label, ": not a folder");
  const fs::path config = dir / "config.json";
  if (!fs::exists(config, ec)) return NotFound(label, ": no config.json");
  ANEMLL_ASSIGN_OR_RETURN(c.spec_, LoadModelSpec(config));
  ANEMLL_ASSIGN_OR_RETURN(c.store_, TensorStore::OpenDir(dir));
  ANEMLL_RETURN_IF_ERROR(ResolveTensorNames(c.store_, label, &c.spec_));
  ANEMLL_RETURN_IF_ERROR(CheckTensors(c.store_, ExpectedTensors(c.spec_), label));
  const fs::path gen = dir / "generation_config.json";
  if (fs::exists(gen, ec)) {
    ANEMLL_ASSIGN_OR_RETURN(GenerationConfig g, LoadGenerationConfig(gen));
    c.generation_config_ = std::move(g);
  }
  return c;
}

Result<std::vector<float>> Checkpoint::LoadF32(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorInfo* t = store_.Find(name);
  if (!t) return NotFound(label(), ": missing tensor ", name);
  auto values = ToFloat32(*t, shape);
  if (!values.ok()) return values.status().WithContext(label());
  return values;
}

}  // namespace anemll::hf
