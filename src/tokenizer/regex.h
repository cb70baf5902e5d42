// Regular expressions for tokenizer.json patterns, on PCRE2 (UTF + UCP, JIT when available).
// Hugging Face tokenizers runs these patterns with Oniguruma; where the two engines disagree on
// a shorthand class (`\s`, `\w`, `\h`) the pattern is rewritten to Oniguruma's meaning first.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace anemll::tokenizer {

struct Match {
  size_t begin;
  size_t end;
};

class Regex {
 public:
  // The error message names the offset in the pattern and PCRE2's reason.
  static Result<Regex> Compile(std::string_view pattern);
  // `pattern` rewritten to what PCRE2 needs to match like Oniguruma (exposed for tests).
  static std::string TranslateFromOniguruma(std::string_view pattern);

  // Appends the non-overlapping matches in `text` (well-formed UTF-8), left to right. As in
  // Oniguruma's find_iter, an empty match right where the previous match ended is skipped. A
  // matching error (resource limit) ends the search early; it never throws.
  void FindAll(std::string_view text, std::vector<Match>& out) const;

  const std::string& pattern() const;

 private:
  struct Impl;
  explicit Regex(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A Split / Replace pattern: a literal string or a regex.
class Pattern {
 public:
  static Pattern Literal(std::string text);
  static Result<Pattern> FromRegex(std::string_view regex);
  void FindAll(std::string_view text, std::vector<Match>& out) const;
  bool is_literal() const { return !regex_; }
  const std::string& literal() const { return literal_; }

 private:
  std::string literal_;
  std::shared_ptr<const Regex> regex_;
};

}  // namespace anemll::tokenizer
