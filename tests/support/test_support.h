// Helpers shared by the tests: fixture paths, CLI invocation, temporary folders.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace anemll::testing {

// tests/fixtures in the source tree (models, coreml, tokenizer-goldens).
std::filesystem::path FixturesDir();
// Fixtures unpacked at build time (tokenizers/<family>/tokenizer.json ...).
std::filesystem::path BuildFixturesDir();
// A tokenizer fixture folder (tokenizer.json + tokenizer_config.json), e.g. "qwen3".
std::filesystem::path TokenizerDir(const std::string& family);
// A model fixture folder, e.g. "tiny-llama".
std::filesystem::path ModelDir(const std::string& name);

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built `anemll` binary with the given arguments (no shell involved).
CliResult RunCli(const std::vector<std::string>& args);

// Newline characters in `s` (a one-line error has exactly one).
int CountLines(const std::string& s);

}  // namespace anemll::testing
