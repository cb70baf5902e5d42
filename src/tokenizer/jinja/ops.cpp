// Python-semantics operations on template values: lookup, slicing, iteration, operators, calls.
#include <cmath>
#include <limits>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {

std::string ObjectTypeRepr(const Value& v) {
  if (v.is_none()) return "None";
  return StrCat(v.is_namespace() ? "namespace" : v.TypeName(), " object");
}

Value MissingAttr(const Value& obj, const std::string& name) {
  return Value::Undefined(StrCat("'", ObjectTypeRepr(obj), "' has no attribute '", name, "'"));
}

Result<Value> GetAttr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined: return InvalidArgument(obj.undefined_hint());
    case Value::Kind::kDict: {
      // Python's getattr comes first in Jinja: `d.items` is the method even if there is a key "items".
      if (auto method = BoundMethod(obj, name)) return *method;
      if (IsUnsafeMethod(obj, name)) return UnsafeMethod(obj, name);
      if (const Value* v = obj.dict().Find(name)) return *v;
      return MissingAttr(obj, name);
    }
    case Value::Kind::kNamespace: {
      if (const Value* v = obj.dict().Find(name)) return *v;
      return MissingAttr(obj, name);
    }
    case Value::Kind::kString:
    case Value::Kind::kList: {
      if (auto method = BoundMethod(obj, name)) return *method;
      if (IsUnsafeMethod(obj, name)) return UnsafeMethod(obj, name);
      return MissingAttr(obj, name);
    }
    default: return MissingAttr(obj, name);
  }
}

namespace {

// Python index into a sequence of `size` items; nullopt when out of range.
std::optional<size_t> PyIndex(int64_t index, size_t size) {
  const auto n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<size_t>(index);
}

Value MissingItem(const Value& obj, const Value& key) {
  return Value::Undefined(StrCat("'", ObjectTypeRepr(obj), "' has no element ", ToPyRepr(key)));
}

}  // namespace

Result<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return InvalidArgument(obj.undefined_hint());
  if (obj.is_dict() && key.is_string()) {
    if (const Value* v = obj.dict().Find(key.str())) return *v;
  } else if (obj.is_list() && key.is_integral()) {
    const auto i = PyIndex(key.int_value(), obj.list().size());
    if (i) return obj.list()[*i];
    return MissingItem(obj, key);
  } else if (obj.is_string() && key.is_integral()) {
    const std::vector<size_t> off = CodePointOffsets(obj.str());
    const auto i = PyIndex(key.int_value(), off.size() - 1);
    if (i) return Value(obj.str().substr(off[*i], off[*i + 1] - off[*i]));
    return MissingItem(obj, key);
  }
  // Jinja falls back to the attribute of the same name.
  if (key.is_string()) return GetAttr(obj, key.str());
  return MissingItem(obj, key);
}

namespace {

Result<std::optional<int64_t>> SliceIndex(const Value& v) {
  if (v.is_none()) return std::optional<int64_t>();
  if (v.is_integral()) return std::optional<int64_t>(v.int_value());
  return InvalidArgument("slice indices must be integers or None, not ", v.TypeName());
}

}  // namespace

