#include "convert/converter.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "base/half.h"
#include "base/log.h"
#include "base/progress.h"
#include "convert/meta_yaml.h"
#include "convert/parts.h"
#include "hf/checkpoint.h"
#include "mil/coreml/package.h"

extern char** environ;

namespace anemll::convert {
namespace fs = std::filesystem;
namespace {

constexpr int kProbeTokens = 32;
constexpr double kClampSuggestion = 55000;  // ANEMLL's validated clamp value

// Step numbers (ANEMLL's): chunked convert_model.sh and monolithic convert_monolith.sh.
enum ChunkedStep { kEmbeddings = 1, kLmHead = 2, kFfn = 3, kPrefill = 4, kCombine = 5, kCompile = 6, kFiles = 7, kTest = 8 };
enum MonolithicStep { kMonoInfer = 1, kMonoPrefill = 2, kMonoCombine = 3, kMonoCompile = 4, kMonoFiles = 5, kMonoTest = 6 };

std::string FormatDouble(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string Timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string JoinSizes(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Absolute path of an executable found on PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Runs a program (no shell) and returns its exit code.
Result<int> RunProgram(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int e = ::posix_spawn(&pid, args[0].c_str(), nullptr, nullptr, argv.data(), environ); e != 0) {
    return IoError("cannot start ", args[0], ": ", std::strerror(e));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return IoError("waiting for ", args[0], ": ", std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

class Driver {
 public:
  explicit Driver(const ConvertRequest& r) : r_(r), mono_(r.options.monolithic) {}
  Result<ConvertResult> Run();

 private:
  bool Runs(int step) const;
  int TotalSteps() const { return mono_ ? 5 : 7; }
  Status CheckCancelled() const;
  void AfterStep() const;
  Status PrepareOutput();
  Status Probe();
  Status WritePart(const mil::Model& model, const std::string& stem);
  // WritePart plus the part's palettization summary (for the report).
  Status WritePart(const mil::Model& model, const std::string& stem, const WeightCache& w, const LutSpec& lut);
  // Builds one part with a fresh weight cache, writes it, counts clamped weights, releases the
  // cache (so memory stays at about one part's weights).
  Status BuildAndWrite(const std::function<Result<mil::Model>(WeightCache&)>& build, const std::string& stem,
                       const LutSpec& lut);
  Status StepEmbeddings();
  Status StepLmHead();
  Status StepFfn();
  Status StepMonolithic();
  Status StepCompile();
  Status StepFiles();
  std::vector<std::string> PackageStems() const;
  MetaYaml Meta() const;

  const ConvertRequest& r_;
  const bool mono_;
  std::unique_ptr<hf::Checkpoint> ckpt_;
  ConversionPlan plan_;
  std::optional<StagedPath> staged_;
  fs::path work_;  // where files are written (the staging folder, or the output folder itself)
  bool partial_ = false;
  ConvertResult result_;
  int64_t clamped_weights_ = 0;
};

bool Driver::Runs(int step) const {
  if (r_.only_step) {
    if (*r_.only_step == step) return true;
    // Our FFN packages hold the prefill functions too: steps 3 and 4 are one step.
    if (!mono_ && (step == kFfn || step == kPrefill) && (*r_.only_step == kFfn || *r_.only_step == kPrefill)) return true;
    if (mono_ && (step == kMonoInfer || step == kMonoPrefill) &&
        (*r_.only_step == kMonoInfer || *r_.only_step == kMonoPrefill)) {
      return true;
    }
    return false;
  }
  if (!mono_ && step == kFfn) return r_.restart_step <= kPrefill;
  if (mono_ && step == kMonoInfer) return r_.restart_step <= kMonoPrefill;
  return step >= r_.restart_step;
}

Status Driver::CheckCancelled() const {
  if (r_.cancel && r_.cancel->load()) {
    return IoError("conversion interrupted", partial_ ? "" : StrCat("; no output folder was written at ", r_.output_dir.string()));
  }
  return Status::Ok();
}

void Driver::AfterStep() const {
  if (r_.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r_.step_delay_ms));
}

Status Driver::PrepareOutput() {
  std::error_code ec;
  const fs::path out = r_.output_dir;
  if (fs::exists(out, ec) && fs::exists(r_.model_dir, ec) && fs::equivalent(out, r_.model_dir, ec)) {
    return InvalidArgument("--output ", out.string(), " is the model folder; choose another folder");
  }
  if (partial_) {
    if (!fs::is_directory(out, ec)) {
      return NotFound("--restart/--only: output folder ", out.string(),
                      " does not exist (run a full conversion first)");
    }
    work_ = out;
    return Status::Ok();
  }
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) return InvalidArgument("--output ", out.string(), " exists and is not a folder");
    const bool empty = fs::is_empty(out, ec);
    if (!empty && !fs::exists(out / "meta.yaml", ec)) {
      return InvalidArgument("--output ", out.string(),
                             " is a non-empty folder without meta.yaml (not a conversion output); choose a new or empty folder");
    }
  }
  fs::path parent = out.parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) return IoError("create output folder ", out.string(), ": ", ec.message());
  }
  ANEMLL_ASSIGN_OR_RETURN(StagedPath staged, StagedPath::Create(out, /*directory=*/true));
  staged_.emplace(std::move(staged));
  work_ = staged_->path();
  return Status::Ok();
}

Status Driver::Probe() {
  const std::vector<int32_t> tokens = CalibrationTokens(r_.model_dir, plan_.spec.vocab_size, kProbeTokens);
  Progress progress("fp16 range check", static_cast<uint64_t>(plan_.spec.num_layers));
  ANEMLL_ASSIGN_OR_RETURN(ProbeResult probe, MeasureResidualPeaks(*ckpt_, tokens, r_.threads, [&](int64_t done) {
                            progress.Update(static_cast<uint64_t>(done));
                          }));
  progress.Finish();
  const float peak = probe.peak.value;
  const std::string where = probe.peak.Where();
  if (plan_.fp16_scale_auto) {
    plan_.fp16_scale = AutoFp16Scale(peak);
    if (plan_.fp16_scale < 1.0) {
      Note("--fp16-scale auto: residual stream peaks at ", FormatDouble(peak), " after ", where,
           "; alpha = 50000 / peak = ", FormatDouble(plan_.fp16_scale));
    } else {
      Note("--fp16-scale auto: residual stream peaks at ", FormatDouble(peak), " after ", where,
           ", well inside fp16: no scaling");
    }
  }
  const double scaled = static_cast<double>(peak) * plan_.fp16_scale;
  if (scaled > kHalfMax) {
    if (plan_.fp16_scale == 1.0) {
      Warn("residual stream peaks at ", FormatDouble(peak), " after ", where, ", above the fp16 maximum 65504: fp16 runs ",
           "of this conversion will overflow; convert with --fp16-scale auto (alpha ", FormatDouble(AutoFp16Scale(peak)),
           ") or --clamp ", FormatDouble(kClampSuggestion));
    } else {
      Warn("with --fp16-scale ", FormatDouble(plan_.fp16_scale), " the residual stream still peaks at ",
           FormatDouble(scaled), " after ", where, ", above the fp16 maximum 65504; use a smaller alpha (",
           FormatDouble(AutoFp16Scale(peak)), ") or --fp16-scale auto");
    }
  }
  result_.probe = std::move(probe);
  return Status::Ok();
}

Status Driver::WritePart(const mil::Model& model, const std::string& stem) {
  ANEMLL_RETURN_IF_ERROR(CheckCancelled());
  return mil::coreml::WritePackage(model, work_ / (stem + ".mlpackage"));
}

Status Driver::WritePart(const mil::Model& model, const std::string& stem, const WeightCache& w, const LutSpec& lut) {
  ANEMLL_RETURN_IF_ERROR(WritePart(model, stem));
  PartLutSummary s;
  s.part = stem + ".mlpackage";
  s.bits = lut.bits;
  s.group = lut.per_tensor() ? 0 : lut.group;
  std::error_code ec;
  uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(work_ / s.part, ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  s.size_mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  for (const QuantRecord& r : w.quant_records()) {
    ++s.tensors;
    if (s.worst_name.empty() || r.error.cosine < s.worst_cosine) {
      s.worst_name = r.name;
      s.worst_cosine = r.error.cosine;
      s.worst_mse = r.error.mse;
    }
  }
  result_.lut_parts.push_back(std::move(s));
  return Status::Ok();
}

Status Driver::BuildAndWrite(const std::function<Result<mil::Model>(WeightCache&)>& build, const std::string& stem,
                             const LutSpec& lut) {
  WeightCache w(*ckpt_, r_.threads);
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, build(w));
  ANEMLL_RETURN_IF_ERROR(WritePart(model, stem, w, lut));
  clamped_weights_ += w.clamped_values();
  w.Release();
  return Status::Ok();
}

Status Driver::StepEmbeddings() {
  Progress progress(StrCat("step 1/", TotalSteps(), " embeddings"), 1);
  ANEMLL_RETURN_IF_ERROR(BuildAndWrite([&](WeightCache& w) { return BuildEmbeddingsModel(plan_, w); },
                                       EmbeddingsName(plan_.prefix, plan_.lut_embeddings), plan_.lut_embeddings));
  progress.Finish();
  return Status::Ok();
}

Status Driver::StepLmHead() {
  Progress progress(StrCat("step 2/", TotalSteps(), " LM head"), 1);
  ANEMLL_RETURN_IF_ERROR(BuildAndWrite([&](WeightCache& w) { return BuildLmHeadModel(plan_, w); },
                                       LmHeadName(plan_.prefix, plan_.lut_lmhead), plan_.lut_lmhead));
  progress.Finish();
  return Status::Ok();
}

Status Driver::StepFfn() {
  const bool split = !plan_.rotate_package_functions().empty();
  const int per_chunk = split ? 2 : 1;
  Progress progress(StrCat("step 3/", TotalSteps(), " FFN + prefill chunks"), static_cast<uint64_t>(plan_.num_chunks * per_chunk));
  for (int c = 0; c < plan_.num_chunks; ++c) {
    for (int f = 0; f < per_chunk; ++f) {
      ANEMLL_RETURN_IF_ERROR(CheckCancelled());
      const bool rot = f == 1;
      auto build = [&](WeightCache& w) -> Result<mil::Model> {
        auto model = BuildChunkModel(plan_, w, c, rot);
        if (!model.ok()) return model.status().WithContext(StrCat("FFN chunk ", c + 1, "/", plan_.num_chunks));
        return model;
      };
      ANEMLL_RETURN_IF_ERROR(
          BuildAndWrite(build, FfnChunkName(plan_.prefix, plan_.lut_ffn, c, plan_.num_chunks, rot), plan_.lut_ffn));
      progress.Advance(1);
    }
  }
  progress.Finish();
  return Status::Ok();
}

Status Driver::StepMonolithic() {
  Progress progress(StrCat("step 1/", TotalSteps(), " monolithic package"), 1);
  ANEMLL_RETURN_IF_ERROR(BuildAndWrite([&](WeightCache& w) { return BuildMonolithicModel(plan_, w); },
                                       MonolithicName(plan_.prefix, plan_.lut_ffn), plan_.lut_ffn));
  progress.Finish();
  return Status::Ok();
}

std::vector<std::string> Driver::PackageStems() const {
  if (mono_) return {MonolithicName(plan_.prefix, plan_.lut_ffn)};
  std::vector<std::string> s = {EmbeddingsName(plan_.prefix, plan_.lut_embeddings), LmHeadName(plan_.prefix, plan_.lut_lmhead)};
  const bool split = !plan_.rotate_package_functions().empty();
  for (int c = 0; c < plan_.num_chunks; ++c) {
    s.push_back(FfnChunkName(plan_.prefix, plan_.lut_ffn, c, plan_.num_chunks, false));
    if (split) s.push_back(FfnChunkName(plan_.prefix, plan_.lut_ffn, c, plan_.num_chunks, true));
  }
  return s;
}

Status Driver::StepCompile() {
  const std::string xcrun = FindOnPath("xcrun");
  if (xcrun.empty()) {
    Note("--compile: xcrun coremlcompiler is not available on this system (it ships with Xcode on macOS); the ",
         ".mlpackage files are left uncompiled — compile them on a Mac with `xcrun coremlcompiler compile X.mlpackage .`");
    return Status::Ok();
  }
  const std::vector<std::string> stems = PackageStems();
  Progress progress(StrCat("step ", mono_ ? 4 : 6, "/", TotalSteps(), " compile"), stems.size());
  for (const std::string& stem : stems) {
    ANEMLL_RETURN_IF_ERROR(CheckCancelled());
    const fs::path pkg = work_ / (stem + ".mlpackage");
    std::error_code ec;
    if (!fs::exists(pkg, ec)) return NotFound("--compile: package ", pkg.string(), " does not exist");
    ANEMLL_ASSIGN_OR_RETURN(int code, RunProgram({xcrun, "coremlcompiler", "compile", pkg.string(), work_.string()}));
    if (code != 0) return IoError("xcrun coremlcompiler compile ", pkg.string(), " failed with exit code ", code);
    progress.Advance(1);
  }
  progress.Finish();
  result_.compiled = true;
  return Status::Ok();
}

MetaYaml Driver::Meta() const {
  const ConversionPlan& p = plan_;
  MetaYaml m;
  m.model_name = ModelNameForMeta(r_.model_dir);
  m.architecture = p.spec.model_type;
  m.context_length = static_cast<int>(p.context);
  m.batch_size = static_cast<int>(p.batch);
  m.lut_embeddings = p.lut_embeddings;
  m.lut_ffn = p.lut_ffn;
  m.lut_lmhead = p.lut_lmhead;
  m.num_chunks = p.num_chunks;
  m.prefix = p.prefix;
  m.monolithic = p.monolithic;
  m.embeddings_file = EmbeddingsName(p.prefix, p.lut_embeddings) + ".mlmodelc";
  m.lm_head_file = LmHeadName(p.prefix, p.lut_lmhead) + ".mlmodelc";
  m.ffn_file = FfnChunkName(p.prefix, p.lut_ffn, 0, p.num_chunks, false) + ".mlmodelc";
  if (p.split_rotate) m.pf_file = FfnChunkName(p.prefix, p.lut_ffn, 0, p.num_chunks, true) + ".mlmodelc";
  m.monolithic_file = MonolithicName(p.prefix, p.lut_ffn) + ".mlmodelc";
  m.split_lm_head = p.lm_head_split;
  m.argmax_in_model = p.argmax;
  m.vocab_size = p.spec.vocab_size;
  m.lm_head_chunk_sizes = p.lm_head_sizes;
  m.split_rotate = p.split_rotate;
  if (p.window > 0) m.sliding_window = static_cast<int>(p.window);
  m.update_mask_prefill = p.update_mask_prefill;
  m.prefill_dynamic_slice = p.dynamic_prefill_slice;
  m.single_cache = p.single_cache;
  m.rotate_functions = p.rotate_functions;
  m.generated_timestamp = Timestamp();
  std::error_code ec;
  const fs::path model_abs = fs::absolute(r_.model_dir, ec);
  const fs::path out_abs = fs::absolute(r_.output_dir, ec);
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  auto& ci = m.conversion_info;
  ci.push_back({"model_path", model_abs.lexically_normal().string()});
  ci.push_back({"output_dir", out_abs.lexically_normal().string()});
  ci.push_back({"command_line", r_.command_line});
  ci.push_back({"context_length", std::to_string(p.context)});
  ci.push_back({"batch_size", std::to_string(p.batch)});
  ci.push_back({"num_chunks", std::to_string(p.num_chunks)});
  ci.push_back({"lut_part1", p.lut_embeddings.ToString()});
  ci.push_back({"lut_part2", p.lut_ffn.ToString()});
  ci.push_back({"lut_part3", p.lut_lmhead.ToString()});
  ci.push_back({"prefix", p.prefix});
  ci.push_back({"architecture", p.spec.model_type});
  ci.push_back({"argmax_in_model", b(p.argmax)});
  ci.push_back({"split_rotate", b(p.split_rotate)});
  ci.push_back({"sliding_window", p.window > 0 ? std::to_string(p.window) : "none"});
  ci.push_back({"fp16_scale", p.fp16_scale < 1.0 ? FormatDouble(p.fp16_scale) : "none"});
  ci.push_back({"clamp", p.clamp ? FormatDouble(*p.clamp) : "none"});
  ci.push_back({"single_cache", b(p.single_cache)});
  ci.push_back({"dynamic_prefill_slice", b(p.dynamic_prefill_slice)});
  ci.push_back({"update_mask_prefill", b(p.update_mask_prefill)});
  ci.push_back({"converter", StrCat("anemll C++ ", kConverterVersion)});
  ci.push_back({"monolithic", b(p.monolithic)});
  ci.push_back({"anemll_version", kAnemllLayoutVersion});
  ci.push_back({"vocab_size", std::to_string(p.spec.vocab_size)});
  ci.push_back({"lm_head_chunk_sizes", JoinSizes(p.lm_head_sizes)});
  if (p.fp16_scale_auto) ci.push_back({"fp16_scale_source", "auto"});
  if (result_.probe) {
    ci.push_back({"residual_peak", FormatDouble(result_.probe->peak.value)});
    ci.push_back({"residual_peak_at", result_.probe->peak.Where()});
  }
  return m;
}

Status Driver::StepFiles() {
  Progress progress(StrCat("step ", mono_ ? 5 : 7, "/", TotalSteps(), " tokenizer and meta.yaml"), 2);
  std::error_code ec;
  for (const std::string& name : TokenizerFileNames()) {
    const fs::path src = r_.model_dir / name;
    if (!fs::is_regular_file(src, ec)) continue;
    ANEMLL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(src));
    ANEMLL_RETURN_IF_ERROR(WriteFileAtomic(work_ / name, bytes));
  }
  progress.Update(1);
  ANEMLL_RETURN_IF_ERROR(WriteFileAtomic(work_ / "meta.yaml", RenderMetaYaml(Meta())));
  progress.Finish();
  return Status::Ok();
}

