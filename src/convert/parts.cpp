#include "convert/parts.h"

#include <map>

#include "convert/decoder_graph.h"

namespace anemll::convert {
namespace {

mil::ArrayDType ArrayTypeOf(mil::DType d) {
  switch (d) {
    case mil::DType::kFp16: return mil::ArrayDType::kFp16;
    case mil::DType::kFp32: return mil::ArrayDType::kFp32;
    case mil::DType::kInt32: return mil::ArrayDType::kInt32;
    case mil::DType::kInt8: return mil::ArrayDType::kInt8;
    default: return mil::ArrayDType::kInvalid;
  }
}

mil::FeatureDescription Feature(const std::string& name, const mil::TensorType& t, bool state) {
  mil::FeatureDescription f;
  f.name = name;
  f.type.kind = state ? mil::FeatureType::Kind::kState : mil::FeatureType::Kind::kMultiArray;
  f.type.dtype = ArrayTypeOf(t.dtype);
  if (!t.has_unknown_dims()) f.type.shape = t.shape;  // symbolic outputs carry the dtype only
  return f;
}

std::string JoinInts(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s;
}

std::string LutBitsText(const LutSpec& lut) { return lut.enabled() ? std::to_string(lut.bits) : "none"; }

mil::Metadata BaseMetadata(const ConversionPlan& p, const std::string& part_description) {
  mil::Metadata m;
  m.author = StrCat("Converted with Anemll v", kAnemllLayoutVersion, " (anemll C++ converter ", kConverterVersion, ")");
  m.version = kAnemllLayoutVersion;
  m.short_description = part_description;
  auto& u = m.user_defined;
  u["com.anemll.info"] = StrCat("Converted with Anemll v", kAnemllLayoutVersion, " layout by the anemll C++ converter ",
                                kConverterVersion, " from ", p.spec.model_type);
  u["com.anemll.context_length"] = std::to_string(p.context);
  return m;
}

std::string FunctionList(const std::vector<FunctionKind>& kinds) {
  std::string s;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i) s += ',';
    s += FunctionKindName(kinds[i]);
  }
  return s;
}

void AddLmHeadMetadata(const ConversionPlan& p, mil::Metadata* m) {
  auto& u = m->user_defined;
  u["com.anemll.argmax_in_model"] = p.argmax ? "true" : "false";
  u["com.anemll.vocab_size"] = std::to_string(p.spec.vocab_size);
  u["com.anemll.lm_head_chunk_sizes"] = JoinInts(p.lm_head_sizes);
}

// A multifunction model from functions built in order (the first is the default).
Result<mil::Model> MultiFunctionModel(const ConversionPlan& p, WeightCache& w, const std::vector<FunctionKind>& kinds,
                                      const DecoderFunctionSpec& base) {
  mil::Model model;
  for (FunctionKind kind : kinds) {
    DecoderFunctionSpec spec = base;
    spec.kind = kind;
    ANEMLL_ASSIGN_OR_RETURN(mil::Function fn, BuildDecoderFunction(p, spec, w));
    const std::string name = FunctionKindName(kind);
    model.description.functions.push_back(DescribeFunction(name, fn));
    model.program.functions.emplace(name, std::move(fn));
  }
  model.description.default_function_name = FunctionKindName(kinds.front());
  return model;
}

}  // namespace

mil::FunctionDescription DescribeFunction(const std::string& name, const mil::Function& fn) {
  mil::FunctionDescription d;
  d.name = name;
  for (const mil::NamedValueType& in : fn.inputs) {
    const bool state = in.type.kind == mil::ValueType::Kind::kState;
    (state ? d.states : d.inputs).push_back(Feature(in.name, in.type.tensor, state));
  }
  std::map<std::string, const mil::TensorType*> types;
  for (const mil::Operation& op : fn.block.operations) {
    for (const mil::NamedValueType& out : op.outputs) types[out.name] = &out.type.tensor;
  }
  for (const std::string& out : fn.block.outputs) {
    auto it = types.find(out);
    if (it != types.end()) d.outputs.push_back(Feature(out, *it->second, false));
  }
  return d;
}

