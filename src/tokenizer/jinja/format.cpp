// String formatting with Python semantics: `fmt % args`, str.format, justification, and the
// text-to-number conversions of the `int`/`float` filters.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

constexpr int64_t kMaxFieldWidth = 1 << 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Pads `body` (already signed) to `width` code points.
std::string Pad(const std::string& body, int64_t width, char align, const std::string& fill, size_t sign_len) {
  const auto len = static_cast<int64_t>(CodePointCount(body));
  if (width <= len) return body;
  const auto n = static_cast<size_t>(width - len);
  auto fills = [&](size_t k) {
    std::string s;
    for (size_t i = 0; i < k; ++i) s += fill;
    return s;
  };
  switch (align) {
    case '<': return body + fills(n);
    case '^': return fills(n / 2) + body + fills(n - n / 2);
    case '=': return body.substr(0, sign_len) + fills(n) + body.substr(sign_len);
    default: return fills(n) + body;
  }
}

std::string IntDigits(uint64_t magnitude, int base, bool upper) {
  if (magnitude == 0) return "0";
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  while (magnitude > 0) {
    out.insert(out.begin(), digits[magnitude % static_cast<uint64_t>(base)]);
    magnitude /= static_cast<uint64_t>(base);
  }
  return out;
}

uint64_t Magnitude(int64_t v) { return v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v); }

void GroupThousands(std::string* digits, char sep) {
  const size_t dot = digits->find_first_of(".eE");
  const size_t int_end = dot == std::string::npos ? digits->size() : dot;
  for (int64_t k = static_cast<int64_t>(int_end) - 3; k > 0; k -= 3) digits->insert(static_cast<size_t>(k), 1, sep);
}

std::string CFloat(double v, char conv, int precision, bool alt) {
  char spec[16];
  std::snprintf(spec, sizeof spec, "%%%s.*%c", alt ? "#" : "", conv);
  char buf[512];
  std::snprintf(buf, sizeof buf, spec, precision, v);
  return buf;
}

// ---- printf-style ----

struct PercentSpec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int64_t width = 0;
  int precision = -1;
  char conv = 's';
};

Result<std::string> PercentOne(const PercentSpec& s, const Value& v) {
  std::string body;
  size_t sign_len = 0;
  auto sign_of = [&](bool negative) -> std::string { return negative ? "-" : s.plus ? "+" : s.space ? " " : ""; };
  switch (s.conv) {
    case 's':
    case 'r':
    case 'a': {
      body = s.conv == 's' ? ToPyStr(v) : ToPyRepr(v);
      if (s.precision >= 0) {
        const std::vector<size_t> off = CodePointOffsets(body);
        if (static_cast<size_t>(s.precision) + 1 < off.size()) body.resize(off[static_cast<size_t>(s.precision)]);
      }
      return Pad(body, s.width, s.left ? '<' : '>', " ", 0);
    }
    case 'c': {
      if (v.is_string() && CodePointCount(v.str()) == 1) {
        body = v.str();
      } else if (v.is_integral() && v.int_value() >= 0 && v.int_value() <= 0x10ffff) {
        AppendUtf8(static_cast<uint32_t>(v.int_value()), &body);
      } else {
        return InvalidArgument("%c requires an int or a single character");
      }
      return Pad(body, s.width, s.left ? '<' : '>', " ", 0);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      int64_t n;
      if (v.is_integral()) {
        n = v.int_value();
      } else if (v.is_float() && (s.conv == 'd' || s.conv == 'i' || s.conv == 'u')) {
        if (!std::isfinite(v.number()) || std::fabs(v.number()) >= 9.2e18) return InvalidArgument("cannot convert float to integer");
        n = static_cast<int64_t>(v.number());
      } else {
        return InvalidArgument("%", s.conv, " format: a number is required, not ", v.TypeName());
      }
      const int base = (s.conv == 'x' || s.conv == 'X') ? 16 : s.conv == 'o' ? 8 : 10;
      std::string digits = IntDigits(Magnitude(n), base, s.conv == 'X');
      if (s.precision > 0 && digits.size() < static_cast<size_t>(s.precision)) {
        digits.insert(0, static_cast<size_t>(s.precision) - digits.size(), '0');
      }
      std::string prefix;
      if (s.alt && base == 16) prefix = s.conv == 'X' ? "0X" : "0x";
      if (s.alt && base == 8) prefix = "0o";
      const std::string sign = sign_of(n < 0);
      body = sign + prefix + digits;
      sign_len = sign.size() + prefix.size();
      break;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (!v.is_number()) return InvalidArgument("%", s.conv, " format: a real number is required, not ", v.TypeName());
      const double d = v.number();
      std::string text = CFloat(std::fabs(d), s.conv, s.precision < 0 ? 6 : s.precision, s.alt);
      const std::string sign = sign_of(std::signbit(d) && !std::isnan(d));
      body = sign + text;
      sign_len = sign.size();
      break;
    }
    default: return InvalidArgument("unsupported format character '", s.conv, "'");
  }
  if (s.left) return Pad(body, s.width, '<', " ", sign_len);
  if (s.zero) return Pad(body, s.width, '=', "0", sign_len);
  return Pad(body, s.width, '>', " ", sign_len);
}

