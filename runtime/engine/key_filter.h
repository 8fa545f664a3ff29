// Defines KeyFilter: a set of record keys kept as their 64-bit hashes, 8 bytes a key in an
// open-addressing table, for the engine's "is this record in a queue?" (the keys of queued
// records, which a run of millions of records may hold by the hundred thousand: as strings in
// a node-based set they cost ~90 bytes each and took crmx-run past 64 MiB at 10M records).
//
// A hash answers "maybe": MayHold is true for every key added and, for a key never added, only
// when its hash collides with one (about n / 2^64). Callers treat true as "maybe in a queue" and
// do what is right either way (clear the record's items: a DELETE that finds nothing), so a
// collision costs a statement, never a wrong answer; false is certain.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "runtime/value/text_hash.h"

namespace crmx::engine {

class KeyFilter {
 public:
  // Adds `key`; true when it was not (maybe) held before.
  bool Add(std::string_view key) {
    // Up to 3/4 full: at 10M records' 786k queued keys that is 8 MiB of slots (and 12 MiB while
    // the last growth copies), not the 16 MiB (24 MiB) of a half-full table; a miss, MayHold's
    // usual answer, probes a few more slots of the same cache lines.
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    uint64_t h = Hash(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++count_;
        return true;
      }
    }
  }
  bool MayHold(std::string_view key) const { return MayHoldHash(Hash(key)); }
  // The same in two steps, for a caller that knows the key well before it asks (the engine: a
  // record's key when it is read, the question when the record is written). Its hash, with
  // the key's first slot fetched into the cache: at 15,796 queued keys the table is 256 KiB,
  // which the record's other work pushes out of L2, and the probe was a cache miss a record.
  uint64_t Prefetch(std::string_view key) const {
    uint64_t h = Hash(key);
    if (count_ != 0) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
    return h;
  }
  // The same for a hash Prefetch of another filter returned (every KeyFilter hashes alike).
  void PrefetchHash(uint64_t hash) const {
    if (count_ != 0) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }
  // MayHold of the key whose Prefetch returned `hash` (the table may have grown since).
  bool MayHoldHash(uint64_t hash) const {
    if (count_ == 0) return false;
    for (size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == hash) return true;
      if (slots_[i] == 0) return false;
    }
  }
  size_t size() const { return count_; }

 private:
  // 0 marks an empty slot: a key hashing to 0 is kept as 1.
  static uint64_t Hash(std::string_view key) {
    uint64_t h = value::HashText(key);
    return h == 0 ? 1 : h;
  }
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, 0);
    count_ = 0;
    for (uint64_t h : old) {
      if (h == 0) continue;
      size_t i = h & (slots_.size() - 1);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = h;
      ++count_;
    }
  }

  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

}  // namespace crmx::engine
