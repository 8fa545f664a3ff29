// Defines the named crash points of the delivery code, for the crash-safety tests
// (tests/e2e/http/crash_points_http.py): with CRMX_CRASH_AT=NAME:N in the environment, the N-th
// pass through crash point NAME kills the process with SIGKILL, as a power cut or `kill -9`
// would, at a moment chosen on purpose. Without the variable a crash point costs one branch.
#pragma once

#include <string>
#include <vector>

namespace crmx::engine {

// Every crash point, in the order a map's delivery passes them (`crmx-run crash-points`).
const std::vector<std::string>& CrashPointNames();

// Passes crash point `name` (one of CrashPointNames()); dies there when CRMX_CRASH_AT says so.
void CrashPoint(const char* name);

}  // namespace crmx::engine