Result<Value> GetSlice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (obj.is_undefined()) return InvalidArgument(obj.undefined_hint());
  ANEMLL_ASSIGN_OR_RETURN(auto start, SliceIndex(start_v));
  ANEMLL_ASSIGN_OR_RETURN(auto stop, SliceIndex(stop_v));
  ANEMLL_ASSIGN_OR_RETURN(auto step_opt, SliceIndex(step_v));
  const int64_t step = step_opt.value_or(1);
  if (step == 0) return InvalidArgument("slice step cannot be zero");
  if (!obj.is_list() && !obj.is_string()) return Value::Undefined(StrCat("'", ObjectTypeRepr(obj), "' cannot be sliced"));
  std::vector<size_t> off;
  int64_t length;
  if (obj.is_string()) {
    off = CodePointOffsets(obj.str());
    length = static_cast<int64_t>(off.size()) - 1;
  } else {
    length = static_cast<int64_t>(obj.list().size());
  }
  auto adjust = [&](std::optional<int64_t> idx, bool is_start) -> int64_t {
    if (!idx) {
      if (is_start) return step < 0 ? length - 1 : 0;
      return step < 0 ? -1 : length;
    }
    int64_t i = *idx;
    if (i < 0) {
      i += length;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= length) {
      i = step < 0 ? length - 1 : length;
    }
    return i;
  };
  const int64_t begin = adjust(start, true);
  const int64_t end = adjust(stop, false);
  std::vector<int64_t> picks;
  for (int64_t i = begin; step > 0 ? i < end : i > end; i += step) picks.push_back(i);
  if (obj.is_string()) {
    std::string out;
    if (step == 1 && !picks.empty()) {
      out = obj.str().substr(off[picks.front()], off[picks.back() + 1] - off[picks.front()]);
    } else {
      for (int64_t i : picks) out += obj.str().substr(off[i], off[i + 1] - off[i]);
    }
    return Value(std::move(out));
  }
  List items;
  items.reserve(picks.size());
  for (int64_t i : picks) items.push_back(obj.list()[static_cast<size_t>(i)]);
  return Value::MakeList(std::move(items), obj.is_tuple());
}

Result<List> Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return List{};
    case Value::Kind::kList: return v.list();
    case Value::Kind::kDict: {
      List keys;
      keys.reserve(v.dict().items.size());
      for (const auto& kv : v.dict().items) keys.emplace_back(kv.first);
      return keys;
    }
    case Value::Kind::kString: {
      const std::vector<size_t> off = CodePointOffsets(v.str());
      if (off.size() - 1 > kMaxListItems) return InvalidArgument("string too long to iterate (", off.size() - 1, " characters)");
      List chars;
      chars.reserve(off.size() - 1);
      for (size_t k = 0; k + 1 < off.size(); ++k) chars.emplace_back(v.str().substr(off[k], off[k + 1] - off[k]));
      return chars;
    }
    default: return InvalidArgument("'", v.TypeName(), "' object is not iterable");
  }
}

Result<int64_t> Length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return int64_t{0};
    case Value::Kind::kString: return static_cast<int64_t>(CodePointCount(v.str()));
    case Value::Kind::kList: return static_cast<int64_t>(v.list().size());
    case Value::Kind::kDict: return static_cast<int64_t>(v.dict().items.size());
    default: return InvalidArgument("object of type '", v.TypeName(), "' has no len()");
  }
}

