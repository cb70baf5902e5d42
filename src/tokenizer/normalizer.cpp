#include "tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <vector>

#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

bool NormalizeWithUtf8proc(std::string_view in, UnicodeForm form, std::string& out) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case UnicodeForm::kNfc: options |= UTF8PROC_COMPOSE; break;
    case UnicodeForm::kNfd: options |= UTF8PROC_DECOMPOSE; break;
    case UnicodeForm::kNfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case UnicodeForm::kNfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* dst = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(in.data()),
                                    static_cast<utf8proc_ssize_t>(in.size()), &dst,
                                    static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(dst);
    return false;
  }
  out.append(reinterpret_cast<const char*>(dst), static_cast<size_t>(n));
  std::free(dst);
  return true;
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void Normalize(std::string& s) const override { UnicodeNormalize(s, form_); }

 private:
  UnicodeForm form_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void Normalize(std::string& s) const override {
    for (const auto& p : parts_) p->Normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void Normalize(std::string& s) const override {
    if (!s.empty()) s.insert(0, prefix_);  // tokenizers prepends only to non-empty strings
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void Normalize(std::string& s) const override {
    if (pattern_.is_literal() && s.find(pattern_.literal()) == std::string::npos) return;
    std::vector<Match> matches;
    pattern_.FindAll(s, matches);
    if (matches.empty()) return;
    std::string out;
    out.reserve(s.size() + matches.size() * content_.size());
    size_t last = 0;
    for (const Match& m : matches) {
      out.append(s, last, m.begin - last);
      out += content_;
      last = m.end;
    }
    out.append(s, last, std::string::npos);
    s.swap(out);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// Strips Unicode whitespace on the left and/or right.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void Normalize(std::string& s) const override {
    size_t b = 0;
    size_t e = s.size();
    if (left_) {
      while (b < e) {
        utf8::Decoded d = utf8::DecodeAt(s, b);
        if (!utf8::IsWhitespace(d.cp)) break;
        b += d.len;
      }
    }
    if (right_) {
      while (e > b) {
        size_t p = e - 1;
        while (p > b && (static_cast<uint8_t>(s[p]) & 0xC0) == 0x80) --p;
        utf8::Decoded d = utf8::DecodeAt(s, p);
        if (!utf8::IsWhitespace(d.cp)) break;
        e = p;
      }
    }
    s = s.substr(b, e - b);
  }

 private:
  bool left_;
  bool right_;
};

// Whether `cp` could change under `form` or make a neighbour change: a non-zero combining class
// (reordering), a canonical (or, for the K forms, any) decomposition, being the second character
// of a composition, or a conjoining Hangul jamo / syllable. Conservative: false means unchanged.
bool MayChange(char32_t cp, UnicodeForm form) {
  if (cp >= 0x1100 && cp <= 0x11FF) return true;  // conjoining jamo compose algorithmically
  const bool decompose = form == UnicodeForm::kNfd || form == UnicodeForm::kNfkd;
  const bool compat = form == UnicodeForm::kNfkc || form == UnicodeForm::kNfkd;
  if (decompose && cp >= 0xAC00 && cp <= 0xD7A3) return true;  // syllables decompose algorithmically
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  if (p->combining_class != 0) return true;
  if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return true;
  if (p->decomp_seqindex != UINT16_MAX && (compat || p->decomp_type == 0)) return true;
  return false;
}

// Whether the well-formed run s[begin, end) is already in `form`.
bool RunIsStable(std::string_view s, size_t begin, size_t end, UnicodeForm form) {
  for (size_t i = begin; i < end;) {
    uint32_t len;
    const char32_t cp = utf8::DecodeValid(s, i, &len);
    if (MayChange(cp, form)) return false;
    i += len;
  }
  return true;
}

}  // namespace

void UnicodeNormalize(std::string& s, UnicodeForm form) {
  // Only runs of non-ASCII text (with the ASCII character before them, which may be the base of
  // a combining mark) can change: a boundary before an ASCII character never composes across.
  size_t i = 0;
  const size_t n = s.size();
  while (i < n && static_cast<uint8_t>(s[i]) < 0x80) ++i;
  if (i == n) return;
  std::string out;
  out.reserve(n + 16);
  size_t copied = 0;  // s[0, copied) is already in `out`
  while (i < n) {
    // s[i] starts a non-ASCII run.
    size_t region = i > copied ? i - 1 : i;
    size_t end = i;
    while (end < n && static_cast<uint8_t>(s[end]) >= 0x80) ++end;
    if (RunIsStable(s, i, end, form)) {
      i = end;
      while (i < n && static_cast<uint8_t>(s[i]) < 0x80) ++i;
      continue;  // left in place; copied with the next changed region or at the end
    }
    out.append(s, copied, region - copied);
    if (!NormalizeWithUtf8proc(std::string_view(s).substr(region, end - region), form, out)) {
      out.append(s, region, end - region);
    }
    copied = end;
    i = end;
    while (i < n && static_cast<uint8_t>(s[i]) < 0x80) ++i;
  }
  if (copied == 0) return;  // nothing changed
  out.append(s, copied, std::string::npos);
  s.swap(out);
}

Result<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& j, const JsonPath& at) {
  ANEMLL_ASSIGN_OR_RETURN(std::string type, detail::TypeOf(j, at));
  if (type == "NFC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfkd));
  if (type == "Sequence") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* list, detail::ReqArray(j, "normalizers", at));
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      ANEMLL_ASSIGN_OR_RETURN(auto part, ParseNormalizer((*list)[i], at.Key("normalizers").Index(i)));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(parts)));
  }
  if (type == "Prepend") {
    ANEMLL_ASSIGN_OR_RETURN(std::string prefix, detail::ReqString(j, "prepend", at));
    return std::unique_ptr<Normalizer>(new PrependNormalizer(std::move(prefix)));
  }
  if (type == "Replace") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* pat, detail::ReqObject(j, "pattern", at));
    ANEMLL_ASSIGN_OR_RETURN(std::string content, detail::ReqString(j, "content", at));
    JsonPath pat_at = at.Key("pattern");
    if (const Json* lit = detail::Member(*pat, "String")) {
      if (!lit->is_string()) return pat_at.Key("String").Error("expected a string");
      return std::unique_ptr<Normalizer>(
          new ReplaceNormalizer(Pattern::Literal(lit->get<std::string>()), std::move(content)));
    }
    if (const Json* re = detail::Member(*pat, "Regex")) {
      if (!re->is_string()) return pat_at.Key("Regex").Error("expected a string");
      auto compiled = Pattern::FromRegex(re->get<std::string>());
      if (!compiled.ok()) return pat_at.Key("Regex").Error(compiled.status().message());
      return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(compiled).value(), std::move(content)));
    }
    return pat_at.Error("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Strip") {
    ANEMLL_ASSIGN_OR_RETURN(bool left, detail::OptBool(j, "strip_left", at, true));
    ANEMLL_ASSIGN_OR_RETURN(bool right, detail::OptBool(j, "strip_right", at, true));
    return std::unique_ptr<Normalizer>(new StripNormalizer(left, right));
  }
  return at.Key("type").UnsupportedError("normalizer type \"", type,
                                         "\" is not supported (supported: NFC, NFD, NFKC, NFKD, "
                                         "Sequence, Prepend, Replace, Strip)");
}

}  // namespace anemll::tokenizer
