// The conversion driver: Hugging Face checkpoint folder -> ANEMLL-layout output folder, in one
// process, with ANEMLL's steps (1 embeddings, 2 LM head, 3/4 FFN chunks with their prefill
// functions, 5 combine (nothing to do: functions are combined as they are built), 6 compile,
// 7 tokenizer files and meta.yaml; monolithic: 1/2 the package, 3 combine, 4 compile, 5 files).
//
// A full conversion builds everything in a temporary sibling of the output folder and renames it
// into place at the end, so an interrupted conversion leaves no output folder. --restart/--only
// work on an existing output folder and replace each package / file atomically.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "convert/fp16_probe.h"
#include "convert/plan.h"

namespace anemll::convert {

struct ConvertRequest {
  std::filesystem::path model_dir;
  std::filesystem::path output_dir;
  ConvertOptions options;
  bool compile = false;              // run `xcrun coremlcompiler compile` when available
  int restart_step = 1;              // skip steps before this one
  std::optional<int> only_step;      // run only this step
  std::string command_line;          // recorded in meta.yaml
  int threads = 0;                   // fp16 probe and palettization; 0: all cores
  const std::atomic<bool>* cancel = nullptr;  // set asynchronously (SIGINT) to stop between units
  int step_delay_ms = 0;             // pause after each step (lets tests interrupt a conversion)
};

// One written package's palettization: LUT setting, package size and its worst tensor.
struct PartLutSummary {
  std::string part;        // package file name
  int bits = 0;            // 0: fp16 only
  int64_t group = 0;       // rows per table (0: per tensor)
  double size_mb = 0;      // package size in MiB
  int tensors = 0;         // palettized tensors
  std::string worst_name;  // tensor with the lowest cosine similarity
  double worst_mse = 0, worst_cosine = 1;
};

// The end-of-conversion table: part, bits, group, size, worst tensor (name, MSE, cosine).
std::string FormatLutReport(const std::vector<PartLutSummary>& parts);

struct ConvertResult {
  ConversionPlan plan;
  std::optional<ProbeResult> probe;  // the residual peak measurement, when it ran
  std::vector<std::string> files;    // top-level entries written (relative to the output folder)
  bool compiled = false;             // coremlcompiler ran
  std::vector<PartLutSummary> lut_parts;  // one per package written
};

// Runs the conversion. Errors are one line naming the step and what failed.
Result<ConvertResult> Convert(const ConvertRequest& request);

// The model name ANEMLL records in meta.yaml: the folder's base name (HF cache snapshot folders:
// "<org>-<name>").
std::string ModelNameForMeta(const std::filesystem::path& model_dir);

// The files copied next to the packages when present in the model folder.
const std::vector<std::string>& TokenizerFileNames();

}  // namespace anemll::convert
