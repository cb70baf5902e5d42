// The template language, case by case. Every expected string below is what Jinja2 3.1 renders
// for the same template and variables when configured as transformers configures it for chat
// templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop controls, its own
// `tojson`), so these tables pin the renderer to Jinja's behaviour, byte for byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "tokenizer/chat_template.h"
#include "tokenizer/jinja/lexer.h"
#include "tokenizer/jinja/value.h"

namespace anemll::tokenizer {
namespace {

struct Case {
  const char* source;
  const char* context;  // JSON object of template variables (key order kept)
  const char* want;
};

// Renders `source` with `context`; errors come back as "ERROR: <message>" so a failing case shows
// what went wrong.
std::string Render(const std::string& source, const std::string& context = "{}",
                   const jinja::RenderOptions& options = {}) {
  auto t = ChatTemplate::Parse(source, "test");
  if (!t.ok()) return "ERROR: " + t.status().message();
  auto r = t->RenderOrdered(nlohmann::ordered_json::parse(context), options);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return *r;
}

template <size_t N>
void CheckCases(const Case (&cases)[N]) {
  for (size_t i = 0; i < N; ++i) {
    EXPECT_EQ(Render(cases[i].source, cases[i].context), cases[i].want)
        << "case " << i << ": " << cases[i].source;
  }
}

// Whitespace control, trim_blocks, lstrip_blocks, comments, raw blocks, newlines.
const Case kWhitespace[] = {
    {"a  {%- if true %} b {% endif -%}  c",
     "{}",
     "a b c"},
    {"line1\n  {% if true %}\n  inner\n  {% endif %}\nend\n",
     "{}",
     "line1\n  inner\nend"},
    {"x {{- ' y ' -}} z",
     "{}",
     "x y z"},
    {"{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\n",
     "{}",
     "1\n2\n"},
    {"  {#- comment -#}  x",
     "{}",
     "x"},
    {"a\n  {# c #}\nb",
     "{}",
     "a\nb"},
    {"a {%+ if true %}b{% endif %}",
     "{}",
     "a b"},
    {"{% if true +%}\nx{% endif %}",
     "{}",
     "\nx"},
    {"{% raw %}{{ not }} {% x %}{% endraw %}",
     "{}",
     "{{ not }} {% x %}"},
    {"a\n    {% raw -%}\n   {{x}}  \n  {%- endraw %}\nb",
     "{}",
     "a\n{{x}}b"},
    {"a  {%- raw %} {{ x }} {% endraw -%}  b",
     "{}",
     "a {{ x }} b"},
    {"  {{ 'v' }}\n  {% if 1 %}x{% endif %}",
     "{}",
     "  v\nx"},
    {"text\015\nmore\015last\015\n",
     "{}",
     "text\nmore\nlast"},
    {"trailing\n\n",
     "{}",
     "trailing\n"},
    {"{% if true %}  \t\n{% endif %}",
     "{}",
     "  \t\n"},
    {"a\t{% if true %}\n\tb{% endif %}",
     "{}",
     "a\t\tb"},
    {"   {%- if true -%}   x   {%- endif -%}   ",
     "{}",
     "x"},
    {"{{- ' a ' -}}  {{- ' b ' -}}\n  {%- if true %}\n  c\n  {%- endif %}\n",
     "{}",
     " a  b   c"},
    {"  {#- c -#}  x  {#- d #}\ny",
     "{}",
     "xy"},
    {"{%- for message in messages -%}\n    {{- message.role -}}\n{%- endfor -%}\n",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "systemuserassistanttool"},
    {"{% if true %}\n    A\n{% else %}\n    B\n{% endif %}\n",
     "{}",
     "    A\n"},
    {"{{- 'a' }}\n\n{{- 'b' }}\n  {{ 'c' -}}\n  d",
     "{}",
     "ab\n  cd"},
    {"{{ '}}' }}{{ {'a': {'b': '%}'}}['a']['b'] }}",
     "{}",
     "}}%}"},
};

// Literals: strings with escapes, numbers, constants, lists, dicts, tuples; Python printing.
const Case kLiterals[] = {
    {R"J({{ 'a\nb\t\x41\u00e9\\ \'q\' \d' }})J",
     "{}",
     "a\nb\tAé\\ 'q' \\d"},
    {R"J({{ "dq \"x\"" "concat" }})J",
     "{}",
     R"J(dq "x"concat)J"},
    {"{{ 1 }} {{ -1 }} {{ 1.5 }} {{ 1e3 }} {{ 2.0 }} {{ 1_000 }} {{ 0x1F }} {{ 0.1 + 0.2 }} {{ 1e-7 }} {{ 1e22 }} {{ 12345678901234567.0 }}",
     "{}",
     "1 -1 1.5 1000.0 2.0 1000 31 0.30000000000000004 1e-07 1e+22 1.2345678901234568e+16"},
    {R"J({{ true }} {{ True }} {{ false }} {{ none }} {{ None }} {{ [1, 'a', none, true, 1.0] }} {{ {'a': 1, 'b': [2, 'x\'y']} }} {{ (1,) }} {{ (1, 2) }} {{ () }})J",
     "{}",
     R"J(True True False None None [1, 'a', None, True, 1.0] {'a': 1, 'b': [2, "x'y"]} (1,) (1, 2) ())J"},
    {R"J({{ [] }}{{ {} }}{{ 'it\'s' }}{{ ['it\'s', "q\"", "b\\"] }})J",
     "{}",
     R"J([]{}it's["it's", 'q"', 'b\\'])J"},
    {"{{ [1.5, 2.0, 1e16, 1e15, 123e-20, 0.1, 2.5e-5] }} {{ 1e100 }} {{ -0.0 }} {{ 1 / 3 }} {{ 100000000000000000.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 123456789.123 }}",
     "{}",
     "[1.5, 2.0, 1e+16, 1000000000000000.0, 1.23e-18, 0.1, 2.5e-05] 1e+100 -0.0 0.3333333333333333 1e+17 0.0001 1e-05 123456789.123"},
    {"{{ [1, 2, 3,] }} {{ {'a': 1,} }} {{ (1, 2,) }}",
     "{}",
     "[1, 2, 3] {'a': 1} (1, 2)"},
    {"{{ x }}",
     R"J({"x": 12345678912345})J",
     "12345678912345"},
    {"{{ x }} {{ x * 2 }}",
     R"J({"x": 0.1})J",
     "0.1 0.2"},
};