Result<ConvertResult> Driver::Run() {
  const int last = mono_ ? static_cast<int>(kMonoTest) : static_cast<int>(kTest);
  if (r_.restart_step < 1 || r_.restart_step > last) {
    return InvalidArgument("--restart ", r_.restart_step, ": steps are 1..", last);
  }
  if (r_.only_step && (*r_.only_step < 1 || *r_.only_step > last)) {
    return InvalidArgument("--only ", *r_.only_step, ": steps are 1..", last);
  }
  partial_ = r_.restart_step > 1 || r_.only_step.has_value();

  auto ckpt = hf::Checkpoint::Open(r_.model_dir);
  if (!ckpt.ok()) return ckpt.status();
  ckpt_ = std::make_unique<hf::Checkpoint>(std::move(*ckpt));
  ANEMLL_ASSIGN_OR_RETURN(plan_, MakePlan(ckpt_->spec(), r_.options));
  for (const std::string& n : plan_.notes) Note(n);
  for (const std::string& w : plan_.warnings) Warn(w);
  ANEMLL_RETURN_IF_ERROR(PrepareOutput());

  const bool builds_weights = mono_ ? Runs(kMonoInfer) : (Runs(kEmbeddings) || Runs(kFfn));
  if (builds_weights) {
    ANEMLL_RETURN_IF_ERROR(CheckCancelled());
    ANEMLL_RETURN_IF_ERROR(Probe());
  }
  if (mono_) {
    if (Runs(kMonoInfer)) {
      ANEMLL_RETURN_IF_ERROR(StepMonolithic());
      AfterStep();
    }
    if (Runs(kMonoCompile) && r_.compile) ANEMLL_RETURN_IF_ERROR(StepCompile());
    if (Runs(kMonoFiles)) ANEMLL_RETURN_IF_ERROR(StepFiles());
  } else {
    if (Runs(kEmbeddings)) {
      ANEMLL_RETURN_IF_ERROR(StepEmbeddings());
      AfterStep();
    }
    if (Runs(kLmHead)) {
      ANEMLL_RETURN_IF_ERROR(StepLmHead());
      AfterStep();
    }
    if (Runs(kFfn)) {
      ANEMLL_RETURN_IF_ERROR(StepFfn());
      AfterStep();
    }
    if (Runs(kCompile) && r_.compile) ANEMLL_RETURN_IF_ERROR(StepCompile());
    if (Runs(kFiles)) ANEMLL_RETURN_IF_ERROR(StepFiles());
  }
  if (clamped_weights_ > 0) {
    Warn(clamped_weights_, " weight values beyond the fp16 range were clamped to +-65504");
  }
  ANEMLL_RETURN_IF_ERROR(CheckCancelled());
  if (staged_) ANEMLL_RETURN_IF_ERROR(staged_->Commit());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(r_.output_dir, ec)) {
    result_.files.push_back(entry.path().filename().string());
  }
  std::sort(result_.files.begin(), result_.files.end());
  result_.plan = plan_;
  return std::move(result_);
}

}  // namespace

