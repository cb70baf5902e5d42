// Writing packages: write(read(fixture)) reads back as the same model, the written weight.bin
// follows the blob storage layout, the manifest is well formed, and models built in memory
// (every dtype, shared weights, flexible shapes, states, multifunction) survive the trip.
#include <gtest/gtest.h>

#include <set>

#include "base/half.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/compare.h"
#include "mil/coreml/package.h"
#include "mil/coreml/sub_byte.h"
#include "coreml_test_util.h"

namespace anemll::mil::coreml {
namespace {

using namespace testutil;
using anemll::testing::FixturesDir;
using anemll::testing::TempDir;
using nlohmann::json;

uint32_t U32(const std::string& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;
}
uint64_t U64(const std::string& s, size_t off) {
  uint64_t v;
  std::memcpy(&v, s.data() + off, 8);
  return v;
}

// Every literal of a program (const vals, op attributes, literal bindings), nested blocks included.
void CollectLiterals(const Block& block, std::vector<const Literal*>* out) {
  for (const auto& op : block.operations) {
    for (const auto& [k, lit] : op.attributes) out->push_back(&lit);
    for (const auto& [p, args] : op.inputs) {
      for (const auto& a : args) {
        if (a.is_literal()) out->push_back(a.literal.get());
      }
    }
    for (const auto& b : op.blocks) CollectLiterals(b, out);
  }
}
std::vector<const Literal*> Literals(const Program& p) {
  std::vector<const Literal*> out;
  for (const auto& [name, fn] : p.functions) CollectLiterals(fn.block, &out);
  return out;
}

// Structural checks of a written weight.bin against the model that references it.
void ExpectBlobLayout(const fs::path& pkg, const Model& model) {
  const auto literals = Literals(model.program);
  // Distinct blob constants: same dtype and same bytes count once.
  std::vector<std::pair<DType, std::string>> distinct;
  for (const Literal* lit : literals) {
    if (!StoredAsBlob(*lit, model.specification_version)) {
      EXPECT_FALSE(lit->blob.has_value());
      continue;
    }
    EXPECT_TRUE(lit->blob.has_value());
    std::pair<DType, std::string> key{lit->type.tensor.dtype,
                                      std::string(reinterpret_cast<const char*>(lit->data->data()), lit->data->size())};
    if (std::find(distinct.begin(), distinct.end(), key) == distinct.end()) distinct.push_back(key);
  }
  const fs::path weight = WeightFile(pkg);
  if (distinct.empty()) {
    EXPECT_FALSE(fs::exists(weight));
    EXPECT_TRUE(fs::is_directory(weight.parent_path()));
    return;
  }
  const std::string file = Slurp(weight);
  ASSERT_GE(file.size(), 64u);
  EXPECT_EQ(U32(file, 0), distinct.size());
  EXPECT_EQ(U32(file, 4), 2u);
  for (size_t off = 8; off < 64; off += 8) EXPECT_EQ(U64(file, off), 0u) << "header reserved at " << off;
  // Walk the records by the layout rules.
  std::map<uint64_t, uint32_t> dtype_at;
  uint64_t meta = 64;
  uint64_t end = 0;
  for (uint32_t i = 0; i < U32(file, 0); ++i) {
    ASSERT_EQ(meta % 64, 0u);
    ASSERT_LE(meta + 64, file.size());
    EXPECT_EQ(U32(file, meta), 0xDEADBEEFu) << meta;
    const uint64_t size = U64(file, meta + 8);
    const uint64_t data = U64(file, meta + 16);
    EXPECT_EQ(data, meta + 64);
    for (size_t off = 32; off < 64; off += 8) EXPECT_EQ(U64(file, meta + off), 0u) << "record reserved";
    // Padding before the next record is zero.
    end = data + size;
    dtype_at[meta] = U32(file, meta + 4);
    const uint64_t next = (end + 63) / 64 * 64;
    for (uint64_t p = end; p < next && p < file.size(); ++p) EXPECT_EQ(file[p], 0) << "padding at " << p;
    meta = next;
  }
  EXPECT_EQ(end, file.size()) << "no trailing padding";
  // Every blob reference points at a record of the right dtype and size.
  for (const Literal* lit : literals) {
    if (!lit->blob) continue;
    ASSERT_TRUE(dtype_at.count(lit->blob->offset)) << lit->blob->offset;
    EXPECT_EQ(dtype_at[lit->blob->offset], BlobDTypeCode(lit->type.tensor.dtype));
    EXPECT_EQ(U64(file, lit->blob->offset + 8), lit->data->size());
    EXPECT_EQ(U64(file, lit->blob->offset + 24), PaddingBits(lit->type.tensor.dtype, lit->num_elements()));
    EXPECT_EQ(lit->blob->file, "@model_path/weights/weight.bin");
  }
  auto opened = BlobFile::Open(weight);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto list = (*opened)->List();
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_EQ(list->size(), distinct.size());
}

void ExpectManifest(const fs::path& pkg) {
  const json m = json::parse(Slurp(pkg / "Manifest.json"));
  EXPECT_EQ(m["fileFormatVersion"], "1.0.0");
  ASSERT_EQ(m["itemInfoEntries"].size(), 2u);
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> paths;
  for (auto it = m["itemInfoEntries"].begin(); it != m["itemInfoEntries"].end(); ++it) {
    EXPECT_TRUE(std::regex_match(it.key(), uuid)) << it.key();
    EXPECT_EQ(it.value().size(), 4u);
    EXPECT_EQ(it.value()["author"], "com.apple.CoreML");
    paths.insert(it.value()["path"].get<std::string>());
    if (it.value()["name"] == "model.mlmodel") {
      EXPECT_EQ(m["rootModelIdentifier"], it.key());
      EXPECT_EQ(it.value()["description"], "CoreML Model Specification");
      EXPECT_EQ(it.value()["path"], "com.apple.CoreML/model.mlmodel");
    } else {
      EXPECT_EQ(it.value()["name"], "weights");
      EXPECT_EQ(it.value()["description"], "CoreML Model Weights");
      EXPECT_EQ(it.value()["path"], "com.apple.CoreML/weights");
    }
  }
  EXPECT_EQ(paths.size(), 2u);
}

TEST(CoremlRoundTrip, EveryFixture) {
  for (const auto& f : FixturePackages()) {
    SCOPED_TRACE(f.package_name);
    auto original = ReadPackage(f.package);
    ASSERT_TRUE(original.ok()) << original.status().message();
    TempDir tmp;
    const fs::path out = tmp / f.package_name;
    Status s = WritePackage(*original, out);
    ASSERT_TRUE(s.ok()) << s.message();
    auto again = ReadPackage(out);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(FirstDifference(*original, *again), "");
    ExpectBlobLayout(out, *again);
    ExpectManifest(out);
    // coremltools' own layout is reproduced exactly (same blob order, offsets and bytes) unless
    // it stored identical constants twice (lm_head_split*: two all-zero biases), which the
    // writer stores once.
    if (fs::exists(WeightFile(f.package))) {
      const std::string written = Slurp(WeightFile(out));
      const std::string source = Slurp(WeightFile(f.package));
      if (f.case_name == "lm_head_split_argmax") {
        EXPECT_EQ(U32(source, 0), 4u);
        EXPECT_EQ(U32(written, 0), 3u);
      } else {
        EXPECT_TRUE(written == source) << "weight.bin differs from coremltools' bytes";
      }
    } else {
      EXPECT_FALSE(fs::exists(WeightFile(out)));
    }
    // Writing is deterministic.
    const fs::path out2 = tmp / ("again_" + f.package_name);
    ASSERT_TRUE(WritePackage(*again, out2).ok());
    EXPECT_EQ(Slurp(ModelFile(out2)), Slurp(ModelFile(out)));
    // No staging folders are left behind.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(tmp.path())) entries += e.is_directory();
    EXPECT_EQ(entries, 2);
  }
}

TEST(CoremlRoundTrip, MultifunctionKeepsThreeSharedBlobs) {
  auto model = ReadPackage(FixturesDir() / "coreml/kv_state_multifunction/kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  TempDir tmp;
  ASSERT_TRUE(WritePackage(*model, tmp / "mf.mlpackage").ok());
  const std::string file = Slurp(WeightFile(tmp / "mf.mlpackage"));
  EXPECT_EQ(U32(file, 0), 3u);
  auto again = ReadPackage(tmp / "mf.mlpackage");
  ASSERT_TRUE(again.ok()) << again.status().message();
  std::set<uint64_t> offsets;
  for (const Literal* lit : Literals(again->program)) {
    if (lit->blob) offsets.insert(lit->blob->offset);
  }
  EXPECT_EQ(offsets, (std::set<uint64_t>{64, 256, 448}));
}

TEST(CoremlRoundTrip, EmptyModelGetsEmptyWeightsFolder) {
  auto model = ReadPackage(FixturesDir() / "coreml/metadata/metadata.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  TempDir tmp;
  const fs::path out = tmp / "m.mlpackage";
  ASSERT_TRUE(WritePackage(*model, out).ok());
  const fs::path weights = out / "Data/com.apple.CoreML/weights";
  EXPECT_TRUE(fs::is_directory(weights));
  EXPECT_TRUE(fs::is_empty(weights));
  ExpectManifest(out);
  // And a package without a weights folder at all still reads (nothing references a blob).
  fs::remove_all(weights);
  auto again = ReadPackage(out);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(FirstDifference(*model, *again), "");
}

TEST(CoremlRoundTrip, WriteReplacesAnExistingPackage) {
  auto model = ReadPackage(FixturesDir() / "coreml/linear_fp16/linear_fp16.mlpackage");
  ASSERT_TRUE(model.ok());
  TempDir tmp;
  const fs::path out = tmp / "x.mlpackage";
  fs::create_directories(out / "stale");
  ASSERT_TRUE(WritePackage(*model, out).ok());
  EXPECT_FALSE(fs::exists(out / "stale"));
  EXPECT_TRUE(ReadPackage(out).ok());
}

// A model read from a package can be written back over that same package: its weights borrow
// from the old weight.bin, which stays mapped until the model is gone.
TEST(CoremlRoundTrip, OverwriteTheSourcePackage) {
  TempDir tmp;
  const fs::path pkg = CopyPackage(FixturesDir() / "coreml/linear_lut6_grouped/linear_lut6_grouped.mlpackage",
                                   tmp.path());
  const std::string before = Slurp(WeightFile(pkg));
  auto model = ReadPackage(pkg);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(WritePackage(*model, pkg).ok());
  auto again = ReadPackage(pkg);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(FirstDifference(*model, *again), "");
  EXPECT_TRUE(Slurp(WeightFile(pkg)) == before);
}

TEST(CoremlRoundTrip, WriterRejectsBadModels) {
  auto model = ReadPackage(FixturesDir() / "coreml/linear_fp16/linear_fp16.mlpackage");
  ASSERT_TRUE(model.ok());
  TempDir tmp;
  {
    Status s = WritePackage(*model, tmp / "no_extension");
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(".mlpackage"), std::string::npos) << s.message();
  }
  {
    Model bad = *model;
    auto& ops = bad.program.functions.at("main").block.operations;
    ops.back().inputs["x"][0].name = "nowhere";
    Status s = WritePackage(bad, tmp / "bad.mlpackage");
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("'nowhere'"), std::string::npos) << s.message();
    EXPECT_FALSE(fs::exists(tmp / "bad.mlpackage"));
  }
  {
    Model bad = *model;
    auto& ops = bad.program.functions.at("main").block.operations;
    for (auto& op : ops) {
      if (op.type == "const" && op.attributes.at("val").num_elements() >= 10) {
        Literal& val = op.attributes.at("val");
        val.data = std::make_shared<const Buffer>(std::vector<uint8_t>(3));  // wrong size
        break;
      }
    }
    Status s = WritePackage(bad, tmp / "bad2.mlpackage");
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("bytes"), std::string::npos) << s.message();
    EXPECT_FALSE(fs::exists(tmp / "bad2.mlpackage"));
    for (const auto& e : fs::directory_iterator(tmp.path())) ADD_FAILURE() << "left behind: " << e.path();
  }
}

// ---- a model built in memory -------------------------------------------------------------------

Operation ConstOp(const std::string& name, Literal val) {
  Operation op;
  op.type = "const";
  op.name = name;
  op.outputs.push_back({name, val.type});
  op.attributes.emplace("val", std::move(val));
  return op;
}

Literal Filled(DType dtype, std::vector<int64_t> shape, uint32_t seed) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<uint8_t> bytes(StorageBytes(dtype, static_cast<uint64_t>(n)));
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  if (dtype == DType::kBool) {
    for (auto& b : bytes) b &= 1;
  }
  if (dtype == DType::kFp16 || dtype == DType::kBf16 || dtype == DType::kFp32 || dtype == DType::kFp64) {
    // keep values finite and exactly representable: small integers
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<int>((seed + i * 7) % 17) - 8);
    if (dtype == DType::kFp16) return Literal::Fp16(shape, v);
    if (dtype == DType::kFp32) return Literal::Fp32(shape, v);
    std::vector<uint8_t> raw(StorageBytes(dtype, n));
    for (int64_t i = 0; i < n; ++i) {
      if (dtype == DType::kBf16) {
        uint16_t b = FloatToBf16(v[i]);
        std::memcpy(raw.data() + 2 * i, &b, 2);
      } else {
        double d = v[i];
        std::memcpy(raw.data() + 8 * i, &d, 8);
      }
    }
    return Literal::Raw(dtype, shape, std::make_shared<const Buffer>(std::move(raw)));
  }
  if (IsSubByte(dtype) && n > 0) {
    // clear the unused bits of the last byte (the writer does not promise to keep them)
    const uint64_t used = static_cast<uint64_t>(n) * DTypeBits(dtype) % 8;
    if (used) bytes.back() &= static_cast<uint8_t>((1u << used) - 1u);
  }
  return Literal::Raw(dtype, shape, std::make_shared<const Buffer>(std::move(bytes)));
}