// Arithmetic, concatenation, comparison, membership, logic, conditional expressions, precedence.
const Case kOperators[] = {
    {"{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }}",
     "{}",
     "3 -4 1 2 3.5 1024 0.5 3.0 0.5 7 9 64"},
    {"{{ 7 % -3 }} {{ -7 % -3 }} {{ 7.5 % -2 }} {{ -7 // -2 }} {{ 7 // -2 }} {{ 2 ** 62 }} {{ (-2) ** 3 }} {{ 0 ** 0 }} {{ 2.0 ** 3 }} {{ 1.0 * 3 }} {{ 10 / 4 }} {{ 2 ** 0.5 }}",
     "{}",
     "-2 -1 -0.5 3 -4 4611686018427387904 -8 1 8.0 3.0 2.5 1.4142135623730951"},
    {"{{ 'a' ~ 1 ~ none ~ true ~ [1] }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'a' + 'b' }} {{ 'ab' * 0 }}|{{ [] * 3 }}|{{ 'a' * -1 }}|{{ 0 * [1] }}",
     "{}",
     "a1NoneTrue[1] ababab xxx [1, 1] [1, 2] ab |[]||[]"},
    {"{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' in 'cat' }} {{ 1 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ not 1 in [1] }}",
     "{}",
     "True True True True True False True True True True False"},
    {"{{ none == none }} {{ [] == [] }} {{ {} == {} }} {{ (1,2) == [1,2] }} {{ 2 in (1, 2) }} {{ true + 1 }} {{ 'a' < 'B' }} {{ 'é' > 'z' }} {{ [1, 'a'] < [1, 'b'] }} {{ (1, 2) < (1, 2, 0) }}",
     "{}",
     "True True True False True 2 False True True True"},
    {"{{ 1 and 2 }} {{ 0 and 2 }} {{ 0 or 'x' }} {{ '' or [] }} {{ none or 0 }} {{ not none }} {{ not [] }}",
     "{}",
     "2 0 x [] 0 True True"},
    {"{{ 'y' if 1 else 'n' }} {{ 'y' if 0 else 'n' }} [{{ 'y' if 0 }}] {{ 1 if 0 else 2 if 0 else 3 }} {{ 1 if true }}{{ 2 if false }}|{{ (1 if false) is defined }}",
     "{}",
     "y n [] 3 1|False"},
    {"{{ -2 | abs }} {{ -(2) }} {{ - 3 + 1 }} {{ +3 }} {{ not true == false }} {{ not 1 + 1 }} {{ -1 ** 2 }} {{ (-1) ** 2 }} {{ 2 * -1 }} {{ 1 - -1 }} {{ 'a' ~ 'b' == 'ab' }}",
     "{}",
     "2 -2 -2 3 True False 1 1 -2 2 True"},
    {"{{ 10 // 3 * 3 }} {{ (2 + 3) ~ 4 }} {{ 2 ~ 3 * 4 }} {{ 'x' ~ 1 * 2 }} {{ 'x' if true else 'y' | upper }}{{ ('x' if false else 'y') | upper }}",
     "{}",
     "9 54 212 x2 xY"},
    {"{{ 'a' + messages[1].content | upper + 'z' }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "aHI THEREz"},
};

// Attribute and item access, slicing (negative steps), dict methods, unpacking.
const Case kAccess[] = {
    {"{{ messages[0]['role'] }} {{ messages[0].role }} {{ messages[-1].content }} {{ messages[1:]|length }} {{ messages[::-1][0].role }} {{ messages[1:3]|map(attribute='role')|join(',') }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "system system 42 3 tool user,assistant"},
    {"{{ 'hello'[1:4] }} {{ 'hello'[::-1] }} {{ 'hello'[-2:] }} {{ 'héllo'[1] }} {{ [1,2,3,4,5][::2] }} {{ [1,2,3][5:] }} {{ [1,2,3][-10:2] }} {{ [1,2,3,4][3:0:-1] }} {{ 'abc'[:-1] }} {{ 'abc'[-1] }}",
     "{}",
     "ell olleh lo é [1, 3, 5] [] [1, 2] [4, 3, 2] ab c"},
    {"{{ messages.0.role }} {{ messages[0].nope }}|{{ messages[9] }}|{{ none.x }}|{{ (1).x }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "system |||"},
    {"{{ messages[0].items() | list }} {{ messages[0].keys()|list }} {{ messages[0].values()|list }} {{ messages[0].get('role') }} {{ messages[0].get('x', 'd') }} {{ messages[0].get('x') }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "[('role', 'system'), ('content', 'sys')] ['role', 'content'] ['system', 'sys'] system d None"},
    {"{% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in messages[0]|items %}{{ k }}{% endfor %}{% for k in messages[0] %}{{ k }}{% endfor %}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "role=system;content=sys;rolecontentrolecontent"},
    {"{% set d = {'k': [1, {'z': none}]} %}{{ d }} {{ d.k[1].z }} {{ d['k'][0] }}",
     "{}",
     "{'k': [1, {'z': None}]} None 1"},
    {"{{ x['a b'] }} {{ x['items'] }}",
     R"J({"x": {"a b": 1, "items": 2}})J",
     "1 2"},
    {"{{ x.y.z is defined }} {{ x.get('missing', {}).get('deeper', 'dflt') }} {{ x.get('a') is none }}",
     R"J({"x": {"y": {}}})J",
     "False dflt True"},
    {"{{ x.content[0].text if x.content is not string else x.content }}",
     R"J({"x": {"content": [{"type": "text", "text": "T"}]}})J",
     "T"},
    {R"J({% set content = messages[2].content %}{{ content.split('</think>')[-1].lstrip('\n') }}|{{ content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') }})J",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "yo|hmm"},
};

// Methods on strings (Python semantics, code-point indexing).
const Case kStringMethods[] = {
    {R"J({{ '  x  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\n\nab\n'.lstrip('\n') }}|{{ 'ab\n\n'.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x','c')) }}|{{ 'aaa'.replace('a','b',2) }}|{{ 'Hello World'.upper() }}{{ 'Hello'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }})J",
     "{}",
     "x|hi|ab\n|ab|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a b', 'c']|True|True|bba|HELLO WORLDhello|Hello World|Hello"},
    {"{{ 'abcabc'.find('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.rfind('c') }} {{ 'abcabc'.count('bc') }} {{ ','.join(['a','b']) }} {{ '{} and {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a','b') }} {{ '{name}!'.format(name='n') }} {{ '{:>5}|{:<4}|{:^5}|{:05d}|{:.2f}|{:,}'.format('r', 'l', 'c', 42, 3.14159, 1234567) }}",
     "{}",
     "2 -1 5 2 a,b 1 and x aba n!     r|l   |  c  |00042|3.14|1,234,567"},
    {"{{ 'a1'.isalnum() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'AB'.isupper() }} {{ 'ab'.islower() }} {{ 'x'.center(5) }}| {{ 'x'.ljust(3, '-') }} {{ 'x'.rjust(3) }} {{ '42'.zfill(5) }} {{ 'abc'.removeprefix('a') }}",
     "{}",
     "True True True True True True   x  | x--   x 00042 bc"},
    {R"J({{ 'a b'.split(none) }} {{ '  a  '.split(' ') }} {{ 'a'.split('a') }} {{ ''.split() }} {{ ''.split(',') }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  a b  c '.rsplit(None, 1) }} {{ 'a\nb\r\nc'.splitlines() }})J",
     "{}",
     "['a', 'b'] ['', '', 'a', '', ''] ['', ''] [] [''] ['a,b', 'c'] ['  a b', 'c'] ['a', 'b', 'c']"},
    {R"J({{ 'ß'|upper }} {{ 'İ'|lower|length }} {{ 'ǅungla'|capitalize }} {{ 'hello-world foo'|title }} {{ 'they\'re bill\'s'.title() }} {{ '\u00e9'|upper }} {{ 'ÀÉ'|lower }})J",
     "{}",
     "SS 2 ǅungla Hello-World Foo They'Re Bill'S É àé"},
    {"{% for x in 'héé' %}{{ x }}|{% endfor %}{{ 'héé'|length }}{{ 'héé'[1:]|upper }}",
     "{}",
     "h|é|é|3ÉÉ"},
};

// printf-style `%` and the format filter.
const Case kFormatting[] = {
    {"{{ '%s-%d-%05.1f-%x-%r' % ('s', 3, 2.25, 255, 'q') }} {{ '%(a)s' % {'a': 1} }} {{ '%5s|%-5s|' % ('a', 'b') }}",
     "{}",
     "s-3-002.2-ff-'q' 1     a|b    |"},
    {"{{ 'Hello %s' % 'x' }} {{ '%d%%' % 5 }} {{ '{:d}'.format(true) }} {{ '{}'.format(true) }} {{ '%s and %s' % (1, [2]) }} {{ '%-6.2f|' % 3.14159 }} {{ '%+d' % 5 }} {{ '%05d' % -42 }} {{ '%x' % 255 }} {{ '%c' % 65 }} {{ '%.3s' % 'abcdef' }} {{ '%e' % 12345.678 }} {{ '%g' % 0.00001234 }}",
     "{}",
     "Hello x 5% 1 True 1 and [2] 3.14  | +5 -0042 ff A abc 1.234568e+04 1.234e-05"},
    {"{{ '%.2f'|format(3.14159) }} {{ '%s=%s'|format('a', 1) }}",
     "{}",
     "3.14 a=1"},
};

// Built-in filters.
const Case kFilters[] = {
    {"{{ '  x '|trim }}|{{ 'xax'|trim('x') }}|{{ [1,2]|length }}|{{ 'héllo'|length }}|{{ {'a':1}|count }}|{{ 1|string }}|{{ [1,'a']|join('-') }}|{{ 'Ab'|upper }}{{ 'Ab'|lower }}|{{ 'aXa'|replace('a','b') }}|{{ [3,1]|first }}{{ [3,1]|last }}|{{ 'abc'|list }}|{{ 'hello world-foo(bar'|title }}|{{ 'hELLO wORLD'|capitalize }}",
     "{}",
     "x|a|2|5|1|1|1-a|ABab|bXb|31|['a', 'b', 'c']|Hello World-Foo(Bar|Hello world"},
    {"{{ undefined_thing|default('d') }}|{{ none|default('d') }}|{{ ''|default('d', true) }}|{{ x|d('dd') }}|{{ '42'|int }}|{{ '4.7'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 3.9|int }}|{{ '1.5'|float }}|{{ 'a'|float }}|{{ 2|float }}|{{ -3|abs }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.675|round(2) }}|{{ 3|round }}|{{ 2.1|round(0, 'ceil') }}|{{ 2.9|round(method='floor') }}|{{ 0x10|int }}|{{ '0x1A'|int(0, 16) }}|{{ ' 12 '|int }}",
     "{}",
     "d|None|d|dd|42|4|0|7|3|1.5|0.0|2.0|3|2.0|4.0|2.67|3|3.0|2.0|16|26|12"},
    {"{{ 'x'|int }} {{ '12abc'|int }} {{ ' 0b101 '|int(0, 0) }} {{ '1_000'|int }} {{ '1e3'|int }} {{ '1e3'|float }} {{ 'nan'|float }} {{ '-inf'|float }} {{ true|int }} {{ none|int }} {{ '3.7'|float|int }}",
     "{}",
     "0 0 5 1000 1000 1000.0 nan -inf 1 0 3"},
    {"{{ 1.5|round }} {{ 0.5|round }} {{ -2.5|round }} {{ 1234.5678|round(2) }} {{ 1234|round(-2) }} {{ 1250|round(-2) }} {{ 1350.0|round(-2) }}",
     "{}",
     "2.0 0.0 -2.0 1234.57 1200 1200 1400.0"},
    {"{{ [{'n':'a','x':1},{'n':'b','x':0},{'n':'c'}]|selectattr('x')|map(attribute='n')|list }} {{ [{'n':'a','x':1},{'n':'b','x':0}]|rejectattr('x')|map(attribute='n')|join }} {{ [1,2,3,4]|select('odd')|list }} {{ [1,2,3,4]|reject('even')|list }} {{ [{'r':'u'},{'r':'s'}]|selectattr('r','equalto','s')|list }} {{ ['a','b']|map('upper')|list }} {{ [{'a':{'b':5}}]|map(attribute='a.b')|list }} {{ [{'a':1},{}]|map(attribute='a', default=0)|list }}",
     "{}",
     "['a'] b [1, 3] [1, 3] [{'r': 's'}] ['A', 'B'] [5] [1, 0]"},
    {"{% for item in items|selectattr('type', 'eq', 'text') %}{{ item.text }}{% endfor %}|{{ items|rejectattr('type', 'in', ['image'])|list|length }}|{{ items|selectattr('text', 'defined')|list|length }}|{{ items|map(attribute='type')|select('equalto', 'image')|list|length }}",
     R"J({"items": [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}]})J",
     "ab|2|2|1"},
    {"{{ items|map('trim')|join('|') }} {{ items|map('replace', 'a', 'b')|list }} {{ items|map('upper')|first }}",
     R"J({"items": [" a ", "ba "]})J",
     "a|ba [' b ', 'bb ']  A "},
    {"{{ [3,1,2]|sort }} {{ ['b','A','c']|sort }} {{ ['b','A','c']|sort(case_sensitive=true) }} {{ [3,1,2]|sort(reverse=true) }} {{ [{'k':2},{'k':1}]|sort(attribute='k') }} {{ [1,2,1,'A','a']|unique|list }} {{ [1,2,3]|reverse|list }} {{ 'abc'|reverse }} {{ [1,2,3]|sum }} {{ [{'v':2},{'v':3}]|sum(attribute='v') }} {{ [3,1,2]|min }} {{ [3,1,2]|max }} {{ ['b','A']|max }} {{ {'b':1,'a':2}|dictsort }} {{ {'b':1,'a':2}|dictsort(by='value') }}",
     "{}",
     "[1, 2, 3] ['A', 'b', 'c'] ['A', 'b', 'c'] [3, 2, 1] [{'k': 1}, {'k': 2}] [1, 2, 'A'] [3, 2, 1] cba 6 5 1 3 b [('a', 2), ('b', 1)] [('b', 1), ('a', 2)]"},
    {"{{ [[2, 'b'], [1, 'a']]|sort }} {{ [{'n': 'B'}, {'n': 'a'}]|sort(attribute='n')|map(attribute='n')|join }} {{ [('a', 1), ('b', 2)]|map('first')|list }} {{ [[1,2],[3]]|map('length')|list }} {{ ['x', 'yy']|map('length')|sum }} {{ range(3)|map('string')|join }}",
     "{}",
     "[[1, 'a'], [2, 'b']] aB ['a', 'b'] [2, 1] 3 012"},
    {R"J({{ 'a\nb\n\nc'|indent }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'x'|center(7) }}|{{ 'one two,three'|wordcount }}|{{ '<a href="x">&'|e }}|{{ '<b>'|safe }}|{{ [1,[2]]|pprint }})J",
     "{}",
     "a\n    b\n\n    c|  a\n  b|a\n  \n  b|   x   |3|&lt;a href=&#34;x&#34;&gt;&amp;|<b>|[1, [2]]"},
    {R"J({{ {'a': 1}|list }} {{ {'a': 1}|first }} {{ 'xyz'|last }} {{ []|first is undefined }} {{ 'a\tb'|replace('\t', '  ') }} {{ 'x'|replace('', '-') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'Hi'|center(6) }}|{{ 'Hi'|center(7) }}|{{ 'abc'|center(2) }}|)J",
     "{}",
     "['a'] a z True a  b -x- bba   Hi  |   Hi  |abc|"},
    {R"J({{ "line1\nline2" | indent(4) }}|{{ 'no newline'|indent(first=true) }}|{{ ''|indent }})J",
     "{}",
     "line1\n    line2|    no newline|"},
    {"{{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|map(attribute='role')|unique|list }} {{ messages|length - 1 }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "1 ['system', 'user', 'assistant', 'tool'] 3"},
};

// transformers' tojson: json.dumps with ensure_ascii=False, key order kept, Python float repr.
const Case kToJson[] = {
    {"{{ messages|tojson }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     R"J([{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}])J"},
    {"{{ messages[2]|tojson(indent=2) }}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "{\n  \"role\": \"assistant\",\n  \"content\": \"<think>\\nhmm\\n</think>\\n\\nyo\",\n  \"tool_calls\": [\n    {\n      \"function\": {\n        \"name\": \"f\",\n        \"arguments\": {\n          \"a\": 1,\n          \"b\": \"é\\n\\\"x\\\"\"\n        }\n      }\n    }\n  ]\n}"},
    {R"J({{ {'b': 1, 'a': [1.5, 1.0, 1e-5, 'é', '\u2028', '\x01', none, true]}|tojson }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ [1,2]|tojson(separators=(',', ':')) }} {{ 'é'|tojson(ensure_ascii=true) }} {{ '😀'|tojson(ensure_ascii=true) }} {{ {}|tojson(indent=2) }} {{ {'a': []}|tojson(indent=2) }} {{ [1]|tojson(indent='\t') }})J",
     "{}",
     "{\"b\": 1, \"a\": [1.5, 1.0, 1e-05, \"é\", \" \", \"\\u0001\", null, true]} {\"a\": 2, \"b\": 1} [1,2] \"\\u00e9\" \"\\ud83d\\ude00\" {} {\n  \"a\": []\n} [\n\t1\n]"},
    {"{{ 'x'|tojson }}{{ 3|tojson }}{{ 3.0|tojson }}{{ none|tojson }} {{ dict(a=1)|tojson }}",
     "{}",
     R"J("x"33.0null {"a": 1})J"},
    {"{{ x | tojson }}",
     R"J({"x": {"ü": "ß", "n": [1, 2.5, -3, 1e+300, 9223372036854775807]}})J",
     R"J({"ü": "ß", "n": [1, 2.5, -3, 1e+300, 9223372036854775807]})J"},
    {"{{ x | tojson(indent=2) }}",
     R"J({"x": [[], {}, [1, [2, {"a": null}]]]})J",
     "[\n  [],\n  {},\n  [\n    1,\n    [\n      2,\n      {\n        \"a\": null\n      }\n    ]\n  ]\n]"},
    {"{{ x | tojson(indent=0) }}",
     R"J({"x": {"a": [1]}})J",
     "{\n\"a\": [\n1\n]\n}"},
};

// `is` tests.
const Case kTests[] = {
    {"{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ x is iterable }} {{ [] is sequence }} {{ true is boolean }} {{ true is true }} {{ 0 is false }} {{ false is false }}",
     "{}",
     "False True True True True True False True True True True True True True True True False True"},
    {"{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 1 is in [1] }} {{ 2 is eq 2 }} {{ 2 is equalto 3 }} {{ 2 is ne 3 }} {{ 1 is lt 2 }} {{ 2 is ge 2 }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ 'trim' is filter }} {{ 'nope' is test }} {{ range is callable }} {{ x is not defined }} {{ not x is defined }}",
     "{}",
     "True True True False True True False True True True True True True False True True True"},
    {"{{ 'abc' is sequence }} {{ 5 is sequence }} {{ {} is iterable }} {{ 5 is iterable }} {{ none is iterable }} {{ 'a' is mapping }} {{ 1.5 is integer }} {{ 1.5 is number }} {{ [1, 'a'] is sameas [1, 'a'] }} {{ none is sameas none }}",
     "{}",
     "True False True False False False False True False True"},
    {"{% set a = [1, 2] %}{% set b = a %}{{ a is sameas b }} {{ a is defined and a }}{{ c is defined and c.x }}",
     "{}",
     "True [1, 2]False"},
    {"{% for m in messages %}{% if m.content is string %}S{% elif m.content is none %}N{% else %}O{% endif %}{% endfor %}",
     R"J({"messages": [{"content": "a"}, {"content": null}, {"content": [1]}]})J",
     "SNO"},
};

// for loops: loop variables, else, filters, break/continue, unpacking, scoping.
const Case kLoops[] = {
    {"{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{% if not loop.first %}{{ loop.previtem.role }}{% endif %}{% if not loop.last %}{{ loop.nextitem.role }}{% endif %}{{ loop.cycle('a','b') }};{% endfor %}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "1043TrueFalse4usera;2132FalseFalse4systemassistantb;3221FalseFalse4usertoola;4310FalseTrue4assistantb;"},
    {"{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }}{{ loop.length }}{% else %}none{% endfor %}|{% for x in [] %}y{% else %}empty{% endfor %}|{% for x in [1] if false %}y{% else %}filtered{% endfor %}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "1user32assistant33tool3|empty|filtered"},
    {"{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(3) %}{% for j in range(3) %}{% if j > i %}{% break %}{% endif %}{{ i }}{{ j }},{% endfor %}{% endfor %}",
     "{}",
     "0134|00,10,11,20,21,22,"},
    {"{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %} {% for x in 'ab' %}{{ x }}.{% endfor %} {% for x in nope|default([]) %}{% endfor %} {{ range(2, 2)|list }} {{ range(-3)|list }}",
     "{}",
     "[0, 1, 2] [1, 3, 5] [5, 3, 1] 37 a.b.  [] []"},
    {"{% for x in [1,2] %}{% set y = x * 10 %}{{ y }}{% endfor %}[{{ y }}]{% set y = 'top' %}{% for x in [1] %}{{ y }}{% set y = 'inner' %}{{ y }}{% endfor %}{{ y }}",
     "{}",
     "1020[]topinnertop"},
    {"{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}",
     "{}",
     "231"},
    {"{% for outer in [1, 2] %}{% for inner in ['a', 'b'] %}{{ loop.index }}{{ inner }}{% endfor %}{{ loop.index }}{% endfor %}",
     "{}",
     "1a2b11a2b2"},
    {"{% for a in [[1, 2], [3, 4]] %}{% for b in a %}{{ loop.index }}/{{ loop.length }} {% endfor %}{% endfor %}",
     "{}",
     "1/2 2/2 1/2 2/2 "},
    {"{% for m in [1,2,3] if m > 1 %}{{ loop.length }}{{ loop.last }}{% endfor %} {% for i in [1,1,2,2,1] %}{{ loop.changed(i) }}{% endfor %}",
     "{}",
     "2False2True TrueFalseTrueFalseTrue"},
    {"{% for k in {'b':1,'a':2}|dictsort %}{{ k[0] }}{{ k[1] }}{% endfor %}",
     "{}",
     "a2b1"},
};

// set (tuple, block, filtered block), namespace, with, filter blocks, if/elif/else.
const Case kAssignment[] = {
    {"{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set x %}  block {{ a }}  {% endset %}[{{ x }}]{% set y | trim | upper %}  hey  {% endset %}[{{ y }}]",
     "{}",
     "12(1, 2)[  block 1  ][HEY]"},
    {"{% set ns = namespace(found=false, n=0, items=[]) %}{% for x in [1,2,3] %}{% if x > 1 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + x %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.found }} {{ ns.n }} {{ ns.items }}",
     "{}",
     "True 6 [1, 2, 3]"},
    {"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]{% filter upper %}up {{ 'x' }}{% endfilter %}{% filter trim|replace('a','b') %}  aaa  {% endfilter %}",
     "{}",
     "3[]UP Xbbb"},
    {"{% if x is defined %}{{ x }}{% elif y %}{{ y }}{% else %}else{% endif %}",
     R"J({"y": "Y"})J",
     "Y"},
    {"{% set x %}{% for i in range(3) %}{{ i }}{% endfor %}{% endset %}{{ x }}{{ x|length }}",
     "{}",
     "0123"},
    {"{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}{{ system_message }}{{ loop_messages|length }}",
     R"J({"messages": [{"role": "system", "content": "S"}, {"role": "user"}]})J",
     "S1"},
    {"{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{{ add_generation_prompt }}",
     "{}",
     "False"},
    {"{%- set tools = tools or [] -%}{{ tools|length }}",
     R"J({"tools": null})J",
     "0"},
    {"{{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {{ ({'a': 1}|items|list) }} {{ bos_token ~ 'x' }}{{ eos_token is defined }}",
     R"J({"bos_token": "<s>"})J",
     "{'a': 1, 'b': 'x'} 1 [('a', 1)] <s>xFalse"},
};

// Macros: defaults, keyword arguments, recursion, closures, varargs/kwargs.
const Case kMacros[] = {
    {"{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(punct='.', name='c') }} {{ greet() }}|",
     "{}",
     "Hi a! Hi b? Hi c. Hi !|"},
    {"{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }}",
     "{}",
     "4321"},
    {"{% set g = 'G' %}{% macro m() %}{{ g }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
     "{}",
     "G(1, 2){'k': 3}"},
    {"{% macro m(a, b=a ~ '!') %}{{ a }}{{ b }}{% endmacro %}{{ m('x') }}{{ m('x', 'y') }}",
     "{}",
     "xx!xy"},
    {"{% set ns = namespace() %}{% set ns.count = 0 %}{% macro inc() %}{% set ns.count = ns.count + 1 %}{% endmacro %}{{ inc() }}{{ inc() }}{{ ns.count }}",
     "{}",
     "2"},
};

// Undefined values: falsy, print empty, iterate empty, compare unequal.
const Case kUndefined[] = {
    {"[{{ nope }}][{{ nope|length }}][{{ nope|trim }}][{% for x in nope %}{% endfor %}][{{ nope == none }}][{{ nope is none }}][{{ nope ~ 'x' }}][{{ nope|list }}][{{ nope|first }}][{{ 'a' in nope }}]",
     "{}",
     "[][0][][][False][False][x][[]][][False]"},
    {"{{ x|default(none) is none }} {{ (messages|first).role }} {{ (messages|last).role }} {{ messages[0].content|trim|length }}",
     R"J({"messages": [{"role": "a", "content": "  hi  "}, {"role": "b"}]})J",
     "True a b 2"},
};

// Constructs real chat templates combine (tool calls, thinking blocks, system prompts).
const Case kChatShapes[] = {
    {"{%- for message in messages %}{%- if message.role == 'assistant' and message.tool_calls is defined and message.tool_calls %}{% for tc in message.tool_calls %}{{ tc.function.name }}({{ tc.function.arguments|tojson if tc.function.arguments is mapping else tc.function.arguments }}){% endfor %}{% endif %}{% endfor %}",
     R"J({"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {"x": [1, "y"]}}}, {"function": {"name": "g", "arguments": "{}"}}]}]})J",
     R"J(f({"x": [1, "y"]})g({}))J"},
    {"{%- set ns = namespace(last_user=-1) %}{%- for m in messages %}{%- if m.role == 'user' %}{%- set ns.last_user = loop.index0 %}{%- endif %}{%- endfor %}\n{%- for m in messages[::-1] %}\n  {{- (messages|length - 1 - loop.index0) ~ ':' ~ m.role ~ (' <- last user' if (messages|length - 1 - loop.index0) == ns.last_user) ~ '\\n' }}\n{%- endfor %}",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}]})J",
     "3:tool\n2:assistant\n1:user <- last user\n0:system\n"},
    {"{{- bos_token }}\n{%- if messages[0].role == 'system' %}\n    {%- set system = messages[0].content|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system = '' %}\n{%- endif %}\n[{{ system }}]\n{%- for m in messages %}\n<{{ m.role }}>{{ m.content }}</{{ m.role }}>\n{%- endfor %}\n{%- if add_generation_prompt %}\n<assistant>\n{%- endif %}\n",
     R"J({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nyo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": "é\n\"x\""}}}]}, {"role": "tool", "content": "42"}], "bos_token": "<s>", "add_generation_prompt": true})J",
     "<s>[sys]<user>hi there</user><assistant><think>\nhmm\n</think>\n\nyo</assistant><tool>42</tool><assistant>"},
};

