#include "mil/coreml/summary.h"

#include <algorithm>
#include <set>

#include "mil/coreml/package.h"

namespace anemll::mil::coreml {

namespace fs = std::filesystem;

namespace {

void CountOps(const Block& block, FunctionSummary* out) {
  for (const auto& op : block.operations) {
    ++out->op_count;
    ++out->ops[op.type];
    for (const auto& nested : op.blocks) CountOps(nested, out);
  }
}

// The literal bound to `param` of `op`: inline, or the `val` of the const op that defines it.
const Literal* ConstantInput(const Operation& op, const std::string& param,
                             const std::map<std::string, const Literal*>& consts) {
  const Argument* arg = op.Input(param);
  if (!arg) {
    auto it = op.attributes.find(param);  // iOS16/17 constexpr ops keep parameters as attributes
    return it == op.attributes.end() ? nullptr : &it->second;
  }
  if (arg->is_literal()) return arg->literal.get();
  auto it = consts.find(arg->name);
  return it == consts.end() ? nullptr : it->second;
}

struct WeightWalker {
  WeightSummary* out;
  std::set<std::pair<std::string, uint64_t>> blobs;  // (file, offset)
  std::map<int, std::set<const Buffer*>> lut_buffers;
  std::set<std::string> files;

  void AddLiteral(const mil::Literal& lit) {
    if (!lit.blob || !lit.data) return;
    if (!blobs.insert({lit.blob->file, lit.blob->offset}).second) return;
    files.insert(lit.blob->file);
    ++out->blob_count;
    out->total_blob_bytes += lit.data->size();
    out->by_dtype[DTypeName(lit.type.tensor.dtype)] += lit.data->size();
  }

  void WalkBlock(const mil::Block& block, std::map<std::string, const mil::Literal*> consts) {
    for (const auto& op : block.operations) {
      for (const auto& [k, lit] : op.attributes) AddLiteral(lit);
      for (const auto& [p, args] : op.inputs) {
        for (const auto& a : args) {
          if (a.is_literal() && a.literal) AddLiteral(*a.literal);
        }
      }
      if (op.type == "const" && op.outputs.size() == 1 && op.attributes.count("val")) {
        consts[op.outputs[0].name] = &op.attributes.at("val");
      }
      if (op.type == "constexpr_lut_to_dense") {
        const mil::Literal* indices = ConstantInput(op, "indices", consts);
        const mil::Literal* lut = ConstantInput(op, "lut", consts);
        if (indices) {
          const int bits = DTypeBits(indices->type.tensor.dtype);
          LutStats& s = out->by_lut_bits[bits];
          ++s.ops;
          for (const mil::Literal* l : {indices, lut}) {
            if (l && l->data && lut_buffers[bits].insert(l->data.get()).second) s.bytes += l->data->size();
          }
        }
      }
      for (const auto& nested : op.blocks) WalkBlock(nested, consts);
    }
  }
};

}  // namespace

std::string FeatureDTypeName(const FeatureType& type) {
  switch (type.kind) {
    case FeatureType::Kind::kInt64: return "int64";
    case FeatureType::Kind::kDouble: return "double";
    case FeatureType::Kind::kString: return "string";
    default: break;
  }
  switch (type.dtype) {
    case ArrayDType::kFp16: return "fp16";
    case ArrayDType::kFp32: return "fp32";
    case ArrayDType::kFp64: return "fp64";
    case ArrayDType::kInt32: return "int32";
    case ArrayDType::kInt8: return "int8";
    default: return "invalid";
  }
}

PackageSummary Summarize(const Model& model, const fs::path& package) {
  PackageSummary s;
  s.package = package;
  s.specification_version = model.specification_version;
  s.metadata = model.description.metadata;
  const bool multi = model.description.is_multifunction();
  s.default_function = multi ? model.description.default_function_name : "";
  std::vector<std::string> names = model.description.FunctionNames();
  for (const auto& [name, fn] : model.program.functions) {  // program functions the description lacks
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  WeightWalker walker{&s.weights, {}, {}, {}};
  for (const auto& name : names) {
    FunctionSummary f;
    f.name = name;
    f.is_default = multi ? name == s.default_function : name == "main";
    if (auto d = model.description.Function(name)) f.description = *d;
    f.description.name = name;
    auto it = model.program.functions.find(name);
    if (it != model.program.functions.end()) {
      f.opset = it->second.opset;
      CountOps(it->second.block, &f);
      walker.WalkBlock(it->second.block, {});
    }
    s.functions.push_back(std::move(f));
  }
  if (!walker.files.empty()) {
    if (auto files = LocatePackage(package); files.ok()) {
      for (const auto& file : walker.files) {
        auto path = ResolveModelPath(files->model_dir, file);
        std::error_code ec;
        if (path.ok()) {
          const auto size = fs::file_size(*path, ec);
          if (!ec) s.weights.weight_file_bytes += size;
        }
      }
    }
  }
  return s;
}

}  // namespace anemll::mil::coreml
