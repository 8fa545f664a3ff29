// Defines the seeded fault plan and the connection reset.
#include "emulators/faults.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>


#include <httplib.h>

namespace crmx::emulate {
namespace {

// SplitMix64: a good 64-bit mix of (seed, seq), so the plan is a pure function of both.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int LocalPort(int fd, bool peer) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return -1;
}

}  // namespace

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kNone: return "none";
    case Fault::kTooManyRequests: return "429";
    case Fault::kUnavailable: return "503";
    case Fault::kTimeout: return "timeout";
    case Fault::kResetBeforeApply: return "reset_before_apply";
    case Fault::kSlow: return "slow";
    case Fault::kResetAfterApply: return "reset_after_apply";
  }
  return "none";
}

Fault FaultPlan::Decide(uint64_t seq) const {
  if (rate_ <= 0) return Fault::kNone;
  uint64_t roll = Mix(seed_ * 0x100000001b3ULL ^ seq);
  double share = static_cast<double>(roll >> 11) / static_cast<double>(1ULL << 53);
  if (share >= rate_) return Fault::kNone;
  static constexpr Fault kKinds[] = {Fault::kTooManyRequests, Fault::kUnavailable,  Fault::kTimeout,
                                     Fault::kResetBeforeApply, Fault::kSlow,         Fault::kResetAfterApply};
  return kKinds[Mix(roll) % 6];
}

void ResetConnection(const httplib::Request& req) {
  // cpp-httplib does not hand a handler its socket, so find it: the one accepted socket
  // whose local and peer ports are this request's. Then SO_LINGER {on, 0} makes the close
  // send RST instead of FIN, and dup2 of /dev/null over the descriptor is that close, done
  // atomically: the number stays taken (no other thread can get it from accept meanwhile),
  // httplib's later send() on it fails (ENOTSOCK) and its close() closes /dev/null.
  long max_fd = sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < max_fd && fd < 65536; ++fd) {
    if (LocalPort(fd, false) != req.local_port || LocalPort(fd, true) != req.remote_port) continue;
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      dup2(null_fd, fd);
      close(null_fd);
    }
    return;
  }
}

}  // namespace crmx::emulate
