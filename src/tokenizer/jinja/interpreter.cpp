// Renders a parsed template: statements, scoping (for loops and macros get their own scope, `if`
// does not; namespaces carry state out of loops), expressions, globals, and the bounds (steps,
// output size, macro depth) that keep any input from running away.
#include <cmath>
#include <ctime>
#include <optional>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/error.h"
#include "tokenizer/jinja/parser.h"
#include "tokenizer/jinja/template.h"

namespace anemll::tokenizer::jinja {
namespace {

// Jinja's sandbox refuses larger ranges.
constexpr int64_t kMaxRange = 100000;

struct Scope {
  explicit Scope(std::shared_ptr<Scope> p) : parent(std::move(p)) {}
  std::shared_ptr<Scope> parent;
  Dict vars;

  const Value* Find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get()) {
      if (const Value* v = s->vars.Find(name)) return v;
    }
    return nullptr;
  }
};

enum class Flow { kNormal, kBreak, kContinue };

class Interpreter {
 public:
  Interpreter(const std::string& origin, const RenderOptions& options) : origin_(origin), opts_(options) {}
  ~Interpreter() {
    // Namespaces are the only mutable objects and may hold themselves; empty them so every value
    // is freed.
    for (const Value& ns : namespaces_) ns.namespace_attrs().items.clear();
  }

  Result<std::string> Run(const Body& body, const Dict& context);

 private:
  struct ScopeRestore {
    Interpreter* self;
    std::shared_ptr<Scope> saved;
    ~ScopeRestore() { self->scope_ = std::move(saved); }
  };
  struct OutputRestore {
    Interpreter* self;
    std::string* saved;
    ~OutputRestore() { self->out_ = saved; }
  };

  Status At(int line, const Status& s) const { return TemplateError(s.code(), origin_, line, s.message()); }
  template <typename T>
  Result<T> At(int line, Result<T> r) const {
    if (r.ok()) return r;
    return At(line, r.status());
  }
  Status Tick(int line) {
    if (++steps_ > opts_.max_steps) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, line,
                           StrCat("rendering exceeded ", opts_.max_steps, " evaluation steps"));
    }
    return Status::Ok();
  }
  Status Emit(std::string_view text, int line) {
    if (out_->size() + text.size() > opts_.max_output_bytes) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, line,
                           StrCat("rendered output exceeds ", opts_.max_output_bytes, " bytes"));
    }
    out_->append(text);
    return Status::Ok();
  }

  Status Exec(const Body& body, Flow* flow);
  Status ExecStmt(const Stmt& s, Flow* flow);
  Status ExecFor(const Stmt& s, Flow* flow);
  Result<std::string> Capture(const Body& body, Flow* flow);
  Status Assign(const AssignTarget& target, const Value& value, int line);

  Result<Value> Eval(const Expr& e);
  Result<Value> EvalInner(const Expr& e);
  Result<Value> ApplyFilter(const Expr& e, const Value* input);
  Result<CallArgs> EvalArgs(const Expr& e, size_t first);

  Value MakeMacro(const Stmt& s);
  Result<Value> CallMacro(const Stmt& m, const std::weak_ptr<Scope>& defining, const CallArgs& args);
  void InstallGlobals(Scope* root);

  const std::string& origin_;
  const RenderOptions& opts_;
  std::shared_ptr<Scope> scope_;
  std::string* out_ = nullptr;
  uint64_t steps_ = 0;
  uint64_t built_bytes_ = 0;
  int call_depth_ = 0;
  std::vector<Value> namespaces_;
};

Result<std::string> Interpreter::Run(const Body& body, const Dict& context) {
  auto root = std::make_shared<Scope>(nullptr);
  InstallGlobals(root.get());
  for (const auto& [k, v] : context.items) root->vars.Set(k, v);
  scope_ = root;
  std::string out;
  out_ = &out;
  Flow flow = Flow::kNormal;
  ANEMLL_RETURN_IF_ERROR(Exec(body, &flow));
  scope_.reset();
  return out;
}

Status Interpreter::Exec(const Body& body, Flow* flow) {
  for (const StmtPtr& s : body) {
    ANEMLL_RETURN_IF_ERROR(ExecStmt(*s, flow));
    if (*flow != Flow::kNormal) return Status::Ok();
  }
  return Status::Ok();
}

