#include "runtime/op_fusion.h"

#include <map>
#include <optional>
#include <string>

#include "runtime/plan.h"

namespace anemll::runtime::internal {
namespace {

using mil::Argument;
using mil::Literal;
using mil::Operation;
using mil::TensorType;

// The ops' values: defining op, consumers (op indices; ops.size() for a block output), declared
// types and constant values.
struct Graph {
  const std::vector<const Operation*>& ops;
  std::map<std::string, int> def;
  std::map<std::string, std::vector<int>> uses;
  std::map<std::string, const TensorType*> types;
  std::map<std::string, const Literal*> consts;

  Graph(const std::vector<const Operation*>& list, const mil::Function& fn) : ops(list) {
    for (const mil::NamedValueType& in : fn.inputs) {
      if (in.type.kind == mil::ValueType::Kind::kTensor) types[in.name] = &in.type.tensor;
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      const Operation& op = *ops[i];
      for (const auto& [param, args] : op.inputs) {
        for (const Argument& a : args) {
          if (!a.is_literal()) uses[a.name].push_back(static_cast<int>(i));
        }
      }
      for (const mil::NamedValueType& o : op.outputs) {
        def[o.name] = static_cast<int>(i);
        if (o.type.kind == mil::ValueType::Kind::kTensor) types[o.name] = &o.type.tensor;
      }
      if (op.type == "const" && op.outputs.size() == 1) {
        auto it = op.attributes.find("val");
        if (it != op.attributes.end()) consts[op.outputs[0].name] = &it->second;
      }
    }
    for (const std::string& out : fn.block.outputs) uses[out].push_back(static_cast<int>(ops.size()));
  }

  // The op defining `value`, if it is `type` (else nullptr); its index in *at.
  const Operation* Def(const std::string& value, const char* type, int* at) const {
    auto it = def.find(value);
    if (it == def.end() || ops[static_cast<size_t>(it->second)]->type != type) return nullptr;
    *at = it->second;
    return ops[static_cast<size_t>(it->second)];
  }
  // The single consumer of `value`, if it is `type` and the value is not a block output.
  const Operation* OnlyUse(const std::string& value, const char* type, int* at) const {
    auto it = uses.find(value);
    if (it == uses.end() || it->second.size() != 1 || it->second[0] >= static_cast<int>(ops.size())) return nullptr;
    const Operation* op = ops[static_cast<size_t>(it->second[0])];
    if (op->type != type) return nullptr;
    *at = it->second[0];
    return op;
  }
  // The literal behind an argument (inline or a const op), or nullptr.
  const Literal* Const(const Argument* a) const {
    if (a == nullptr) return nullptr;
    if (a->is_literal()) return a->literal.get();
    auto it = consts.find(a->name);
    return it == consts.end() ? nullptr : it->second;
  }
  const Literal* ConstParam(const Operation& op, const std::string& param) const { return Const(op.Input(param)); }
  // A static declared shape, or nullopt.
  std::optional<std::vector<int64_t>> StaticShape(const std::string& value) const {
    auto it = types.find(value);
    return it == types.end() ? std::nullopt : Static(*it->second);
  }
  // The static shape of an argument (an inline literal or a value), or nullopt.
  std::optional<std::vector<int64_t>> StaticShape(const Argument& a) const {
    return a.is_literal() ? Static(a.literal->type.tensor) : StaticShape(a.name);
  }
  static std::optional<std::vector<int64_t>> Static(const TensorType& t) {
    if (t.unknown_rank || t.has_unknown_dims()) return std::nullopt;
    return t.shape;
  }
};

std::string Ref(const Operation& op, const std::string& param) {
  const Argument* a = op.Input(param);
  return a == nullptr || a->is_literal() ? std::string() : a->name;
}

std::string Output(const Operation& op) { return op.outputs.size() == 1 ? op.outputs[0].name : std::string(); }

// Whether every element of a small literal equals `v` (an absent literal counts when `absent_ok`).
bool AllEqual(const Literal* lit, int64_t v, bool absent_ok) {
  if (lit == nullptr) return absent_ok;
  const int64_t n = lit->num_elements();
  if (n < 0) return false;
  for (int64_t i = 0; i < n; ++i) {
    if (lit->GetDouble(i) != static_cast<double>(v)) return false;
  }
  return true;
}

// The other operand of a binary op when one of x/y is `value`; "" if neither or both.
const Argument* OtherOperand(const Operation& op, const std::string& value) {
  const Argument* x = op.Input("x");
  const Argument* y = op.Input("y");
  if (x == nullptr || y == nullptr) return nullptr;
  const bool is_x = !x->is_literal() && x->name == value;
  const bool is_y = !y->is_literal() && y->name == value;
  if (is_x == is_y) return nullptr;
  return is_x ? y : x;
}

// Whether a static `shape` broadcasts to `to` without changing it (right-aligned, dims equal or 1).
bool BroadcastsTo(const std::vector<int64_t>& shape, const std::vector<int64_t>& to) {
  if (shape.size() > to.size()) return false;
  const size_t lead = to.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != 1 && shape[d] != to[lead + d]) return false;
  }
  return true;
}

