#include "tokenizer/jinja/parser.h"

#include "tokenizer/jinja/parser_internal.h"

namespace anemll::tokenizer::jinja {
namespace parser_detail {

Status Parser::ExpectOp(const char* op, const char* context) {
  if (SkipOp(op)) return Status::Ok();
  return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), ", expected '", op, "' ", context));
}

Status Parser::ExpectBlockEnd(const char* tag) {
  if (Cur().type == TokenType::kBlockEnd) {
    Advance();
    return Status::Ok();
  }
  return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), " in '", tag, "' tag, expected '%}'"));
}

Result<std::string> Parser::ExpectName(const char* context) {
  if (Cur().type != TokenType::kName) {
    return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), ", expected a name ", context));
  }
  std::string name = Cur().text;
  Advance();
  return name;
}

Result<Body> Parser::ParseAll() {
  ANEMLL_ASSIGN_OR_RETURN(Body body, ParseBody({}, nullptr, 0));
  ANEMLL_RETURN_IF_ERROR(CheckNames(body, false));
  return body;
}

bool Parser::Mentions(const Expr& e, const std::string& name) {
  if (e.kind == ExprKind::kName && e.name == name) return true;
  for (const ExprPtr& op : e.operands) {
    if (op && Mentions(*op, name)) return true;
  }
  for (const auto& kw : e.kwargs) {
    if (Mentions(*kw.second, name)) return true;
  }
  return false;
}

// Whether any expression under `body` names `name` (conservative: nested loops included).
bool Parser::Mentions(const Body& body, const std::string& name) {
  auto expr = [&](const ExprPtr& e) { return e && Mentions(*e, name); };
  for (const StmtPtr& s : body) {
    if (expr(s->expr) || expr(s->filter) || expr(s->filters)) return true;
    for (const auto& [cond, branch] : s->branches) {
      if (expr(cond) || Mentions(branch, name)) return true;
    }
    for (const auto& p : s->params) {
      if (expr(p.second)) return true;
    }
    for (const auto& a : s->assigns) {
      if (expr(a.second)) return true;
    }
    if (Mentions(s->body, name) || Mentions(s->else_body, name)) return true;
  }
  return false;
}

// Jinja rejects an unknown filter or test when it compiles the template, except inside an `if`
// statement or a conditional expression (a "soft" frame: `{% if 'x' is filter %}{{ v|x }}{% endif %}`),
// where the error waits until the filter is actually used. Loop, macro and block bodies start
// strict again.
Status Parser::CheckNames(const Expr& e, bool soft) const {
  soft = soft || e.kind == ExprKind::kCond;
  if (!soft && ((e.kind == ExprKind::kFilter && !e.filter) || (e.kind == ExprKind::kTest && !e.test))) {
    return TemplateError(StatusCode::kFormatError, origin_, e.line,
                         StrCat("no ", e.kind == ExprKind::kFilter ? "filter" : "test", " named '", e.name, "'"));
  }
  for (const ExprPtr& op : e.operands) {
    if (op) ANEMLL_RETURN_IF_ERROR(CheckNames(*op, soft));
  }
  for (const auto& kw : e.kwargs) ANEMLL_RETURN_IF_ERROR(CheckNames(*kw.second, soft));
  return Status::Ok();
}

Status Parser::CheckNames(const Body& body, bool soft) const {
  auto expr = [&](const ExprPtr& e, bool s) { return e ? CheckNames(*e, s) : Status::Ok(); };
  for (const StmtPtr& s : body) {
    switch (s->kind) {
      case StmtKind::kIf:
        for (const auto& [cond, branch] : s->branches) {
          ANEMLL_RETURN_IF_ERROR(expr(cond, true));
          ANEMLL_RETURN_IF_ERROR(CheckNames(branch, true));
        }
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->else_body, true));
        break;
      case StmtKind::kFor:
        ANEMLL_RETURN_IF_ERROR(expr(s->expr, soft));
        ANEMLL_RETURN_IF_ERROR(expr(s->filter, false));
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->body, false));
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->else_body, soft));
        break;
      case StmtKind::kMacro:
        for (const auto& p : s->params) ANEMLL_RETURN_IF_ERROR(expr(p.second, false));
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->body, false));
        break;
      case StmtKind::kWith:
        for (const auto& a : s->assigns) ANEMLL_RETURN_IF_ERROR(expr(a.second, soft));
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->body, false));
        break;
      case StmtKind::kSetBlock:
      case StmtKind::kFilterBlock:
        ANEMLL_RETURN_IF_ERROR(expr(s->filters, false));
        ANEMLL_RETURN_IF_ERROR(CheckNames(s->body, false));
        break;
      case StmtKind::kGeneration: ANEMLL_RETURN_IF_ERROR(CheckNames(s->body, soft)); break;
      default: ANEMLL_RETURN_IF_ERROR(expr(s->expr, soft)); break;
    }
  }
  return Status::Ok();
}

