// Defines the crash points (crash_points.h).
#include "runtime/engine/crash_points.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace crmx::engine {

namespace {

struct Armed {
  std::string name;  // "" when CRMX_CRASH_AT is not set (or malformed: then it says so once)
  long at = 0;
  long passes = 0;
};

Armed& Target() {
  static Armed armed = [] {
    Armed a;
    const char* v = std::getenv("CRMX_CRASH_AT");
    if (v == nullptr || *v == '\0') return a;
    std::string s = v;
    size_t colon = s.rfind(':');
    char* end = nullptr;
    long n = colon == std::string::npos ? 1 : std::strtol(s.c_str() + colon + 1, &end, 10);
    std::string name = colon == std::string::npos ? s : s.substr(0, colon);
    bool known = false;
    for (const std::string& p : CrashPointNames()) known = known || p == name;
    if (!known || n < 1 || (end != nullptr && *end != '\0')) {
      std::string msg = "crmx-run: CRMX_CRASH_AT=" + s + " names no crash point (crmx-run crash-points lists them); ignored\n";
      if (::write(2, msg.data(), msg.size()) < 0) {
      }
      return a;
    }
    a.name = name;
    a.at = n;
    return a;
  }();
  return armed;
}

}  // namespace

const std::vector<std::string>& CrashPointNames() {
  static const std::vector<std::string> names{
      "after_decide_before_commit", "after_commit_before_send", "after_send_before_commit", "after_result_commit",
      "in_retry_after_send",        "before_cursor_save",       "after_writer_commit_before_state_commit"};
  return names;
}

void CrashPoint(const char* name) {
  Armed& a = Target();
  if (a.name.empty() || a.name != name) return;
  if (++a.passes == a.at) {
    std::string msg = std::string("crmx-run: crash point ") + name + ":" + std::to_string(a.at) + " (CRMX_CRASH_AT): SIGKILL\n";
    if (::write(2, msg.data(), msg.size()) < 0) {
    }
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace crmx::engine
