#include "tokenizer/jinja/pystring.h"

#include <utf8proc.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace anemll::tokenizer::jinja {

uint32_t NextCodePoint(std::string_view s, size_t* pos) {
  const size_t i = *pos;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  int len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    *pos = i + 1;
    return 0xfffd;
  }
  if (i + len > s.size()) {
    *pos = i + 1;
    return 0xfffd;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      *pos = i + 1;
      return 0xfffd;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    *pos = i + 1;
    return 0xfffd;
  }
  *pos = i + len;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::vector<size_t> CodePointOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    offsets.push_back(pos);
    NextCodePoint(s, &pos);
  }
  offsets.push_back(s.size());
  return offsets;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    NextCodePoint(s, &pos);
    ++n;
  }
  return n;
}

bool IsPyWhitespace(uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

namespace {

// Code points of `chars` for membership tests in strip().
std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> cps;
  size_t pos = 0;
  while (pos < s.size()) cps.push_back(NextCodePoint(s, &pos));
  return cps;
}

bool InSet(uint32_t cp, const std::optional<std::vector<uint32_t>>& set) {
  if (!set) return IsPyWhitespace(cp);
  for (uint32_t c : *set) {
    if (c == cp) return true;
  }
  return false;
}

}  // namespace

std::string PyStrip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right) {
  std::optional<std::vector<uint32_t>> set;
  if (chars) set = CodePoints(*chars);
  const std::vector<size_t> off = CodePointOffsets(s);
  const size_t n = off.size() - 1;
  size_t begin = 0;
  size_t end = n;
  auto cp_at = [&](size_t k) {
    size_t p = off[k];
    return NextCodePoint(s, &p);
  };
  if (left) {
    while (begin < end && InSet(cp_at(begin), set)) ++begin;
  }
  if (right) {
    while (end > begin && InSet(cp_at(end - 1), set)) --end;
  }
  return std::string(s.substr(off[begin], off[end] - off[begin]));
}

namespace {

std::vector<std::string> SplitWhitespace(std::string_view s, int64_t maxsplit, bool from_right) {
  const std::vector<size_t> off = CodePointOffsets(s);
  const size_t n = off.size() - 1;
  std::vector<bool> ws(n);
  for (size_t k = 0; k < n; ++k) {
    size_t p = off[k];
    ws[k] = IsPyWhitespace(NextCodePoint(s, &p));
  }
  auto piece = [&](size_t a, size_t b) { return std::string(s.substr(off[a], off[b] - off[a])); };
  std::vector<std::string> parts;
  int64_t remaining = maxsplit < 0 ? INT64_MAX : maxsplit;
  if (!from_right) {
    size_t i = 0;
    while (remaining-- > 0) {
      while (i < n && ws[i]) ++i;
      if (i == n) break;
      size_t j = i;
      while (i < n && !ws[i]) ++i;
      parts.push_back(piece(j, i));
    }
    if (i < n) {
      while (i < n && ws[i]) ++i;
      if (i != n) parts.push_back(piece(i, n));
    }
    return parts;
  }
  size_t i = n;
  while (remaining-- > 0) {
    while (i > 0 && ws[i - 1]) --i;
    if (i == 0) break;
    size_t j = i;
    while (i > 0 && !ws[i - 1]) --i;
    parts.push_back(piece(i, j));
  }
  if (i > 0) {
    while (i > 0 && ws[i - 1]) --i;
    if (i != 0) parts.push_back(piece(0, i));
  }
  return std::vector<std::string>(parts.rbegin(), parts.rend());
}

}  // namespace

std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (!sep) return SplitWhitespace(s, maxsplit, false);
  std::vector<std::string> parts;
  int64_t remaining = maxsplit < 0 ? INT64_MAX : maxsplit;
  size_t i = 0;
  while (remaining-- > 0) {
    const size_t pos = s.find(*sep, i);
    if (pos == std::string_view::npos) break;
    parts.emplace_back(s.substr(i, pos - i));
    i = pos + sep->size();
  }
  parts.emplace_back(s.substr(i));
  return parts;
}

