// ANEMLL-Dedup on packages: re-encoded palettized weights are shared after dedup (smaller
// weight.bin, one blob per weight) and both functions compute what they computed before on the
// CPU runtime; genuinely different or differently shaped weights are left alone; our own
// converter's packages already store each weight once.
#include "convert/dedup.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "base/file.h"
#include "convert/converter.h"
#include "dedup_fixture.h"
#include "mil/coreml/blob_storage.h"
#include "runtime/executable.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using namespace dedup_test;
using testing::ModelDir;
using testing::TempDir;

// Same dequantized weights, possibly through another kernel path (1 row vs 4 rows): fp32
// accumulation-order differences only.
constexpr double kSameWeightsTol = 1e-5;

std::vector<float> Input(int64_t rows) {
  std::vector<float> x;
  for (int64_t i = 0; i < rows * 16; ++i) x.push_back(std::sin(0.37f * static_cast<float>(i) + 0.1f));
  return x;
}

// y = w3·(w2·(w1·x)) per row in float64, x rounded to fp16 as the runtime receives it.
std::vector<double> Reference(const Weights& w, int64_t rows) {
  const std::vector<float> x = Input(rows);
  std::vector<double> out;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> h;
    for (int64_t i = 0; i < 16; ++i) h.push_back(RoundToHalf(x[static_cast<size_t>(r * 16 + i)]));
    for (const Palettized* p : {&w.w1, &w.w2, &w.w3}) {
      std::vector<double> next(static_cast<size_t>(p->out), 0.0);
      for (int64_t o = 0; o < p->out; ++o) {
        for (int64_t i = 0; i < p->in; ++i) next[static_cast<size_t>(o)] += p->Value(o, i) * h[static_cast<size_t>(i)];
      }
      h = std::move(next);
    }
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

// Runs `function` of the package on the CPU runtime (fp32 precision: checks the weights, not
// rounding) and returns y.
std::vector<float> RunFunction(const fs::path& pkg, const std::string& function) {
  auto model = mil::coreml::ReadPackage(pkg);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  runtime::Options options;
  options.precision = runtime::Precision::kFp32;
  auto exe = runtime::Executable::Compile(*model, function, options);
  EXPECT_TRUE(exe.ok()) << exe.status().message();
  if (!exe.ok()) return {};
  const int64_t rows = function == "infer" ? 1 : 4;
  std::map<std::string, runtime::Tensor> inputs;
  inputs.emplace("x", runtime::Tensor::FromFloats(mil::DType::kFp16, {rows, 16}, Input(rows)));
  runtime::StateStore states;
  std::map<std::string, runtime::Tensor> outputs;
  Status s = (*exe)->Run(inputs, states, &outputs);
  EXPECT_TRUE(s.ok()) << s.message();
  return outputs.count("y") ? outputs.at("y").ToFloats() : std::vector<float>{};
}

// The blob offsets of the indices and LUT of each constexpr_lut_to_dense op, by function.
std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> LutBlobs(const fs::path& pkg) {
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> blobs;
  auto model = mil::coreml::ReadPackage(pkg);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return blobs;
  for (const auto& [name, fn] : model->program.functions) {
    for (const mil::Operation& op : fn.block.operations) {
      if (op.type != "constexpr_lut_to_dense") continue;
      const auto& ind = op.Input("indices")->literal;
      const auto& lut = op.Input("lut")->literal;
      EXPECT_TRUE(ind->blob && lut->blob) << op.name;
      if (ind->blob && lut->blob) blobs[name].push_back({ind->blob->offset, lut->blob->offset});
    }
  }
  return blobs;
}

uint64_t FileSize(const fs::path& p) { return static_cast<uint64_t>(fs::file_size(p)); }

// The weight.bin a package of the infer function alone would get: what a fully shared
// multifunction package should weigh.
uint64_t InferOnlyWeightBytes(const Weights& w) {
  auto model = BuildModel(w, w);
  EXPECT_TRUE(model.ok());
  if (!model.ok()) return 0;
  model->program.functions.erase("prefill");
  return EstimateWeightFileBytes(*model);
}

TEST(Dedup, NormalizedKey) {
  EXPECT_EQ(NormalizedConstKey("w_palettized_lut_3"), "w_palettized_lut");
  EXPECT_EQ(NormalizedConstKey("w_palettized_lut_0"), "w_palettized_lut");
  EXPECT_EQ(NormalizedConstKey("w_palettized_lut"), "w_palettized_lut");
  EXPECT_EQ(NormalizedConstKey("layer_12_w_7"), "layer_12_w");  // only the trailing suffix
  EXPECT_EQ(NormalizedConstKey("w7"), "w7");
  EXPECT_EQ(NormalizedConstKey("_12"), "_12");
}

TEST(Dedup, PermutedLutsAreSharedAndOutputsUnchanged) {
  TempDir tmp;
  const fs::path pkg = tmp / "chunk.mlpackage";
  const Weights anchor = AnchorWeights();
  // w1, w2: reordered LUTs with remapped indices; w3: byte-identical copy (own buffers).
  const Weights prefill = {Reencoded(anchor.w1, 21), Reencoded(anchor.w2, 22), anchor.w3};
  ASSERT_TRUE(WriteModel(anchor, prefill, pkg).ok());
  ASSERT_NE(prefill.w1.IndicesLiteral().data->size(), 0u);
  ASSERT_FALSE(*prefill.w1.IndicesLiteral().data == *anchor.w1.IndicesLiteral().data);  // really re-encoded
  const std::vector<float> infer_before = RunFunction(pkg, "infer");
  const std::vector<float> prefill_before = RunFunction(pkg, "prefill");
  const uint64_t before = FileSize(WeightFile(pkg));
  {
    auto blobs = LutBlobs(pkg);
    ASSERT_EQ(blobs["infer"].size(), 3u);
    EXPECT_NE(blobs["infer"][0], blobs["prefill"][0]);  // two copies of w1 before
    EXPECT_EQ(blobs["infer"][2], blobs["prefill"][2]);  // identical bytes: already one copy
  }

  auto r = DedupPackage(pkg, DedupOptions{}, /*dry_run=*/false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.anchor, "infer");
  EXPECT_EQ(r->report.examined, 3);
  EXPECT_EQ(r->report.replaced, 2);
  EXPECT_EQ(r->report.identical, 1);
  EXPECT_EQ(r->report.rejected, 0);
  EXPECT_EQ(r->report.unmatched, 0);
  EXPECT_EQ(r->report.dense_identical, 3);  // the linears' zero biases
  ASSERT_EQ(r->report.decisions.size(), 3u);
  EXPECT_EQ(r->report.decisions[0].key, "layers_0_w1_weight_palettized");
  EXPECT_EQ(r->report.decisions[0].reason, DedupReason::kDeqClose);
  EXPECT_DOUBLE_EQ(r->report.decisions[0].max_abs, 0.0);  // a pure re-encoding
  EXPECT_NEAR(r->report.decisions[0].cosine, 1.0, 1e-12);
  EXPECT_EQ(r->report.decisions[2].reason, DedupReason::kIdentical);
  EXPECT_TRUE(r->written);
  EXPECT_EQ(r->weight_bytes_before, before);
  EXPECT_EQ(r->weight_bytes_after, FileSize(WeightFile(pkg)));
  EXPECT_LT(r->weight_bytes_after, before);
  EXPECT_EQ(r->weight_bytes_after, InferOnlyWeightBytes(anchor));  // as small as one function

  auto blobs = LutBlobs(pkg);
  ASSERT_EQ(blobs["prefill"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(blobs["infer"][i], blobs["prefill"][i]) << "weight " << i;

  const std::vector<float> infer_after = RunFunction(pkg, "infer");
  const std::vector<float> prefill_after = RunFunction(pkg, "prefill");
  ASSERT_EQ(infer_after.size(), 16u);
  ASSERT_EQ(prefill_after.size(), 64u);
  EXPECT_EQ(infer_after, infer_before);  // the anchor is untouched
  for (size_t i = 0; i < prefill_after.size(); ++i) {
    EXPECT_NEAR(prefill_after[i], prefill_before[i], kSameWeightsTol) << i;
  }
  // Row 0 of prefill sees the same input row as infer and now the very same weights.
  for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(prefill_after[i], infer_after[i], kSameWeightsTol) << i;
}

TEST(Dedup, CloseCentroidsAcceptedWithinThresholds) {
  TempDir tmp;
  const fs::path pkg = tmp / "chunk.mlpackage";
  const Weights anchor = AnchorWeights();
  // Two entries per LUT one fp16 ulp away: |diff| <= 2^-12 for values below 0.5.
  const Weights prefill = {Reencoded(anchor.w1, 31, 2), Reencoded(anchor.w2, 32, 2), Reencoded(anchor.w3, 33, 2)};
  ASSERT_TRUE(WriteModel(anchor, prefill, pkg).ok());
  const std::vector<float> prefill_before = RunFunction(pkg, "prefill");

  // A max-abs bound below one ulp rejects them all, and changes nothing on disk.
  const std::string bytes_before = *ReadFile(WeightFile(pkg));
  DedupOptions tight;
  tight.max_abs_threshold = 1e-6;
  auto rejected = DedupPackage(pkg, tight, false);
  ASSERT_TRUE(rejected.ok()) << rejected.status().message();
  EXPECT_EQ(rejected->report.rejected, 3);
  EXPECT_EQ(rejected->report.count(DedupReason::kRejectedThreshold), 3);
  EXPECT_FALSE(rejected->written);
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), bytes_before);

  DedupOptions strict;
  strict.strict = true;  // max_abs <= 0.01 holds
  auto r = DedupPackage(pkg, strict, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.replaced, 3);
  for (const DedupDecision& d : r->report.decisions) {
    EXPECT_GT(d.max_abs, 0.0) << d.key;
    EXPECT_LE(d.max_abs, std::ldexp(1.0, -12)) << d.key;
    EXPECT_GE(d.cosine, 0.9999) << d.key;
  }
  EXPECT_LT(r->weight_bytes_after, r->weight_bytes_before);

  // Before, prefill computed with its own (nudged) weights; after, with the anchor's: the
  // accepted approximation. Each matches a float64 forward pass with those weights.
  const std::vector<float> prefill_after = RunFunction(pkg, "prefill");
  const std::vector<float> infer_after = RunFunction(pkg, "infer");
  const std::vector<double> expect_before = Reference(prefill, 4);
  const std::vector<double> expect_after = Reference(anchor, 4);
  ASSERT_EQ(prefill_after.size(), expect_after.size());
  ASSERT_EQ(prefill_before.size(), expect_before.size());
  double moved = 0;
  for (size_t i = 0; i < prefill_after.size(); ++i) {
    EXPECT_NEAR(prefill_before[i], expect_before[i], kSameWeightsTol) << i;
    EXPECT_NEAR(prefill_after[i], expect_after[i], kSameWeightsTol) << i;
    moved = std::max(moved, std::fabs(static_cast<double>(prefill_after[i]) - prefill_before[i]));
  }
  EXPECT_GT(moved, 0.0);  // the nudged weights really were replaced
  for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(prefill_after[i], infer_after[i], kSameWeightsTol) << i;
}

TEST(Dedup, DifferentWeightsAndShapesAreLeftAlone) {
  TempDir tmp;
  const fs::path pkg = tmp / "chunk.mlpackage";
  const Weights anchor = AnchorWeights();
  // w1: other weights entirely; w2: same values but one LUT per 16 channels (LUT shape differs);
  // w3: a re-encoding (accepted).
  Weights prefill = {RandomPalettized(32, 16, 99), RandomPalettized(16, 32, 12, 16), Reencoded(anchor.w3, 41)};
  ASSERT_TRUE(WriteModel(anchor, prefill, pkg).ok());
  const std::vector<float> prefill_before = RunFunction(pkg, "prefill");

  auto dry = DedupPackage(pkg, DedupOptions{}, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().message();
  const std::string bytes_before = *ReadFile(WeightFile(pkg));
  EXPECT_FALSE(dry->written);

  auto r = DedupPackage(pkg, DedupOptions{}, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->report.decisions.size(), 3u);
  EXPECT_EQ(r->report.decisions[0].reason, DedupReason::kRejectedThreshold);
  EXPECT_LT(r->report.decisions[0].cosine, 0.5);
  EXPECT_EQ(r->report.decisions[1].reason, DedupReason::kRejectedShape);
  EXPECT_EQ(r->report.decisions[2].reason, DedupReason::kDeqClose);
  EXPECT_EQ(r->report.rejected, 2);
  // The dry run predicted exactly what was written.
  EXPECT_EQ(dry->weight_bytes_after, r->weight_bytes_after);
  EXPECT_EQ(dry->report.replaced, r->report.replaced);

  auto blobs = LutBlobs(pkg);
  EXPECT_NE(blobs["infer"][0], blobs["prefill"][0]);
  EXPECT_NE(blobs["infer"][1], blobs["prefill"][1]);
  EXPECT_EQ(blobs["infer"][2], blobs["prefill"][2]);
  const std::vector<float> prefill_after = RunFunction(pkg, "prefill");
  ASSERT_EQ(prefill_after.size(), prefill_before.size());
  for (size_t i = 0; i < prefill_after.size(); ++i) EXPECT_NEAR(prefill_after[i], prefill_before[i], kSameWeightsTol);
  EXPECT_NE(*ReadFile(WeightFile(pkg)), bytes_before);  // only the accepted w3 changed it
}

TEST(Dedup, DryRunWritesNothing) {
  TempDir tmp;
  const fs::path pkg = tmp / "chunk.mlpackage";
  const Weights anchor = AnchorWeights();
  ASSERT_TRUE(WriteModel(anchor, {Reencoded(anchor.w1, 5), Reencoded(anchor.w2, 6), anchor.w3}, pkg).ok());
  const std::string weights = *ReadFile(WeightFile(pkg));
  const std::string program = *ReadFile(pkg / "Data" / "com.apple.CoreML" / "model.mlmodel");
  auto r = DedupPackage(pkg, DedupOptions{}, /*dry_run=*/true);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.replaced, 2);
  EXPECT_FALSE(r->written);
  EXPECT_LT(r->weight_bytes_after, r->weight_bytes_before);
  EXPECT_EQ(r->weight_bytes_after, InferOnlyWeightBytes(anchor));
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), weights);
  EXPECT_EQ(*ReadFile(pkg / "Data" / "com.apple.CoreML" / "model.mlmodel"), program);
  std::set<std::string> entries;
  for (const auto& e : fs::directory_iterator(tmp.path())) entries.insert(e.path().filename().string());
  EXPECT_EQ(entries, std::set<std::string>{"chunk.mlpackage"});
}

