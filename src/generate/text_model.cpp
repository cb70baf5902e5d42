#include "generate/text_model.h"

#include "generate/stop_tokens.h"
#include "runtime/model_folder.h"

namespace anemll::generate {
namespace fs = std::filesystem;

Result<std::unique_ptr<TextModel>> TextModel::Open(const fs::path& path, const TextModelOptions& options) {
  auto m = std::unique_ptr<TextModel>(new TextModel());
  m->options_ = options;
  std::error_code ec;
  if (runtime::IsPackageFolder(path)) {
    // A converted folder (or its meta.yaml): packages on the CPU runtime; config.json and the
    // tokenizer files are copied next to meta.yaml by the converter.
    runtime::PackageModelOptions po;
    po.precision = options.precision;
    po.lut_dot = options.lut_dot;
    po.threads = options.num_threads;
    ANEMLL_ASSIGN_OR_RETURN(m->package_, runtime::PackageModel::Open(path, po));
    m->dir_ = m->package_->folder().dir;
    const fs::path config = m->dir_ / "config.json";
    if (fs::exists(config, ec)) {
      ANEMLL_ASSIGN_OR_RETURN(m->spec_, hf::LoadModelSpec(config));
      if (m->spec_.vocab_size != m->package_->vocab_size()) {
        return InvalidArgument(config.string(), ": vocab_size ", m->spec_.vocab_size, " but the packages in ",
                               m->dir_.string(), " produce ", m->package_->vocab_size(), " logits");
      }
    } else {
      m->spec_.model_type = m->package_->meta().architecture;
      m->spec_.vocab_size = m->package_->vocab_size();
    }
    const fs::path gen = m->dir_ / "generation_config.json";
    if (fs::exists(gen, ec)) {
      ANEMLL_ASSIGN_OR_RETURN(hf::GenerationConfig g, hf::LoadGenerationConfig(gen));
      m->generation_config_ = std::move(g);
    }
  } else {
    m->dir_ = path;
    if (!fs::is_directory(path, ec)) return NotFound("model ", path.string(), ": not a folder");
    if (!fs::exists(path / "config.json", ec)) {
      return NotFound("model ", path.string(),
                      ": no config.json or meta.yaml (expected a Hugging Face checkpoint or a converted folder)");
    }
    ANEMLL_ASSIGN_OR_RETURN(hf::Checkpoint ckpt, hf::Checkpoint::Open(path));
    m->checkpoint_ = std::make_unique<hf::Checkpoint>(std::move(ckpt));
    m->spec_ = m->checkpoint_->spec();
    m->generation_config_ = m->checkpoint_->generation_config();
    ANEMLL_ASSIGN_OR_RETURN(m->model_, reference::Model::Load(*m->checkpoint_));
  }

  const fs::path& dir = m->dir_;
  if (options.load_tokenizer && fs::exists(dir / "tokenizer.json", ec)) {
    ANEMLL_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::Load(dir));
    m->tokenizer_.emplace(std::move(tok));
    if (fs::exists(dir / "tokenizer_config.json", ec) || fs::exists(dir / "chat_template.jinja", ec)) {
      ANEMLL_ASSIGN_OR_RETURN(tokenizer::ChatFormatter chat, tokenizer::ChatFormatter::Load(dir));
      if (chat.has_template()) m->chat_.emplace(std::move(chat));
    }
  }
  m->stop_tokens_ = StopTokenIds(m->spec(), m->generation_config(), m->tokenizer());
  return m;
}

std::unique_ptr<Decoder> TextModel::NewDecoder() const {
  if (package_) return std::make_unique<PackageDecoder>(*package_);
  reference::SessionOptions so;
  so.num_threads = options_.num_threads;
  return std::make_unique<ReferenceDecoder>(*model_, so);
}

}  // namespace anemll::generate
