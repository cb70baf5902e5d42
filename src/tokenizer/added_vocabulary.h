// Added tokens (tokenizer.json "added_tokens"): found in the input before anything else, leftmost
// first and longest at a position, with lstrip / rstrip / single_word honoured as the Hugging Face
// tokenizers library does. Tokens with normalized=false are matched on the raw input; those with
// normalized=true on the normalized pieces in between (in their normalized spelling).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anemll::tokenizer {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
  std::string normalized_content;  // content after the normalizer (matching and decoding use it)
};

// A part of the input: an added token (id >= 0) or text in between (id == -1).
struct Segment {
  size_t begin;
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  // `tokens` must outlive the matcher. Indices into it are stored.
  void Build(const std::vector<AddedToken>& tokens, bool normalized_set);
  bool empty() const { return nodes_.size() <= 1; }
  // Splits `text` into segments covering it (an empty text gives none).
  void Split(std::string_view text, std::vector<Segment>& out) const;

 private:
  struct Node {
    int32_t token = -1;  // index into tokens_ of the pattern ending here
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
  };
  int32_t Child(int32_t node, uint8_t byte) const;

  const std::vector<AddedToken>* tokens_ = nullptr;
  std::vector<Node> nodes_;
  int32_t root_children_[256];
};

}  // namespace anemll::tokenizer
