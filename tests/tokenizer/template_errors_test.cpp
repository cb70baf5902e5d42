// Template errors: syntax errors and runtime errors name the template and the line, raise_exception
// carries its message, and no input crashes the renderer or runs away (steps, output, recursion,
// nesting are all bounded).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokenizer/chat_template.h"

namespace anemll::tokenizer {
namespace {

Status ParseError(const std::string& source) {
  auto t = ChatTemplate::Parse(source, "test.jinja");
  return t.ok() ? Status::Ok() : t.status();
}

Status RenderError(const std::string& source, const std::string& context = "{}",
                   const jinja::RenderOptions& options = {}) {
  auto t = ChatTemplate::Parse(source, "test.jinja");
  if (!t.ok()) return Internal("parse failed: ", t.status().message());
  auto r = t->RenderOrdered(nlohmann::ordered_json::parse(context), options);
  return r.ok() ? Status::Ok() : r.status();
}

TEST(TemplateErrors, SyntaxErrorNamesOriginAndLine) {
  Status s = ParseError("line one\n{% if x %}\n{{ 1 + }}\n{% endif %}");
  EXPECT_EQ(s.code(), StatusCode::kFormatError);
  EXPECT_EQ(s.message(), "template test.jinja line 3: unexpected '}}'");
}

TEST(TemplateErrors, StrayEndTag) {
  EXPECT_EQ(ParseError("a\n\n{% endfor %}").message(), "template test.jinja line 3: unexpected token 'endfor'");
  EXPECT_EQ(ParseError("{% if x %}\n{% endfor %}").message(),
            "template test.jinja line 2: unexpected token 'endfor' (the 'if' block from line 1 expects 'elif' or "
            "'else' or 'endif')");
}

TEST(TemplateErrors, UnclosedBlock) {
  EXPECT_EQ(ParseError("{% for m in messages %}\n{{ m }}\n").message(),
            "template test.jinja line 2: unexpected end of template: the 'for' block from line 1 is not closed "
            "(expected 'endfor' or 'else')");
  EXPECT_NE(ParseError("{% if a %}{% else %}").message().find("the 'if' block from line 1 is not closed"),
            std::string::npos);
  EXPECT_NE(ParseError("{% macro m() %}x").message().find("expected 'endmacro'"), std::string::npos);
}

TEST(TemplateErrors, UnclosedTagsStringsAndComments) {
  EXPECT_NE(ParseError("a\n{{ x ").message().find("line 2: unexpected end of template inside '{{'"), std::string::npos);
  EXPECT_NE(ParseError("{% if x ").message().find("line 1: unexpected end of template inside a block tag"),
            std::string::npos);
  EXPECT_NE(ParseError("\n\n{{ 'abc }}").message().find("line 3: unterminated string literal"), std::string::npos);
  EXPECT_NE(ParseError("x\n{# never closed").message().find("line 2: missing end of comment tag"), std::string::npos);
  EXPECT_NE(ParseError("{% raw %}x").message().find("missing end of raw directive"), std::string::npos);
  EXPECT_NE(ParseError("{{ a $ b }}").message().find("unexpected character '$'"), std::string::npos);
  EXPECT_NE(ParseError("{{ (a ]] }}").message().find("unexpected ']'"), std::string::npos);
  EXPECT_NE(ParseError("{{ 99999999999999999999 }}").message().find("too large"), std::string::npos);
}

TEST(TemplateErrors, UnknownTagsAndUnsupportedTags) {
  EXPECT_EQ(ParseError("{% frobnicate %}").message(), "template test.jinja line 1: unknown tag 'frobnicate'");
  Status include = ParseError("\n{% include 'other.jinja' %}");
  EXPECT_EQ(include.code(), StatusCode::kUnsupported);
  EXPECT_EQ(include.message(), "template test.jinja line 2: unsupported tag 'include'");
  EXPECT_EQ(ParseError("{% break %}").message(), "template test.jinja line 1: 'break' outside of a loop");
}

TEST(TemplateErrors, UnknownFilterAndTest) {
  Status f = ParseError("ok\n{{ x | nofilter }}");
  EXPECT_EQ(f.code(), StatusCode::kFormatError);
  EXPECT_EQ(f.message(), "template test.jinja line 2: no filter named 'nofilter'");
  EXPECT_EQ(ParseError("{% for x in y %}{{ x is nosuchtest }}{% endfor %}").message(),
            "template test.jinja line 1: no test named 'nosuchtest'");
  // Inside an if-statement the check waits until the filter runs (as in Jinja).
  EXPECT_TRUE(ParseError("{% if false %}{{ x | nofilter }}{% endif %}").ok());
  EXPECT_EQ(RenderError("{% if true %}\n\n{{ x | nofilter }}{% endif %}").message(),
            "template test.jinja line 3: no filter named 'nofilter'");
}

TEST(TemplateErrors, RaiseExceptionCarriesMessageAndLine) {
  Status s = RenderError("{% for m in messages %}\n  {% if m.role == 'bad' %}\n    {{ raise_exception('Roles must "
                         "alternate: ' ~ m.role) }}\n  {% endif %}\n{% endfor %}",
                         R"({"messages": [{"role": "user"}, {"role": "bad"}]})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "template test.jinja line 3: Roles must alternate: bad");
}

TEST(TemplateErrors, RaiseExceptionFromARealTemplate) {
  auto formatter = ChatFormatter::Load(testing::TokenizerDir("gemma3"));
  ASSERT_TRUE(formatter.ok()) << formatter.status().message();
  auto text = formatter->Apply(nlohmann::json::parse(R"([{"role":"user","content":"a"},{"role":"user","content":"b"}])"),
                               {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(),
            "template gemma3/tokenizer_config.json:chat_template line 19: Conversation roles must alternate "
            "user/assistant/user/assistant/...");
}

TEST(TemplateErrors, RuntimeErrorsNameTheLine) {
  struct Case {
    const char* source;
    const char* context;
    const char* want;
  };
  const Case cases[] = {
      {"\n{{ 'a' + 1 }}", "{}", "template test.jinja line 2: can only concatenate str (not \"int\") to str"},
      {"{{ nope.attr }}", "{}", "template test.jinja line 1: 'nope' is undefined"},
      {"{{ m.content.x.y }}", R"({"m": {"content": "s"}})", "template test.jinja line 1: 'str object' has no attribute 'x'"},
      {"{{ nope + 1 }}", "{}", "template test.jinja line 1: 'nope' is undefined"},
      {"{{ nope() }}", "{}", "template test.jinja line 1: 'nope' is undefined"},
      {"{{ 1 / 0 }}", "{}", "template test.jinja line 1: division by zero"},
      {"{{ 5 % 0 }}", "{}", "template test.jinja line 1: integer division or modulo by zero"},
      {"{{ [1].append(2) }}", "{}", "template test.jinja line 1: access to attribute 'append' of 'list' object is unsafe"},
      {"{{ {'a': 1}.update({}) }}", "{}", "template test.jinja line 1: access to attribute 'update' of 'dict' object is unsafe"},
      {"{% set x = [1] %}\n{% set x.y = 2 %}", "{}",
       "template test.jinja line 2: cannot assign attribute 'y' on non-namespace object 'x'"},
      {"{% for a, b in [[1]] %}{% endfor %}", "{}", "template test.jinja line 1: not enough values to unpack (expected 2, got 1)"},
      {"{% for a in 5 %}{% endfor %}", "{}", "template test.jinja line 1: 'int' object is not iterable"},
      {"{{ 'x'() }}", "{}", "template test.jinja line 1: 'str' object is not callable"},
      {"{{ 'abc' < 1 }}", "{}", "template test.jinja line 1: '<' not supported between instances of 'str' and 'int'"},
      {"{{ 5 in 5 }}", "{}", "template test.jinja line 1: argument of type 'int' is not iterable"},
      {"{{ 2 + 3 ~ 4 }}", "{}", "template test.jinja line 1: unsupported operand type(s) for +: 'int' and 'str'"},
      {"{{ x|tojson }}", R"({"x": {"a": [1, null]}})", "{\"a\": [1, null]}"},
      {"{{ nope|tojson }}", "{}", "template test.jinja line 1: Object of type Undefined is not JSON serializable"},
      {"{{ '{} {}'.format(1) }}", "{}", "template test.jinja line 1: Replacement index 1 out of range for positional args tuple"},
      {"{{ '%d' % 'x' }}", "{}", "template test.jinja line 1: %d format: a number is required, not str"},
      {"{{ 'a'|join(1, 2, 3) }}", "{}", "template test.jinja line 1: filter 'join' takes at most 2 argument(s) (3 given)"},
      {"{{ 'a'|trim(foo=1) }}", "{}", "template test.jinja line 1: filter 'trim' got an unexpected keyword argument 'foo'"},
      {"{{ range(200000)|length }}", "{}",
       "template test.jinja line 1: range too big: the sandbox blocks ranges larger than 100000"},
      {"{{ {1: 'a'} }}", "{}", "template test.jinja line 1: dict keys must be strings, not int"},
      {"{{ 9223372036854775807 + 1 }}", "{}", "template test.jinja line 1: integer overflow in '+'"},
  };
  for (const Case& c : cases) {
    auto t = ChatTemplate::Parse(c.source, "test.jinja");
    ASSERT_TRUE(t.ok()) << c.source << ": " << t.status().message();
    auto r = t->RenderOrdered(nlohmann::ordered_json::parse(c.context));
    EXPECT_EQ(r.ok() ? *r : r.status().message(), c.want) << c.source;
  }
}

TEST(TemplateErrors, ContextMustBeAnObject) {
  auto t = ChatTemplate::Parse("x", "test.jinja");
  ASSERT_TRUE(t.ok());
  auto r = t->Render(nlohmann::json::array());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "template test.jinja: the render context must be a JSON object, not array");
}

TEST(TemplateErrors, StepBudgetStopsRunawayLoops) {
  jinja::RenderOptions options;
  options.max_steps = 100000;
  Status s = RenderError("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "{}",
                         options);
  EXPECT_EQ(s.message(), "template test.jinja line 1: rendering exceeded 100000 evaluation steps");
}

TEST(TemplateErrors, OutputAndStringSizesAreBounded) {
  jinja::RenderOptions options;
  options.max_output_bytes = 1000;
  EXPECT_EQ(RenderError("{% for i in range(100) %}\n{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}", "{}", options).message(),
            "template test.jinja line 2: rendered output exceeds 1000 bytes");
  // Doubling a string 100 times hits the per-string bound long before memory runs out.
  Status grow = RenderError("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
                            "{% endfor %}{{ ns.s|length }}");
  EXPECT_NE(grow.message().find("string exceeds 67108864 bytes"), std::string::npos) << grow.message();
  EXPECT_NE(RenderError("{{ 'ab' * 100000000 }}").message().find("string repetition result exceeds"), std::string::npos);
  EXPECT_NE(RenderError("{{ [1, 2] * 100000000 }}").message().find("list repetition result exceeds"), std::string::npos);
  EXPECT_NE(RenderError("{{ ('x' * 1000000)|replace('x', 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy') }}")
                .message()
                .find("replace(): result exceeds"),
            std::string::npos);
  options = {};
  options.max_built_bytes = 1 << 20;
  EXPECT_NE(RenderError("{% for i in range(1000) %}{% set s = 'x' * 10000 %}{% endfor %}", "{}", options)
                .message()
                .find("rendering built more than 1048576 bytes of strings"),
            std::string::npos);
}

TEST(TemplateErrors, RecursionAndNestingAreBounded) {
  EXPECT_EQ(RenderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").message(),
            "template test.jinja line 1: macro 'f': calls nested deeper than 64");
  EXPECT_NE(ParseError("{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}").message().find("too deep"),
            std::string::npos);
  EXPECT_NE(ParseError("{{ " + std::string(500, '[') + std::string(500, ']') + " }}").message().find("too deep"),
            std::string::npos);
  std::string chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_NE(ParseError(chain + " }}").message().find("nested too deeply"), std::string::npos);
  std::string nested;
  for (int i = 0; i < 500; ++i) nested += "{% if true %}";
  EXPECT_NE(ParseError(nested).message().find("too deep"), std::string::npos);
  EXPECT_NE(RenderError("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}")
                .message()
                .find("nested too deeply"),
            std::string::npos);
  // A namespace holding itself prints (bounded) and is freed at the end of the render.
  auto t = ChatTemplate::Parse("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me.me is defined }}", "t");
  ASSERT_TRUE(t.ok());
  auto r = t->Render(nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "True");
}

TEST(TemplateErrors, DeepJsonContextIsRejected) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "[";
  for (int i = 0; i < 1000; ++i) deep += "]";
  auto t = ChatTemplate::Parse("{{ x }}", "test.jinja");
  ASSERT_TRUE(t.ok());
  auto r = t->RenderOrdered(nlohmann::ordered_json::parse("{\"x\": " + deep + "}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "template test.jinja: context field 'x': JSON nesting deeper than 500 levels");
}

// Small deterministic generator for the robustness tests below.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

// Renders whatever parses, with tight bounds; the point is that nothing crashes, hangs or leaks
// (this test runs under ASan/UBSan too).
void RenderAnything(const std::string& source) {
  auto t = ChatTemplate::Parse(source, "fuzz");
  if (!t.ok()) {
    EXPECT_EQ(t.status().message().rfind("template fuzz line ", 0), 0u) << t.status().message();
    return;
  }
  jinja::RenderOptions options;
  options.max_steps = 20000;
  options.max_output_bytes = 1 << 16;
  options.max_built_bytes = 1 << 22;
  auto r = t->RenderOrdered(
      nlohmann::ordered_json::parse(R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant",
          "content": "<think>x</think>y", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}],
          "tools": [{"type": "function"}], "add_generation_prompt": true, "bos_token": "<s>"})"),
      options);
  if (!r.ok()) {
    EXPECT_EQ(r.status().message().rfind("template fuzz", 0), 0u) << r.status().message();
  }
}

TEST(TemplateErrors, RandomTokenSoupNeverCrashes) {
  const std::vector<std::string> pieces = {
      "{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " for ", " in ", " if ", " else ", " elif ",
      " endif ", " endfor ", " set ", " macro ", " endmacro ", " namespace(", " ns.a ", " = ", "(", ")", "[", "]",
      "{", "}", ",", ":", "|", " is ", " not ", " and ", " or ", "'s'", "\"q\\\"\"", "1", "-2.5", " + ", " * ",
      " ** ", " // ", " % ", " ~ ", " == ", " < ", "messages", " m ", " x ", ".role", ".content", "[0]", "[::-1]",
      "[1:]", "|length", "|tojson", "|trim", "|join(',')", "|selectattr('role')", "|map(attribute='role')",
      "(1,2)", "loop.index", "loop", " raw ", " endraw ", " break ", " continue ", "\n", "  ", "text", "é😀",
      " range(5) ", " true ", " none ", "'%s' % ", ".split('<')", ".items()", " defined ", " string ",
  };
  Rng rng(0x5eed);
  for (int i = 0; i < 3000; ++i) {
    std::string source;
    const size_t n = 1 + rng.Below(25);
    for (size_t k = 0; k < n; ++k) source += pieces[rng.Below(pieces.size())];
    RenderAnything(source);
  }
}

TEST(TemplateErrors, MutatedRealTemplatesNeverCrash) {
  std::vector<std::string> sources;
  for (const char* family : {"qwen3", "gemma3", "deepseek_v3", "llama3_1"}) {
    std::ifstream in(testing::TokenizerDir(family) / "tokenizer_config.json");
    std::stringstream ss;
    ss << in.rdbuf();
    sources.push_back(nlohmann::json::parse(ss.str()).at("chat_template").get<std::string>());
  }
  Rng rng(42);
  for (int i = 0; i < 1500; ++i) {
    std::string s = sources[rng.Below(sources.size())];
    const int edits = 1 + static_cast<int>(rng.Below(4));
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t a = rng.Below(s.size());
      const size_t len = 1 + rng.Below(std::min<size_t>(40, s.size() - a));
      switch (rng.Below(3)) {
        case 0: s.erase(a, len); break;                                 // delete a slice
        case 1: s.insert(rng.Below(s.size()), s.substr(a, len)); break;  // duplicate a slice elsewhere
        default: s[a] = "{}%#-+()[]'\"|.~\n "[rng.Below(18)]; break;     // flip a character
      }
    }
    RenderAnything(s);
  }
}

}  // namespace
}  // namespace anemll::tokenizer
