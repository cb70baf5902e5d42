// Reading the coremltools-written fixture packages: descriptions against case.json, programs
// against the proto-level listing in program.txt, LUT layout against lut_layout.json and the
// unpacked values against weights_ref.safetensors.
#include <gtest/gtest.h>

#include "base/half.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/package.h"
#include "mil/coreml/sub_byte.h"
#include "coreml_test_util.h"

namespace anemll::mil::coreml {
namespace {

using namespace testutil;
using nlohmann::json;

std::string ArrayDTypeText(ArrayDType d) {
  switch (d) {
    case ArrayDType::kFp16: return "fp16";
    case ArrayDType::kFp32: return "fp32";
    case ArrayDType::kFp64: return "fp64";
    case ArrayDType::kInt32: return "int32";
    case ArrayDType::kInt8: return "int8";
    default: return "invalid";
  }
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

// Checks one feature list against case.json's entries.
void ExpectFeatures(const std::vector<FeatureDescription>& got, const json& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& w = want[i];
    SCOPED_TRACE(where + " " + w["name"].get<std::string>());
    EXPECT_EQ(got[i].name, w["name"].get<std::string>());
    EXPECT_EQ(ArrayDTypeText(got[i].type.dtype), w["dtype"].get<std::string>());
    EXPECT_EQ(got[i].type.shape, w["shape"].get<std::vector<int64_t>>());
    if (w.contains("enumerated_shapes")) {
      EXPECT_EQ(got[i].type.enumerated_shapes, w["enumerated_shapes"].get<std::vector<std::vector<int64_t>>>());
    } else {
      EXPECT_TRUE(got[i].type.enumerated_shapes.empty());
    }
    if (w.contains("short_description")) {
      EXPECT_EQ(got[i].short_description, w["short_description"].get<std::string>());
    }
  }
}

TEST(CoremlRead, EveryFixtureReads) {
  const auto fixtures = FixturePackages();
  ASSERT_EQ(fixtures.size(), 10u);
  for (const auto& f : fixtures) {
    auto model = ReadPackage(f.package);
    ASSERT_TRUE(model.ok()) << f.package_name << ": " << model.status().message();
    EXPECT_EQ(model->specification_version, 9) << f.package_name;
    for (const auto& [name, fn] : model->program.functions) EXPECT_EQ(fn.opset, "CoreML8") << f.package_name;
  }
}

TEST(CoremlRead, DescriptionsMatchCaseJson) {
  for (const auto& f : FixturePackages()) {
    SCOPED_TRACE(f.package_name);
    auto model = ReadPackage(f.package);
    ASSERT_TRUE(model.ok()) << model.status().message();
    const json c = json::parse(Slurp(f.case_dir / "case.json"));
    json pkg;
    for (const auto& p : c["packages"]) {
      if (p["package"] == f.package_name) pkg = p;
    }
    ASSERT_FALSE(pkg.is_null());
    EXPECT_EQ(model->specification_version, pkg["spec_version"].get<int>());
    const auto& desc = model->description;
    if (pkg["default_function"].is_null()) {
      EXPECT_FALSE(desc.is_multifunction());
      EXPECT_EQ(desc.default_function_name, "");
    } else {
      EXPECT_TRUE(desc.is_multifunction());
      EXPECT_EQ(desc.default_function_name, pkg["default_function"].get<std::string>());
      EXPECT_TRUE(desc.inputs.empty() && desc.outputs.empty() && desc.states.empty());
    }
    std::vector<std::string> names;
    for (auto it = pkg["functions"].begin(); it != pkg["functions"].end(); ++it) names.push_back(it.key());
    auto got_names = desc.FunctionNames();
    std::sort(got_names.begin(), got_names.end());
    EXPECT_EQ(got_names, names);
    for (auto it = pkg["functions"].begin(); it != pkg["functions"].end(); ++it) {
      auto fd = desc.Function(it.key());
      ASSERT_TRUE(fd.has_value()) << it.key();
      ExpectFeatures(fd->inputs, it.value()["inputs"], it.key() + " inputs");
      ExpectFeatures(fd->outputs, it.value()["outputs"], it.key() + " outputs");
      ExpectFeatures(fd->states, it.value()["states"], it.key() + " states");
      for (const auto& s : fd->states) EXPECT_EQ(s.type.kind, FeatureType::Kind::kState);
      for (const auto& in : fd->inputs) EXPECT_EQ(in.type.kind, FeatureType::Kind::kMultiArray);
    }
  }
}

// Compares a literal with its program.txt storage text: "FLOAT16[8] inline bytes(16) 00..",
// "INT32[4] inline ints [1, 1]", "BOOL[] inline bools [False]", "STRING[] inline strings ['x']",
// "FLOAT16[8,8] blob(@model_path/weights/weight.bin, metadata offset 64)".
void ExpectLiteralMatches(const Literal& lit, const std::string& text, const std::string& where) {
  SCOPED_TRACE(where + ": " + text);
  const size_t sp = text.find(' ');
  ASSERT_NE(sp, std::string::npos);
  EXPECT_EQ(ProtoTypeText(lit.type), text.substr(0, sp));
  const std::string storage = text.substr(sp + 1);
  std::smatch m;
  static const std::regex blob_re(R"(^blob\(([^,]+), metadata offset (\d+)\)$)");
  static const std::regex inline_re(R"(^inline (\w+)(?:\((\d+)\))? (.*)$)");
  if (std::regex_match(storage, m, blob_re)) {
    ASSERT_TRUE(lit.blob.has_value());
    EXPECT_EQ(lit.blob->file, m[1].str());
    EXPECT_EQ(lit.blob->offset, std::stoull(m[2]));
    ASSERT_TRUE(lit.data);
    EXPECT_EQ(lit.data->size(), StorageBytes(lit.type.tensor.dtype, lit.num_elements()));
    return;
  }
  ASSERT_TRUE(std::regex_match(storage, m, inline_re));
  EXPECT_FALSE(lit.blob.has_value());
  const std::string kind = m[1];
  const std::string values = m[3];
  if (kind == "bytes") {
    ASSERT_TRUE(lit.data);
    EXPECT_EQ(lit.data->size(), std::stoull(m[2]));
    EXPECT_EQ(Hex(lit.data->data(), lit.data->size()), values);
    return;
  }
  ASSERT_GE(values.size(), 2u);
  auto items = SplitTopLevel(values.substr(1, values.size() - 2));
  ASSERT_EQ(static_cast<int64_t>(items.size()), lit.num_elements());
  for (size_t i = 0; i < items.size(); ++i) {
    if (kind == "ints") {
      EXPECT_EQ(lit.GetInt(i), std::stoll(items[i]));
    } else if (kind == "bools") {
      EXPECT_EQ(lit.GetInt(i), items[i] == "True" ? 1 : 0);
    } else if (kind == "strings") {
      EXPECT_EQ("'" + lit.strings[i] + "'", items[i]);
    } else {
      ADD_FAILURE() << "unexpected inline kind " << kind;
    }
  }
}

TEST(CoremlRead, ProgramsMatchListing) {
  for (const auto& f : FixturePackages()) {
    SCOPED_TRACE(f.package_name);
    auto model = ReadPackage(f.package);
    ASSERT_TRUE(model.ok()) << model.status().message();
    const auto listing = ParseListing(Slurp(f.program_txt));
    ASSERT_EQ(listing.size(), model->program.functions.size());
    for (const auto& [name, want] : listing) {
      SCOPED_TRACE("function " + name);
      auto it = model->program.functions.find(name);
      ASSERT_NE(it, model->program.functions.end());
      const Function& fn = it->second;
      EXPECT_EQ(fn.opset, want.opset);
      ASSERT_EQ(fn.inputs.size(), want.inputs.size());
      for (size_t i = 0; i < fn.inputs.size(); ++i) {
        EXPECT_EQ(fn.inputs[i].name + ":" + ProtoTypeText(fn.inputs[i].type), want.inputs[i]);
      }
      EXPECT_EQ(fn.block.outputs, want.outputs);
      ASSERT_FALSE(want.ops.empty());
      ASSERT_FALSE(want.outputs.empty());
      ASSERT_EQ(fn.block.operations.size(), want.ops.size());
      for (size_t i = 0; i < want.ops.size(); ++i) {
        const Operation& op = fn.block.operations[i];
        const ListedOp& w = want.ops[i];
        SCOPED_TRACE("op " + w.name);
        EXPECT_EQ(op.type, w.type);
        EXPECT_EQ(op.name, w.name);
        ASSERT_EQ(op.outputs.size(), w.outputs.size());
        for (size_t k = 0; k < op.outputs.size(); ++k) {
          EXPECT_EQ(op.outputs[k].name + ":" + ProtoTypeText(op.outputs[k].type), w.outputs[k]);
        }
        if (op.type == "const") {
          EXPECT_TRUE(op.inputs.empty());
          ASSERT_EQ(op.attributes.size(), 1u);
          ASSERT_TRUE(op.attributes.count("val"));
          ExpectLiteralMatches(op.attributes.at("val"), w.const_text, w.name);
          continue;
        }
        EXPECT_TRUE(op.attributes.empty());
        ASSERT_EQ(op.inputs.size(), w.args.size());
        for (const auto& [param, text] : w.args) {
          auto in = op.inputs.find(param);
          ASSERT_NE(in, op.inputs.end()) << param;
          if (text.rfind("<literal ", 0) == 0) {
            ASSERT_EQ(in->second.size(), 1u);
            ASSERT_TRUE(in->second[0].is_literal());
            ExpectLiteralMatches(*in->second[0].literal, text.substr(9, text.size() - 10), param);
          } else if (text.front() == '(') {
            auto names = SplitTopLevel(text.substr(1, text.size() - 2));
            ASSERT_EQ(in->second.size(), names.size()) << param;
            for (size_t k = 0; k < names.size(); ++k) EXPECT_EQ(in->second[k].name, names[k]);
          } else {
            ASSERT_EQ(in->second.size(), 1u);
            EXPECT_EQ(in->second[0].name, text) << param;
          }
        }
      }
    }
  }
}

TEST(CoremlRead, LutLayoutMatches) {
  for (const std::string name : {"linear_lut4_grouped", "linear_lut6_grouped", "linear_lut4_tensor"}) {
    SCOPED_TRACE(name);
    const fs::path dir = anemll::testing::FixturesDir() / "coreml" / name;
    const json layout = json::parse(Slurp(dir / "lut_layout.json"));
    auto model = ReadPackage(dir / (name + ".mlpackage"));
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto weights = BlobFile::Open(WeightFile(dir / (name + ".mlpackage")));
    ASSERT_TRUE(weights.ok()) << weights.status().message();
    const Function& fn = model->program.functions.at("main");
    const Operation* lut_op = nullptr;
    for (const auto& op : fn.block.operations) {
      if (op.type == "constexpr_lut_to_dense") lut_op = &op;
    }
    ASSERT_NE(lut_op, nullptr);
    const json& want = layout["constexpr_op"];
    EXPECT_EQ(lut_op->name, want["op_name"].get<std::string>());
    ASSERT_EQ(lut_op->outputs.size(), 1u);
    EXPECT_EQ(lut_op->outputs[0].name, want["output"]["name"].get<std::string>());
    EXPECT_EQ(lut_op->outputs[0].type.tensor.shape, want["output"]["shape"].get<std::vector<int64_t>>());
    EXPECT_TRUE(lut_op->attributes.empty());
    EXPECT_EQ(lut_op->inputs.size(), want["inputs"].size());
    for (const std::string param : {"indices", "lut"}) {
      SCOPED_TRACE(param);
      const json& w = want["inputs"][param];
      const Argument* arg = lut_op->Input(param);
      ASSERT_NE(arg, nullptr);
      ASSERT_TRUE(arg->is_literal());
      const Literal& lit = *arg->literal;
      EXPECT_EQ(ProtoDTypeName(lit.type.tensor.dtype), w["mil_dtype"].get<std::string>());
      EXPECT_EQ(lit.type.tensor.shape, w["shape"].get<std::vector<int64_t>>());
      ASSERT_TRUE(lit.blob.has_value());
      EXPECT_EQ(lit.blob->file, w["file"].get<std::string>());
      EXPECT_EQ(lit.blob->offset, w["blob_metadata_offset"].get<uint64_t>());
      EXPECT_EQ(lit.data->size(), w["size_in_bytes"].get<uint64_t>());
      auto rec = (*weights)->Record(lit.blob->offset);
      ASSERT_TRUE(rec.ok()) << rec.status().message();
      EXPECT_EQ(rec->data_offset, w["blob_data_offset"].get<uint64_t>());
      EXPECT_EQ(rec->dtype_code, w["blob_dtype_code"].get<uint32_t>());
      EXPECT_EQ(rec->size_in_bytes, w["size_in_bytes"].get<uint64_t>());
      EXPECT_EQ(rec->padding_bits, w["padding_bits"].get<uint64_t>());
      EXPECT_EQ(BlobCodeName(rec->dtype_code), w["blob_dtype"].get<std::string>());
    }
    EXPECT_EQ(ProtoDTypeName(lut_op->Input("lut")->literal->type.tensor.dtype), layout["lut_dtype"].get<std::string>());
    EXPECT_EQ(lut_op->Input("lut")->literal->type.tensor.shape, layout["lut_shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(DTypeBits(lut_op->Input("indices")->literal->type.tensor.dtype), layout["nbits"].get<int>());
  }
}

TEST(CoremlRead, LutValuesMatchWeightsRef) {
  for (const std::string name : {"linear_lut4_grouped", "linear_lut6_grouped", "linear_lut4_tensor"}) {
    SCOPED_TRACE(name);
    const fs::path dir = anemll::testing::FixturesDir() / "coreml" / name;
    auto model = ReadPackage(dir / (name + ".mlpackage"));
    ASSERT_TRUE(model.ok()) << model.status().message();
    const auto ref = ReadSafetensors(dir / "weights_ref.safetensors");
    ASSERT_TRUE(ref.count("indices") && ref.count("lut"));
    const Operation* lut_op = nullptr;
    for (const auto& op : model->program.functions.at("main").block.operations) {
      if (op.type == "constexpr_lut_to_dense") lut_op = &op;
    }
    ASSERT_NE(lut_op, nullptr);
    const Literal& indices = *lut_op->Input("indices")->literal;
    const Literal& lut = *lut_op->Input("lut")->literal;

    const SafeTensor& ri = ref.at("indices");
    ASSERT_EQ(ri.dtype, "I32");
    EXPECT_EQ(ri.shape, indices.type.tensor.shape);
    auto unpacked = UnpackSubByte(indices.type.tensor.dtype, indices.data->data(), indices.data->size(),
                                  static_cast<size_t>(indices.num_elements()));
    ASSERT_TRUE(unpacked.ok()) << unpacked.status().message();
    ASSERT_EQ(unpacked->size() * 4, ri.bytes.size());
    std::vector<int32_t> want(unpacked->size());
    std::memcpy(want.data(), ri.bytes.data(), ri.bytes.size());
    EXPECT_EQ(*unpacked, want);
    // The accessor agrees with the bulk unpacker.
    for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, indices.num_elements() - 1}) {
      EXPECT_EQ(indices.GetInt(i), want[static_cast<size_t>(i)]) << i;
    }

    const SafeTensor& rl = ref.at("lut");
    ASSERT_EQ(rl.dtype, "F16");
    EXPECT_EQ(rl.shape, lut.type.tensor.shape);
    ASSERT_EQ(lut.data->size(), rl.bytes.size());
    EXPECT_EQ(std::memcmp(lut.data->data(), rl.bytes.data(), rl.bytes.size()), 0);

    // Dequantized weight: W[r,c] = lut[r / (64/G), 0, indices[r,c], 0] equals weight_dequantized.
    const SafeTensor& rw = ref.at("weight_dequantized");
    const int64_t rows = indices.type.tensor.shape[0], cols = indices.type.tensor.shape[1];
    const int64_t groups = lut.type.tensor.shape[0], palette = lut.type.tensor.shape[2];
    ASSERT_EQ(static_cast<int64_t>(rw.bytes.size()), rows * cols * 2);
    int mismatches = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t g = r / (rows / groups);
        const int32_t idx = want[static_cast<size_t>(r * cols + c)];
        uint16_t got, expect;
        std::memcpy(&got, lut.data->data() + 2 * (g * palette + idx), 2);
        std::memcpy(&expect, rw.bytes.data() + 2 * (r * cols + c), 2);
        mismatches += got != expect;
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(CoremlRead, MetadataMatchesJson) {
  const fs::path dir = anemll::testing::FixturesDir() / "coreml" / "metadata";
  auto model = ReadPackage(dir / "metadata.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const json want = json::parse(Slurp(dir / "metadata.json"));
  const Metadata& m = model->description.metadata;
  EXPECT_EQ(m.author, want["author"].get<std::string>());
  EXPECT_EQ(m.version, want["versionString"].get<std::string>());
  EXPECT_EQ(m.short_description, want["shortDescription"].get<std::string>());
  EXPECT_EQ(m.license, want["license"].get<std::string>());
  EXPECT_EQ(m.user_defined, (want["userDefined"].get<std::map<std::string, std::string>>()));
  // No blobs: every constant is inline.
  for (const auto& op : model->program.functions.at("main").block.operations) {
    for (const auto& [k, lit] : op.attributes) EXPECT_FALSE(lit.blob.has_value()) << op.name;
  }
  const auto& val = model->program.functions.at("main").block.operations[0].attributes.at("val");
  EXPECT_EQ(val.type.tensor.dtype, DType::kFp16);
  const std::vector<double> scale = {0.5, -1, 2, 0.25};
  for (size_t i = 0; i < scale.size(); ++i) EXPECT_EQ(val.GetDouble(i), scale[i]);
}

TEST(CoremlRead, BuildInfoAttributeIsAStringDictionary) {
  auto model = ReadPackage(anemll::testing::FixturesDir() / "coreml/metadata/metadata.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(model->program.attributes.count("buildInfo"));
  const Literal& info = model->program.attributes.at("buildInfo");
  EXPECT_EQ(info.type.kind, ValueType::Kind::kDict);
  ASSERT_FALSE(info.string_dict.empty());
  EXPECT_EQ(info.string_dict[0].first, "coremltools-version");
  EXPECT_EQ(info.string_dict[0].second, "9.1.dev1");
}

TEST(CoremlRead, SharedBlobsShareOneBorrowedBuffer) {
  const fs::path pkg = anemll::testing::FixturesDir() / "coreml/kv_state_multifunction/kv_state_multifunction.mlpackage";
  std::shared_ptr<const Buffer> q_infer, q_prefill;
  {
    auto model = ReadPackage(pkg);
    ASSERT_TRUE(model.ok()) << model.status().message();
    for (const auto& [fname, fn] : model->program.functions) {
      for (const auto& op : fn.block.operations) {
        if (op.type != "const" || op.name.rfind("q_proj_weight", 0) != 0) continue;
        (fname == "infer" ? q_infer : q_prefill) = op.attributes.at("val").data;
      }
    }
    // The state input is typed as a state.
    const Function& infer = model->program.functions.at("infer");
    EXPECT_EQ(infer.inputs.back().name, "kv_cache");
    EXPECT_EQ(infer.inputs.back().type, ValueType::State(DType::kFp16, {2, 1, 16, 8}));
  }
  ASSERT_TRUE(q_infer && q_prefill);
  EXPECT_EQ(q_infer.get(), q_prefill.get());  // one Buffer for one blob
  // The bytes stay readable after the model is gone (the mapping is kept alive by the buffer).
  const std::string file = Slurp(WeightFile(pkg));
  ASSERT_EQ(q_infer->size(), 128u);
  EXPECT_EQ(std::memcmp(q_infer->data(), file.data() + 128, 128), 0);
}

TEST(CoremlRead, EnumeratedShapesAndUnknownDims) {
  auto model = ReadPackage(anemll::testing::FixturesDir() /
                           "coreml/enumerated_embeddings/enumerated_embeddings.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Function& fn = model->program.functions.at("main");
  ASSERT_EQ(fn.inputs.size(), 1u);
  EXPECT_EQ(fn.inputs[0].type.tensor.shape, (std::vector<int64_t>{1, kUnknownDim}));
  EXPECT_TRUE(fn.inputs[0].type.tensor.has_unknown_dims());
  EXPECT_EQ(fn.inputs[0].type.tensor.num_elements(), -1);
  EXPECT_TRUE(model->description.outputs.at(0).type.shape.empty());
}

}  // namespace
}  // namespace anemll::mil::coreml
