// Helpers shared by the built-in filters, tests, methods and operators (not used by the parser).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "tokenizer/jinja/value.h"

namespace anemll::tokenizer::jinja {

// "dict object", "str object", "None": how Jinja names an object in undefined-attribute errors.
std::string ObjectTypeRepr(const Value& v);
// The undefined value of a missing attribute.
Value MissingAttr(const Value& obj, const std::string& name);

// A bound method of a str/dict/list (`"a,b".split`, `d.items`); nullopt when the type has no such
// method (or refuses it, see IsUnsafeMethod).
std::optional<Value> BoundMethod(const Value& obj, const std::string& name);
// The undefined value standing for a refused mutating method.
Value UnsafeMethod(const Value& obj, const std::string& name);
// Mutating methods (list.append, dict.update ...): the immutable sandbox refuses them, so they
// resolve to an undefined value whose use is an error.
bool IsUnsafeMethod(const Value& obj, const std::string& name);

// str.replace with the result bounded by kMaxStringBytes.
Result<Value> ReplaceBounded(const std::string& s, const std::string& old, const std::string& repl, int64_t count);
// str.center / ljust / rjust: `how` is 'c', 'l' or 'r'; widths are in code points.
Result<std::string> Justified(const std::string& s, int64_t width, const std::string& fill, char how);

// Python's `fmt % args` (printf-style): a tuple supplies several arguments, a dict named ones.
Result<Value> PercentFormat(const std::string& fmt, const Value& args);
// Python's str.format(*args, **kwargs).
Result<Value> StrFormat(const std::string& fmt, const CallArgs& args);

// json.dumps as transformers' `tojson` filter calls it.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // unset: one line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
Result<std::string> DumpJson(const Value& v, const JsonDumpOptions& options);

// Python int(text) / float(text) for the `int` and `float` filters; nullopt when not a number.
std::optional<int64_t> ParsePyInt(const std::string& text, int base);
std::optional<double> ParsePyFloat(const std::string& text);

// The value at a Jinja attribute path ("user.name", "0"), looked up item-first as `a[b]` does.
Result<Value> GetAttributePath(const Value& obj, const std::string& path);

}  // namespace anemll::tokenizer::jinja
