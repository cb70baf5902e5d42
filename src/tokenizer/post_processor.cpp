#include "tokenizer/post_processor.h"

#include <string>

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

// Ids of a TemplateProcessing special token, from its "special_tokens" table.
Result<std::vector<int32_t>> SpecialTokenIds(const Json& table, const std::string& name, const JsonPath& at) {
  const Json* entry = detail::Member(table, name);
  if (entry == nullptr) return at.Error("special token \"", name, "\" is not in special_tokens");
  JsonPath entry_at = at.Key("special_tokens").Key(name);
  ANEMLL_ASSIGN_OR_RETURN(const Json* ids, detail::ReqArray(*entry, "ids", entry_at));
  std::vector<int32_t> out;
  for (size_t i = 0; i < ids->size(); ++i) {
    const Json& v = (*ids)[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 0x7FFFFFFF) {
      return entry_at.Key("ids").Index(i).Error("expected a token id");
    }
    out.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return out;
}

// One template piece: a special token name, or the sequence ("$A", "$B", "$0", ...).
struct TemplatePiece {
  bool is_sequence = false;
  std::string special;
};

Result<TemplatePiece> ParsePiece(const Json& p, const JsonPath& at) {
  if (p.is_string()) {
    // The string form: "$A", "$B:1", "[CLS]", "[SEP]:1".
    std::string s = p.get<std::string>();
    const size_t colon = s.find(':');
    if (colon != std::string::npos) s = s.substr(0, colon);
    if (!s.empty() && s[0] == '$') return TemplatePiece{true, ""};
    return TemplatePiece{false, s};
  }
  if (const Json* seq = detail::Member(p, "Sequence")) {
    (void)seq;
    return TemplatePiece{true, ""};
  }
  if (const Json* sp = detail::Member(p, "SpecialToken")) {
    ANEMLL_ASSIGN_OR_RETURN(std::string id, detail::ReqString(*sp, "id", at.Key("SpecialToken")));
    return TemplatePiece{false, id};
  }
  return at.Error("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
}

Result<SpecialWrapping> ParseTemplate(const Json& j, const JsonPath& at) {
  const Json* single = detail::Member(j, "single");
  if (single == nullptr) return at.Key("single").Error("missing");
  std::vector<Json> pieces;
  if (single->is_string()) {
    // "[CLS] $A [SEP]": pieces separated by spaces.
    const std::string s = single->get<std::string>();
    size_t i = 0;
    while (i < s.size()) {
      size_t j2 = s.find(' ', i);
      if (j2 == std::string::npos) j2 = s.size();
      if (j2 > i) pieces.emplace_back(s.substr(i, j2 - i));
      i = j2 + 1;
    }
  } else if (single->is_array()) {
    pieces.assign(single->begin(), single->end());
  } else {
    return at.Key("single").Error("expected an array or a string");
  }
  static const Json kEmptyTable = Json::object();
  const Json* table = detail::Member(j, "special_tokens");
  if (table == nullptr) table = &kEmptyTable;
  SpecialWrapping w;
  bool seen_sequence = false;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const JsonPath piece_at = at.Key("single").Index(i);
    ANEMLL_ASSIGN_OR_RETURN(TemplatePiece piece, ParsePiece(pieces[i], piece_at));
    if (piece.is_sequence) {
      seen_sequence = true;
      continue;
    }
    ANEMLL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, SpecialTokenIds(*table, piece.special, piece_at));
    auto& dst = seen_sequence ? w.suffix : w.prefix;
    dst.insert(dst.end(), ids.begin(), ids.end());
  }
  return w;
}

// ["[CLS]", 101] -> 101
Result<int32_t> TokenPairId(const Json& j, std::string_view key, const JsonPath& at) {
  const Json* v = detail::Member(j, key);
  if (v == nullptr || !v->is_array() || v->size() != 2 || !(*v)[1].is_number_integer()) {
    return at.Key(key).Error("expected [\"token\", id]");
  }
  return static_cast<int32_t>((*v)[1].get<int64_t>());
}

}  // namespace

Result<SpecialWrapping> ParsePostProcessor(const Json& j, const JsonPath& at) {
  ANEMLL_ASSIGN_OR_RETURN(std::string type, detail::TypeOf(j, at));
  if (type == "TemplateProcessing") return ParseTemplate(j, at);
  if (type == "ByteLevel") return SpecialWrapping{};
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    ANEMLL_ASSIGN_OR_RETURN(int32_t cls, TokenPairId(j, "cls", at));
    ANEMLL_ASSIGN_OR_RETURN(int32_t sep, TokenPairId(j, "sep", at));
    return SpecialWrapping{{cls}, {sep}};
  }
  if (type == "Sequence") {
    ANEMLL_ASSIGN_OR_RETURN(const Json* list, detail::ReqArray(j, "processors", at));
    SpecialWrapping total;
    for (size_t i = 0; i < list->size(); ++i) {
      ANEMLL_ASSIGN_OR_RETURN(SpecialWrapping w, ParsePostProcessor((*list)[i], at.Key("processors").Index(i)));
      // Each processor wraps the output of the ones before it.
      w.prefix.insert(w.prefix.end(), total.prefix.begin(), total.prefix.end());
      total.suffix.insert(total.suffix.end(), w.suffix.begin(), w.suffix.end());
      total.prefix = std::move(w.prefix);
    }
    return total;
  }
  return at.Key("type").UnsupportedError(
      "post-processor type \"", type,
      "\" is not supported (supported: TemplateProcessing, BertProcessing, RobertaProcessing, "
      "ByteLevel, Sequence)");
}

}  // namespace anemll::tokenizer