Model BuildModel() {
  Model m;
  m.specification_version = 9;
  Function fn;
  fn.inputs.push_back({"x", ValueType::Tensor(DType::kFp16, {1, kUnknownDim})});
  fn.inputs.push_back({"cache", ValueType::State(DType::kFp16, {2, 4})});
  Block& b = fn.block;
  const DType all[] = {DType::kBool,  DType::kFp16,  DType::kFp32,   DType::kFp64,  DType::kBf16,
                       DType::kInt4,  DType::kInt8,  DType::kInt16,  DType::kInt32, DType::kInt64,
                       DType::kUInt1, DType::kUInt2, DType::kUInt3,  DType::kUInt4, DType::kUInt6,
                       DType::kUInt8, DType::kUInt16, DType::kUInt32, DType::kUInt64};
  uint32_t seed = 1;
  for (DType d : all) {
    b.operations.push_back(ConstOp(StrCat("small_", DTypeName(d)), Filled(d, {3}, seed++)));
    b.operations.push_back(ConstOp(StrCat("big_", DTypeName(d)), Filled(d, {5, 7}, seed++)));
    b.operations.push_back(ConstOp(StrCat("scalar_", DTypeName(d)), Filled(d, {}, seed++)));
    b.operations.push_back(ConstOp(StrCat("empty_", DTypeName(d)), Filled(d, {0, 4}, seed++)));
  }
  b.operations.push_back(ConstOp("str", Literal::String("hello")));
  Literal strs;
  strs.type = ValueType::Tensor(DType::kString, {2});
  strs.strings = {"a", "b c"};
  b.operations.push_back(ConstOp("strs", strs));
  // Shared weights: one Buffer in two consts, identical bytes in a third, same bytes as int16 in a fourth.
  Literal w = Filled(DType::kFp16, {16, 4}, 99);
  b.operations.push_back(ConstOp("w_a", w));
  b.operations.push_back(ConstOp("w_b", w));
  Literal w_copy = Literal::Raw(DType::kFp16, {16, 4},
                                std::make_shared<const Buffer>(std::vector<uint8_t>(w.data->data(), w.data->data() + w.data->size())));
  b.operations.push_back(ConstOp("w_c", w_copy));
  b.operations.push_back(ConstOp("w_int16", Literal::Raw(DType::kInt16, {16, 4}, w.data)));
  // An iOS18-style constexpr op with literal inputs.
  Operation lut;
  lut.type = "constexpr_lut_to_dense";
  lut.name = "w_pal";
  std::vector<int32_t> idx(8 * 16);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>((i * 5) % 16);
  lut.inputs["indices"].push_back(Argument::Lit(
      Literal::Raw(DType::kUInt4, {8, 16}, std::make_shared<const Buffer>(PackSubByte(DType::kUInt4, idx)))));
  lut.inputs["lut"].push_back(Argument::Lit(Filled(DType::kFp16, {2, 1, 16, 1}, 7)));
  lut.outputs.push_back({"w_pal", ValueType::Tensor(DType::kFp16, {8, 16})});
  b.operations.push_back(lut);
  // Ops using the inputs; a variadic parameter; a state read/write.
  Operation rd;
  rd.type = "read_state";
  rd.name = "cache_read";
  rd.inputs["input"].push_back(Argument::Ref("cache"));
  rd.outputs.push_back({"cache_read", ValueType::Tensor(DType::kFp16, {2, 4})});
  b.operations.push_back(rd);
  Operation wr;
  wr.type = "write_state";
  wr.name = "cache_write";
  wr.inputs["input"].push_back(Argument::Ref("cache"));
  wr.inputs["data"].push_back(Argument::Ref("cache_read"));
  b.operations.push_back(wr);
  Operation cat;
  cat.type = "concat";
  cat.name = "cat";
  cat.inputs["values"] = {Argument::Ref("x"), Argument::Ref("x")};
  cat.inputs["axis"].push_back(Argument::Lit(Literal::ScalarInt32(0)));
  cat.outputs.push_back({"cat", ValueType::Tensor(DType::kFp16, {2, kUnknownDim})});
  b.operations.push_back(cat);
  b.outputs = {"cat", "w_pal"};
  m.program.functions["main"] = fn;
  Literal info;
  info.type.kind = ValueType::Kind::kDict;
  info.type.tensor = TensorType{DType::kString, {}, false};
  info.string_dict = {{"anemll-version", "0.1.0"}, {"source", "test"}};
  m.program.attributes["buildInfo"] = info;

  FeatureDescription x{"x", "hidden input", {}};
  x.type.dtype = ArrayDType::kFp16;
  x.type.shape = {1, 1};
  x.type.shape_range = {{1, 1}, {1, -1}};
  FeatureDescription cache{"cache", "", {}};
  cache.type.kind = FeatureType::Kind::kState;
  cache.type.dtype = ArrayDType::kFp16;
  cache.type.shape = {2, 4};
  FeatureDescription out{"cat", "", {}};
  out.type.dtype = ArrayDType::kFp16;
  FeatureDescription pal{"w_pal", "", {}};
  pal.type.dtype = ArrayDType::kFp16;
  pal.type.shape = {8, 16};
  pal.type.optional = true;
  m.description.inputs = {x};
  m.description.states = {cache};
  m.description.outputs = {out, pal};
  m.description.metadata.author = "anemll";
  m.description.metadata.version = "1.2.3";
  m.description.metadata.license = "MIT";
  m.description.metadata.short_description = "built in a test";
  m.description.metadata.user_defined = {{"com.anemll.context_length", "512"}};
  return m;
}

