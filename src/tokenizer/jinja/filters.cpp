// Jinja's built-in filters (the subset chat templates use), with transformers' `tojson`.
#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

std::string What(const char* filter) { return StrCat("filter '", filter, "'"); }

Result<Value> Trim(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("trim"), args, {{"chars", Value::None()}}));
  std::optional<std::string> chars;
  if (a[0].is_string()) chars = a[0].str();
  return Value(PyStrip(ToPyStr(v), chars, true, true));
}

Result<Value> LengthFilter(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("length"), args, {}).status());
  ANEMLL_ASSIGN_OR_RETURN(int64_t n, Length(v));
  return Value(n);
}

Result<Value> StringFilter(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("string"), args, {}).status());
  return Value(ToPyStr(v));
}

Result<Value> Safe(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("safe"), args, {}).status());
  return v;
}

Result<Value> Escape(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("escape"), args, {}).status());
  std::string out;
  for (char c : ToPyStr(v)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return Value(std::move(out));
}

Result<Value> ToJson(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("tojson"), args,
                                           {{"ensure_ascii", Value(false)},
                                            {"indent", Value::None()},
                                            {"separators", Value::None()},
                                            {"sort_keys", Value(false)}}));
  JsonDumpOptions opts;
  opts.ensure_ascii = a[0].Truthy();
  if (a[1].is_integral()) {
    opts.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(a[1].int_value(), 0, 64)), ' ');
  } else if (a[1].is_string()) {
    opts.indent = a[1].str();
  } else if (!a[1].is_none()) {
    return InvalidArgument("filter 'tojson': indent must be an int or a str, not ", a[1].TypeName());
  }
  if (opts.indent) opts.item_separator.assign(1, ',');  // (assign: GCC 12 -Wrestrict false positive on = ",")
  if (a[2].is_list()) {
    if (a[2].list().size() != 2 || !a[2].list()[0].is_string() || !a[2].list()[1].is_string()) {
      return InvalidArgument("filter 'tojson': separators must be a pair of strings");
    }
    opts.item_separator = a[2].list()[0].str();
    opts.key_separator = a[2].list()[1].str();
  } else if (!a[2].is_none()) {
    return InvalidArgument("filter 'tojson': separators must be a pair of strings");
  }
  opts.sort_keys = a[3].Truthy();
  ANEMLL_ASSIGN_OR_RETURN(std::string text, DumpJson(v, opts));
  return Value(std::move(text));
}

Result<Value> Join(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("join"), args, {{"d", Value("")}, {"attribute", Value::None()}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  const std::string sep = ToPyStr(a[0]);
  std::string out;
  for (size_t k = 0; k < items.size(); ++k) {
    Value item = items[k];
    if (!a[1].is_none()) {
      ANEMLL_ASSIGN_OR_RETURN(item, GetAttributePath(item, ToPyStr(a[1])));
    }
    if (k) out += sep;
    out += ToPyStr(item);
    if (out.size() > kMaxStringBytes) return InvalidArgument("filter 'join': result exceeds ", kMaxStringBytes, " bytes");
  }
  return Value(std::move(out));
}

template <std::string (*kFn)(std::string_view)>
Result<Value> CaseFilter(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs("case filter", args, {}).status());
  return Value(kFn(ToPyStr(v)));
}

// Jinja's title filter: a word starts after '-', whitespace, or one of "({[<".
std::string JinjaTitle(std::string_view s) {
  std::string out;
  bool boundary = true;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = NextCodePoint(s, &pos);
    const bool sep = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || IsPyWhitespace(cp);
    const auto c = static_cast<utf8proc_int32_t>(cp);
    AppendUtf8(static_cast<uint32_t>(boundary ? utf8proc_toupper(c) : utf8proc_tolower(c)), &out);
    boundary = sep;
  }
  return out;
}

Result<Value> Replace(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("replace"), args,
                                           {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value::None()}}));
  int64_t count = -1;
  if (a[2].is_integral()) count = a[2].int_value();
  return ReplaceBounded(ToPyStr(v), ToPyStr(a[0]), ToPyStr(a[1]), count);
}

