// Bad packages: each corruption of a fixture copy gives one clear one-line error naming the
// package and the offending file, op, value or field.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "coreml_test_util.h"
#include "mil/coreml/package.h"
#include "mil_spec.pb.h"
#include "model_spec.pb.h"

namespace anemll::mil::coreml {
namespace {

using namespace testutil;
using anemll::testing::FixturesDir;
using anemll::testing::TempDir;
namespace spec = ::CoreML::Specification;
namespace milspec = ::CoreML::Specification::MILSpec;

fs::path Fixture(const std::string& case_name, const std::string& package = "") {
  const std::string pkg = package.empty() ? case_name + ".mlpackage" : package;
  return FixturesDir() / "coreml" / case_name / pkg;
}

// Reads `pkg`, expecting a failure whose message is one line and contains each of `parts`.
void ExpectReadError(const fs::path& pkg, const std::vector<std::string>& parts) {
  auto model = ReadPackage(pkg);
  ASSERT_FALSE(model.ok()) << "read succeeded";
  const std::string& msg = model.status().message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find(pkg.string()), std::string::npos) << "package path missing: " << msg;
  for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' missing: " << msg;
}

void EditModel(const fs::path& pkg, const std::function<void(spec::Model&)>& edit) {
  spec::Model model;
  ASSERT_TRUE(model.ParseFromString(Slurp(ModelFile(pkg))));
  edit(model);
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  WriteAll(ModelFile(pkg), bytes);
}

void EditManifest(const fs::path& pkg, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json m = nlohmann::json::parse(Slurp(pkg / "Manifest.json"));
  edit(m);
  WriteAll(pkg / "Manifest.json", m.dump(2));
}

void PatchU32(const fs::path& file, size_t offset, uint32_t v) {
  std::string bytes = Slurp(file);
  ASSERT_LE(offset + 4, bytes.size());
  std::memcpy(bytes.data() + offset, &v, 4);
  WriteAll(file, bytes);
}
void PatchU64(const fs::path& file, size_t offset, uint64_t v) {
  std::string bytes = Slurp(file);
  ASSERT_LE(offset + 8, bytes.size());
  std::memcpy(bytes.data() + offset, &v, 8);
  WriteAll(file, bytes);
}

milspec::Block& MainBlock(spec::Model& m, const std::string& fn = "main") {
  auto& f = (*m.mutable_mlprogram()->mutable_functions())[fn];
  return (*f.mutable_block_specializations())[f.opset()];
}

TEST(CoremlErrors, MissingPackage) {
  TempDir tmp;
  ExpectReadError(tmp / "nothing.mlpackage", {"no such package"});
}

TEST(CoremlErrors, MissingManifest) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  fs::remove(pkg / "Manifest.json");
  ExpectReadError(pkg, {"Manifest.json", "missing"});
}

TEST(CoremlErrors, ManifestNotJson) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  WriteAll(pkg / "Manifest.json", "{ \"fileFormatVersion\": ");
  ExpectReadError(pkg, {"Manifest.json", "invalid JSON"});
}

TEST(CoremlErrors, ManifestItemMissingKey) {
  for (const std::string key : {"author", "description", "name", "path"}) {
    TempDir tmp;
    const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
    std::string id;
    EditManifest(pkg, [&](nlohmann::json& m) {
      id = m["rootModelIdentifier"];
      m["itemInfoEntries"][id].erase(key);
    });
    ExpectReadError(pkg, {"Manifest.json", id, "\"" + key + "\""});
  }
}

TEST(CoremlErrors, ManifestRootNamesNoItem) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditManifest(pkg, [](nlohmann::json& m) { m["rootModelIdentifier"] = "no-such-id"; });
  ExpectReadError(pkg, {"rootModelIdentifier", "no-such-id"});
}

TEST(CoremlErrors, WrongFileFormatVersion) {
  for (const std::string v : {"2.0.0", "1.0.1", "1.0", "x.y.z"}) {
    TempDir tmp;
    const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
    EditManifest(pkg, [&](nlohmann::json& m) { m["fileFormatVersion"] = v; });
    ExpectReadError(pkg, {"fileFormatVersion", v});
  }
}

