#include "tokenizer/chat_template.h"

#include "base/file.h"

namespace anemll::tokenizer {
namespace fs = std::filesystem;

Result<ChatTemplate> ChatTemplate::Parse(std::string_view source, std::string origin) {
  ANEMLL_ASSIGN_OR_RETURN(jinja::Template t, jinja::Template::Parse(source, std::move(origin)));
  return ChatTemplate(std::move(t));
}

Result<std::string> ChatTemplate::Render(const nlohmann::json& context) const {
  return RenderOrdered(nlohmann::ordered_json(context));
}

Result<std::string> ChatTemplate::RenderOrdered(const nlohmann::ordered_json& context,
                                                const jinja::RenderOptions& options) const {
  if (!context.is_object()) {
    return InvalidArgument("template ", origin(), ": the render context must be a JSON object, not ", context.type_name());
  }
  jinja::Dict vars;
  for (auto it = context.begin(); it != context.end(); ++it) {
    auto value = jinja::FromJson(it.value());
    if (!value.ok()) return InvalidArgument("template ", origin(), ": context field '", it.key(), "': ", value.status().message());
    vars.Set(it.key(), std::move(value).value());
  }
  return RenderValues(vars, options);
}

Result<std::string> ChatTemplate::RenderValues(const jinja::Dict& variables, const jinja::RenderOptions& options) const {
  return template_.Render(variables, options);
}

namespace {

// "qwen3" for ".../qwen3" and ".../qwen3/".
std::string FolderName(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() ? dir.string() : name;
}

Result<nlohmann::json> ReadJsonFile(const fs::path& path) {
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return FormatError(path.string(), ": malformed JSON: ", e.what());
  }
}

// A special token as tokenizer_config.json spells it: a string or an AddedToken object.
Result<std::optional<std::string>> TokenText(const nlohmann::json& v, const fs::path& file, const std::string& field) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return std::optional<std::string>(v["content"].get<std::string>());
  }
  return FormatError(file.string(), ": field ", field, " must be a string or an object with \"content\", not ", v.type_name());
}

}  // namespace

Result<ChatFormatter> ChatFormatter::Load(const fs::path& dir) {
  ChatFormatter f;
  f.dir_ = dir;
  const fs::path config_path = dir / "tokenizer_config.json";
  const fs::path jinja_path = dir / "chat_template.jinja";
  const fs::path json_path = dir / "chat_template.json";
  const std::string folder = FolderName(dir);
  std::error_code ec;
  const bool has_config = fs::is_regular_file(config_path, ec);
  const bool has_jinja = fs::is_regular_file(jinja_path, ec);
  if (!fs::is_directory(dir, ec)) return NotFound("chat template: model folder ", dir.string(), " does not exist");
  if (!has_config && !has_jinja) {
    return NotFound("chat template: ", dir.string(), " has neither tokenizer_config.json nor chat_template.jinja");
  }

  std::map<std::string, std::pair<std::string, std::string>> sources;  // name -> (text, origin)
  if (has_config) {
    ANEMLL_ASSIGN_OR_RETURN(nlohmann::json config, ReadJsonFile(config_path));
    if (!config.is_object()) return FormatError(config_path.string(), ": expected a JSON object, got ", config.type_name());
    for (const char* name : {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
      if (!config.contains(name)) continue;
      ANEMLL_ASSIGN_OR_RETURN(auto text, TokenText(config[name], config_path, name));
      if (!text) continue;
      f.special_tokens_.Set(name, jinja::Value(*text));
      const std::string n = name;
      if (n == "bos_token") f.bos_token_ = *text;
      if (n == "eos_token") f.eos_token_ = *text;
      if (n == "unk_token") f.unk_token_ = *text;
      if (n == "pad_token") f.pad_token_ = *text;
    }
    if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array()) {
      jinja::List extra;
      for (const auto& t : config["additional_special_tokens"]) {
        ANEMLL_ASSIGN_OR_RETURN(auto text, TokenText(t, config_path, "additional_special_tokens[]"));
        if (text) extra.emplace_back(*text);
      }
      f.special_tokens_.Set("additional_special_tokens", jinja::Value::MakeList(std::move(extra)));
    }
    const std::string origin = StrCat(folder, "/tokenizer_config.json:chat_template");
    if (config.contains("chat_template")) {
      const nlohmann::json& ct = config["chat_template"];
      if (ct.is_string()) {
        sources["default"] = {ct.get<std::string>(), origin};
      } else if (ct.is_array()) {
        for (const auto& entry : ct) {
          if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
              !entry["template"].is_string()) {
            return FormatError(config_path.string(), ": chat_template list entries must be {\"name\": str, \"template\": str}");
          }
          const std::string name = entry["name"].get<std::string>();
          sources[name] = {entry["template"].get<std::string>(), StrCat(origin, "[", name, "]")};
        }
      } else if (!ct.is_null()) {
        return FormatError(config_path.string(), ": chat_template must be a string or a list, not ", ct.type_name());
      }
    }
  }
  if (has_jinja) {
    ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(jinja_path));
    sources["default"] = {std::move(text), StrCat(folder, "/chat_template.jinja")};
  } else if (sources.empty() && fs::is_regular_file(json_path, ec)) {
    ANEMLL_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(json_path));
    if (j.is_object() && j.contains("chat_template") && j["chat_template"].is_string()) {
      sources["default"] = {j["chat_template"].get<std::string>(), StrCat(folder, "/chat_template.json:chat_template")};
    }
  }
  for (auto& [name, src] : sources) {
    auto parsed = ChatTemplate::Parse(src.first, src.second);
    if (parsed.ok()) {
      f.templates_.emplace(name, std::move(parsed).value());
    } else if (f.template_error_.ok()) {
      f.template_error_ = parsed.status();
    }
  }
  return f;
}

