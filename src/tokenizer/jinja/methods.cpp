// Methods templates call on values: str (strip, split, startswith, format ...), dict (get, items,
// keys, values) and list (index, count). Mutating methods are refused, as in Jinja's immutable
// sandbox.
#include <utf8proc.h>

#include <cstring>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

using MethodFn = Result<Value> (*)(const Value& self, const CallArgs& args);

struct Method {
  const char* name;
  MethodFn fn;
};

std::string What(const char* type, const char* name) { return StrCat(type, ".", name, "()"); }

Result<std::optional<std::string>> OptionalString(const Value& v, const std::string& what) {
  if (v.is_none() || v.is_undefined()) return std::optional<std::string>();
  if (!v.is_string()) return InvalidArgument(what, " argument must be str or None, not ", v.TypeName());
  return std::optional<std::string>(v.str());
}

Result<std::string> RequireString(const Value& v, const std::string& what) {
  if (!v.is_string()) return InvalidArgument(what, " argument must be str, not ", v.TypeName());
  return v.str();
}

Result<int64_t> RequireInt(const Value& v, const std::string& what) {
  if (!v.is_integral()) return InvalidArgument(what, " argument must be an integer, not ", v.TypeName());
  return v.int_value();
}

Value StringList(std::vector<std::string> parts) {
  List items;
  items.reserve(parts.size());
  for (auto& p : parts) items.emplace_back(std::move(p));
  return Value::MakeList(std::move(items));
}

template <bool kLeft, bool kRight>
Result<Value> StrStrip(const Value& self, const CallArgs& args) {
  const char* name = kLeft && kRight ? "strip" : kLeft ? "lstrip" : "rstrip";
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", name), args, {{"chars", Value::None()}}));
  ANEMLL_ASSIGN_OR_RETURN(auto chars, OptionalString(a[0], What("str", name)));
  return Value(PyStrip(self.str(), chars, kLeft, kRight));
}

template <bool kFromRight>
Result<Value> StrSplit(const Value& self, const CallArgs& args) {
  const char* name = kFromRight ? "rsplit" : "split";
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", name), args, {{"sep", Value::None()}, {"maxsplit", Value(-1)}}));
  ANEMLL_ASSIGN_OR_RETURN(auto sep, OptionalString(a[0], What("str", name)));
  ANEMLL_ASSIGN_OR_RETURN(int64_t maxsplit, RequireInt(a[1], What("str", name)));
  if (sep && sep->empty()) return InvalidArgument("str.", name, "(): empty separator");
  return StringList(kFromRight ? PyRSplit(self.str(), sep, maxsplit) : PySplit(self.str(), sep, maxsplit));
}

Result<Value> StrSplitLines(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("str", "splitlines"), args, {}).status());
  return StringList(PySplitLines(self.str()));
}

// startswith/endswith(prefix or tuple of prefixes)
template <bool kEnds>
Result<Value> StrAffix(const Value& self, const CallArgs& args) {
  const char* name = kEnds ? "endswith" : "startswith";
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", name), args, {{"affix", std::nullopt}}));
  std::vector<std::string> options;
  if (a[0].is_string()) {
    options.push_back(a[0].str());
  } else if (a[0].is_list()) {
    for (const Value& v : a[0].list()) {
      ANEMLL_ASSIGN_OR_RETURN(std::string s, RequireString(v, What("str", name)));
      options.push_back(std::move(s));
    }
  } else {
    return InvalidArgument("str.", name, "() argument must be str or a tuple of str, not ", a[0].TypeName());
  }
  const std::string& s = self.str();
  for (const std::string& o : options) {
    if (o.size() > s.size()) continue;
    if (kEnds ? s.compare(s.size() - o.size(), o.size(), o) == 0 : s.compare(0, o.size(), o) == 0) return Value(true);
  }
  return Value(false);
}

Result<Value> StrReplace(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", "replace"), args,
                                           {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value(-1)}}));
  ANEMLL_ASSIGN_OR_RETURN(std::string old, RequireString(a[0], What("str", "replace")));
  ANEMLL_ASSIGN_OR_RETURN(std::string repl, RequireString(a[1], What("str", "replace")));
  ANEMLL_ASSIGN_OR_RETURN(int64_t count, RequireInt(a[2], What("str", "replace")));
  return ReplaceBounded(self.str(), old, repl, count);
}

template <std::string (*kFn)(std::string_view)>
Result<Value> StrMap(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs("str method", args, {}).status());
  return Value(kFn(self.str()));
}