TEST(CoremlErrors, RootItemPathDoesNotExist) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditManifest(pkg, [](nlohmann::json& m) {
    m["itemInfoEntries"][m["rootModelIdentifier"].get<std::string>()]["path"] = "com.apple.CoreML/gone.mlmodel";
  });
  ExpectReadError(pkg, {"root item path", "com.apple.CoreML/gone.mlmodel", "does not exist"});
}

TEST(CoremlErrors, TruncatedModel) {
  const std::string bytes = Slurp(ModelFile(Fixture("kv_state_multifunction")));
  for (size_t keep : {size_t{0}, size_t{3}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    TempDir tmp;
    const fs::path pkg = CopyPackage(Fixture("kv_state_multifunction"), tmp.path());
    WriteAll(ModelFile(pkg), bytes.substr(0, keep));
    ExpectReadError(pkg, {"model.mlmodel"});
  }
}

TEST(CoremlErrors, GarbageModel) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    TempDir tmp;
    const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
    std::string garbage(1000, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    WriteAll(ModelFile(pkg), garbage);
    ExpectReadError(pkg, {"model.mlmodel"});
  }
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  WriteAll(ModelFile(pkg), "this is not a protobuf at all, just some text\n");
  ExpectReadError(pkg, {"model.mlmodel"});
}

TEST(CoremlErrors, NotAnMlProgram) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditModel(pkg, [](spec::Model& m) { m.clear_mlprogram(); });
  ExpectReadError(pkg, {"model.mlmodel", "mlProgram"});
}

TEST(CoremlErrors, WrongProgramVersion) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditModel(pkg, [](spec::Model& m) { m.mutable_mlprogram()->set_version(2); });
  ExpectReadError(pkg, {"Program.version", "2", "expected 1"});
}

TEST(CoremlErrors, BlobSentinelWrong) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  PatchU32(WeightFile(pkg), 64, 0x12345678u);
  ExpectReadError(pkg, {"weight.bin", "offset 64", "sentinel", "0x12345678"});
}

TEST(CoremlErrors, BlobOffsetBeyondFile) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditModel(pkg, [](spec::Model& m) {
    for (auto& op : *MainBlock(m).mutable_operations()) {
      auto it = op.mutable_attributes()->find("val");
      if (it != op.mutable_attributes()->end() && it->second.has_blobfilevalue()) {
        it->second.mutable_blobfilevalue()->set_offset(1 << 20);
        return;
      }
    }
  });
  ExpectReadError(pkg, {"weight.bin", "offset 1048576", "beyond the file"});
}

TEST(CoremlErrors, BlobDataBeyondFile) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  const std::string bytes = Slurp(WeightFile(pkg));
  WriteAll(WeightFile(pkg), bytes.substr(0, bytes.size() - 4));  // cut the last blob's data
  ExpectReadError(pkg, {"weight.bin", "offset 384", "ends beyond the file"});
}

TEST(CoremlErrors, BlobDataOffsetMisplaced) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  PatchU64(WeightFile(pkg), 64 + 16, 192);
  ExpectReadError(pkg, {"weight.bin", "offset 64", "data offset 192", "expected 128"});
}

TEST(CoremlErrors, BlobDtypeDiffersFromValueType) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  PatchU32(WeightFile(pkg), 64 + 4, 2);  // fp32 code on an fp16 weight
  ExpectReadError(pkg, {"weight.bin", "offset 64", "blob dtype fp32 differs from value type fp16",
                        "linear_0_weight_0_to_fp16"});
}

TEST(CoremlErrors, BlobSizeDoesNotMatchShape) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  PatchU64(WeightFile(pkg), 64 + 8, 100);
  ExpectReadError(pkg, {"weight.bin", "offset 64", "100 bytes", "needs 256"});
  // The other way round: the value's shape changed in the program.
  TempDir tmp2;
  const fs::path pkg2 = CopyPackage(Fixture("linear_lut4_tensor"), tmp2.path());
  EditModel(pkg2, [](spec::Model& m) {
    for (auto& op : *MainBlock(m).mutable_operations()) {
      if (op.type() != "constexpr_lut_to_dense") continue;
      auto& indices = *(*op.mutable_inputs())["indices"].mutable_arguments(0)->mutable_value();
      indices.mutable_type()->mutable_tensortype()->mutable_dimensions(0)->mutable_constant()->set_size(32);
    }
  });
  ExpectReadError(pkg2, {"weight.bin", "y_weight_0_palettized", "indices", "8192 bytes", "needs 4096"});
}