std::vector<std::string> PyRSplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (!sep) return SplitWhitespace(s, maxsplit, true);
  std::vector<std::string> parts;
  int64_t remaining = maxsplit < 0 ? INT64_MAX : maxsplit;
  size_t end = s.size();
  while (remaining-- > 0 && end >= sep->size()) {
    const size_t pos = s.rfind(*sep, end - sep->size());
    if (pos == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos + sep->size(), end - pos - sep->size()));
    end = pos;
  }
  parts.emplace_back(s.substr(0, end));
  return std::vector<std::string>(parts.rbegin(), parts.rend());
}

std::vector<std::string> PySplitLines(std::string_view s) {
  std::vector<std::string> lines;
  size_t start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t cp_start = pos;
    const uint32_t cp = NextCodePoint(s, &pos);
    const bool brk = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || (cp >= 0x1c && cp <= 0x1e) ||
                     cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!brk) continue;
    lines.emplace_back(s.substr(start, cp_start - start));
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    start = pos;
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

namespace {

// Applies `fn(cp, &out)` to every code point; invalid bytes are kept as they are.
template <typename Fn>
std::string MapCodePoints(std::string_view s, Fn fn) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = NextCodePoint(s, &pos);
    if (cp == 0xfffd && pos - start == 1 && static_cast<unsigned char>(s[start]) >= 0x80) {
      out.push_back(s[start]);
      continue;
    }
    fn(cp, &out);
  }
  return out;
}

// Python's str.upper()/lower()/title() use Unicode's full case mappings, where a few characters
// map to several; these are the ones outside Greek and Armenian.
struct MultiMapping {
  uint32_t cp;
  const char* upper;
  const char* title;
};
constexpr MultiMapping kSpecialUpper[] = {
    {0x00df, "SS", "Ss"},    {0xfb00, "FF", "Ff"},   {0xfb01, "FI", "Fi"},
    {0xfb02, "FL", "Fl"},    {0xfb03, "FFI", "Ffi"}, {0xfb04, "FFL", "Ffl"},
    {0xfb05, "ST", "St"},    {0xfb06, "ST", "St"},   {0x0149, "\xca\xbcN", "\xca\xbcN"},
    {0x01f0, "J\xcc\x8c", "J\xcc\x8c"},
};

const MultiMapping* SpecialUpper(uint32_t cp) {
  if (cp != 0x00df && cp != 0x0149 && cp != 0x01f0 && (cp < 0xfb00 || cp > 0xfb06)) return nullptr;
  for (const MultiMapping& m : kSpecialUpper) {
    if (m.cp == cp) return &m;
  }
  return nullptr;
}

uint32_t Upper(uint32_t cp) { return static_cast<uint32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))); }
uint32_t Lower(uint32_t cp) { return static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))); }
uint32_t Titlecase(uint32_t cp) {
  return static_cast<uint32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
}
bool IsCased(uint32_t cp) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

void AppendUpper(uint32_t cp, std::string* out) {
  if (const MultiMapping* m = SpecialUpper(cp)) {
    *out += m->upper;
  } else {
    AppendUtf8(Upper(cp), out);
  }
}

void AppendTitle(uint32_t cp, std::string* out) {
  if (const MultiMapping* m = SpecialUpper(cp)) {
    *out += m->title;
  } else {
    AppendUtf8(Titlecase(cp), out);
  }
}

void AppendLower(uint32_t cp, std::string* out) {
  if (cp == 0x0130) {
    *out += "i\xcc\x87";  // İ -> i + combining dot above
  } else {
    AppendUtf8(Lower(cp), out);
  }
}

}  // namespace

std::string PyUpper(std::string_view s) { return MapCodePoints(s, AppendUpper); }
std::string PyLower(std::string_view s) { return MapCodePoints(s, AppendLower); }

