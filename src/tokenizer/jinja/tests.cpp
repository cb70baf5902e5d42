// Jinja's built-in tests (`x is defined`, `x is string`, `n is divisibleby 3` ...).
#include <cmath>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

Status NoArgs(const char* name, const CallArgs& args) {
  return BindArgs(StrCat("test '", name, "'"), args, {}).status();
}

#define ANEMLL_SIMPLE_TEST(fn_name, test_name, expr)               \
  Result<bool> fn_name(const Value& v, const CallArgs& args) {     \
    ANEMLL_RETURN_IF_ERROR(NoArgs(test_name, args));                \
    return (expr);                                                  \
  }

ANEMLL_SIMPLE_TEST(Defined, "defined", !v.is_undefined())
ANEMLL_SIMPLE_TEST(UndefinedTest, "undefined", v.is_undefined())
ANEMLL_SIMPLE_TEST(NoneTest, "none", v.is_none())
ANEMLL_SIMPLE_TEST(Boolean, "boolean", v.is_bool())
ANEMLL_SIMPLE_TEST(TrueTest, "true", v.is_bool() && v.bool_value())
ANEMLL_SIMPLE_TEST(FalseTest, "false", v.is_bool() && !v.bool_value())
ANEMLL_SIMPLE_TEST(Integer, "integer", v.is_int())
ANEMLL_SIMPLE_TEST(Float, "float", v.is_float())
ANEMLL_SIMPLE_TEST(Number, "number", v.is_number())
ANEMLL_SIMPLE_TEST(String, "string", v.is_string())
ANEMLL_SIMPLE_TEST(Mapping, "mapping", v.is_dict())
// Jinja's Undefined is iterable (empty) and has a length, so it passes these two.
ANEMLL_SIMPLE_TEST(Iterable, "iterable", v.is_list() || v.is_dict() || v.is_string() || v.is_undefined())
ANEMLL_SIMPLE_TEST(Sequence, "sequence", v.is_list() || v.is_dict() || v.is_string() || v.is_undefined())
ANEMLL_SIMPLE_TEST(CallableTest, "callable", v.is_callable())
ANEMLL_SIMPLE_TEST(Escaped, "escaped", false)
ANEMLL_SIMPLE_TEST(Lower, "lower", PyIsLower(ToPyStr(v)))
ANEMLL_SIMPLE_TEST(Upper, "upper", PyIsUpper(ToPyStr(v)))

#undef ANEMLL_SIMPLE_TEST

Result<Value> OneArg(const char* name, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs(StrCat("test '", name, "'"), args, {{"other", std::nullopt}}));
  return a[0];
}

template <bool kOdd>
Result<bool> Parity(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(NoArgs(kOdd ? "odd" : "even", args));
  ANEMLL_ASSIGN_OR_RETURN(Value r, BinaryOp("%", v, Value(2)));
  return PyEquals(r, Value(kOdd ? 1 : 0));
}

Result<bool> DivisibleBy(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(Value n, OneArg("divisibleby", args));
  ANEMLL_ASSIGN_OR_RETURN(Value r, BinaryOp("%", v, n));
  return PyEquals(r, Value(0));
}

Result<bool> SameAs(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(Value other, OneArg("sameas", args));
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Value::Kind::kNone:
    case Value::Kind::kUndefined: return true;
    case Value::Kind::kBool: return v.bool_value() == other.bool_value();
    case Value::Kind::kInt: return v.int_value() == other.int_value();  // small ints are shared in Python
    default: return v.identity() == other.identity();
  }
}

Result<bool> In(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(Value seq, OneArg("in", args));
  return Compare("in", v, seq);
}

template <const char* kOp>
Result<bool> CompareTest(const Value& v, const CallArgs& args) {
  ANEMLL_ASSIGN_OR_RETURN(Value other, OneArg(kOp, args));
  return Compare(kOp, v, other);
}

constexpr char kEq[] = "==";
constexpr char kNe[] = "!=";
constexpr char kLt[] = "<";
constexpr char kLe[] = "<=";
constexpr char kGt[] = ">";
constexpr char kGe[] = ">=";

Result<bool> FilterExists(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(NoArgs("filter", args));
  return v.is_string() && FindFilter(v.str()) != nullptr;
}

Result<bool> TestExists(const Value& v, const CallArgs& args) {
  ANEMLL_RETURN_IF_ERROR(NoArgs("test", args));
  return v.is_string() && FindTest(v.str()) != nullptr;
}

struct TestEntry {
  const char* name;
  TestFn fn;
};

const TestEntry kTests[] = {
    {"defined", Defined},
    {"undefined", UndefinedTest},
    {"none", NoneTest},
    {"boolean", Boolean},
    {"true", TrueTest},
    {"false", FalseTest},
    {"integer", Integer},
    {"float", Float},
    {"number", Number},
    {"string", String},
    {"mapping", Mapping},
    {"iterable", Iterable},
    {"sequence", Sequence},
    {"callable", CallableTest},
    {"escaped", Escaped},
    {"lower", Lower},
    {"upper", Upper},
    {"odd", Parity<true>},
    {"even", Parity<false>},
    {"divisibleby", DivisibleBy},
    {"sameas", SameAs},
    {"in", In},
    {"eq", CompareTest<kEq>},
    {"equalto", CompareTest<kEq>},
    {"==", CompareTest<kEq>},
    {"ne", CompareTest<kNe>},
    {"!=", CompareTest<kNe>},
    {"lt", CompareTest<kLt>},
    {"lessthan", CompareTest<kLt>},
    {"<", CompareTest<kLt>},
    {"le", CompareTest<kLe>},
    {"<=", CompareTest<kLe>},
    {"gt", CompareTest<kGt>},
    {"greaterthan", CompareTest<kGt>},
    {">", CompareTest<kGt>},
    {"ge", CompareTest<kGe>},
    {">=", CompareTest<kGe>},
    {"filter", FilterExists},
    {"test", TestExists},
};

}  // namespace

TestFn FindTest(std::string_view name) {
  for (const TestEntry& t : kTests) {
    if (name == t.name) return t.fn;
  }
  return nullptr;
}

}  // namespace anemll::tokenizer::jinja
