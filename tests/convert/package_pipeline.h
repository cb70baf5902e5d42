// A small host for converted output folders, for the numeric tests: it reads meta.yaml, loads
// every package with the CPU runtime and runs tokens the way ANEMLL's hosts do — full batches
// through the chunks' `prefill` (`prefill_rotate` once a batch starts at or past the sliding
// window), the remaining tokens one by one through `infer` (`infer_rotate` past the window),
// the LM head after each single token and after each batch (whose last chunk returns the batch's
// last token, final-normed).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "convert/layout.h"
#include "mil/coreml/package.h"
#include "runtime/executable.h"
#include "runtime/state_store.h"
#include "runtime/tensor.h"

namespace anemll::convert::test_host {

class PackagePipeline {
 public:
  static Result<std::unique_ptr<PackagePipeline>> Open(const std::filesystem::path& dir, runtime::Precision precision) {
    auto p = std::unique_ptr<PackagePipeline>(new PackagePipeline());
    p->dir_ = dir;
    p->precision_ = precision;
    ANEMLL_RETURN_IF_ERROR(p->Load());
    return p;
  }

  int64_t position() const { return pos_; }
  int64_t context() const { return context_; }
  int64_t batch() const { return batch_; }
  void Reset() {
    states_ = std::make_unique<runtime::StateStore>();
    pos_ = 0;
  }

  // Feeds tokens at positions position()...; returns logits [V] of each position that produced
  // them (each batch's last token, every single token). `batch` false: token by token only.
  Result<std::map<int64_t, std::vector<float>>> Feed(const std::vector<int32_t>& tokens, bool batch) {
    std::map<int64_t, std::vector<float>> logits;
    size_t i = 0;
    while (i < tokens.size()) {
      const bool batch_fits = batch && i + static_cast<size_t>(batch_) <= tokens.size() && pos_ + batch_ <= context_;
      // A batch may not straddle the end of the window (fill -> rotate switch).
      const bool straddles = window_ > 0 && rotate_ && pos_ < window_ && pos_ + batch_ > window_;
      if (batch_fits && !straddles) {
        std::vector<int32_t> ids(tokens.begin() + static_cast<long>(i), tokens.begin() + static_cast<long>(i) + batch_);
        ANEMLL_ASSIGN_OR_RETURN(std::vector<float> l, Step(ids));
        if (!l.empty()) logits[pos_ - 1] = std::move(l);
        i += static_cast<size_t>(batch_);
      } else {
        ANEMLL_ASSIGN_OR_RETURN(std::vector<float> l, Step({tokens[i]}));
        if (!l.empty()) logits[pos_ - 1] = std::move(l);
        ++i;
      }
    }
    return logits;
  }

