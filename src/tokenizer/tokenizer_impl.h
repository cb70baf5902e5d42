// Internal state of a loaded Tokenizer, shared by tokenizer.cpp, tokenizer_json.cpp and
// streaming_decoder.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace anemll::tokenizer {

struct Tokenizer::Impl {
  std::string origin;
  std::unique_ptr<Normalizer> normalizer;      // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // may be null
  std::unique_ptr<BpeModel> model;
  TokenDecoder decoder;
  SpecialWrapping wrapping;
  TokenizerConfig config;

  std::vector<AddedToken> added;  // one per id, in the order tokenizers registered them
  AddedTokenMatcher raw_matcher;         // normalized=false tokens, on the raw input
  AddedTokenMatcher normalized_matcher;  // normalized=true tokens, on normalized pieces
  StringIdMap added_ids;                 // content -> id
  std::vector<int32_t> added_index;      // id -> index into `added`, or -1
  std::vector<uint8_t> special;          // id -> decodes to a special token's text
  size_t vocab_size = 0;

  // Encodes well-formed UTF-8 without post-processing.
  void EncodeText(std::string_view text, std::vector<int32_t>& ids) const;
  // The string the decoder sees for `id` (nullptr when the id is unknown).
  bool TokenText(int32_t id, std::string_view* text) const;
};

// Builds a tokenizer from tokenizer.json text (tokenizer_json.cpp).
Result<std::shared_ptr<Tokenizer::Impl>> ParseTokenizerJson(std::string_view json, std::string_view origin);

// Reads tokenizer_config.json text (tokenizer_config.cpp).
Result<TokenizerConfig> ParseTokenizerConfig(std::string_view json, std::string_view origin);

}  // namespace anemll::tokenizer
