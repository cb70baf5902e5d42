// Normalizers of tokenizer.json ("normalizer"): Unicode forms (NFC, NFD, NFKC, NFKD), Prepend,
// Replace, Strip and Sequence. They rewrite a string in place; offsets are not tracked.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "tokenizer/json_util.h"

namespace anemll::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `s` is well-formed UTF-8 and stays so.
  virtual void Normalize(std::string& s) const = 0;
};

// `j` is the "normalizer" value (not null).
Result<std::unique_ptr<Normalizer>> ParseNormalizer(const detail::Json& j, const detail::JsonPath& at);

enum class UnicodeForm { kNfc, kNfd, kNfkc, kNfkd };
// Rewrites well-formed `s` into the given normalization form.
void UnicodeNormalize(std::string& s, UnicodeForm form);

}  // namespace anemll::tokenizer
