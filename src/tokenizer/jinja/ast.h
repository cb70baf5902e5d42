// The syntax tree of a parsed template.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/value.h"

namespace anemll::tokenizer::jinja {

enum class ExprKind {
  kLiteral,  // literal
  kName,     // name
  kList,     // operands: items
  kTuple,    // operands: items
  kDict,     // operands: key0, value0, key1, value1 ...
  kGetAttr,  // operands: [object]; name: attribute   (a.b)
  kGetItem,  // operands: [object, key]               (a[b])
  kSlice,    // operands: [object, start, stop, step] (a[b:c:d]; missing parts are null)
  kCall,     // operands: [callee, args...]; kwargs
  kFilter,   // operands: [value, args...]; kwargs; name; filter. A null value means "the input"
             // (filter blocks and `{% set x | f %}` apply the chain to rendered text).
  kTest,     // operands: [value, args...]; kwargs; name; test; negated (`is not`)
  kNeg,      // operands: [x]
  kPos,      // operands: [x]
  kNot,      // operands: [x]
  kBinary,   // operands: [a, b]; name: + - * / // % ** ~
  kAnd,      // operands: [a, b]
  kOr,       // operands: [a, b]
  kCompare,  // operands: [a, b, c ...]; compare_ops between them (== != < <= > >= in, "not in")
  kCond,     // operands: [condition, then, else (null: undefined)]
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  int line = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> operands;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> compare_ops;
  bool negated = false;
  int depth = 1;  // height of this subtree
  FilterFn filter = nullptr;
  TestFn test = nullptr;
};

// The left side of an assignment: `x`, `a, b` or `ns.attr`.
struct AssignTarget {
  std::vector<std::string> names;
  bool is_tuple = false;
  std::string attr;  // set for `ns.attr` (names[0] is the namespace)
};

enum class StmtKind {
  kText,         // text
  kPrint,        // expr
  kIf,           // branches (condition, body); else_body
  kFor,          // target, expr (iterable), filter (nullable `if`), body, else_body, recursive
  kSet,          // target, expr
  kSetBlock,     // target, body, filters (nullable chain)
  kMacro,        // name, params, body
  kBreak,
  kContinue,
  kFilterBlock,  // filters, body
  kWith,         // assigns, body
  kGeneration,   // body (transformers' {% generation %} marks assistant text; renders as is)
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::kText;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  ExprPtr filters;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  AssignTarget target;
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters and defaults (nullable)
  std::vector<std::pair<AssignTarget, ExprPtr>> assigns;
  bool recursive = false;
  bool uses_loop = false;  // kFor: the body (or anything under it) names `loop`
};

}  // namespace anemll::tokenizer::jinja
