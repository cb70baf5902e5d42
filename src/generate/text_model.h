// A model folder opened for text generation: weights, tokenizer, chat template, generation
// config and stop tokens. The folder is a Hugging Face checkpoint (run by the fp32 reference) or
// a converted output folder / its meta.yaml (run by the CPU runtime in fp16 or fp32 precision).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "generate/decoder.h"
#include "hf/checkpoint.h"
#include "reference/model.h"
#include "runtime/package_session.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace anemll::generate {

struct TextModelOptions {
  bool load_tokenizer = true;  // tokenizer.json and the chat template, when present
  int num_threads = 0;         // decoder threads; 0: all hardware threads
  // Converted folders: fp16 behaves like the ANE; fp32 checks the graphs themselves.
  runtime::Precision precision = runtime::Precision::kFp16;
  // Converted folders: exact LUT products, or int8 dot products (see runtime::LutDot).
  runtime::LutDot lut_dot = runtime::LutDot::kExact;
};

class TextModel {
 public:
  static Result<std::unique_ptr<TextModel>> Open(const std::filesystem::path& dir, const TextModelOptions& options = {});

  const std::filesystem::path& dir() const { return dir_; }
  // config.json of the folder (a converted folder without one gets the family and vocabulary
  // from meta.yaml and the packages).
  const hf::ModelSpec& spec() const { return spec_; }
  // Whether this is a converted output folder (else a Hugging Face checkpoint).
  bool is_converted() const { return package_ != nullptr; }
  // A fresh decoder with its own KV cache.
  std::unique_ptr<Decoder> NewDecoder() const;
  // nullptr when the folder has no tokenizer.json (or tokenizers were not requested).
  const tokenizer::Tokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  // nullptr when the folder has no chat template.
  const tokenizer::ChatFormatter* chat_formatter() const { return chat_ ? &*chat_ : nullptr; }
  const hf::GenerationConfig* generation_config() const {
    return generation_config_ ? &*generation_config_ : nullptr;
  }
  // See StopTokenIds(): config, generation_config, tokenizer eos and end-of-turn tokens.
  const std::vector<int32_t>& stop_tokens() const { return stop_tokens_; }
  // The fp32 reference model of an HF folder (nullptr for a converted folder).
  const reference::Model* reference_model() const { return model_.get(); }
  // The runtime model of a converted folder (nullptr for an HF folder).
  const runtime::PackageModel* package_model() const { return package_.get(); }

 private:
  std::filesystem::path dir_;
  TextModelOptions options_;
  hf::ModelSpec spec_;
  std::optional<hf::GenerationConfig> generation_config_;
  std::unique_ptr<hf::Checkpoint> checkpoint_;
  std::unique_ptr<reference::Model> model_;
  std::unique_ptr<runtime::PackageModel> package_;
  std::optional<tokenizer::Tokenizer> tokenizer_;
  std::optional<tokenizer::ChatFormatter> chat_;
  std::vector<int32_t> stop_tokens_;
};

}  // namespace anemll::generate
