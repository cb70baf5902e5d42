#include "runtime/executable.h"

#include <algorithm>
#include <cstring>

#include "base/half.h"
#include "kernels/half_convert.h"
#include "runtime/plan.h"

namespace anemll::runtime {

using internal::Plan;
using internal::Slot;
using internal::Storage;
using mil::DType;

const char* PrecisionName(Precision p) { return p == Precision::kFp16 ? "fp16" : "fp32"; }
const char* LutDotName(LutDot d) { return d == LutDot::kInt8 ? "int8" : "exact"; }

namespace internal {
// Plans by input shapes; the last one used is checked first.
class PlanCache {
 public:
  Plan* Find(const std::vector<std::vector<int64_t>>& shapes) {
    if (last_ && last_key_ == shapes) return last_;
    auto it = plans_.find(shapes);
    if (it == plans_.end()) return nullptr;
    last_ = it->second.get();
    last_key_ = shapes;
    return last_;
  }
  Plan* Add(const std::vector<std::vector<int64_t>>& shapes, std::unique_ptr<Plan> plan) {
    Plan* p = plan.get();
    plans_[shapes] = std::move(plan);
    last_ = p;
    last_key_ = shapes;
    return p;
  }

 private:
  std::map<std::vector<std::vector<int64_t>>, std::unique_ptr<Plan>> plans_;
  Plan* last_ = nullptr;
  std::vector<std::vector<int64_t>> last_key_;
};
}  // namespace internal

Executable::~Executable() = default;

Result<std::unique_ptr<Executable>> Executable::Compile(const mil::Model& model, const std::string& function,
                                                        const Options& options) {
  auto it = model.program.functions.find(function);
  if (it == model.program.functions.end()) {
    std::string names;
    for (const auto& [n, f] : model.program.functions) names += (names.empty() ? "" : ", ") + n;
    return NotFound("compile: the program has no function '", function, "' (functions: ", names, ")");
  }
  std::optional<mil::FunctionDescription> desc = model.description.Function(function);
  std::unique_ptr<Executable> e(new Executable());
  ANEMLL_RETURN_IF_ERROR(e->Init(it->second, function, options, desc ? &*desc : nullptr));
  return e;
}

Result<std::unique_ptr<Executable>> Executable::Compile(const mil::Function& function, const std::string& name,
                                                        const Options& options) {
  std::unique_ptr<Executable> e(new Executable());
  ANEMLL_RETURN_IF_ERROR(e->Init(function, name, options, nullptr));
  return e;
}

Status Executable::Init(const mil::Function& function, const std::string& name, const Options& options,
                        const mil::FunctionDescription* description) {
  name_ = name;
  options_ = options;
  function_ = std::make_shared<const mil::Function>(function);
  plans_ = std::make_unique<internal::PlanCache>();
  if (options.pool) {
    pool_ = options.pool;
  } else if (options.threads > 1) {
    own_pool_ = std::make_unique<ThreadPool>(options.threads);
    pool_ = own_pool_.get();
  }
  for (const mil::NamedValueType& in : function_->inputs) {
    if (in.type.kind == mil::ValueType::Kind::kState) {
      const DType dt = in.type.tensor.dtype;
      if (dt != DType::kFp16 && dt != DType::kFp32) {
        return Unsupported("compile ", name_, ": state ", in.name, " has dtype ", mil::DTypeName(dt),
                           " (fp16 or fp32 expected)");
      }
      state_names_.push_back(in.name);
      continue;
    }
    if (in.type.kind != mil::ValueType::Kind::kTensor) {
      return Unsupported("compile ", name_, ": input ", in.name, " is not a tensor");
    }
    input_names_.push_back(in.name);
    input_types_.push_back(in.type.tensor);
    std::vector<std::vector<int64_t>> enumerated;
    std::vector<std::pair<int64_t, int64_t>> ranges;
    if (description) {
      for (const mil::FeatureDescription& f : description->inputs) {
        if (f.name != in.name) continue;
        enumerated = f.type.enumerated_shapes;
        ranges = f.type.shape_range;
      }
    }
    enumerated_shapes_.push_back(std::move(enumerated));
    shape_ranges_.push_back(std::move(ranges));
  }
  output_names_ = function_->block.outputs;
  // Unknown op types fail here rather than on the first run.
  const auto& registry = internal::OpRegistry();
  for (const mil::Operation& op : function_->block.operations) {
    if (op.type != "const" && registry.find(op.type) == registry.end()) {
      return Unsupported("compile ", name_, ": op ", op.name, " (", op.type, "): op type '", op.type,
                         "' is not supported by the CPU runtime");
    }
  }
  // Fixed input shapes: build the plan now so that every other error shows up at compile time.
  bool fixed = true;
  std::vector<std::vector<int64_t>> shapes;
  for (const mil::TensorType& t : input_types_) {
    fixed = fixed && !t.unknown_rank && !t.has_unknown_dims();
    shapes.push_back(t.shape);
  }
  if (fixed) ANEMLL_RETURN_IF_ERROR(Prepare(shapes));
  return Status::Ok();
}

Status Executable::CheckInputShape(size_t i, const std::vector<int64_t>& shape) const {
  const mil::TensorType& t = input_types_[i];
  const std::string& name = input_names_[i];
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("run ", name_, ": input ", name, " has a negative dimension ", ShapeString(shape));
  }
  bool ok = t.unknown_rank || shape.size() == t.shape.size();
  for (size_t d = 0; ok && !t.unknown_rank && d < shape.size(); ++d) {
    ok = t.shape[d] == mil::kUnknownDim || t.shape[d] == shape[d];
  }
  if (!ok) {
    return InvalidArgument("run ", name_, ": input ", name, " has shape ", ShapeString(shape), ", expected ",
                           ShapeString(t.shape));
  }
  const auto& en = enumerated_shapes_[i];
  if (!en.empty() && std::find(en.begin(), en.end(), shape) == en.end()) {
    std::string list;
    for (const auto& s : en) list += (list.empty() ? "" : ", ") + ShapeString(s);
    return InvalidArgument("run ", name_, ": input ", name, " has shape ", ShapeString(shape),
                           ", not one of the enumerated shapes ", list);
  }
  const auto& ranges = shape_ranges_[i];
  if (!ranges.empty() && ranges.size() == shape.size()) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] < ranges[d].first || (ranges[d].second >= 0 && shape[d] > ranges[d].second)) {
        return InvalidArgument("run ", name_, ": input ", name, " dim ", d, " is ", shape[d], ", outside [",
                               ranges[d].first, ", ", ranges[d].second, "]");
      }
    }
  }
  return Status::Ok();
}