Result<Value> First(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("first"), args, {}).status());
  if (v.is_list()) return v.list().empty() ? Value::Undefined("No first item, sequence was empty.") : v.list().front();
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> Last(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("last"), args, {}).status());
  if (v.is_list()) return v.list().empty() ? Value::Undefined("No last item, sequence was empty.") : v.list().back();
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> ListFilter(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("list"), args, {}).status());
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  return Value::MakeList(std::move(items));
}

Result<Value> Items(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("items"), args, {}).status());
  if (v.is_undefined()) return Value::MakeList({});
  if (!v.is_dict()) return InvalidArgument("filter 'items': can only get item pairs from a mapping, not ", v.TypeName());
  List items;
  for (const auto& [k, e] : v.dict().items) items.push_back(Value::MakeList({Value(k), e}, true));
  return Value::MakeList(std::move(items));
}

Result<Value> Default(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("default"), args, {{"default_value", Value("")}, {"boolean", Value(false)}}));
  if (v.is_undefined() || (a[1].Truthy() && !v.Truthy())) return a[0];
  return v;
}

Result<Value> IntFilter(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("int"), args, {{"default", Value(0)}, {"base", Value(10)}}));
  if (v.is_integral()) return Value(v.int_value());
  if (v.is_float()) {
    if (!std::isfinite(v.number()) || std::fabs(v.number()) >= 9.2e18) return a[0];
    return Value(static_cast<int64_t>(v.number()));
  }
  if (v.is_string()) {
    const int base = a[1].is_integral() ? static_cast<int>(std::clamp<int64_t>(a[1].int_value(), 0, 36)) : 10;
    if (auto i = ParsePyInt(v.str(), base)) return Value(*i);
    if (auto f = ParsePyFloat(v.str()); f && std::isfinite(*f) && std::fabs(*f) < 9.2e18) {
      return Value(static_cast<int64_t>(*f));
    }
  }
  return a[0];
}

Result<Value> FloatFilter(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("float"), args, {{"default", Value(0.0)}}));
  if (v.is_number()) return Value(v.number());
  if (v.is_string()) {
    if (auto f = ParsePyFloat(v.str())) return Value(*f);
  }
  return a[0];
}

Result<Value> Abs(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("abs"), args, {}).status());
  if (v.is_integral()) {
    if (v.int_value() == INT64_MIN) return InvalidArgument("filter 'abs': integer overflow");
    return Value(v.int_value() < 0 ? -v.int_value() : v.int_value());
  }
  if (v.is_float()) return Value(std::fabs(v.number()));
  return InvalidArgument("bad operand type for abs(): '", v.TypeName(), "'");
}

Result<Value> Round(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("round"), args, {{"precision", Value(0)}, {"method", Value("common")}}));
  if (!v.is_number()) return InvalidArgument("filter 'round': ", v.TypeName(), " is not a number");
  if (!a[0].is_integral()) return InvalidArgument("filter 'round': precision must be an integer");
  const std::string method = ToPyStr(a[1]);
  if (method != "common" && method != "ceil" && method != "floor") {
    return InvalidArgument("filter 'round': method must be common, ceil or floor");
  }
  const int64_t precision = std::clamp<int64_t>(a[0].int_value(), -308, 308);
  const double scale = std::pow(10.0, static_cast<double>(precision));
  if (method != "common") {
    const double x = v.number() * scale;
    return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
  }
  // Python's round(): ints stay ints; floats round half to even on the exact binary value.
  if (v.is_integral() && precision >= 0) return Value(v.int_value());
  const double d = v.number();
  if (!std::isfinite(d)) return Value(d);
  if (precision >= 0) {
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<int64_t>(precision, 340)), d);
    return Value(std::strtod(buf, nullptr));
  }
  const double r = std::nearbyint(d / std::pow(10.0, static_cast<double>(-precision))) * std::pow(10.0, static_cast<double>(-precision));
  if (v.is_integral()) return Value(static_cast<int64_t>(r));
  return Value(r);
}

