#include "tokenizer/jinja/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "tokenizer/jinja/error.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }
bool IsTagSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Newlines normalised to "\n" and, unless kept, one trailing newline dropped (as Jinja does).
std::string NormalizeSource(std::string_view source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Python str.rstrip() of template text before a `{%-` tag.
std::string RStripAll(std::string_view text) { return PyStrip(text, std::nullopt, false, true); }

// Length of the run of whitespace (Python's \s) starting at `pos`.
size_t WhitespaceRun(std::string_view s, size_t pos) {
  size_t p = pos;
  while (p < s.size()) {
    size_t next = p;
    if (!IsPyWhitespace(NextCodePoint(s, &next))) break;
    p = next;
  }
  return p - pos;
}

class Lexer {
 public:
  Lexer(std::string source, const std::string& origin, const LexOptions& options)
      : src_(std::move(source)), origin_(origin), opts_(options) {
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') newlines_.push_back(i);
    }
  }

  Result<std::vector<Token>> Run();

 private:
  int LineAt(size_t offset) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) - newlines_.begin());
  }
  Status Error(size_t offset, const std::string& message) const {
    return TemplateError(StatusCode::kFormatError, origin_, LineAt(offset), message);
  }
  void Emit(TokenType type, std::string text, size_t offset) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.line = LineAt(offset);
    tokens_.push_back(std::move(t));
  }
  // Text before a tag, with `{%-` / lstrip_blocks applied; `text_start` is where it begins.
  void EmitText(size_t text_start, size_t tag_start, char sign, bool is_variable);
  // After a tag's closing delimiter at `pos`: `-` strips all whitespace, else trim_blocks eats one
  // newline (block and comment tags only; `+` keeps it).
  size_t AfterTagEnd(size_t pos, char sign, bool trims) const;
  Status LexComment(size_t tag_start, size_t* pos);
  // `{% raw %}` at tag_start: returns true and advances *pos when it is one.
  Result<bool> TryLexRaw(size_t tag_start, size_t* pos);
  Status LexTag(size_t tag_start, bool is_block, size_t* pos);
  Status LexNumber(size_t* pos);
  Status LexString(size_t* pos);

  std::string src_;
  const std::string& origin_;
  LexOptions opts_;
  std::vector<size_t> newlines_;
  std::vector<Token> tokens_;
};

void Lexer::EmitText(size_t text_start, size_t tag_start, char sign, bool is_variable) {
  std::string_view text(src_.data() + text_start, tag_start - text_start);
  std::string kept(text);
  if (sign == '-') {
    kept = RStripAll(text);
  } else if (sign != '+' && opts_.lstrip_blocks && !is_variable) {
    const size_t nl = text.rfind('\n');
    const size_t line_pos = nl == std::string_view::npos ? 0 : nl + 1;
    const bool line_starting = text_start == 0 || src_[text_start - 1] == '\n';
    if (line_pos > 0 || line_starting) {
      const std::string_view tail = text.substr(line_pos);
      if (std::all_of(tail.begin(), tail.end(), [](char c) { return c == ' ' || c == '\t'; })) {
        kept = std::string(text.substr(0, line_pos));
      }
    }
  }
  if (!kept.empty()) Emit(TokenType::kData, std::move(kept), text_start);
}

size_t Lexer::AfterTagEnd(size_t pos, char sign, bool trims) const {
  if (sign == '-') return pos + WhitespaceRun(src_, pos);
  if (sign != '+' && trims && opts_.trim_blocks && pos < src_.size() && src_[pos] == '\n') return pos + 1;
  return pos;
}

Status Lexer::LexComment(size_t tag_start, size_t* pos) {
  const size_t content = *pos;
  size_t q = src_.find("#}", content);
  if (q == std::string::npos) return Error(tag_start, "missing end of comment tag");
  char sign = 0;
  if (q > content && (src_[q - 1] == '-' || src_[q - 1] == '+')) sign = src_[q - 1];
  *pos = AfterTagEnd(q + 2, sign, true);
  return Status::Ok();
}

