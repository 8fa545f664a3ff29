// Defines HashText: a fast 64-bit hash of short texts (keys, ids, names, spellings) for the
// runtime's in-memory tables: the string index of large maps (value.cpp), the queued keys
// (engine/key_filter.h), std.geo's index and memo, and the JSONL writer's key filter. Eight bytes
// at a time, the last 1-7 without a variable-length copy, then mixed so that every bit depends
// on every byte (the writer's Bloom filter takes its block and its probes from different bits).
// Not stable across versions: never persisted.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace crmx::value {

inline uint64_t HashText(std::string_view s) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t h = n * kMul;
  auto mix = [&h](uint64_t x) {
    h = (h ^ x) * kMul;
    h ^= h >> 29;
  };
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x;
      std::memcpy(&x, p + i, 8);
      mix(x);
    }
    if (i < n) {  // the last eight bytes, overlapping (the length is in `h`)
      uint64_t x;
      std::memcpy(&x, p + n - 8, 8);
      mix(x);
    }
  } else {
    // Two overlapping 4-byte reads, or the first, middle and last byte: every byte is read.
    uint64_t x = 0;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      x = lo | static_cast<uint64_t>(hi) << 32;
    } else if (n > 0) {
      x = static_cast<uint8_t>(p[0]) | static_cast<uint64_t>(static_cast<uint8_t>(p[n / 2])) << 8 |
          static_cast<uint64_t>(static_cast<uint8_t>(p[n - 1])) << 16;
    }
    mix(x);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace crmx::value
