// A model folder opened for text generation: weights, tokenizer, chat template, generation
// config and stop tokens. Today the folder is a Hugging Face checkpoint run by the fp32
// reference; converted output folders will open through the same function.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "generate/decoder.h"
#include "hf/checkpoint.h"
#include "reference/model.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace anemll::generate {

struct TextModelOptions {
  bool load_tokenizer = true;  // tokenizer.json and the chat template, when present
  int num_threads = 0;         // decoder threads; 0: all hardware threads
};

class TextModel {
 public:
  static Result<std::unique_ptr<TextModel>> Open(const std::filesystem::path& dir, const TextModelOptions& options = {});

  const std::filesystem::path& dir() const { return dir_; }
  const hf::ModelSpec& spec() const { return checkpoint_->spec(); }
  // A fresh decoder with its own KV cache.
  std::unique_ptr<Decoder> NewDecoder() const;
  // nullptr when the folder has no tokenizer.json (or tokenizers were not requested).
  const tokenizer::Tokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  // nullptr when the folder has no chat template.
  const tokenizer::ChatFormatter* chat_formatter() const { return chat_ ? &*chat_ : nullptr; }
  const hf::GenerationConfig* generation_config() const {
    return checkpoint_->generation_config() ? &*checkpoint_->generation_config() : nullptr;
  }
  // See StopTokenIds(): config, generation_config, tokenizer eos and end-of-turn tokens.
  const std::vector<int32_t>& stop_tokens() const { return stop_tokens_; }
  // The fp32 reference model of an HF folder.
  const reference::Model& reference_model() const { return *model_; }
  const hf::Checkpoint& checkpoint() const { return *checkpoint_; }

 private:
  std::filesystem::path dir_;
  TextModelOptions options_;
  std::unique_ptr<hf::Checkpoint> checkpoint_;
  std::unique_ptr<reference::Model> model_;
  std::optional<tokenizer::Tokenizer> tokenizer_;
  std::optional<tokenizer::ChatFormatter> chat_;
  std::vector<int32_t> stop_tokens_;
};

}  // namespace anemll::generate