Result<bool> Lexer::TryLexRaw(size_t tag_start, size_t* pos) {
  size_t p = *pos;
  while (p < src_.size() && IsTagSpace(src_[p])) ++p;
  if (src_.compare(p, 3, "raw") != 0 || (p + 3 < src_.size() && IsNameChar(src_[p + 3]))) return false;
  p += 3;
  while (p < src_.size() && IsTagSpace(src_[p])) ++p;
  if (src_.compare(p, 3, "-%}") == 0) {
    p += 3;
    p += WhitespaceRun(src_, p);
  } else if (src_.compare(p, 2, "%}") == 0) {
    p += 2;  // Jinja does not trim a newline after `{% raw %}`
  } else {
    return false;
  }
  // Find `{%[-+]? endraw [-+]?%}`.
  for (size_t q = src_.find("{%", p); q != std::string::npos; q = src_.find("{%", q + 1)) {
    size_t r = q + 2;
    char begin_sign = 0;
    if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) begin_sign = src_[r++];
    while (r < src_.size() && IsTagSpace(src_[r])) ++r;
    if (src_.compare(r, 6, "endraw") != 0) continue;
    r += 6;
    while (r < src_.size() && IsTagSpace(src_[r])) ++r;
    char end_sign = 0;
    if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) end_sign = src_[r++];
    if (src_.compare(r, 2, "%}") != 0) continue;
    EmitText(p, q, begin_sign, false);
    *pos = AfterTagEnd(r + 2, end_sign, true);
    return true;
  }
  return Error(tag_start, "missing end of raw directive");
}

