// Diagnostics to stderr. Library code reports errors through Status; these are for notes and
// warnings that do not stop the work (e.g. "context raised to the sliding window").
#pragma once

#include <string>

#include "base/status.h"

namespace anemll {

enum class LogLevel { kQuiet = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogLine(LogLevel level, const std::string& line);

template <typename... Args>
void Warn(const Args&... args) {
  LogLine(LogLevel::kWarning, StrCat("warning: ", args...));
}
template <typename... Args>
void Note(const Args&... args) {
  LogLine(LogLevel::kInfo, StrCat("note: ", args...));
}
template <typename... Args>
void Debug(const Args&... args) {
  LogLine(LogLevel::kDebug, StrCat("debug: ", args...));
}

}  // namespace anemll
