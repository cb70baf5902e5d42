#include "mil/coreml/compare.h"

#include "base/status.h"

namespace anemll::mil::coreml {

namespace {

std::string CompareArgs(const std::vector<Argument>& a, const std::vector<Argument>& b) {
  if (a.size() != b.size()) return StrCat(a.size(), " vs ", b.size(), " bindings");
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_literal() != b[i].is_literal()) return StrCat("binding ", i, ": name vs literal");
    if (!a[i].is_literal()) {
      if (a[i].name != b[i].name) return StrCat("binding ", i, ": '", a[i].name, "' vs '", b[i].name, "'");
    } else if (!a[i].literal || !b[i].literal || !a[i].literal->SameValue(*b[i].literal)) {
      return StrCat("binding ", i, ": literal values differ");
    }
  }
  return "";
}

std::string CompareBlock(const Block& a, const Block& b, const std::string& scope) {
  if (!(a.inputs == b.inputs)) return scope + ": block inputs differ";
  if (a.outputs != b.outputs) return scope + ": block outputs differ";
  if (a.operations.size() != b.operations.size()) {
    return StrCat(scope, ": ", a.operations.size(), " vs ", b.operations.size(), " operations");
  }
  for (size_t i = 0; i < a.operations.size(); ++i) {
    const Operation& x = a.operations[i];
    const Operation& y = b.operations[i];
    const std::string where = StrCat(scope, ": op ", i, " (", x.type, " ", x.name, ")");
    if (x.type != y.type || x.name != y.name) return StrCat(where, ": vs (", y.type, " ", y.name, ")");
    if (!(x.outputs == y.outputs)) return where + ": outputs differ";
    if (x.inputs.size() != y.inputs.size()) return where + ": different parameters";
    for (const auto& [param, args] : x.inputs) {
      auto it = y.inputs.find(param);
      if (it == y.inputs.end()) return StrCat(where, ": input ", param, " missing");
      std::string d = CompareArgs(args, it->second);
      if (!d.empty()) return StrCat(where, ": input ", param, ": ", d);
    }
    if (x.attributes.size() != y.attributes.size()) return where + ": different attributes";
    for (const auto& [key, lit] : x.attributes) {
      auto it = y.attributes.find(key);
      if (it == y.attributes.end()) return StrCat(where, ": attribute ", key, " missing");
      if (!lit.SameValue(it->second)) return StrCat(where, ": attribute ", key, " differs");
    }
    if (x.blocks.size() != y.blocks.size()) return where + ": different nested blocks";
    for (size_t k = 0; k < x.blocks.size(); ++k) {
      std::string d = CompareBlock(x.blocks[k], y.blocks[k], StrCat(where, " block ", k));
      if (!d.empty()) return d;
    }
  }
  return "";
}

}  // namespace

std::string FirstDifference(const Program& a, const Program& b) {
  if (a.version != b.version) return StrCat("program version ", a.version, " vs ", b.version);
  if (a.functions.size() != b.functions.size()) {
    return StrCat(a.functions.size(), " vs ", b.functions.size(), " functions");
  }
  for (const auto& [name, fa] : a.functions) {
    auto it = b.functions.find(name);
    if (it == b.functions.end()) return StrCat("function ", name, " missing");
    const Function& fb = it->second;
    const std::string scope = StrCat("function ", name);
    if (fa.opset != fb.opset) return StrCat(scope, ": opset ", fa.opset, " vs ", fb.opset);
    if (!(fa.inputs == fb.inputs)) return scope + ": inputs differ";
    std::string d = CompareBlock(fa.block, fb.block, scope);
    if (!d.empty()) return d;
  }
  if (a.attributes.size() != b.attributes.size()) return "program attributes differ";
  for (const auto& [key, lit] : a.attributes) {
    auto it = b.attributes.find(key);
    if (it == b.attributes.end() || !lit.SameValue(it->second)) return StrCat("program attribute ", key, " differs");
  }
  return "";
}

std::string FirstDifference(const Model& a, const Model& b) {
  if (a.specification_version != b.specification_version) {
    return StrCat("specification version ", a.specification_version, " vs ", b.specification_version);
  }
  const auto& da = a.description;
  const auto& db = b.description;
  if (!(da.metadata == db.metadata)) return "metadata differs";
  if (da.default_function_name != db.default_function_name) return "default function differs";
  if (!(da.inputs == db.inputs) || !(da.outputs == db.outputs) || !(da.states == db.states)) {
    return "description inputs/outputs/states differ";
  }
  if (!(da.functions == db.functions)) return "description functions differ";
  return FirstDifference(a.program, b.program);
}

}  // namespace anemll::mil::coreml
