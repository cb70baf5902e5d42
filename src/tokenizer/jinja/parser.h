// Builds the syntax tree of a template from its tokens, following Jinja2's grammar and operator
// precedence. Unknown filters and tests are rejected here, as Jinja rejects them at compile time.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "tokenizer/jinja/ast.h"

namespace anemll::tokenizer::jinja {

// `origin` names the template in error messages ("template <origin> line <n>: ...").
Result<Body> ParseTemplate(std::string_view source, const std::string& origin);

}  // namespace anemll::tokenizer::jinja