// ---- str.format ----

Result<std::string> FormatSpec(const Value& v, const std::string& spec) {
  if (spec.empty()) return ToPyStr(v);
  size_t i = 0;
  std::string fill = " ";
  char align = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '=' || c == '^'; };
  {
    size_t next = 0;
    NextCodePoint(spec, &next);
    if (next < spec.size() && is_align(spec[next])) {
      fill = spec.substr(0, next);
      align = spec[next];
      i = next + 1;
    } else if (is_align(spec[0])) {
      align = spec[0];
      i = 1;
    }
  }
  char sign = '-';
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  bool alt = false;
  if (i < spec.size() && spec[i] == '#') alt = true, ++i;
  if (i < spec.size() && spec[i] == '0') {
    if (!align) fill = "0", align = '=';
    ++i;
  }
  int64_t width = 0;
  while (i < spec.size() && IsDigit(spec[i])) {
    width = width * 10 + (spec[i++] - '0');
    if (width > kMaxFieldWidth) return InvalidArgument("format width too large");
  }
  char grouping = 0;
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_')) grouping = spec[i++];
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    precision = 0;
    while (i < spec.size() && IsDigit(spec[i])) {
      precision = precision * 10 + (spec[i++] - '0');
      if (precision > 1000) return InvalidArgument("format precision too large");
    }
  }
  char type = 0;
  if (i < spec.size()) type = spec[i++];
  if (i != spec.size()) return InvalidArgument("invalid format specifier '", spec, "'");

  std::string body;
  size_t sign_len = 0;
  auto signed_text = [&](bool negative, std::string text) {
    const std::string s = negative ? "-" : sign == '+' ? "+" : sign == ' ' ? " " : "";
    sign_len = s.size();
    return s + text;
  };
  if (v.is_string() || ((type == 0 || type == 's') && !v.is_number())) {
    if (type != 0 && type != 's') return InvalidArgument("unknown format code '", type, "' for object of type '", v.TypeName(), "'");
    if (!v.is_string()) return InvalidArgument("unsupported format string passed to ", v.TypeName(), ".__format__");
    body = v.str();
    if (precision >= 0) {
      const std::vector<size_t> off = CodePointOffsets(body);
      if (static_cast<size_t>(precision) + 1 < off.size()) body.resize(off[static_cast<size_t>(precision)]);
    }
    return Pad(body, width, align ? align : '<', fill, 0);
  }
  if (v.is_integral() && (type == 0 || type == 'd' || type == 'n' || type == 'b' || type == 'o' || type == 'x' ||
                          type == 'X' || type == 'c')) {
    const int64_t n = v.int_value();
    if (type == 'c') {
      if (n < 0 || n > 0x10ffff) return InvalidArgument("%c arg not in range(0x110000)");
      AppendUtf8(static_cast<uint32_t>(n), &body);
    } else {
      const int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
      std::string digits = IntDigits(Magnitude(n), base, type == 'X');
      if (grouping) GroupThousands(&digits, grouping);
      if (alt && base != 10) digits.insert(0, base == 2 ? "0b" : base == 8 ? "0o" : type == 'X' ? "0X" : "0x");
      body = signed_text(n < 0, std::move(digits));
      if (alt && base != 10) sign_len += 2;
    }
  } else if (v.is_number()) {
    const double d = v.number();
    const int prec = precision < 0 ? 6 : precision;
    std::string text;
    switch (type) {
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': text = CFloat(std::fabs(d), type, prec, alt); break;
      case '%': text = CFloat(std::fabs(d) * 100, 'f', prec, alt) + "%"; break;
      case 0:
        if (precision < 0) {
          text = PyFloatRepr(std::fabs(d));
        } else {
          text = CFloat(std::fabs(d), 'g', precision == 0 ? 1 : precision, alt);
        }
        break;
      default: return InvalidArgument("unknown format code '", type, "' for object of type '", v.TypeName(), "'");
    }
    if (grouping) GroupThousands(&text, grouping);
    body = signed_text(std::signbit(d) && !std::isnan(d), text);
  } else {
    return InvalidArgument("unsupported format string passed to ", v.TypeName(), ".__format__");
  }
  return Pad(body, width, align ? align : '>', fill, sign_len);
}

