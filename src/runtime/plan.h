// Internal structures of a compiled plan: value slots, steps, and the OpBuilder interface through
// which each op kind infers its output shapes, binds its inputs and creates its run function.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "mil/ir.h"
#include "runtime/executable.h"
#include "runtime/state_store.h"

namespace anemll::runtime::internal {

// How a slot's elements are stored. Runtime float values are fp32 (in fp16 precision they hold
// fp16-rounded values); fp16 constants stay fp16 bits; every integer dtype is held as int32.
enum class Storage : uint8_t { kF32, kF16, kI32, kU8 };

inline size_t StorageBytes(Storage s) { return s == Storage::kF16 ? 2 : s == Storage::kU8 ? 1 : 4; }
const char* StorageName(Storage s);
// Storage of a runtime (non-constant) value of this dtype; kInvalid dtype gives an error.
Result<Storage> RuntimeStorageFor(mil::DType dtype);

// A constexpr_lut_to_dense kept packed, so that matmul-like consumers can run the fused kernel.
struct LutSource {
  std::shared_ptr<const mil::Literal> indices;  // uint1..uint8, packed, shape = `shape`
  std::shared_ptr<const mil::Literal> lut;      // [g_0..g_{K-1}, 2^bits, vector_size]
  int bits = 0;
  std::vector<int64_t> shape;   // dense shape
  std::vector<int64_t> groups;  // g_0..g_{K-1}
  int64_t vector_size = 1;
  int64_t vector_axis = 0;
};

struct Slot {
  std::string name;
  mil::DType dtype = mil::DType::kInvalid;
  Storage storage = Storage::kF32;
  std::vector<int64_t> shape;
  int64_t count = 0;
  uint8_t* data = nullptr;  // resolved once the arena exists (constants: at creation)
  bool is_const = false;
  bool is_input = false;
  bool is_output = false;
  bool is_scratch = false;
  int state = -1;              // index into Plan::states for state-typed function inputs
  int view_state = -1;         // a view into the bytes of state `view_state` (bound per run)
  int64_t view_offset = 0;     // bytes into that state
  Slot* alias_of = nullptr;    // a view of another slot's buffer (the root, never an alias)
  int64_t alias_offset = 0;    // bytes into the root
  std::shared_ptr<const void> owner;      // keeps constant bytes alive
  std::shared_ptr<const LutSource> lut;   // packed LUT constant (data == nullptr until densified)
  std::vector<std::string> strings;       // string constants
  Slot* f32_copy = nullptr;               // fp32 twin of an fp16 constant, made on demand
  int def_step = -1;
  int last_use = -1;
  int64_t arena_offset = -1;

  size_t bytes() const { return static_cast<size_t>(count) * StorageBytes(storage); }
  float* f32() const { return reinterpret_cast<float*>(data); }
  const uint16_t* f16() const { return reinterpret_cast<const uint16_t*>(data); }
  int32_t* i32() const { return reinterpret_cast<int32_t*>(data); }
  uint8_t* u8() const { return data; }
  bool is_float() const { return storage == Storage::kF32 || storage == Storage::kF16; }
};

struct PlanState {
  std::string name;
  std::vector<int64_t> shape;
  StateTensor* bound = nullptr;
};

struct Plan;

struct RunContext {
  ThreadPool* pool = nullptr;
  Plan* plan = nullptr;
};

using RunFn = std::function<Status(const RunContext&)>;

// A run of constant bytes a step reads, such as a weight's packed indices.
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

struct Step {
  const mil::Operation* op = nullptr;
  RunFn run;
  std::vector<Slot*> round;  // fp32-stored fp16 values rounded after `run` (fp16 precision)
  std::vector<Slot*> inputs;
  std::vector<Slot*> outputs;
  std::vector<ByteSpan> weights;  // weight bytes streamed from memory (warmed ahead, see Execute)
};

struct AlignedFree {
  void operator()(uint8_t* p) const;
};

struct Plan {
  std::string function_name;
  Precision precision = Precision::kFp16;
  LutDot lut_dot = LutDot::kExact;
  std::deque<Slot> slots;
  std::deque<mil::Operation> synthetic_ops;  // ops made by the state-access rewrite
  std::vector<Step> steps;
  std::vector<Slot*> inputs;   // function tensor inputs, declared order
  std::vector<Slot*> outputs;  // block outputs
  std::vector<PlanState> states;
  std::unique_ptr<uint8_t, AlignedFree> arena;
  size_t arena_bytes = 0;
  uint64_t bound_store = 0;  // StateStore::id() the states are bound to (0 = none)
  std::vector<Slot*> state_views;  // slots whose data points into a bound state

