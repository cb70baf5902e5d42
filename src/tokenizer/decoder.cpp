#include "tokenizer/decoder.h"

#include <utility>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A ByteLevel token back to bytes: every character through the byte alphabet, or the token's own
// bytes when any character is outside it (added tokens such as "<｜begin▁of▁sentence｜>").
void ByteLevelBytes(std::string_view token, std::string& out) {
  const ByteLevelAlphabet& a = GetByteLevelAlphabet();
  const size_t mark = out.size();
  size_t i = 0;
  while (i < token.size()) {
    const utf8::Decoded d = utf8::DecodeAt(token, i);
    if (d.status != utf8::SeqStatus::kOk || d.cp >= 0x144 || a.decode[d.cp] < 0) {
      out.resize(mark);
      out.append(token);
      return;
    }
    out.push_back(static_cast<char>(a.decode[d.cp]));
    i += d.len;
  }
}

std::string ReplaceAll(const Pattern& pattern, const std::string& content, std::string_view text) {
  std::vector<Match> matches;
  pattern.FindAll(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  size_t last = 0;
  for (const Match& m : matches) {
    out.append(text.substr(last, m.begin - last));
    out += content;
    last = m.end;
  }
  out.append(text.substr(last));
  return out;
}

void AppendByteRun(const std::string& run, std::vector<std::string>& out) {
  if (utf8::IsValid(run)) {
    out.push_back(run);
  } else {
    for (size_t k = 0; k < run.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
  }
}

// Strip for one whole token (character-wise, as tokenizers does).
std::string StripToken(const std::string& token, char32_t content, size_t start, size_t stop) {
  std::vector<std::pair<size_t, size_t>> chars;  // (byte offset, length)
  std::vector<char32_t> cps;
  for (size_t i = 0; i < token.size();) {
    const utf8::Decoded d = utf8::DecodeAt(token, i);
    chars.emplace_back(i, d.len);
    cps.push_back(d.cp);
    i += d.len;
  }
  size_t start_cut = 0;
  for (size_t i = 0; i < cps.size() && i < start; ++i) {
    if (cps[i] != content) break;
    start_cut = i + 1;
  }
  size_t stop_cut = cps.size();
  for (size_t i = 0; i < stop && i < cps.size(); ++i) {
    const size_t index = cps.size() - i - 1;
    if (cps[index] != content) break;
    stop_cut = index;
  }
  if (stop_cut <= start_cut) return "";
  const size_t b = chars[start_cut].first;
  const size_t e = stop_cut < chars.size() ? chars[stop_cut].first : token.size();
  return token.substr(b, e - b);
}

// ---- streaming ----

struct Piece {
  std::string text;
  bool new_token;  // begins a token of this step's input (false: continues the previous one)
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual void Push(Piece piece, std::vector<Piece>& out) = 0;
  virtual void Flush(std::vector<Piece>& out) = 0;
};

class ByteLevelStage final : public Stage {
 public:
  void Push(Piece piece, std::vector<Piece>& out) override {
    ByteLevelBytes(piece.text, pending_);
    const size_t keep = utf8::IncompleteTailLength(pending_);
    const size_t ready = pending_.size() - keep;
    if (ready == 0) return;
    Emit(std::string_view(pending_).substr(0, ready), out);
    pending_.erase(0, ready);
  }
  void Flush(std::vector<Piece>& out) override {
    if (!pending_.empty() || !started_) Emit(pending_, out);
    pending_.clear();
  }

 private:
  // The batch step yields one token, so only the very first piece starts a token.
  void Emit(std::string_view bytes, std::vector<Piece>& out) {
    out.push_back({utf8::Lossy(bytes), !started_});
    started_ = true;
  }
  std::string pending_;
  bool started_ = false;
};

class ReplaceStage final : public Stage {
 public:
  explicit ReplaceStage(DecodeStep step) : step_(std::move(step)) {}
  void Push(Piece piece, std::vector<Piece>& out) override {
    out.push_back({ReplaceAll(*step_.pattern, step_.content, piece.text), piece.new_token});
  }
  void Flush(std::vector<Piece>&) override {}

 private:
  DecodeStep step_;
};

class ByteFallbackStage final : public Stage {
 public:
  void Push(Piece piece, std::vector<Piece>& out) override {
    uint8_t byte;
    if (piece.new_token && ParseByteToken(piece.text, &byte)) {
      run_.push_back(static_cast<char>(byte));
      return;
    }
    EmitRun(out);
    out.push_back(std::move(piece));
  }
  void Flush(std::vector<Piece>& out) override { EmitRun(out); }

 private:
  void EmitRun(std::vector<Piece>& out) {
    if (run_.empty()) return;
    std::vector<std::string> tokens;
    AppendByteRun(run_, tokens);
    for (auto& t : tokens) out.push_back({std::move(t), true});
    run_.clear();
  }
  std::string run_;
};

class FuseStage final : public Stage {
 public:
  void Push(Piece piece, std::vector<Piece>& out) override {
    out.push_back({std::move(piece.text), !started_});
    started_ = true;
  }
  void Flush(std::vector<Piece>& out) override {
    if (!started_) out.push_back({"", true});  // the batch step always yields one token
    started_ = true;
  }

 private:
  bool started_ = false;
};

class StripStage final : public Stage {
 public:
  explicit StripStage(const DecodeStep& step) : content_(step.content), start_(step.start), stop_(step.stop) {
    content_cp_ = content_.empty() ? 0 : utf8::DecodeAt(content_, 0).cp;
  }
  void Push(Piece piece, std::vector<Piece>& out) override {
    std::string text;
    if (piece.new_token) {
      EndToken(out);
      start_left_ = start_;
    }
    for (size_t i = 0; i < piece.text.size();) {
      const utf8::Decoded d = utf8::DecodeAt(piece.text, i);
      const std::string_view ch = std::string_view(piece.text).substr(i, d.len);
      i += d.len;
      const bool is_content = d.cp == content_cp_;
      if (start_left_ > 0 && is_content) {
        --start_left_;
        continue;
      }
      start_left_ = 0;
      if (stop_ > 0 && is_content) {
        ++held_;  // may be stripped if the token ends here
        continue;
      }
      for (; held_ > 0; --held_) text += content_;
      text.append(ch);
    }
    out.push_back({std::move(text), piece.new_token});
  }
  void Flush(std::vector<Piece>& out) override { EndToken(out); }

 private:
  void EndToken(std::vector<Piece>& out) {
    if (held_ > stop_) {
      std::string text;
      for (size_t k = 0; k < held_ - stop_; ++k) text += content_;
      out.push_back({std::move(text), false});
    }
    held_ = 0;
  }
  std::string content_;
  char32_t content_cp_ = 0;
  size_t start_;
  size_t stop_;
  size_t start_left_ = 0;
  size_t held_ = 0;
};

class MetaspaceStage final : public Stage {
 public:
  explicit MetaspaceStage(const DecodeStep& step) : replacement_(step.replacement), prepend_(step.prepend) {}
  void Push(Piece piece, std::vector<Piece>& out) override {
    if (piece.new_token) ++token_index_;
    std::string text;
    for (size_t i = 0; i < piece.text.size();) {
      const utf8::Decoded d = utf8::DecodeAt(piece.text, i);
      if (d.cp == replacement_) {
        if (!(token_index_ == 0 && prepend_)) text += ' ';
      } else {
        text.append(piece.text, i, d.len);
      }
      i += d.len;
    }
    out.push_back({std::move(text), piece.new_token});
  }
  void Flush(std::vector<Piece>&) override {}

 private:
  char32_t replacement_;
  bool prepend_;
  long token_index_ = -1;
};

class ChainStream final : public TokenStream {
 public:
  explicit ChainStream(const TokenDecoder& decoder) : has_decoder_(decoder.has_decoder()) {
    for (const DecodeStep& step : decoder.steps()) {
      switch (step.kind) {
        case DecodeStep::Kind::kByteLevel: stages_.push_back(std::make_unique<ByteLevelStage>()); break;
        case DecodeStep::Kind::kReplace: stages_.push_back(std::make_unique<ReplaceStage>(step)); break;
        case DecodeStep::Kind::kByteFallback: stages_.push_back(std::make_unique<ByteFallbackStage>()); break;
        case DecodeStep::Kind::kFuse: stages_.push_back(std::make_unique<FuseStage>()); break;
        case DecodeStep::Kind::kStrip: stages_.push_back(std::make_unique<StripStage>(step)); break;
        case DecodeStep::Kind::kMetaspace: stages_.push_back(std::make_unique<MetaspaceStage>(step)); break;
      }
    }
  }

  void Push(std::string_view token, std::string& out) override {
    if (!has_decoder_) {
      if (joined_any_) out += ' ';
      out.append(token);
      joined_any_ = true;
      return;
    }
    std::vector<Piece> pieces;
    pieces.push_back({std::string(token), true});
    Run(0, pieces, out);
  }

  void Flush(std::string& out) override {
    for (size_t k = 0; k < stages_.size(); ++k) {
      std::vector<Piece> pieces;
      stages_[k]->Flush(pieces);
      Run(k + 1, pieces, out);
    }
  }

 private:
  // Passes `pieces` through stages [first, end) and appends the result.
  void Run(size_t first, std::vector<Piece>& pieces, std::string& out) {
    std::vector<Piece> next;
    for (size_t k = first; k < stages_.size() && !pieces.empty(); ++k) {
      next.clear();
      for (Piece& p : pieces) stages_[k]->Push(std::move(p), next);
      pieces.swap(next);
    }
    for (const Piece& p : pieces) out += p.text;
  }

  std::vector<std::unique_ptr<Stage>> stages_;
  bool has_decoder_;
  bool joined_any_ = false;
};

Status ParseSteps(const Json& j, const JsonPath& at, std::vector<DecodeStep>& steps) {
  ANEMLL_ASSIGN_OR_RETURN(std::string type, detail::TypeOf(j, at));
  DecodeStep step{};
  if (type == "Sequence") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* list, detail::ReqArray(j, "decoders", at));
    for (size_t i = 0; i < list->size(); ++i) {
      ANEMLL_RETURN_IF_ERROR(ParseSteps((*list)[i], at.Key("decoders").Index(i), steps));
    }
    return Status::Ok();
  }
  if (type == "ByteLevel") {
    step.kind = DecodeStep::Kind::kByteLevel;
  } else if (type == "ByteFallback") {
    step.kind = DecodeStep::Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecodeStep::Kind::kFuse;
  } else if (type == "Replace") {
    step.kind = DecodeStep::Kind::kReplace;
    ANEMLL_ASSIGN_OR_RETURN(const Json* pat, detail::ReqObject(j, "pattern", at));
    ANEMLL_ASSIGN_OR_RETURN(step.content, detail::ReqString(j, "content", at));
    const JsonPath pat_at = at.Key("pattern");
    if (const Json* lit = detail::Member(*pat, "String"); lit && lit->is_string()) {
      step.pattern = std::make_shared<const Pattern>(Pattern::Literal(lit->get<std::string>()));
    } else if (const Json* re = detail::Member(*pat, "Regex"); re && re->is_string()) {
      auto p = Pattern::FromRegex(re->get<std::string>());
      if (!p.ok()) return pat_at.Key("Regex").Error(p.status().message());
      step.pattern = std::make_shared<const Pattern>(std::move(p).value());
    } else {
      return pat_at.Error("expected {\"String\": ...} or {\"Regex\": ...}");
    }
  } else if (type == "Strip") {
    step.kind = DecodeStep::Kind::kStrip;
    ANEMLL_ASSIGN_OR_RETURN(step.content, detail::ReqString(j, "content", at));
    if (utf8::CountChars(step.content) != 1) return at.Key("content").Error("expected one character");
    ANEMLL_ASSIGN_OR_RETURN(int64_t start, detail::OptInt(j, "start", at, 0));
    ANEMLL_ASSIGN_OR_RETURN(int64_t stop, detail::OptInt(j, "stop", at, 0));
    if (start < 0 || stop < 0) return at.Error("start and stop must not be negative");
    step.start = static_cast<size_t>(start);
    step.stop = static_cast<size_t>(stop);
  } else if (type == "Metaspace") {
    step.kind = DecodeStep::Kind::kMetaspace;
    ANEMLL_ASSIGN_OR_RETURN(std::string rep, detail::OptString(j, "replacement", at, "\xE2\x96\x81"));
    if (utf8::CountChars(rep) != 1) return at.Key("replacement").Error("expected one character");
    step.replacement = utf8::DecodeAt(rep, 0).cp;
    ANEMLL_ASSIGN_OR_RETURN(std::string scheme, detail::OptString(j, "prepend_scheme", at, "always"));
    step.prepend = scheme != "never";
    if (const Json* aps = detail::Member(j, "add_prefix_space"); aps && aps->is_boolean() && !aps->get<bool>()) {
      step.prepend = false;
    }
  } else {
    return at.Key("type").UnsupportedError(
        "decoder type \"", type,
        "\" is not supported (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)");
  }
  steps.push_back(std::move(step));
  return Status::Ok();
}

}  // namespace