Result<std::string> Interpreter::Capture(const Body& body, Flow* flow) {
  std::string buffer;
  OutputRestore restore{this, out_};
  out_ = &buffer;
  ANEMLL_RETURN_IF_ERROR(Exec(body, flow));
  return buffer;
}

Status Interpreter::ExecStmt(const Stmt& s, Flow* flow) {
  ANEMLL_RETURN_IF_ERROR(Tick(s.line));
  switch (s.kind) {
    case StmtKind::kText: return Emit(s.text, s.line);
    case StmtKind::kPrint: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
      return Emit(ToPyStr(v), s.line);
    }
    case StmtKind::kIf:
      for (const auto& [cond, body] : s.branches) {
        ANEMLL_ASSIGN_OR_RETURN(Value c, Eval(*cond));
        if (c.Truthy()) return Exec(body, flow);
      }
      return Exec(s.else_body, flow);
    case StmtKind::kFor: return ExecFor(s, flow);
    case StmtKind::kSet: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
      return Assign(s.target, v, s.line);
    }
    case StmtKind::kSetBlock: {
      ANEMLL_ASSIGN_OR_RETURN(std::string text, Capture(s.body, flow));
      if (*flow != Flow::kNormal) return Status::Ok();
      Value v(std::move(text));
      if (s.filters) {
        ANEMLL_ASSIGN_OR_RETURN(v, ApplyFilter(*s.filters, &v));
      }
      return Assign(s.target, v, s.line);
    }
    case StmtKind::kMacro: scope_->vars.Set(s.name, MakeMacro(s)); return Status::Ok();
    case StmtKind::kBreak: *flow = Flow::kBreak; return Status::Ok();
    case StmtKind::kContinue: *flow = Flow::kContinue; return Status::Ok();
    case StmtKind::kFilterBlock: {
      ANEMLL_ASSIGN_OR_RETURN(std::string text, Capture(s.body, flow));
      if (*flow != Flow::kNormal) return Status::Ok();
      const Value input(std::move(text));
      ANEMLL_ASSIGN_OR_RETURN(Value v, ApplyFilter(*s.filters, &input));
      return Emit(ToPyStr(v), s.line);
    }
    case StmtKind::kWith: {
      std::vector<Value> values;
      for (const auto& assign : s.assigns) {
        ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*assign.second));
        values.push_back(std::move(v));
      }
      ScopeRestore restore{this, scope_};
      scope_ = std::make_shared<Scope>(scope_);
      for (size_t k = 0; k < values.size(); ++k) ANEMLL_RETURN_IF_ERROR(Assign(s.assigns[k].first, values[k], s.line));
      return Exec(s.body, flow);
    }
    case StmtKind::kGeneration: return Exec(s.body, flow);
  }
  return Status::Ok();
}