TEST(CoremlErrors, BadWeightFileHeader) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  PatchU32(WeightFile(pkg), 4, 3);
  ExpectReadError(pkg, {"weight.bin", "header version 3"});
  WriteAll(WeightFile(pkg), "short");
  ExpectReadError(pkg, {"weight.bin", "shorter than the 64-byte header"});
}

TEST(CoremlErrors, MissingWeightFileWhileReferenced) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_lut4_grouped"), tmp.path());
  fs::remove(WeightFile(pkg));
  ExpectReadError(pkg, {"weight.bin", "is missing", "y_weight_0_palettized"});
}

TEST(CoremlErrors, BlobFileNameOutsideModelFolder) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("linear_fp16"), tmp.path());
  EditModel(pkg, [](spec::Model& m) {
    for (auto& op : *MainBlock(m).mutable_operations()) {
      auto it = op.mutable_attributes()->find("val");
      if (it != op.mutable_attributes()->end() && it->second.has_blobfilevalue()) {
        it->second.mutable_blobfilevalue()->set_filename("@model_path/../../../weight.bin");
      }
    }
  });
  ExpectReadError(pkg, {"blob file name", "leaves the model folder"});
}

TEST(CoremlErrors, DanglingValueName) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("kv_state_multifunction"), tmp.path());
  EditModel(pkg, [](spec::Model& m) {
    for (auto& op : *MainBlock(m, "prefill").mutable_operations()) {
      if (op.type() == "softmax") (*op.mutable_inputs())["x"].mutable_arguments(0)->set_name("no_such_value");
    }
  });
  ExpectReadError(pkg, {"function prefill", "op attn_weights (softmax)", "input x", "'no_such_value'"});
}

TEST(CoremlErrors, ValueUsedBeforeItIsDefined) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("metadata"), tmp.path());
  EditModel(pkg, [](spec::Model& m) {
    auto* ops = MainBlock(m).mutable_operations();
    ops->SwapElements(2, 3);  // add before its const y_y_0
  });
  ExpectReadError(pkg, {"function main", "op y (add)", "input y", "'y_y_0'"});
}

TEST(CoremlErrors, BlockOutputUndefined) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("metadata"), tmp.path());
  EditModel(pkg, [](spec::Model& m) { MainBlock(m).set_outputs(0, "missing_output"); });
  ExpectReadError(pkg, {"function main", "block output 'missing_output'"});
}

TEST(CoremlErrors, InlineValueCountMismatch) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("metadata"), tmp.path());
  EditModel(pkg, [](spec::Model& m) {
    auto& val = (*MainBlock(m).mutable_operations(0)->mutable_attributes())["val"];
    val.mutable_immediatevalue()->mutable_tensor()->mutable_bytes()->set_values("abc");
  });
  ExpectReadError(pkg, {"op scaled_y_0 (const) attribute val", "3 bytes", "fp16[4]", "expected 8"});
}

TEST(CoremlErrors, DefaultFunctionNotDescribed) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("kv_state_multifunction"), tmp.path());
  EditModel(pkg, [](spec::Model& m) { m.mutable_description()->set_defaultfunctionname("decode"); });
  ExpectReadError(pkg, {"defaultFunctionName", "decode"});
}

TEST(CoremlErrors, MissingOpsetBlock) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("metadata"), tmp.path());
  EditModel(pkg, [](spec::Model& m) { (*m.mutable_mlprogram()->mutable_functions())["main"].set_opset("CoreML9"); });
  ExpectReadError(pkg, {"function main", "no block for opset CoreML9"});
}

// Unknown fields (from a newer schema) do not break reading.
TEST(CoremlErrors, UnknownFieldsAreIgnored) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(Fixture("metadata"), tmp.path());
  std::string bytes = Slurp(ModelFile(pkg));
  // field 77 (length-delimited) with 3 bytes, appended at top level
  bytes += std::string("\xea\x04\x03xyz", 6);
  WriteAll(ModelFile(pkg), bytes);
  auto model = ReadPackage(pkg);
  EXPECT_TRUE(model.ok()) << model.status().message();
}

}  // namespace
}  // namespace anemll::mil::coreml
