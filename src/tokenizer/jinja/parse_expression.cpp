// Expressions, with Jinja2's precedence (lowest first): conditional `a if c else b`, or, and, not,
// comparisons (== != < <= > >= in, not in), + -, ~, * / // %, **, unary - +, then postfix
// (.attr, [item], [a:b:c], call), filters `|f(args)` and tests `is [not] t args`.
#include "tokenizer/jinja/parser_internal.h"

namespace anemll::tokenizer::jinja {
namespace parser_detail {

Result<ExprPtr> Parser::ParseTuple(bool with_condexpr, const char* extra_end, bool explicit_parens) {
  const int line = Cur().line;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  auto at_end = [&] {
    const Token& t = Cur();
    if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd || t.type == TokenType::kEof) return true;
    if (t.type == TokenType::kOperator && t.text == ")") return true;
    return extra_end && t.type == TokenType::kName && t.text == extra_end;
  };
  while (true) {
    if (!items.empty()) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between tuple items"));
    if (at_end()) break;
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(with_condexpr));
    items.push_back(std::move(e));
    if (IsOp(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) return Error(Cur(), StrCat("expected an expression, got ", DescribeToken(Cur())));
  }
  auto tuple = MakeExpr(ExprKind::kTuple, line);
  tuple->operands = std::move(items);
  ANEMLL_RETURN_IF_ERROR(Seal(tuple.get()));
  return tuple;
}

Result<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  ANEMLL_RETURN_IF_ERROR(Enter());
  DepthGuard guard{&depth_};
  if (with_condexpr) return ParseCondExpr();
  return ParseOr();
}

Result<ExprPtr> Parser::ParseCondExpr() {
  ANEMLL_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
  while (IsName("if")) {
    const int line = Cur().line;
    Advance();
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
    ExprPtr otherwise;
    if (SkipName("else")) {
      ANEMLL_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
    }
    auto node = MakeExpr(ExprKind::kCond, line);
    node->operands.push_back(std::move(cond));
    node->operands.push_back(std::move(expr));
    node->operands.push_back(std::move(otherwise));
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
    expr = std::move(node);
  }
  return expr;
}

// operand (op operand)*, grouped to the left; `at_op` says whether the current token is one of
// this level's operators. kBinary nodes carry the operator's text.
Result<ExprPtr> Parser::ParseLeftAssociative(const std::function<Result<ExprPtr>()>& operand,
                                             const std::function<bool()>& at_op, ExprKind kind) {
  ANEMLL_ASSIGN_OR_RETURN(ExprPtr left, operand());
  while (at_op()) {
    auto node = MakeExpr(kind, Cur().line);
    if (kind == ExprKind::kBinary) node->name = Cur().text;
    Advance();
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr right, operand());
    node->operands.push_back(std::move(left));
    node->operands.push_back(std::move(right));
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
    left = std::move(node);
  }
  return left;
}

Result<ExprPtr> Parser::ParseOr() {
  return ParseLeftAssociative([this] { return ParseAnd(); }, [this] { return IsName("or"); }, ExprKind::kOr);
}

Result<ExprPtr> Parser::ParseAnd() {
  return ParseLeftAssociative([this] { return ParseNot(); }, [this] { return IsName("and"); }, ExprKind::kAnd);
}

Result<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    const int line = Cur().line;
    Advance();
    ANEMLL_RETURN_IF_ERROR(Enter());
    DepthGuard guard{&depth_};
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr x, ParseNot());
    auto node = MakeExpr(ExprKind::kNot, line);
    node->operands.push_back(std::move(x));
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
    return node;
  }
  return ParseCompare();
}

Result<ExprPtr> Parser::ParseCompare() {
  const int line = Cur().line;
  ANEMLL_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
  ExprPtr node;
  while (true) {
    std::string op;
    if (Cur().type == TokenType::kOperator &&
        (Cur().text == "==" || Cur().text == "!=" || Cur().text == "<" || Cur().text == "<=" ||
         Cur().text == ">" || Cur().text == ">=")) {
      op = Cur().text;
      Advance();
    } else if (IsName("in")) {
      op = "in";
      Advance();
    } else if (IsName("not") && Peek().type == TokenType::kName && Peek().text == "in") {
      op = "not in";
      Advance();
      Advance();
    } else {
      break;
    }
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
    if (!node) {
      node = MakeExpr(ExprKind::kCompare, line);
      node->operands.push_back(std::move(first));
    }
    node->compare_ops.push_back(op);
    node->operands.push_back(std::move(operand));
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
  }
  return node ? std::move(node) : std::move(first);
}

Result<ExprPtr> Parser::ParseMath1() {
  return ParseLeftAssociative([this] { return ParseConcat(); }, [this] { return IsOp("+") || IsOp("-"); },
                              ExprKind::kBinary);
}

Result<ExprPtr> Parser::ParseConcat() {
  return ParseLeftAssociative([this] { return ParseMath2(); }, [this] { return IsOp("~"); }, ExprKind::kBinary);
}

