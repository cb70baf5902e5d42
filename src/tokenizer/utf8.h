// UTF-8 helpers for the tokenizer: decoding with the WHATWG / Unicode "maximal subpart" rule for
// ill-formed input (the rule Rust's String::from_utf8_lossy follows, so decoded text matches the
// Hugging Face tokenizers byte for byte), incomplete-tail detection for streaming, and the few
// Unicode character classes the added-token matcher needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace anemll::tokenizer::utf8 {

inline constexpr char32_t kReplacementChar = 0xFFFD;

enum class SeqStatus : uint8_t {
  kOk,         // a complete, well-formed sequence
  kInvalid,    // ill-formed: `len` bytes form one maximal subpart (one U+FFFD)
  kTruncated,  // well-formed so far but cut off by the end of the input (`len` bytes)
};

struct Decoded {
  char32_t cp;       // the code point, or U+FFFD when not kOk
  uint32_t len;      // bytes consumed (>= 1)
  SeqStatus status;
};

// Decodes the sequence starting at s[i] (requires i < s.size()).
Decoded DecodeAt(std::string_view s, size_t i);

// Length in bytes of the sequence introduced by a lead byte of well-formed text.
inline uint32_t SeqLen(uint8_t lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Decodes the sequence at s[i] of text known to be well-formed (no checks); sets `*len`.
inline char32_t DecodeValid(std::string_view s, size_t i, uint32_t* len) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data()) + i;
  const uint8_t b0 = p[0];
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if (b0 < 0xE0) {
    *len = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b0 < 0xF0) {
    *len = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  *len = 4;
  return (static_cast<char32_t>(b0 & 0x07) << 18) | (static_cast<char32_t>(p[1] & 0x3F) << 12) |
         (static_cast<char32_t>(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

bool IsValid(std::string_view s);

// Appends `s`, every maximal ill-formed subpart replaced by U+FFFD.
void AppendLossy(std::string_view s, std::string& out);
std::string Lossy(std::string_view s);

void AppendCodepoint(char32_t cp, std::string& out);

// Number of bytes (0-3) at the end of `s` that start a well-formed sequence still missing bytes.
// Cutting them off leaves a prefix whose lossy decoding is final whatever bytes follow.
size_t IncompleteTailLength(std::string_view s);

// Unicode White_Space (what Rust's char::is_whitespace and regex `\s` match).
bool IsWhitespace(char32_t cp);
// Rust regex `\w`: letters, marks, decimal digits, connector punctuation, ZWJ/ZWNJ.
bool IsWordChar(char32_t cp);

// Number of code points in well-formed `s`.
size_t CountChars(std::string_view s);

}  // namespace anemll::tokenizer::utf8
