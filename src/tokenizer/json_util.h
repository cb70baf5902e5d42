// Typed field access for tokenizer.json / tokenizer_config.json with errors that name the file
// and the JSON field, e.g. `tokenizer.json: model.unk_token: expected a string, got number`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace anemll::tokenizer::detail {

using Json = nlohmann::json;

// Where a JSON value sits: the file (for messages) and the dotted path inside it.
struct JsonPath {
  std::string origin;  // e.g. "/models/qwen3/tokenizer.json"
  std::string path;    // e.g. "pre_tokenizer.pretokenizers[0]"

  JsonPath Key(std::string_view key) const;
  JsonPath Index(size_t i) const;
  // "<origin>: <path>: <what...>" as a FormatError.
  template <typename... Args>
  Status Error(const Args&... args) const {
    if (path.empty()) return FormatError(origin, ": ", args...);
    return FormatError(origin, ": ", path, ": ", args...);
  }
  template <typename... Args>
  Status UnsupportedError(const Args&... args) const {
    if (path.empty()) return Unsupported(origin, ": ", args...);
    return Unsupported(origin, ": ", path, ": ", args...);
  }
};

const char* JsonTypeName(const Json& j);

// A member of an object, or nullptr when absent or null.
const Json* Member(const Json& obj, std::string_view key);

// Optional typed members: absent or null gives `fallback`; a wrong type is an error.
Result<std::string> OptString(const Json& obj, std::string_view key, const JsonPath& at,
                              std::string fallback = "");
Result<std::optional<std::string>> OptStringOrNull(const Json& obj, std::string_view key,
                                                   const JsonPath& at);
Result<bool> OptBool(const Json& obj, std::string_view key, const JsonPath& at, bool fallback);
Result<int64_t> OptInt(const Json& obj, std::string_view key, const JsonPath& at, int64_t fallback);

// Required members.
Result<std::string> ReqString(const Json& obj, std::string_view key, const JsonPath& at);
Result<const Json*> ReqArray(const Json& obj, std::string_view key, const JsonPath& at);
Result<const Json*> ReqObject(const Json& obj, std::string_view key, const JsonPath& at);

// The "type" of a component object ("BPE", "Sequence", ...).
Result<std::string> TypeOf(const Json& obj, const JsonPath& at);

}  // namespace anemll::tokenizer::detail