// Matches the RMSNorm chain ending at the layer_norm ops[l]; fills the fused op and the chain's
// op indices (the final mul last).
bool MatchRmsNorm(const Graph& g, int l, Operation* fused, std::vector<int>* chain) {
  const Operation& ln = *g.ops[static_cast<size_t>(l)];
  if (ln.Input("gamma") || ln.Input("beta") || !ln.Input("epsilon")) return false;
  const std::string cat_out = Ref(ln, "x");
  int k = -1, m = -1, s = -1, gm = -1;
  const Operation* cat = g.Def(cat_out, "concat", &k);
  if (cat == nullptr || g.OnlyUse(cat_out, "layer_norm", &l) == nullptr) return false;
  auto values = cat->inputs.find("values");
  if (values == cat->inputs.end() || values->second.size() != 2 || values->second[0].is_literal() ||
      values->second[1].is_literal()) {
    return false;
  }
  const std::string x = values->second[0].name, neg_out = values->second[1].name;
  const auto shape = g.StaticShape(x);
  if (!shape || shape->empty()) return false;
  const int64_t rank = static_cast<int64_t>(shape->size());
  const Literal* axis = g.ConstParam(*cat, "axis");
  if (axis == nullptr || axis->num_elements() != 1 ||
      (axis->GetInt() != rank - 1 && axis->GetInt() != -1) || !AllEqual(g.ConstParam(*cat, "interleave"), 0, true)) {
    return false;
  }
  const Operation* neg = g.Def(neg_out, "mul", &m);
  if (neg == nullptr || g.OnlyUse(neg_out, "concat", &k) == nullptr) return false;
  const Argument* minus_one = OtherOperand(*neg, x);
  const Literal* minus_one_value = g.Const(minus_one);
  if (minus_one_value == nullptr || minus_one_value->num_elements() != 1 || minus_one_value->GetDouble() != -1.0) {
    return false;
  }
  const Literal* axes = g.ConstParam(ln, "axes");
  if (axes == nullptr || axes->num_elements() != 1 || (axes->GetInt() != rank - 1 && axes->GetInt() != -1)) {
    return false;
  }
  const std::string ln_out = Output(ln);
  const Operation* slice = g.OnlyUse(ln_out, "slice_by_index", &s);
  if (slice == nullptr || Ref(*slice, "x") != ln_out) return false;
  const Literal* begin = g.ConstParam(*slice, "begin");
  const Literal* end = g.ConstParam(*slice, "end");
  if (!AllEqual(begin, 0, false) || end == nullptr || end->num_elements() != rank) return false;
  for (int64_t d = 0; d < rank; ++d) {
    if (end->GetInt(d) != (*shape)[static_cast<size_t>(d)]) return false;
  }
  if (!AllEqual(g.ConstParam(*slice, "stride"), 1, true) || !AllEqual(g.ConstParam(*slice, "begin_mask"), 0, true) ||
      !AllEqual(g.ConstParam(*slice, "end_mask"), 0, true) || !AllEqual(g.ConstParam(*slice, "squeeze_mask"), 0, true)) {
    return false;
  }
  const std::string half = Output(*slice);
  const Operation* mul = g.OnlyUse(half, "mul", &gm);
  if (mul == nullptr || mul->outputs.size() != 1) return false;
  const Argument* gain = OtherOperand(*mul, half);
  if (gain == nullptr) return false;
  // The gain must broadcast along the last axis only: one value per element of it.
  const auto gain_shape = g.StaticShape(*gain);
  if (!gain_shape || !BroadcastsTo(*gain_shape, *shape) || NumElements(*gain_shape) != shape->back() ||
      (!gain_shape->empty() && gain_shape->back() != shape->back())) {
    return false;
  }
  const auto out_shape = g.StaticShape(Output(*mul));
  if (out_shape && *out_shape != *shape) return false;

  fused->type = kRmsNormOp;
  fused->name = mul->name;
  fused->inputs = {{"x", {Argument::Ref(x)}}, {"gain", {*gain}}, {"epsilon", {*ln.Input("epsilon")}}};
  fused->outputs = mul->outputs;
  *chain = {m, k, l, s, gm};
  return true;
}

