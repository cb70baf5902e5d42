// Chat templates: the Jinja template a model ships (tokenizer_config.json `chat_template` or
// chat_template.jinja) rendered over a conversation exactly as transformers' apply_chat_template
// renders it, byte for byte. Parsed templates are immutable: Render/Apply may run on several
// threads at once.
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "tokenizer/jinja/template.h"

namespace anemll::tokenizer {

class ChatTemplate {
 public:
  // `origin` names the source in error messages (e.g. "qwen3/tokenizer_config.json:chat_template").
  static Result<ChatTemplate> Parse(std::string_view source, std::string origin);

  // context: {"messages": [...], "add_generation_prompt": bool, "bos_token": "...", "eos_token": "...",
  //           "enable_thinking": bool (only if set), "tools": ... (optional)}
  Result<std::string> Render(const nlohmann::json& context) const;
  // ordered_json keeps object keys in the order they were written, as Python dicts do; prefer it
  // when the template prints objects (`tojson`) so the output matches transformers byte for byte.
  // `options` sets a fixed clock for `strftime_now` or tighter bounds.
  Result<std::string> RenderOrdered(const nlohmann::ordered_json& context,
                                    const jinja::RenderOptions& options = {}) const;
  // Variables already converted to template values.
  Result<std::string> RenderValues(const jinja::Dict& variables, const jinja::RenderOptions& options = {}) const;

  const std::string& origin() const { return template_.origin(); }

 private:
  explicit ChatTemplate(jinja::Template t) : template_(std::move(t)) {}
  jinja::Template template_;
};

struct ChatTemplateOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // unset: the template's default
  // Tool (function) schemas. ordered_json keeps their key order for `tojson`; a nlohmann::json
  // assigns to it too (with its keys sorted).
  std::optional<nlohmann::ordered_json> tools;
  std::optional<std::time_t> now;       // the clock `strftime_now` reads; unset: now
};

// Loads the template and bos/eos/unk/pad token strings from DIR/tokenizer_config.json (template
// as string or list of {name, template}: take "default", or "tool_use" when tools are given and
// it exists), or DIR/chat_template.jinja when present (it wins, as in transformers), and renders
// `messages` with them. A template that does not parse is reported by Apply, so a model whose
// template is broken still loads for plain-text use.
class ChatFormatter {
 public:
  static Result<ChatFormatter> Load(const std::filesystem::path& dir);

  bool has_template() const { return !templates_.empty() || !template_error_.ok(); }
  Result<std::string> Apply(const nlohmann::json& messages, const ChatTemplateOptions& opts) const;
  // Keeps each message's key order (see ChatTemplate::RenderOrdered).
  Result<std::string> ApplyOrdered(const nlohmann::ordered_json& messages, const ChatTemplateOptions& opts) const;

  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  const std::string& unk_token() const { return unk_token_; }
  const std::string& pad_token() const { return pad_token_; }

 private:
  Result<std::string> ApplyValue(const jinja::Value& messages, const ChatTemplateOptions& opts) const;

  std::filesystem::path dir_;
  std::map<std::string, ChatTemplate> templates_;  // by name; a single template is "default"
  Status template_error_;                          // first template that failed to parse
  jinja::Dict special_tokens_;  // bos_token, eos_token ... as the template sees them
  std::string bos_token_, eos_token_, unk_token_, pad_token_;
};

}  // namespace anemll::tokenizer