Status Interpreter::ExecFor(const Stmt& s, Flow* outer_flow) {
  ANEMLL_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr));
  ANEMLL_ASSIGN_OR_RETURN(List items, At(s.line, Iterate(iterable)));
  ScopeRestore restore{this, scope_};
  const std::shared_ptr<Scope> outer = scope_;
  if (s.filter) {
    List kept;
    for (const Value& item : items) {
      ANEMLL_RETURN_IF_ERROR(Tick(s.line));
      scope_ = std::make_shared<Scope>(outer);
      ANEMLL_RETURN_IF_ERROR(Assign(s.target, item, s.line));
      ANEMLL_ASSIGN_OR_RETURN(Value keep, Eval(*s.filter));
      if (keep.Truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    scope_ = std::make_shared<Scope>(outer);
    return Exec(s.else_body, outer_flow);
  }
  const auto n = static_cast<int64_t>(items.size());
  // loop.changed(*values) compares with the values of its previous call in this loop.
  auto last_changed = std::make_shared<std::optional<Value>>();
  for (int64_t i = 0; i < n; ++i) {
    ANEMLL_RETURN_IF_ERROR(Tick(s.line));  // an empty body still costs a step per iteration
    scope_ = std::make_shared<Scope>(outer);
    ANEMLL_RETURN_IF_ERROR(Assign(s.target, items[static_cast<size_t>(i)], s.line));
    Flow flow = Flow::kNormal;
    if (!s.uses_loop) {
      ANEMLL_RETURN_IF_ERROR(Exec(s.body, &flow));
      if (flow == Flow::kBreak) break;
      continue;
    }
    Dict loop;
    loop.items.reserve(12);
    loop.items.emplace_back("index", Value(i + 1));
    loop.items.emplace_back("index0", Value(i));
    loop.items.emplace_back("revindex", Value(n - i));
    loop.items.emplace_back("revindex0", Value(n - i - 1));
    loop.items.emplace_back("first", Value(i == 0));
    loop.items.emplace_back("last", Value(i == n - 1));
    loop.items.emplace_back("length", Value(n));
    loop.items.emplace_back("depth", Value(1));
    loop.items.emplace_back("depth0", Value(0));
    if (i > 0) loop.items.emplace_back("previtem", items[static_cast<size_t>(i - 1)]);
    if (i + 1 < n) loop.items.emplace_back("nextitem", items[static_cast<size_t>(i + 1)]);
    loop.items.emplace_back("cycle", Value::MakeCallable("loop.cycle", [i](const CallArgs& a) -> Result<Value> {
      if (a.args.empty()) return InvalidArgument("loop.cycle() needs at least one value");
      return a.args[static_cast<size_t>(i) % a.args.size()];
    }));
    loop.items.emplace_back("changed", Value::MakeCallable("loop.changed", [last_changed](const CallArgs& a) -> Result<Value> {
      Value current = Value::MakeList(a.args, true);
      if (*last_changed && PyEquals(**last_changed, current)) return Value(false);
      *last_changed = std::move(current);
      return Value(true);
    }));
    scope_->vars.Set("loop", Value::MakeDict(std::move(loop)));
    ANEMLL_RETURN_IF_ERROR(Exec(s.body, &flow));
    if (flow == Flow::kBreak) break;
  }
  return Status::Ok();
}

Status Interpreter::Assign(const AssignTarget& target, const Value& value, int line) {
  if (!target.attr.empty()) {
    const Value* ns = scope_->Find(target.names[0]);
    if (!ns || !ns->is_namespace()) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, line,
                           StrCat("cannot assign attribute '", target.attr, "' on non-namespace object '", target.names[0], "'"));
    }
    if (value.depth() + 1 > kMaxNesting) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, line, "value nested too deeply");
    }
    ns->namespace_attrs().Set(target.attr, value);
    return Status::Ok();
  }
  if (!target.is_tuple) {
    scope_->vars.Set(target.names[0], value);
    return Status::Ok();
  }
  ANEMLL_ASSIGN_OR_RETURN(List parts, At(line, Iterate(value)));
  if (parts.size() != target.names.size()) {
    return TemplateError(StatusCode::kInvalidArgument, origin_, line,
                         parts.size() < target.names.size()
                             ? StrCat("not enough values to unpack (expected ", target.names.size(), ", got ", parts.size(), ")")
                             : StrCat("too many values to unpack (expected ", target.names.size(), ")"));
  }
  for (size_t k = 0; k < parts.size(); ++k) scope_->vars.Set(target.names[k], parts[k]);
  return Status::Ok();
}

Result<Value> Interpreter::Eval(const Expr& e) {
  ANEMLL_RETURN_IF_ERROR(Tick(e.line));
  ANEMLL_ASSIGN_OR_RETURN(Value v, EvalInner(e));
  if (v.is_string() && (e.kind == ExprKind::kBinary || e.kind == ExprKind::kFilter || e.kind == ExprKind::kCall ||
                        e.kind == ExprKind::kSlice)) {
    built_bytes_ += v.str().size();
    if (built_bytes_ > opts_.max_built_bytes) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, e.line,
                           StrCat("rendering built more than ", opts_.max_built_bytes, " bytes of strings"));
    }
  }
  if (v.depth() > kMaxNesting) {
    return TemplateError(StatusCode::kInvalidArgument, origin_, e.line,
                         StrCat("value nested deeper than ", kMaxNesting, " levels"));
  }
  return v;
}

Result<CallArgs> Interpreter::EvalArgs(const Expr& e, size_t first) {
  CallArgs args;
  for (size_t k = first; k < e.operands.size(); ++k) {
    ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[k]));
    args.args.push_back(std::move(v));
  }
  for (const auto& [name, expr] : e.kwargs) {
    ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*expr));
    args.kwargs.emplace_back(name, std::move(v));
  }
  return args;
}

