// safetensors reading (validation of every header field), writing, and sharded folders.
#include <gtest/gtest.h>

#include <fstream>

#include "base/file.h"
#include "base/half.h"
#include "hf/safetensors.h"
#include "hf/tensor_store.h"
#include "support/test_support.h"

namespace anemll::hf {
namespace {

using testing::TempDir;

// A safetensors file from a raw header string and data section.
std::string RawFile(const std::string& header, const std::string& data) {
  std::string out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

std::filesystem::path WriteRaw(const TempDir& dir, const std::string& name, const std::string& bytes) {
  auto p = dir / name;
  EXPECT_TRUE(WriteFileAtomic(p, bytes).ok());
  return p;
}

// Opens a file expected to be rejected and returns the message.
std::string OpenError(const std::filesystem::path& p) {
  auto f = SafetensorsFile::Open(p);
  EXPECT_FALSE(f.ok());
  return f.ok() ? "" : f.status().message();
}

TEST(SafetensorsWriter, RoundTripsEveryWritableDtype) {
  TempDir dir;
  SafetensorsWriter w;
  const std::vector<float> f = {1.0f, -2.5f, 3.25f, 65504.0f, 1e-3f, 0.0f};
  const std::vector<int32_t> i32 = {1, -2, 2147483647};
  const std::vector<int64_t> i64 = {-1, 1ll << 40};
  ASSERT_TRUE(w.AddF32("f32", {2, 3}, f).ok());
  ASSERT_TRUE(w.AddF16("f16", {6}, f).ok());
  ASSERT_TRUE(w.AddBF16("bf16", {3, 2}, f).ok());
  ASSERT_TRUE(w.AddI32("i32", {3}, i32).ok());
  ASSERT_TRUE(w.AddI64("i64", {2}, i64).ok());
  ASSERT_TRUE(w.AddF32("empty", {0, 4}, std::vector<float>{}).ok());
  w.SetMetadata("format", "pt");
  ASSERT_TRUE(w.Write(dir / "t.safetensors").ok());

  auto file = SafetensorsFile::Open(dir / "t.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->tensors().size(), 6u);
  const TensorInfo* t = file->Find("f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*ToFloat32(*t), f);
  auto h = ToFloat32(*file->Find("f16"));
  for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ((*h)[i], RoundToHalf(f[i]));
  auto b = ToFloat32(*file->Find("bf16"));
  for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ((*b)[i], Bf16ToFloat(FloatToBf16(f[i])));
  EXPECT_EQ(*ToInt64(*file->Find("i32")), (std::vector<int64_t>{1, -2, 2147483647}));
  EXPECT_EQ(*ToInt64(*file->Find("i64")), i64);
  EXPECT_EQ(file->Find("empty")->numel(), 0);
  EXPECT_EQ(file->Find("missing"), nullptr);
  // The data section starts 8-byte aligned.
  std::string bytes = *ReadFile(dir / "t.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u);
}

TEST(SafetensorsWriter, RejectsDuplicateAndMismatchedTensors) {
  SafetensorsWriter w;
  const std::vector<float> v = {1, 2, 3};
  ASSERT_TRUE(w.AddF32("a", {3}, v).ok());
  Status dup = w.AddF32("a", {3}, v);
  EXPECT_EQ(dup.message(), "safetensors: tensor a added twice");
  Status mismatch = w.AddF32("b", {2, 2}, v);
  EXPECT_EQ(mismatch.message(), "safetensors: tensor b shape [2,2] does not match 3 values");
  EXPECT_FALSE(w.Add("c", DType::kF16, {4}, std::string(6, '\0')).ok());
}

TEST(SafetensorsReader, ReadsOtherDtypesAndMetadata) {
  TempDir dir;
  // BOOL, U8, I8, I16, F64 side by side, header padded with spaces.
  std::string data;
  data += std::string("\x01\x00", 2);                    // BOOL [2]
  data += std::string("\xff", 1);                        // U8 [1]
  data += std::string("\xff", 1);                        // I8 [1]
  data += std::string("\xfe\xff", 2);                    // I16 [1] = -2
  double d = 0.5;
  data += std::string(reinterpret_cast<const char*>(&d), 8);  // F64 [1]
  std::string header =
      R"({"__metadata__":{"k":"v"},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]},)"
      R"("u":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"i":{"dtype":"I8","shape":[1],"data_offsets":[3,4]},)"
      R"("s":{"dtype":"I16","shape":[1],"data_offsets":[4,6]},"d":{"dtype":"F64","shape":[],"data_offsets":[6,14]}}   )";
  auto p = WriteRaw(dir, "x.safetensors", RawFile(header, data));
  auto f = SafetensorsFile::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(*ToInt64(*f->Find("b")), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(*ToInt64(*f->Find("u")), (std::vector<int64_t>{255}));
  EXPECT_EQ(*ToInt64(*f->Find("i")), (std::vector<int64_t>{-1}));
  EXPECT_EQ(*ToInt64(*f->Find("s")), (std::vector<int64_t>{-2}));
  EXPECT_EQ(*ToFloat32(*f->Find("d")), (std::vector<float>{0.5f}));
  EXPECT_FALSE(ToFloat32(*f->Find("u")).ok());
  EXPECT_FALSE(ToInt64(*f->Find("d")).ok());
}

TEST(SafetensorsReader, ShapeCheckNamesTensorAndBothShapes) {
  TempDir dir;
  SafetensorsWriter w;
  std::vector<float> v(96 * 64, 0.0f);
  ASSERT_TRUE(w.AddF32("model.layers.3.mlp.up_proj.weight", {96, 64}, v).ok());
  ASSERT_TRUE(w.Write(dir / "w.safetensors").ok());
  auto f = SafetensorsFile::Open(dir / "w.safetensors");
  ASSERT_TRUE(f.ok());
  auto r = ToFloat32(*f->Find("model.layers.3.mlp.up_proj.weight"), {128, 64});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "tensor model.layers.3.mlp.up_proj.weight has shape [96,64], expected [128,64]");
}

TEST(SafetensorsReader, TruncatedFileIsRejected) {
  TempDir dir;
  auto p = WriteRaw(dir, "short.safetensors", std::string("\x10\x00\x00", 3));
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() +
                              ": truncated: file is 3 bytes, shorter than the 8-byte header length");
}

TEST(SafetensorsReader, HeaderLengthBeyondFileIsRejected) {
  TempDir dir;
  std::string bytes = RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  bytes.resize(30);  // cut inside the header
  auto p = WriteRaw(dir, "cut.safetensors", bytes);
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() + ": truncated: header length 54 goes beyond the file of 30 bytes");
}

TEST(SafetensorsReader, OffsetsBeyondDataSectionAreRejected) {
  TempDir dir;
  auto p = WriteRaw(dir, "far.safetensors",
                    RawFile(R"({"model.layers.0.q.weight":{"dtype":"F32","shape":[225],"data_offsets":[0,900]}})",
                            std::string(512, '\0')));
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() +
                              ": tensor model.layers.0.q.weight data_offsets [0,900] end beyond data section of 512 bytes");
}

TEST(SafetensorsReader, OverlappingTensorsAreRejected) {
  TempDir dir;
  auto p = WriteRaw(dir, "overlap.safetensors",
                    RawFile(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                            std::string(24, '\0')));
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() + ": tensors a [0,16] and b [8,24] overlap");
}

TEST(SafetensorsReader, UnknownDtypeIsRejected) {
  TempDir dir;
  auto p = WriteRaw(dir, "dtype.safetensors",
                    RawFile(R"({"a":{"dtype":"F12","shape":[1],"data_offsets":[0,2]}})", std::string(2, '\0')));
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() + ": tensor a: unknown dtype \"F12\"");
  auto q = WriteRaw(dir, "fp8.safetensors",
                    RawFile(R"({"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", std::string(1, '\0')));
  EXPECT_NE(OpenError(q).find("dtype F8_E4M3 is not supported"), std::string::npos);
}

TEST(SafetensorsReader, SizeMismatchAndReversedOffsetsAreRejected) {
  TempDir dir;
  auto p = WriteRaw(dir, "size.safetensors",
                    RawFile(R"({"a":{"dtype":"BF16","shape":[3,2],"data_offsets":[0,8]}})", std::string(8, '\0')));
  EXPECT_EQ(OpenError(p), "safetensors " + p.string() + ": tensor a data_offsets [0,8] hold 8 bytes, but BF16 [3,2] needs 12");
  auto q = WriteRaw(dir, "rev.safetensors",
                    RawFile(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[4,2]}})", std::string(8, '\0')));
  EXPECT_EQ(OpenError(q), "safetensors " + q.string() + ": tensor a data_offsets [4,2] begin is after end");
}

TEST(SafetensorsReader, MalformedHeadersAreRejected) {
  TempDir dir;
  struct Case {
    std::string header;
    std::string expected_part;
  };
  const Case cases[] = {
      {R"({"a":{"dtype":"F32","shape":[1],)", "header is not valid JSON"},
      {R"([1,2])", "header is not a JSON object"},
      {R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "tensor a: missing or non-string \"dtype\""},
      {R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", "tensor a: missing \"shape\""},
      {R"({"a":{"dtype":"F32","shape":[1]}})", "tensor a: missing \"data_offsets\""},
      {R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "shape entry -1 is not a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "is not a pair of non-negative integers"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", "is not a pair of non-negative integers"},
      {R"({"a":[1]})", "tensor a: entry is not an object"},
      {R"({"__metadata__":[1]})", "__metadata__ is not an object"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}})", "is too large"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto p = WriteRaw(dir, "bad" + std::to_string(i++) + ".safetensors", RawFile(c.header, std::string(4, '\0')));
    const std::string err = OpenError(p);
    EXPECT_NE(err.find(c.expected_part), std::string::npos) << c.header << " -> " << err;
    EXPECT_EQ(err.rfind("safetensors " + p.string() + ": ", 0), 0u) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(SafetensorsReader, MissingFileIsAnIoError) {
  auto f = SafetensorsFile::Open("/nonexistent/model.safetensors");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kIoError);
}

// ---------------------------------------------------------------------------------------------
// Folders: index, single file, several files.

void WriteTensor(const std::filesystem::path& path, const std::vector<std::pair<std::string, float>>& tensors) {
  SafetensorsWriter w;
  for (const auto& [name, value] : tensors) {
    std::vector<float> v = {value, value};
    ASSERT_TRUE(w.AddF32(name, {2}, v).ok());
  }
  ASSERT_TRUE(w.Write(path).ok());
}

TEST(TensorStore, ShardedCheckpointThroughIndex) {
  TempDir dir;
  WriteTensor(dir / "model-00001-of-00002.safetensors", {{"a", 1}, {"b", 2}});
  WriteTensor(dir / "model-00002-of-00002.safetensors", {{"c", 3}});
  ASSERT_TRUE(WriteFileAtomic(dir / "model.safetensors.index.json",
                              R"({"metadata":{"total_size":24},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
                              R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})")
                  .ok());
  auto store = TensorStore::OpenDir(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->size(), 3u);
  EXPECT_EQ(store->files().size(), 2u);
  EXPECT_EQ((*ToFloat32(*store->Find("c")))[0], 3.0f);
  EXPECT_EQ(store->Names(), (std::vector<std::string>{"a", "b", "c"}));
  auto missing = store->Get("d");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing tensor d");
}

