// The numeric tests' view of a converted folder: the runtime's PackageModel/PackageSession, with
// logits collected by position (after every single token and, for batch prefill, after each
// batch — anemll's prefill returns the batch's last token, final-normed).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "base/status.h"
#include "runtime/package_session.h"

namespace anemll::convert::test_host {

class PackagePipeline {
 public:
  static Result<std::unique_ptr<PackagePipeline>> Open(const std::filesystem::path& dir, runtime::Precision precision,
                                                       runtime::LutDot lut_dot = runtime::LutDot::kExact,
                                                       bool fuse_ops = true) {
    runtime::PackageModelOptions o;
    o.precision = precision;
    o.lut_dot = lut_dot;
    o.fuse_ops = fuse_ops;
    o.threads = 2;
    ANEMLL_ASSIGN_OR_RETURN(std::unique_ptr<runtime::PackageModel> model, runtime::PackageModel::Open(dir, o));
    auto p = std::unique_ptr<PackagePipeline>(new PackagePipeline());
    p->model_ = std::move(model);
    p->session_ = p->model_->NewSession();
    return p;
  }

  int64_t position() const { return session_->position(); }
  int64_t context() const { return model_->context_length(); }
  int64_t batch() const { return model_->batch_size(); }
  void Reset() { session_->Reset(); }
  runtime::PackageSession& session() { return *session_; }

  // Feeds tokens; returns the logits [V] of each position that produced them (each batch's last
  // token, every single token). `batch` false: token by token only.
  Result<std::map<int64_t, std::vector<float>>> Feed(const std::vector<int32_t>& tokens, bool batch) {
    std::map<int64_t, std::vector<float>> logits;
    auto collect = [&](int64_t pos, const std::vector<float>& l) { logits[pos] = l; };
    if (batch) {
      ANEMLL_RETURN_IF_ERROR(session_->Feed(tokens, collect));
      return logits;
    }
    for (int32_t t : tokens) {
      const int64_t pos = session_->position();
      ANEMLL_ASSIGN_OR_RETURN(logits[pos], session_->Step(t));
    }
    return logits;
  }

  // Greedy continuation of `prompt` for n tokens.
  Result<std::vector<int32_t>> Greedy(const std::vector<int32_t>& prompt, int n) {
    ANEMLL_ASSIGN_OR_RETURN(std::vector<float> last, session_->Prefill(prompt));
    std::vector<int32_t> out;
    for (int k = 0; k < n; ++k) {
      const int32_t next = Argmax(last);
      out.push_back(next);
      if (k + 1 == n) break;
      ANEMLL_ASSIGN_OR_RETURN(last, session_->Step(next));
    }
    return out;
  }

  static int32_t Argmax(const std::vector<float>& v) {
    int32_t best = 0;
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    }
    return best;
  }

 private:
  PackagePipeline() = default;
  std::unique_ptr<runtime::PackageModel> model_;
  std::unique_ptr<runtime::PackageSession> session_;
};

}  // namespace anemll::convert::test_host
