// Tests KeyFilter (runtime/engine/key_filter.h): every key added is held, keys never added are
// not (no collision among these), growth keeps them, and Add tells a new key from a known one.
#include <doctest/doctest.h>

#include <string>

#include "runtime/engine/key_filter.h"

TEST_CASE("KeyFilter holds the keys added, through growth, and no others") {
  crmx::engine::KeyFilter f;
  CHECK_FALSE(f.MayHold("0015e00000000AAAAA"));
  CHECK(f.size() == 0);
  int fresh = 0;
  for (int i = 0; i < 100000; ++i) fresh += f.Add("K" + std::to_string(i)) ? 1 : 0;
  CHECK(fresh == 100000);
  CHECK(f.size() == 100000);
  // Added again: not new, and nothing is added.
  CHECK_FALSE(f.Add("K0"));
  CHECK_FALSE(f.Add("K99999"));
  CHECK(f.size() == 100000);
  int held = 0, others = 0;
  for (int i = 0; i < 100000; ++i) held += f.MayHold("K" + std::to_string(i)) ? 1 : 0;
  for (int i = 100000; i < 200000; ++i) others += f.MayHold("K" + std::to_string(i)) ? 1 : 0;
  CHECK(held == 100000);
  CHECK(others == 0);  // a collision is possible in principle (~n / 2^64), not among these
  CHECK_FALSE(f.MayHold(""));
  CHECK(f.Add(""));  // the empty key is a key like any other
  CHECK(f.MayHold(""));
}

TEST_CASE("KeyFilter asked in two steps: Prefetch's hash answers as MayHold, across growth") {
  crmx::engine::KeyFilter f;
  uint64_t early = f.Prefetch("K7");  // asked of an empty table: no slot to fetch
  CHECK_FALSE(f.MayHoldHash(early));
  // The hash taken before the table grew still finds the key after it.
  for (int i = 0; i < 5000; ++i) f.Add("K" + std::to_string(i));
  CHECK(f.MayHoldHash(early));
  CHECK(f.Prefetch("K7") == early);
  int held = 0, others = 0;
  for (int i = 0; i < 5000; ++i) held += f.MayHoldHash(f.Prefetch("K" + std::to_string(i))) ? 1 : 0;
  for (int i = 5000; i < 10000; ++i) others += f.MayHoldHash(f.Prefetch("K" + std::to_string(i))) ? 1 : 0;
  CHECK(held == 5000);
  CHECK(others == 0);
}
