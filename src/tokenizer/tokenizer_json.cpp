// Reading tokenizer.json. The file is parsed in one streaming pass: the model's "vocab" and
// "merges" (most of a 30 MB file) go straight into flat vectors, everything else into a small
// JSON tree that the component parsers read.
#include <nlohmann/json.hpp>

#include <unordered_set>

#include "base/log.h"
#include "tokenizer/json_util.h"
#include "tokenizer/tokenizer_impl.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

class TokenizerJsonSax final : public nlohmann::json_sax<Json> {
 public:
  Json root;
  BpeConfig bpe;
  bool vocab_seen = false;
  bool merges_seen = false;
  std::string capture_error;  // first problem inside vocab / merges, as "field: what"
  std::string syntax_error;

  bool null() override { return Scalar(Json(nullptr)); }
  bool boolean(bool v) override { return Scalar(Json(v)); }
  bool number_integer(number_integer_t v) override {
    if (capture_ == Capture::kVocab && depth_ == 1) return VocabId(v);
    return Scalar(Json(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (capture_ == Capture::kVocab && depth_ == 1) {
      return VocabId(v > static_cast<number_unsigned_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v));
    }
    return Scalar(Json(v));
  }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(Json(v)); }
  bool binary(binary_t&) override { return Scalar(Json(nullptr)); }

  bool string(string_t& s) override {
    if (capture_ == Capture::kMerges) {
      if (depth_ == 1) return LegacyMerge(std::move(s));
      if (depth_ == 2) {
        pair_.push_back(std::move(s));
        return true;
      }
    }
    return Scalar(Json(std::move(s)));
  }

  bool key(string_t& k) override {
    if (capture_ == Capture::kVocab && depth_ == 1) {
      vocab_key_ = std::move(k);
      return true;
    }
    if (capture_ != Capture::kNone) return true;
    key_ = std::move(k);
    return true;
  }

  bool start_object(std::size_t) override {
    if (capture_ != Capture::kNone) {
      Fail("unexpected object");
      ++depth_;
      return true;
    }
    if (InModel() && key_ == "vocab") {
      capture_ = Capture::kVocab;
      depth_ = 1;
      vocab_seen = true;
      return true;
    }
    const bool is_model = stack_.size() == 1 && key_ == "model";
    Json* obj = Container(Json::object());
    if (is_model) model_ = obj;
    return true;
  }