TEST(JinjaTemplate, Whitespace) { CheckCases(kWhitespace); }
TEST(JinjaTemplate, Literals) { CheckCases(kLiterals); }
TEST(JinjaTemplate, Operators) { CheckCases(kOperators); }
TEST(JinjaTemplate, Access) { CheckCases(kAccess); }
TEST(JinjaTemplate, StringMethods) { CheckCases(kStringMethods); }
TEST(JinjaTemplate, Formatting) { CheckCases(kFormatting); }
TEST(JinjaTemplate, Filters) { CheckCases(kFilters); }
TEST(JinjaTemplate, ToJson) { CheckCases(kToJson); }
TEST(JinjaTemplate, Tests) { CheckCases(kTests); }
TEST(JinjaTemplate, Loops) { CheckCases(kLoops); }
TEST(JinjaTemplate, Assignment) { CheckCases(kAssignment); }
TEST(JinjaTemplate, Macros) { CheckCases(kMacros); }
TEST(JinjaTemplate, Undefined) { CheckCases(kUndefined); }
TEST(JinjaTemplate, ChatShapes) { CheckCases(kChatShapes); }

TEST(JinjaTemplate, StrftimeNowFormatsTheRenderClock) {
  // 2024-07-26 12:00:00 UTC, far from midnight so the date holds in nearby time zones too.
  jinja::RenderOptions options;
  options.now = 1721995200;
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('') }}", "{}",
                   options),
            "26 Jul 2024|2024-07-26 12:00|");
  ::unsetenv("TZ");
  ::tzset();
}

