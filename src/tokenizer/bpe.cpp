#include "tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>

#include "tokenizer/utf8.h"

namespace anemll::tokenizer {
namespace {

using detail::Json;
using detail::JsonPath;

constexpr size_t kCacheMaxWordBytes = 256;
constexpr int64_t kMaxId = 0x7FFFFFFE;

struct Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  uint32_t len;  // bytes covered; 0 marks a symbol merged into its left neighbour
};

struct Candidate {
  uint32_t rank;
  int32_t pos;
  int32_t merged;
};

// Heap order: the lowest rank first, then the leftmost position.
struct CandidateAfter {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

struct Scratch {
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  std::string key;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

std::string_view BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !has_token_[id]) return {};
  const auto [offset, length] = id_to_token_[id];
  return std::string_view(token_text_).substr(offset, length);
}

int32_t BpeModel::CharId(std::string_view ch, bool first, bool last) const {
  const bool plain = (first || prefix_.empty()) && (!last || suffix_.empty());
  if (plain) {
    if (!bmp_char_ids_.empty() && ch.size() <= 3) {
      uint32_t len;
      const char32_t cp = utf8::DecodeValid(ch, 0, &len);
      if (len == ch.size()) return bmp_char_ids_[cp];
    }
    return vocab_.Find(ch);
  }
  std::string& key = ThreadScratch().key;
  key.clear();
  if (!first) key += prefix_;
  key.append(ch);
  if (last) key += suffix_;
  return vocab_.Find(key);
}

void BpeModel::MergeWord(std::string_view w, std::vector<int32_t>& out) const {
  Scratch& scratch = ThreadScratch();
  std::vector<Symbol>& sym = scratch.symbols;
  sym.clear();
  auto add = [&sym](int32_t id, uint32_t len) {
    const auto index = static_cast<int32_t>(sym.size());
    if (!sym.empty()) sym.back().next = index;
    sym.push_back({id, index - 1, -1, len});
  };

  // 1. One symbol per character (or its bytes, or <unk>).
  bool unk_pending = false;
  uint32_t unk_len = 0;
  const size_t n = w.size();
  size_t i = 0;
  while (i < n) {
    uint32_t len = utf8::SeqLen(static_cast<uint8_t>(w[i]));
    if (i + len > n) len = static_cast<uint32_t>(n - i);
    const bool first = i == 0;
    const bool last = i + len == n;
    const std::string_view ch = w.substr(i, len);
    i += len;
    const int32_t id = CharId(ch, first, last);
    if (id >= 0) {
      if (unk_pending) {
        add(unk_id_, unk_len);
        unk_pending = false;
      }
      add(id, len);
      continue;
    }
    if (byte_fallback_) {
      // The bytes of the lookup key (prefix and suffix included), each as <0xNN>, when all exist.
      std::string key;
      if (!first) key += prefix_;
      key.append(ch);
      if (last) key += suffix_;
      bool all = true;
      for (char c : key) all = all && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        for (char c : key) add(byte_ids_[static_cast<uint8_t>(c)], 1);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (unk_pending && fuse_unk_) {
        unk_len += len;
      } else {
        if (unk_pending) add(unk_id_, unk_len);
        unk_pending = true;
        unk_len = len;
      }
    }
  }
  if (unk_pending) add(unk_id_, unk_len);

  // 2. Apply merges, lowest rank first (leftmost on ties), until none applies.
  std::vector<Candidate>& heap = scratch.heap;
  heap.clear();
  for (size_t k = 0; k + 1 < sym.size(); ++k) {
    if (const PairMap::Value* m = merges_.Find(sym[k].id, sym[k + 1].id)) {
      heap.push_back({m->rank, static_cast<int32_t>(k), m->merged});
    }
  }
  std::make_heap(heap.begin(), heap.end(), CandidateAfter());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), CandidateAfter());
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = sym[top.pos];
    if (left.len == 0 || left.next < 0) continue;  // merged away, or nothing on the right
    const int32_t right_pos = left.next;
    const Symbol right = sym[right_pos];
    // Stale entry: the pair at this position has changed since it was queued.
    const PairMap::Value* now = merges_.Find(left.id, right.id);
    if (now == nullptr || now->merged != top.merged) continue;

    left.id = top.merged;
    left.len += right.len;
    left.next = right.next;
    sym[right_pos].len = 0;
    if (right.next >= 0) sym[right.next].prev = top.pos;

    if (left.prev >= 0) {
      const Symbol& before = sym[left.prev];
      if (const PairMap::Value* m = merges_.Find(before.id, left.id)) {
        heap.push_back({m->rank, left.prev, m->merged});
        std::push_heap(heap.begin(), heap.end(), CandidateAfter());
      }
    }
    if (left.next >= 0) {
      const Symbol& after = sym[left.next];
      if (const PairMap::Value* m = merges_.Find(left.id, after.id)) {
        heap.push_back({m->rank, top.pos, m->merged});
        std::push_heap(heap.begin(), heap.end(), CandidateAfter());
      }
    }
  }
  for (const Symbol& s : sym) {
    if (s.len != 0) out.push_back(s.id);
  }
}

