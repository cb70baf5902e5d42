// The `anemll` command: each subcommand lives in its own cmd_*.cpp file and registers itself with
// a static CommandRegistrar, so adding a command touches no shared file.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/executable.h"

namespace anemll::cli {

// Sets up the subcommand's options on `sub` and returns the function that runs it (exit code).
using CommandSetup = std::function<std::function<int()>(CLI::App* sub)>;

struct CommandInfo {
  std::string name;
  std::string help;
  CommandSetup setup;
};

std::vector<CommandInfo>& Commands();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string help, CommandSetup setup) {
    Commands().push_back({std::move(name), std::move(help), std::move(setup)});
  }
};

// Prints "anemll <command>: <message>" as one line on stderr and returns the exit code 1.
int Fail(const std::string& command, const Status& status);
int Fail(const std::string& command, const std::string& message);

// The folder a --model argument names: the argument itself, or the folder of a meta.yaml file
// (converted folders may be given by their meta.yaml).
std::string ModelFolder(const std::string& model);

// "fp16" | "fp32" (--precision).
Result<runtime::Precision> ParsePrecision(const std::string& text);

// "exact" | "int8" (--lut-dot).
Result<runtime::LutDot> ParseLutDot(const std::string& text);
// Help text of --lut-dot.
inline constexpr const char* kLutDotHelp =
    "Converted folders: exact (default) or int8 (products of 4/6-bit LUT weights as int8 dot products, "
    "like llama.cpp's Q4_0; needs AVX-512 VNNI+VBMI, else exact)";

// Parses "1,2,3" into ints; names the flag in the error.
Result<std::vector<int>> ParseIdList(const std::string& flag, const std::string& text);

}  // namespace anemll::cli
