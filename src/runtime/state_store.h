// Named persistent tensors (Core ML states such as KV caches). One StateStore is shared by every
// compiled function that uses the same states (infer/prefill of one package, or several
// packages/chunks): a function binds each of its state inputs by name + shape, and the first
// binder creates the state, zero-filled. Storage is fp16 for executables compiled in fp16
// precision and fp32 in fp32 precision; binders of one state must agree on shape and storage.
//
// Not thread-safe: one Run at a time per store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/tensor.h"

namespace anemll::runtime {

struct StateTensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t count = 0;
  bool fp16 = true;           // storage: fp16 bits, else fp32
  std::vector<uint8_t> bytes;  // count * (fp16 ? 2 : 4)

  uint16_t* half_data() { return reinterpret_cast<uint16_t*>(bytes.data()); }
  float* float_data() { return reinterpret_cast<float*>(bytes.data()); }
};

class StateStore {
 public:
  StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Finds or creates (zero-filled) the state. Errors if it exists with another shape or storage.
  // The returned pointer stays valid for the lifetime of the store.
  Result<StateTensor*> Bind(const std::string& name, const std::vector<int64_t>& shape, bool fp16);

  bool Has(const std::string& name) const { return states_.count(name) != 0; }
  std::vector<std::string> Names() const;
  // nullptr when absent.
  const StateTensor* Find(const std::string& name) const;

  // The state's values as fp32 (shape kept).
  Result<Tensor> Read(const std::string& name) const;
  // Replaces the state's values from a float tensor of the same shape (rounded to fp16 when the
  // state is stored as fp16). Creates the state (fp16 storage unless `fp16` is false) if absent.
  Status Write(const std::string& name, const Tensor& value, bool fp16_if_new = true);

  // Zero-fills every state (a fresh conversation).
  void Reset();

  // Identifies this store among all stores ever created (executables cache their bindings).
  uint64_t id() const { return id_; }

 private:
  uint64_t id_;
  std::map<std::string, std::unique_ptr<StateTensor>> states_;
};

}  // namespace anemll::runtime