Result<Value> ResolveField(const std::string& field, const CallArgs& args, size_t* auto_index, bool* manual) {
  size_t i = 0;
  while (i < field.size() && field[i] != '.' && field[i] != '[') ++i;
  const std::string first = field.substr(0, i);
  Value v;
  if (first.empty()) {
    if (*manual) return InvalidArgument("cannot switch from manual field specification to automatic field numbering");
    if (*auto_index >= args.args.size()) return InvalidArgument("Replacement index ", *auto_index, " out of range for positional args tuple");
    v = args.args[(*auto_index)++];
  } else if (std::all_of(first.begin(), first.end(), IsDigit)) {
    *manual = true;
    const size_t index = first.size() > 9 ? SIZE_MAX : static_cast<size_t>(std::stoul(first));
    if (index >= args.args.size()) return InvalidArgument("Replacement index ", first, " out of range for positional args tuple");
    v = args.args[index];
  } else {
    bool found = false;
    for (const auto& [k, value] : args.kwargs) {
      if (k == first) v = value, found = true;
    }
    if (!found) return InvalidArgument("KeyError '", first, "' in format string");
  }
  while (i < field.size()) {
    if (field[i] == '.') {
      size_t j = ++i;
      while (j < field.size() && field[j] != '.' && field[j] != '[') ++j;
      ANEMLL_ASSIGN_OR_RETURN(v, GetAttr(v, field.substr(i, j - i)));
      i = j;
    } else {
      const size_t close = field.find(']', i);
      if (close == std::string::npos) return InvalidArgument("Missing ']' in format string");
      const std::string key = field.substr(i + 1, close - i - 1);
      const bool numeric = !key.empty() && std::all_of(key.begin(), key.end(), IsDigit) && key.size() < 10;
      ANEMLL_ASSIGN_OR_RETURN(v, GetItem(v, numeric ? Value(static_cast<int64_t>(std::stoll(key))) : Value(key)));
      i = close + 1;
    }
  }
  return v;
}

bool ParseDigitsWithUnderscores(const std::string& s, size_t* i, auto is_digit) {
  const size_t start = *i;
  while (*i < s.size()) {
    if (is_digit(s[*i])) {
      ++*i;
    } else if (s[*i] == '_' && *i > start && *i + 1 < s.size() && is_digit(s[*i + 1])) {
      ++*i;
    } else {
      break;
    }
  }
  return *i > start;
}

}  // namespace

