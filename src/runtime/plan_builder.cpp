// Building a plan: function inputs -> slots, ops -> steps (or folded constants), then memory.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "base/half.h"
#include "kernels/elementwise.h"
#include "kernels/half_convert.h"
#include "kernels/lut_gemm.h"
#include "runtime/op_fusion.h"
#include "runtime/plan.h"
#include "runtime/state_rewrite.h"

namespace anemll::runtime::internal {

using mil::DType;

const char* StorageName(Storage s) {
  switch (s) {
    case Storage::kF32: return "f32";
    case Storage::kF16: return "f16";
    case Storage::kI32: return "i32";
    case Storage::kU8: return "u8";
  }
  return "?";
}

Result<Storage> RuntimeStorageFor(DType dtype) {
  if (dtype == DType::kBool) return Storage::kU8;
  if (mil::IsFloat(dtype)) return Storage::kF32;
  if (mil::IsInteger(dtype)) return Storage::kI32;
  return Unsupported("values of dtype ", mil::DTypeName(dtype), " are not supported");
}

void AlignedFree::operator()(uint8_t* p) const { std::free(p); }

std::unique_ptr<uint8_t, AlignedFree> AllocateAligned(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  if (p) std::memset(p, 0, rounded);
  return std::unique_ptr<uint8_t, AlignedFree>(p);
}

std::vector<int64_t> Strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

Status CheckTensorSize(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("shape ", ShapeString(shape), " has a negative dimension");
    if (d > 0 && n > kMaxTensorElements / d) {
      return Unsupported("shape ", ShapeString(shape), " has more than ", kMaxTensorElements, " elements");
    }
    n *= d;
  }
  return Status::Ok();
}

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<int> NormalizeAxis(int64_t axis, int rank, const char* what) {
  if (axis < -rank || axis >= rank) {
    return InvalidArgument(what, " ", axis, " is out of range for rank ", rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

double SlotDouble(const Slot& s, int64_t i) {
  switch (s.storage) {
    case Storage::kF32: return s.f32()[i];
    case Storage::kF16: return HalfToFloat(s.f16()[i]);
    case Storage::kI32: return s.i32()[i];
    case Storage::kU8: return s.u8()[i];
  }
  return 0;
}

int64_t SlotInt(const Slot& s, int64_t i) {
  switch (s.storage) {
    case Storage::kI32: return s.i32()[i];
    case Storage::kU8: return s.u8()[i];
    default: {
      const double d = SlotDouble(s, i);
      if (!(d > -9.2e18 && d < 9.2e18)) return 0;
      return static_cast<int64_t>(d);
    }
  }
}

void ForEachWarmPiece(const Plan& plan, int first, size_t threads, size_t skip,
                      const std::function<bool(const uint8_t*, size_t)>& visit) {
  threads = std::max<size_t>(1, threads);
  size_t total = 0;
  for (int step = first; step >= 0; step = plan.next_weight_step[static_cast<size_t>(step)]) {
    for (const ByteSpan& span : plan.steps[static_cast<size_t>(step)].weights) {
      if (total >= kWarmAheadBytes) return;
      total += span.bytes;
      const size_t share = (span.bytes + threads - 1) / threads;
      const size_t slots = (share + kWarmPiece - 1) / kWarmPiece * threads;
      if (skip >= slots) {
        skip -= slots;
        continue;
      }
      for (size_t k = skip; k < slots; ++k) {
        const size_t thread = k % threads;
        const size_t begin = thread * share + (k / threads) * kWarmPiece;
        const size_t end = std::min({begin + kWarmPiece, (thread + 1) * share, span.bytes});
        if (!visit(span.data + std::min(begin, end), end > begin ? end - begin : 0)) return;
      }
      skip = 0;
    }
  }
}

// After step i: if the next weight-streaming product is not step i+1, warm its weights on the
// idle worker while the caller runs the steps in between. The product's own parallel loop
// cancels the warming (ThreadPool::RunOnAll); a small op's parallel loop in between pauses it,
// and it resumes after that op where it stopped.
void Plan::WarmAfter(size_t i, ThreadPool* pool) {
  const int next = next_weight_step[i];
  if (next < 0 || next == static_cast<int>(i) + 1) return;
  if (next != warm_step) {
    pool->CancelBackground();
    warm_step = next;
    warm_done.store(0, std::memory_order_relaxed);
  } else if (pool->background_started()) {
    return;  // still warming (or through its budget)
  }
  // Captures fit std::function's inline storage: a run stays free of heap allocations.
  const size_t threads = static_cast<size_t>(pool->num_threads());
  pool->StartBackground([this, threads](const std::atomic<bool>& cancelled) {
    ForEachWarmPiece(*this, warm_step, threads, warm_done.load(std::memory_order_relaxed),
                     [&](const uint8_t* data, size_t bytes) {
                       if (cancelled.load(std::memory_order_relaxed)) return false;
                       kernels::ReadBytes(data, bytes);
                       warm_done.fetch_add(1, std::memory_order_relaxed);
                       return true;
                     });
  });
}

Status Plan::Execute(ThreadPool* pool) {
  RunContext ctx{pool, this};
  const bool warm = pool != nullptr && pool->num_threads() > 1;
  warm_step = -1;
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& st = steps[i];
    Status s = st.run(ctx);
    if (!s.ok()) {
      if (warm) pool->CancelBackground();
      return s.WithContext(StrCat("run ", function_name, ": op ", st.op->name, " (", st.op->type, ")"));
    }
    for (Slot* r : st.round) kernels::RoundToHalf(r->f32(), static_cast<size_t>(r->count));
    if (warm) WarmAfter(i, pool);
  }
  if (warm) pool->CancelBackground();
  return Status::Ok();
}

// ---- PlanBuilder ----------------------------------------------------------------------------

PlanBuilder::PlanBuilder(const mil::Function& fn, const std::string& name, Precision precision, ThreadPool* pool,
                         LutDot lut_dot, bool fuse_ops)
    : fn_(fn), name_(name), pool_(pool), fuse_ops_(fuse_ops), plan_(std::make_unique<Plan>()) {
  plan_->function_name = name;
  plan_->precision = precision;
  plan_->lut_dot = lut_dot;
}

Slot* PlanBuilder::NewSlot() { return &plan_->slots.emplace_back(); }

Slot* PlanBuilder::AllocateConst(Slot* s) {
  std::shared_ptr<uint8_t> buf(AllocateAligned(s->bytes()).release(), AlignedFree());
  if (!buf && alloc_error_.ok()) alloc_error_ = Internal("cannot allocate ", s->bytes(), " bytes for ", s->name);
  s->data = buf.get();
  s->owner = std::move(buf);
  s->is_const = true;
  return s;
}

const std::vector<std::pair<int, std::string>>& PlanBuilder::UsesOf(const std::string& value) const {
  static const std::vector<std::pair<int, std::string>> kNone;
  auto it = uses_.find(value);
  return it == uses_.end() ? kNone : it->second;
}

int PlanBuilder::PositionOf(const mil::Operation* op) const {
  auto it = positions_.find(op);
  return it == positions_.end() ? -1 : it->second;
}

Status Plan::BindStates(StateStore& store) {
  if (bound_store == store.id()) return Status::Ok();
  bound_store = 0;
  for (PlanState& ps : states) {
    auto bound = store.Bind(ps.name, ps.shape, precision == Precision::kFp16);
    if (!bound.ok()) return bound.status();
    ps.bound = *bound;
  }
  for (Slot* v : state_views) v->data = states[static_cast<size_t>(v->view_state)].bound->bytes.data() + v->view_offset;
  bound_store = store.id();
  return Status::Ok();
}

Result<Slot*> PlanBuilder::Lookup(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return NotFound("value '", name, "' is not defined before its use");
  return it->second;
}

namespace {

// Bytes a literal of `count` elements of `dtype` needs in its storage layout.
size_t LiteralBytes(DType dtype, int64_t count) {
  const int bits = mil::DTypeBits(dtype);
  return static_cast<size_t>((count * bits + 7) / 8);
}

}  // namespace

Result<Slot*> PlanBuilder::LiteralSlot(const mil::Literal& lit, std::shared_ptr<const mil::Literal> holder) {
  (void)holder;
  if (lit.type.kind != mil::ValueType::Kind::kTensor) return Unsupported("non-tensor literals are not supported");
  const mil::TensorType& tt = lit.type.tensor;
  if (tt.unknown_rank || tt.has_unknown_dims()) return FormatError("literal has an unknown shape");
  ANEMLL_RETURN_IF_ERROR(CheckTensorSize(tt.shape));
  Slot* s = NewSlot();
  s->dtype = tt.dtype;
  s->shape = tt.shape;
  s->count = NumElements(tt.shape);
  s->is_const = true;
  if (tt.dtype == DType::kString) {
    s->strings = lit.strings;
    s->storage = Storage::kU8;
    s->count = 0;
    s->shape.clear();
    return s;
  }
  if (mil::DTypeBits(tt.dtype) == 0) return Unsupported("literal of dtype ", mil::DTypeName(tt.dtype));
  const size_t need = LiteralBytes(tt.dtype, s->count);
  const size_t have = lit.data ? lit.data->size() : 0;
  if (have < need) {
    return FormatError("literal ", mil::DTypeName(tt.dtype), ShapeString(tt.shape), " holds ", have,
                       " bytes, expected ", need);
  }
  const uint8_t* src = lit.data ? lit.data->data() : nullptr;
  auto aligned = [&](size_t a) { return reinterpret_cast<uintptr_t>(src) % a == 0; };
  // Borrow the bytes when the storage layout matches (big weights are never copied).
  if (tt.dtype == DType::kFp16 && aligned(2)) {
    s->storage = Storage::kF16;
    s->data = const_cast<uint8_t*>(src);
    s->owner = lit.data;
    return s;
  }
  if ((tt.dtype == DType::kFp32 && aligned(4)) || (tt.dtype == DType::kInt32 && aligned(4)) ||
      tt.dtype == DType::kBool) {
    s->storage = tt.dtype == DType::kFp32 ? Storage::kF32 : tt.dtype == DType::kBool ? Storage::kU8 : Storage::kI32;
    s->data = const_cast<uint8_t*>(src);
    s->owner = lit.data;
    return s;
  }
  // Otherwise convert into an owned buffer: floats -> f32, integers (any width) -> i32.
  if (mil::IsFloat(tt.dtype)) {
    s->storage = tt.dtype == DType::kFp16 ? Storage::kF16 : Storage::kF32;
  } else {
    s->storage = Storage::kI32;
  }
  AllocateConst(s);
  if (s->data == nullptr && s->count > 0) return alloc_error_;
  for (int64_t i = 0; i < s->count; ++i) {
    if (s->storage == Storage::kF16) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      reinterpret_cast<uint16_t*>(s->data)[i] = h;
    } else if (s->storage == Storage::kF32) {
      s->f32()[i] = static_cast<float>(lit.GetDouble(i));
    } else if (mil::IsSubByte(tt.dtype)) {
      uint32_t v = kernels::ReadPackedIndex(src, mil::DTypeBits(tt.dtype), i);
      const int bits = mil::DTypeBits(tt.dtype);
      if (tt.dtype == DType::kInt4 && (v & 8u)) v |= ~0xfu;  // sign-extend
      (void)bits;
      s->i32()[i] = static_cast<int32_t>(v);
    } else {
      const int64_t v = lit.GetInt(i);
      if (v < INT32_MIN || v > INT32_MAX) {
        return Unsupported("integer literal value ", v, " does not fit in int32");
      }
      s->i32()[i] = static_cast<int32_t>(v);
    }
  }
  return s;
}

// Decodes a packed LUT constant into a dense buffer (fp16 LUT -> fp16 storage, fp32 -> fp32,
// int8/uint8 -> int32).
Status PlanBuilder::Densify(Slot* s) {
  if (s->data != nullptr || !s->lut) return Status::Ok();
  const LutSource& L = *s->lut;
  const DType lut_dtype = L.lut->type.tensor.dtype;
  s->storage = lut_dtype == DType::kFp16 ? Storage::kF16 : lut_dtype == DType::kFp32 ? Storage::kF32 : Storage::kI32;
  AllocateConst(s);
  if (s->data == nullptr && s->count > 0) return alloc_error_;
  const int rank = static_cast<int>(L.shape.size());
  const std::vector<int64_t> istrides = Strides(L.indices->type.tensor.shape);
  const std::vector<int64_t>& ishape = L.indices->type.tensor.shape;
  const int64_t entries = int64_t{1} << L.bits;
  // LUT strides over [g_0..g_{K-1}, entries, vector_size]
  std::vector<int64_t> lshape = L.groups;
  lshape.push_back(entries);
  lshape.push_back(L.vector_size);
  const std::vector<int64_t> lstrides = Strides(lshape);
  const uint8_t* idx = L.indices->data->data();
  const uint8_t* lut = L.lut->data->data();
  const std::vector<int64_t> ostrides = Strides(L.shape);
  std::vector<int64_t> pos(rank, 0);
  for (int64_t o = 0; o < s->count; ++o) {
    int64_t rem = o;
    for (int d = 0; d < rank; ++d) {
      pos[d] = rem / ostrides[d];
      rem %= ostrides[d];
    }
    // Index position: the vector axis is VECTOR_SIZE times shorter in `indices`.
    int64_t ii = 0;
    int64_t lut_off = 0;
    int64_t vec = 0;
    for (int d = 0; d < rank; ++d) {
      int64_t p = pos[d];
      if (L.vector_size > 1 && d == L.vector_axis) {
        vec = p % L.vector_size;
        p /= L.vector_size;
      }
      ii += p * istrides[d];
      lut_off += (p / (ishape[d] / L.groups[d])) * lstrides[d];
    }
    const uint32_t k = kernels::ReadPackedIndex(idx, L.bits, ii);
    const int64_t e = lut_off + static_cast<int64_t>(k) * L.vector_size + vec;
    switch (s->storage) {
      case Storage::kF16: std::memcpy(s->data + 2 * o, lut + 2 * e, 2); break;
      case Storage::kF32: std::memcpy(s->data + 4 * o, lut + 4 * e, 4); break;
      default:
        s->i32()[o] = lut_dtype == DType::kInt8 ? static_cast<int8_t>(lut[e]) : static_cast<int32_t>(lut[e]);
        break;
    }
  }
  return Status::Ok();
}

Status PlanBuilder::FoldConstant(OpBuilder& b) {
  for (Slot* o : b.outputs_) {
    if (o->alias_of == nullptr && !o->is_const) AllocateConst(o);
  }
  for (Slot* sc : b.scratch_) AllocateConst(sc);
  ANEMLL_RETURN_IF_ERROR(alloc_error_);
  RunContext ctx{pool_, plan_.get()};
  ANEMLL_RETURN_IF_ERROR(b.run_(ctx));
  for (Slot* o : b.outputs_) {
    if (o->alias_of != nullptr) {
      o->data = o->alias_of->data + o->alias_offset;
      o->owner = o->alias_of->owner;
      o->alias_of = nullptr;
      o->alias_offset = 0;
      o->is_const = true;
    }
    if (precision() == Precision::kFp16 && o->dtype == DType::kFp16 && o->storage == Storage::kF32 && !b.no_rounding_) {
      kernels::RoundToHalf(o->f32(), static_cast<size_t>(o->count));
    }
  }
  return Status::Ok();
}

Status PlanBuilder::BuildOp(const mil::Operation& op) {
  if (!op.blocks.empty()) return Unsupported("ops with nested blocks (control flow) are not supported");
  if (op.type == "const") {
    auto it = op.attributes.find("val");
    if (it == op.attributes.end()) return FormatError("const op has no 'val' attribute");
    if (op.outputs.size() != 1) return FormatError("const op has ", op.outputs.size(), " outputs, expected 1");
    ANEMLL_ASSIGN_OR_RETURN(Slot * s, LiteralSlot(it->second, nullptr));
    s->name = op.outputs[0].name;
    values_[s->name] = s;
    return Status::Ok();
  }
  const auto& registry = OpRegistry();
  auto fit = registry.find(op.type);
  if (fit == registry.end()) return Unsupported("op type '", op.type, "' is not supported by the CPU runtime");
  OpBuilder b(*this, op, static_cast<int>(plan_->steps.size()));
  ANEMLL_RETURN_IF_ERROR(fit->second(b));
  if (b.outputs_.size() < op.outputs.size()) {
    return Internal("the op builder defined ", b.outputs_.size(), " of ", op.outputs.size(), " outputs");
  }
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    if (b.outputs_[i] == nullptr) return Internal("the op builder did not define output ", i);
  }
  if (!b.run_) {
    for (Slot* o : b.outputs_) {
      if (o->alias_of == nullptr && !o->is_const && o->view_state < 0) {
        return Internal("the op builder defined no run function");
      }
    }
  }
  bool all_const = true;
  for (Slot* in : b.inputs_) all_const = all_const && in->is_const;
  if (b.run_) {
    if (all_const && !b.side_effects_ && !op.outputs.empty()) {
      ANEMLL_RETURN_IF_ERROR(FoldConstant(b));
    } else {
      Step st;
      st.op = &op;
      st.run = std::move(b.run_);
      st.inputs = b.inputs_;
      st.outputs = b.outputs_;
      st.weights = b.weights_;
      for (Slot* o : b.outputs_) {
        if (o->alias_of == nullptr && !o->is_const) o->def_step = b.step_;
        if (precision() == Precision::kFp16 && o->dtype == DType::kFp16 && o->storage == Storage::kF32 &&
            o->alias_of == nullptr && !b.no_rounding_ && !o->is_const) {
          st.round.push_back(o);
        }
      }
      for (Slot* sc : b.scratch_) {
        sc->def_step = b.step_;
        st.inputs.push_back(sc);
      }
      plan_->steps.push_back(std::move(st));
    }
  }
  for (size_t i = 0; i < op.outputs.size(); ++i) {
    b.outputs_[i]->name = op.outputs[i].name;
    values_[op.outputs[i].name] = b.outputs_[i];
  }
  return Status::Ok();
}

