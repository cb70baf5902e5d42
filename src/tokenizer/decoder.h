// Decoders of tokenizer.json ("decoder"): ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace and Sequence, applied to token strings as the Hugging Face tokenizers library does
// (each step maps the list of token strings to a new list; the result is their concatenation;
// without a decoder tokens are joined with spaces).
//
// TokenStream does the same one token at a time: each step holds back only what later tokens can
// still change (an incomplete UTF-8 sequence, a run of <0xNN> byte tokens, trailing characters a
// Strip may remove), so the concatenated output equals the batch result.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tokenizer/json_util.h"

namespace anemll::tokenizer {

class Pattern;

struct DecodeStep {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace };
  Kind kind;
  std::shared_ptr<const Pattern> pattern;  // kReplace
  std::string content;                     // kReplace: the replacement; kStrip: the character
  size_t start = 0;                        // kStrip: characters to strip at the start
  size_t stop = 0;                         // kStrip: characters to strip at the end
  char32_t replacement = 0;                // kMetaspace
  bool prepend = true;                     // kMetaspace: prepend_scheme is not "never"
};

class TokenStream;

class TokenDecoder {
 public:
  // `j` is the "decoder" value, or nullptr when the file has none.
  static Result<TokenDecoder> Parse(const detail::Json* j, const detail::JsonPath& at);

  std::string Decode(std::vector<std::string> tokens) const;
  std::unique_ptr<TokenStream> NewStream() const;

  // The step list after flattening Sequences (empty with `has_decoder` false: join with spaces).
  const std::vector<DecodeStep>& steps() const { return steps_; }
  bool has_decoder() const { return has_decoder_; }

 private:
  std::vector<DecodeStep> steps_;
  bool has_decoder_ = false;
};

class TokenStream {
 public:
  virtual ~TokenStream() = default;
  // Appends the text that `token` made final.
  virtual void Push(std::string_view token, std::string& out) = 0;
  // Appends everything still held back; the stream is then finished.
  virtual void Flush(std::string& out) = 0;
};

// Whether `token` is a byte-fallback token "<0xNN>" (as tokenizers parses them); sets `byte`.
bool ParseByteToken(std::string_view token, uint8_t* byte);

}  // namespace anemll::tokenizer
