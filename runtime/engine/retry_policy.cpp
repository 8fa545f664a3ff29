// Defines the retry policy (retry_policy.h).
#include "runtime/engine/retry_policy.h"

#include <algorithm>

namespace crmx::engine {

RetryPolicy PolicyOf(const plan::Sync* sync) {
  RetryPolicy p;
  if (sync == nullptr || !sync->retry) return p;
  const plan::Retry& r = *sync->retry;
  p.retries = std::max<int64_t>(0, r.attempts);
  p.jitter = r.jitter;
  if (!r.backoff.empty()) p.backoff = r.backoff;
  if (!r.backoff_args_ms.empty()) {
    p.base_ms = std::max<int64_t>(0, r.backoff_args_ms[0]);
    p.cap_ms = r.backoff_args_ms.size() > 1 ? std::max(p.base_ms, r.backoff_args_ms[1]) : std::max(p.base_ms, p.cap_ms);
  }
  return p;
}

int64_t BackoffMs(const RetryPolicy& p, int64_t attempt, const std::string& idem, int64_t retry_after_ms) {
  attempt = std::max<int64_t>(1, attempt);
  int64_t wait = p.base_ms;
  if (p.backoff == "exponential") {
    for (int64_t i = 1; i < attempt && wait < p.cap_ms; ++i) wait *= 2;
  } else if (p.backoff == "linear") {
    wait = p.base_ms * attempt;
  }
  wait = std::min(wait, p.cap_ms);
  if (p.jitter && wait > 1) {
    // FNV-1a over the key and the attempt: the same delivery waits the same on every run.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : idem) h = (h ^ c) * 1099511628211ull;
    for (int i = 0; i < 8; ++i) h = (h ^ static_cast<unsigned char>(attempt >> (8 * i))) * 1099511628211ull;
    int64_t half = wait / 2;
    wait = half + static_cast<int64_t>(h % static_cast<uint64_t>(wait - half + 1));
  }
  return std::max(wait, retry_after_ms);
}

}  // namespace crmx::engine
