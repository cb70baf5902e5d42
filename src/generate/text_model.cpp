#include "generate/text_model.h"

#include "generate/stop_tokens.h"

namespace anemll::generate {
namespace fs = std::filesystem;

Result<std::unique_ptr<TextModel>> TextModel::Open(const fs::path& dir, const TextModelOptions& options) {
  auto m = std::unique_ptr<TextModel>(new TextModel());
  m->dir_ = dir;
  m->options_ = options;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("model ", dir.string(), ": not a folder");
  if (!fs::exists(dir / "config.json", ec)) {
    return NotFound("model ", dir.string(), ": no config.json (expected a Hugging Face checkpoint folder)");
  }
  ANEMLL_ASSIGN_OR_RETURN(hf::Checkpoint ckpt, hf::Checkpoint::Open(dir));
  m->checkpoint_ = std::make_unique<hf::Checkpoint>(std::move(ckpt));
  ANEMLL_ASSIGN_OR_RETURN(m->model_, reference::Model::Load(*m->checkpoint_));

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
  reference::SessionOptions so;
  so.num_threads = options_.num_threads;
  return std::make_unique<ReferenceDecoder>(*model_, so);
}

}  // namespace anemll::generate
