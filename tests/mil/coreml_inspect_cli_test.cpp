// `anemll inspect`: text and JSON facts on the multifunction, LUT, metadata and enumerated-shape
// fixtures, --mil program text, and a one-line error for a missing package.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "support/test_support.h"

namespace anemll {
namespace {

using anemll::testing::FixturesDir;
using anemll::testing::RunCli;
using nlohmann::json;

std::string Pkg(const std::string& case_name) {
  return (FixturesDir() / "coreml" / case_name / (case_name + ".mlpackage")).string();
}

void ExpectContains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' missing in:\n" << text;
}

TEST(InspectCli, MultifunctionText) {
  auto r = RunCli({"inspect", Pkg("kv_state_multifunction")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "specification version: 9");
  ExpectContains(r.out, "functions: infer (default), prefill\n");
  ExpectContains(r.out, "function infer (default) [CoreML8]:");
  ExpectContains(r.out, "function prefill [CoreML8]:");
  ExpectContains(r.out, "  states:\n    kv_cache  fp16  [2,1,16,8]\n");
  ExpectContains(r.out, "current_pos  int32 [1]");
  ExpectContains(r.out, "causal_mask  fp16  [1,1,4,16]");
  ExpectContains(r.out, "ops (48): const 27, reshape 4, linear 3");
  ExpectContains(r.out, "read_state 2");
  ExpectContains(r.out, "write_state 1");
  ExpectContains(r.out, "weights: 3 blobs, 384 bytes");
  ExpectContains(r.out, "by dtype: fp16 384 bytes");
  EXPECT_EQ(r.out.find("by LUT bits"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST(InspectCli, MultifunctionJson) {
  auto r = RunCli({"inspect", Pkg("kv_state_multifunction"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);  // exactly one JSON document
  EXPECT_EQ(j["specification_version"], 9);
  EXPECT_EQ(j["default_function"], "infer");
  ASSERT_EQ(j["functions"].size(), 2u);
  const json& infer = j["functions"][0];
  EXPECT_EQ(infer["name"], "infer");
  EXPECT_EQ(infer["default"], true);
  EXPECT_EQ(j["functions"][1]["name"], "prefill");
  EXPECT_EQ(j["functions"][1]["default"], false);
  ASSERT_EQ(infer["inputs"].size(), 3u);
  EXPECT_EQ(infer["inputs"][1]["name"], "current_pos");
  EXPECT_EQ(infer["inputs"][1]["dtype"], "int32");
  EXPECT_EQ(infer["inputs"][1]["shape"], json::array({1}));
  ASSERT_EQ(infer["states"].size(), 1u);
  EXPECT_EQ(infer["states"][0]["name"], "kv_cache");
  EXPECT_EQ(infer["states"][0]["dtype"], "fp16");
  EXPECT_EQ(infer["states"][0]["shape"], json::array({2, 1, 16, 8}));
  EXPECT_EQ(j["functions"][1]["outputs"][0]["shape"], json::array({1, 4, 8}));
  EXPECT_EQ(infer["op_count"], 48);
  int64_t total = 0;
  for (auto it = infer["ops"].begin(); it != infer["ops"].end(); ++it) total += it.value().get<int64_t>();
  EXPECT_EQ(total, 48);
  EXPECT_EQ(infer["ops"]["slice_update"], 1);
  EXPECT_EQ(j["weights"]["blob_count"], 3);
  EXPECT_EQ(j["weights"]["total_blob_bytes"], 384);  // three shared fp16 [8,8] weights
  EXPECT_EQ(j["weights"]["weight_file_bytes"], 640);
  EXPECT_EQ(j["weights"]["by_dtype"]["fp16"], 384);
  EXPECT_TRUE(j["weights"]["by_lut_bits"].empty());
  EXPECT_TRUE(j["metadata"]["user_defined"].empty());
}

TEST(InspectCli, LutText) {
  auto r = RunCli({"inspect", Pkg("linear_lut4_grouped")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "functions: main (default)\n");
  ExpectContains(r.out, "ops (3): const 1, constexpr_lut_to_dense 1, linear 1");
  // indices uint4 [64,256] = 8192 bytes, LUT fp16 [4,1,16,1] = 128 bytes, bias fp16 [64] = 128 bytes
  ExpectContains(r.out, "weights: 3 blobs, 8448 bytes (weight files 8704 bytes)\n");
  ExpectContains(r.out, "  by dtype: fp16 256 bytes, uint4 8192 bytes\n");
  ExpectContains(r.out, "  by LUT bits: lut4 8320 bytes (1 op)\n");
  auto big = RunCli({"inspect", Pkg("linear_lut6_grouped")});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  ExpectContains(big.out, "by LUT bits: lut6 12.5 KiB (12800 bytes) (1 op)");
}

TEST(InspectCli, LutJson) {
  for (const auto& [name, bits, lut_bytes, index_bytes] :
       std::vector<std::tuple<std::string, int, int, int>>{{"linear_lut4_grouped", 4, 128, 8192},
                                                           {"linear_lut6_grouped", 6, 512, 12288},
                                                           {"linear_lut4_tensor", 4, 32, 8192}}) {
    SCOPED_TRACE(name);
    auto r = RunCli({"inspect", Pkg(name), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    const json& w = j["weights"];
    EXPECT_EQ(w["blob_count"], 3);
    EXPECT_EQ(w["by_dtype"]["uint" + std::to_string(bits)], index_bytes);
    EXPECT_EQ(w["by_dtype"]["fp16"], lut_bytes + 128);
    EXPECT_EQ(w["total_blob_bytes"], index_bytes + lut_bytes + 128);
    ASSERT_EQ(w["by_lut_bits"].size(), 1u);
    EXPECT_EQ(w["by_lut_bits"][std::to_string(bits)]["bytes"], index_bytes + lut_bytes);
    EXPECT_EQ(w["by_lut_bits"][std::to_string(bits)]["ops"], 1);
    EXPECT_EQ(j["functions"][0]["ops"]["constexpr_lut_to_dense"], 1);
    EXPECT_EQ(j["default_function"], nullptr);
  }
}

TEST(InspectCli, MilText) {
  auto r = RunCli({"inspect", Pkg("linear_lut4_tensor"), "--mil"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "by LUT bits");
  ExpectContains(r.out, "func main(");
  ExpectContains(r.out, "constexpr_lut_to_dense(");
  ExpectContains(r.out, "linear(");
  auto j = RunCli({"inspect", Pkg("linear_lut4_tensor"), "--mil", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json doc = json::parse(j.out);
  ExpectContains(doc["mil"].get<std::string>(), "constexpr_lut_to_dense(");
}

TEST(InspectCli, MetadataAndEnumeratedShapes) {
  auto r = RunCli({"inspect", Pkg("metadata")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "  author: ANEMLL fixture generator\n");
  ExpectContains(r.out, "  version: 0.1.0\n");
  ExpectContains(r.out, "  description: Tiny metadata fixture");
  ExpectContains(r.out, "    com.anemll.context_length = 16\n");
  ExpectContains(r.out, "weights: 0 blobs, 0 bytes");
  auto e = RunCli({"inspect", Pkg("enumerated_embeddings"), "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const json j = json::parse(e.out);
  const json& in = j["functions"][0]["inputs"][0];
  EXPECT_EQ(in["name"], "input_ids");
  EXPECT_EQ(in["enumerated_shapes"], json::parse("[[1,1],[1,4]]"));
  EXPECT_EQ(j["functions"][0]["outputs"][0]["shape"], json::array());
  auto t = RunCli({"inspect", Pkg("enumerated_embeddings")});
  ExpectContains(t.out, "enumerated [1,1] [1,4]");
}

TEST(InspectCli, MissingPackageFailsWithOneLine) {
  const std::string missing = (FixturesDir() / "coreml" / "no_such.mlpackage").string();
  auto r = RunCli({"inspect", missing});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;  // exactly one line
  ExpectContains(r.err, "anemll inspect: ");
  ExpectContains(r.err, missing);
}

TEST(InspectCli, CorruptPackageFailsWithOneLine) {
  anemll::testing::TempDir tmp;
  const auto pkg = tmp / "bad.mlpackage";
  std::filesystem::create_directories(pkg);
  {
    std::ofstream(pkg / "Manifest.json") << "{\"fileFormatVersion\": \"9.0.0\"}";
  }
  auto r = RunCli({"inspect", pkg.string(), "--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  ExpectContains(r.err, "fileFormatVersion 9.0.0");
}

}  // namespace
}  // namespace anemll
