// Defines when a failed write is sent again (docs/operations.md, "Retries and dead letters"):
// the sync's `retry N backoff KIND(ARGS) jitter`, or the default policy of a sync that says
// none, turned into the wait before each re-send.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/plan/plan.h"

namespace crmx::engine {

struct RetryPolicy {
  int64_t retries = 3;           // re-sends after the first send; then the record is dead-lettered
  std::string backoff = "exponential";  // exponential, linear, fixed
  int64_t base_ms = 1000;        // the first wait
  int64_t cap_ms = 60000;        // no wait is longer (Retry-After apart)
  bool jitter = true;
};

// The sync's policy; without `retry`, the default above (3 re-sends, exponential(1s, 1m),
// jitter). `retry N` without a backoff waits exponential(1s, 1m).
RetryPolicy PolicyOf(const plan::Sync* sync);

// The wait before re-send number `attempt` (1: the first re-send) of the delivery whose
// idempotency key is `idem`: exponential base*2^(attempt-1), linear base*attempt or fixed
// base, capped; with jitter, between half of it and all of it (a deterministic draw from the
// key and the attempt, so a crash and a restart keep the schedule). Never shorter than what
// the system asked for (`retry_after_ms`, Retry-After; -1 when it asked for none).
int64_t BackoffMs(const RetryPolicy& p, int64_t attempt, const std::string& idem, int64_t retry_after_ms);

}  // namespace crmx::engine
