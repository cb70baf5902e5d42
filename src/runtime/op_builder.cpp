// OpBuilder: what an op kind sees while its plan is built.
#include <algorithm>

#include "kernels/half_convert.h"
#include "runtime/plan.h"

namespace anemll::runtime::internal {

using mil::DType;

OpBuilder::OpBuilder(PlanBuilder& pb, const mil::Operation& op, int step) : pb_(pb), op_(op), step_(step) {}

Precision OpBuilder::precision() const { return pb_.precision(); }
LutDot OpBuilder::lut_dot() const { return pb_.lut_dot(); }
Plan& OpBuilder::plan() { return pb_.plan(); }
ThreadPool* OpBuilder::pool() const { return pb_.pool(); }

// Parameters are op inputs; iOS16/17 constexpr ops carry them as attributes instead.
bool OpBuilder::Has(const std::string& param) const {
  auto it = op_.inputs.find(param);
  if (it != op_.inputs.end() && !it->second.empty()) return true;
  return param != "name" && op_.attributes.count(param) != 0;
}

Result<Slot*> OpBuilder::Bind(const mil::Argument& arg, const std::string& param) {
  Slot* s = nullptr;
  if (arg.is_literal()) {
    if (!arg.literal) return FormatError("input '", param, "' has neither a name nor a value");
    auto r = pb_.LiteralSlot(*arg.literal, arg.literal);
    if (!r.ok()) return r.status().WithContext(StrCat("input '", param, "'"));
    s = *r;
  } else {
    auto r = pb_.Lookup(arg.name);
    if (!r.ok()) return r.status().WithContext(StrCat("input '", param, "'"));
    s = *r;
  }
  inputs_.push_back(s);
  return s;
}

Result<Slot*> OpBuilder::Input(const std::string& param) {
  auto it = op_.inputs.find(param);
  if (it == op_.inputs.end() || it->second.empty()) {
    auto at = op_.attributes.find(param);
    if (param == "name" || at == op_.attributes.end()) return InvalidArgument("missing required input '", param, "'");
    auto r = pb_.LiteralSlot(at->second, nullptr);
    if (!r.ok()) return r.status().WithContext(StrCat("attribute '", param, "'"));
    if ((*r)->dtype == DType::kString && !allow_string_) return InvalidArgument("attribute '", param, "' is a string");
    inputs_.push_back(*r);
    return *r;
  }
  if (it->second.size() != 1) {
    return InvalidArgument("input '", param, "' has ", it->second.size(), " bindings, expected 1");
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, Bind(it->second[0], param));
  if (s->lut) ANEMLL_RETURN_IF_ERROR(pb_.Densify(s));
  if (s->dtype == DType::kString && !allow_string_) return InvalidArgument("input '", param, "' is a string");
  return s;
}

Result<Slot*> OpBuilder::OptionalInput(const std::string& param) {
  if (!Has(param)) return static_cast<Slot*>(nullptr);
  return Input(param);
}

Result<std::vector<Slot*>> OpBuilder::Inputs(const std::string& param) {
  auto it = op_.inputs.find(param);
  if (it == op_.inputs.end() || it->second.empty()) return InvalidArgument("missing required input '", param, "'");
  std::vector<Slot*> out;
  for (const mil::Argument& a : it->second) {
    ANEMLL_ASSIGN_OR_RETURN(Slot * s, Bind(a, param));
    if (s->lut) ANEMLL_RETURN_IF_ERROR(pb_.Densify(s));
    if (s->dtype == DType::kString) return InvalidArgument("input '", param, "' is a string");
    out.push_back(s);
  }
  return out;
}

Result<Slot*> OpBuilder::AsF32(Slot* s) {
  if (s->storage == Storage::kF32) return s;
  if (s->storage != Storage::kF16) {
    return InvalidArgument("value '", s->name, "' of dtype ", mil::DTypeName(s->dtype), " is not a float tensor");
  }
  if (!s->is_const) return Internal("value '", s->name, "' is a runtime fp16 buffer");
  if (s->f32_copy == nullptr) {
    Slot* c = pb_.NewSlot();
    c->name = s->name;
    c->dtype = s->dtype;
    c->storage = Storage::kF32;
    c->shape = s->shape;
    c->count = s->count;
    pb_.AllocateConst(c);
    if (c->data == nullptr && c->count > 0) return Internal("cannot allocate an fp32 copy of ", s->name);
    kernels::HalfToFloat(s->f16(), c->f32(), static_cast<size_t>(s->count));
    s->f32_copy = c;
  }
  return s->f32_copy;
}

Result<Slot*> OpBuilder::InputF32(const std::string& param) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, Input(param));
  auto r = AsF32(s);
  if (!r.ok()) return r.status().WithContext(StrCat("input '", param, "'"));
  return r;
}

const LutSource* OpBuilder::InputLut(const std::string& param) const {
  auto it = op_.inputs.find(param);
  if (it == op_.inputs.end() || it->second.size() != 1 || it->second[0].is_literal()) return nullptr;
  auto r = pb_.Lookup(it->second[0].name);
  if (!r.ok()) return nullptr;
  return (*r)->lut.get();
}

