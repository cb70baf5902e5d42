#include "tokenizer/jinja/value.h"

#include <algorithm>

#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {

const Value* Dict::Find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Dict::Set(std::string key, Value value) {
  for (auto& [k, v] : items) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(std::move(key), std::move(value));
}

Value::Value(std::string s) : kind_(Kind::kString), s_(std::make_shared<const std::string>(std::move(s))) {}

Value Value::Undefined(std::string hint) {
  Value v;
  v.s_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::MakeList(List items, bool tuple) {
  Value v;
  v.kind_ = Kind::kList;
  v.tuple_ = tuple;
  for (const Value& e : items) v.depth_ = std::max(v.depth_, e.depth_ + 1);
  if (items.empty()) v.depth_ = 1;
  v.list_ = std::make_shared<const List>(std::move(items));
  return v;
}

Value Value::MakeDict(Dict dict) {
  Value v;
  v.kind_ = Kind::kDict;
  v.depth_ = 1;
  for (const auto& [k, e] : dict.items) v.depth_ = std::max(v.depth_, e.depth_ + 1);
  v.dict_ = std::make_shared<Dict>(std::move(dict));
  return v;
}

Value Value::MakeNamespace(Dict attrs) {
  Value v;
  v.kind_ = Kind::kNamespace;
  v.depth_ = 1;  // mutable: its contents are bounded where they are assigned
  v.dict_ = std::make_shared<Dict>(std::move(attrs));
  return v;
}

Value Value::MakeCallable(std::string name, NativeFunction fn, bool is_macro) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.fn_ = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn), is_macro});
  return v;
}

const std::string& Value::undefined_hint() const {
  static const std::string kNoHint = "value is undefined";
  return s_ && !s_->empty() ? *s_ : kNoHint;
}

const void* Value::identity() const {
  switch (kind_) {
    case Kind::kString: return s_.get();
    case Kind::kList: return list_.get();
    case Kind::kDict:
    case Kind::kNamespace: return dict_.get();
    case Kind::kCallable: return fn_.get();
    default: return nullptr;
  }
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return b_;
    case Kind::kInt: return i_ != 0;
    case Kind::kFloat: return f_ != 0;
    case Kind::kString: return !s_->empty();
    case Kind::kList: return !list_->empty();
    case Kind::kDict: return !dict_->items.empty();
    case Kind::kNamespace:
    case Kind::kCallable: return true;
  }
  return false;
}

std::string Value::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return tuple_ ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
  }
  return "object";
}

namespace {

template <typename Json>
Result<Value> FromJsonAt(const Json& j, uint32_t depth) {
  if (depth > kMaxNesting) return InvalidArgument("JSON nesting deeper than ", kMaxNesting, " levels");
  switch (j.type()) {
    case nlohmann::detail::value_t::null: return Value::None();
    case nlohmann::detail::value_t::boolean: return Value(j.template get<bool>());
    case nlohmann::detail::value_t::number_integer: return Value(j.template get<int64_t>());
    case nlohmann::detail::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case nlohmann::detail::value_t::number_float: return Value(j.template get<double>());
    case nlohmann::detail::value_t::string: return Value(j.template get_ref<const std::string&>());
    case nlohmann::detail::value_t::array: {
      List items;
      items.reserve(j.size());
      for (const auto& e : j) {
        ANEMLL_ASSIGN_OR_RETURN(Value item, FromJsonAt(e, depth + 1));
        items.push_back(std::move(item));
      }
      return Value::MakeList(std::move(items));
    }
    case nlohmann::detail::value_t::object: {
      Dict d;
      d.items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        ANEMLL_ASSIGN_OR_RETURN(Value item, FromJsonAt(it.value(), depth + 1));
        d.items.emplace_back(it.key(), std::move(item));
      }
      return Value::MakeDict(std::move(d));
    }
    default: return Value::None();  // binary / discarded: never produced by the JSON parser
  }
}

}  // namespace

Result<Value> FromJson(const nlohmann::json& j) { return FromJsonAt(j, 0); }
Result<Value> FromJson(const nlohmann::ordered_json& j) { return FromJsonAt(j, 0); }

namespace {

void AppendRepr(const Value& v, std::string* out, uint32_t depth);

void AppendSequenceRepr(const Value& v, std::string* out, uint32_t depth) {
  const bool tuple = v.is_tuple();
  out->push_back(tuple ? '(' : '[');
  const List& items = v.list();
  for (size_t k = 0; k < items.size(); ++k) {
    if (k) out->append(", ");
    AppendRepr(items[k], out, depth + 1);
  }
  if (tuple && items.size() == 1) out->push_back(',');
  out->push_back(tuple ? ')' : ']');
}

void AppendDictRepr(const Dict& d, std::string* out, uint32_t depth) {
  out->push_back('{');
  for (size_t k = 0; k < d.items.size(); ++k) {
    if (k) out->append(", ");
    out->append(PyStrRepr(d.items[k].first));
    out->append(": ");
    AppendRepr(d.items[k].second, out, depth + 1);
  }
  out->push_back('}');
}

void AppendRepr(const Value& v, std::string* out, uint32_t depth) {
  if (depth > kMaxNesting) {  // only a namespace that holds itself gets here
    out->append("...");
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kString: out->append(PyStrRepr(v.str())); return;
    case Value::Kind::kList: AppendSequenceRepr(v, out, depth); return;
    case Value::Kind::kDict: AppendDictRepr(v.dict(), out, depth); return;
    case Value::Kind::kNamespace:
      out->append("<Namespace ");
      AppendDictRepr(v.dict(), out, depth);
      out->append(">");
      return;
    default: out->append(ToPyStr(v)); return;
  }
}

}  // namespace

std::string ToPyStr(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return v.bool_value() ? "True" : "False";
    case Value::Kind::kInt: return std::to_string(v.int_value());
    case Value::Kind::kFloat: return PyFloatRepr(v.number());
    case Value::Kind::kString: return v.str();
    case Value::Kind::kList:
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: return ToPyRepr(v);
    case Value::Kind::kCallable: return "<function " + v.callable().name + ">";
  }
  return "";
}

std::string ToPyRepr(const Value& v) {
  std::string out;
  AppendRepr(v, &out, 0);
  return out;
}

bool PyEquals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) return a.int_value() == b.int_value();
    return a.number() == b.number();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.str() == b.str();
    case Value::Kind::kList: {
      if (a.is_tuple() != b.is_tuple()) return false;
      const List& x = a.list();
      const List& y = b.list();
      if (x.size() != y.size()) return false;
      for (size_t k = 0; k < x.size(); ++k) {
        if (!PyEquals(x[k], y[k])) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.items.size() != y.items.size()) return false;
      for (const auto& [k, v] : x.items) {
        const Value* other = y.Find(k);
        if (!other || !PyEquals(v, *other)) return false;
      }
      return true;
    }
    default: return a.identity() == b.identity();
  }
}

}  // namespace anemll::tokenizer::jinja