std::string PyCapitalize(std::string_view s) {
  bool first = true;
  return MapCodePoints(s, [&](uint32_t cp, std::string* out) {
    if (first) {
      AppendTitle(cp, out);
    } else {
      AppendLower(cp, out);
    }
    first = false;
  });
}

std::string PyTitle(std::string_view s) {
  bool prev_cased = false;
  return MapCodePoints(s, [&](uint32_t cp, std::string* out) {
    if (prev_cased) {
      AppendLower(cp, out);
    } else {
      AppendTitle(cp, out);
    }
    prev_cased = IsCased(cp);
  });
}

bool PyIsUpper(std::string_view s) {
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = NextCodePoint(s, &pos);
    if (!IsCased(cp)) continue;
    if (Upper(cp) != cp || Lower(cp) == cp) return false;
    cased = true;
  }
  return cased;
}

bool PyIsLower(std::string_view s) {
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = NextCodePoint(s, &pos);
    if (!IsCased(cp)) continue;
    if (Lower(cp) != cp || Upper(cp) == cp) return false;
    cased = true;
  }
  return cased;
}

std::string PyReplace(std::string_view s, std::string_view old, std::string_view repl, int64_t count) {
  std::string out;
  int64_t remaining = count < 0 ? INT64_MAX : count;
  if (old.empty()) {
    const std::vector<size_t> off = CodePointOffsets(s);
    for (size_t k = 0; k + 1 < off.size(); ++k) {
      if (remaining > 0) {
        out.append(repl);
        --remaining;
      }
      out.append(s.substr(off[k], off[k + 1] - off[k]));
    }
    if (remaining > 0) out.append(repl);
    return out;
  }
  size_t i = 0;
  while (remaining > 0) {
    const size_t pos = s.find(old, i);
    if (pos == std::string_view::npos) break;
    out.append(s.substr(i, pos - i));
    out.append(repl);
    i = pos + old.size();
    --remaining;
  }
  out.append(s.substr(i));
  return out;
}

std::string PyStrRepr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = NextCodePoint(s, &pos);
    char buf[16];
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", cp);
      out += buf;
    } else if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
      const bool printable = cat != UTF8PROC_CATEGORY_CC && cat != UTF8PROC_CATEGORY_CF &&
                             cat != UTF8PROC_CATEGORY_CS && cat != UTF8PROC_CATEGORY_CO &&
                             cat != UTF8PROC_CATEGORY_CN && cat != UTF8PROC_CATEGORY_ZL &&
                             cat != UTF8PROC_CATEGORY_ZP && cat != UTF8PROC_CATEGORY_ZS;
      if (printable || (cp == 0xfffd && pos - start == 1)) {
        out.append(s.substr(start, pos - start));
      } else if (cp < 0x100) {
        std::snprintf(buf, sizeof buf, "\\x%02x", cp);
        out += buf;
      } else if (cp < 0x10000) {
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
        out += buf;
      } else {
        std::snprintf(buf, sizeof buf, "\\U%08x", cp);
        out += buf;
      }
    }
  }
  out.push_back(quote);
  return out;
}

std::string PyFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[48];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  // buf is "[-]d[.ddd]e[+-]XX": split into sign, digits and decimal exponent.
  std::string text = buf;
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    text.erase(0, 1);
  }
  const size_t e = text.find('e');
  std::string digits;
  for (size_t k = 0; k < e; ++k) {
    if (text[k] != '.') digits.push_back(text[k]);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exp10 = std::atoi(text.c_str() + e + 1);
  const int decpt = exp10 + 1;  // value = 0.digits * 10^decpt
  const int ndigits = static_cast<int>(digits.size());
  std::string out = sign;
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (ndigits > 1) out += "." + digits.substr(1);
    std::snprintf(buf, sizeof buf, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    out += buf;
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  } else if (decpt >= ndigits) {
    out += digits + std::string(static_cast<size_t>(decpt - ndigits), '0') + ".0";
  } else {
    out += digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
  }
  return out;
}

}  // namespace anemll::tokenizer::jinja
