#include "tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Span {
  uint32_t begin;
  uint32_t end;
  bool is_match;
};

// Splits every piece of `pt` at the matches of `pattern`, as NormalizedString::split does.
void SplitPieces(PreTokenized& pt, const Pattern& pattern, SplitBehavior behavior, bool invert) {
  std::vector<PreTokenized::Piece> result;
  result.reserve(pt.pieces.size() * 2);
  std::vector<Match> matches;
  std::vector<Span> spans;
  std::vector<Span> merged;
  for (const PreTokenized::Piece& piece : pt.pieces) {
    const std::string_view text = pt.view(piece);
    if (text.empty()) continue;
    matches.clear();
    pattern.FindAll(text, matches);
    // Cover the piece with (range, is_match) spans.
    spans.clear();
    uint32_t prev = 0;
    for (const Match& m : matches) {
      const auto b = static_cast<uint32_t>(m.begin);
      const auto e = static_cast<uint32_t>(m.end);
      if (prev != b) spans.push_back({prev, b, invert});
      spans.push_back({b, e, !invert});
      prev = e;
    }
    if (prev != text.size()) spans.push_back({prev, static_cast<uint32_t>(text.size()), invert});

    // Apply the delimiter behavior; `is_match` now means "drop this span".
    merged.clear();
    bool previous_match = false;
    switch (behavior) {
      case SplitBehavior::kIsolated:
        for (Span s : spans) merged.push_back({s.begin, s.end, false});
        break;
      case SplitBehavior::kRemoved:
        merged = spans;
        break;
      case SplitBehavior::kContiguous:
        for (Span s : spans) {
          if (s.is_match == previous_match && !merged.empty()) {
            merged.back().end = s.end;
          } else {
            merged.push_back({s.begin, s.end, false});
          }
          previous_match = s.is_match;
        }
        break;
      case SplitBehavior::kMergedWithPrevious:
        for (Span s : spans) {
          if (s.is_match && !previous_match && !merged.empty()) {
            merged.back().end = s.end;
          } else {
            merged.push_back({s.begin, s.end, false});
          }
          previous_match = s.is_match;
        }
        break;
      case SplitBehavior::kMergedWithNext:
        for (size_t k = spans.size(); k-- > 0;) {
          Span s = spans[k];
          if (s.is_match && !previous_match && !merged.empty()) {
            merged.back().begin = s.begin;
          } else {
            merged.push_back({s.begin, s.end, false});
          }
          previous_match = s.is_match;
        }
        std::reverse(merged.begin(), merged.end());
        break;
    }
    for (const Span& s : merged) {
      if (s.is_match || s.begin == s.end) continue;
      result.push_back({piece.begin + s.begin, piece.begin + s.end, piece.at_origin && s.begin == 0});
    }
  }
  pt.pieces.swap(result);
}

// Rebuilds the buffer with every piece rewritten by `fn(piece_text, out)`.
template <typename Fn>
void RewritePieces(PreTokenized& pt, Fn&& fn) {
  std::string buffer;
  buffer.reserve(pt.buffer.size() + pt.buffer.size() / 2 + 8);
  for (PreTokenized::Piece& piece : pt.pieces) {
    const std::string_view text = pt.view(piece);
    const auto begin = static_cast<uint32_t>(buffer.size());
    fn(text, piece, buffer);
    piece.begin = begin;
    piece.end = static_cast<uint32_t>(buffer.size());
  }
  pt.buffer.swap(buffer);
  // Rewriting never empties a piece, but a later split must not see empty ones either.
  std::erase_if(pt.pieces, [](const PreTokenized::Piece& p) { return p.begin == p.end; });
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void Apply(PreTokenized& pt) const override { SplitPieces(pt, pattern_, behavior_, invert_); }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<Pattern> gpt2)
      : add_prefix_space_(add_prefix_space), gpt2_(std::move(gpt2)) {}
  void Apply(PreTokenized& pt) const override {
    if (add_prefix_space_) {
      RewritePieces(pt, [](std::string_view text, const PreTokenized::Piece&, std::string& out) {
        if (text.empty() || text[0] != ' ') out += ' ';
        out.append(text);
      });
    }
    if (gpt2_) SplitPieces(pt, *gpt2_, SplitBehavior::kIsolated, false);
    const ByteLevelAlphabet& alphabet = GetByteLevelAlphabet();
    RewritePieces(pt, [&alphabet](std::string_view text, const PreTokenized::Piece&, std::string& out) {
      // Every byte becomes 1 or 2 bytes: write into room for the worst case, then trim.
      const size_t start = out.size();
      out.resize(start + 2 * text.size());
      char* dst = out.data() + start;
      for (char c : text) {
        const auto b = static_cast<uint8_t>(c);
        dst[0] = alphabet.encoded[b][0];
        dst[1] = alphabet.encoded[b][1];
        dst += alphabet.encoded_len[b];
      }
      out.resize(static_cast<size_t>(dst - out.data()));
    });
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Pattern> gpt2_;  // null when use_regex is false
};

