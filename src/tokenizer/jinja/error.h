// Errors located in a template: "template <origin> line <n>: <message>".
#pragma once

#include <string>

#include "base/status.h"

namespace anemll::tokenizer::jinja {

inline Status TemplateError(StatusCode code, const std::string& origin, int line, const std::string& message) {
  return Status(code, StrCat("template ", origin, " line ", line, ": ", message));
}

}  // namespace anemll::tokenizer::jinja
