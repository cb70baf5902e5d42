#include "tokenizer/json_util.h"

namespace anemll::tokenizer::detail {

JsonPath JsonPath::Key(std::string_view key) const {
  return {origin, path.empty() ? std::string(key) : StrCat(path, ".", key)};
}

JsonPath JsonPath::Index(size_t i) const { return {origin, StrCat(path, "[", i, "]")}; }

const char* JsonTypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    default: return "value";
  }
}

const Json* Member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> OptString(const Json& obj, std::string_view key, const JsonPath& at,
                              std::string fallback) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return at.Key(key).Error("expected a string, got ", JsonTypeName(*v));
  return v->get<std::string>();
}

Result<std::optional<std::string>> OptStringOrNull(const Json& obj, std::string_view key,
                                                   const JsonPath& at) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return at.Key(key).Error("expected a string, got ", JsonTypeName(*v));
  return std::optional<std::string>(v->get<std::string>());
}

Result<bool> OptBool(const Json& obj, std::string_view key, const JsonPath& at, bool fallback) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return at.Key(key).Error("expected true or false, got ", JsonTypeName(*v));
  return v->get<bool>();
}

Result<int64_t> OptInt(const Json& obj, std::string_view key, const JsonPath& at, int64_t fallback) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return fallback;
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return at.Key(key).Error("value ", u, " out of range");
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  return at.Key(key).Error("expected an integer, got ", JsonTypeName(*v));
}

Result<std::string> ReqString(const Json& obj, std::string_view key, const JsonPath& at) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return at.Key(key).Error("missing");
  if (!v->is_string()) return at.Key(key).Error("expected a string, got ", JsonTypeName(*v));
  return v->get<std::string>();
}

Result<const Json*> ReqArray(const Json& obj, std::string_view key, const JsonPath& at) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return at.Key(key).Error("missing");
  if (!v->is_array()) return at.Key(key).Error("expected an array, got ", JsonTypeName(*v));
  return v;
}

Result<const Json*> ReqObject(const Json& obj, std::string_view key, const JsonPath& at) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return at.Key(key).Error("missing");
  if (!v->is_object()) return at.Key(key).Error("expected an object, got ", JsonTypeName(*v));
  return v;
}

Result<std::string> TypeOf(const Json& obj, const JsonPath& at) {
  if (!obj.is_object()) return at.Error("expected an object, got ", JsonTypeName(obj));
  return ReqString(obj, "type", at);
}

}  // namespace anemll::tokenizer::detail