bool ParseByteToken(std::string_view token, uint8_t* byte) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return false;
  // Rust's u8::from_str_radix accepts an optional '+' sign.
  if (token[3] == '+') {
    const int d = HexDigit(token[4]);
    if (d < 0) return false;
    *byte = static_cast<uint8_t>(d);
    return true;
  }
  const int hi = HexDigit(token[3]);
  const int lo = HexDigit(token[4]);
  if (hi < 0 || lo < 0) return false;
  *byte = static_cast<uint8_t>(hi * 16 + lo);
  return true;
}

Result<TokenDecoder> TokenDecoder::Parse(const Json* j, const JsonPath& at) {
  TokenDecoder d;
  if (j == nullptr) return d;
  d.has_decoder_ = true;
  ANEMLL_RETURN_IF_ERROR(ParseSteps(*j, at, d.steps_));
  return d;
}

std::string TokenDecoder::Decode(std::vector<std::string> tokens) const {
  if (!has_decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  for (const DecodeStep& step : steps_) {
    std::vector<std::string> next;
    switch (step.kind) {
      case DecodeStep::Kind::kByteLevel: {
        std::string bytes;
        for (const auto& t : tokens) ByteLevelBytes(t, bytes);
        next.push_back(utf8::Lossy(bytes));
        break;
      }
      case DecodeStep::Kind::kReplace:
        for (const auto& t : tokens) next.push_back(ReplaceAll(*step.pattern, step.content, t));
        break;
      case DecodeStep::Kind::kByteFallback: {
        std::string run;
        for (auto& t : tokens) {
          uint8_t byte;
          if (ParseByteToken(t, &byte)) {
            run.push_back(static_cast<char>(byte));
            continue;
          }
          if (!run.empty()) AppendByteRun(run, next);
          run.clear();
          next.push_back(std::move(t));
        }
        if (!run.empty()) AppendByteRun(run, next);
        break;
      }
      case DecodeStep::Kind::kFuse: {
        std::string all;
        for (const auto& t : tokens) all += t;
        next.push_back(std::move(all));
        break;
      }
      case DecodeStep::Kind::kStrip: {
        const char32_t c = utf8::DecodeAt(step.content, 0).cp;
        for (const auto& t : tokens) next.push_back(StripToken(t, c, step.start, step.stop));
        break;
      }
      case DecodeStep::Kind::kMetaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          std::string text;
          const std::string& t = tokens[i];
          for (size_t k = 0; k < t.size();) {
            const utf8::Decoded d = utf8::DecodeAt(t, k);
            if (d.cp == step.replacement) {
              if (!(i == 0 && step.prepend)) text += ' ';
            } else {
              text.append(t, k, d.len);
            }
            k += d.len;
          }
          next.push_back(std::move(text));
        }
        break;
    }
    tokens.swap(next);
  }
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::unique_ptr<TokenStream> TokenDecoder::NewStream() const { return std::make_unique<ChainStream>(*this); }

}  // namespace anemll::tokenizer