TEST(Dedup, AnchorChoice) {
  TempDir tmp;
  const fs::path pkg = tmp / "chunk.mlpackage";
  const Weights anchor = AnchorWeights();
  const Weights prefill = {Reencoded(anchor.w1, 7), anchor.w2, anchor.w3};
  ASSERT_TRUE(WriteModel(anchor, prefill, pkg).ok());
  const std::vector<float> prefill_before = RunFunction(pkg, "prefill");
  const std::vector<float> infer_before = RunFunction(pkg, "infer");
  DedupOptions o;
  o.anchor = "prefill";
  auto r = DedupPackage(pkg, o, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.anchor, "prefill");
  EXPECT_EQ(r->report.targets, std::vector<std::string>{"infer"});
  EXPECT_EQ(r->report.replaced, 1);
  EXPECT_EQ(RunFunction(pkg, "prefill"), prefill_before);
  const std::vector<float> infer_after = RunFunction(pkg, "infer");
  for (size_t i = 0; i < infer_after.size(); ++i) EXPECT_NEAR(infer_after[i], infer_before[i], kSameWeightsTol);

  o.anchor = "decode";
  auto missing = DedupPackage(pkg, o, false);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("anchor function \"decode\" does not exist (functions: infer, prefill)"),
            std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("chunk.mlpackage"), std::string::npos) << missing.status().message();
}