TEST(JinjaTemplate, ObjectKeyOrderFollowsTheInput) {
  // ordered_json keeps keys as written (Python dict order); nlohmann::json sorts them.
  const std::string src = "{{ x|tojson }}|{% for k, v in x.items() %}{{ k }}{% endfor %}";
  auto t = ChatTemplate::Parse(src, "test");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const char* ctx = R"({"x": {"b": 1, "a": {"d": 2, "c": 3}}})";
  auto ordered = t->RenderOrdered(nlohmann::ordered_json::parse(ctx));
  ASSERT_TRUE(ordered.ok()) << ordered.status().message();
  EXPECT_EQ(*ordered, R"({"b": 1, "a": {"d": 2, "c": 3}}|ba)");
  auto sorted = t->Render(nlohmann::json::parse(ctx));
  ASSERT_TRUE(sorted.ok()) << sorted.status().message();
  EXPECT_EQ(*sorted, R"({"a": {"c": 3, "d": 2}, "b": 1}|ab)");
}

TEST(JinjaTemplate, GenerationBlockRendersItsBody) {
  EXPECT_EQ(Render("{% for m in messages %}{% generation %}[{{ m }}]{% endgeneration %}{% endfor %}",
                   R"({"messages": ["a", "b"]})"),
            "[a][b]");
}

