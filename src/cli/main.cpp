#include <cstdio>
#include <filesystem>
#include <iostream>

#include "base/log.h"
#include "cli/command.h"

namespace anemll::cli {

std::vector<CommandInfo>& Commands() {
  static std::vector<CommandInfo> commands;
  return commands;
}

int Fail(const std::string& command, const Status& status) { return Fail(command, status.message()); }

int Fail(const std::string& command, const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(stderr, "anemll %s: %s\n", command.c_str(), line.c_str());
  return 1;
}

Result<runtime::Precision> ParsePrecision(const std::string& text) {
  if (text == "fp16") return runtime::Precision::kFp16;
  if (text == "fp32") return runtime::Precision::kFp32;
  return InvalidArgument("--precision: expected fp16 or fp32, got '", text, "'");
}

Result<runtime::LutDot> ParseLutDot(const std::string& text) {
  if (text == "exact") return runtime::LutDot::kExact;
  if (text == "int8") return runtime::LutDot::kInt8;
  return InvalidArgument("--lut-dot: expected exact or int8, got '", text, "'");
}

std::string ModelFolder(const std::string& model) {
  const std::filesystem::path p(model);
  std::error_code ec;
  if (p.filename() == "meta.yaml" && std::filesystem::is_regular_file(p, ec)) {
    return p.parent_path().empty() ? std::string(".") : p.parent_path().string();
  }
  return model;
}

Result<std::vector<int>> ParseIdList(const std::string& flag, const std::string& text) {
  std::vector<int> ids;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    std::string tok = text.substr(i, j - i);
    while (!tok.empty() && tok.front() == ' ') tok.erase(tok.begin());
    while (!tok.empty() && tok.back() == ' ') tok.pop_back();
    if (tok.empty()) {
      if (j == text.size() && i == j && !ids.empty()) break;
      return InvalidArgument(flag, ": empty entry in id list \"", text, "\"");
    }
    char* end = nullptr;
    long v = std::strtol(tok.c_str(), &end, 10);
    if (*end != '\0' || v < 0 || v > 0x7fffffff) {
      return InvalidArgument(flag, ": \"", tok, "\" is not a token id (a non-negative integer)");
    }
    ids.push_back(static_cast<int>(v));
    i = j + 1;
  }
  return ids;
}

}  // namespace anemll::cli

int main(int argc, char** argv) {
  using namespace anemll::cli;
  CLI::App app{"anemll: Hugging Face LLMs to Apple Neural Engine Core ML packages, and a runtime for them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "anemll 0.1.0");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  std::vector<std::pair<CLI::App*, std::function<int()>>> subs;
  for (auto& c : Commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    subs.emplace_back(sub, c.setup(sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string sub;
    for (auto& [s, fn] : subs) {
      if (s->parsed()) sub = s->get_name();
    }
    std::string msg = e.what();
    for (char& ch : msg) {
      if (ch == '\n') ch = ' ';
    }
    std::fprintf(stderr, "anemll%s%s: %s (see --help)\n", sub.empty() ? "" : " ", sub.c_str(), msg.c_str());
    return 2;
  }
  if (quiet) anemll::SetLogLevel(anemll::LogLevel::kQuiet);
  for (auto& [s, fn] : subs) {
    if (s->parsed()) return fn();
  }
  return 2;
}