  // For each step, the next step after it that streams weights (-1: none).
  std::vector<int> next_weight_step;
  // Weight warming: while the caller runs the serial steps between two weight-streaming products,
  // an idle worker reads the next product's weights into the shared cache (see Execute).
  int warm_step = -1;                // the product being warmed
  std::atomic<size_t> warm_done{0};  // piece slots of its warm order already read

  // Binds every state to `store` (creating missing ones) and points the state views at them.
  Status BindStates(StateStore& store);

  Status Execute(ThreadPool* pool);

 private:
  void WarmAfter(size_t step, ThreadPool* pool);
};

// Weight warming (Plan::Execute): how far ahead the worker reads, the next products' weights up to
// this many bytes. Gaps between products are tens of microseconds, so this is rarely reached; it
// bounds the cache the warmed bytes can take from the product running before them.
constexpr size_t kWarmAheadBytes = size_t{4} << 20;
// Bytes per warmed piece (the cancel flag is checked between pieces).
constexpr size_t kWarmPiece = 4096;

// Visits the weight bytes warmed ahead of step `first`, in the order the product's threads read
// them: each span is cut into `threads` equal shares (as ParallelFor splits rows) and the shares
// are interleaved kWarmPiece bytes at a time, so every thread finds the start of its share warm.
// The products after `first` follow until kWarmAheadBytes have been started. The order is a list
// of piece slots (a slot can be short or empty at a share's end); visiting starts at slot `skip`
// and stops when visit(data, bytes) returns false.
void ForEachWarmPiece(const Plan& plan, int first, size_t threads, size_t skip,
                      const std::function<bool(const uint8_t*, size_t)>& visit);

// Allocates 64-byte aligned zeroed memory.
std::unique_ptr<uint8_t, AlignedFree> AllocateAligned(size_t bytes);

class PlanBuilder;

// The view of one op while its plan is built. Errors returned by an op builder are prefixed with
// "compile <function>: op <name> (<type>): " by the caller.
class OpBuilder {
 public:
  OpBuilder(PlanBuilder& pb, const mil::Operation& op, int step);

  const mil::Operation& op() const { return op_; }
  Precision precision() const;
  bool fp16_mode() const { return precision() == Precision::kFp16; }
  LutDot lut_dot() const;

  bool Has(const std::string& param) const;
  // The single binding of a parameter (an error if absent or variadic).
  Result<Slot*> Input(const std::string& param);
  // nullptr if the parameter is absent.
  Result<Slot*> OptionalInput(const std::string& param);
  // Every binding of a (variadic) parameter.
  Result<std::vector<Slot*>> Inputs(const std::string& param);
  // A float slot readable as fp32: fp16 constants get a (cached) fp32 twin.
  Result<Slot*> AsF32(Slot* slot);
  Result<Slot*> InputF32(const std::string& param);
  // The packed LUT behind a parameter bound to a constexpr_lut_to_dense output, else nullptr
  // (does not densify it).
  const LutSource* InputLut(const std::string& param) const;

  // Constant parameter values (errors name the parameter when it is not a constant).
  Result<std::vector<int64_t>> ConstInts(const std::string& param);
  Result<std::optional<std::vector<int64_t>>> OptionalConstInts(const std::string& param);
  Result<int64_t> ConstInt(const std::string& param, std::optional<int64_t> fallback = std::nullopt);
  Result<bool> ConstBool(const std::string& param, std::optional<bool> fallback = std::nullopt);
  Result<std::optional<std::vector<bool>>> OptionalConstBools(const std::string& param);
  Result<double> ConstFloat(const std::string& param, std::optional<double> fallback = std::nullopt);
  Result<std::string> ConstString(const std::string& param, std::optional<std::string> fallback = std::nullopt);

  // Output i with the given dtype and shape (checked against the program's declared type).
  Result<Slot*> Output(size_t i, mil::DType dtype, std::vector<int64_t> shape);
  // Output i as a compile-time constant (allocated now unless `deferred`: a packed LUT slot whose
  // dense bytes are made only if a consumer needs them).
  Result<Slot*> ConstOutput(size_t i, mil::DType dtype, std::vector<int64_t> shape, bool deferred = false);
  // Output i as a view of `base` (same bytes, new shape; `byte_offset` into base).
  Result<Slot*> AliasOutput(size_t i, Slot* base, std::vector<int64_t> shape, int64_t byte_offset = 0);
  // The declared type of output i (nullptr if the op declares fewer outputs).
  const mil::TensorType* DeclaredOutput(size_t i) const;
  size_t num_declared_outputs() const { return op_.outputs.size(); }
  // Output i as a view of a contiguous region of state `state` (bytes from `byte_offset`); valid
  // until the state is next written.
  Result<Slot*> StateViewOutput(size_t i, int state, std::vector<int64_t> shape, int64_t byte_offset);
  // Temporary memory for this step only.
  Slot* Scratch(Storage storage, int64_t count);

