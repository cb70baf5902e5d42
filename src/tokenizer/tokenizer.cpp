#include "tokenizer/tokenizer.h"

#include <system_error>

#include "base/file.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {

namespace fs = std::filesystem;

void Tokenizer::Impl::EncodeText(std::string_view text, std::vector<int32_t>& ids) const {
  std::vector<Segment> raw;
  raw_matcher.Split(text, raw);
  std::vector<Segment> inner;
  std::string normalized;
  PreTokenized pt;
  for (const Segment& seg : raw) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    normalized.assign(text.substr(seg.begin, seg.end - seg.begin));
    if (normalizer) normalizer->Normalize(normalized);
    inner.clear();
    normalized_matcher.Split(normalized, inner);
    for (const Segment& part : inner) {
      if (part.id >= 0) {
        ids.push_back(part.id);
        continue;
      }
      const std::string_view piece = std::string_view(normalized).substr(part.begin, part.end - part.begin);
      if (piece.empty()) continue;
      if (!pre_tokenizer) {
        model->Tokenize(piece, ids);
        continue;
      }
      pt.buffer.assign(piece);
      pt.pieces.clear();
      pt.pieces.push_back({0, static_cast<uint32_t>(piece.size()), seg.begin == 0 && part.begin == 0});
      pre_tokenizer->Apply(pt);
      for (const PreTokenized::Piece& p : pt.pieces) model->Tokenize(pt.view(p), ids);
    }
  }
}

bool Tokenizer::Impl::TokenText(int32_t id, std::string_view* text) const {
  if (id < 0 || static_cast<size_t>(id) >= vocab_size) return false;
  const int32_t index = added_index[id];
  if (index >= 0) {
    const AddedToken& t = added[index];
    *text = (t.normalized && normalizer) ? std::string_view(t.normalized_content) : std::string_view(t.content);
    return true;
  }
  const std::string_view s = model->IdToToken(id);
  if (s.data() == nullptr) return false;
  *text = s;
  return true;
}

Result<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json, std::string_view origin_for_errors) {
  ANEMLL_ASSIGN_OR_RETURN(std::shared_ptr<Impl> impl, ParseTokenizerJson(tokenizer_json, origin_for_errors));
  return Tokenizer(std::move(impl));
}

Result<Tokenizer> Tokenizer::Load(const fs::path& dir) {
  const fs::path json_path = dir / "tokenizer.json";
  std::error_code ec;
  if (!fs::is_regular_file(json_path, ec)) {
    return NotFound("loading tokenizer: ", json_path.string(), " not found");
  }
  ANEMLL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(json_path));
  const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  ANEMLL_ASSIGN_OR_RETURN(std::shared_ptr<Impl> impl, ParseTokenizerJson(text, json_path.string()));

  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::is_regular_file(config_path, ec)) {
    ANEMLL_ASSIGN_OR_RETURN(std::string config_text, ReadFile(config_path));
    ANEMLL_ASSIGN_OR_RETURN(impl->config, ParseTokenizerConfig(config_text, config_path.string()));
  }
  const fs::path jinja_path = dir / "chat_template.jinja";
  if (fs::is_regular_file(jinja_path, ec)) {
    ANEMLL_ASSIGN_OR_RETURN(impl->config.chat_template, ReadFile(jinja_path));
  }
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids = impl_->wrapping.prefix;
  if (utf8::IsValid(text)) {
    impl_->EncodeText(text, ids);
  } else {
    impl_->EncodeText(utf8::Lossy(text), ids);
  }
  if (add_special_tokens) ids.insert(ids.end(), impl_->wrapping.suffix.begin(), impl_->wrapping.suffix.end());
  return ids;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    std::string_view text;
    if (!impl_->TokenText(id, &text)) continue;
    if (skip_special_tokens && impl_->special[id]) continue;
    tokens.emplace_back(text);
  }
  return impl_->decoder.Decode(std::move(tokens));
}

int32_t Tokenizer::TokenToId(std::string_view token) const {
  const int32_t id = impl_->added_ids.Find(token);
  return id >= 0 ? id : impl_->model->TokenToId(token);
}

std::string Tokenizer::IdToToken(int32_t id) const {
  std::string_view text;
  if (!impl_->TokenText(id, &text)) return "";
  return std::string(text);
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->vocab_size && impl_->special[id] != 0;
}

const TokenizerConfig& Tokenizer::config() const { return impl_->config; }

std::vector<int32_t> Tokenizer::PrefixSpecialIds() const { return impl_->wrapping.prefix; }
std::vector<int32_t> Tokenizer::SuffixSpecialIds() const { return impl_->wrapping.suffix; }

}  // namespace anemll::tokenizer
