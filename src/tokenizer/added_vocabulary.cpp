#include "tokenizer/added_vocabulary.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

// The code point that ends at byte `end` of well-formed `s` (end > 0).
char32_t LastChar(std::string_view s, size_t end) {
  size_t p = end - 1;
  while (p > 0 && (static_cast<uint8_t>(s[p]) & 0xC0) == 0x80) --p;
  return utf8::DecodeAt(s, p).cp;
}

// Start of the whitespace run that ends s[0, end).
size_t TrailingSpaceStart(std::string_view s, size_t end) {
  size_t p = end;
  while (p > 0) {
    size_t q = p - 1;
    while (q > 0 && (static_cast<uint8_t>(s[q]) & 0xC0) == 0x80) --q;
    if (!utf8::IsWhitespace(utf8::DecodeAt(s, q).cp)) break;
    p = q;
  }
  return p;
}

// End of the whitespace run that starts at `begin`.
size_t LeadingSpaceEnd(std::string_view s, size_t begin) {
  size_t p = begin;
  while (p < s.size()) {
    utf8::Decoded d = utf8::DecodeAt(s, p);
    if (!utf8::IsWhitespace(d.cp)) break;
    p += d.len;
  }
  return p;
}

}  // namespace

int32_t AddedTokenMatcher::Child(int32_t node, uint8_t byte) const {
  if (node == 0) return root_children_[byte];
  const auto& children = nodes_[node].children;
  for (const auto& [b, child] : children) {
    if (b == byte) return child;
    if (b > byte) break;
  }
  return -1;
}

void AddedTokenMatcher::Build(const std::vector<AddedToken>& tokens, bool normalized_set) {
  tokens_ = &tokens;
  nodes_.assign(1, Node{});
  std::fill(std::begin(root_children_), std::end(root_children_), -1);
  for (size_t t = 0; t < tokens.size(); ++t) {
    const AddedToken& tok = tokens[t];
    if (tok.normalized != normalized_set) continue;
    const std::string& pattern = normalized_set ? tok.normalized_content : tok.content;
    if (pattern.empty()) continue;
    int32_t node = 0;
    for (char c : pattern) {
      const auto byte = static_cast<uint8_t>(c);
      int32_t next = Child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        nodes_.push_back(Node{});
        if (node == 0) {
          root_children_[byte] = next;
        } else {
          auto& children = nodes_[node].children;
          auto pos = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
          children.insert(pos, {byte, next});
        }
      }
      node = next;
    }
    nodes_[node].token = static_cast<int32_t>(t);  // a later duplicate wins
  }
}

void AddedTokenMatcher::Split(std::string_view text, std::vector<Segment>& out) const {
  const size_t n = text.size();
  if (n == 0) return;
  if (empty()) {
    out.push_back({0, n, -1});
    return;
  }
  size_t start_offset = 0;
  size_t i = 0;
  while (i < n) {
    // Longest pattern starting at i.
    int32_t node = root_children_[static_cast<uint8_t>(text[i])];
    if (node < 0) {
      ++i;
      continue;
    }
    int32_t best = -1;
    size_t best_end = 0;
    size_t j = i + 1;
    while (true) {
      if (nodes_[node].token >= 0) {
        best = nodes_[node].token;
        best_end = j;
      }
      if (j >= n) break;
      node = Child(node, static_cast<uint8_t>(text[j]));
      if (node < 0) break;
      ++j;
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = (*tokens_)[best];
    size_t start = i;
    size_t stop = best_end;
    i = best_end;  // matches never overlap, even a rejected one
    if (tok.single_word) {
      const bool space_before = start == 0 || !utf8::IsWordChar(LastChar(text, start));
      const bool space_after = stop == n || !utf8::IsWordChar(utf8::DecodeAt(text, stop).cp);
      if (!space_before || !space_after) continue;
    }
    if (tok.lstrip) start = std::max(TrailingSpaceStart(text, start), start_offset);
    if (tok.rstrip) stop = LeadingSpaceEnd(text, stop);
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, tok.id});
    start_offset = stop;
  }
  if (start_offset != n) out.push_back({start_offset, n, -1});
}

}  // namespace anemll::tokenizer