void BpeModel::Tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const int32_t id = vocab_.Find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  const bool cacheable = word.size() < kCacheMaxWordBytes;
  const uint64_t hash = cacheable ? HashBytes(word) : 0;
  if (cacheable && cache_.Lookup(word, hash, out)) return;
  const size_t start = out.size();
  MergeWord(word, out);
  if (cacheable) cache_.Insert(word, hash, out.data() + start, out.size() - start);
}

Result<std::unique_ptr<BpeModel>> BpeModel::Build(BpeConfig config, const JsonPath& at) {
  std::unique_ptr<BpeModel> m(new BpeModel());
  m->prefix_ = config.continuing_subword_prefix.value_or("");
  m->suffix_ = config.end_of_word_suffix.value_or("");
  m->fuse_unk_ = config.fuse_unk;
  m->byte_fallback_ = config.byte_fallback;
  m->ignore_merges_ = config.ignore_merges;

  // Vocabulary (a later duplicate wins, as when tokenizers reads the JSON object).
  size_t bytes = 0;
  int64_t max_id = -1;
  for (const auto& [token, id] : config.vocab) {
    if (id < 0 || id > kMaxId) {
      return at.Key("vocab").Error("token \"", token, "\" has id ", id, ", outside [0, ", kMaxId, "]");
    }
    bytes += token.size();
    max_id = std::max(max_id, id);
  }
  m->vocab_.Reserve(config.vocab.size(), bytes);
  m->token_text_.reserve(bytes);
  m->id_to_token_.assign(static_cast<size_t>(max_id + 1), {0, 0});
  m->has_token_.assign(static_cast<size_t>(max_id + 1), 0);
  // Single characters below U+10000 get a direct table (only without prefix/suffix decoration).
  const bool plain_chars = m->prefix_.empty() && m->suffix_.empty();
  if (plain_chars) m->bmp_char_ids_.assign(0x10000, -1);
  for (const auto& [token, id] : config.vocab) {
    m->vocab_.Set(token, static_cast<int32_t>(id));
    m->id_to_token_[id] = {static_cast<uint32_t>(m->token_text_.size()), static_cast<uint32_t>(token.size())};
    m->has_token_[id] = 1;
    m->token_text_ += token;
    if (plain_chars && !token.empty() && token.size() <= 3) {
      const utf8::Decoded d = utf8::DecodeAt(token, 0);
      if (d.status == utf8::SeqStatus::kOk && d.len == token.size() && d.cp < 0x10000) {
        m->bmp_char_ids_[d.cp] = static_cast<int32_t>(id);
      }
    }
  }
  config.vocab.clear();
  config.vocab.shrink_to_fit();

  // Merges: pair -> (rank, id of the concatenation, minus the right side's subword prefix).
  // Lookups go in batches with prefetching: at ~500k merges the load is bound by cache misses.
  m->merges_.Reserve(config.merges.size());
  constexpr size_t kBatch = 32;
  uint64_t hash_a[kBatch], hash_b[kBatch], hash_m[kBatch];
  int32_t id_a[kBatch], id_b[kBatch], id_m[kBatch];
  std::string merged[kBatch];
  const size_t prefix_len = m->prefix_.size();
  for (size_t base = 0; base < config.merges.size(); base += kBatch) {
    const size_t count = std::min(kBatch, config.merges.size() - base);
    for (size_t k = 0; k < count; ++k) {
      const auto& [a, b] = config.merges[base + k];
      hash_a[k] = HashBytes(a);
      hash_b[k] = HashBytes(b);
      m->vocab_.Prefetch(hash_a[k]);
      m->vocab_.Prefetch(hash_b[k]);
      merged[k].assign(a);
      if (b.size() >= prefix_len) merged[k].append(b, prefix_len, std::string::npos);
      hash_m[k] = HashBytes(merged[k]);
    }
    bool failed = false;
    for (size_t k = 0; k < count; ++k) {
      const auto& [a, b] = config.merges[base + k];
      id_a[k] = m->vocab_.Find(a, hash_a[k]);
      id_b[k] = m->vocab_.Find(b, hash_b[k]);
      m->vocab_.Prefetch(hash_m[k]);
      failed = failed || id_a[k] < 0 || id_b[k] < 0 || b.size() < prefix_len;
    }
    for (size_t k = 0; k < count; ++k) {
      id_m[k] = m->vocab_.Find(merged[k], hash_m[k]);
      failed = failed || id_m[k] < 0;
      if (id_a[k] >= 0 && id_b[k] >= 0) m->merges_.Prefetch(id_a[k], id_b[k]);
    }
    for (size_t k = 0; !failed && k < count; ++k) {
      m->merges_.Set(id_a[k], id_b[k], {static_cast<uint32_t>(base + k), id_m[k]});
    }
    if (!failed) continue;
    // Report the first bad merge of the batch, in file order.
    for (size_t k = 0; k < count; ++k) {
      const size_t rank = base + k;
      const auto& [a, b] = config.merges[rank];
      const JsonPath merge_at =
          at.Key("merges").Index(rank < config.merge_source.size() ? config.merge_source[rank] : rank);
      if (id_a[k] < 0) return merge_at.Error("\"", a, " ", b, "\": token \"", a, "\" is not in the vocabulary");
      if (id_b[k] < 0) return merge_at.Error("\"", a, " ", b, "\": token \"", b, "\" is not in the vocabulary");
      if (b.size() < prefix_len) {
        return merge_at.Error("\"", a, " ", b, "\": right token is shorter than the subword prefix");
      }
      if (id_m[k] < 0) {
        return merge_at.Error("\"", a, " ", b, "\": merged token \"", merged[k], "\" is not in the vocabulary");
      }
    }
  }

  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    m->byte_ids_[b] = m->vocab_.Find(name);
  }
  if (config.unk_token) m->unk_id_ = m->vocab_.Find(*config.unk_token);
  return m;
}