const std::vector<std::string>& TokenizerFileNames() {
  static const std::vector<std::string> names = {
      "tokenizer.json",          "tokenizer_config.json",   "tokenizer.model",        "vocab.json",
      "merges.txt",              "chat_template.jinja",     "added_tokens.json",      "special_tokens_map.json",
      "generation_config.json",  "config.json"};
  return names;
}

std::string ModelNameForMeta(const fs::path& model_dir) {
  fs::path p = model_dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::error_code ec;
  if (p.filename() == "." || p.filename() == "..") p = fs::absolute(p, ec).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  // HF cache: .../models--org--name/snapshots/<hash>
  const fs::path parent = p.parent_path();
  if (parent.filename() == "snapshots") {
    std::string repo = parent.parent_path().filename().string();
    if (repo.rfind("models--", 0) == 0) {
      repo = repo.substr(8);
      const size_t sep = repo.find("--");
      if (sep == std::string::npos) return repo;
      return repo.substr(0, sep) + "-" + repo.substr(sep + 2);
    }
  }
  return p.filename().string();
}

Result<ConvertResult> Convert(const ConvertRequest& request) {
  Driver driver(request);
  return driver.Run();
}

std::string FormatLutReport(const std::vector<PartLutSummary>& parts) {
  size_t width = 4;
  for (const PartLutSummary& p : parts) width = std::max(width, p.part.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %4s  %5s  %9s  %s\n", static_cast<int>(width), "part", "bits", "group",
                "size (MB)", "worst tensor (MSE, cosine)");
  out += line;
  for (const PartLutSummary& p : parts) {
    const std::string bits = p.bits > 0 ? std::to_string(p.bits) : "fp16";
    const std::string group = p.bits > 0 ? (p.group > 0 ? std::to_string(p.group) : "tensor") : "-";
    std::string worst = "-";
    if (p.tensors > 0) {
      char buf[320];
      std::snprintf(buf, sizeof buf, "%s (%.3g, %.6f)", p.worst_name.c_str(), p.worst_mse, p.worst_cosine);
      worst = buf;
    }
    std::snprintf(line, sizeof line, "%-*s  %4s  %5s  %9.1f  %s\n", static_cast<int>(width), p.part.c_str(),
                  bits.c_str(), group.c_str(), p.size_mb, worst.c_str());
    out += line;
  }
  return out;
}

}  // namespace anemll::convert