// find/rfind/index/rindex/count(sub): positions are in code points, as in Python.
enum class FindKind { kFind, kRFind, kIndex, kRIndex, kCount };
template <FindKind kKind>
Result<Value> StrFind(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs("str.find()", args, {{"sub", std::nullopt}}));
  ANEMLL_ASSIGN_OR_RETURN(std::string sub, RequireString(a[0], "str.find()"));
  const std::string& s = self.str();
  if (kKind == FindKind::kCount) {
    if (sub.empty()) return Value(static_cast<int64_t>(CodePointCount(s) + 1));
    int64_t n = 0;
    for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    return Value(n);
  }
  const bool reverse = kKind == FindKind::kRFind || kKind == FindKind::kRIndex;
  const size_t pos = reverse ? s.rfind(sub) : s.find(sub);
  if (pos == std::string::npos) {
    if (kKind == FindKind::kIndex || kKind == FindKind::kRIndex) return InvalidArgument("substring not found");
    return Value(-1);
  }
  return Value(static_cast<int64_t>(CodePointCount(std::string_view(s).substr(0, pos))));
}

Result<Value> StrJoin(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", "join"), args, {{"iterable", std::nullopt}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(a[0]));
  std::string out;
  for (size_t k = 0; k < items.size(); ++k) {
    if (!items[k].is_string()) {
      return InvalidArgument("str.join(): sequence item ", k, ": expected str instance, ", items[k].TypeName(), " found");
    }
    if (k) out += self.str();
    out += items[k].str();
    if (out.size() > kMaxStringBytes) return InvalidArgument("str.join(): result exceeds ", kMaxStringBytes, " bytes");
  }
  return Value(std::move(out));
}

Result<Value> StrFormatMethod(const Value& self, const CallArgs& args) { return StrFormat(self.str(), args); }

// isdigit / isalpha / isalnum / isspace / isupper / islower
enum class Predicate { kDigit, kAlpha, kAlnum, kSpace, kUpper, kLower };
template <Predicate kPred>
Result<Value> StrIs(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs("str method", args, {}).status());
  const std::string& s = self.str();
  if (kPred == Predicate::kUpper) return Value(PyIsUpper(s));
  if (kPred == Predicate::kLower) return Value(PyIsLower(s));
  if (s.empty()) return Value(false);
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = NextCodePoint(s, &pos);
    const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    const bool alpha = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
    const bool digit = cat == UTF8PROC_CATEGORY_ND;
    const bool numeric = digit || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
    bool ok = false;
    switch (kPred) {
      case Predicate::kDigit: ok = digit; break;
      case Predicate::kAlpha: ok = alpha; break;
      case Predicate::kAlnum: ok = alpha || numeric; break;
      case Predicate::kSpace: ok = IsPyWhitespace(cp); break;
      default: break;
    }
    if (!ok) return Value(false);
  }
  return Value(true);
}

// center / ljust / rjust(width, fillchar=' ')
enum class Justify { kCenter, kLeft, kRight };
template <Justify kHow>
Result<Value> StrJustify(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs("str justify", args, {{"width", std::nullopt}, {"fillchar", Value(" ")}}));
  ANEMLL_ASSIGN_OR_RETURN(int64_t width, RequireInt(a[0], "str justify"));
  ANEMLL_ASSIGN_OR_RETURN(std::string fill, RequireString(a[1], "str justify"));
  if (CodePointCount(fill) != 1) return InvalidArgument("the fill character must be exactly one character long");
  ANEMLL_ASSIGN_OR_RETURN(std::string out, Justified(self.str(), width, fill,
                                                    kHow == Justify::kCenter ? 'c' : kHow == Justify::kLeft ? 'l' : 'r'));
  return Value(std::move(out));
}

Result<Value> StrZfill(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("str", "zfill"), args, {{"width", std::nullopt}}));
  ANEMLL_ASSIGN_OR_RETURN(int64_t width, RequireInt(a[0], What("str", "zfill")));
  const std::string& s = self.str();
  const auto len = static_cast<int64_t>(CodePointCount(s));
  if (width <= len) return self;
  if (width > static_cast<int64_t>(kMaxStringBytes)) return InvalidArgument("str.zfill(): width too large");
  const size_t sign = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  return Value(s.substr(0, sign) + std::string(static_cast<size_t>(width - len), '0') + s.substr(sign));
}

template <bool kSuffix>
Result<Value> StrRemoveAffix(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs("str.removeprefix()", args, {{"affix", std::nullopt}}));
  ANEMLL_ASSIGN_OR_RETURN(std::string affix, RequireString(a[0], "str.removeprefix()"));
  const std::string& s = self.str();
  if (affix.empty() || affix.size() > s.size()) return self;
  if (kSuffix) {
    if (s.compare(s.size() - affix.size(), affix.size(), affix) == 0) return Value(s.substr(0, s.size() - affix.size()));
  } else if (s.compare(0, affix.size(), affix) == 0) {
    return Value(s.substr(affix.size()));
  }
  return self;
}

