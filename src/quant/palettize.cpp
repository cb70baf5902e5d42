#include "quant/palettize.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>

#include "base/half.h"
#include "quant/kmeans1d.h"

namespace anemll::quant {
namespace {

constexpr size_t kHalfCodes = 65536;

// fp16 bits <-> a key whose unsigned order is the numeric order (-0 and +0 are adjacent).
inline uint16_t HalfKey(uint16_t h) {
  return (h & 0x8000u) ? static_cast<uint16_t>(0x7FFFu - (h & 0x7FFFu)) : static_cast<uint16_t>(h | 0x8000u);
}
inline uint16_t KeyHalf(uint16_t key) {
  return key >= 0x8000u ? static_cast<uint16_t>(key & 0x7FFFu) : static_cast<uint16_t>(0x8000u | (0x7FFFu - key));
}
inline bool HalfFinite(uint16_t h) { return (h & 0x7C00u) != 0x7C00u; }

uint16_t CentroidToHalf(double mean) {
  const double clamped = std::clamp(mean, -static_cast<double>(kHalfMax), static_cast<double>(kHalfMax));
  return FloatToHalf(static_cast<float>(clamped));
}

// Per-thread working memory, reused across groups.
struct Scratch {
  std::vector<uint32_t> key_count;  // fp16: occurrences of each key in the group (zero between groups)
  std::vector<uint16_t> keys;       // fp16: distinct keys of the group
  std::vector<float> sorted;        // fp32: the group's values, sorted
  WeightedValues distinct;
  SegmentationScratch seg;
  std::vector<uint8_t> local_bits;  // packing buffer
};

// What a group's table says about its values: the fp16 table and the index of each value.
struct GroupTable {
  std::vector<uint16_t> lut;           // [2^bits]
  std::vector<uint8_t> key_index;      // fp16 input: index of each key (only the group's keys set)
  std::vector<double> values;          // fp32 input: sorted distinct values ...
  std::vector<uint8_t> value_index;    // ... and the index of each
};

// Sums over elements, reduced in task order so the result does not depend on scheduling.
struct ErrorSums {
  double err2 = 0, x2 = 0, q2 = 0, xq = 0, max_abs = 0;
  // One original value x and its quantized value q.
  void Add(double x, double q) {
    const double d = x - q;
    err2 += d * d;
    x2 += x * x;
    q2 += q * q;
    xq += x * q;
    max_abs = std::max(max_abs, std::fabs(d));
  }
  void Add(const ErrorSums& o) {
    err2 += o.err2;
    x2 += o.x2;
    q2 += o.q2;
    xq += o.xq;
    max_abs = std::max(max_abs, o.max_abs);
  }
};

// Bits of the packed stream that straddle a task boundary: OR'ed in after the parallel part.
struct EdgeByte {
  size_t byte = 0;
  uint8_t value = 0;
};

struct TaskResult {
  Status status;
  ErrorSums sums;
  EdgeByte head, tail;
  bool has_head = false, has_tail = false;
};

// Distinct values and counts of elements [begin, end) of an fp16 matrix into s->distinct;
// s->keys holds the distinct keys (sorted). Sets *bad to the first non-finite element.
void DistinctHalf(const uint16_t* data, int64_t begin, int64_t end, Scratch* s, int64_t* bad) {
  if (s->key_count.size() != kHalfCodes) s->key_count.assign(kHalfCodes, 0);
  s->keys.clear();
  uint32_t* count = s->key_count.data();
  for (int64_t i = begin; i < end; ++i) {
    const uint16_t h = data[i];
    if (!HalfFinite(h) && *bad < 0) *bad = i;
    const uint16_t k = HalfKey(h);
    if (count[k]++ == 0) s->keys.push_back(k);
  }
  std::sort(s->keys.begin(), s->keys.end());
  s->distinct.values.clear();
  s->distinct.counts.clear();
  for (uint16_t k : s->keys) {
    const double v = HalfToFloat(KeyHalf(k));
    if (!s->distinct.values.empty() && s->distinct.values.back() == v) {
      s->distinct.counts.back() += count[k];  // -0 and +0
    } else {
      s->distinct.values.push_back(v);
      s->distinct.counts.push_back(count[k]);
    }
  }
}

void DistinctFloat(const float* data, int64_t begin, int64_t end, Scratch* s, int64_t* bad) {
  s->sorted.assign(data + begin, data + end);
  for (int64_t i = begin; i < end; ++i) {
    if (!std::isfinite(data[i]) && *bad < 0) *bad = i;
  }
  if (*bad >= 0) return;
  std::sort(s->sorted.begin(), s->sorted.end());
  s->distinct.values.clear();
  s->distinct.counts.clear();
  for (float f : s->sorted) {
    const double v = f;
    if (!s->distinct.values.empty() && s->distinct.values.back() == v) {
      s->distinct.counts.back() += 1;
    } else {
      s->distinct.values.push_back(v);
      s->distinct.counts.push_back(1);
    }
  }
}

// Exact k-means over s->distinct, centroids rounded to fp16, each distinct value assigned to
// its nearest rounded centroid (ties to the lower entry). Returns the index of each distinct
// value in `index` and the table in `lut`.
void BuildTable(int bits, Scratch* s, std::vector<uint16_t>* lut, std::vector<uint8_t>* index) {
  const WeightedValues& v = s->distinct;
  const int palette = 1 << bits;
  const std::vector<int32_t> ends = OptimalSegmentation(v, palette, &s->seg);
  const size_t k = ends.size();
  std::vector<double> centroid(k);
  lut->assign(static_cast<size_t>(palette), 0);
  int32_t begin = 0;
  for (size_t j = 0; j < k; ++j) {
    double w = 0, sum = 0;
    for (int32_t i = begin; i < ends[j]; ++i) {
      w += v.counts[static_cast<size_t>(i)];
      sum += v.counts[static_cast<size_t>(i)] * v.values[static_cast<size_t>(i)];
    }
    const uint16_t h = CentroidToHalf(sum / w);
    (*lut)[j] = h;
    centroid[j] = HalfToFloat(h);
    begin = ends[j];
  }
  // Unused entries repeat the last centroid (keeps the table sorted; never indexed).
  for (size_t j = k; j < static_cast<size_t>(palette); ++j) (*lut)[j] = (*lut)[k - 1];
  // Rounding is monotone, so the rounded centroids stay sorted and the nearest one is
  // non-decreasing along the sorted values.
  index->resize(v.size());
  size_t t = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double x = v.values[i];
    while (t + 1 < k && std::fabs(x - centroid[t + 1]) < std::fabs(x - centroid[t])) ++t;
    (*index)[i] = static_cast<uint8_t>(t);
  }
}

// Packs `count` indices (from `index_of(i)`) at element offset `first` of a stream of `bits`-bit
// indices. Bytes wholly inside the range go straight to `stream`; a shared first/last byte goes
// to the result's head/tail.
template <typename IndexOf>
void PackRange(int bits, int64_t first, int64_t count, const IndexOf& index_of, uint8_t* stream, TaskResult* r) {
  const uint64_t bit0 = static_cast<uint64_t>(first) * static_cast<uint64_t>(bits);
  const uint64_t bit1 = bit0 + static_cast<uint64_t>(count) * static_cast<uint64_t>(bits);
  size_t byte = static_cast<size_t>(bit0 / 8);
  unsigned fill = static_cast<unsigned>(bit0 % 8);
  uint64_t acc = 0;
  bool first_byte = true;
  auto emit = [&](uint8_t value) {
    if (first_byte && bit0 % 8 != 0) {
      r->head = {byte, value};
      r->has_head = true;
    } else {
      stream[byte] = value;
    }
    first_byte = false;
    ++byte;
  };
  for (int64_t i = 0; i < count; ++i) {
    acc |= static_cast<uint64_t>(index_of(i)) << fill;
    fill += static_cast<unsigned>(bits);
    while (fill >= 8) {
      emit(static_cast<uint8_t>(acc & 0xFFu));
      acc >>= 8;
      fill -= 8;
    }
  }
  if (fill > 0) {
    // The stream's last byte or one shared with the next range.
    const uint8_t value = static_cast<uint8_t>(acc & 0xFFu);
    if (first_byte && bit0 % 8 != 0) {
      r->head = {byte, value};
      r->has_head = true;
    } else {
      r->tail = {byte, value};
      r->has_tail = true;
    }
  }
  (void)bit1;
}

// Encodes elements [begin, end) of `w` with the table `lut` and per-element index `index_of`,
// accumulating the error.
template <typename IndexOf>
void EncodeRange(const MatrixView& w, int bits, int64_t begin, int64_t end, const uint16_t* lut, const IndexOf& index_of,
                 uint8_t* stream, TaskResult* r) {
  float lut_f[256];
  for (int j = 0; j < (1 << bits); ++j) lut_f[j] = HalfToFloat(lut[j]);
  ErrorSums sums;
  auto index_and_measure = [&](int64_t i) -> uint32_t {
    const int64_t e = begin + i;
    const uint32_t idx = index_of(e);
    sums.Add(w.At(e), lut_f[idx]);
    return idx;
  };
  PackRange(bits, begin, end - begin, index_and_measure, stream, r);
  r->sums.Add(sums);
}

QuantError FinishError(const ErrorSums& s, int64_t n) {
  QuantError e;
  e.mse = n > 0 ? s.err2 / static_cast<double>(n) : 0.0;
  e.max_abs = s.max_abs;
  if (s.x2 > 0 && s.q2 > 0) {
    e.cosine = s.xq / std::sqrt(s.x2 * s.q2);
  } else {
    e.cosine = (s.x2 == 0 && s.q2 == 0) ? 1.0 : 0.0;
  }
  return e;
}

// Runs task(t, scratch) for t in [0, n) on the pool, handing tasks out dynamically.
void RunTasks(ThreadPool* pool, int64_t n, const std::function<void(int64_t, Scratch*)>& task) {
  std::atomic<int64_t> next{0};
  auto worker = [&](int) {
    Scratch scratch;
    for (int64_t t = next.fetch_add(1); t < n; t = next.fetch_add(1)) task(t, &scratch);
  };
  if (pool && pool->num_threads() > 1 && n > 1) {
    pool->RunOnAll(worker);
  } else {
    worker(0);
  }
}

Status NonFinite(const std::string& what, const MatrixView& w, int64_t i) {
  return InvalidArgument("palettize ", what, ": value at [", i / w.cols, ",", i % w.cols, "] is ", w.At(i),
                         " (not finite)");
}

}  // namespace