// The half of the last axis a slice_by_index of `x` (static `shape`) takes: 0 first, 1 second, -1
// neither.
int SliceHalf(const Graph& g, const Operation& slice, const std::string& x, const std::vector<int64_t>& shape) {
  if (Ref(slice, "x") != x) return -1;
  if (!AllEqual(g.ConstParam(slice, "stride"), 1, true) || !AllEqual(g.ConstParam(slice, "begin_mask"), 0, true) ||
      !AllEqual(g.ConstParam(slice, "end_mask"), 0, true) || !AllEqual(g.ConstParam(slice, "squeeze_mask"), 0, true)) {
    return -1;
  }
  const Literal* begin = g.ConstParam(slice, "begin");
  const Literal* end = g.ConstParam(slice, "end");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (begin == nullptr || end == nullptr || begin->num_elements() != rank || end->num_elements() != rank) return -1;
  for (int64_t d = 0; d + 1 < rank; ++d) {
    if (begin->GetInt(d) != 0 || end->GetInt(d) != shape[static_cast<size_t>(d)]) return -1;
  }
  const int64_t h = shape.back() / 2;
  if (begin->GetInt(rank - 1) == 0 && end->GetInt(rank - 1) == h) return 0;
  if (begin->GetInt(rank - 1) == h && end->GetInt(rank - 1) == 2 * h) return 1;
  return -1;
}

