// What the generation loop drives: something that takes tokens and returns the logits of the
// last one, keeping its own KV cache. The fp32 reference is one; the converted-package runtime
// plugs in the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "reference/model.h"
#include "reference/session.h"
#include "runtime/package_session.h"

namespace anemll::generate {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Feeds `tokens` at the current position; returns the logits [vocab] of the last one.
  virtual Result<std::vector<float>> Prefill(std::span<const int32_t> tokens) = 0;
  // Feeds one token; returns its logits [vocab].
  virtual Result<std::vector<float>> Step(int32_t token) = 0;
  // Forgets everything (position 0).
  virtual void Reset() = 0;
  // Tokens fed so far.
  virtual int64_t position() const = 0;
  virtual int64_t vocab_size() const = 0;
  // Positions the decoder can hold; 0 when unlimited.
  virtual int64_t context_length() const = 0;
  // Prompt tokens fed per batch (the context-shift rule keeps whole batches).
  virtual int64_t batch_size() const { return 64; }
};

// The fp32 reference forward pass as a Decoder.
class ReferenceDecoder : public Decoder {
 public:
  explicit ReferenceDecoder(const reference::Model& model, reference::SessionOptions options = {})
      : session_(model, options), context_length_(options.max_context) {}

  Result<std::vector<float>> Prefill(std::span<const int32_t> tokens) override;
  Result<std::vector<float>> Step(int32_t token) override;
  void Reset() override { session_.Reset(); }
  int64_t position() const override { return session_.position(); }
  int64_t vocab_size() const override { return session_.model().spec().vocab_size; }
  int64_t context_length() const override { return context_length_; }

  reference::Session& session() { return session_; }

 private:
  reference::Session session_;
  int64_t context_length_;
};

// A converted output folder run by the CPU runtime as a Decoder.
class PackageDecoder : public Decoder {
 public:
  explicit PackageDecoder(const runtime::PackageModel& model) : session_(model) {}

  Result<std::vector<float>> Prefill(std::span<const int32_t> tokens) override { return session_.Prefill(tokens); }
  Result<std::vector<float>> Step(int32_t token) override { return session_.Step(token); }
  void Reset() override { session_.Reset(); }
  int64_t position() const override { return session_.position(); }
  int64_t vocab_size() const override { return session_.model().vocab_size(); }
  int64_t context_length() const override { return session_.model().context_length(); }
  int64_t batch_size() const override { return session_.model().batch_size(); }

  runtime::PackageSession& session() { return session_; }

 private:
  runtime::PackageSession session_;
};

}  // namespace anemll::generate
