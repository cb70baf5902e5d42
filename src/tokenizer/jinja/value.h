// The values a template computes with, following Python/Jinja semantics: undefined, None, bool,
// int (64-bit), float, str (UTF-8), list/tuple, dict (insertion-ordered, string keys), Jinja's
// namespace (the one mutable object) and callables (globals, bound methods, macros).
// Values are cheap to copy: containers are shared and never modified once built (templates run
// in an immutable sandbox, as transformers runs them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace anemll::tokenizer::jinja {

class Value;
using List = std::vector<Value>;

// An insertion-ordered mapping with string keys (lookups are linear: template dicts are small).
struct Dict {
  std::vector<std::pair<std::string, Value>> items;

  const Value* Find(std::string_view key) const;
  // Replaces the value of an existing key in place, or appends.
  void Set(std::string key, Value value);
};

// Arguments of a call: positional, then keyword (in source order).
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
};

using NativeFunction = std::function<Result<Value>(const CallArgs&)>;

struct Callable {
  std::string name;
  NativeFunction fn;
  // Macros report errors located inside their own body; the call site must not re-locate them.
  bool is_macro = false;
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() = default;  // undefined
  Value(bool b) : kind_(Kind::kBool), b_(b) {}                // NOLINT: implicit by design
  Value(int v) : kind_(Kind::kInt), i_(v) {}                  // NOLINT
  Value(int64_t v) : kind_(Kind::kInt), i_(v) {}              // NOLINT
  Value(double v) : kind_(Kind::kFloat), f_(v) {}             // NOLINT
  Value(std::string s);                                       // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}        // NOLINT
  Value(const char* s) : Value(std::string(s)) {}             // NOLINT

  // `hint` says why it is undefined ("'x' is undefined", "'dict object' has no attribute 'y'");
  // it becomes the error message when the value is used in a way that needs a real value.
  static Value Undefined(std::string hint);
  static Value None();
  static Value MakeList(List items, bool tuple = false);
  static Value MakeDict(Dict dict);
  static Value MakeNamespace(Dict attrs);
  static Value MakeCallable(std::string name, NativeFunction fn, bool is_macro = false);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // Python numbers: bool counts as an int, as in Python.
  bool is_number() const { return kind_ == Kind::kBool || kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_integral() const { return kind_ == Kind::kBool || kind_ == Kind::kInt; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && tuple_; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool bool_value() const { return b_; }
  int64_t int_value() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }  // bool or int
  double number() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(int_value()); }
  const std::string& str() const { return *s_; }  // string
  const List& list() const { return *list_; }      // list or tuple
  const Dict& dict() const { return *dict_; }      // dict or namespace
  Dict& namespace_attrs() const { return *dict_; }  // namespace (mutable)
  const Callable& callable() const { return *fn_; }
  const std::string& undefined_hint() const;

  // Nesting depth of lists/dicts (scalars 0); bounded so that printing, comparing and freeing
  // values never recurses without limit.
  uint32_t depth() const { return depth_; }

  // Identity of shared objects (the `sameas` test).
  const void* identity() const;

  // Python's bool(): empty containers, 0, "", None and undefined are false.
  bool Truthy() const;
  // The Python type name used in error messages: 'str', 'int', 'list', 'dict', 'NoneType' ...
  std::string TypeName() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool tuple_ = false;
  uint32_t depth_ = 0;
  int64_t i_ = 0;
  double f_ = 0;
  std::shared_ptr<const std::string> s_;  // string text, or the undefined hint
  std::shared_ptr<const List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<const Callable> fn_;
};

// Deepest list/dict nesting a value may have.
constexpr uint32_t kMaxNesting = 500;

// JSON -> Value: integers stay ints (uint64 beyond int64 become floats); fails on nesting deeper
// than kMaxNesting. nlohmann::json holds objects sorted by key; ordered_json keeps the order they
// were written in, as Python dicts do (which `tojson` and `items()` show).
Result<Value> FromJson(const nlohmann::json& j);
Result<Value> FromJson(const nlohmann::ordered_json& j);

// str(value) as Jinja prints it: None -> "None", True -> "True", floats as repr, undefined -> "".
std::string ToPyStr(const Value& v);
// repr(value): strings quoted, lists "[1, 'a']", tuples "(1,)", dicts "{'k': v}".
std::string ToPyRepr(const Value& v);

// Python ==: numbers compare by value across bool/int/float, containers element-wise.
bool PyEquals(const Value& a, const Value& b);

}  // namespace anemll::tokenizer::jinja