Result<std::unique_ptr<Plan>> PlanBuilder::Build(const std::vector<std::vector<int64_t>>& input_shapes) {
  size_t ti = 0;
  for (const mil::NamedValueType& in : fn_.inputs) {
    const mil::TensorType& tt = in.type.tensor;
    Slot* s = NewSlot();
    s->name = in.name;
    s->dtype = tt.dtype;
    if (in.type.kind == mil::ValueType::Kind::kState) {
      if (tt.unknown_rank || tt.has_unknown_dims()) {
        return Unsupported("compile ", name_, ": state ", in.name, " has a flexible shape");
      }
      ANEMLL_RETURN_IF_ERROR(CheckTensorSize(tt.shape).WithContext(StrCat("compile ", name_, ": state ", in.name)));
      s->state = static_cast<int>(plan_->states.size());
      s->shape = tt.shape;
      s->count = NumElements(tt.shape);
      plan_->states.push_back(PlanState{in.name, tt.shape, nullptr});
    } else {
      if (ti >= input_shapes.size()) return Internal("compile ", name_, ": too few input shapes");
      auto storage = RuntimeStorageFor(tt.dtype);
      if (!storage.ok()) return storage.status().WithContext(StrCat("compile ", name_, ": input ", in.name));
      s->storage = *storage;
      s->shape = input_shapes[ti++];
      ANEMLL_RETURN_IF_ERROR(CheckTensorSize(s->shape).WithContext(StrCat("compile ", name_, ": input ", in.name)));
      s->count = NumElements(s->shape);
      s->is_input = true;
      s->def_step = -1;
      plan_->inputs.push_back(s);
    }
    values_[in.name] = s;
  }
  std::set<std::string> states;
  for (const PlanState& s : plan_->states) states.insert(s.name);
  ops_ = RewriteStateAccess(fn_.block, states, &plan_->synthetic_ops);
  if (fuse_ops_) ops_ = FuseOps(ops_, fn_, &plan_->synthetic_ops);
  for (size_t i = 0; i < ops_.size(); ++i) {
    positions_[ops_[i]] = static_cast<int>(i);
    for (const auto& [param, args] : ops_[i]->inputs) {
      for (const mil::Argument& a : args) {
        if (!a.is_literal()) uses_[a.name].emplace_back(static_cast<int>(i), param);
      }
    }
  }
  for (const std::string& out : fn_.block.outputs) uses_[out].emplace_back(OpBuilder::kBlockOutput, "");
  for (const mil::Operation* op : ops_) {
    Status st = BuildOp(*op);
    if (st.ok()) st = alloc_error_;
    if (!st.ok()) return st.WithContext(StrCat("compile ", name_, ": op ", op->name, " (", op->type, ")"));
  }
  for (const std::string& out : fn_.block.outputs) {
    auto s = Lookup(out);
    if (!s.ok()) return s.status().WithContext(StrCat("compile ", name_, ": output ", out));
    Slot* slot = *s;
    if (slot->state >= 0) return InvalidArgument("compile ", name_, ": output ", out, " is a state");
    if (slot->lut) ANEMLL_RETURN_IF_ERROR(Densify(slot));
    slot->is_output = true;
    plan_->outputs.push_back(slot);
  }
  std::vector<int>& next = plan_->next_weight_step;
  next.assign(plan_->steps.size(), -1);
  for (int i = static_cast<int>(next.size()) - 2; i >= 0; --i) {
    next[i] = plan_->steps[i + 1].weights.empty() ? next[i + 1] : i + 1;
  }
  ANEMLL_RETURN_IF_ERROR(PlanMemory());
  return std::move(plan_);
}