// Matches the rotary embedding ending at the add ops[a]:
//   x1 = first half of x; x2 = second half; n = mul(x2, -1); r = concat([n, x1], axis=-1);
//   p = mul(x, cos); q = mul(r, sin); y = add(p, q)
bool MatchRope(const Graph& g, int a, Operation* fused, std::vector<int>* chain) {
  const Operation& add = *g.ops[static_cast<size_t>(a)];
  if (add.outputs.size() != 1) return false;
  // One addend is mul(x, cos), the other mul(concat, sin).
  for (const char* first : {"x", "y"}) {
    const std::string p_out = Ref(add, first), q_out = Ref(add, first[0] == 'x' ? "y" : "x");
    int p = -1, q = -1, r = -1, n = -1, s1 = -1, s2 = -1;
    const Operation* pm = g.Def(p_out, "mul", &p);
    const Operation* qm = g.Def(q_out, "mul", &q);
    if (pm == nullptr || qm == nullptr || p_out == q_out || g.OnlyUse(p_out, "add", &a) == nullptr ||
        g.OnlyUse(q_out, "add", &a) == nullptr) {
      continue;
    }
    // q = mul(r, sin) with r a concat.
    std::string rot;
    const Argument* sin = nullptr;
    for (const char* side : {"x", "y"}) {
      const std::string v = Ref(*qm, side);
      int at = -1;
      if (!v.empty() && g.Def(v, "concat", &at) != nullptr) {
        rot = v;
        r = at;
        sin = qm->Input(side[0] == 'x' ? "y" : "x");
      }
    }
    if (rot.empty() || sin == nullptr || g.OnlyUse(rot, "mul", &q) == nullptr) continue;
    const Operation& cat = *g.ops[static_cast<size_t>(r)];
    auto values = cat.inputs.find("values");
    if (values == cat.inputs.end() || values->second.size() != 2 || values->second[0].is_literal() ||
        values->second[1].is_literal() || !AllEqual(g.ConstParam(cat, "interleave"), 0, true)) {
      continue;
    }
    const std::string neg_out = values->second[0].name, x1 = values->second[1].name;
    const Operation* neg = g.Def(neg_out, "mul", &n);
    const Operation* first_half = g.Def(x1, "slice_by_index", &s1);
    if (neg == nullptr || first_half == nullptr || g.OnlyUse(neg_out, "concat", &r) == nullptr ||
        g.OnlyUse(x1, "concat", &r) == nullptr) {
      continue;
    }
    // neg = mul(x2, -1) with x2 the second half of x.
    std::string x2;
    for (const char* side : {"x", "y"}) {
      const Literal* c = g.ConstParam(*neg, side[0] == 'x' ? "y" : "x");
      if (c != nullptr && c->num_elements() == 1 && c->GetDouble() == -1.0) x2 = Ref(*neg, side);
    }
    const Operation* second_half = x2.empty() ? nullptr : g.Def(x2, "slice_by_index", &s2);
    if (second_half == nullptr || g.OnlyUse(x2, "mul", &n) == nullptr) continue;
    const std::string x = Ref(*first_half, "x");
    const auto shape = g.StaticShape(x);
    if (!shape || shape->empty() || shape->back() % 2 != 0) continue;
    const int64_t rank = static_cast<int64_t>(shape->size());
    const Literal* axis = g.ConstParam(cat, "axis");
    if (axis == nullptr || axis->num_elements() != 1 || (axis->GetInt() != rank - 1 && axis->GetInt() != -1)) continue;
    if (SliceHalf(g, *first_half, x, *shape) != 0 || SliceHalf(g, *second_half, x, *shape) != 1) continue;
    // p = mul(x, cos).
    const Argument* cos = OtherOperand(*pm, x);
    if (cos == nullptr) continue;
    // cos and sin broadcast to x's shape; the result has x's shape.
    bool shapes_ok = true;
    for (const Argument* t : {cos, sin}) {
      const auto ts = g.StaticShape(*t);
      shapes_ok = shapes_ok && ts && BroadcastsTo(*ts, *shape);
    }
    const auto out_shape = g.StaticShape(Output(add));
    if (!shapes_ok || (out_shape && *out_shape != *shape)) continue;
    fused->type = kRopeOp;
    fused->name = add.name;
    fused->inputs = {{"x", {Argument::Ref(x)}}, {"cos", {*cos}}, {"sin", {*sin}}};
    fused->outputs = add.outputs;
    *chain = {s1, s2, n, r, p, q, a};
    return true;
  }
  return false;
}

}  // namespace

std::vector<const mil::Operation*> FuseOps(const std::vector<const mil::Operation*>& ops,
                                           const mil::Function& function, std::deque<mil::Operation>* synthetic) {
  const Graph g(ops, function);
  std::vector<const Operation*> replacement(ops.size(), nullptr);
  std::vector<bool> removed(ops.size(), false);
  for (size_t i = 0; i < ops.size(); ++i) {
    Operation fused;
    std::vector<int> chain;
    const bool matched = (ops[i]->type == "layer_norm" && MatchRmsNorm(g, static_cast<int>(i), &fused, &chain)) ||
                         (ops[i]->type == "add" && MatchRope(g, static_cast<int>(i), &fused, &chain));
    if (!matched) continue;
    bool free = true;
    for (int c : chain) free = free && !removed[static_cast<size_t>(c)];
    if (!free) continue;
    for (int c : chain) removed[static_cast<size_t>(c)] = true;
    replacement[static_cast<size_t>(chain.back())] = &synthetic->emplace_back(std::move(fused));
  }
  std::vector<const Operation*> out;
  out.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (replacement[i] != nullptr) {
      out.push_back(replacement[i]);
    } else if (!removed[i]) {
      out.push_back(ops[i]);
    }
  }
  return out;
}

}  // namespace anemll::runtime::internal
