// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): Split (regex or string, five delimiter
// behaviors, invert), ByteLevel, Metaspace and Sequence. They cut a normalized string into the
// pieces the model tokenizes one by one, and may rewrite the pieces (ByteLevel maps bytes to
// printable characters, Metaspace replaces spaces).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tokenizer/json_util.h"

namespace anemll::tokenizer {

// Pieces are byte ranges of one buffer.
struct PreTokenized {
  struct Piece {
    uint32_t begin;
    uint32_t end;
    bool at_origin;  // the piece starts at offset 0 of the original input (Metaspace "first")
  };
  std::string buffer;
  std::vector<Piece> pieces;

  std::string_view view(const Piece& p) const {
    return std::string_view(buffer).substr(p.begin, p.end - p.begin);
  }
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void Apply(PreTokenized& pt) const = 0;
};

// `j` is the "pre_tokenizer" value (not null).
Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const detail::Json& j,
                                                        const detail::JsonPath& at);

// The GPT-2 byte-to-unicode table: every byte is shown as a printable character.
struct ByteLevelAlphabet {
  char encoded[256][3];       // UTF-8 of the character for each byte
  uint8_t encoded_len[256];   // 1 or 2
  // Code point -> byte, for code points below 0x144 (all mapped characters are); -1 if unmapped.
  int16_t decode[0x144];
};
const ByteLevelAlphabet& GetByteLevelAlphabet();

}  // namespace anemll::tokenizer
