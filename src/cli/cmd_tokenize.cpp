// `anemll tokenize --model DIR (--text S | --text-file F) [--add-special] [--json]` prints the token
// ids of a text (space-separated on one line, or a JSON array with --json);
// `anemll tokenize --model DIR --decode --ids 1,2,3 [--skip-special]` prints the decoded text
// exactly, with no newline added. DIR holds tokenizer.json (a checkpoint or a converted model).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/file.h"
#include "cli/command.h"
#include "tokenizer/tokenizer.h"

namespace anemll::cli {
namespace {

namespace fs = std::filesystem;

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string text_file;
  bool has_text = false;
  bool add_special = false;
  bool json = false;
  bool decode = false;
  std::string ids;
  bool skip_special = false;
};

// The tokenizer of a model folder: a Hugging Face checkpoint or an anemll output folder, both of
// which keep tokenizer.json (and tokenizer_config.json) at the top.
Result<tokenizer::Tokenizer> LoadModelTokenizer(const fs::path& model) {
  std::error_code ec;
  if (!fs::is_directory(model, ec)) return NotFound("--model ", model.string(), ": not a folder");
  return tokenizer::Tokenizer::Load(model);
}

int RunTokenize(const TokenizeOptions& opt) {
  const std::string cmd = "tokenize";
  if (opt.decode) {
    if (opt.ids.empty()) return Fail(cmd, "--decode needs --ids (e.g. --ids 1,2,3)");
    if (opt.has_text || !opt.text_file.empty()) return Fail(cmd, "--decode takes --ids, not --text/--text-file");
  } else {
    if (!opt.ids.empty()) return Fail(cmd, "--ids is only used with --decode");
    if (opt.has_text == !opt.text_file.empty()) return Fail(cmd, "give exactly one of --text or --text-file");
  }
  auto tok = LoadModelTokenizer(ModelFolder(opt.model));
  if (!tok.ok()) return Fail(cmd, tok.status());

  if (opt.decode) {
    auto ids = ParseIdList("--ids", opt.ids);
    if (!ids.ok()) return Fail(cmd, ids.status());
    std::vector<int32_t> ids32(ids->begin(), ids->end());
    for (int32_t id : ids32) {
      if (static_cast<size_t>(id) >= tok->vocab_size()) {
        return Fail(cmd, StrCat("--ids: token id ", id, " is outside the vocabulary (size ", tok->vocab_size(), ")"));
      }
    }
    const std::string text = tok->Decode(ids32, opt.skip_special);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return 0;
  }

  std::string text = opt.text;
  if (!opt.text_file.empty()) {
    auto content = ReadFile(opt.text_file);
    if (!content.ok()) return Fail(cmd, content.status().WithContext("--text-file"));
    text = std::move(content).value();
  }
  const std::vector<int32_t> ids = tok->Encode(text, opt.add_special);
  std::string line = opt.json ? "[" : "";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line += opt.json ? "," : " ";
    line += std::to_string(ids[i]);
  }
  if (opt.json) line += "]";
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
  return 0;
}

CommandRegistrar registrar(
    "tokenize", "Encode text to token ids, or decode ids to text, with a model's tokenizer.json",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<TokenizeOptions>();
      sub->add_option("--model", opt->model, "Folder with tokenizer.json (checkpoint or converted model, or its meta.yaml)")
          ->required();
      sub->add_option_function<std::string>(
          "--text",
          [opt](const std::string& s) {
            opt->text = s;
            opt->has_text = true;
          },
          "Text to encode");
      sub->add_option("--text-file", opt->text_file, "File whose bytes are encoded");
      sub->add_flag("--add-special", opt->add_special, "Add the post-processor's special tokens (e.g. BOS)");
      sub->add_flag("--json", opt->json, "Print the ids as a JSON array");
      sub->add_flag("--decode", opt->decode, "Decode --ids to text instead");
      sub->add_option("--ids", opt->ids, "Comma-separated token ids to decode");
      sub->add_flag("--skip-special", opt->skip_special, "When decoding, drop special tokens");
      return [opt] { return RunTokenize(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
