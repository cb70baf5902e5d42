#include "mil/coreml/references.h"

#include <set>

namespace anemll::mil::coreml {

namespace {

Status CheckBlock(const Block& block, std::set<std::string> defined, const std::string& scope) {
  for (const auto& in : block.inputs) defined.insert(in.name);
  for (const auto& op : block.operations) {
    for (const auto& [param, bindings] : op.inputs) {
      for (const auto& b : bindings) {
        if (!b.is_literal() && !defined.count(b.name)) {
          return FormatError(scope, ": op ", op.name, " (", op.type, ") input ", param, " references value '", b.name,
                             "' that is not defined before it");
        }
      }
    }
    int bi = 0;
    for (const auto& nested : op.blocks) {
      ANEMLL_RETURN_IF_ERROR(CheckBlock(nested, defined, StrCat(scope, ": op ", op.name, " block ", bi++)));
    }
    for (const auto& out : op.outputs) defined.insert(out.name);
  }
  for (const auto& out : block.outputs) {
    if (!defined.count(out)) return FormatError(scope, ": block output '", out, "' is not defined");
  }
  return Status::Ok();
}

}  // namespace

Status CheckReferences(const Program& program) {
  for (const auto& [name, fn] : program.functions) {
    std::set<std::string> defined;
    for (const auto& in : fn.inputs) defined.insert(in.name);
    ANEMLL_RETURN_IF_ERROR(CheckBlock(fn.block, std::move(defined), StrCat("function ", name)));
  }
  return Status::Ok();
}

}  // namespace anemll::mil::coreml