Status ReadBpeOptions(const Json& model, const JsonPath& at, BpeConfig& config) {
  ANEMLL_ASSIGN_OR_RETURN(config.unk_token, detail::OptStringOrNull(model, "unk_token", at));
  ANEMLL_ASSIGN_OR_RETURN(config.continuing_subword_prefix,
                          detail::OptStringOrNull(model, "continuing_subword_prefix", at));
  ANEMLL_ASSIGN_OR_RETURN(config.end_of_word_suffix, detail::OptStringOrNull(model, "end_of_word_suffix", at));
  ANEMLL_ASSIGN_OR_RETURN(config.fuse_unk, detail::OptBool(model, "fuse_unk", at, false));
  ANEMLL_ASSIGN_OR_RETURN(config.byte_fallback, detail::OptBool(model, "byte_fallback", at, false));
  ANEMLL_ASSIGN_OR_RETURN(config.ignore_merges, detail::OptBool(model, "ignore_merges", at, false));
  return Status::Ok();
}

Result<BpeConfig> BpeConfigFromJson(const Json& model, const JsonPath& at) {
  BpeConfig config;
  ANEMLL_RETURN_IF_ERROR(ReadBpeOptions(model, at, config));
  ANEMLL_ASSIGN_OR_RETURN(const Json* vocab, detail::ReqObject(model, "vocab", at));
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it->is_number_integer()) {
      return at.Key("vocab").Error("token \"", it.key(), "\": expected an integer id, got ",
                                   detail::JsonTypeName(*it));
    }
    config.vocab.emplace_back(it.key(), it->get<int64_t>());
  }
  ANEMLL_ASSIGN_OR_RETURN(const Json* merges, detail::ReqArray(model, "merges", at));
  for (size_t i = 0; i < merges->size(); ++i) {
    const Json& e = (*merges)[i];
    if (e.is_string()) {
      const std::string& line = e.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        return at.Key("merges").Index(i).Error("expected \"left right\", got \"", line, "\"");
      }
      config.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      config.merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      return at.Key("merges").Index(i).Error("expected \"left right\" or [\"left\", \"right\"]");
    }
    config.merge_source.push_back(i);
  }
  return config;
}

}  // namespace anemll::tokenizer