namespace {

Status OperandError(const std::string& op, const Value& a, const Value& b) {
  return InvalidArgument("unsupported operand type(s) for ", op, ": '", a.TypeName(), "' and '", b.TypeName(), "'");
}

bool AddOverflows(int64_t a, int64_t b) {
  return (b > 0 && a > std::numeric_limits<int64_t>::max() - b) || (b < 0 && a < std::numeric_limits<int64_t>::min() - b);
}

bool MulOverflows(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return false;
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  if ((a == -1 && b == min) || (b == -1 && a == min)) return true;
  if (a > 0) return b > 0 ? a > max / b : b < min / a;
  return b > 0 ? a < min / b : a < max / b;
}

Status Overflow(const std::string& op) { return InvalidArgument("integer overflow in '", op, "'"); }

Result<Value> Repeat(const Value& seq, int64_t times) {
  if (times < 0) times = 0;
  if (seq.is_string()) {
    if (!seq.str().empty() && static_cast<uint64_t>(times) > kMaxStringBytes / seq.str().size()) {
      return InvalidArgument("string repetition result exceeds ", kMaxStringBytes, " bytes");
    }
    std::string out;
    out.reserve(seq.str().size() * static_cast<size_t>(times));
    for (int64_t k = 0; k < times; ++k) out += seq.str();
    return Value(std::move(out));
  }
  const List& items = seq.list();
  if (!items.empty() && static_cast<uint64_t>(times) > kMaxListItems / items.size()) {
    return InvalidArgument("list repetition result exceeds ", kMaxListItems, " items");
  }
  List out;
  for (int64_t k = 0; k < times; ++k) out.insert(out.end(), items.begin(), items.end());
  return Value::MakeList(std::move(out), seq.is_tuple());
}

double PyFloorMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

Result<Value> BinaryOp(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string sa = ToPyStr(a);
    const std::string sb = ToPyStr(b);
    if (sa.size() + sb.size() > kMaxStringBytes) return InvalidArgument("string exceeds ", kMaxStringBytes, " bytes");
    sa += sb;
    return Value(std::move(sa));
  }
  if (a.is_undefined()) return InvalidArgument(a.undefined_hint());
  if (b.is_undefined()) return InvalidArgument(b.undefined_hint());
  const bool ints = a.is_integral() && b.is_integral();
  const bool nums = a.is_number() && b.is_number();
  if (op == "+") {
    if (ints) {
      if (AddOverflows(a.int_value(), b.int_value())) return Overflow(op);
      return Value(a.int_value() + b.int_value());
    }
    if (nums) return Value(a.number() + b.number());
    if (a.is_string() && b.is_string()) {
      if (a.str().size() + b.str().size() > kMaxStringBytes) return InvalidArgument("string exceeds ", kMaxStringBytes, " bytes");
      return Value(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      if (a.list().size() + b.list().size() > kMaxListItems) return InvalidArgument("list exceeds ", kMaxListItems, " items");
      List items = a.list();
      items.insert(items.end(), b.list().begin(), b.list().end());
      return Value::MakeList(std::move(items), a.is_tuple());
    }
    if (a.is_string()) return InvalidArgument("can only concatenate str (not \"", b.TypeName(), "\") to str");
    return OperandError(op, a, b);
  }
  if (op == "-") {
    if (ints) {
      if (b.int_value() == std::numeric_limits<int64_t>::min() || AddOverflows(a.int_value(), -b.int_value())) {
        return Overflow(op);
      }
      return Value(a.int_value() - b.int_value());
    }
    if (nums) return Value(a.number() - b.number());
    return OperandError(op, a, b);
  }
  if (op == "*") {
    if (ints) {
      if (MulOverflows(a.int_value(), b.int_value())) return Overflow(op);
      return Value(a.int_value() * b.int_value());
    }
    if (nums) return Value(a.number() * b.number());
    if ((a.is_string() || a.is_list()) && b.is_integral()) return Repeat(a, b.int_value());
    if ((b.is_string() || b.is_list()) && a.is_integral()) return Repeat(b, a.int_value());
    return OperandError(op, a, b);
  }
  if (op == "/") {
    if (!nums) return OperandError(op, a, b);
    if (b.number() == 0) return InvalidArgument("division by zero");
    return Value(a.number() / b.number());
  }
  if (op == "//") {
    if (!nums) return OperandError(op, a, b);
    if (b.number() == 0) return InvalidArgument("integer division or modulo by zero");
    if (ints) {
      const int64_t x = a.int_value();
      const int64_t y = b.int_value();
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow(op);
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    return Value(std::floor(a.number() / b.number()));
  }
  if (op == "%") {
    if (a.is_string()) return PercentFormat(a.str(), b);
    if (!nums) return OperandError(op, a, b);
    if (b.number() == 0) return InvalidArgument("integer division or modulo by zero");
    if (ints) {
      const int64_t x = a.int_value();
      const int64_t y = b.int_value();
      if (y == -1) return Value(int64_t{0});
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    return Value(PyFloorMod(a.number(), b.number()));
  }
  if (op == "**") {
    if (!nums) return OperandError(op, a, b);
    if (ints && b.int_value() >= 0) {
      int64_t base = a.int_value();
      int64_t exp = b.int_value();
      int64_t result = 1;
      while (exp > 0) {
        if (exp & 1) {
          if (MulOverflows(result, base)) return Overflow(op);
          result *= base;
        }
        exp >>= 1;
        if (exp > 0) {
          if (MulOverflows(base, base)) return Overflow(op);
          base *= base;
        }
      }
      return Value(result);
    }
    if (a.number() == 0 && b.number() < 0) return InvalidArgument("0.0 cannot be raised to a negative power");
    return Value(std::pow(a.number(), b.number()));
  }
  return InvalidArgument("unknown operator '", op, "'");
}

Result<Value> Negate(const Value& v) {
  if (v.is_undefined()) return InvalidArgument(v.undefined_hint());
  if (v.is_integral()) {
    if (v.int_value() == std::numeric_limits<int64_t>::min()) return Overflow("-");
    return Value(-v.int_value());
  }
  if (v.is_float()) return Value(-v.number());
  return InvalidArgument("bad operand type for unary -: '", v.TypeName(), "'");
}

namespace {

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined: return false;
    case Value::Kind::kString:
      if (!item.is_string()) return InvalidArgument("'in <string>' requires string as left operand, not ", item.TypeName());
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& e : container.list()) {
        if (PyEquals(e, item)) return true;
      }
      return false;
    case Value::Kind::kDict: return item.is_string() && container.dict().Find(item.str()) != nullptr;
    default: return InvalidArgument("argument of type '", container.TypeName(), "' is not iterable");
  }
}

// Python's a < b; `op` names the operator in errors.
Result<bool> LessThan(const Value& a, const Value& b, const std::string& op) {
  if (a.is_undefined()) return InvalidArgument(a.undefined_hint());
  if (b.is_undefined()) return InvalidArgument(b.undefined_hint());
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) return a.int_value() < b.int_value();
    return a.number() < b.number();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const List& x = a.list();
    const List& y = b.list();
    for (size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (PyEquals(x[k], y[k])) continue;
      return LessThan(x[k], y[k], op);
    }
    return x.size() < y.size();
  }
  return InvalidArgument("'", op, "' not supported between instances of '", a.TypeName(), "' and '", b.TypeName(), "'");
}

}  // namespace

