// `anemll dedup PKG... [--anchor FN] [--cos-threshold 0.9999] [--mean-abs-threshold 0.001]
// [--max-abs-threshold X] [--strict] [--dry-run] [--verbose]`: ANEMLL-Dedup for multifunction
// packages made elsewhere. Palettized weights of each function that match the anchor function's
// after dequantization are pointed at the anchor's copy, and the package is rewritten in place
// (atomically) so that each weight is stored once. Prints per package what was examined, replaced,
// already identical and rejected, and weight.bin before/after.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "convert/dedup.h"

namespace anemll::cli {
namespace {

struct DedupFlags {
  std::vector<std::string> packages;
  std::string anchor;
  double cos_threshold = 0.9999;
  double mean_abs_threshold = 0.001;
  double max_abs_threshold = 0.01;
  CLI::Option* max_abs_opt = nullptr;
  bool strict = false, dry_run = false, verbose = false;
};

std::string Mib(uint64_t bytes) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f MiB (%llu bytes)", static_cast<double>(bytes) / (1024.0 * 1024.0),
                static_cast<unsigned long long>(bytes));
  return buf;
}

void PrintResult(const std::string& pkg, const convert::PackageDedupResult& r, const DedupFlags& f) {
  using convert::DedupReason;
  const convert::DedupReport& rep = r.report;
  if (r.functions < 2) {
    std::printf("%s: one function (%s), nothing to deduplicate\n", pkg.c_str(), rep.anchor.c_str());
    return;
  }
  std::string targets;
  for (const std::string& t : rep.targets) targets += (targets.empty() ? "" : ", ") + t;
  std::printf("%s: anchor %s, targets %s\n", pkg.c_str(), rep.anchor.c_str(), targets.c_str());
  std::printf("  palettized constants: examined %lld, replaced %lld (deq_close), identical %lld, rejected %lld "
              "(rejected_threshold %lld, rejected_shape %lld, rejected_deq_fail %lld), no anchor match %lld\n",
              static_cast<long long>(rep.examined), static_cast<long long>(rep.replaced),
              static_cast<long long>(rep.identical), static_cast<long long>(rep.rejected),
              static_cast<long long>(rep.count(DedupReason::kRejectedThreshold)),
              static_cast<long long>(rep.count(DedupReason::kRejectedShape)),
              static_cast<long long>(rep.count(DedupReason::kRejectedDeqFail)),
              static_cast<long long>(rep.unmatched));
  std::printf("  dense constants matched by name: %lld identical (stored once), %lld different (kept)\n",
              static_cast<long long>(rep.dense_identical), static_cast<long long>(rep.dense_different));
  for (const convert::DedupDecision& d : rep.decisions) {
    const bool rejected = d.reason != DedupReason::kIdentical && d.reason != DedupReason::kDeqClose;
    if (!f.verbose && !rejected) continue;
    std::printf("    %s %s/%s <- %s: %s", DedupReasonName(d.reason), d.function.c_str(), d.target_op.c_str(),
                d.anchor_op.c_str(), d.key.c_str());
    if (d.reason == DedupReason::kDeqClose || d.reason == DedupReason::kRejectedThreshold) {
      std::printf(" cos %.8f mean_abs %.3g max_abs %.3g", d.cosine, d.mean_abs, d.max_abs);
    }
    if (!d.detail.empty()) std::printf(" (%s)", d.detail.c_str());
    std::printf("\n");
  }
  const uint64_t before = r.weight_bytes_before, after = r.weight_bytes_after;
  const uint64_t saved = before > after ? before - after : 0;
  std::printf("  weight.bin: %s -> %s, saved %s (%.1f%%)%s\n", Mib(before).c_str(), Mib(after).c_str(),
              Mib(saved).c_str(), before > 0 ? 100.0 * static_cast<double>(saved) / static_cast<double>(before) : 0.0,
              f.dry_run ? " [dry run: nothing written]" : r.written ? "" : " [unchanged: nothing written]");
}

int RunDedup(const DedupFlags& f) {
  const std::string cmd = "dedup";
  convert::DedupOptions o;
  o.anchor = f.anchor;
  o.cos_threshold = f.cos_threshold;
  o.mean_abs_threshold = f.mean_abs_threshold;
  if (f.max_abs_opt && f.max_abs_opt->count() > 0) o.max_abs_threshold = f.max_abs_threshold;
  o.strict = f.strict;
  if (Status s = convert::ValidateDedupOptions(o); !s.ok()) return Fail(cmd, s);
  for (const std::string& pkg : f.packages) {
    auto r = convert::DedupPackage(pkg, o, f.dry_run);
    if (!r.ok()) return Fail(cmd, r.status());
    PrintResult(pkg, *r, f);
  }
  return 0;
}

CommandRegistrar registrar(
    "dedup", "Share palettized weights across the functions of multifunction packages (ANEMLL-Dedup)",
    [](CLI::App* sub) -> std::function<int()> {
      auto f = std::make_shared<DedupFlags>();
      sub->add_option("packages", f->packages, "Multifunction .mlpackage folders, rewritten in place")->required();
      sub->add_option("--anchor", f->anchor, "Function whose weights are kept (default: the first, usually infer)");
      sub->add_option("--cos-threshold", f->cos_threshold, "Accept when cosine similarity >= this (default 0.9999)");
      sub->add_option("--mean-abs-threshold", f->mean_abs_threshold,
                      "... and mean |difference| <= this (default 0.001)");
      f->max_abs_opt = sub->add_option("--max-abs-threshold", f->max_abs_threshold,
                                       "Also require max |difference| <= this (implied 0.01 with --strict)");
      sub->add_flag("--strict", f->strict, "Also require max |difference| <= 0.01 (or --max-abs-threshold)");
      sub->add_flag("--dry-run", f->dry_run, "Report what would change; write nothing");
      sub->add_flag("--verbose", f->verbose, "One line per compared weight");
      return [f] { return RunDedup(*f); };
    });

}  // namespace
}  // namespace anemll::cli