Status Lexer::LexNumber(size_t* pos) {
  const size_t start = *pos;
  size_t p = start;
  auto digits = [&](auto accept) {
    const size_t begin = p;
    while (p < src_.size() && (accept(src_[p]) || (src_[p] == '_' && p > begin && p + 1 < src_.size() &&
                                                   accept(src_[p + 1])))) {
      ++p;
    }
    return p > begin;
  };
  auto dec = [](char c) { return IsDigit(c); };
  // Prefixed integers: 0x.., 0o.., 0b..
  if (src_[p] == '0' && p + 2 < src_.size() &&
      (src_[p + 1] == 'x' || src_[p + 1] == 'X' || src_[p + 1] == 'o' || src_[p + 1] == 'O' ||
       src_[p + 1] == 'b' || src_[p + 1] == 'B')) {
    const char kind = static_cast<char>(src_[p + 1] | 0x20);
    const int base = kind == 'x' ? 16 : kind == 'o' ? 8 : 2;
    auto in_base = [base](char c) {
      if (base == 16) return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
      return c >= '0' && c < static_cast<char>('0' + base);
    };
    p += 2;
    if (p < src_.size() && src_[p] == '_') ++p;
    if (digits(in_base)) {
      std::string text;
      for (size_t k = start + 2; k < p; ++k) {
        if (src_[k] != '_') text.push_back(src_[k]);
      }
      errno = 0;
      const unsigned long long v = std::strtoull(text.c_str(), nullptr, base);
      if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) {
        return Error(start, "integer literal " + src_.substr(start, p - start) + " is too large");
      }
      Token t;
      t.type = TokenType::kInt;
      t.int_value = static_cast<int64_t>(v);
      t.line = LineAt(start);
      tokens_.push_back(std::move(t));
      *pos = p;
      return Status::Ok();
    }
    p = start;
  }
  digits(dec);
  bool is_float = false;
  // A float needs digits after the dot (`1.` is the int 1 then `.`), and no float directly after a
  // dot (`x.0.1` is two item lookups).
  const bool after_dot = start > 0 && src_[start - 1] == '.';
  if (!after_dot && p + 1 < src_.size() && src_[p] == '.' && IsDigit(src_[p + 1])) {
    ++p;
    digits(dec);
    is_float = true;
  }
  if (!after_dot && p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
    size_t q = p + 1;
    if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
    if (q < src_.size() && IsDigit(src_[q])) {
      p = q;
      digits(dec);
      is_float = true;
    }
  }
  std::string text;
  for (size_t k = start; k < p; ++k) {
    if (src_[k] != '_') text.push_back(src_[k]);
  }
  Token t;
  t.line = LineAt(start);
  if (is_float) {
    t.type = TokenType::kFloat;
    t.float_value = std::strtod(text.c_str(), nullptr);
  } else {
    t.type = TokenType::kInt;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == ERANGE) return Error(start, "integer literal " + text + " is too large");
    t.int_value = static_cast<int64_t>(v);
  }
  tokens_.push_back(std::move(t));
  *pos = p;
  return Status::Ok();
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  c = static_cast<char>(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Status Lexer::LexString(size_t* pos) {
  const size_t start = *pos;
  const char quote = src_[start];
  std::string value;
  size_t p = start + 1;
  while (true) {
    if (p >= src_.size()) return Error(start, std::string("unterminated string literal starting with ") + quote);
    const char c = src_[p];
    if (c == quote) break;
    if (c != '\\') {
      value.push_back(c);
      ++p;
      continue;
    }
    if (p + 1 >= src_.size()) return Error(start, "unterminated string literal");
    const char e = src_[p + 1];
    p += 2;
    switch (e) {
      case '\n': break;  // line continuation
      case '\\': value.push_back('\\'); break;
      case '\'': value.push_back('\''); break;
      case '"': value.push_back('"'); break;
      case 'a': value.push_back('\a'); break;
      case 'b': value.push_back('\b'); break;
      case 'f': value.push_back('\f'); break;
      case 'n': value.push_back('\n'); break;
      case 'r': value.push_back('\r'); break;
      case 't': value.push_back('\t'); break;
      case 'v': value.push_back('\v'); break;
      case 'x':
      case 'u':
      case 'U': {
        const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int k = 0; k < n; ++k) {
          const int h = p + k < src_.size() ? HexValue(src_[p + k]) : -1;
          if (h < 0) return Error(start, std::string("truncated \\") + e + " escape in string literal");
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10ffff) return Error(start, "\\U escape out of range in string literal");
        p += static_cast<size_t>(n);
        AppendUtf8(cp, &value);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++k) {
            cp = cp * 8 + static_cast<uint32_t>(src_[p++] - '0');
          }
          AppendUtf8(cp, &value);
        } else {
          value.push_back('\\');  // unknown escapes stay as written, as in Python
          value.push_back(e);
        }
    }
  }
  Emit(TokenType::kString, std::move(value), start);
  *pos = p + 1;
  return Status::Ok();
}