Result<Slot*> OpBuilder::ConstInput(const std::string& param) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, Input(param));
  if (!s->is_const) return InvalidArgument("input '", param, "' must be a constant");
  return s;
}

Result<std::vector<int64_t>> OpBuilder::ConstInts(const std::string& param) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, ConstInput(param));
  if (!s->strings.empty()) return InvalidArgument("input '", param, "' is a string, expected integers");
  std::vector<int64_t> v(static_cast<size_t>(s->count));
  for (int64_t i = 0; i < s->count; ++i) v[static_cast<size_t>(i)] = SlotInt(*s, i);
  return v;
}

Result<std::optional<std::vector<int64_t>>> OpBuilder::OptionalConstInts(const std::string& param) {
  if (!Has(param)) return std::optional<std::vector<int64_t>>();
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstInts(param));
  return std::optional<std::vector<int64_t>>(std::move(v));
}

Result<int64_t> OpBuilder::ConstInt(const std::string& param, std::optional<int64_t> fallback) {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return InvalidArgument("missing required input '", param, "'");
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstInts(param));
  if (v.size() != 1) return InvalidArgument("input '", param, "' has ", v.size(), " values, expected a scalar");
  return v[0];
}

Result<bool> OpBuilder::ConstBool(const std::string& param, std::optional<bool> fallback) {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return InvalidArgument("missing required input '", param, "'");
  }
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstInts(param));
  if (v.size() != 1) return InvalidArgument("input '", param, "' has ", v.size(), " values, expected a scalar");
  return v[0] != 0;
}

Result<std::optional<std::vector<bool>>> OpBuilder::OptionalConstBools(const std::string& param) {
  if (!Has(param)) return std::optional<std::vector<bool>>();
  ANEMLL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstInts(param));
  std::vector<bool> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = v[i] != 0;
  return std::optional<std::vector<bool>>(std::move(b));
}

Result<double> OpBuilder::ConstFloat(const std::string& param, std::optional<double> fallback) {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return InvalidArgument("missing required input '", param, "'");
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, ConstInput(param));
  if (s->count != 1) return InvalidArgument("input '", param, "' has ", s->count, " values, expected a scalar");
  return SlotDouble(*s, 0);
}

Result<std::string> OpBuilder::ConstString(const std::string& param, std::optional<std::string> fallback) {
  if (!Has(param)) {
    if (fallback) return *fallback;
    return InvalidArgument("missing required input '", param, "'");
  }
  allow_string_ = true;
  auto r = ConstInput(param);
  allow_string_ = false;
  if (!r.ok()) return r.status();
  Slot* s = *r;
  if (s->strings.size() != 1) return InvalidArgument("input '", param, "' must be a string constant");
  return s->strings[0];
}

const mil::TensorType* OpBuilder::DeclaredOutput(size_t i) const {
  if (i >= op_.outputs.size()) return nullptr;
  return &op_.outputs[i].type.tensor;
}

namespace {
Status CheckDeclared(const mil::Operation& op, size_t i, DType dtype, const std::vector<int64_t>& shape) {
  if (i >= op.outputs.size()) return InvalidArgument("the op declares ", op.outputs.size(), " outputs, needs ", i + 1);
  const mil::NamedValueType& nv = op.outputs[i];
  const mil::TensorType& t = nv.type.tensor;
  if (t.dtype != DType::kInvalid && t.dtype != dtype) {
    return FormatError("output ", nv.name, " is computed as ", mil::DTypeName(dtype), " but declared ",
                       mil::DTypeName(t.dtype));
  }
  if (t.unknown_rank) return Status::Ok();
  bool match = t.shape.size() == shape.size();
  for (size_t d = 0; match && d < shape.size(); ++d) {
    match = t.shape[d] == mil::kUnknownDim || t.shape[d] == shape[d];
  }
  if (!match) {
    return InvalidArgument("output ", nv.name, " has shape ", ShapeString(shape), " but the program declares ",
                           ShapeString(t.shape));
  }
  return Status::Ok();
}
}  // namespace

Result<Slot*> OpBuilder::Output(size_t i, DType dtype, std::vector<int64_t> shape) {
  ANEMLL_RETURN_IF_ERROR(CheckTensorSize(shape));
  ANEMLL_RETURN_IF_ERROR(CheckDeclared(op_, i, dtype, shape));
  ANEMLL_ASSIGN_OR_RETURN(Storage storage, RuntimeStorageFor(dtype));
  Slot* s = pb_.NewSlot();
  s->dtype = dtype;
  s->storage = storage;
  s->shape = std::move(shape);
  s->count = NumElements(s->shape);
  if (outputs_.size() <= i) outputs_.resize(i + 1, nullptr);
  outputs_[i] = s;
  return s;
}