const Method kStrMethods[] = {
    {"strip", StrStrip<true, true>},
    {"lstrip", StrStrip<true, false>},
    {"rstrip", StrStrip<false, true>},
    {"split", StrSplit<false>},
    {"rsplit", StrSplit<true>},
    {"splitlines", StrSplitLines},
    {"startswith", StrAffix<false>},
    {"endswith", StrAffix<true>},
    {"replace", StrReplace},
    {"upper", StrMap<PyUpper>},
    {"lower", StrMap<PyLower>},
    {"title", StrMap<PyTitle>},
    {"capitalize", StrMap<PyCapitalize>},
    {"find", StrFind<FindKind::kFind>},
    {"rfind", StrFind<FindKind::kRFind>},
    {"index", StrFind<FindKind::kIndex>},
    {"rindex", StrFind<FindKind::kRIndex>},
    {"count", StrFind<FindKind::kCount>},
    {"join", StrJoin},
    {"format", StrFormatMethod},
    {"isdigit", StrIs<Predicate::kDigit>},
    {"isalpha", StrIs<Predicate::kAlpha>},
    {"isalnum", StrIs<Predicate::kAlnum>},
    {"isspace", StrIs<Predicate::kSpace>},
    {"isupper", StrIs<Predicate::kUpper>},
    {"islower", StrIs<Predicate::kLower>},
    {"center", StrJustify<Justify::kCenter>},
    {"ljust", StrJustify<Justify::kLeft>},
    {"rjust", StrJustify<Justify::kRight>},
    {"zfill", StrZfill},
    {"removeprefix", StrRemoveAffix<false>},
    {"removesuffix", StrRemoveAffix<true>},
};

Result<Value> DictGet(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("dict", "get"), args, {{"key", std::nullopt}, {"default", Value::None()}}));
  if (a[0].is_string()) {
    if (const Value* v = self.dict().Find(a[0].str())) return *v;
  }
  return a[1];
}

Result<Value> DictItems(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("dict", "items"), args, {}).status());
  List items;
  items.reserve(self.dict().items.size());
  for (const auto& [k, v] : self.dict().items) items.push_back(Value::MakeList({Value(k), v}, true));
  return Value::MakeList(std::move(items));
}

Result<Value> DictKeys(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("dict", "keys"), args, {}).status());
  List keys;
  for (const auto& kv : self.dict().items) keys.emplace_back(kv.first);
  return Value::MakeList(std::move(keys));
}

Result<Value> DictValues(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("dict", "values"), args, {}).status());
  List values;
  for (const auto& kv : self.dict().items) values.push_back(kv.second);
  return Value::MakeList(std::move(values));
}

Result<Value> CopySelf(const Value& self, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs("copy()", args, {}).status());
  return self;  // values are immutable, so sharing is a copy
}

const Method kDictMethods[] = {
    {"get", DictGet}, {"items", DictItems}, {"keys", DictKeys}, {"values", DictValues}, {"copy", CopySelf},
};

template <bool kCount>
Result<Value> ListSearch(const Value& self, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(kCount ? "list.count()" : "list.index()", args, {{"value", std::nullopt}}));
  int64_t count = 0;
  const List& items = self.list();
  for (size_t k = 0; k < items.size(); ++k) {
    if (!PyEquals(items[k], a[0])) continue;
    if (!kCount) return Value(static_cast<int64_t>(k));
    ++count;
  }
  if (!kCount) return InvalidArgument(ToPyRepr(a[0]), " is not in list");
  return Value(count);
}

const Method kListMethods[] = {{"index", ListSearch<false>}, {"count", ListSearch<true>}, {"copy", CopySelf}};

template <size_t N>
MethodFn FindIn(const Method (&table)[N], const std::string& name) {
  for (const Method& m : table) {
    if (name == m.name) return m.fn;
  }
  return nullptr;
}

}  // namespace

std::optional<Value> BoundMethod(const Value& obj, const std::string& name) {
  MethodFn fn = nullptr;
  const char* type = "";
  if (obj.is_string()) {
    fn = FindIn(kStrMethods, name);
    type = "str";
  } else if (obj.is_dict()) {
    fn = FindIn(kDictMethods, name);
    type = "dict";
  } else if (obj.is_list()) {
    fn = FindIn(kListMethods, name);
    type = obj.is_tuple() ? "tuple" : "list";
  }
  if (!fn) return std::nullopt;
  return Value::MakeCallable(StrCat(type, ".", name), [obj, fn](const CallArgs& args) { return fn(obj, args); });
}

Value UnsafeMethod(const Value& obj, const std::string& name) {
  return Value::Undefined(StrCat("access to attribute '", name, "' of '", obj.TypeName(), "' object is unsafe"));
}

bool IsUnsafeMethod(const Value& obj, const std::string& name) {
  static const char* kListMutators[] = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"};
  static const char* kDictMutators[] = {"pop", "popitem", "setdefault", "update", "clear"};
  if (obj.is_list()) {
    for (const char* m : kListMutators) {
      if (name == m) return true;
    }
  } else if (obj.is_dict()) {
    for (const char* m : kDictMutators) {
      if (name == m) return true;
    }
  }
  return false;
}

}  // namespace anemll::tokenizer::jinja