Status Lexer::LexTag(size_t tag_start, bool is_block, size_t* pos) {
  Emit(is_block ? TokenType::kBlockBegin : TokenType::kVarBegin, is_block ? "{%" : "{{", tag_start);
  std::vector<char> balance;  // closing brackets still expected; tag ends only count when empty
  size_t p = *pos;
  static const char* kTwoCharOps[] = {"//", "**", "==", "!=", ">=", "<="};
  static const std::string kOneCharOps = "+-/*%~[](){}><=.:|,;";
  while (true) {
    while (p < src_.size() && IsTagSpace(src_[p])) ++p;
    if (p >= src_.size()) {
      return Error(tag_start, is_block ? "unexpected end of template inside a block tag, expected '%}'"
                                       : "unexpected end of template inside '{{', expected '}}'");
    }
    if (balance.empty()) {
      const char* end = is_block ? "%}" : "}}";
      char sign = 0;
      size_t q = p;
      if (src_[q] == '-' || (is_block && src_[q] == '+')) sign = src_[q++];
      if (src_.compare(q, 2, end) == 0) {
        Emit(is_block ? TokenType::kBlockEnd : TokenType::kVarEnd, end, p);
        *pos = AfterTagEnd(q + 2, sign, is_block);
        return Status::Ok();
      }
    }
    const char c = src_[p];
    if (IsDigit(c)) {
      ANEMLL_RETURN_IF_ERROR(LexNumber(&p));
      continue;
    }
    if (IsNameStart(c)) {
      const size_t start = p;
      while (p < src_.size() && IsNameChar(src_[p])) ++p;
      Emit(TokenType::kName, src_.substr(start, p - start), start);
      continue;
    }
    if (c == '\'' || c == '"') {
      ANEMLL_RETURN_IF_ERROR(LexString(&p));
      continue;
    }
    std::string op;
    for (const char* two : kTwoCharOps) {
      if (src_.compare(p, 2, two) == 0) op = two;
    }
    if (op.empty() && kOneCharOps.find(c) != std::string::npos) op = std::string(1, c);
    if (op.empty()) {
      std::string shown;
      size_t next = p;
      NextCodePoint(src_, &next);
      shown = src_.substr(p, next - p);
      return Error(p, "unexpected character '" + shown + "' in tag");
    }
    if (op == "(" || op == "[" || op == "{") {
      balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
    } else if (op == ")" || op == "]" || op == "}") {
      if (balance.empty() || balance.back() != op[0]) return Error(p, "unexpected '" + op + "'");
      balance.pop_back();
    }
    Emit(TokenType::kOperator, op, p);
    p += op.size();
  }
}

Result<std::vector<Token>> Lexer::Run() {
  size_t pos = 0;
  while (pos < src_.size()) {
    size_t k = pos;
    while (true) {
      k = src_.find('{', k);
      if (k == std::string::npos || k + 1 >= src_.size()) {
        k = std::string::npos;
        break;
      }
      const char n = src_[k + 1];
      if (n == '{' || n == '%' || n == '#') break;
      ++k;
    }
    if (k == std::string::npos) {
      Emit(TokenType::kData, src_.substr(pos), pos);
      break;
    }
    const char kind = src_[k + 1];
    char sign = 0;
    size_t inner = k + 2;
    if (inner < src_.size() && (src_[inner] == '-' || src_[inner] == '+')) sign = src_[inner++];
    EmitText(pos, k, sign, kind == '{');
    pos = inner;
    if (kind == '#') {
      ANEMLL_RETURN_IF_ERROR(LexComment(k, &pos));
      continue;
    }
    if (kind == '%') {
      ANEMLL_ASSIGN_OR_RETURN(bool raw, TryLexRaw(k, &pos));
      if (raw) continue;
    }
    ANEMLL_RETURN_IF_ERROR(LexTag(k, kind == '%', &pos));
  }
  Token eof;
  eof.type = TokenType::kEof;
  eof.line = LineAt(src_.size());
  tokens_.push_back(std::move(eof));
  return std::move(tokens_);
}

}  // namespace

Result<std::vector<Token>> Lex(std::string_view source, const std::string& origin, const LexOptions& options) {
  Lexer lexer(NormalizeSource(source, options.keep_trailing_newline), origin, options);
  return lexer.Run();
}

std::string DescribeToken(const Token& token) {
  switch (token.type) {
    case TokenType::kData: return "template text";
    case TokenType::kVarBegin: return "'{{'";
    case TokenType::kVarEnd: return "'}}'";
    case TokenType::kBlockBegin: return "'{%'";
    case TokenType::kBlockEnd: return "'%}'";
    case TokenType::kName:
    case TokenType::kOperator: return "'" + token.text + "'";
    case TokenType::kString: return "string literal";
    case TokenType::kInt: return "integer " + std::to_string(token.int_value);
    case TokenType::kFloat: return "float literal";
    case TokenType::kEof: return "end of template";
  }
  return "token";
}

}  // namespace anemll::tokenizer::jinja