Result<Value> Interpreter::ApplyFilter(const Expr& e, const Value* input) {
  Value v;
  const Expr* base = e.operands[0].get();
  if (!base) {
    if (!input) return At(e.line, Internal("filter without input"));
    v = *input;
  } else if (input && base->kind == ExprKind::kFilter) {
    ANEMLL_ASSIGN_OR_RETURN(v, ApplyFilter(*base, input));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(v, Eval(*base));
  }
  ANEMLL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
  if (!e.filter) return At(e.line, InvalidArgument("no filter named '", e.name, "'"));
  return At(e.line, e.filter(v, args));
}

Result<Value> Interpreter::EvalInner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: return e.literal;
    case ExprKind::kName: {
      if (const Value* v = scope_->Find(e.name)) return *v;
      return Value::Undefined(StrCat("'", e.name, "' is undefined"));
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      List items;
      items.reserve(e.operands.size());
      for (const ExprPtr& op : e.operands) {
        ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*op));
        items.push_back(std::move(v));
      }
      return Value::MakeList(std::move(items), e.kind == ExprKind::kTuple);
    }
    case ExprKind::kDict: {
      Dict d;
      for (size_t k = 0; k + 1 < e.operands.size(); k += 2) {
        ANEMLL_ASSIGN_OR_RETURN(Value key, Eval(*e.operands[k]));
        if (!key.is_string()) {
          return TemplateError(StatusCode::kUnsupported, origin_, e.line,
                               StrCat("dict keys must be strings, not ", key.TypeName()));
        }
        ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[k + 1]));
        d.Set(key.str(), std::move(v));
      }
      return Value::MakeDict(std::move(d));
    }
    case ExprKind::kGetAttr: {
      ANEMLL_ASSIGN_OR_RETURN(Value obj, Eval(*e.operands[0]));
      return At(e.line, GetAttr(obj, e.name));
    }
    case ExprKind::kGetItem: {
      ANEMLL_ASSIGN_OR_RETURN(Value obj, Eval(*e.operands[0]));
      ANEMLL_ASSIGN_OR_RETURN(Value key, Eval(*e.operands[1]));
      return At(e.line, GetItem(obj, key));
    }
    case ExprKind::kSlice: {
      ANEMLL_ASSIGN_OR_RETURN(Value obj, Eval(*e.operands[0]));
      Value parts[3] = {Value::None(), Value::None(), Value::None()};
      for (int k = 0; k < 3; ++k) {
        if (e.operands[static_cast<size_t>(k) + 1]) {
          ANEMLL_ASSIGN_OR_RETURN(parts[k], Eval(*e.operands[static_cast<size_t>(k) + 1]));
        }
      }
      return At(e.line, GetSlice(obj, parts[0], parts[1], parts[2]));
    }
    case ExprKind::kCall: {
      ANEMLL_ASSIGN_OR_RETURN(Value callee, Eval(*e.operands[0]));
      ANEMLL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      if (callee.is_callable() && callee.callable().is_macro) return callee.callable().fn(args);
      return At(e.line, CallValue(callee, args));
    }
    case ExprKind::kFilter: return ApplyFilter(e, nullptr);
    case ExprKind::kTest: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[0]));
      ANEMLL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      if (!e.test) return At(e.line, InvalidArgument("no test named '", e.name, "'"));
      ANEMLL_ASSIGN_OR_RETURN(bool r, At(e.line, e.test(v, args)));
      return Value(r != e.negated);
    }
    case ExprKind::kNeg: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[0]));
      return At(e.line, Negate(v));
    }
    case ExprKind::kPos: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[0]));
      if (v.is_undefined()) return At(e.line, InvalidArgument(v.undefined_hint()));
      if (!v.is_number()) return At(e.line, InvalidArgument("bad operand type for unary +: '", v.TypeName(), "'"));
      return v.is_bool() ? Value(v.int_value()) : v;
    }
    case ExprKind::kNot: {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*e.operands[0]));
      return Value(!v.Truthy());
    }
    case ExprKind::kBinary: {
      ANEMLL_ASSIGN_OR_RETURN(Value a, Eval(*e.operands[0]));
      ANEMLL_ASSIGN_OR_RETURN(Value b, Eval(*e.operands[1]));
      return At(e.line, BinaryOp(e.name, a, b));
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      ANEMLL_ASSIGN_OR_RETURN(Value a, Eval(*e.operands[0]));
      if (a.Truthy() == (e.kind == ExprKind::kOr)) return a;
      return Eval(*e.operands[1]);
    }
    case ExprKind::kCompare: {
      ANEMLL_ASSIGN_OR_RETURN(Value left, Eval(*e.operands[0]));
      for (size_t k = 0; k < e.compare_ops.size(); ++k) {
        ANEMLL_ASSIGN_OR_RETURN(Value right, Eval(*e.operands[k + 1]));
        ANEMLL_ASSIGN_OR_RETURN(bool r, At(e.line, Compare(e.compare_ops[k], left, right)));
        if (!r) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case ExprKind::kCond: {
      ANEMLL_ASSIGN_OR_RETURN(Value c, Eval(*e.operands[0]));
      if (c.Truthy()) return Eval(*e.operands[1]);
      if (e.operands[2]) return Eval(*e.operands[2]);
      return Value::Undefined(StrCat("the inline if-expression on line ", e.line,
                                     " evaluated to false and no else section was defined"));
    }
  }
  return At(e.line, Internal("unknown expression kind"));
}

