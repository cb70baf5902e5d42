// Jinja's built-in filters and tests, the methods templates call on str/dict/list values, and the
// Python-semantics operations the evaluator needs (attribute/item lookup, iteration, operators).
// Errors come back as plain messages; the evaluator adds the template location.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tokenizer/jinja/value.h"

namespace anemll::tokenizer::jinja {

// Bounds on what one operation may build, so no input can exhaust memory.
constexpr size_t kMaxStringBytes = size_t{64} << 20;
constexpr size_t kMaxListItems = size_t{1} << 20;

using FilterFn = Result<Value> (*)(const Value& value, const CallArgs& args);
using TestFn = Result<bool> (*)(const Value& value, const CallArgs& args);

// nullptr when there is no such filter / test.
FilterFn FindFilter(std::string_view name);
TestFn FindTest(std::string_view name);

// `obj.name`: a bound method of str/dict/list, a dict key, a namespace attribute, or undefined.
// Undefined `obj` is an error (as in Jinja).
Result<Value> GetAttr(const Value& obj, const std::string& name);
// `obj[key]`: item first, then attribute (Jinja's order); missing -> undefined.
Result<Value> GetItem(const Value& obj, const Value& key);
// `obj[start:stop:step]` on str/list with Python slice semantics (null parts are unset).
Result<Value> GetSlice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// The items a `for` loop (or list()) visits: list items, dict keys, str code points; undefined is
// empty.
Result<List> Iterate(const Value& v);
// len(v): code points of a str, items of list/dict; undefined is 0.
Result<int64_t> Length(const Value& v);

// Arithmetic and concatenation: + - * / // % ** ~ (results bounded by kMaxStringBytes and
// kMaxListItems).
Result<Value> BinaryOp(const std::string& op, const Value& a, const Value& b);
Result<Value> Negate(const Value& v);
// == != < <= > >= in "not in"
Result<bool> Compare(const std::string& op, const Value& a, const Value& b);

// Calls a callable with arguments, as `f(args)` in a template.
Result<Value> CallValue(const Value& callee, const CallArgs& args);

// Binds call arguments to Python-style parameters; `defaults[i]` unset means required.
// Names the function in errors ("filter 'join'").
struct Param {
  const char* name;
  std::optional<Value> default_value;
};
Result<std::vector<Value>> BindArgs(const std::string& what, const CallArgs& args,
                                    std::initializer_list<Param> params);

}  // namespace anemll::tokenizer::jinja