TEST(Dedup, BadInput) {
  TempDir tmp;
  auto none = DedupPackage(tmp / "missing.mlpackage", DedupOptions{}, false);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("missing.mlpackage"), std::string::npos) << none.status().message();
  fs::create_directory(tmp / "folder");
  ASSERT_TRUE(WriteFileAtomic(tmp / "folder" / "x.txt", "x").ok());
  auto not_pkg = DedupPackage(tmp / "folder", DedupOptions{}, false);
  ASSERT_FALSE(not_pkg.ok());
  EXPECT_NE(not_pkg.status().message().find("folder"), std::string::npos) << not_pkg.status().message();

  DedupOptions o;
  o.cos_threshold = 1.5;
  EXPECT_NE(ValidateDedupOptions(o).message().find("--cos-threshold 1.5"), std::string::npos);
  o = DedupOptions{};
  o.mean_abs_threshold = -1;
  EXPECT_NE(ValidateDedupOptions(o).message().find("--mean-abs-threshold"), std::string::npos);
  o = DedupOptions{};
  o.max_abs_threshold = std::nan("");
  EXPECT_NE(ValidateDedupOptions(o).message().find("--max-abs-threshold"), std::string::npos);
}

TEST(Dedup, MalformedLutIsRejectedNotFatal) {
  // A target LUT declaring fewer bytes than its shape needs never reaches the runtime: the
  // comparison refuses it (rejected_deq_fail) instead of reading out of bounds.
  const Weights anchor = AnchorWeights();
  auto model = BuildModel(anchor, {Reencoded(anchor.w1, 3), anchor.w2, anchor.w3});
  ASSERT_TRUE(model.ok());
  for (mil::Operation& op : model->program.functions["prefill"].block.operations) {
    if (op.type != "constexpr_lut_to_dense" || op.name.find("w1") == std::string::npos) continue;
    mil::Literal short_lut = *op.Input("lut")->literal;
    std::vector<uint8_t> bytes(short_lut.data->data(), short_lut.data->data() + short_lut.data->size() / 2);
    short_lut.data = std::make_shared<const mil::Buffer>(std::move(bytes));
    op.inputs["lut"] = {mil::Argument::Lit(short_lut)};
  }
  auto r = DedupFunctions(&*model, DedupOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->decisions.size(), 3u);
  EXPECT_EQ(r->decisions[0].reason, DedupReason::kRejectedDeqFail);
  EXPECT_NE(r->decisions[0].detail.find("lut holds"), std::string::npos) << r->decisions[0].detail;
}