Value Interpreter::MakeMacro(const Stmt& s) {
  // The defining scope is held weakly: it stores the macro, so a strong reference would be a cycle.
  std::weak_ptr<Scope> defining = scope_;
  const Stmt* stmt = &s;
  return Value::MakeCallable(
      s.name, [this, stmt, defining](const CallArgs& args) { return CallMacro(*stmt, defining, args); }, true);
}

Result<Value> Interpreter::CallMacro(const Stmt& m, const std::weak_ptr<Scope>& defining, const CallArgs& args) {
  std::shared_ptr<Scope> parent = defining.lock();
  if (!parent) {
    return TemplateError(StatusCode::kInvalidArgument, origin_, m.line,
                         StrCat("macro '", m.name, "' called after the scope that defined it ended"));
  }
  if (call_depth_ >= opts_.max_call_depth) {
    return TemplateError(StatusCode::kInvalidArgument, origin_, m.line,
                         StrCat("macro '", m.name, "': calls nested deeper than ", opts_.max_call_depth));
  }
  struct DepthRestore {
    int* depth;
    ~DepthRestore() { --*depth; }
  } depth_restore{&call_depth_};
  ++call_depth_;
  auto scope = std::make_shared<Scope>(parent);
  std::vector<bool> bound(m.params.size(), false);
  List varargs;
  Dict kwargs;
  for (size_t k = 0; k < args.args.size(); ++k) {
    if (k < m.params.size()) {
      scope->vars.Set(m.params[k].first, args.args[k]);
      bound[k] = true;
    } else {
      varargs.push_back(args.args[k]);
    }
  }
  for (const auto& [name, value] : args.kwargs) {
    size_t k = 0;
    while (k < m.params.size() && m.params[k].first != name) ++k;
    if (k == m.params.size()) {
      kwargs.Set(name, value);
      continue;
    }
    if (bound[k]) {
      return TemplateError(StatusCode::kInvalidArgument, origin_, m.line,
                           StrCat("macro '", m.name, "' got multiple values for argument '", name, "'"));
    }
    scope->vars.Set(name, value);
    bound[k] = true;
  }
  ScopeRestore restore{this, scope_};
  scope_ = scope;
  for (size_t k = 0; k < m.params.size(); ++k) {
    if (bound[k]) continue;
    if (m.params[k].second) {
      ANEMLL_ASSIGN_OR_RETURN(Value v, Eval(*m.params[k].second));
      scope->vars.Set(m.params[k].first, std::move(v));
    } else {
      scope->vars.Set(m.params[k].first, Value::Undefined(StrCat("parameter '", m.params[k].first, "' was not provided")));
    }
  }
  scope->vars.Set("varargs", Value::MakeList(std::move(varargs), true));
  scope->vars.Set("kwargs", Value::MakeDict(std::move(kwargs)));
  Flow flow = Flow::kNormal;
  ANEMLL_ASSIGN_OR_RETURN(std::string text, Capture(m.body, &flow));
  return Value(std::move(text));
}

