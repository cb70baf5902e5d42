#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

// Oniguruma's `\s` is Unicode White_Space; PCRE2's (with UCP) also matches U+180E.
constexpr std::string_view kSpaceSet =
    "\\t-\\r\\x20\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}"
    "\\x{205f}\\x{3000}";
// Oniguruma's `\w`: letters, marks, decimal digits, connector punctuation.
constexpr std::string_view kWordSet = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
// Oniguruma's `\h` is a hexadecimal digit (PCRE2's is horizontal space).
constexpr std::string_view kHexSet = "0-9a-fA-F";

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* m) const { pcre2_match_context_free(m); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};

// Per-thread JIT stack (long runs of whitespace or letters need more than the 32 KiB default).
struct ThreadMatchContext {
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> context;
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> stack;
  ThreadMatchContext() {
    context.reset(pcre2_match_context_create(nullptr));
    stack.reset(pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr));
    if (context && stack) pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
  }
};

pcre2_match_context* ThreadContext() {
  thread_local ThreadMatchContext ctx;
  return ctx.context.get();
}

}  // namespace

struct Regex::Impl {
  std::string pattern;
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  bool jit = false;
};

std::string Regex::TranslateFromOniguruma(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 'Q') {  // \Q...\E quotes literally
        size_t end = p.find("\\E", i + 2);
        size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop;
        continue;
      }
      std::string_view set;
      bool negated = false;
      switch (e) {
        case 's': set = kSpaceSet; break;
        case 'S': set = kSpaceSet; negated = true; break;
        case 'w': set = kWordSet; break;
        case 'W': set = kWordSet; negated = true; break;
        case 'h': set = kHexSet; break;
        case 'H': set = kHexSet; negated = true; break;
        default: break;
      }
      if (!set.empty() && !in_class) {
        out += negated ? "[^" : "[";
        out += set;
        out += "]";
      } else if (!set.empty() && !negated) {
        out += set;  // inside a class: splice the members in
      } else if (e == 'h' || e == 'H') {
        // A negated hex class inside a class cannot be spliced; spell the digits out.
        out += negated ? "\\H" : kHexSet;
      } else {
        out += c;
        out += e;
      }
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      ++i;
      if (i < p.size() && p[i] == '^') out += p[i++];
      if (i < p.size() && p[i] == ']') out += p[i++];  // a leading ']' is a literal
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      size_t end = p.find(":]", i + 2);
      if (end != std::string_view::npos) {
        out.append(p.substr(i, end + 2 - i));
        i = end + 2;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out += c;
    ++i;
  }
  return out;
}

Result<Regex> Regex::Compile(std::string_view pattern) {
  auto impl = std::make_shared<Impl>();
  impl->pattern = std::string(pattern);
  const std::string translated = TranslateFromOniguruma(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof(buf));
    return InvalidArgument("bad regex \"", pattern, "\": ", reinterpret_cast<const char*>(buf),
                           " at offset ", offset);
  }
  impl->code.reset(code);
  impl->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return Regex(std::move(impl));
}

const std::string& Regex::pattern() const { return impl_->pattern; }

void Regex::FindAll(std::string_view text, std::vector<Match>& out) const {
  pcre2_code* code = impl_->code.get();
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(code, nullptr));
  if (!md) return;
  pcre2_match_context* mctx = ThreadContext();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const size_t n = text.size();
  size_t start = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (start <= n) {
    int rc = impl_->jit ? pcre2_jit_match(code, subject, n, start, PCRE2_NO_UTF_CHECK, md.get(), mctx)
                        : pcre2_match(code, subject, n, start, PCRE2_NO_UTF_CHECK, md.get(), mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(code, subject, n, start, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
    }
    if (rc < 0) return;  // no more matches (or a resource limit: stop without throwing)
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const size_t b = ov[0];
    const size_t e = ov[1];
    if (e < b) return;  // \K tricks; not produced by tokenizer patterns
    if (b == e && have_last && last_end == e) {
      // An empty match where the last one ended: move one character on and search again.
      if (start >= n) return;
      start += utf8::SeqLen(static_cast<uint8_t>(text[start]));
      continue;
    }
    out.push_back({b, e});
    have_last = true;
    last_end = e;
    // After an empty match the search resumes at the same position, where the repeated empty
    // match is then skipped (Oniguruma's rule).
    start = e;
  }
}

Pattern Pattern::Literal(std::string text) {
  Pattern p;
  if (text.empty()) {
    // An empty literal becomes the empty regex, which matches between every character.
    auto r = Regex::Compile("");
    p.regex_ = std::make_shared<const Regex>(std::move(r).value());
  }
  p.literal_ = std::move(text);
  return p;
}

Result<Pattern> Pattern::FromRegex(std::string_view regex) {
  ANEMLL_ASSIGN_OR_RETURN(Regex r, Regex::Compile(regex));
  Pattern p;
  p.regex_ = std::make_shared<const Regex>(std::move(r));
  return p;
}

void Pattern::FindAll(std::string_view text, std::vector<Match>& out) const {
  if (regex_) {
    regex_->FindAll(text, out);
    return;
  }
  size_t pos = 0;
  while (true) {
    size_t at = text.find(literal_, pos);
    if (at == std::string_view::npos) break;
    out.push_back({at, at + literal_.size()});
    pos = at + literal_.size();
  }
}

}  // namespace anemll::tokenizer