Result<bool> Compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return PyEquals(a, b);
  if (op == "!=") return !PyEquals(a, b);
  if (op == "in") return Contains(b, a);
  if (op == "not in") {
    ANEMLL_ASSIGN_OR_RETURN(bool in, Contains(b, a));
    return !in;
  }
  if (op == "<") return LessThan(a, b, op);
  if (op == ">") return LessThan(b, a, op);
  if (op == "<=") {
    ANEMLL_ASSIGN_OR_RETURN(bool gt, LessThan(b, a, op));
    return !gt;
  }
  if (op == ">=") {
    ANEMLL_ASSIGN_OR_RETURN(bool lt, LessThan(a, b, op));
    return !lt;
  }
  return InvalidArgument("unknown comparison '", op, "'");
}

Result<Value> CallValue(const Value& callee, const CallArgs& args) {
  if (callee.is_undefined()) return InvalidArgument(callee.undefined_hint());
  if (!callee.is_callable()) return InvalidArgument("'", callee.TypeName(), "' object is not callable");
  return callee.callable().fn(args);
}

Result<std::vector<Value>> BindArgs(const std::string& what, const CallArgs& args, std::initializer_list<Param> params) {
  std::vector<Value> bound(params.size());
  std::vector<bool> set(params.size(), false);
  if (args.args.size() > params.size()) {
    return InvalidArgument(what, " takes at most ", params.size(), " argument(s) (", args.args.size(), " given)");
  }
  for (size_t k = 0; k < args.args.size(); ++k) {
    bound[k] = args.args[k];
    set[k] = true;
  }
  for (const auto& [name, value] : args.kwargs) {
    size_t k = 0;
    for (const Param& p : params) {
      if (name == p.name) break;
      ++k;
    }
    if (k == params.size()) return InvalidArgument(what, " got an unexpected keyword argument '", name, "'");
    if (set[k]) return InvalidArgument(what, " got multiple values for argument '", name, "'");
    bound[k] = value;
    set[k] = true;
  }
  size_t k = 0;
  for (const Param& p : params) {
    if (!set[k]) {
      if (!p.default_value) return InvalidArgument(what, " missing required argument '", p.name, "'");
      bound[k] = *p.default_value;
    }
    ++k;
  }
  return bound;
}

}  // namespace anemll::tokenizer::jinja