Result<ExprPtr> Parser::ParseMath2() {
  return ParseLeftAssociative([this] { return ParsePow(); },
                              [this] { return IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%"); },
                              ExprKind::kBinary);
}

Result<ExprPtr> Parser::ParsePow() {
  return ParseLeftAssociative([this] { return ParseUnary(true); }, [this] { return IsOp("**"); }, ExprKind::kBinary);
}

Result<ExprPtr> Parser::ParseUnary(bool with_filter) {
  ANEMLL_RETURN_IF_ERROR(Enter());
  DepthGuard guard{&depth_};
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    node = MakeExpr(IsOp("-") ? ExprKind::kNeg : ExprKind::kPos, Cur().line);
    Advance();
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr x, ParseUnary(false));
    node->operands.push_back(std::move(x));
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  ANEMLL_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    ANEMLL_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Cur();
  const int line = t.line;
  if (t.type == TokenType::kName) {
    auto node = MakeExpr(ExprKind::kLiteral, line);
    if (t.text == "true" || t.text == "True") {
      node->literal = Value(true);
    } else if (t.text == "false" || t.text == "False") {
      node->literal = Value(false);
    } else if (t.text == "none" || t.text == "None") {
      node->literal = Value::None();
    } else {
      node->kind = ExprKind::kName;
      node->name = t.text;
    }
    Advance();
    return node;
  }
  if (t.type == TokenType::kString) {
    std::string text = t.text;
    Advance();
    while (Cur().type == TokenType::kString) {  // adjacent literals concatenate
      text += Cur().text;
      Advance();
    }
    auto node = MakeExpr(ExprKind::kLiteral, line);
    node->literal = Value(std::move(text));
    return node;
  }
  if (t.type == TokenType::kInt || t.type == TokenType::kFloat) {
    auto node = MakeExpr(ExprKind::kLiteral, line);
    node->literal = t.type == TokenType::kInt ? Value(t.int_value) : Value(t.float_value);
    Advance();
    return node;
  }
  if (SkipOp("(")) {
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr inner, ParseTuple(true, nullptr, true));
    ANEMLL_RETURN_IF_ERROR(ExpectOp(")", "to close '('"));
    return inner;
  }
  if (SkipOp("[")) {
    auto node = MakeExpr(ExprKind::kList, line);
    while (!IsOp("]")) {
      if (!node->operands.empty()) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between list items"));
      if (IsOp("]")) break;
      ANEMLL_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
      node->operands.push_back(std::move(item));
    }
    Advance();
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
    return node;
  }
  if (SkipOp("{")) {
    auto node = MakeExpr(ExprKind::kDict, line);
    while (!IsOp("}")) {
      if (!node->operands.empty()) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between dict items"));
      if (IsOp("}")) break;
      ANEMLL_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression());
      ANEMLL_RETURN_IF_ERROR(ExpectOp(":", "after a dict key"));
      ANEMLL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
      node->operands.push_back(std::move(key));
      node->operands.push_back(std::move(value));
    }
    Advance();
    ANEMLL_RETURN_IF_ERROR(Seal(node.get()));
    return node;
  }
  return Error(t, StrCat("unexpected ", DescribeToken(t)));
}

Result<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (IsOp(".")) {
      const int line = Cur().line;
      Advance();
      if (Cur().type == TokenType::kName) {
        auto attr = MakeExpr(ExprKind::kGetAttr, line);
        attr->name = Cur().text;
        attr->operands.push_back(std::move(node));
        ANEMLL_RETURN_IF_ERROR(Seal(attr.get()));
        node = std::move(attr);
      } else if (Cur().type == TokenType::kInt) {
        auto item = MakeExpr(ExprKind::kGetItem, line);
        auto key = MakeExpr(ExprKind::kLiteral, line);
        key->literal = Value(Cur().int_value);
        item->operands.push_back(std::move(node));
        item->operands.push_back(std::move(key));
        ANEMLL_RETURN_IF_ERROR(Seal(item.get()));
        node = std::move(item);
      } else {
        return Error(Cur(), StrCat("unexpected ", DescribeToken(Cur()), " after '.'"));
      }
      Advance();
    } else if (IsOp("[")) {
      ANEMLL_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      auto call = MakeExpr(ExprKind::kCall, Cur().line);
      call->operands.push_back(std::move(node));
      ANEMLL_RETURN_IF_ERROR(ParseCallArgs(call.get()));
      ANEMLL_RETURN_IF_ERROR(Seal(call.get()));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  const int line = Cur().line;
  Advance();  // [
  auto is_part_end = [&] { return IsOp("]") || IsOp(",") || IsOp(":"); };
  std::vector<ExprPtr> keys;
  bool slice = false;
  ExprPtr parts[3];
  while (true) {
    if (!keys.empty() || slice) {
      if (slice) return Error(Cur(), "a slice cannot be part of a tuple subscript");
      ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between subscripts"));
    }
    if (IsOp("]")) break;
    ExprPtr start;
    if (!IsOp(":")) {
      ANEMLL_ASSIGN_OR_RETURN(start, ParseExpression());
    }
    if (SkipOp(":")) {
      slice = true;
      parts[0] = std::move(start);
      if (!is_part_end()) {
        ANEMLL_ASSIGN_OR_RETURN(parts[1], ParseExpression());
      }
      if (SkipOp(":") && !IsOp("]") && !IsOp(",")) {
        ANEMLL_ASSIGN_OR_RETURN(parts[2], ParseExpression());
      }
    } else {
      keys.push_back(std::move(start));
    }
    if (!IsOp(",")) break;
  }
  ANEMLL_RETURN_IF_ERROR(ExpectOp("]", "to close the subscript"));
  if (slice) {
    auto s = MakeExpr(ExprKind::kSlice, line);
    s->operands.push_back(std::move(node));
    for (auto& p : parts) s->operands.push_back(std::move(p));
    ANEMLL_RETURN_IF_ERROR(Seal(s.get()));
    return s;
  }
  if (keys.empty()) return Error(Cur(), "empty subscript");
  auto item = MakeExpr(ExprKind::kGetItem, line);
  item->operands.push_back(std::move(node));
  if (keys.size() == 1) {
    item->operands.push_back(std::move(keys[0]));
  } else {
    auto tuple = MakeExpr(ExprKind::kTuple, line);
    tuple->operands = std::move(keys);
    item->operands.push_back(std::move(tuple));
  }
  ANEMLL_RETURN_IF_ERROR(Seal(item.get()));
  return item;
}

