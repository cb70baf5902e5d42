// Hugging Face tokenizer.json, encoded and decoded exactly as the `tokenizers` library does:
// added tokens, normalizer, pre-tokenizer, BPE model, post-processor and decoder, plus
// tokenizer_config.json (special token names, add_bos/eos, chat templates) and a streaming
// decoder that never splits a UTF-8 character.
//
//   ANEMLL_ASSIGN_OR_RETURN(auto tok, Tokenizer::Load("models/qwen3"));
//   std::vector<int32_t> ids = tok.Encode("Hello", /*add_special_tokens=*/true);
//   std::string text = tok.Decode(ids, /*skip_special_tokens=*/false);
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace anemll::tokenizer {

// From tokenizer_config.json (all optional).
struct TokenizerConfig {
  std::string bos_token, eos_token, unk_token, pad_token;
  std::optional<bool> add_bos_token, add_eos_token;
  std::string chat_template;                               // default template ("" if none)
  std::map<std::string, std::string> named_chat_templates;  // e.g. "tool_use" (not "default")
};

class Tokenizer {
 public:
  // `dir` holds tokenizer.json and optionally tokenizer_config.json and chat_template.jinja
  // (which, when present, replaces the config's default template, as transformers does).
  static Result<Tokenizer> Load(const std::filesystem::path& dir);
  // `origin_for_errors` names the source in messages (usually the file path).
  static Result<Tokenizer> FromJson(std::string_view tokenizer_json, std::string_view origin_for_errors);

  // Never fails: ill-formed UTF-8 is first replaced by U+FFFD (one per maximal ill-formed
  // subpart), as a lossy conversion to a Rust/Python string would.
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens) const;
  // Unknown ids are skipped, as tokenizers does.
  std::string Decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  int32_t TokenToId(std::string_view token) const;  // -1 if unknown
  std::string IdToToken(int32_t id) const;           // "" if out of range
  size_t vocab_size() const;                         // max id + 1 (model vocab + added tokens)
  bool IsSpecial(int32_t id) const;                  // an added token with special=true
  const TokenizerConfig& config() const;
  // Tokens the post-processor adds (e.g. BOS) around a single sequence.
  std::vector<int32_t> PrefixSpecialIds() const;
  std::vector<int32_t> SuffixSpecialIds() const;

  // Id of a token named in the config ("" or unknown: -1), e.g. TokenToId(config().eos_token).
  int32_t ConfigTokenId(const std::string& token) const { return token.empty() ? -1 : TokenToId(token); }

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
  friend class StreamingDecoder;
};

// Decodes ids one at a time. The concatenation of everything Push and Flush return equals
// Decode(all ids). Text is held back while a later token can still change it: an incomplete
// UTF-8 sequence, a run of byte-fallback tokens, characters a Strip decoder may remove.
class StreamingDecoder {
 public:
  StreamingDecoder(const Tokenizer& tok, bool skip_special_tokens);
  StreamingDecoder(StreamingDecoder&&) noexcept;
  StreamingDecoder& operator=(StreamingDecoder&&) noexcept;
  ~StreamingDecoder();

  std::string Push(int32_t id);  // text that became complete
  std::string Flush();           // whatever remains; the decoder then starts a new sequence

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace anemll::tokenizer
