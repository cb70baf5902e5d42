// Reading tokenizer_config.json: special token names, add_bos/eos_token and chat templates.
#include <nlohmann/json.hpp>

#include "tokenizer/json_util.h"
#include "tokenizer/tokenizer_impl.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

// A special token given as "text" or as {"content": "text", ...}; null or absent gives "".
Result<std::string> TokenName(const Json& root, std::string_view key, const JsonPath& top) {
  const Json* v = detail::Member(root, key);
  if (v == nullptr) return std::string();
  if (v->is_string()) return v->get<std::string>();
  if (v->is_object()) return detail::OptString(*v, "content", top.Key(key), "");
  return top.Key(key).Error("expected a string or {\"content\": ...}, got ", detail::JsonTypeName(*v));
}

Result<std::optional<bool>> OptionalBool(const Json& root, std::string_view key, const JsonPath& top) {
  const Json* v = detail::Member(root, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return top.Key(key).Error("expected true or false, got ", detail::JsonTypeName(*v));
  return std::optional<bool>(v->get<bool>());
}

Status ReadChatTemplates(const Json& root, const JsonPath& top, TokenizerConfig& config) {
  const Json* v = detail::Member(root, "chat_template");
  if (v == nullptr) return Status::Ok();
  const JsonPath at = top.Key("chat_template");
  if (v->is_string()) {
    config.chat_template = v->get<std::string>();
    return Status::Ok();
  }
  if (!v->is_array()) return at.Error("expected a string or a list of {name, template}, got ", detail::JsonTypeName(*v));
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    const JsonPath e_at = at.Index(i);
    ANEMLL_ASSIGN_OR_RETURN(std::string name, detail::ReqString(e, "name", e_at));
    ANEMLL_ASSIGN_OR_RETURN(std::string tmpl, detail::ReqString(e, "template", e_at));
    if (name == "default") {
      config.chat_template = std::move(tmpl);
    } else {
      config.named_chat_templates[name] = std::move(tmpl);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TokenizerConfig> ParseTokenizerConfig(std::string_view text, std::string_view origin) {
  const JsonPath top{std::string(origin), ""};
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    const size_t at = what.find("parse error");
    if (at != std::string::npos) what = what.substr(at);
    return FormatError(origin, ": malformed JSON at byte ", e.byte, ": ", what);
  }
  if (!root.is_object()) return top.Error("expected a JSON object, got ", detail::JsonTypeName(root));
  TokenizerConfig config;
  ANEMLL_ASSIGN_OR_RETURN(config.bos_token, TokenName(root, "bos_token", top));
  ANEMLL_ASSIGN_OR_RETURN(config.eos_token, TokenName(root, "eos_token", top));
  ANEMLL_ASSIGN_OR_RETURN(config.unk_token, TokenName(root, "unk_token", top));
  ANEMLL_ASSIGN_OR_RETURN(config.pad_token, TokenName(root, "pad_token", top));
  ANEMLL_ASSIGN_OR_RETURN(config.add_bos_token, OptionalBool(root, "add_bos_token", top));
  ANEMLL_ASSIGN_OR_RETURN(config.add_eos_token, OptionalBool(root, "add_eos_token", top));
  ANEMLL_RETURN_IF_ERROR(ReadChatTemplates(root, top, config));
  return config;
}

}  // namespace anemll::tokenizer