Result<Plan*> Executable::PlanFor(const std::vector<std::vector<int64_t>>& shapes) {
  if (Plan* p = plans_->Find(shapes)) return p;
  for (size_t i = 0; i < shapes.size(); ++i) ANEMLL_RETURN_IF_ERROR(CheckInputShape(i, shapes[i]));
  internal::PlanBuilder builder(*function_, name_, options_.precision, pool_, options_.lut_dot, options_.fuse_ops);
  ANEMLL_ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, builder.Build(shapes));
  return plans_->Add(shapes, std::move(plan));
}

Status Executable::Prepare(const std::vector<std::vector<int64_t>>& input_shapes) {
  if (input_shapes.size() != input_names_.size()) {
    return InvalidArgument("prepare ", name_, ": ", input_shapes.size(), " input shapes for ", input_names_.size(),
                           " inputs");
  }
  return PlanFor(input_shapes).status();
}

namespace {

Status CheckInputDType(const std::string& fn, const std::string& name, DType declared, const Tensor& t) {
  const bool float_in = t.dtype() == DType::kFp16 || t.dtype() == DType::kFp32;
  bool ok;
  if (mil::IsFloat(declared)) {
    ok = float_in;
  } else if (declared == DType::kBool) {
    ok = !float_in;
  } else {
    ok = !float_in && t.dtype() != DType::kBool;
  }
  if (!ok) {
    return InvalidArgument("run ", fn, ": input ", name, " is a ", t.Describe(), " tensor, expected ",
                           mil::DTypeName(declared));
  }
  return Status::Ok();
}

void CopyIn(const Tensor& t, Slot* s, Precision precision) {
  const size_t n = static_cast<size_t>(s->count);
  if (s->storage == Storage::kF32) {
    if (t.dtype() == DType::kFp16) {
      kernels::HalfToFloat(reinterpret_cast<const uint16_t*>(t.data()), s->f32(), n);
    } else {
      std::memcpy(s->f32(), t.data(), n * sizeof(float));
      // An fp16 input holds fp16 values; fp32 host data is rounded as Core ML would convert it.
      if (precision == Precision::kFp16 && s->dtype == DType::kFp16) kernels::RoundToHalf(s->f32(), n);
    }
  } else if (s->storage == Storage::kI32 && t.dtype() == DType::kInt32) {
    std::memcpy(s->i32(), t.data(), n * sizeof(int32_t));
  } else if (s->storage == Storage::kI32) {
    for (size_t i = 0; i < n; ++i) s->i32()[i] = static_cast<int32_t>(t.IntAt(static_cast<int64_t>(i)));
  } else {
    for (size_t i = 0; i < n; ++i) s->u8()[i] = t.IntAt(static_cast<int64_t>(i)) != 0;
  }
}

DType OutputDType(const Slot* s, Precision precision) {
  if (s->dtype == DType::kFp16) return precision == Precision::kFp16 ? DType::kFp16 : DType::kFp32;
  if (mil::IsFloat(s->dtype)) return DType::kFp32;
  if (s->dtype == DType::kBool) return DType::kBool;
  return DType::kInt32;
}

void CopyOut(const Slot* s, Tensor* t) {
  const size_t n = static_cast<size_t>(s->count);
  uint8_t* dst = t->mutable_data();
  switch (s->storage) {
    case Storage::kF32:
      if (t->dtype() == DType::kFp16) {
        kernels::FloatToHalf(s->f32(), reinterpret_cast<uint16_t*>(dst), n);
      } else {
        std::memcpy(dst, s->f32(), n * 4);
      }
      break;
    case Storage::kF16:
      if (t->dtype() == DType::kFp16) {
        std::memcpy(dst, s->f16(), n * 2);
      } else {
        kernels::HalfToFloat(s->f16(), reinterpret_cast<float*>(dst), n);
      }
      break;
    case Storage::kI32: std::memcpy(dst, s->i32(), n * 4); break;
    case Storage::kU8: std::memcpy(dst, s->u8(), n); break;
  }
}

}  // namespace