// Assigns every runtime buffer an arena offset; buffers whose lifetimes overlap never share
// bytes. Lifetimes: [defining step, last reading step]; inputs start before step 0, outputs
// live to the end.
Status PlanBuilder::PlanMemory() {
  Plan& p = *plan_;
  const int kEnd = static_cast<int>(p.steps.size()) + 1;
  auto root = [](Slot* s) { return s->alias_of ? s->alias_of : s; };
  for (size_t i = 0; i < p.steps.size(); ++i) {
    for (Slot* in : p.steps[i].inputs) {
      Slot* r = root(in);
      r->last_use = std::max(r->last_use, static_cast<int>(i));
    }
  }
  for (Slot* o : p.outputs) root(o)->last_use = kEnd;
  std::vector<Slot*> roots;
  for (Slot& s : p.slots) {
    if (s.is_const || s.alias_of || s.state >= 0 || s.view_state >= 0 || s.count <= 0) continue;
    if (!s.is_input && s.def_step < 0 && !s.is_scratch) continue;  // never defined (folded away)
    if (s.last_use < s.def_step) s.last_use = s.def_step;  // produced but unused
    roots.push_back(&s);
  }
  std::stable_sort(roots.begin(), roots.end(), [](const Slot* a, const Slot* b) { return a->bytes() > b->bytes(); });
  struct Placed {
    int64_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  int64_t total = 0;
  for (Slot* s : roots) {
    const int64_t size = static_cast<int64_t>((s->bytes() + 63) / 64 * 64);
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Placed& q : placed) {
      if (q.first <= s->last_use && s->def_step <= q.last) busy.emplace_back(q.begin, q.end);
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (offset + size <= b) break;
      offset = std::max(offset, e);
    }
    s->arena_offset = offset;
    placed.push_back({offset, offset + size, s->def_step, s->last_use});
    total = std::max(total, offset + size);
  }
  p.arena = AllocateAligned(static_cast<size_t>(total));
  if (!p.arena) return Internal("compile ", name_, ": cannot allocate ", total, " bytes of activations");
  p.arena_bytes = static_cast<size_t>(total);
  for (Slot* s : roots) s->data = p.arena.get() + s->arena_offset;
  for (Slot& s : p.slots) {
    if (s.alias_of) s.data = s.alias_of->data ? s.alias_of->data + s.alias_offset : nullptr;
  }
  return Status::Ok();
}

}  // namespace anemll::runtime::internal