  bool end_object() override {
    if (capture_ != Capture::kNone) {
      if (--depth_ == 0) capture_ = Capture::kNone;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t) override {
    if (capture_ == Capture::kMerges && depth_ == 1) {
      depth_ = 2;
      pair_.clear();
      return true;
    }
    if (capture_ != Capture::kNone) {
      Fail("unexpected array");
      ++depth_;
      return true;
    }
    if (InModel() && key_ == "merges") {
      capture_ = Capture::kMerges;
      depth_ = 1;
      merges_seen = true;
      return true;
    }
    Container(Json::array());
    return true;
  }

  bool end_array() override {
    if (capture_ == Capture::kMerges && depth_ == 2) {
      if (pair_.size() == 2) {
        bpe.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
        bpe.merge_source.push_back(merge_index_);
      } else {
        Fail(StrCat("model.merges[", merge_index_, "]: expected [\"left\", \"right\"], got ", pair_.size(),
                    " strings"));
      }
      ++merge_index_;
      depth_ = 1;
      return true;
    }
    if (capture_ != Capture::kNone) {
      if (--depth_ == 0) capture_ = Capture::kNone;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    const size_t colon = what.find("parse error");
    if (colon != std::string::npos) what = what.substr(colon);
    syntax_error = StrCat("malformed JSON at byte ", position, ": ", what);
    return false;
  }

 private:
  enum class Capture { kNone, kVocab, kMerges };

  bool InModel() const { return model_ != nullptr && stack_.size() == 2 && stack_.back() == model_; }

  void Fail(std::string what) {
    if (!capture_error.empty()) return;
    if (capture_ == Capture::kVocab) {
      capture_error = StrCat("model.vocab: ", what);
    } else if (what.rfind("model.", 0) == 0) {
      capture_error = std::move(what);
    } else {
      capture_error = StrCat("model.merges[", merge_index_, "]: ", what);
    }
  }

  bool VocabId(int64_t id) {
    if (id < 0) {
      Fail(StrCat("token \"", vocab_key_, "\" has a negative or huge id"));
      return true;
    }
    bpe.vocab.emplace_back(std::move(vocab_key_), id);
    return true;
  }

  bool LegacyMerge(std::string line) {
    const size_t index = merge_index_++;
    if (line.rfind("#version", 0) == 0) return true;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
      if (capture_error.empty()) {
        capture_error = StrCat("model.merges[", index, "]: expected \"left right\", got \"", line, "\"");
      }
      return true;
    }
    bpe.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    bpe.merge_source.push_back(index);
    return true;
  }

  bool Scalar(Json v) {
    if (capture_ == Capture::kVocab) {
      Fail(StrCat("token \"", vocab_key_, "\": expected an integer id, got ", detail::JsonTypeName(v)));
      return true;
    }
    if (capture_ == Capture::kMerges) {
      Fail(StrCat("expected \"left right\" or [\"left\", \"right\"], got ", detail::JsonTypeName(v)));
      if (depth_ == 1) ++merge_index_;
      return true;
    }
    Place(std::move(v));
    return true;
  }

  Json* Place(Json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Json& top = *stack_.back();
    if (top.is_object()) {
      Json& slot = top[key_];
      slot = std::move(v);
      return &slot;
    }
    top.push_back(std::move(v));
    return &top.back();
  }

  Json* Container(Json empty) {
    Json* p = Place(std::move(empty));
    stack_.push_back(p);
    return p;
  }

  std::vector<Json*> stack_;
  std::string key_;
  Json* model_ = nullptr;
  Capture capture_ = Capture::kNone;
  int depth_ = 0;
  std::string vocab_key_;
  size_t merge_index_ = 0;
  std::vector<std::string> pair_;
};

Status ReadAddedTokens(const Json& root, const JsonPath& top, Tokenizer::Impl& impl) {
  const Json* list = detail::Member(root, "added_tokens");
  if (list == nullptr) return Status::Ok();
  const JsonPath at = top.Key("added_tokens");
  if (!list->is_array()) return at.Error("expected an array, got ", detail::JsonTypeName(*list));

  // Registered in file order the way tokenizers' add_tokens does: an id already known for the
  // content (added before, or in the model vocabulary) is reused; new contents get the next id.
  int64_t next_id = static_cast<int64_t>(impl.model->vocab_entries());
  std::unordered_set<std::string> special_contents;
  std::vector<int32_t> by_id_index;  // id -> index in impl.added
  size_t mismatched = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    const JsonPath e_at = at.Index(i);
    if (!e.is_object()) return e_at.Error("expected an object, got ", detail::JsonTypeName(e));
    AddedToken tok;
    ANEMLL_ASSIGN_OR_RETURN(tok.content, detail::ReqString(e, "content", e_at));
    ANEMLL_ASSIGN_OR_RETURN(int64_t file_id, detail::OptInt(e, "id", e_at, -1));
    ANEMLL_ASSIGN_OR_RETURN(tok.special, detail::OptBool(e, "special", e_at, false));
    ANEMLL_ASSIGN_OR_RETURN(tok.lstrip, detail::OptBool(e, "lstrip", e_at, false));
    ANEMLL_ASSIGN_OR_RETURN(tok.rstrip, detail::OptBool(e, "rstrip", e_at, false));
    ANEMLL_ASSIGN_OR_RETURN(tok.single_word, detail::OptBool(e, "single_word", e_at, false));
    ANEMLL_ASSIGN_OR_RETURN(tok.normalized, detail::OptBool(e, "normalized", e_at, !tok.special));
    if (tok.content.empty()) continue;

    int32_t id = impl.added_ids.Find(tok.content);
    if (id >= 0) {
      const AddedToken& old = impl.added[by_id_index[id]];
      if (old.special == tok.special && old.lstrip == tok.lstrip && old.rstrip == tok.rstrip &&
          old.single_word == tok.single_word && old.normalized == tok.normalized) {
        continue;  // the same token again
      }
    } else {
      id = impl.model->TokenToId(tok.content);
      if (id < 0) {
        if (next_id > 0x7FFFFFFE) return e_at.Error("too many tokens");
        id = static_cast<int32_t>(next_id++);
      }
    }
    if (file_id >= 0 && file_id != id) ++mismatched;
    tok.id = id;
    tok.normalized_content = tok.content;
    if (tok.normalized && impl.normalizer) impl.normalizer->Normalize(tok.normalized_content);
    impl.added_ids.Set(tok.content, id);
    if (tok.special) special_contents.insert(tok.content);
    if (static_cast<size_t>(id) >= by_id_index.size()) by_id_index.resize(static_cast<size_t>(id) + 1, -1);
    if (by_id_index[id] >= 0) {
      impl.added[by_id_index[id]] = std::move(tok);
    } else {
      by_id_index[id] = static_cast<int32_t>(impl.added.size());
      impl.added.push_back(std::move(tok));
    }
  }
  if (mismatched > 0) {
    Warn(impl.origin, ": ", mismatched, " added token(s) listed with an id other than the one they get",
         " (the vocabulary's id, or the next free one); using the latter as tokenizers does");
  }

  impl.vocab_size = std::max(impl.vocab_size, by_id_index.size());
  impl.added_index.assign(impl.vocab_size, -1);
  for (size_t id = 0; id < by_id_index.size(); ++id) impl.added_index[id] = by_id_index[id];

