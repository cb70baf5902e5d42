#include "runtime/state_rewrite.h"

#include <map>

namespace anemll::runtime::internal {
namespace {

// The single name bound to `param`, or "" (absent, literal or variadic).
std::string RefOf(const mil::Operation& op, const std::string& param) {
  auto it = op.inputs.find(param);
  if (it == op.inputs.end() || it->second.size() != 1 || it->second[0].is_literal()) return "";
  return it->second[0].name;
}

bool TouchesState(const mil::Operation& op, const std::string& state) {
  return (op.type == "read_state" || op.type == "write_state" || op.type == kStateSliceUpdateOp ||
          op.type == kStateSliceOp) &&
         RefOf(op, "input") == state;
}

bool WritesState(const mil::Operation& op, const std::string& state) {
  return (op.type == "write_state" || op.type == kStateSliceUpdateOp) && RefOf(op, "input") == state;
}

}  // namespace

std::vector<const mil::Operation*> RewriteStateAccess(const mil::Block& block, const std::set<std::string>& states,
                                                      std::deque<mil::Operation>* synthetic) {
  const int n = static_cast<int>(block.operations.size());
  std::vector<const mil::Operation*> ops(n);
  for (int i = 0; i < n; ++i) ops[i] = &block.operations[i];
  if (states.empty()) return ops;

  // Consumers of every value (op indices; n for a block output).
  std::map<std::string, std::vector<int>> uses;
  std::map<std::string, int> def;
  for (int i = 0; i < n; ++i) {
    for (const auto& [param, args] : ops[i]->inputs) {
      for (const mil::Argument& a : args) {
        if (!a.is_literal()) uses[a.name].push_back(i);
      }
    }
    for (const auto& o : ops[i]->outputs) def[o.name] = i;
  }
  for (const std::string& out : block.outputs) uses[out].push_back(n);
  auto only_use = [&](const std::string& v, int at) {
    auto it = uses.find(v);
    return it != uses.end() && it->second.size() == 1 && it->second[0] == at;
  };
  std::vector<bool> removed(n, false);
  // Ops that take the place of a write_state (a chain of in-place slice updates).
  std::map<int, std::vector<const mil::Operation*>> replaced;

  // read_state -> slice_update -> ... -> slice_update -> write_state
  for (int i = 0; i < n; ++i) {
    const mil::Operation& w = *ops[i];
    if (w.type != "write_state") continue;
    const std::string state = RefOf(w, "input");
    if (!states.count(state)) continue;
    std::vector<int> chain;  // slice_update ops, last first
    std::string v = RefOf(w, "data");
    int user = i;
    int k = -1;
    while (!v.empty() && def.count(v) && only_use(v, user)) {
      const int d = def[v];
      if (ops[d]->type == "read_state" && RefOf(*ops[d], "input") == state) {
        k = d;
        break;
      }
      if (ops[d]->type != "slice_update" || ops[d]->outputs.size() != 1) break;
      // The value being updated must not also be its own update/begin/end.
      const std::string x = RefOf(*ops[d], "x");
      int refs = 0;
      for (const auto& [param, args] : ops[d]->inputs) {
        for (const mil::Argument& a : args) refs += !a.is_literal() && a.name == x;
      }
      if (refs != 1) break;
      chain.push_back(d);
      user = d;
      v = x;
    }
    if (k < 0 || chain.empty()) continue;
    bool clean = true;
    for (int m = k + 1; m < i && clean; ++m) {
      // Ops already folded into an earlier chain count as their original write_state.
      clean = !TouchesState(*ops[m], state) || (removed[m] && !replaced.count(m));
    }
    if (!clean) continue;
    std::vector<const mil::Operation*> updates;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      mil::Operation& s = synthetic->emplace_back(*ops[*it]);
      s.type = kStateSliceUpdateOp;
      s.inputs.erase("x");
      s.inputs["input"] = {mil::Argument::Ref(state)};
      s.outputs.clear();
      updates.push_back(&s);
      removed[*it] = true;
    }
    removed[k] = true;
    removed[i] = true;
    replaced[i] = std::move(updates);
  }

  // read_state whose value only feeds slices taken before the next write to the state
  for (int k = 0; k < n; ++k) {
    if (removed[k] || ops[k]->type != "read_state" || ops[k]->outputs.size() != 1) continue;
    const std::string state = RefOf(*ops[k], "input");
    const std::string r = ops[k]->outputs[0].name;
    if (!states.count(state)) continue;
    const auto& consumers = uses[r];
    bool ok = !consumers.empty();
    int last = k;
    for (int c : consumers) {
      ok = ok && c < n && ops[c]->type == "slice_by_index" && RefOf(*ops[c], "x") == r;
      if (ok) {
        // x must be the only binding of r in the slice (not also its begin/end).
        int refs = 0;
        for (const auto& [param, args] : ops[c]->inputs) {
          for (const mil::Argument& a : args) refs += !a.is_literal() && a.name == r;
        }
        ok = refs == 1;
      }
      last = std::max(last, c);
    }
    for (int m = k + 1; ok && m < last; ++m) {
      const bool writes = replaced.count(m) ? RefOf(*ops[m], "input") == state : !removed[m] && WritesState(*ops[m], state);
      ok = !writes;
    }
    if (!ok) continue;
    for (int c : consumers) {
      mil::Operation& s = synthetic->emplace_back(*ops[c]);
      s.type = kStateSliceOp;
      s.inputs.erase("x");
      s.inputs["input"] = {mil::Argument::Ref(state)};
      ops[c] = &s;
    }
    removed[k] = true;
  }

  std::vector<const mil::Operation*> out;
  for (int i = 0; i < n; ++i) {
    auto it = replaced.find(i);
    if (it != replaced.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
    } else if (!removed[i]) {
      out.push_back(ops[i]);
    }
  }
  return out;
}

}  // namespace anemll::runtime::internal
