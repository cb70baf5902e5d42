// Flat open-addressing maps for the large, read-mostly tables of a tokenizer: token string -> id
// (up to ~260k entries) and merge pair -> (rank, merged id) (up to ~520k entries). Built once at
// load time; lookups are allocation-free.
#pragma once

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anemll::tokenizer {

inline uint64_t HashBytes(std::string_view s) {
  // A simple multiply-xorshift hash over 8-byte words; good enough for token strings.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = 0xCBF29CE484222325ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}

// token string -> id; the strings live in one arena.
class StringIdMap {
 public:
  // Room for `n` entries of `bytes` total key length; call before the first Set.
  void Reserve(size_t n, size_t bytes) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    arena_.reserve(bytes);
  }

  // Inserts or overwrites (a later duplicate wins, as in a JSON object read into a hash map).
  void Set(std::string_view key, int32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = HashBytes(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s.hash = h;
        s.offset = static_cast<uint32_t>(arena_.size());
        s.length = static_cast<uint32_t>(key.size());
        s.id = id;
        arena_.append(key);
        ++size_;
        return;
      }
      if (s.hash == h && KeyOf(s) == key) {
        s.id = id;
        return;
      }
    }
  }

  // -1 when absent.
  int32_t Find(std::string_view key) const { return Find(key, HashBytes(key)); }
  // With the key's HashBytes already computed.
  int32_t Find(std::string_view key, uint64_t h) const {
    if (slots_.empty()) return -1;
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && KeyOf(s) == key) return s.id;
    }
  }

  // Starts loading the slot a lookup with hash `h` will read first (for batched lookups).
  void Prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  size_t size() const { return size_; }

  // Calls fn(key, id) for every entry.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.id >= 0) fn(KeyOf(s), s.id);
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;
  };
  std::string_view KeyOf(const Slot& s) const { return std::string_view(arena_).substr(s.offset, s.length); }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

// (left id, right id) -> (rank, merged id).
class PairMap {
 public:
  struct Value {
    uint32_t rank;
    int32_t merged;
  };

  // Room for `n` entries; call before the first Set.
  void Reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
  }

  // A later entry for the same pair replaces the earlier one.
  void Set(int32_t a, int32_t b, Value v) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t key = Key(a, b);
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) {
        s.key = key;
        s.value = v;
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = v;
        return;
      }
    }
  }

  void Prefetch(int32_t a, int32_t b) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Mix(Key(a, b)) & (slots_.size() - 1)]);
  }

  const Value* Find(int32_t a, int32_t b) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = Key(a, b);
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }

  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  static uint64_t Key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t Mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    return k;
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      size_t i = Mix(s.key) & mask;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// word -> ids for words tokenized before; thread-safe, never evicts, stops growing at `capacity`.
class WordCache {
 public:
  explicit WordCache(size_t capacity) : capacity_(capacity) {
    size_t cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
  }

  // Appends the cached ids of `word` (hash = HashBytes(word)); false when not cached.
  bool Lookup(std::string_view word, uint64_t hash, std::vector<int32_t>& out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.used) return false;
      if (s.hash == hash && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_offset, word.data(), word.size()) == 0) {
        out.insert(out.end(), ids_.begin() + s.ids_offset, ids_.begin() + s.ids_offset + s.ids_len);
        return true;
      }
    }
  }

  void Insert(std::string_view word, uint64_t hash, const int32_t* ids, size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (size_ >= capacity_) return;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.used) {
        if (s.hash == hash && s.key_len == word.size() &&
            std::memcmp(keys_.data() + s.key_offset, word.data(), word.size()) == 0) {
          return;  // another thread got here first
        }
        continue;
      }
      s = Slot{hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(word.size()),
               static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(count), true};
      keys_.append(word);
      ids_.insert(ids_.end(), ids, ids + count);
      ++size_;
      return;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_offset = 0;
    uint32_t key_len = 0;
    uint32_t ids_offset = 0;
    uint32_t ids_len = 0;
    bool used = false;
  };
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<int32_t> ids_;
  size_t size_ = 0;
  size_t capacity_;
};

}  // namespace anemll::tokenizer
