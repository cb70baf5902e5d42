// Splits template source into tokens the way Jinja2's lexer does, with transformers' settings:
// trim_blocks and lstrip_blocks on, keep_trailing_newline off. Whitespace control (`{%-`, `-%}`,
// `{{-`, `-}}`, `{%+`, `+%}`), comments and `{% raw %}` are resolved here, so the parser sees
// only text, tag delimiters and expression tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace anemll::tokenizer::jinja {

enum class TokenType {
  kData,        // literal template text (text holds it)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword
  kString,      // string literal (text holds the unescaped value)
  kInt,
  kFloat,
  kOperator,    // + - * / // % ** ~ == != < <= > >= = . : | , ; ( ) [ ] { }
  kEof,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
};

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// `origin` names the template in error messages.
Result<std::vector<Token>> Lex(std::string_view source, const std::string& origin, const LexOptions& options = {});

// "'endfor'", "end of template", "'}}'": how a token is named in parse errors.
std::string DescribeToken(const Token& token);

}  // namespace anemll::tokenizer::jinja
