// A warmed-up Run allocates nothing on the heap (single-threaded; positional inputs and reused
// output tensors), on the KV-cache fixture (linear, reshape, concat, state slices, matmul,
// softmax) and on the enumerated-shape embeddings (gather with int16 indices, casts, select).
// The test replaces the global allocation functions (all plain and nothrow forms, so that
// sanitizers see matching pairs) to count heap allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "mil/coreml/package.h"
#include "runtime/executable.h"
#include "runtime/tensor_io.h"
#include "support/test_support.h"
#include "test_program.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// These operators are malloc/free by design; GCC flags free() on memory from a (replaced) operator
// new once both are inlined into one caller.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace anemll::runtime {
namespace {

namespace fs = std::filesystem;

long AllocationsDuring(Executable& e, const std::vector<const Tensor*>& inputs, StateStore& states,
                       std::vector<Tensor>* outputs) {
  const long before = g_allocations.load();
  const Status st = e.Run(inputs, states, outputs);
  const long after = g_allocations.load();
  EXPECT_TRUE(st.ok()) << st.message();
  return after - before;
}

int* volatile g_sink = nullptr;
std::vector<int>* volatile g_vector_sink = nullptr;

TEST(RunAllocations, CounterSeesAllocations) {
  const long before = g_allocations.load();
  auto* v = new std::vector<int>(1000, 1);
  // Both pointers escape, so the compiler may elide neither allocation.
  g_vector_sink = v;
  g_sink = v->data();
  delete v;
  EXPECT_GE(g_allocations.load() - before, 2);
}

TEST(RunAllocations, WarmRunsDoNotAllocate) {
  const fs::path dir = anemll::testing::FixturesDir() / "coreml" / "kv_state_multifunction";
  auto model = mil::coreml::ReadPackage(dir / "kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto inputs = ReadTensors(dir / "inputs.safetensors");
  ASSERT_TRUE(inputs.ok());
  for (Precision p : {Precision::kFp16, Precision::kFp32}) {
    Options opt;
    opt.precision = p;
    auto infer = Executable::Compile(*model, "infer", opt);
    ASSERT_TRUE(infer.ok()) << infer.status().message();
    std::vector<const Tensor*> feed;
    for (const auto& name : (*infer)->input_names()) feed.push_back(&inputs->at("step1." + name));
    StateStore states;
    std::vector<Tensor> outputs;
    AllocationsDuring(**infer, feed, states, &outputs);  // binds the states, sizes the outputs
    EXPECT_EQ(AllocationsDuring(**infer, feed, states, &outputs), 0) << PrecisionName(p);
    EXPECT_EQ(AllocationsDuring(**infer, feed, states, &outputs), 0) << PrecisionName(p);
  }
}

TEST(RunAllocations, EmbeddingsWarmRunDoesNotAllocate) {
  const fs::path dir = anemll::testing::FixturesDir() / "coreml" / "enumerated_embeddings";
  auto model = mil::coreml::ReadPackage(dir / "enumerated_embeddings.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto inputs = ReadTensors(dir / "inputs.safetensors");
  ASSERT_TRUE(inputs.ok());
  auto e = Executable::Compile(*model, "main");
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::vector<const Tensor*> feed = {&inputs->at("s4.input_ids")};
  StateStore states;
  std::vector<Tensor> outputs;
  AllocationsDuring(**e, feed, states, &outputs);
  EXPECT_EQ(AllocationsDuring(**e, feed, states, &outputs), 0);
}

TEST(RunAllocations, WarmingWeightsOnAWorkerDoesNotAllocate) {
  // Two products with 512 KB weights and an op between them: on two threads the worker warms the
  // second weight while the caller runs the relu (runtime/plan.h, weight warming).
  std::vector<float> w(512 * 512);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 256.0f;
  test::TestProgram p;
  p.Input("x", mil::DType::kFp32, {1, 512})
      .Const("w1", mil::Literal::Fp16({512, 512}, w))
      .Const("w2", mil::Literal::Fp16({512, 512}, w))
      .Op("linear", "l1", {{"x", "x"}, {"weight", "w1"}}, {{"h", mil::DType::kFp32}})
      .Op("relu", "r", {{"x", "h"}}, {{"a", mil::DType::kFp32}})
      .Op("linear", "l2", {{"x", "a"}, {"weight", "w2"}}, {{"y", mil::DType::kFp32}})
      .Output("y");
  Options opt;
  opt.threads = 2;
  auto e = Executable::Compile(p.fn, "main", opt);
  ASSERT_TRUE(e.ok()) << e.status().message();
  const Tensor x = Tensor::FromFloats(mil::DType::kFp32, {1, 512}, std::vector<float>(512, 0.5f));
  std::vector<const Tensor*> feed = {&x};
  StateStore states;
  std::vector<Tensor> outputs;
  AllocationsDuring(**e, feed, states, &outputs);
  for (int run = 0; run < 3; ++run) EXPECT_EQ(AllocationsDuring(**e, feed, states, &outputs), 0) << run;
}

}  // namespace
}  // namespace anemll::runtime