TEST(CoremlRoundTrip, BuiltModelWithEveryDtype) {
  const Model model = BuildModel();
  TempDir tmp;
  const fs::path out = tmp / "built.mlpackage";
  Status s = WritePackage(model, out);
  ASSERT_TRUE(s.ok()) << s.message();
  auto again = ReadPackage(out);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(FirstDifference(model, *again), "");
  ExpectBlobLayout(out, *again);
  ExpectManifest(out);

  std::map<std::string, const Literal*> vals;
  for (const auto& op : again->program.functions.at("main").block.operations) {
    if (op.type == "const") vals[op.name] = &op.attributes.at("val");
  }
  // Storage choice: >= 10 elements of a blob dtype go to the blob.
  for (const char* name : {"big_fp16", "big_fp32", "big_bf16", "big_int4", "big_int8", "big_int16", "big_int32",
                           "big_uint1", "big_uint2", "big_uint3", "big_uint4", "big_uint6", "big_uint8",
                           "big_uint16", "big_uint32"}) {
    EXPECT_TRUE(vals.at(name)->blob.has_value()) << name;
  }
  for (const char* name : {"big_bool", "big_fp64", "big_int64", "big_uint64", "small_fp16", "small_uint4",
                           "scalar_fp32", "empty_fp16", "str", "strs"}) {
    EXPECT_FALSE(vals.at(name)->blob.has_value()) << name;
  }
  // Sharing: same Buffer and identical bytes share one blob; the int16 view gets its own.
  EXPECT_EQ(vals.at("w_a")->blob->offset, vals.at("w_b")->blob->offset);
  EXPECT_EQ(vals.at("w_a")->blob->offset, vals.at("w_c")->blob->offset);
  EXPECT_NE(vals.at("w_a")->blob->offset, vals.at("w_int16")->blob->offset);
  EXPECT_EQ(vals.at("strs")->strings, (std::vector<std::string>{"a", "b c"}));
  // Description details survive.
  EXPECT_EQ(again->description.inputs[0].type.shape_range, (std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, -1}}));
  EXPECT_TRUE(again->description.outputs[1].type.optional);
  EXPECT_EQ(again->description.states[0].type.kind, FeatureType::Kind::kState);
}