Result<Value> Reverse(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("reverse"), args, {}).status());
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  std::reverse(items.begin(), items.end());
  if (v.is_string()) {
    std::string out;
    for (const Value& c : items) out += c.str();
    return Value(std::move(out));
  }
  return Value::MakeList(std::move(items));
}

// ---- selection and mapping ----

// Applies a named test to an item, with extra arguments.
Result<bool> RunTest(const std::string& name, const Value& item, const List& extra) {
  TestFn test = FindTest(name);
  if (!test) return InvalidArgument("no test named '", name, "'");
  CallArgs targs;
  targs.args = extra;
  return test(item, targs);
}

// select / reject / selectattr / rejectattr
template <bool kAttr, bool kKeep>
Result<Value> Select(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  size_t next = 0;
  std::string attribute;
  if (kAttr) {
    if (args.args.empty()) return InvalidArgument("filter 'selectattr': missing the attribute name");
    attribute = ToPyStr(args.args[next++]);
  }
  std::string test;
  if (next < args.args.size()) test = ToPyStr(args.args[next++]);
  const List extra(args.args.begin() + static_cast<std::ptrdiff_t>(next), args.args.end());
  List kept;
  for (const Value& item : items) {
    Value subject = item;
    if (kAttr) {
      ANEMLL_ASSIGN_OR_RETURN(subject, GetAttributePath(item, attribute));
    }
    bool pass;
    if (test.empty()) {
      pass = subject.Truthy();
    } else {
      ANEMLL_ASSIGN_OR_RETURN(pass, RunTest(test, subject, extra));
    }
    if (pass == kKeep) kept.push_back(item);
  }
  return Value::MakeList(std::move(kept));
}

Result<Value> Map(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  List out;
  out.reserve(items.size());
  if (args.args.empty()) {
    std::optional<Value> attribute;
    Value default_value;
    for (const auto& [k, value] : args.kwargs) {
      if (k == "attribute") {
        attribute = value;
      } else if (k == "default") {
        default_value = value;
      } else {
        return InvalidArgument("filter 'map': unexpected keyword argument '", k, "'");
      }
    }
    if (!attribute) return InvalidArgument("filter 'map': needs a filter name or attribute=");
    for (const Value& item : items) {
      ANEMLL_ASSIGN_OR_RETURN(Value x, GetAttributePath(item, ToPyStr(*attribute)));
      out.push_back(x.is_undefined() && !default_value.is_undefined() ? default_value : x);
    }
    return Value::MakeList(std::move(out));
  }
  const std::string name = ToPyStr(args.args[0]);
  FilterFn filter = FindFilter(name);
  if (!filter) return InvalidArgument("filter 'map': no filter named '", name, "'");
  CallArgs fargs;
  fargs.args.assign(args.args.begin() + 1, args.args.end());
  fargs.kwargs = args.kwargs;
  for (const Value& item : items) {
    ANEMLL_ASSIGN_OR_RETURN(Value x, filter(item, fargs));
    out.push_back(std::move(x));
  }
  return Value::MakeList(std::move(out));
}

// The key used by sort/unique/min/max: the attribute, lower-cased strings unless case_sensitive.
Result<Value> SortKey(const Value& item, const Value& attribute, bool case_sensitive) {
  Value key = item;
  if (!attribute.is_none()) {
    ANEMLL_ASSIGN_OR_RETURN(key, GetAttributePath(item, ToPyStr(attribute)));
  }
  if (!case_sensitive && key.is_string()) return Value(PyLower(key.str()));
  return key;
}

// Stable sort by keys with Python's `<`; an incomparable pair is an error.
Status SortByKeys(std::vector<std::pair<Value, Value>>* pairs, bool reverse) {
  Status error;
  std::stable_sort(pairs->begin(), pairs->end(), [&](const auto& x, const auto& y) {
    if (!error.ok()) return false;
    auto lt = Compare("<", reverse ? y.first : x.first, reverse ? x.first : y.first);
    if (!lt.ok()) {
      error = lt.status();
      return false;
    }
    return *lt;
  });
  return error;
}