Result<std::string> ChatFormatter::Apply(const nlohmann::json& messages, const ChatTemplateOptions& opts) const {
  return ApplyOrdered(nlohmann::ordered_json(messages), opts);
}

Result<std::string> ChatFormatter::ApplyOrdered(const nlohmann::ordered_json& messages,
                                                const ChatTemplateOptions& opts) const {
  if (!messages.is_array()) return InvalidArgument("chat template: messages must be a JSON array, not ", messages.type_name());
  auto value = jinja::FromJson(messages);
  if (!value.ok()) return InvalidArgument("chat template: messages: ", value.status().message());
  return ApplyValue(*value, opts);
}

Result<std::string> ChatFormatter::ApplyValue(const jinja::Value& messages, const ChatTemplateOptions& opts) const {
  if (!has_template()) {
    return NotFound("chat template: ", dir_.string(),
                    " has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja)");
  }
  if (!template_error_.ok()) return template_error_;
  const ChatTemplate* chosen = nullptr;
  if (opts.tools) {
    if (auto it = templates_.find("tool_use"); it != templates_.end()) chosen = &it->second;
  }
  if (!chosen) {
    auto it = templates_.find("default");
    if (it == templates_.end()) {
      return NotFound("chat template: ", dir_.string(), " has several named chat templates and none is called \"default\"");
    }
    chosen = &it->second;
  }
  // The variables transformers passes: messages, tools and documents (None when absent),
  // add_generation_prompt, the special tokens, and enable_thinking only when it was given.
  jinja::Dict vars;
  vars.Set("messages", messages);
  jinja::Value tools = jinja::Value::None();
  if (opts.tools) {
    auto converted = jinja::FromJson(*opts.tools);
    if (!converted.ok()) return InvalidArgument("chat template: tools: ", converted.status().message());
    tools = std::move(converted).value();
  }
  vars.Set("tools", tools);
  vars.Set("documents", jinja::Value::None());
  vars.Set("add_generation_prompt", jinja::Value(opts.add_generation_prompt));
  for (const auto& [name, value] : special_tokens_.items) vars.Set(name, value);
  if (opts.enable_thinking) vars.Set("enable_thinking", jinja::Value(*opts.enable_thinking));
  jinja::RenderOptions render;
  render.now = opts.now;
  return chosen->RenderValues(vars, render);
}

}  // namespace anemll::tokenizer