  // Consumers of one of this op's outputs: (position in the op list, parameter); position
  // kBlockOutput when the value is a function output.
  static constexpr int kBlockOutput = 1 << 30;
  std::vector<std::pair<int, std::string>> Consumers(const std::string& value) const;
  // The slot of an already defined value (nullptr if not defined yet); does not record a use.
  Slot* Peek(const std::string& value) const;
  // Records that this op's run reads `slot` (for values found with Peek).
  void AddInput(Slot* slot) { inputs_.push_back(slot); }
  // Records constant weight bytes the run streams from memory (products with large weights).
  void StreamsWeight(const void* data, size_t bytes) {
    weights_.push_back(ByteSpan{static_cast<const uint8_t*>(data), bytes});
  }
  // Position of this op in the op list, and the op at a position (nullptr if out of range).
  int position() const;
  const mil::Operation* OpAt(int pos) const;
  // Whether an op strictly between positions `from` and `to` writes state `state`.
  bool StateWrittenBetween(const std::string& state, int from, int to) const;

  // The op's results are copies/selections of fp16 values: no rounding needed.
  void NoRounding() { no_rounding_ = true; }
  // The op touches states (never folded at compile time).
  void SideEffects() { side_effects_ = true; }
  void SetRun(RunFn fn) { run_ = std::move(fn); }
  Plan& plan();
  ThreadPool* pool() const;

 private:
  friend class PlanBuilder;
  Result<Slot*> Bind(const mil::Argument& arg, const std::string& param);
  Result<Slot*> ConstInput(const std::string& param);

  PlanBuilder& pb_;
  const mil::Operation& op_;
  int step_;
  std::vector<Slot*> inputs_;
  std::vector<Slot*> outputs_;
  std::vector<Slot*> scratch_;
  std::vector<ByteSpan> weights_;
  bool no_rounding_ = false;
  bool allow_string_ = false;
  bool side_effects_ = false;
  RunFn run_;
};

using OpBuildFn = Status (*)(OpBuilder& b);
// Op type -> builder. Filled once by the ops_*.cpp registration functions.
const std::map<std::string, OpBuildFn>& OpRegistry();

class PlanBuilder {
 public:
  PlanBuilder(const mil::Function& fn, const std::string& name, Precision precision, ThreadPool* pool,
              LutDot lut_dot = LutDot::kExact, bool fuse_ops = true);
  Result<std::unique_ptr<Plan>> Build(const std::vector<std::vector<int64_t>>& input_shapes);

  // Used by OpBuilder.
  Slot* NewSlot();
  Result<Slot*> LiteralSlot(const mil::Literal& lit, std::shared_ptr<const mil::Literal> holder);
  Result<Slot*> Lookup(const std::string& name) const;
  Status Densify(Slot* slot);
  Slot* AllocateConst(Slot* slot);
  Precision precision() const { return plan_->precision; }
  LutDot lut_dot() const { return plan_->lut_dot; }
  Plan& plan() { return *plan_; }
  const std::vector<const mil::Operation*>& ops() const { return ops_; }
  const std::vector<std::pair<int, std::string>>& UsesOf(const std::string& value) const;
  int PositionOf(const mil::Operation* op) const;
  ThreadPool* pool() const { return pool_; }
  const std::string& function_name() const { return name_; }

 private:
  Status BuildOp(const mil::Operation& op);
  Status FoldConstant(OpBuilder& b);
  Status PlanMemory();

  const mil::Function& fn_;
  std::string name_;
  ThreadPool* pool_;
  bool fuse_ops_;
  std::unique_ptr<Plan> plan_;
  std::unordered_map<std::string, Slot*> values_;
  std::vector<const mil::Operation*> ops_;  // after the state-access rewrite
  std::unordered_map<std::string, std::vector<std::pair<int, std::string>>> uses_;
  std::unordered_map<const mil::Operation*, int> positions_;
  Status alloc_error_;  // first failed constant allocation
};

// Reads element i of a slot as double / int64 (any storage).
double SlotDouble(const Slot& s, int64_t i);
int64_t SlotInt(const Slot& s, int64_t i);

// Largest tensor the runtime creates (elements); bigger shapes are malformed programs.
constexpr int64_t kMaxTensorElements = int64_t{1} << 36;
// Error for negative dims or more than kMaxTensorElements elements (overflow-safe).
Status CheckTensorSize(const std::vector<int64_t>& shape);

// Row-major strides of a shape.
std::vector<int64_t> Strides(const std::vector<int64_t>& shape);
int64_t NumElements(const std::vector<int64_t>& shape);
// Normalizes an axis in [-rank, rank) to [0, rank); error otherwise.
Result<int> NormalizeAxis(int64_t axis, int rank, const char* what);

}  // namespace anemll::runtime::internal