Result<Value> Sort(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("sort"), args,
                                           {{"reverse", Value(false)}, {"case_sensitive", Value(false)}, {"attribute", Value::None()}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  std::vector<std::pair<Value, Value>> pairs;
  for (const Value& item : items) {
    ANEMLL_ASSIGN_OR_RETURN(Value key, SortKey(item, a[2], a[1].Truthy()));
    pairs.emplace_back(std::move(key), item);
  }
  ANEMLL_RETURN_IF_ERROR(SortByKeys(&pairs, a[0].Truthy()));
  List out;
  for (auto& p : pairs) out.push_back(std::move(p.second));
  return Value::MakeList(std::move(out));
}

Result<Value> DictSort(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("dictsort"), args,
                                           {{"case_sensitive", Value(false)}, {"by", Value("key")}, {"reverse", Value(false)}}));
  if (!v.is_dict()) return InvalidArgument("filter 'dictsort': ", v.TypeName(), " is not a mapping");
  const std::string by = ToPyStr(a[1]);
  if (by != "key" && by != "value") return InvalidArgument("filter 'dictsort': you can only sort by either \"key\" or \"value\"");
  std::vector<std::pair<Value, Value>> pairs;
  for (const auto& [k, e] : v.dict().items) {
    Value key = by == "key" ? Value(k) : e;
    if (!a[0].Truthy() && key.is_string()) key = Value(PyLower(key.str()));
    pairs.emplace_back(std::move(key), Value::MakeList({Value(k), e}, true));
  }
  ANEMLL_RETURN_IF_ERROR(SortByKeys(&pairs, a[2].Truthy()));
  List out;
  for (auto& p : pairs) out.push_back(std::move(p.second));
  return Value::MakeList(std::move(out));
}

Result<Value> Unique(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("unique"), args, {{"case_sensitive", Value(false)}, {"attribute", Value::None()}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  List seen;
  List out;
  for (const Value& item : items) {
    ANEMLL_ASSIGN_OR_RETURN(Value key, SortKey(item, a[1], a[0].Truthy()));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return PyEquals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::MakeList(std::move(out));
}

template <bool kMax>
Result<Value> MinMax(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(kMax ? What("max") : What("min"), args,
                                           {{"case_sensitive", Value(false)}, {"attribute", Value::None()}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  ANEMLL_ASSIGN_OR_RETURN(Value best_key, SortKey(items[0], a[1], a[0].Truthy()));
  for (size_t k = 1; k < items.size(); ++k) {
    ANEMLL_ASSIGN_OR_RETURN(Value key, SortKey(items[k], a[1], a[0].Truthy()));
    ANEMLL_ASSIGN_OR_RETURN(bool better, Compare(kMax ? ">" : "<", key, best_key));
    if (better) best = k, best_key = key;
  }
  return items[best];
}

Result<Value> Sum(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("sum"), args, {{"attribute", Value::None()}, {"start", Value(0)}}));
  ANEMLL_ASSIGN_OR_RETURN(List items, Iterate(v));
  Value total = a[1];
  for (const Value& item : items) {
    Value x = item;
    if (!a[0].is_none()) {
      ANEMLL_ASSIGN_OR_RETURN(x, GetAttributePath(item, ToPyStr(a[0])));
    }
    ANEMLL_ASSIGN_OR_RETURN(total, BinaryOp("+", total, x));
  }
  return total;
}

Result<Value> Capitalize(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("capitalize"), args, {}).status());
  return Value(PyCapitalize(ToPyStr(v)));
}

Result<Value> Title(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("title"), args, {}).status());
  return Value(JinjaTitle(ToPyStr(v)));
}

Result<Value> Indent(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("indent"), args, {{"width", Value(4)}, {"first", Value(false)}, {"blank", Value(false)}}));
  std::string indent;
  if (a[0].is_string()) {
    indent = a[0].str();
  } else if (a[0].is_integral()) {
    indent = std::string(static_cast<size_t>(std::clamp<int64_t>(a[0].int_value(), 0, 1024)), ' ');
  } else {
    return InvalidArgument("filter 'indent': width must be an int or a str");
  }
  const std::vector<std::string> lines = PySplitLines(ToPyStr(v) + "\n");
  if (lines.size() * indent.size() > kMaxStringBytes) return InvalidArgument("filter 'indent': result too large");
  std::string out;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k) out += "\n";
    const bool indent_line = (k > 0 || a[1].Truthy()) && (a[2].Truthy() || !lines[k].empty() || k == 0);
    if (indent_line) out += indent;
    out += lines[k];
  }
  return Value(std::move(out));
}