enum class PrependScheme { kFirst, kNever, kAlways };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split),
        split_pattern_(Pattern::Literal(replacement_)) {}
  void Apply(PreTokenized& pt) const override {
    RewritePieces(pt, [this](std::string_view text, const PreTokenized::Piece& piece, std::string& out) {
      std::string replaced;
      replaced.reserve(text.size() + 8);
      for (char c : text) {
        if (c == ' ') {
          replaced += replacement_;
        } else {
          replaced += c;
        }
      }
      const bool starts_with_rep = replaced.compare(0, replacement_.size(), replacement_) == 0;
      bool prepend = false;
      if (scheme_ == PrependScheme::kAlways) prepend = !starts_with_rep;
      if (scheme_ == PrependScheme::kFirst) prepend = !starts_with_rep && piece.at_origin;
      if (prepend && !replaced.empty()) out += replacement_;
      out += replaced;
    });
    if (split_) SplitPieces(pt, split_pattern_, SplitBehavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  Pattern split_pattern_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void Apply(PreTokenized& pt) const override {
    for (const auto& p : parts_) p->Apply(pt);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

// Digits: each numeric character alone, or runs of them together.
class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(Pattern digits, bool individual)
      : digits_(std::move(digits)), individual_(individual) {}
  void Apply(PreTokenized& pt) const override {
    SplitPieces(pt, digits_, individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false);
  }

 private:
  Pattern digits_;
  bool individual_;
};

Result<SplitBehavior> ParseBehavior(const Json& j, const JsonPath& at) {
  ANEMLL_ASSIGN_OR_RETURN(std::string b, detail::ReqString(j, "behavior", at));
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  return at.Key("behavior").Error("unknown split behavior \"", b, "\"");
}

Result<Pattern> CompileOrFail(std::string_view regex, const JsonPath& at) {
  auto p = Pattern::FromRegex(regex);
  if (!p.ok()) return at.Error(p.status().message());
  return std::move(p).value();
}

}  // namespace

const ByteLevelAlphabet& GetByteLevelAlphabet() {
  static const ByteLevelAlphabet alphabet = [] {
    ByteLevelAlphabet a{};
    for (auto& d : a.decode) d = -1;
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
      std::string utf;
      utf8::AppendCodepoint(cp, utf);
      a.encoded_len[b] = static_cast<uint8_t>(utf.size());
      for (size_t k = 0; k < utf.size(); ++k) a.encoded[b][k] = utf[k];
      a.decode[cp] = static_cast<int16_t>(b);
    }
    return a;
  }();
  return alphabet;
}

Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& j, const JsonPath& at) {
  ANEMLL_ASSIGN_OR_RETURN(std::string type, detail::TypeOf(j, at));
  if (type == "Sequence") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* list, detail::ReqArray(j, "pretokenizers", at));
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      ANEMLL_ASSIGN_OR_RETURN(auto part,
                              ParsePreTokenizer((*list)[i], at.Key("pretokenizers").Index(i)));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(parts)));
  }
  if (type == "Split") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* pat, detail::ReqObject(j, "pattern", at));
    ANEMLL_ASSIGN_OR_RETURN(SplitBehavior behavior, ParseBehavior(j, at));
    ANEMLL_ASSIGN_OR_RETURN(bool invert, detail::OptBool(j, "invert", at, false));
    JsonPath pat_at = at.Key("pattern");
    if (const Json* lit = detail::Member(*pat, "String")) {
      if (!lit->is_string()) return pat_at.Key("String").Error("expected a string");
      return std::unique_ptr<PreTokenizer>(
          new SplitPreTokenizer(Pattern::Literal(lit->get<std::string>()), behavior, invert));
    }
    if (const Json* re = detail::Member(*pat, "Regex")) {
      if (!re->is_string()) return pat_at.Key("Regex").Error("expected a string");
      ANEMLL_ASSIGN_OR_RETURN(Pattern p, CompileOrFail(re->get<std::string>(), pat_at.Key("Regex")));
      return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(p), behavior, invert));
    }
    return pat_at.Error("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "ByteLevel") {
    ANEMLL_ASSIGN_OR_RETURN(bool prefix, detail::OptBool(j, "add_prefix_space", at, true));
    ANEMLL_ASSIGN_OR_RETURN(bool use_regex, detail::OptBool(j, "use_regex", at, true));
    std::unique_ptr<Pattern> gpt2;
    if (use_regex) {
      ANEMLL_ASSIGN_OR_RETURN(Pattern p, CompileOrFail(kGpt2Pattern, at));
      gpt2 = std::make_unique<Pattern>(std::move(p));
    }
    return std::unique_ptr<PreTokenizer>(new ByteLevelPreTokenizer(prefix, std::move(gpt2)));
  }
  if (type == "Metaspace") {
    ANEMLL_ASSIGN_OR_RETURN(std::string rep, detail::OptString(j, "replacement", at, "\xE2\x96\x81"));
    if (utf8::CountChars(rep) != 1) return at.Key("replacement").Error("expected one character");
    ANEMLL_ASSIGN_OR_RETURN(std::string scheme_name, detail::OptString(j, "prepend_scheme", at, "always"));
    PrependScheme scheme;
    if (scheme_name == "always") {
      scheme = PrependScheme::kAlways;
    } else if (scheme_name == "first") {
      scheme = PrependScheme::kFirst;
    } else if (scheme_name == "never") {
      scheme = PrependScheme::kNever;
    } else {
      return at.Key("prepend_scheme").Error("unknown prepend scheme \"", scheme_name, "\"");
    }
    if (const Json* aps = detail::Member(j, "add_prefix_space"); aps && aps->is_boolean() && !aps->get<bool>()) {
      scheme = PrependScheme::kNever;  // the legacy spelling of prepend_scheme "never"
    }
    ANEMLL_ASSIGN_OR_RETURN(bool split, detail::OptBool(j, "split", at, true));
    return std::unique_ptr<PreTokenizer>(new MetaspacePreTokenizer(std::move(rep), scheme, split));
  }
  if (type == "Digits") {
    ANEMLL_ASSIGN_OR_RETURN(bool individual, detail::OptBool(j, "individual_digits", at, false));
    ANEMLL_ASSIGN_OR_RETURN(Pattern p, CompileOrFail(individual ? R"(\p{N})" : R"(\p{N}+)", at));
    return std::unique_ptr<PreTokenizer>(new DigitsPreTokenizer(std::move(p), individual));
  }
  if (type == "Whitespace") {
    ANEMLL_ASSIGN_OR_RETURN(Pattern p, CompileOrFail(R"(\w+|[^\w\s]+)", at));
    return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(p), SplitBehavior::kRemoved, true));
  }
  if (type == "WhitespaceSplit") {
    ANEMLL_ASSIGN_OR_RETURN(Pattern p, CompileOrFail(R"(\s)", at));
    return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(p), SplitBehavior::kRemoved, false));
  }
  return at.Key("type").UnsupportedError(
      "pre-tokenizer type \"", type,
      "\" is not supported (supported: Sequence, Split, ByteLevel, Metaspace, Digits, Whitespace, "
      "WhitespaceSplit)");
}

}  // namespace anemll::tokenizer
