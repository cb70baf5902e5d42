// `anemll inspect PKG [--mil] [--json]`: what an .mlpackage holds — functions (default marked),
// inputs/states/outputs with dtypes and shapes, metadata, op histograms and weight bytes by
// dtype and by LUT bit width; --mil adds the program text, --json prints one JSON object.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "mil/coreml/package.h"
#include "mil/coreml/summary.h"
#include "mil/printer.h"

namespace anemll::cli {
namespace {

using mil::coreml::FunctionSummary;
using mil::coreml::PackageSummary;
using nlohmann::json;

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

// "1.2 MiB (1234567 bytes)" for big numbers, "384 bytes" for small ones.
std::string BytesText(uint64_t bytes) {
  if (bytes < 10240) return StrCat(bytes, " bytes");
  char buf[64];
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib >= 1.0) {
    std::snprintf(buf, sizeof buf, "%.1f MiB (%llu bytes)", mib, static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f KiB (%llu bytes)", static_cast<double>(bytes) / 1024.0,
                  static_cast<unsigned long long>(bytes));
  }
  return buf;
}

// Op types by count (descending), then name.
std::vector<std::pair<std::string, int64_t>> SortedOps(const FunctionSummary& f) {
  std::vector<std::pair<std::string, int64_t>> ops(f.ops.begin(), f.ops.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return ops;
}

void PrintFeatures(const char* title, const std::vector<mil::FeatureDescription>& features, std::ostream& out) {
  if (features.empty()) return;
  out << "  " << title << ":\n";
  size_t width = 0;
  for (const auto& f : features) width = std::max(width, f.name.size());
  for (const auto& f : features) {
    std::string line = "    " + f.name + std::string(width - f.name.size() + 2, ' ');
    std::string dtype = mil::coreml::FeatureDTypeName(f.type);
    line += dtype + std::string(dtype.size() < 6 ? 6 - dtype.size() : 1, ' ');
    line += f.type.shape.empty() ? std::string("(flexible)") : ShapeText(f.type.shape);
    if (!f.type.enumerated_shapes.empty()) {
      line += "  enumerated";
      for (const auto& s : f.type.enumerated_shapes) line += " " + ShapeText(s);
    }
    if (!f.type.shape_range.empty()) {
      line += "  range";
      for (const auto& [lo, hi] : f.type.shape_range) line += StrCat(" ", lo, "..", hi < 0 ? std::string("inf") : std::to_string(hi));
    }
    if (f.type.optional) line += "  optional";
    if (!f.short_description.empty()) line += "  -- " + f.short_description;
    out << line << "\n";
  }
}

void PrintText(const PackageSummary& s, std::ostream& out) {
  out << "package: " << s.package.string() << "\n";
  out << "specification version: " << s.specification_version << "\n";
  out << "functions:";
  for (size_t i = 0; i < s.functions.size(); ++i) {
    out << (i ? ", " : " ") << s.functions[i].name << (s.functions[i].is_default ? " (default)" : "");
  }
  out << "\n";
  const auto& m = s.metadata;
  if (!(m == mil::Metadata())) {
    out << "metadata:\n";
    if (!m.author.empty()) out << "  author: " << m.author << "\n";
    if (!m.version.empty()) out << "  version: " << m.version << "\n";
    if (!m.short_description.empty()) out << "  description: " << m.short_description << "\n";
    if (!m.license.empty()) out << "  license: " << m.license << "\n";
    if (!m.user_defined.empty()) {
      out << "  user-defined:\n";
      for (const auto& [k, v] : m.user_defined) out << "    " << k << " = " << v << "\n";
    }
  }
  for (const auto& f : s.functions) {
    out << "function " << f.name << (f.is_default ? " (default)" : "") << (f.opset.empty() ? "" : " [" + f.opset + "]")
        << ":\n";
    PrintFeatures("inputs", f.description.inputs, out);
    PrintFeatures("states", f.description.states, out);
    PrintFeatures("outputs", f.description.outputs, out);
    out << "  ops (" << f.op_count << "):";
    bool first = true;
    for (const auto& [type, n] : SortedOps(f)) {
      out << (first ? " " : ", ") << type << " " << n;
      first = false;
    }
    out << "\n";
  }
  const auto& w = s.weights;
  out << "weights: " << w.blob_count << " blobs, " << BytesText(w.total_blob_bytes);
  if (w.weight_file_bytes) out << " (weight files " << BytesText(w.weight_file_bytes) << ")";
  out << "\n";
  if (!w.by_dtype.empty()) {
    out << "  by dtype:";
    bool first = true;
    for (const auto& [dtype, bytes] : w.by_dtype) {
      out << (first ? " " : ", ") << dtype << " " << BytesText(bytes);
      first = false;
    }
    out << "\n";
  }
  if (!w.by_lut_bits.empty()) {
    out << "  by LUT bits:";
    bool first = true;
    for (const auto& [bits, stats] : w.by_lut_bits) {
      out << (first ? " " : ", ") << "lut" << bits << " " << BytesText(stats.bytes) << " (" << stats.ops
          << (stats.ops == 1 ? " op)" : " ops)");
      first = false;
    }
    out << "\n";
  }
}

json FeaturesJson(const std::vector<mil::FeatureDescription>& features) {
  json list = json::array();
  for (const auto& f : features) {
    json j{{"name", f.name}, {"dtype", mil::coreml::FeatureDTypeName(f.type)}, {"shape", f.type.shape}};
    if (!f.type.enumerated_shapes.empty()) j["enumerated_shapes"] = f.type.enumerated_shapes;
    if (!f.type.shape_range.empty()) {
      json ranges = json::array();
      for (const auto& [lo, hi] : f.type.shape_range) ranges.push_back({lo, hi});
      j["shape_range"] = ranges;
    }
    if (f.type.optional) j["optional"] = true;
    if (!f.short_description.empty()) j["description"] = f.short_description;
    list.push_back(j);
  }
  return list;
}

json SummaryJson(const PackageSummary& s) {
  json j;
  j["package"] = s.package.string();
  j["specification_version"] = s.specification_version;
  j["default_function"] = s.default_function.empty() ? json(nullptr) : json(s.default_function);
  json fns = json::array();
  for (const auto& f : s.functions) {
    json ops = json::object();
    for (const auto& [type, n] : f.ops) ops[type] = n;
    fns.push_back({{"name", f.name},
                   {"default", f.is_default},
                   {"opset", f.opset},
                   {"inputs", FeaturesJson(f.description.inputs)},
                   {"states", FeaturesJson(f.description.states)},
                   {"outputs", FeaturesJson(f.description.outputs)},
                   {"op_count", f.op_count},
                   {"ops", ops}});
  }
  j["functions"] = fns;
  const auto& m = s.metadata;
  j["metadata"] = {{"author", m.author},
                   {"version", m.version},
                   {"short_description", m.short_description},
                   {"license", m.license},
                   {"user_defined", m.user_defined}};
  const auto& w = s.weights;
  json lut = json::object();
  for (const auto& [bits, stats] : w.by_lut_bits) lut[std::to_string(bits)] = {{"bytes", stats.bytes}, {"ops", stats.ops}};
  j["weights"] = {{"blob_count", w.blob_count},
                  {"total_blob_bytes", w.total_blob_bytes},
                  {"weight_file_bytes", w.weight_file_bytes},
                  {"by_dtype", w.by_dtype},
                  {"by_lut_bits", lut}};
  return j;
}

struct InspectOptions {
  std::string package;
  bool mil = false;
  bool json = false;
};

int RunInspect(const InspectOptions& opt) {
  auto model = mil::coreml::ReadPackage(opt.package);
  if (!model.ok()) return Fail("inspect", model.status());
  const PackageSummary summary = mil::coreml::Summarize(*model, opt.package);
  if (opt.json) {
    json j = SummaryJson(summary);
    if (opt.mil) j["mil"] = mil::PrintProgram(model->program);
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::ostringstream out;
  PrintText(summary, out);
  if (opt.mil) out << "\n" << mil::PrintProgram(model->program);
  std::cout << out.str();
  std::cout.flush();
  return std::cout ? 0 : 1;
}

CommandRegistrar registrar(
    "inspect", "Show what an .mlpackage holds: functions, I/O, states, metadata, ops and weights",
    [](CLI::App* sub) -> std::function<int()> {
      auto opt = std::make_shared<InspectOptions>();
      sub->add_option("package", opt->package, "Path of the .mlpackage")->required();
      sub->add_flag("--mil", opt->mil, "Also print the ML Program as text");
      sub->add_flag("--json", opt->json, "Print one JSON object instead of text");
      return [opt] { return RunInspect(*opt); };
    });

}  // namespace
}  // namespace anemll::cli