  // Greedy continuation of `prompt` (fed with batch prefill) for n tokens.
  Result<std::vector<int32_t>> Greedy(const std::vector<int32_t>& prompt, int n) {
    // All but the last prompt token through batch prefill, the last one through infer (whose
    // logits start the continuation), as the hosts do.
    std::vector<int32_t> head(prompt.begin(), prompt.end() - 1);
    ANEMLL_RETURN_IF_ERROR(Feed(head, true).status());
    ANEMLL_ASSIGN_OR_RETURN(std::vector<float> last, Step({prompt.back()}));
    std::vector<int32_t> out;
    for (int k = 0; k < n; ++k) {
      const int32_t next = Argmax(last);
      out.push_back(next);
      if (k + 1 == n) break;
      ANEMLL_ASSIGN_OR_RETURN(last, Step({next}));
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

  // With --argmax packages the "logits" are one-hot at the argmax id (value = the max logit).
  bool argmax_in_model() const { return argmax_; }

 private:
  PackagePipeline() : states_(std::make_unique<runtime::StateStore>()) {}

  Result<std::unique_ptr<runtime::Executable>> Compile(const std::string& stem, const std::string& function) {
    ANEMLL_ASSIGN_OR_RETURN(mil::Model m, mil::coreml::ReadPackage(dir_ / (stem + ".mlpackage")));
    models_.push_back(std::make_unique<mil::Model>(std::move(m)));
    runtime::Options o;
    o.precision = precision_;
    o.threads = 2;
    auto exe = runtime::Executable::Compile(*models_.back(), function, o);
    if (!exe.ok()) return exe.status().WithContext(StrCat(stem, " ", function));
    return std::move(*exe);
  }

  static std::string Stem(const std::string& file) {
    const std::string ext = ".mlmodelc";
    return file.size() > ext.size() ? file.substr(0, file.size() - ext.size()) : file;
  }

  Status Load() {
    YAML::Node meta;
    try {
      meta = YAML::LoadFile((dir_ / "meta.yaml").string());
    } catch (const std::exception& e) {
      return FormatError("meta.yaml: ", e.what());
    }
    const YAML::Node p = meta["model_info"]["parameters"];
    monolithic_ = meta["model_info"]["model_type"] && meta["model_info"]["model_type"].as<std::string>() == "monolithic";
    context_ = p["context_length"].as<int64_t>();
    batch_ = p["batch_size"].as<int64_t>();
    if (p["sliding_window"]) window_ = p["sliding_window"].as<int64_t>();
    argmax_ = p["argmax_in_model"] && p["argmax_in_model"].as<bool>();
    update_mask_ = p["update_mask_prefill"] && p["update_mask_prefill"].as<bool>();
    for (const auto& s : p["lm_head_chunk_sizes"]) slice_sizes_.push_back(s.as<int64_t>());
    vocab_ = p["vocab_size"].as<int64_t>();
    const std::string prefix = p["model_prefix"].as<std::string>();
    if (monolithic_) {
      const std::string stem = Stem(p["monolithic_model"].as<std::string>());
      std::vector<std::string> fns;
      for (const auto& f : p["functions"]) fns.push_back(f.as<std::string>());
      for (const std::string& f : fns) {
        ANEMLL_ASSIGN_OR_RETURN(mono_[f], Compile(stem, f));
      }
      rotate_ = mono_.count("infer_rotate") != 0;
    } else {
      ANEMLL_ASSIGN_OR_RETURN(embed_, Compile(Stem(p["embeddings"].as<std::string>()), "main"));
      ANEMLL_ASSIGN_OR_RETURN(lm_head_, Compile(Stem(p["lm_head"].as<std::string>()), "main"));
      const int chunks = p["num_chunks"].as<int>();
      const bool split_rotate = p["split_rotate"] && p["split_rotate"].as<bool>();
      const LutSpec none;
      for (int c = 0; c < chunks; ++c) {
        std::map<std::string, std::unique_ptr<runtime::Executable>> fns;
        const std::string stem = FfnChunkName(prefix, none, c, chunks, false);
        ANEMLL_ASSIGN_OR_RETURN(mil::Model probe, mil::coreml::ReadPackage(dir_ / (stem + ".mlpackage")));
        for (const std::string& f : probe.description.FunctionNames()) {
          ANEMLL_ASSIGN_OR_RETURN(fns[f], Compile(stem, f));
        }
        if (split_rotate) {
          const std::string rot = FfnChunkName(prefix, none, c, chunks, true);
          for (const std::string f : {"infer_rotate", "prefill_rotate"}) {
            ANEMLL_ASSIGN_OR_RETURN(fns[f], Compile(rot, f));
          }
        }
        rotate_ = fns.count("infer_rotate") != 0;
        chunks_.push_back(std::move(fns));
      }
    }
    mask_width_ = std::max(context_, window_);
    return Status::Ok();
  }

  runtime::Tensor MaskRows(int64_t first, int64_t rows) const {
    std::vector<float> m(static_cast<size_t>(rows * mask_width_));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < mask_width_; ++j) {
        m[static_cast<size_t>(r * mask_width_ + j)] = j <= first + r ? 0.0f : -std::numeric_limits<float>::infinity();
      }
    }
    return runtime::Tensor::FromFloats(mil::DType::kFp16, {1, 1, rows, mask_width_}, m);
  }

  runtime::Tensor UpdateMask(int64_t first, int64_t rows) const {
    std::vector<float> m(static_cast<size_t>(context_ * rows), 0.0f);
    for (int64_t r = 0; r < rows; ++r) m[static_cast<size_t>((first + r) * rows + r)] = 1.0f;
    return runtime::Tensor::FromFloats(mil::DType::kFp16, {1, 1, context_, rows}, m);
  }