Result<mil::Model> BuildEmbeddingsModel(const ConversionPlan& p, WeightCache& w) {
  ANEMLL_ASSIGN_OR_RETURN(mil::Function fn, BuildEmbeddingsFunction(p, w));
  mil::Model model;
  mil::FunctionDescription d = DescribeFunction("main", fn);
  // input_ids: [1,1] (decode, the default) or [1,B] (prefill).
  for (mil::FeatureDescription& in : d.inputs) {
    if (in.name != "input_ids") continue;
    in.type.shape = {1, 1};
    in.type.enumerated_shapes = {{1, 1}, {1, p.batch}};
    if (p.batch == 1) in.type.enumerated_shapes = {{1, 1}};
  }
  model.description.inputs = d.inputs;
  model.description.outputs = d.outputs;
  model.description.metadata = BaseMetadata(p, "Anemll Model (Embeddings) converted to CoreML");
  auto& u = model.description.metadata.user_defined;
  u["com.anemll.batch_size"] = std::to_string(p.batch);
  u["com.anemll.lut_bits"] = LutBitsText(p.lut_embeddings);
  u["com.anemll.vocab_size"] = std::to_string(p.spec.vocab_size);
  model.program.functions.emplace("main", std::move(fn));
  return model;
}

Result<mil::Model> BuildLmHeadModel(const ConversionPlan& p, WeightCache& w) {
  ANEMLL_ASSIGN_OR_RETURN(mil::Function fn, BuildLmHeadFunction(p, w));
  mil::Model model;
  mil::FunctionDescription d = DescribeFunction("main", fn);
  model.description.inputs = d.inputs;
  model.description.outputs = d.outputs;
  model.description.metadata = BaseMetadata(p, "Anemll Model (LM Head) converted to CoreML");
  model.description.metadata.user_defined["com.anemll.lut_bits"] = LutBitsText(p.lut_lmhead);
  AddLmHeadMetadata(p, &model.description.metadata);
  model.program.functions.emplace("main", std::move(fn));
  return model;
}

Result<mil::Model> BuildChunkModel(const ConversionPlan& p, WeightCache& w, int chunk, bool rotate_file) {
  DecoderFunctionSpec base;
  base.layers = p.chunk_layers(chunk);
  base.last_chunk = chunk == p.num_chunks - 1;
  const std::vector<FunctionKind> kinds = rotate_file ? p.rotate_package_functions() : p.package_functions();
  if (kinds.empty()) return Internal("chunk ", chunk, ": no functions to build");
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, MultiFunctionModel(p, w, kinds, base));
  model.description.metadata = BaseMetadata(p, "Anemll Model: Multifunction FFN+Prefill");
  auto& u = model.description.metadata.user_defined;
  u["com.anemll.num_chunks"] = std::to_string(p.num_chunks);
  u["com.anemll.chunk_no"] = std::to_string(chunk + 1);
  u["com.anemll.batch_size"] = std::to_string(p.batch);
  u["com.anemll.lut_bits"] = LutBitsText(p.lut_ffn);
  u["com.anemll.functions"] = FunctionList(kinds);
  u["com.anemll.layers"] = StrCat(base.layers.begin, "-", base.layers.end - 1);
  if (p.window > 0) u["com.anemll.sliding_window"] = std::to_string(p.window);
  return model;
}

Result<mil::Model> BuildMonolithicModel(const ConversionPlan& p, WeightCache& w) {
  DecoderFunctionSpec base;
  base.layers = {0, static_cast<int>(p.spec.num_layers)};
  base.last_chunk = true;
  base.monolithic = true;
  const std::vector<FunctionKind> kinds = p.package_functions();
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, MultiFunctionModel(p, w, kinds, base));
  model.description.metadata = BaseMetadata(p, "Anemll Model (Full) converted to CoreML");
  auto& u = model.description.metadata.user_defined;
  u["com.anemll.num_chunks"] = "1";
  u["com.anemll.chunk_no"] = "1";
  u["com.anemll.batch_size"] = std::to_string(p.batch);
  u["com.anemll.lut_bits"] = LutBitsText(p.lut_ffn);
  u["com.anemll.functions"] = FunctionList(kinds);
  if (p.window > 0) u["com.anemll.sliding_window"] = std::to_string(p.window);
  AddLmHeadMetadata(p, &model.description.metadata);
  return model;
}

}  // namespace anemll::convert
