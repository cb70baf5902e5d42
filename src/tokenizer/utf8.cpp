#include "tokenizer/utf8.h"

#include <utf8proc.h>

#include <cstring>

namespace anemll::tokenizer::utf8 {

Decoded DecodeAt(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  const uint8_t b0 = p[i];
  if (b0 < 0x80) return {b0, 1, SeqStatus::kOk};
  uint32_t need;     // continuation bytes after the lead
  uint8_t lo = 0x80;  // allowed range of the first continuation byte
  uint8_t hi = 0xBF;
  char32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacementChar, 1, SeqStatus::kInvalid};
  }
  for (uint32_t k = 1; k <= need; ++k) {
    if (i + k >= n) return {kReplacementChar, k, SeqStatus::kTruncated};
    const uint8_t b = p[i + k];
    const uint8_t min = (k == 1) ? lo : 0x80;
    const uint8_t max = (k == 1) ? hi : 0xBF;
    if (b < min || b > max) return {kReplacementChar, k, SeqStatus::kInvalid};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, need + 1, SeqStatus::kOk};
}

bool IsValid(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const auto* p = reinterpret_cast<const uint8_t*>(s.data()) + i;
    const uint8_t b0 = p[0];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    // Common well-formed 2- and 3-byte sequences inline; everything else through DecodeAt.
    if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < n && (p[1] & 0xC0) == 0x80) {
      i += 2;
      continue;
    }
    if (b0 >= 0xE1 && b0 <= 0xEC && i + 2 < n && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
      i += 3;
      continue;
    }
    Decoded d = DecodeAt(s, i);
    if (d.status != SeqStatus::kOk) return false;
    i += d.len;
  }
  return true;
}

void AppendCodepoint(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendLossy(std::string_view s, std::string& out) {
  size_t i = 0;
  size_t run = 0;  // start of the pending well-formed run
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    Decoded d = DecodeAt(s, i);
    if (d.status == SeqStatus::kOk) {
      i += d.len;
      continue;
    }
    out.append(s.data() + run, i - run);
    AppendCodepoint(kReplacementChar, out);
    i += d.len;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
}

std::string Lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendLossy(s, out);
  return out;
}

size_t IncompleteTailLength(std::string_view s) {
  const size_t n = s.size();
  const size_t first = n > 3 ? n - 3 : 0;
  for (size_t p = first; p < n; ++p) {
    const uint8_t b = static_cast<uint8_t>(s[p]);
    if (b < 0xC2 || b > 0xF4) continue;  // not a lead byte
    Decoded d = DecodeAt(s, p);
    if (d.status == SeqStatus::kTruncated && p + d.len == n) return n - p;
  }
  return 0;
}

bool IsWhitespace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (c == 0x200C || c == 0x200D) return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

size_t CountChars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace anemll::tokenizer::utf8