TEST(TensorStore, IndexErrorsNameTheIndex) {
  TempDir dir;
  WriteTensor(dir / "s1.safetensors", {{"a", 1}});
  const auto index = dir / "model.safetensors.index.json";
  ASSERT_TRUE(WriteFileAtomic(index, R"({"weight_map":{"a":"s2.safetensors"}})").ok());
  auto r = TensorStore::OpenDir(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), index.string() + ": shard s2.safetensors listed in weight_map does not exist");

  ASSERT_TRUE(WriteFileAtomic(index, R"({"weight_map":{"a":"s1.safetensors","z":"s1.safetensors"}})").ok());
  r = TensorStore::OpenDir(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), index.string() + ": tensor z is listed in weight_map but missing from s1.safetensors");

  ASSERT_TRUE(WriteFileAtomic(index, R"({"weight_map":{"a":"../s1.safetensors"}})").ok());
  EXPECT_FALSE(TensorStore::OpenDir(dir.path()).ok());

  ASSERT_TRUE(WriteFileAtomic(index, R"({"weight_map":)").ok());
  r = TensorStore::OpenDir(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos);
}

TEST(TensorStore, SeveralFilesWithoutIndex) {
  TempDir dir;
  WriteTensor(dir / "part-b.safetensors", {{"b", 2}});
  WriteTensor(dir / "part-a.safetensors", {{"a", 1}});
  auto store = TensorStore::OpenDir(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->Names(), (std::vector<std::string>{"a", "b"}));

  // The same tensor in two files is ambiguous.
  WriteTensor(dir / "part-c.safetensors", {{"a", 5}});
  auto dup = TensorStore::OpenDir(dir.path());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("tensor a is in both"), std::string::npos) << dup.status().message();
}

TEST(TensorStore, PrefersModelSafetensorsOverOtherFiles) {
  TempDir dir;
  WriteTensor(dir / "model.safetensors", {{"w", 1}});
  WriteTensor(dir / "golden.safetensors", {{"logits", 2}});
  auto store = TensorStore::OpenDir(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->Names(), (std::vector<std::string>{"w"}));
}

TEST(TensorStore, EmptyFolderIsAnError) {
  TempDir dir;
  auto r = TensorStore::OpenDir(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "checkpoint " + dir.path().string() + ": no *.safetensors files");
}

}  // namespace
}  // namespace anemll::hf
