// Programs: milspec::Program / Function / Block / Operation <-> mil::Program.
#include "base/log.h"
#include "mil/coreml/proto_convert.h"

namespace anemll::mil::coreml {

namespace {

Result<NamedValueType> NamedValueTypeFromProto(const milspec::NamedValueType& p, const std::string& what) {
  NamedValueType out;
  out.name = p.name();
  if (out.name.empty()) return FormatError(what, ": value without a name");
  if (!p.has_type()) return FormatError(what, ": value ", out.name, " has no type");
  ANEMLL_ASSIGN_OR_RETURN(out.type, ValueTypeFromProto(p.type(), StrCat(what, " value ", out.name)));
  return out;
}

Status NamedValueTypeToProto(const NamedValueType& v, milspec::NamedValueType* p, const std::string& what) {
  if (v.name.empty()) return InvalidArgument(what, ": value without a name");
  p->set_name(v.name);
  return ValueTypeToProto(v.type, p->mutable_type(), StrCat(what, " value ", v.name));
}

Status BlockFromProto(const milspec::Block& proto, const BlobReadFn& read_blob, const std::string& scope,
                      Block* out) {
  for (const auto& in : proto.inputs()) {
    ANEMLL_ASSIGN_OR_RETURN(NamedValueType v, NamedValueTypeFromProto(in, scope + " block input"));
    out->inputs.push_back(std::move(v));
  }
  out->outputs.assign(proto.outputs().begin(), proto.outputs().end());
  out->operations.reserve(static_cast<size_t>(proto.operations_size()));
  int index = 0;
  for (const auto& p : proto.operations()) {
    Operation op;
    op.type = p.type();
    auto name_attr = p.attributes().find("name");
    if (name_attr != p.attributes().end()) {
      ANEMLL_ASSIGN_OR_RETURN(op.name, StringScalarFromProto(name_attr->second,
                                                             StrCat(scope, ": op #", index, " attribute name")));
    } else if (p.outputs_size() > 0) {
      op.name = p.outputs(0).name();  // coremltools names single-output ops like their output
    }
    const std::string what = StrCat(scope, ": op ", op.name.empty() ? StrCat("#", index) : op.name, " (",
                                    op.type, ")");
    if (op.type.empty()) return FormatError(what, ": operation has no type");
    for (const auto& [key, value] : p.attributes()) {
      if (key == "name") continue;
      ANEMLL_ASSIGN_OR_RETURN(Literal lit, LiteralFromProto(value, read_blob, StrCat(what, " attribute ", key)));
      op.attributes.emplace(key, std::move(lit));
    }
    for (const auto& [param, arg] : p.inputs()) {
      std::vector<Argument>& bindings = op.inputs[param];
      int b = 0;
      for (const auto& binding : arg.arguments()) {
        const std::string bwhat = StrCat(what, " input ", param, arg.arguments_size() > 1 ? StrCat("[", b, "]") : "");
        switch (binding.binding_case()) {
          case milspec::Argument::Binding::kName:
            if (binding.name().empty()) return FormatError(bwhat, ": empty value name");
            bindings.push_back(Argument::Ref(binding.name()));
            break;
          case milspec::Argument::Binding::kValue: {
            ANEMLL_ASSIGN_OR_RETURN(Literal lit, LiteralFromProto(binding.value(), read_blob, bwhat));
            bindings.push_back(Argument::Lit(std::move(lit)));
            break;
          }
          case milspec::Argument::Binding::BINDING_NOT_SET:
            return FormatError(bwhat, ": binding has neither a name nor a value");
        }
        ++b;
      }
    }
    for (const auto& o : p.outputs()) {
      ANEMLL_ASSIGN_OR_RETURN(NamedValueType v, NamedValueTypeFromProto(o, what + " output"));
      op.outputs.push_back(std::move(v));
    }
    int bi = 0;
    for (const auto& nested : p.blocks()) {
      Block block;
      ANEMLL_RETURN_IF_ERROR(BlockFromProto(nested, read_blob, StrCat(what, " block ", bi++), &block));
      op.blocks.push_back(std::move(block));
    }
    out->operations.push_back(std::move(op));
    ++index;
  }
  return Status::Ok();
}

Status BindLiteral(const Literal& lit, const BlobWriteFn& write_blob, milspec::Value* proto, const std::string& what) {
  std::optional<uint64_t> offset;
  if (write_blob) {
    ANEMLL_ASSIGN_OR_RETURN(offset, write_blob(lit, what));
  }
  return LiteralToProto(lit, offset, proto, what);
}

Status BlockToProto(const Block& block, const BlobWriteFn& write_blob, const std::string& scope, milspec::Block* proto) {
  for (const auto& in : block.inputs) {
    ANEMLL_RETURN_IF_ERROR(NamedValueTypeToProto(in, proto->add_inputs(), scope + " block input"));
  }
  for (const auto& o : block.outputs) proto->add_outputs(o);
  int index = 0;
  for (const auto& op : block.operations) {
    std::string name = op.name;
    if (name.empty() && !op.outputs.empty()) name = op.outputs.front().name;
    const std::string what = StrCat(scope, ": op ", name.empty() ? StrCat("#", index) : name, " (", op.type, ")");
    if (op.type.empty()) return InvalidArgument(what, ": operation has no type");
    if (name.empty()) return InvalidArgument(what, ": operation has no name and no outputs");
    auto* p = proto->add_operations();
    p->set_type(op.type);
    StringScalarToProto(name, &(*p->mutable_attributes())["name"]);
    for (const auto& [key, lit] : op.attributes) {
      if (key == "name") return InvalidArgument(what, ": attribute \"name\" belongs in Operation::name");
      ANEMLL_RETURN_IF_ERROR(
          BindLiteral(lit, write_blob, &(*p->mutable_attributes())[key], StrCat(what, " attribute ", key)));
    }
    for (const auto& [param, bindings] : op.inputs) {
      auto& arg = (*p->mutable_inputs())[param];
      int b = 0;
      for (const auto& binding : bindings) {
        const std::string bwhat = StrCat(what, " input ", param, bindings.size() > 1 ? StrCat("[", b, "]") : "");
        auto* pb = arg.add_arguments();
        if (!binding.name.empty()) {
          pb->set_name(binding.name);
        } else if (binding.literal) {
          ANEMLL_RETURN_IF_ERROR(BindLiteral(*binding.literal, write_blob, pb->mutable_value(), bwhat));
        } else {
          return InvalidArgument(bwhat, ": binding has neither a name nor a literal");
        }
        ++b;
      }
    }
    for (const auto& o : op.outputs) {
      ANEMLL_RETURN_IF_ERROR(NamedValueTypeToProto(o, p->add_outputs(), what + " output"));
    }
    int bi = 0;
    for (const auto& nested : op.blocks) {
      ANEMLL_RETURN_IF_ERROR(BlockToProto(nested, write_blob, StrCat(what, " block ", bi++), p->add_blocks()));
    }
    ++index;
  }
  return Status::Ok();
}

}  // namespace

Result<Program> ProgramFromProto(const milspec::Program& proto, const BlobReadFn& read_blob) {
  if (proto.version() != 1) return FormatError("Program.version is ", proto.version(), ", expected 1");
  Program program;
  program.version = proto.version();
  for (const auto& [name, fn] : proto.functions()) {
    const std::string scope = StrCat("function ", name);
    Function f;
    for (const auto& in : fn.inputs()) {
      ANEMLL_ASSIGN_OR_RETURN(NamedValueType v, NamedValueTypeFromProto(in, scope + " input"));
      f.inputs.push_back(std::move(v));
    }
    f.opset = fn.opset();
    if (f.opset.empty()) return FormatError(scope, ": opset is empty");
    auto block = fn.block_specializations().find(f.opset);
    if (block == fn.block_specializations().end()) {
      return FormatError(scope, ": block_specializations has no block for opset ", f.opset);
    }
    ANEMLL_RETURN_IF_ERROR(BlockFromProto(block->second, read_blob, scope, &f.block));
    program.functions.emplace(name, std::move(f));
  }
  for (const auto& [key, value] : proto.attributes()) {
    auto lit = LiteralFromProto(value, read_blob, StrCat("program attribute ", key));
    if (!lit.ok()) {
      if (lit.status().code() != StatusCode::kUnsupported) return lit.status();
      Warn("skipping ", lit.status().message());  // informational attributes only
      continue;
    }
    program.attributes.emplace(key, std::move(lit).value());
  }
  return program;
}

Status ProgramToProto(const Program& program, const BlobWriteFn& write_blob, milspec::Program* proto) {
  if (program.version != 1) return InvalidArgument("program version is ", program.version, ", expected 1");
  proto->set_version(1);
  for (const auto& [name, fn] : program.functions) {
    const std::string scope = StrCat("function ", name);
    if (fn.opset.empty()) return InvalidArgument(scope, ": opset is empty");
    auto& pf = (*proto->mutable_functions())[name];
    for (const auto& in : fn.inputs) {
      ANEMLL_RETURN_IF_ERROR(NamedValueTypeToProto(in, pf.add_inputs(), scope + " input"));
    }
    pf.set_opset(fn.opset);
    ANEMLL_RETURN_IF_ERROR(BlockToProto(fn.block, write_blob, scope, &(*pf.mutable_block_specializations())[fn.opset]));
  }
  for (const auto& [key, lit] : program.attributes) {
    ANEMLL_RETURN_IF_ERROR(
        LiteralToProto(lit, std::nullopt, &(*proto->mutable_attributes())[key], StrCat("program attribute ", key)));
  }
  return Status::Ok();
}

}  // namespace anemll::mil::coreml