TEST(JinjaTemplate, UnknownFilterInsideIfFailsOnlyWhenUsed) {
  // As in Jinja: an if-statement or conditional expression defers the check to run time.
  EXPECT_EQ(Render("{% if 'from_json' is filter %}{{ x|from_json }}{% else %}no{% endif %}"), "no");
  EXPECT_EQ(Render("{{ x|from_json if false else 'skip' }}"), "skip");
  const std::string used = Render("{% if true %}\n{{ x|from_json }}{% endif %}");
  EXPECT_EQ(used, "ERROR: template test line 2: no filter named 'from_json'");
}

TEST(JinjaTemplate, LexerMarksLinesAndStripsWhitespace) {
  auto tokens = jinja::Lex("a\n  {%- if x %}\n{{ y }}\n{% endif %}", "test");
  ASSERT_TRUE(tokens.ok()) << tokens.status().message();
  // "a" (the newline and indent eaten by `{%-`), {%, if, x, %}, {{, y, }}, "\n", {%, endif, %}, eof
  ASSERT_EQ(tokens->size(), 13u);
  EXPECT_EQ((*tokens)[0].type, jinja::TokenType::kData);
  EXPECT_EQ((*tokens)[0].text, "a");
  EXPECT_EQ((*tokens)[1].type, jinja::TokenType::kBlockBegin);
  EXPECT_EQ((*tokens)[1].line, 2);
  EXPECT_EQ((*tokens)[5].type, jinja::TokenType::kVarBegin);
  EXPECT_EQ((*tokens)[5].line, 3);
  EXPECT_EQ((*tokens)[8].text, "\n");
  EXPECT_EQ((*tokens)[10].text, "endif");
  EXPECT_EQ((*tokens)[10].line, 4);
  EXPECT_EQ((*tokens)[12].type, jinja::TokenType::kEof);
}

TEST(JinjaTemplate, PythonFloatRepr) {
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},      {0.1, "0.1"},         {1e16, "1e+16"},  {1e15, "1000000000000000.0"},
      {1e-5, "1e-05"},   {0.0001, "0.0001"},   {-2.5, "-2.5"},   {1.0 / 3, "0.3333333333333333"},
      {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(jinja::ToPyStr(jinja::Value(v)), want);
}

}  // namespace
}  // namespace anemll::tokenizer