Result<Value> PercentFormat(const std::string& fmt, const Value& args) {
  List positional;
  const bool tuple = args.is_tuple();
  if (tuple) {
    positional = args.list();
  } else {
    positional.push_back(args);
  }
  size_t next_arg = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i++]);
      continue;
    }
    ++i;
    if (i >= fmt.size()) return InvalidArgument("incomplete format");
    if (fmt[i] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    const Value* mapped = nullptr;
    if (fmt[i] == '(') {
      const size_t close = fmt.find(')', i);
      if (close == std::string::npos) return InvalidArgument("incomplete format key");
      if (!args.is_dict()) return InvalidArgument("format requires a mapping");
      const std::string key = fmt.substr(i + 1, close - i - 1);
      mapped = args.dict().Find(key);
      if (!mapped) return InvalidArgument("KeyError '", key, "' in format string");
      used_mapping = true;
      i = close + 1;
    }
    PercentSpec spec;
    for (; i < fmt.size(); ++i) {
      const char c = fmt[i];
      if (c == '-') spec.left = true;
      else if (c == '+') spec.plus = true;
      else if (c == ' ') spec.space = true;
      else if (c == '#') spec.alt = true;
      else if (c == '0') spec.zero = true;
      else break;
    }
    auto take_arg = [&]() -> Result<Value> {
      if (next_arg >= positional.size()) return InvalidArgument("not enough arguments for format string");
      return positional[next_arg++];
    };
    if (i < fmt.size() && fmt[i] == '*') {
      ANEMLL_ASSIGN_OR_RETURN(Value w, take_arg());
      if (!w.is_integral()) return InvalidArgument("* wants int");
      spec.width = w.int_value();
      if (spec.width < 0) spec.left = true, spec.width = -spec.width;
      ++i;
    } else {
      while (i < fmt.size() && IsDigit(fmt[i])) spec.width = spec.width * 10 + (fmt[i++] - '0');
    }
    if (spec.width > kMaxFieldWidth) return InvalidArgument("format width too large");
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      spec.precision = 0;
      if (i < fmt.size() && fmt[i] == '*') {
        ANEMLL_ASSIGN_OR_RETURN(Value p, take_arg());
        if (!p.is_integral()) return InvalidArgument("* wants int");
        spec.precision = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(p.int_value(), 1000)));
        ++i;
      } else {
        while (i < fmt.size() && IsDigit(fmt[i])) spec.precision = std::min(spec.precision * 10 + (fmt[i++] - '0'), 1000);
      }
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) return InvalidArgument("incomplete format");
    spec.conv = fmt[i++];
    Value v;
    if (mapped) {
      v = *mapped;
    } else {
      ANEMLL_ASSIGN_OR_RETURN(v, take_arg());
    }
    ANEMLL_ASSIGN_OR_RETURN(std::string piece, PercentOne(spec, v));
    out += piece;
    if (out.size() > kMaxStringBytes) return InvalidArgument("formatted string exceeds ", kMaxStringBytes, " bytes");
  }
  if (!used_mapping && next_arg < positional.size() && !(args.is_dict() && !tuple)) {
    return InvalidArgument("not all arguments converted during string formatting");
  }
  return Value(std::move(out));
}

Result<Value> StrFormat(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  bool manual = false;
  for (size_t i = 0; i < fmt.size();) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        i += 2;
        continue;
      }
      return InvalidArgument("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      i += 2;
      continue;
    }
    const size_t close = fmt.find('}', i);
    if (close == std::string::npos) return InvalidArgument("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string spec;
    char conversion = 0;
    const size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    const size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) return InvalidArgument("expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field.resize(bang);
    }
    if (spec.find('{') != std::string::npos) return InvalidArgument("nested format fields are not supported");
    ANEMLL_ASSIGN_OR_RETURN(Value v, ResolveField(field, args, &auto_index, &manual));
    if (conversion == 'r' || conversion == 'a') {
      v = Value(ToPyRepr(v));
    } else if (conversion == 's') {
      v = Value(ToPyStr(v));
    } else if (conversion != 0) {
      return InvalidArgument("Unknown conversion specifier ", conversion);
    }
    ANEMLL_ASSIGN_OR_RETURN(std::string piece, FormatSpec(v, spec));
    out += piece;
    if (out.size() > kMaxStringBytes) return InvalidArgument("formatted string exceeds ", kMaxStringBytes, " bytes");
  }
  return Value(std::move(out));
}