Result<Value> Range(const CallArgs& args) {
  if (!args.kwargs.empty()) return InvalidArgument("range() takes no keyword arguments");
  if (args.args.empty() || args.args.size() > 3) return InvalidArgument("range expected 1 to 3 arguments, got ", args.args.size());
  for (const Value& a : args.args) {
    if (!a.is_integral()) return InvalidArgument("range(): '", a.TypeName(), "' object cannot be interpreted as an integer");
  }
  int64_t start = 0, stop = 0, step = 1;
  if (args.args.size() == 1) {
    stop = args.args[0].int_value();
  } else {
    start = args.args[0].int_value();
    stop = args.args[1].int_value();
    if (args.args.size() == 3) step = args.args[2].int_value();
  }
  if (step == 0) return InvalidArgument("range() arg 3 must not be zero");
  const double count = step > 0 ? std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step))
                                : std::ceil((static_cast<double>(start) - static_cast<double>(stop)) / -static_cast<double>(step));
  if (count > static_cast<double>(kMaxRange)) {
    return InvalidArgument("range too big: the sandbox blocks ranges larger than ", kMaxRange);
  }
  List items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.emplace_back(i);
  return Value::MakeList(std::move(items));
}

Result<Value> DictGlobal(const CallArgs& args) {
  Dict d;
  if (args.args.size() > 1) return InvalidArgument("dict expected at most 1 argument, got ", args.args.size());
  if (args.args.size() == 1) {
    const Value& src = args.args[0];
    if (src.is_dict()) {
      d = src.dict();
    } else {
      ANEMLL_ASSIGN_OR_RETURN(List pairs, Iterate(src));
      for (const Value& p : pairs) {
        if (!p.is_list() || p.list().size() != 2 || !p.list()[0].is_string()) {
          return InvalidArgument("dict(): expected (str, value) pairs");
        }
        d.Set(p.list()[0].str(), p.list()[1]);
      }
    }
  }
  for (const auto& [k, v] : args.kwargs) d.Set(k, v);
  return Value::MakeDict(std::move(d));
}

void Interpreter::InstallGlobals(Scope* root) {
  root->vars.Set("range", Value::MakeCallable("range", Range));
  root->vars.Set("dict", Value::MakeCallable("dict", DictGlobal));
  root->vars.Set("namespace", Value::MakeCallable("namespace", [this](const CallArgs& args) -> Result<Value> {
    Dict attrs;
    if (args.args.size() > 1) return InvalidArgument("namespace() takes at most one positional argument");
    if (args.args.size() == 1) {
      if (!args.args[0].is_dict()) return InvalidArgument("namespace(): the positional argument must be a dict");
      attrs = args.args[0].dict();
    }
    for (const auto& [k, v] : args.kwargs) attrs.Set(k, v);
    Value ns = Value::MakeNamespace(std::move(attrs));
    namespaces_.push_back(ns);
    return ns;
  }));
  root->vars.Set("raise_exception", Value::MakeCallable("raise_exception", [](const CallArgs& args) -> Result<Value> {
    return InvalidArgument(args.args.empty() ? std::string("raise_exception() called") : ToPyStr(args.args[0]));
  }));
  root->vars.Set("strftime_now", Value::MakeCallable("strftime_now", [this](const CallArgs& args) -> Result<Value> {
    ANEMLL_ASSIGN_OR_RETURN(auto a, BindArgs("strftime_now()", args, {{"format", std::nullopt}}));
    if (!a[0].is_string()) return InvalidArgument("strftime_now(): the format must be a string");
    const std::time_t t = opts_.now ? *opts_.now : std::time(nullptr);
    std::tm local{};
    if (!localtime_r(&t, &local)) return InvalidArgument("strftime_now(): cannot convert the time");
    if (a[0].str().empty()) return Value("");
    for (size_t size = 256; size <= 65536; size *= 4) {
      std::string buf(size, '\0');
      const size_t n = std::strftime(buf.data(), buf.size(), a[0].str().c_str(), &local);
      if (n > 0) {
        buf.resize(n);
        return Value(std::move(buf));
      }
    }
    return Value("");
  }));
}

}  // namespace

Result<Template> Template::Parse(std::string_view source, std::string origin) {
  ANEMLL_ASSIGN_OR_RETURN(Body body, ParseTemplate(source, origin));
  Template t;
  t.origin_ = std::move(origin);
  t.body_ = std::make_shared<const Body>(std::move(body));
  return t;
}

Result<std::string> Template::Render(const Dict& context, const RenderOptions& options) const {
  if (!body_) return Internal("template ", origin_, ": rendering a template that was never parsed");
  Interpreter interpreter(origin_, options);
  return interpreter.Run(*body_, context);
}

}  // namespace anemll::tokenizer::jinja
