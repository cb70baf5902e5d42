// The BPE model of tokenizer.json ("model": {"type": "BPE"}): vocabulary, ranked merges,
// ignore_merges, byte fallback (<0xNN> tokens), unk / fuse_unk, continuing_subword_prefix and
// end_of_word_suffix. Merging uses a min-heap of candidate pairs over a linked list of symbols
// (O(n log n) per word) and a cache of recent words.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tokenizer/hash_maps.h"
#include "tokenizer/json_util.h"

namespace anemll::tokenizer {

struct BpeConfig {
  std::vector<std::pair<std::string, int64_t>> vocab;  // in file order
  // Each merge as its two tokens; `merge_source` keeps the index in the file for messages.
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<size_t> merge_source;
  std::optional<std::string> unk_token;
  std::optional<std::string> continuing_subword_prefix;
  std::optional<std::string> end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class BpeModel {
 public:
  // `at` names model fields in error messages ("model.merges[3]: ...").
  static Result<std::unique_ptr<BpeModel>> Build(BpeConfig config, const detail::JsonPath& at);

  // Appends the ids of one pre-tokenized piece (well-formed UTF-8, not empty).
  void Tokenize(std::string_view word, std::vector<int32_t>& out) const;

  int32_t TokenToId(std::string_view token) const { return vocab_.Find(token); }
  // Empty view when `id` is not in the vocabulary.
  std::string_view IdToToken(int32_t id) const;
  // Largest id + 1.
  size_t id_limit() const { return id_to_token_.size(); }
  size_t vocab_entries() const { return vocab_.size(); }
  size_t merge_count() const { return merges_.size(); }

 private:
  BpeModel() = default;
  void MergeWord(std::string_view word, std::vector<int32_t>& out) const;
  int32_t CharId(std::string_view ch, bool first, bool last) const;

  StringIdMap vocab_;
  std::vector<std::pair<uint32_t, uint32_t>> id_to_token_;  // (offset, length) in token_text_
  std::string token_text_;
  std::vector<uint8_t> has_token_;
  PairMap merges_;
  std::vector<int32_t> bmp_char_ids_;  // id of each single-character token below U+10000, or -1
  int32_t byte_ids_[256];               // ids of <0x00>..<0xFF>, or -1
  int32_t unk_id_ = -1;
  std::string prefix_;  // continuing_subword_prefix
  std::string suffix_;  // end_of_word_suffix
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;

  // Short words tokenized before (as tokenizers caches them: < 256 bytes, 10000 entries).
  static constexpr size_t kCacheCapacity = 10000;
  mutable WordCache cache_{kCacheCapacity};
};

// Reads the "model" object of tokenizer.json when it was parsed as a whole (tests and small files);
// large files go through the streaming reader in tokenizer_json.cpp instead.
Result<BpeConfig> BpeConfigFromJson(const detail::Json& model, const detail::JsonPath& at);
// Reads the scalar options of a BPE "model" object (everything but vocab and merges).
Status ReadBpeOptions(const detail::Json& model, const detail::JsonPath& at, BpeConfig& config);

}  // namespace anemll::tokenizer
