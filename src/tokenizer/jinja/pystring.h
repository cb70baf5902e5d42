// Python `str` semantics on UTF-8 strings: code-point indexing, strip/split with Python's
// whitespace set, case mapping, repr and float formatting. Invalid UTF-8 bytes count as one code
// point each and are kept as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anemll::tokenizer::jinja {

// Decodes the code point at s[*pos] and advances *pos; an invalid byte decodes to U+FFFD and
// advances by one.
uint32_t NextCodePoint(std::string_view s, size_t* pos);
void AppendUtf8(uint32_t cp, std::string* out);

// Byte offsets of every code point start, plus s.size() at the end (size = code points + 1).
std::vector<size_t> CodePointOffsets(std::string_view s);
size_t CodePointCount(std::string_view s);

// Python's str.isspace() set (ASCII controls, NEL, NBSP and the Unicode separators).
bool IsPyWhitespace(uint32_t cp);

// str.strip / lstrip / rstrip; `chars` unset strips whitespace, set strips those code points.
std::string PyStrip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);

// str.split(sep=None, maxsplit=-1) and str.rsplit; an empty `sep` is the caller's error.
std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> PyRSplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
// str.splitlines(keepends=False)
std::vector<std::string> PySplitLines(std::string_view s);

std::string PyUpper(std::string_view s);
std::string PyLower(std::string_view s);
std::string PyCapitalize(std::string_view s);  // first upper, rest lower
std::string PyTitle(std::string_view s);       // str.title(): a cased letter after an uncased one starts a word
bool PyIsUpper(std::string_view s);
bool PyIsLower(std::string_view s);

// str.replace(old, new, count); count < 0 replaces all. Empty `old` inserts between code points.
std::string PyReplace(std::string_view s, std::string_view old, std::string_view repl, int64_t count);

// repr() of a str: single quotes unless the text holds ' and no ".
std::string PyStrRepr(std::string_view s);

// repr() of a float: shortest round-trip digits, "1.0", "1e-05", "1e+16", "inf", "nan".
std::string PyFloatRepr(double v);

}  // namespace anemll::tokenizer::jinja
