// Defines the fault points of the emulators (FoundationDB's BUGGIFY, in small): which API
// call fails and how, decided from the seed and the call's sequence number alone, so the
// same seed and the same sequence of calls give the same faults. Also defines how a
// connection is cut without an answer.
#pragma once

#include <cstdint>
#include <string>

namespace httplib {
struct Request;
}

namespace crmx::emulate {

// What happens to one call. Every kind but kResetAfterApply fails before the call is applied.
enum class Fault {
  kNone,
  kTooManyRequests,    // 429 with Retry-After: 1, not applied
  kUnavailable,        // 503, not applied
  kTimeout,            // held for --fault-delay-ms, then cut without an answer, not applied
  kResetBeforeApply,   // cut at once without an answer, not applied
  kSlow,               // held for --fault-delay-ms, then answered normally
  kResetAfterApply,    // applied and journaled, then cut without an answer
};

const char* FaultName(Fault f);

class FaultPlan {
 public:
  FaultPlan(double rate, uint64_t seed) : rate_(rate), seed_(seed) {}
  // The fault of API call number `seq` (1-based, counted over all API calls).
  Fault Decide(uint64_t seq) const;

 private:
  double rate_;
  uint64_t seed_;
};

// Cuts the connection `req` came on: the peer sees a reset (RST), and the server's own later
// writes to it go nowhere. See the comment in faults.cpp for how.
void ResetConnection(const httplib::Request& req);

}  // namespace crmx::emulate
