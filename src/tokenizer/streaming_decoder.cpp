#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"

namespace anemll::tokenizer {

struct StreamingDecoder::State {
  std::shared_ptr<const Tokenizer::Impl> impl;
  bool skip_special;
  std::unique_ptr<TokenStream> stream;
};

StreamingDecoder::StreamingDecoder(const Tokenizer& tok, bool skip_special_tokens)
    : state_(std::make_unique<State>()) {
  state_->impl = tok.impl_;
  state_->skip_special = skip_special_tokens;
  state_->stream = state_->impl->decoder.NewStream();
}

StreamingDecoder::StreamingDecoder(StreamingDecoder&&) noexcept = default;
StreamingDecoder& StreamingDecoder::operator=(StreamingDecoder&&) noexcept = default;
StreamingDecoder::~StreamingDecoder() = default;

std::string StreamingDecoder::Push(int32_t id) {
  std::string out;
  std::string_view text;
  if (!state_->impl->TokenText(id, &text)) return out;
  if (state_->skip_special && state_->impl->special[id]) return out;
  state_->stream->Push(text, out);
  return out;
}

std::string StreamingDecoder::Flush() {
  std::string out;
  state_->stream->Flush(out);
  state_->stream = state_->impl->decoder.NewStream();
  return out;
}

}  // namespace anemll::tokenizer
