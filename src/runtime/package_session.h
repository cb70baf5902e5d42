// Runs a converted output folder on the CPU the way ANEMLL's hosts drive it on the ANE.
//
// PackageModel loads every package of the folder once (weights stay memory-mapped) and compiles
// each function. PackageSession holds one conversation's state (the KV cache states shared by all
// chunks, the position and the tokens in the cache) and feeds tokens:
//   - full batches of B tokens through each chunk's `prefill` (`prefill_rotate` once the batch
//     starts at or past the sliding window; a batch never straddles the window), when the folder
//     allows batch prefill (prefill_dynamic_slice or update_mask_prefill in meta.yaml);
//   - the other tokens one at a time through `infer` (`infer_rotate` past the window);
//   - the LM head only for the token whose logits are wanted.
// Argmax-mode folders return the winning slice's max logit at the winning id and -inf elsewhere
// (the slice offsets come from lm_head_chunk_sizes).
//
// Executables are shared by all sessions of a model: run one session at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mil/ir.h"
#include "runtime/executable.h"
#include "runtime/model_folder.h"
#include "runtime/state_store.h"
#include "runtime/tensor.h"

namespace anemll::runtime {

struct PackageModelOptions {
  Precision precision = Precision::kFp16;
  LutDot lut_dot = LutDot::kExact;
  int threads = 0;  // 0: all hardware threads
  bool fuse_ops = true;  // Options::fuse_ops
};

class PackageSession;

class PackageModel {
 public:
  // `path`: the folder or its meta.yaml.
  static Result<std::unique_ptr<PackageModel>> Open(const std::filesystem::path& path,
                                                    const PackageModelOptions& options = {});
  ~PackageModel();

  const PackageFolder& folder() const { return folder_; }
  const FolderMeta& meta() const { return folder_.meta; }
  int64_t context_length() const { return folder_.meta.context_length; }
  int64_t batch_size() const { return folder_.meta.batch_size; }
  int64_t vocab_size() const { return vocab_size_; }
  // 0 when the model has no rotate functions.
  int64_t rotate_window() const { return rotates_ ? window_ : 0; }
  Precision precision() const { return options_.precision; }
  LutDot lut_dot() const { return options_.lut_dot; }
  int threads() const { return pool_->num_threads(); }
  // Bytes of weights one decode step reads: every constant of the chunks' `infer` functions and
  // the LM head, plus one embedding row.
  int64_t weight_bytes_per_token() const { return weight_bytes_per_token_; }

  std::unique_ptr<PackageSession> NewSession() const;

 private:
  friend class PackageSession;
  PackageModel() = default;
  Status Load();
  Result<Executable*> Compile(const std::filesystem::path& pkg, const std::string& function);
  Result<mil::Model*> ReadModel(const std::filesystem::path& pkg);

  PackageFolder folder_;
  PackageModelOptions options_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::pair<std::filesystem::path, std::unique_ptr<mil::Model>>> models_;
  std::vector<std::unique_ptr<Executable>> executables_;
  // Chunked: embeddings, LM head, per chunk the four functions (nullptr when absent).
  Executable* embeddings_ = nullptr;
  Executable* lm_head_ = nullptr;
  struct Stage {
    Executable* infer = nullptr;
    Executable* prefill = nullptr;
    Executable* infer_rotate = nullptr;
    Executable* prefill_rotate = nullptr;
  };
  std::vector<Stage> chunks_;  // monolithic: one stage
  bool rotates_ = false;
  int64_t window_ = 0;       // sliding window (0: none)
  int64_t mask_width_ = 0;   // causal mask columns
  int64_t vocab_size_ = 0;
  std::vector<int64_t> slice_offsets_;  // argmax mode: first id of each LM-head slice
  int64_t weight_bytes_per_token_ = 0;
};

class PackageSession {
 public:
  explicit PackageSession(const PackageModel& model);

  // Feeds `tokens` (batch prefill and `infer`) and returns the logits [vocab] of the last one,
  // which is run once more through `infer` and the LM head.
  Result<std::vector<float>> Prefill(std::span<const int32_t> tokens);
  // Feeds one token; returns its logits [vocab].
  Result<std::vector<float>> Step(int32_t token);
  // Feeds tokens without running the LM head, unless `on_logits` is given: then the LM head runs
  // after every token or batch and on_logits(position, logits) gets the result. After a batch the
  // LM head sees the last chunk's prefill output — for anemll packages the batch's last token,
  // final-normed (ANEMLL's own packages return an un-normed first token there, so their batch
  // logits mean nothing); a monolithic Gemma prefill gives no logits at all.
  using LogitsCallback = std::function<void(int64_t position, const std::vector<float>& logits)>;
  Status Feed(std::span<const int32_t> tokens, const LogitsCallback& on_logits = {});

  // Forgets everything: zeroed states, position 0.
  void Reset();
  int64_t position() const { return static_cast<int64_t>(tokens_.size()); }
  // The tokens in the cache, position order.
  const std::vector<int32_t>& tokens() const { return tokens_; }

  const PackageModel& model() const { return model_; }

 private:
  // Runs `count` tokens from `ids` at position `pos` (== position(): new tokens; below: a re-run
  // that rewrites its cache entries): count == 1 through infer, count == B through prefill.
  // `want_logits` runs the LM head; returns whether logits_ was set.
  Result<bool> Run(int64_t pos, const int32_t* ids, int64_t count, bool want_logits);
  Status RunStage(Executable* exe, const Tensor* hidden_in, int64_t pos, int64_t count, std::vector<Tensor>* out);
  void FillInputs(int64_t pos, const int32_t* ids, int64_t count);
  Status ReadLogits(const std::vector<Tensor>& outputs, const Executable& exe);

  const PackageModel& model_;
  StateStore states_;
  std::vector<int32_t> tokens_;
  // Reused inputs: ids [1,S], position_ids [S], causal_mask [1,1,S,W], current_pos [1],
  // update_mask [1,1,C,S], for S = 1 and S = B.
  struct Inputs {
    Tensor ids, positions, mask, current_pos, update_mask;
  } single_, batch_;
  std::vector<Tensor> embed_out_, head_out_;
  std::vector<std::vector<Tensor>> stage_out_;
  std::vector<float> logits_;
};

}  // namespace anemll::runtime