Result<Body> Parser::ParseBody(std::initializer_list<const char*> ends, const char* opener, int opener_line) {
  ANEMLL_RETURN_IF_ERROR(Enter());
  DepthGuard guard{&depth_};
  Body body;
  auto expected = [&] {
    std::string s;
    for (const char* e : ends) s += StrCat(s.empty() ? "" : " or ", "'", e, "'");
    return s;
  };
  if (opener) open_blocks_.push_back(StrCat("the '", opener, "' block from line ", opener_line, " expects ", expected()));
  struct Pop {
    std::vector<std::string>* stack;
    bool active;
    ~Pop() {
      if (active) stack->pop_back();
    }
  } pop{&open_blocks_, opener != nullptr};
  while (true) {
    const Token& t = Cur();
    if (t.type == TokenType::kEof) {
      if (!opener) return body;
      return Error(t, StrCat("unexpected end of template: the '", opener, "' block from line ", opener_line,
                             " is not closed (expected ", expected(), ")"));
    }
    if (t.type == TokenType::kData) {
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kText;
      s->line = t.line;
      s->text = t.text;
      body.push_back(std::move(s));
      Advance();
      continue;
    }
    if (t.type == TokenType::kVarBegin) {
      const int line = t.line;
      Advance();
      ANEMLL_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(true, nullptr, false));
      if (Cur().type != TokenType::kVarEnd) {
        return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), ", expected '}}'"));
      }
      Advance();
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kPrint;
      s->line = line;
      s->expr = std::move(e);
      body.push_back(std::move(s));
      continue;
    }
    if (t.type != TokenType::kBlockBegin) return Error(t, StrCat("unexpected ", DescribeToken(t)));
    Advance();
    if (Cur().type == TokenType::kName) {
      for (const char* e : ends) {
        if (Cur().text == e) return body;
      }
    }
    ANEMLL_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
    if (s) body.push_back(std::move(s));
  }
}

Result<StmtPtr> Parser::ParseStatement() {
  const Token& t = Cur();
  if (t.type != TokenType::kName) return Error(t, StrCat("unexpected ", DescribeToken(t), ", expected a tag name"));
  const std::string name = t.text;
  const int line = t.line;
  if (name == "if") return ParseIf(line);
  if (name == "for") return ParseFor(line);
  if (name == "set") return ParseSet(line);
  if (name == "macro") return ParseMacro(line);
  if (name == "filter") return ParseFilterBlock(line);
  if (name == "with") return ParseWith(line);
  if (name == "generation") return ParseGeneration(line);
  if (name == "break" || name == "continue") {
    if (loop_depth_ == 0) return Error(t, StrCat("'", name, "' outside of a loop"));
    Advance();
    ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd(name.c_str()));
    auto s = std::make_unique<Stmt>();
    s->kind = name == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    s->line = line;
    return s;
  }
  static const char* kUnsupported[] = {"call", "include", "import", "from", "extends", "block", "do", "autoescape"};
  for (const char* u : kUnsupported) {
    if (name == u) {
      return TemplateError(StatusCode::kUnsupported, origin_, line, StrCat("unsupported tag '", name, "'"));
    }
  }
  if (name.rfind("end", 0) == 0 || name == "else" || name == "elif") {
    if (open_blocks_.empty()) return Error(t, StrCat("unexpected token '", name, "'"));
    return Error(t, StrCat("unexpected token '", name, "' (", open_blocks_.back(), ")"));
  }
  return Error(t, StrCat("unknown tag '", name, "'"));
}

Status Parser::FinishBlock(const char* end) {
  if (!SkipName(end)) return Error(Cur(), StrCat("expected '", end, "'"));
  return ExpectBlockEnd(end);
}

Result<StmtPtr> Parser::ParseIf(int line) {
  Advance();  // if
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kIf;
  s->line = line;
  while (true) {
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(false, nullptr, false));
    ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("if"));
    ANEMLL_ASSIGN_OR_RETURN(Body body, ParseBody({"elif", "else", "endif"}, "if", line));
    s->branches.emplace_back(std::move(cond), std::move(body));
    if (SkipName("elif")) continue;
    if (SkipName("else")) {
      ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("else"));
      ANEMLL_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endif"}, "if", line));
    }
    ANEMLL_RETURN_IF_ERROR(FinishBlock("endif"));
    return s;
  }
}

Result<StmtPtr> Parser::ParseFor(int line) {
  Advance();  // for
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kFor;
  s->line = line;
  ANEMLL_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(false, "in"));
  if (!SkipName("in")) return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), ", expected 'in' in 'for' tag"));
  ANEMLL_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, "recursive", false));
  if (SkipName("if")) {
    ANEMLL_ASSIGN_OR_RETURN(s->filter, ParseExpression());
  }
  if (SkipName("recursive")) {
    return TemplateError(StatusCode::kUnsupported, origin_, line, "recursive for loops are not supported");
  }
  ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("for"));
  ++loop_depth_;
  auto body = ParseBody({"endfor", "else"}, "for", line);
  --loop_depth_;
  if (!body.ok()) return body.status();
  s->body = std::move(body).value();
  s->uses_loop = Mentions(s->body, "loop");
  if (SkipName("else")) {
    ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("else"));
    ANEMLL_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}, "for", line));
  }
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endfor"));
  return s;
}