Result<Slot*> OpBuilder::ConstOutput(size_t i, DType dtype, std::vector<int64_t> shape, bool deferred) {
  ANEMLL_RETURN_IF_ERROR(CheckTensorSize(shape));
  ANEMLL_RETURN_IF_ERROR(CheckDeclared(op_, i, dtype, shape));
  Slot* s = pb_.NewSlot();
  s->dtype = dtype;
  s->storage = dtype == DType::kFp16 ? Storage::kF16 : mil::IsFloat(dtype) ? Storage::kF32
               : dtype == DType::kBool ? Storage::kU8 : Storage::kI32;
  s->shape = std::move(shape);
  s->count = NumElements(s->shape);
  s->is_const = true;
  if (!deferred) {
    pb_.AllocateConst(s);
    if (s->data == nullptr && s->count > 0) return Internal("cannot allocate ", s->bytes(), " bytes");
  }
  if (outputs_.size() <= i) outputs_.resize(i + 1, nullptr);
  outputs_[i] = s;
  return s;
}

Result<Slot*> OpBuilder::AliasOutput(size_t i, Slot* base, std::vector<int64_t> shape, int64_t byte_offset) {
  ANEMLL_RETURN_IF_ERROR(CheckDeclared(op_, i, base->dtype, shape));
  if (base->state >= 0) return InvalidArgument("a state cannot be viewed directly; use read_state");
  Slot* s = pb_.NewSlot();
  s->dtype = base->dtype;
  s->storage = base->storage;
  s->shape = std::move(shape);
  s->count = NumElements(s->shape);
  if (static_cast<size_t>(byte_offset) + s->bytes() > base->bytes()) {
    return Internal("view of ", s->bytes(), " bytes at ", byte_offset, " exceeds its base of ", base->bytes());
  }
  if (base->is_const) {
    if (base->lut) ANEMLL_RETURN_IF_ERROR(pb_.Densify(base));
    s->is_const = true;
    s->data = base->data + byte_offset;
    s->owner = base->owner;
    s->strings = base->strings;
  } else {
    s->alias_of = base->alias_of ? base->alias_of : base;
    s->alias_offset = base->alias_offset + byte_offset;
  }
  if (outputs_.size() <= i) outputs_.resize(i + 1, nullptr);
  outputs_[i] = s;
  return s;
}

Result<Slot*> OpBuilder::StateViewOutput(size_t i, int state, std::vector<int64_t> shape, int64_t byte_offset) {
  const PlanState& ps = pb_.plan().states[static_cast<size_t>(state)];
  const DType dtype = fp16_mode() ? DType::kFp16 : DType::kFp32;
  const mil::TensorType* declared = DeclaredOutput(i);
  ANEMLL_RETURN_IF_ERROR(CheckDeclared(op_, i, declared && declared->dtype != DType::kInvalid ? declared->dtype : dtype,
                                       shape));
  Slot* s = pb_.NewSlot();
  s->dtype = declared && declared->dtype != DType::kInvalid ? declared->dtype : dtype;
  s->storage = fp16_mode() ? Storage::kF16 : Storage::kF32;
  s->shape = std::move(shape);
  s->count = NumElements(s->shape);
  s->view_state = state;
  s->view_offset = byte_offset;
  if (static_cast<size_t>(byte_offset) + s->bytes() > static_cast<size_t>(NumElements(ps.shape)) * StorageBytes(s->storage)) {
    return Internal("state view exceeds state ", ps.name);
  }
  pb_.plan().state_views.push_back(s);
  if (outputs_.size() <= i) outputs_.resize(i + 1, nullptr);
  outputs_[i] = s;
  return s;
}

std::vector<std::pair<int, std::string>> OpBuilder::Consumers(const std::string& value) const {
  return pb_.UsesOf(value);
}

int OpBuilder::position() const { return pb_.PositionOf(&op_); }

Slot* OpBuilder::Peek(const std::string& value) const {
  auto r = pb_.Lookup(value);
  return r.ok() ? *r : nullptr;
}

const mil::Operation* OpBuilder::OpAt(int pos) const {
  const auto& ops = pb_.ops();
  return pos >= 0 && pos < static_cast<int>(ops.size()) ? ops[pos] : nullptr;
}

bool OpBuilder::StateWrittenBetween(const std::string& state, int from, int to) const {
  const auto& ops = pb_.ops();
  for (int m = std::max(from + 1, 0); m < to && m < static_cast<int>(ops.size()); ++m) {
    const mil::Operation& op = *ops[m];
    if (op.type != "write_state" && op.type != "anemll.state_slice_update") continue;
    auto it = op.inputs.find("input");
    if (it != op.inputs.end() && it->second.size() == 1 && it->second[0].name == state) return true;
  }
  return false;
}

Slot* OpBuilder::Scratch(Storage storage, int64_t count) {
  count = std::max<int64_t>(count, 0);
  Slot* s = pb_.NewSlot();
  s->name = StrCat(op_.name, ".scratch");
  s->storage = storage;
  s->dtype = storage == Storage::kF32 ? DType::kFp32 : storage == Storage::kI32 ? DType::kInt32 : DType::kUInt8;
  s->shape = {count};
  s->count = count;
  s->is_scratch = true;
  scratch_.push_back(s);
  return s;
}

}  // namespace anemll::runtime::internal