float MatrixView::At(int64_t i) const {
  if (type == ValueType::kF16) return HalfToFloat(static_cast<const uint16_t*>(data)[i]);
  return static_cast<const float*>(data)[i];
}

std::vector<float> LutMatrix::LutFloat() const {
  std::vector<float> f(lut.size());
  for (size_t i = 0; i < lut.size(); ++i) f[i] = HalfToFloat(lut[i]);
  return f;
}

kernels::LutMatrixRef LutMatrix::Ref(const std::vector<float>& lut_f32) const {
  kernels::LutMatrixRef r;
  r.indices = indices.data();
  r.indices_bytes = indices.size();
  r.bits = bits;
  r.rows = rows;
  r.cols = cols;
  r.lut = lut_f32.data();
  r.rows_per_group = group_rows;
  return r;
}

Status CheckLutConfig(const MatrixView& w, const LutConfig& config, const std::string& what) {
  if (!kernels::IsSupportedLutBits(config.bits)) {
    return InvalidArgument("palettize ", what, ": LUT bits ", config.bits, " not supported (1, 2, 3, 4, 6 or 8)");
  }
  if (w.rows <= 0 || w.cols <= 0 || !w.data) {
    return InvalidArgument("palettize ", what, ": empty weight [", w.rows, ",", w.cols, "]");
  }
  if (config.group_rows < 0) {
    return InvalidArgument("palettize ", what, ": LUT group size ", config.group_rows, " is negative");
  }
  if (config.group_rows > 0 && w.rows % config.group_rows != 0) {
    return InvalidArgument("palettize ", what, ": LUT group size ", config.group_rows, " does not divide the ", w.rows,
                           " output channels of weight [", w.rows, ",", w.cols, "]");
  }
  return Status::Ok();
}