TEST(CoremlRoundTrip, BuiltMultifunctionModel) {
  Model model = BuildModel();
  Function second = model.program.functions.at("main");
  model.program.functions.erase("main");
  model.program.functions["decode"] = second;
  model.program.functions["prefill"] = second;
  FunctionDescription fd{"decode", model.description.inputs, model.description.outputs, model.description.states};
  FunctionDescription fp = fd;
  fp.name = "prefill";
  fp.inputs[0].type.shape_range.clear();
  fp.inputs[0].type.enumerated_shapes = {{1, 1}, {1, 8}};
  model.description.inputs.clear();
  model.description.outputs.clear();
  model.description.states.clear();
  model.description.functions = {fd, fp};
  model.description.default_function_name = "prefill";
  TempDir tmp;
  ASSERT_TRUE(WritePackage(model, tmp / "mf.mlpackage").ok());
  auto again = ReadPackage(tmp / "mf.mlpackage");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(FirstDifference(model, *again), "");
  // Both functions share every blob: the file holds as many blobs as one function needs.
  TempDir tmp1;
  Model single = BuildModel();
  ASSERT_TRUE(WritePackage(single, tmp1 / "s.mlpackage").ok());
  EXPECT_EQ(Slurp(WeightFile(tmp / "mf.mlpackage")), Slurp(WeightFile(tmp1 / "s.mlpackage")));
  EXPECT_EQ(again->description.Function("prefill")->inputs[0].type.enumerated_shapes,
            (std::vector<std::vector<int64_t>>{{1, 1}, {1, 8}}));
}

}  // namespace
}  // namespace anemll::mil::coreml
