// `anemll template --model DIR --messages F.json [--add-generation-prompt] [--no-think]
// [--tools T.json]`: renders the model's chat template over a conversation and prints the prompt
// exactly (no newline added), as transformers' apply_chat_template would produce it.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "cli/command.h"
#include "tokenizer/chat_template.h"

namespace anemll::cli {
namespace {

struct TemplateOptions {
  std::string model;
  std::string messages;
  std::string tools;
  bool add_generation_prompt = false;
  bool no_think = false;
};

Result<nlohmann::ordered_json> ReadJson(const std::string& path) {
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return FormatError(path, ": malformed JSON: ", e.what());
  }
}

Result<std::string> Render(const TemplateOptions& opt) {
  ANEMLL_ASSIGN_OR_RETURN(nlohmann::ordered_json doc, ReadJson(opt.messages));
  nlohmann::ordered_json messages = doc;
  if (doc.is_object() && doc.contains("messages")) messages = doc["messages"];
  if (!messages.is_array()) {
    return FormatError(opt.messages, ": expected a JSON array of {role, content} messages or an object with \"messages\"");
  }
  tokenizer::ChatTemplateOptions options;
  options.add_generation_prompt = opt.add_generation_prompt;
  if (opt.no_think) options.enable_thinking = false;
  if (!opt.tools.empty()) {
    ANEMLL_ASSIGN_OR_RETURN(nlohmann::ordered_json tools, ReadJson(opt.tools));
    if (!tools.is_array()) return FormatError(opt.tools, ": expected a JSON array of tool schemas");
    options.tools = std::move(tools);
  }
  ANEMLL_ASSIGN_OR_RETURN(auto formatter, tokenizer::ChatFormatter::Load(ModelFolder(opt.model)));
  return formatter.ApplyOrdered(messages, options);
}

int RunTemplate(const TemplateOptions& opt) {
  auto text = Render(opt);
  if (!text.ok()) return Fail("template", text.status());
  if (!text->empty() && std::fwrite(text->data(), 1, text->size(), stdout) != text->size()) {
    return Fail("template", "writing the prompt to stdout failed");
  }
  if (std::fflush(stdout) != 0) return Fail("template", "writing the prompt to stdout failed");
  return 0;
}

CommandRegistrar registrar(
    "template", "Render a model's chat template over a conversation and print the prompt",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<TemplateOptions>();
      sub->add_option("--model", opt->model, "Folder with tokenizer_config.json or chat_template.jinja (checkpoint, converted folder or its meta.yaml)")->required();
      sub->add_option("--messages", opt->messages,
                      "JSON file: an array of {role, content} messages, or an object with \"messages\"")
          ->required();
      sub->add_flag("--add-generation-prompt", opt->add_generation_prompt,
                    "End with the header that starts the assistant's reply");
      sub->add_flag("--no-think", opt->no_think, "Pass enable_thinking=false (templates that support thinking)");
      sub->add_option("--tools", opt->tools, "JSON file with an array of tool (function) schemas");
      return [opt] { return RunTemplate(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
