#include "runtime/state_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "kernels/half_convert.h"

namespace anemll::runtime {

namespace {
std::atomic<uint64_t> next_store_id{1};

int64_t CountOf(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}
}  // namespace

StateStore::StateStore() : id_(next_store_id.fetch_add(1)) {}

Result<StateTensor*> StateStore::Bind(const std::string& name, const std::vector<int64_t>& shape, bool fp16) {
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("state ", name, ": shape ", ShapeString(shape), " is not fixed");
  }
  auto it = states_.find(name);
  if (it != states_.end()) {
    StateTensor& s = *it->second;
    if (s.shape != shape) {
      return InvalidArgument("state ", name, ": bound with shape ", ShapeString(shape), " but it exists with shape ",
                             ShapeString(s.shape));
    }
    if (s.fp16 != fp16) {
      return InvalidArgument("state ", name, ": bound with ", fp16 ? "fp16" : "fp32", " storage but it is stored as ",
                             s.fp16 ? "fp16" : "fp32", " (executables sharing a state need the same precision)");
    }
    return &s;
  }
  auto s = std::make_unique<StateTensor>();
  s->name = name;
  s->shape = shape;
  s->count = CountOf(shape);
  s->fp16 = fp16;
  try {
    s->bytes.assign(static_cast<size_t>(s->count) * (fp16 ? 2 : 4), 0);
  } catch (const std::bad_alloc&) {
    return Internal("state ", name, ": cannot allocate ", s->count, " elements");
  }
  StateTensor* raw = s.get();
  states_.emplace(name, std::move(s));
  return raw;
}

std::vector<std::string> StateStore::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, s] : states_) names.push_back(name);
  return names;
}

const StateTensor* StateStore::Find(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : it->second.get();
}

Result<Tensor> StateStore::Read(const std::string& name) const {
  const StateTensor* s = Find(name);
  if (s == nullptr) return NotFound("state ", name, ": no such state");
  Tensor t(mil::DType::kFp32, s->shape);
  float* out = reinterpret_cast<float*>(t.mutable_data());
  if (s->fp16) {
    kernels::HalfToFloat(reinterpret_cast<const uint16_t*>(s->bytes.data()), out, static_cast<size_t>(s->count));
  } else {
    std::memcpy(out, s->bytes.data(), s->bytes.size());
  }
  return t;
}

Status StateStore::Write(const std::string& name, const Tensor& value, bool fp16_if_new) {
  if (value.dtype() != mil::DType::kFp16 && value.dtype() != mil::DType::kFp32) {
    return InvalidArgument("state ", name, ": cannot write a ", value.Describe(), " tensor (fp16 or fp32 expected)");
  }
  StateTensor* s = nullptr;
  auto it = states_.find(name);
  if (it == states_.end()) {
    ANEMLL_ASSIGN_OR_RETURN(s, Bind(name, value.shape(), fp16_if_new));
  } else {
    s = it->second.get();
  }
  if (value.shape() != s->shape) {
    return InvalidArgument("state ", name, ": value has shape ", ShapeString(value.shape()), ", the state has ",
                           ShapeString(s->shape));
  }
  const std::vector<float> v = value.ToFloats();
  if (s->fp16) {
    kernels::FloatToHalf(v.data(), s->half_data(), v.size());
  } else {
    std::memcpy(s->bytes.data(), v.data(), v.size() * sizeof(float));
  }
  return Status::Ok();
}

void StateStore::Reset() {
  for (auto& [name, s] : states_) std::fill(s->bytes.begin(), s->bytes.end(), uint8_t{0});
}

}  // namespace anemll::runtime