// Our converter's multifunction chunk: infer and prefill already reference each weight once, so
// weight.bin holds no more weight data than infer's own constants, and dedup finds nothing to do.
TEST(Dedup, ConvertedChunkAlreadyShared) {
  TempDir tmp;
  ConvertRequest req;
  req.model_dir = ModelDir("tiny-llama");
  req.output_dir = tmp / "out";
  req.options.context = 32;
  req.options.batch = 8;
  req.options.chunks = 1;
  auto conv = Convert(req);
  ASSERT_TRUE(conv.ok()) << conv.status().message();
  const fs::path pkg = req.output_dir / "llama_FFN_PF_chunk_01of01.mlpackage";
  auto model = mil::coreml::ReadPackage(pkg);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->program.functions.size(), 2u);

  // Unique blob bytes of the infer function alone.
  std::set<std::pair<mil::DType, std::string>> unique;
  uint64_t infer_bytes = 0;
  for (const mil::Operation& op : model->program.functions.at("infer").block.operations) {
    auto add = [&](const mil::Literal& lit) {
      if (!mil::coreml::StoredAsBlob(lit, model->specification_version)) return;
      std::string bytes(reinterpret_cast<const char*>(lit.data->data()), lit.data->size());
      if (unique.insert({lit.type.tensor.dtype, bytes}).second) infer_bytes += bytes.size();
    };
    for (const auto& [k, lit] : op.attributes) add(lit);
    for (const auto& [k, args] : op.inputs) {
      for (const auto& a : args) {
        if (a.is_literal()) add(*a.literal);
      }
    }
  }
  auto file = mil::coreml::BlobFile::Open(WeightFile(pkg));
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto records = (*file)->List();
  ASSERT_TRUE(records.ok()) << records.status().message();
  uint64_t file_bytes = 0;
  for (const auto& rec : *records) file_bytes += rec.size_in_bytes;
  EXPECT_GT(infer_bytes, 0u);
  EXPECT_LE(file_bytes, infer_bytes);
  // The writer-layout estimate matches the real file.
  EXPECT_EQ(EstimateWeightFileBytes(*model), FileSize(WeightFile(pkg)));

  const std::string before = *ReadFile(WeightFile(pkg));
  auto r = DedupPackage(pkg, DedupOptions{}, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->report.examined, 0);
  EXPECT_GT(r->report.dense_identical, 0);
  EXPECT_EQ(r->report.dense_different, 0);
  EXPECT_FALSE(r->written);
  EXPECT_EQ(r->weight_bytes_after, r->weight_bytes_before);
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), before);
}

}  // namespace
}  // namespace anemll::convert