Result<AssignTarget> Parser::ParseAssignTarget(bool with_namespace, const char* extra_end) {
  AssignTarget target;
  if (with_namespace && Cur().type == TokenType::kName && Peek().type == TokenType::kOperator && Peek().text == ".") {
    target.names.push_back(Cur().text);
    Advance();
    Advance();
    ANEMLL_ASSIGN_OR_RETURN(target.attr, ExpectName("after '.' in assignment target"));
    return target;
  }
  const bool parens = SkipOp("(");
  while (true) {
    if (Cur().type != TokenType::kName) {
      return Error(Cur(), StrCat("cannot assign to ", DescribeToken(Cur())));
    }
    const std::string& n = Cur().text;
    if (n == "true" || n == "false" || n == "none" || n == "True" || n == "False" || n == "None") {
      return Error(Cur(), StrCat("cannot assign to '", n, "'"));
    }
    target.names.push_back(n);
    Advance();
    if (!SkipOp(",")) break;
    target.is_tuple = true;
    if (parens && IsOp(")")) break;
    if (extra_end && IsName(extra_end)) break;
    if (IsOp("=") || Cur().type == TokenType::kBlockEnd) break;
  }
  if (parens) {
    ANEMLL_RETURN_IF_ERROR(ExpectOp(")", "to close the assignment target"));
    target.is_tuple = true;
  }
  return target;
}

Result<StmtPtr> Parser::ParseSet(int line) {
  Advance();  // set
  auto s = std::make_unique<Stmt>();
  s->line = line;
  ANEMLL_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(true, nullptr));
  if (SkipOp("=")) {
    s->kind = StmtKind::kSet;
    ANEMLL_ASSIGN_OR_RETURN(s->expr, ParseTuple(true, nullptr, false));
    ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("set"));
    return s;
  }
  s->kind = StmtKind::kSetBlock;
  if (IsOp("|")) {
    ANEMLL_ASSIGN_OR_RETURN(s->filters, ParseFilter(nullptr));
  }
  ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("set"));
  ANEMLL_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}, "set", line));
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endset"));
  return s;
}

Result<StmtPtr> Parser::ParseMacro(int line) {
  Advance();  // macro
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kMacro;
  s->line = line;
  ANEMLL_ASSIGN_OR_RETURN(s->name, ExpectName("after 'macro'"));
  ANEMLL_RETURN_IF_ERROR(ExpectOp("(", "after the macro name"));
  while (!IsOp(")")) {
    if (!s->params.empty()) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between macro parameters"));
    if (IsOp(")")) break;
    ANEMLL_ASSIGN_OR_RETURN(std::string param, ExpectName("for a macro parameter"));
    ExprPtr def;
    if (SkipOp("=")) {
      ANEMLL_ASSIGN_OR_RETURN(def, ParseExpression());
    } else {
      for (const auto& p : s->params) {
        if (p.second) return Error(Cur(), "non-default macro parameter follows default parameter");
      }
    }
    s->params.emplace_back(std::move(param), std::move(def));
  }
  Advance();  // )
  ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("macro"));
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  auto body = ParseBody({"endmacro"}, "macro", line);
  loop_depth_ = saved_loops;
  if (!body.ok()) return body.status();
  s->body = std::move(body).value();
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endmacro"));
  return s;
}

Result<StmtPtr> Parser::ParseFilterBlock(int line) {
  Advance();  // filter
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kFilterBlock;
  s->line = line;
  ANEMLL_ASSIGN_OR_RETURN(s->filters, ParseFilter(nullptr, true));
  ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("filter"));
  ANEMLL_ASSIGN_OR_RETURN(s->body, ParseBody({"endfilter"}, "filter", line));
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endfilter"));
  return s;
}

Result<StmtPtr> Parser::ParseWith(int line) {
  Advance();  // with
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kWith;
  s->line = line;
  while (Cur().type != TokenType::kBlockEnd) {
    if (!s->assigns.empty()) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between 'with' assignments"));
    ANEMLL_ASSIGN_OR_RETURN(AssignTarget target, ParseAssignTarget(false, nullptr));
    ANEMLL_RETURN_IF_ERROR(ExpectOp("=", "in 'with' tag"));
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
    s->assigns.emplace_back(std::move(target), std::move(value));
  }
  Advance();  // %}
  ANEMLL_ASSIGN_OR_RETURN(s->body, ParseBody({"endwith"}, "with", line));
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endwith"));
  return s;
}

Result<StmtPtr> Parser::ParseGeneration(int line) {
  Advance();  // generation
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::kGeneration;
  s->line = line;
  ANEMLL_RETURN_IF_ERROR(ExpectBlockEnd("generation"));
  ANEMLL_ASSIGN_OR_RETURN(s->body, ParseBody({"endgeneration"}, "generation", line));
  ANEMLL_RETURN_IF_ERROR(FinishBlock("endgeneration"));
  return s;
}

}  // namespace parser_detail

Result<Body> ParseTemplate(std::string_view source, const std::string& origin) {
  ANEMLL_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(source, origin));
  parser_detail::Parser parser(std::move(tokens), origin);
  return parser.ParseAll();
}

}  // namespace anemll::tokenizer::jinja