Status Parser::ParseCallArgs(Expr* call) {
  ANEMLL_RETURN_IF_ERROR(ExpectOp("(", "to start the call arguments"));
  bool first = true;
  while (!IsOp(")")) {
    if (!first) ANEMLL_RETURN_IF_ERROR(ExpectOp(",", "between call arguments"));
    first = false;
    if (IsOp(")")) break;
    if (IsOp("*") || IsOp("**")) {
      return TemplateError(StatusCode::kUnsupported, origin_, Cur().line, "*args and **kwargs in calls are not supported");
    }
    if (Cur().type == TokenType::kName && Peek().type == TokenType::kOperator && Peek().text == "=") {
      std::string key = Cur().text;
      Advance();
      Advance();
      ANEMLL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
      call->kwargs.emplace_back(std::move(key), std::move(value));
      continue;
    }
    if (!call->kwargs.empty()) return Error(Cur(), "positional argument follows keyword argument");
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
    call->operands.push_back(std::move(value));
  }
  Advance();  // )
  return Status::Ok();
}

Result<std::string> Parser::ParseDottedName() {
  ANEMLL_ASSIGN_OR_RETURN(std::string name, ExpectName("for a filter or test"));
  while (IsOp(".") && Peek().type == TokenType::kName) {
    Advance();
    name += "." + Cur().text;
    Advance();
  }
  return name;
}

Result<ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  // `node` is the filtered value; null for a filter chain applied to rendered text.
  while (start_inline || IsOp("|")) {
    if (!start_inline) Advance();
    start_inline = false;
    const int line = Cur().line;
    ANEMLL_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
    auto f = MakeExpr(ExprKind::kFilter, line);
    f->name = name;
    f->filter = FindFilter(name);  // unknown names are judged by CheckNames()
    f->operands.push_back(std::move(node));
    if (IsOp("(")) ANEMLL_RETURN_IF_ERROR(ParseCallArgs(f.get()));
    ANEMLL_RETURN_IF_ERROR(Seal(f.get()));
    node = std::move(f);
  }
  return node;
}

Result<ExprPtr> Parser::ParseTest(ExprPtr node) {
  const int line = Cur().line;
  Advance();  // is
  const bool negated = SkipName("not");
  ANEMLL_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
  auto t = MakeExpr(ExprKind::kTest, line);
  t->name = name;
  t->test = FindTest(name);  // unknown names are judged by CheckNames()
  t->negated = negated;
  t->operands.push_back(std::move(node));
  const Token& c = Cur();
  if (IsOp("(")) {
    ANEMLL_RETURN_IF_ERROR(ParseCallArgs(t.get()));
  } else if ((c.type == TokenType::kName || c.type == TokenType::kString || c.type == TokenType::kInt ||
              c.type == TokenType::kFloat || IsOp("[") || IsOp("{")) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Error(c, "tests cannot be chained with 'is'");
    ANEMLL_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
    ANEMLL_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
    t->operands.push_back(std::move(arg));
  }
  ANEMLL_RETURN_IF_ERROR(Seal(t.get()));
  return t;
}

Result<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      ANEMLL_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node)));
    } else if (IsName("is")) {
      ANEMLL_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
    } else if (IsOp("(")) {
      auto call = MakeExpr(ExprKind::kCall, Cur().line);
      call->operands.push_back(std::move(node));
      ANEMLL_RETURN_IF_ERROR(ParseCallArgs(call.get()));
      ANEMLL_RETURN_IF_ERROR(Seal(call.get()));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

}  // namespace parser_detail
}  // namespace anemll::tokenizer::jinja
