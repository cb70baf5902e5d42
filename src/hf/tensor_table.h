// The tensors each family's checkpoint must hold: HF names (with the checkpoint's prefix) and
// shapes. Used by the reference forward pass and the converter to check a checkpoint up front.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "hf/model_spec.h"
#include "hf/tensor_store.h"

namespace anemll::hf {

struct TensorSpec {
  std::string name;            // e.g. "model.layers.2.mlp.up_proj.weight"
  std::vector<int64_t> shape;  // e.g. [intermediate, hidden]
  bool required = true;        // false: lm_head of a tied checkpoint
};

// Every tensor of the language model for `spec`, in forward order: embedding, per layer
// (norms, q/k/v/o and their biases, q/k norms, mlp), final norm, lm_head.
std::vector<TensorSpec> ExpectedTensors(const ModelSpec& spec);

// Checks `store` against the table: a missing required tensor, a wrong shape or a non-float dtype
// is an error "<label>: missing tensor NAME" / "<label>: tensor NAME has shape [a,b], expected [c,d]".
// Optional tensors are checked only when present; extra tensors are ignored.
Status CheckTensors(const TensorStore& store, const std::vector<TensorSpec>& expected, const std::string& label);

}  // namespace anemll::hf