  // Ids whose decoded text is a special token's content are "special" for skip_special_tokens.
  impl.special.assign(impl.vocab_size, 0);
  for (const AddedToken& t : impl.added) {
    const std::string& text = (t.normalized && impl.normalizer) ? t.normalized_content : t.content;
    if (special_contents.count(text)) impl.special[t.id] = 1;
  }
  for (const std::string& s : special_contents) {
    const int32_t id = impl.model->TokenToId(s);
    if (id >= 0 && impl.added_index[id] < 0) impl.special[id] = 1;
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<Tokenizer::Impl>> ParseTokenizerJson(std::string_view json, std::string_view origin) {
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->origin = std::string(origin);
  const JsonPath top{impl->origin, ""};

  TokenizerJsonSax sax;
  bool parsed = false;
  try {
    parsed = Json::sax_parse(json.begin(), json.end(), &sax);
  } catch (const std::exception& e) {
    return FormatError(origin, ": ", e.what());
  }
  if (!parsed) {
    return FormatError(origin, ": ", sax.syntax_error.empty() ? "malformed JSON" : sax.syntax_error);
  }
  const Json& root = sax.root;
  if (!root.is_object()) return top.Error("expected a JSON object, got ", detail::JsonTypeName(root));
  try {
    if (const Json* v = detail::Member(root, "version"); v && (!v->is_string() || v->get<std::string>() != "1.0")) {
      return top.Key("version").UnsupportedError("unknown tokenizer.json version ", v->dump());
    }

    // Model.
    const Json* model = detail::Member(root, "model");
    if (model == nullptr) return top.Key("model").Error("missing");
    const JsonPath model_at = top.Key("model");
    if (!model->is_object()) return model_at.Error("expected an object, got ", detail::JsonTypeName(*model));
    ANEMLL_ASSIGN_OR_RETURN(std::string type, detail::OptString(*model, "type", model_at, ""));
    if (type.empty() && sax.merges_seen) type = "BPE";
    if (type != "BPE") {
      return model_at.Key("type").UnsupportedError("model type \"", type, "\" is not supported (BPE only)");
    }
    if (!sax.capture_error.empty()) return FormatError(impl->origin, ": ", sax.capture_error);
    if (!sax.vocab_seen) {
      return model_at.Key("vocab").Error(detail::Member(*model, "vocab") ? "expected an object of token -> id"
                                                                          : "missing");
    }
    if (!sax.merges_seen) {
      return model_at.Key("merges").Error(detail::Member(*model, "merges") ? "expected an array" : "missing");
    }
    ANEMLL_RETURN_IF_ERROR(ReadBpeOptions(*model, model_at, sax.bpe));
    ANEMLL_ASSIGN_OR_RETURN(impl->model, BpeModel::Build(std::move(sax.bpe), model_at));
    impl->vocab_size = impl->model->id_limit();

    // Pipeline components (each may be null).
    if (const Json* n = detail::Member(root, "normalizer")) {
      ANEMLL_ASSIGN_OR_RETURN(impl->normalizer, ParseNormalizer(*n, top.Key("normalizer")));
    }
    if (const Json* p = detail::Member(root, "pre_tokenizer")) {
      ANEMLL_ASSIGN_OR_RETURN(impl->pre_tokenizer, ParsePreTokenizer(*p, top.Key("pre_tokenizer")));
    }
    if (const Json* p = detail::Member(root, "post_processor")) {
      ANEMLL_ASSIGN_OR_RETURN(impl->wrapping, ParsePostProcessor(*p, top.Key("post_processor")));
    }
    ANEMLL_ASSIGN_OR_RETURN(impl->decoder, TokenDecoder::Parse(detail::Member(root, "decoder"), top.Key("decoder")));

    ANEMLL_RETURN_IF_ERROR(ReadAddedTokens(root, top, *impl));
    impl->raw_matcher.Build(impl->added, /*normalized_set=*/false);
    impl->normalized_matcher.Build(impl->added, /*normalized_set=*/true);
    if (impl->added_index.size() < impl->vocab_size) impl->added_index.resize(impl->vocab_size, -1);
    if (impl->special.size() < impl->vocab_size) impl->special.resize(impl->vocab_size, 0);

    // Post-processor ids must exist.
    for (const auto* list : {&impl->wrapping.prefix, &impl->wrapping.suffix}) {
      for (int32_t id : *list) {
        if (id < 0 || static_cast<size_t>(id) >= impl->vocab_size) {
          return top.Key("post_processor").Error("special token id ", id, " is outside the vocabulary (size ",
                                                 impl->vocab_size, ")");
        }
      }
    }
  } catch (const std::exception& e) {
    return FormatError(impl->origin, ": ", e.what());
  }
  return impl;
}

}  // namespace anemll::tokenizer