Result<Value> Center(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("center"), args, {{"width", Value(80)}}));
  if (!a[0].is_integral()) return InvalidArgument("filter 'center': width must be an integer");
  ANEMLL_ASSIGN_OR_RETURN(std::string out, Justified(ToPyStr(v), a[0].int_value(), " ", 'c'));
  return Value(std::move(out));
}

Result<Value> WordCount(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("wordcount"), args, {}).status());
  const std::string s = ToPyStr(v);
  int64_t words = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = NextCodePoint(s, &pos);
    const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    const bool word = cp == '_' || (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                      (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
    if (word && !in_word) ++words;
    in_word = word;
  }
  return Value(words);
}

Result<Value> Format(const Value& v, const CallArgs& args) {
  if (!args.kwargs.empty()) {
    if (!args.args.empty()) return InvalidArgument("filter 'format': can't handle positional and keyword arguments at the same time");
    Dict d;
    for (const auto& [k, x] : args.kwargs) d.Set(k, x);
    return PercentFormat(ToPyStr(v), Value::MakeDict(std::move(d)));
  }
  return PercentFormat(ToPyStr(v), Value::MakeList(args.args, true));
}

Result<Value> Attr(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(What("attr"), args, {{"name", std::nullopt}}));
  const std::string name = ToPyStr(a[0]);
  if (v.is_undefined()) return InvalidArgument(v.undefined_hint());
  if (v.is_namespace()) return GetAttr(v, name);
  if (auto method = BoundMethod(v, name)) return *method;
  if (IsUnsafeMethod(v, name)) return UnsafeMethod(v, name);
  return MissingAttr(v, name);
}

Result<Value> Pprint(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(BindArgs(What("pprint"), args, {}).status());
  return Value(ToPyRepr(v));
}

struct FilterEntry {
  const char* name;
  FilterFn fn;
};

const FilterEntry kFilters[] = {
    {"abs", Abs},
    {"attr", Attr},
    {"capitalize", Capitalize},
    {"center", Center},
    {"count", LengthFilter},
    {"d", Default},
    {"default", Default},
    {"dictsort", DictSort},
    {"e", Escape},
    {"escape", Escape},
    {"first", First},
    {"float", FloatFilter},
    {"forceescape", Escape},
    {"format", Format},
    {"indent", Indent},
    {"int", IntFilter},
    {"items", Items},
    {"join", Join},
    {"last", Last},
    {"length", LengthFilter},
    {"list", ListFilter},
    {"lower", CaseFilter<PyLower>},
    {"map", Map},
    {"max", MinMax<true>},
    {"min", MinMax<false>},
    {"pprint", Pprint},
    {"reject", Select<false, false>},
    {"rejectattr", Select<true, false>},
    {"replace", Replace},
    {"reverse", Reverse},
    {"round", Round},
    {"safe", Safe},
    {"select", Select<false, true>},
    {"selectattr", Select<true, true>},
    {"sort", Sort},
    {"string", StringFilter},
    {"sum", Sum},
    {"title", Title},
    {"tojson", ToJson},
    {"trim", Trim},
    {"unique", Unique},
    {"upper", CaseFilter<PyUpper>},
    {"wordcount", WordCount},
};

}  // namespace

FilterFn FindFilter(std::string_view name) {
  for (const FilterEntry& f : kFilters) {
    if (name == f.name) return f.fn;
  }
  return nullptr;
}

Result<Value> GetAttributePath(const Value& obj, const std::string& path) {
  Value v = obj;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool numeric = !part.empty() && part.size() < 19 && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    ANEMLL_ASSIGN_OR_RETURN(v, GetItem(v, numeric ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part)));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

}  // namespace anemll::tokenizer::jinja
