// The recursive-descent parser behind ParseTemplate(): statements are in parser.cpp, expressions in
// parse_expression.cpp. Internal to the template engine.
#pragma once

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/error.h"
#include "tokenizer/jinja/lexer.h"

namespace anemll::tokenizer::jinja {
namespace parser_detail {

// Deepest nesting of expressions and blocks; deeper input is rejected instead of exhausting the
// stack.
constexpr int kMaxParseDepth = 200;
// Deepest expression tree (also bounds left-leaning chains such as `a + b + c + ...`).
constexpr int kMaxExprDepth = 256;

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::string& origin) : toks_(std::move(tokens)), origin_(origin) {}

  Result<Body> ParseAll();

 private:
  // ---- token stream ----
  const Token& Cur() const { return toks_[pos_]; }
  const Token& Peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  void Advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool IsOp(const char* op) const { return Cur().type == TokenType::kOperator && Cur().text == op; }
  bool IsName(const char* name) const { return Cur().type == TokenType::kName && Cur().text == name; }
  bool SkipOp(const char* op) {
    if (!IsOp(op)) return false;
    Advance();
    return true;
  }
  bool SkipName(const char* name) {
    if (!IsName(name)) return false;
    Advance();
    return true;
  }
  Status Error(const Token& at, const std::string& message) const {
    return TemplateError(StatusCode::kFormatError, origin_, at.line, message);
  }
  Status ExpectOp(const char* op, const char* context);
  Status ExpectBlockEnd(const char* tag);
  Result<std::string> ExpectName(const char* context);

  // ---- statements ----
  // Parses statements until a `{% <end> %}` tag whose name is in `ends`; leaves the stream on that
  // name. `opener`/`opener_line` describe the enclosing block for errors.
  Result<Body> ParseBody(std::initializer_list<const char*> ends, const char* opener, int opener_line);
  Result<StmtPtr> ParseStatement();
  Result<StmtPtr> ParseIf(int line);
  Result<StmtPtr> ParseFor(int line);
  Result<StmtPtr> ParseSet(int line);
  Result<StmtPtr> ParseMacro(int line);
  Result<StmtPtr> ParseFilterBlock(int line);
  Result<StmtPtr> ParseWith(int line);
  Result<StmtPtr> ParseGeneration(int line);
  Result<AssignTarget> ParseAssignTarget(bool with_namespace, const char* extra_end);
  Status CheckNames(const Body& body, bool soft) const;
  static bool Mentions(const Body& body, const std::string& name);
  static bool Mentions(const Expr& e, const std::string& name);
  Status CheckNames(const Expr& e, bool soft) const;
  // Consumes `end` (the closing tag's name) and the `%}` after it.
  Status FinishBlock(const char* end);

  // ---- expressions ----
  Result<ExprPtr> ParseTuple(bool with_condexpr, const char* extra_end, bool explicit_parens);
  Result<ExprPtr> ParseExpression(bool with_condexpr = true);
  Result<ExprPtr> ParseCondExpr();
  Result<ExprPtr> ParseLeftAssociative(const std::function<Result<ExprPtr>()>& operand,
                                       const std::function<bool()>& at_op, ExprKind kind);
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseCompare();
  Result<ExprPtr> ParseMath1();
  Result<ExprPtr> ParseConcat();
  Result<ExprPtr> ParseMath2();
  Result<ExprPtr> ParsePow();
  Result<ExprPtr> ParseUnary(bool with_filter);
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParsePostfix(ExprPtr node);
  Result<ExprPtr> ParseFilterExpr(ExprPtr node);
  Result<ExprPtr> ParseSubscript(ExprPtr node);
  // `start_inline`: the first filter has no leading '|' (`{% filter upper %}`).
  Result<ExprPtr> ParseFilter(ExprPtr node, bool start_inline = false);
  Result<ExprPtr> ParseTest(ExprPtr node);
  Status ParseCallArgs(Expr* call);
  Result<std::string> ParseDottedName();

  // Records the depth of a freshly built node and rejects trees too deep to evaluate safely.
  Status Seal(Expr* e) const {
    int d = 0;
    for (const auto& o : e->operands) {
      if (o) d = std::max(d, o->depth);
    }
    for (const auto& kw : e->kwargs) d = std::max(d, kw.second->depth);
    e->depth = d + 1;
    if (e->depth > kMaxExprDepth) return Error(Cur(), "expression is nested too deeply");
    return Status::Ok();
  }

  Status Enter() {
    if (++depth_ > kMaxParseDepth) return Error(Cur(), "template nesting is too deep");
    return Status::Ok();
  }
  struct DepthGuard {
    int* depth;
    ~DepthGuard() { --*depth; }
  };

  std::vector<Token> toks_;
  size_t pos_ = 0;
  const std::string& origin_;
  int depth_ = 0;
  int loop_depth_ = 0;
  // Innermost open block, for errors about stray end tags: "'for' block from line 3 ...".
  std::vector<std::string> open_blocks_;
};

inline ExprPtr MakeExpr(ExprKind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

}  // namespace parser_detail
}  // namespace anemll::tokenizer::jinja