Status Executable::Run(const std::vector<const Tensor*>& inputs, StateStore& states, std::vector<Tensor>* outputs) {
  if (inputs.size() != input_names_.size()) {
    return InvalidArgument("run ", name_, ": got ", inputs.size(), " inputs, expected ", input_names_.size());
  }
  shape_scratch_.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr || inputs[i]->empty()) return InvalidArgument("run ", name_, ": input ", input_names_[i], " is missing");
    ANEMLL_RETURN_IF_ERROR(CheckInputDType(name_, input_names_[i], input_types_[i].dtype, *inputs[i]));
    shape_scratch_[i] = inputs[i]->shape();
  }
  ANEMLL_ASSIGN_OR_RETURN(Plan * plan, PlanFor(shape_scratch_));
  if (Status st = plan->BindStates(states); !st.ok()) return st.WithContext(StrCat("run ", name_));
  for (size_t i = 0; i < inputs.size(); ++i) CopyIn(*inputs[i], plan->inputs[i], options_.precision);
  ANEMLL_RETURN_IF_ERROR(plan->Execute(pool_));
  outputs->resize(plan->outputs.size());
  for (size_t i = 0; i < plan->outputs.size(); ++i) {
    const Slot* s = plan->outputs[i];
    const DType dt = OutputDType(s, options_.precision);
    Tensor& t = (*outputs)[i];
    if (t.dtype() != dt || t.shape() != s->shape) t = Tensor(dt, s->shape);
    CopyOut(s, &t);
  }
  return Status::Ok();
}

Status Executable::Run(const std::map<std::string, Tensor>& inputs, StateStore& states,
                       std::map<std::string, Tensor>* outputs) {
  for (const auto& [name, t] : inputs) {
    if (std::find(input_names_.begin(), input_names_.end(), name) == input_names_.end()) {
      std::string list;
      for (const auto& n : input_names_) list += (list.empty() ? "" : ", ") + n;
      return InvalidArgument("run ", name_, ": unknown input '", name, "' (inputs: ", list, ")");
    }
  }
  std::vector<const Tensor*> ordered;
  for (const std::string& name : input_names_) {
    auto it = inputs.find(name);
    if (it == inputs.end()) return InvalidArgument("run ", name_, ": input ", name, " is missing");
    ordered.push_back(&it->second);
  }
  std::vector<Tensor> outs;
  ANEMLL_RETURN_IF_ERROR(Run(ordered, states, &outs));
  outputs->clear();
  for (size_t i = 0; i < outs.size(); ++i) (*outputs)[output_names_[i]] = std::move(outs[i]);
  return Status::Ok();
}

}  // namespace anemll::runtime