Result<Value> ReplaceBounded(const std::string& s, const std::string& old, const std::string& repl, int64_t count) {
  if (repl.size() > old.size()) {
    // Predict the size before building it.
    uint64_t hits = 0;
    if (old.empty()) {
      hits = CodePointCount(s) + 1;
    } else {
      for (size_t p = s.find(old); p != std::string::npos; p = s.find(old, p + old.size())) ++hits;
    }
    if (count >= 0) hits = std::min<uint64_t>(hits, static_cast<uint64_t>(count));
    if (s.size() + hits * (repl.size() - old.size()) > kMaxStringBytes) {
      return InvalidArgument("replace(): result exceeds ", kMaxStringBytes, " bytes");
    }
  }
  return Value(PyReplace(s, old, repl, count));
}

Result<std::string> Justified(const std::string& s, int64_t width, const std::string& fill, char how) {
  if (width > kMaxFieldWidth) return InvalidArgument("width ", width, " too large");
  const auto len = static_cast<int64_t>(CodePointCount(s));
  if (width <= len) return s;
  const int64_t margin = width - len;
  int64_t left = how == 'l' ? 0 : how == 'r' ? margin : margin / 2 + (margin & width & 1);
  std::string out;
  for (int64_t k = 0; k < left; ++k) out += fill;
  out += s;
  for (int64_t k = 0; k < margin - left; ++k) out += fill;
  return out;
}

std::optional<int64_t> ParsePyInt(const std::string& raw, int base) {
  const std::string text = PyStrip(raw, std::nullopt, true, true);
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (i + 1 < text.size() && text[i] == '0') {
    const char p = static_cast<char>(text[i + 1] | 0x20);
    const int prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixed && (base == prefixed || base == 0)) {
      base = prefixed;
      i += 2;
      if (i < text.size() && text[i] == '_') ++i;
    }
  }
  if (base == 0) base = 10;
  if (base < 2 || base > 36) return std::nullopt;
  auto digit_value = [](char c) {
    if (IsDigit(c)) return c - '0';
    c = static_cast<char>(c | 0x20);
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    return 99;
  };
  size_t j = i;
  if (!ParseDigitsWithUnderscores(text, &j, [&](char c) { return digit_value(c) < base; }) || j != text.size()) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (size_t k = i; k < j; ++k) {
    if (text[k] == '_') continue;
    const auto d = static_cast<uint64_t>(digit_value(text[k]));
    if (v > (UINT64_MAX - d) / static_cast<uint64_t>(base)) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + d;
  }
  if (v > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) return std::nullopt;
  if (negative) return v == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(v);
  return static_cast<int64_t>(v);
}

std::optional<double> ParsePyFloat(const std::string& raw) {
  const std::string text = PyStrip(raw, std::nullopt, true, true);
  size_t i = 0;
  std::string clean;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) clean.push_back(text[i++]);
  std::string rest = PyLower(text.substr(i));
  if (rest == "inf" || rest == "infinity" || rest == "nan") return std::strtod((clean + rest).c_str(), nullptr);
  auto digit = [](char c) { return IsDigit(c); };
  size_t j = i;
  const bool int_part = ParseDigitsWithUnderscores(text, &j, digit);
  bool frac_part = false;
  if (j < text.size() && text[j] == '.') {
    ++j;
    frac_part = ParseDigitsWithUnderscores(text, &j, digit);
  }
  if (!int_part && !frac_part) return std::nullopt;
  if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
    ++j;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (!ParseDigitsWithUnderscores(text, &j, digit)) return std::nullopt;
  }
  if (j != text.size()) return std::nullopt;
  for (size_t k = i; k < j; ++k) {
    if (text[k] != '_') clean.push_back(text[k]);
  }
  return std::strtod(clean.c_str(), nullptr);
}

}  // namespace anemll::tokenizer::jinja