Result<LutResult> Palettize(const MatrixView& w, const LutConfig& config, ThreadPool* pool, const std::string& what) {
  ANEMLL_RETURN_IF_ERROR(CheckLutConfig(w, config, what));
  const int bits = config.bits;
  const int palette = 1 << bits;
  LutResult result;
  LutMatrix& m = result.matrix;
  m.bits = bits;
  m.rows = w.rows;
  m.cols = w.cols;
  m.per_tensor = config.group_rows == 0;
  m.group_rows = m.per_tensor ? w.rows : config.group_rows;
  const int64_t groups = w.rows / m.group_rows;
  const int64_t total = w.rows * w.cols;
  m.lut.assign(static_cast<size_t>(groups * palette), 0);
  m.indices.assign(kernels::PackedIndexBytes(total, bits), 0);
  const bool half = w.type == ValueType::kF16;
  const uint16_t* h16 = static_cast<const uint16_t*>(w.data);
  const float* f32 = static_cast<const float*>(w.data);

  std::vector<TaskResult> results;
  if (!m.per_tensor) {
    // One task per group: table and encoding together, on the thread's scratch.
    results.resize(static_cast<size_t>(groups));
    const int64_t group_elems = m.group_rows * w.cols;
    RunTasks(pool, groups, [&](int64_t g, Scratch* s) {
      TaskResult& r = results[static_cast<size_t>(g)];
      const int64_t begin = g * group_elems, end = begin + group_elems;
      int64_t bad = -1;
      if (half) {
        DistinctHalf(h16, begin, end, s, &bad);
      } else {
        DistinctFloat(f32, begin, end, s, &bad);
      }
      if (bad >= 0) {
        if (half) {
          for (uint16_t k : s->keys) s->key_count[k] = 0;
        }
        r.status = NonFinite(what, w, bad);
        return;
      }
      std::vector<uint16_t> lut;
      std::vector<uint8_t> index;
      BuildTable(bits, s, &lut, &index);
      std::copy(lut.begin(), lut.end(), m.lut.begin() + g * palette);
      if (half) {
        // key -> index through key_count (reused as the map; reset after).
        uint32_t* map = s->key_count.data();
        size_t di = 0;
        for (size_t ki = 0; ki < s->keys.size(); ++ki) {
          const uint16_t k = s->keys[ki];
          if (ki > 0 && HalfToFloat(KeyHalf(k)) != s->distinct.values[di]) ++di;
          map[k] = index[di];
        }
        EncodeRange(w, bits, begin, end, lut.data(), [&](int64_t e) { return map[HalfKey(h16[e])]; },
                    m.indices.data(), &r);
        for (uint16_t k : s->keys) map[k] = 0;
      } else {
        const std::vector<double>& vals = s->distinct.values;
        EncodeRange(w, bits, begin, end, lut.data(), [&](int64_t e) -> uint32_t {
          const double x = f32[e];
          const size_t pos = static_cast<size_t>(std::lower_bound(vals.begin(), vals.end(), x) - vals.begin());
          return index[pos];
        }, m.indices.data(), &r);
      }
    });
  } else {
    // One table for the whole tensor, then encoding in parallel over row blocks.
    Scratch s;
    int64_t bad = -1;
    if (half) {
      DistinctHalf(h16, 0, total, &s, &bad);
    } else {
      DistinctFloat(f32, 0, total, &s, &bad);
    }
    if (bad >= 0) return NonFinite(what, w, bad);
    std::vector<uint16_t> lut;
    std::vector<uint8_t> index;
    BuildTable(bits, &s, &lut, &index);
    std::copy(lut.begin(), lut.end(), m.lut.begin());
    std::vector<uint8_t> key_index;
    if (half) {
      key_index.assign(kHalfCodes, 0);
      size_t di = 0;
      for (size_t ki = 0; ki < s.keys.size(); ++ki) {
        const uint16_t k = s.keys[ki];
        if (ki > 0 && HalfToFloat(KeyHalf(k)) != s.distinct.values[di]) ++di;
        key_index[k] = index[di];
      }
    }
    const std::vector<double>& vals = s.distinct.values;
    const int64_t block_rows = std::max<int64_t>(1, (int64_t{1} << 16) / w.cols);
    const int64_t blocks = (w.rows + block_rows - 1) / block_rows;
    results.resize(static_cast<size_t>(blocks));
    RunTasks(pool, blocks, [&](int64_t b, Scratch*) {
      const int64_t begin = b * block_rows * w.cols;
      const int64_t end = std::min(w.rows, (b + 1) * block_rows) * w.cols;
      TaskResult& r = results[static_cast<size_t>(b)];
      if (half) {
        EncodeRange(w, bits, begin, end, lut.data(), [&](int64_t e) -> uint32_t { return key_index[HalfKey(h16[e])]; },
                    m.indices.data(), &r);
      } else {
        EncodeRange(w, bits, begin, end, lut.data(), [&](int64_t e) -> uint32_t {
          const double x = f32[e];
          return index[static_cast<size_t>(std::lower_bound(vals.begin(), vals.end(), x) - vals.begin())];
        }, m.indices.data(), &r);
      }
    });
  }
  ErrorSums sums;
  for (const TaskResult& r : results) {
    ANEMLL_RETURN_IF_ERROR(r.status);
    sums.Add(r.sums);
  }
  for (const TaskResult& r : results) {
    if (r.has_head) m.indices[r.head.byte] |= r.head.value;
    if (r.has_tail) m.indices[r.tail.byte] |= r.tail.value;
  }
  result.error = FinishError(sums, total);
  return result;
}

QuantError MeasureError(const MatrixView& original, const LutMatrix& q) {
  ErrorSums s;
  const int64_t total = q.rows * q.cols;
  for (int64_t i = 0; i < total; ++i) {
    s.Add(original.At(i), HalfToFloat(q.ValueBits(i / q.cols, i % q.cols)));
  }
  return FinishError(s, total);
}

}  // namespace anemll::quant