  // Runs ids (one token or one full batch) at position pos_; returns the logits of the last one.
  Result<std::vector<float>> Step(const std::vector<int32_t>& ids) {
    const int64_t S = static_cast<int64_t>(ids.size());
    if (pos_ + S > context_) return InvalidArgument("position ", pos_ + S, " beyond the context ", context_);
    const bool prefill = S > 1;
    const bool rotate = rotate_ && pos_ >= window_;
    const std::string fn = std::string(prefill ? "prefill" : "infer") + (rotate ? "_rotate" : "");
    std::vector<int32_t> positions;
    for (int64_t k = 0; k < S; ++k) positions.push_back(static_cast<int32_t>(pos_ + k));
    std::map<std::string, runtime::Tensor> in;
    in["position_ids"] = runtime::Tensor::FromInts(mil::DType::kInt32, {S}, positions);
    in["causal_mask"] = MaskRows(pos_, S);
    in["current_pos"] = runtime::Tensor::FromInts(mil::DType::kInt32, {1}, {static_cast<int32_t>(pos_)});
    if (prefill && update_mask_ && !rotate) in["update_mask"] = UpdateMask(pos_, S);
    const runtime::Tensor ids_tensor = runtime::Tensor::FromInts(mil::DType::kInt32, {1, S}, ids);
    std::map<std::string, runtime::Tensor> out;
    if (monolithic_) {
      in["input_ids"] = ids_tensor;
      auto it = mono_.find(fn);
      if (it == mono_.end()) return NotFound("function ", fn);
      ANEMLL_RETURN_IF_ERROR(it->second->Run(in, *states_, &out));
      pos_ += S;
      if (out.count("output_hidden_states")) {
        // Gemma prefill: the final-normed hidden state; logits through the infer function's head
        // are not available here, so the caller gets no logits for this position.
        return std::vector<float>();
      }
      return Logits(out);
    }
    std::map<std::string, runtime::Tensor> emb_out;
    ANEMLL_RETURN_IF_ERROR(embed_->Run({{"input_ids", ids_tensor}}, *states_, &emb_out));
    runtime::Tensor hidden = emb_out["hidden_states"];
    for (auto& chunk : chunks_) {
      in["hidden_states"] = hidden;
      auto it = chunk.find(fn);
      if (it == chunk.end()) return NotFound("function ", fn);
      ANEMLL_RETURN_IF_ERROR(it->second->Run(in, *states_, &out));
      hidden = out["output_hidden_states"];
    }
    pos_ += S;
    std::map<std::string, runtime::Tensor> head_out;
    ANEMLL_RETURN_IF_ERROR(lm_head_->Run({{"hidden_states", hidden}}, *states_, &head_out));
    return Logits(head_out);
  }

  std::vector<float> Logits(std::map<std::string, runtime::Tensor>& out) const {
    std::vector<float> logits;
    if (out.count("argmax_idx")) {
      // One-hot at the winning id: slice with the largest value, local index + slice offset.
      const std::vector<int32_t> idx = out["argmax_idx"].ToInts();
      const std::vector<float> val = out["argmax_val"].ToFloats();
      size_t best = 0;
      for (size_t k = 1; k < val.size(); ++k) {
        if (val[k] > val[best]) best = k;
      }
      int64_t offset = 0;
      for (size_t k = 0; k < best; ++k) offset += slice_sizes_[k];
      logits.assign(static_cast<size_t>(vocab_), -std::numeric_limits<float>::infinity());
      logits[static_cast<size_t>(offset + idx[best])] = val[best];
      return logits;
    }
    for (size_t k = 1; out.count(StrCat("logits", k)); ++k) {
      const std::vector<float> part = out[StrCat("logits", k)].ToFloats();
      logits.insert(logits.end(), part.begin(), part.end());
    }
    return logits;
  }

  std::filesystem::path dir_;
  runtime::Precision precision_ = runtime::Precision::kFp32;
  std::vector<std::unique_ptr<mil::Model>> models_;
  std::unique_ptr<runtime::Executable> embed_, lm_head_;
  std::vector<std::map<std::string, std::unique_ptr<runtime::Executable>>> chunks_;
  std::map<std::string, std::unique_ptr<runtime::Executable>> mono_;
  std::unique_ptr<runtime::StateStore> states_;
  bool monolithic_ = false, rotate_ = false, argmax_ = false, update_mask_ = false;
  int64_t context_ = 0, batch_ = 0, window_ = 0, mask_width_ = 0, vocab_ = 0, pos_ = 0;
  std::vector<int64_t> slice_sizes_;
};

}  // namespace anemll::convert::test_host
