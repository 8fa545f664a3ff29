// Defines the `--engine vm|jit` choice of crmx-run and crmxc (header only, so it compiles in
// every build): with -DCRMX_JIT=ON (crmx_jit linked, CRMX_HAVE_JIT defined) `jit` compiles the
// plan's programs with the JIT (jit.h); without it, `jit` is a usage error (exit 2) and the
// Jit below is a stub that is never created.
#pragma once

#include <iostream>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/vm/bytecode.h"

#ifdef CRMX_HAVE_JIT
#include "runtime/jit/jit.h"
#else
namespace crmx::jit {
struct Stats {
  size_t programs = 0;
  size_t compiled = 0;
  std::string Summary() const { return {}; }
};
class Jit {
 public:
  bool Compile(const std::vector<vm::Program*>&, std::string&) { return true; }
  bool CompilePlan(plan::Plan&, std::string&) { return true; }
  const Stats& stats() const { return stats_; }

 private:
  Stats stats_;
};
}  // namespace crmx::jit
#endif

namespace crmx::jit {

inline constexpr const char* kEngineHelp =
    "vm (default): the bytecode VM; jit: compile the expressions to native code first (LLVM; a build "
    "with -DCRMX_JIT=ON; docs/cli.md, The JIT)";

// `--engine ENGINE`: "vm" leaves `out` null; "jit" creates the JIT. Returns 0, or prints the
// error on stderr and returns the exit status: 2 when this build has no JIT (a usage error), 1
// when LLVM cannot target this host.
inline int OpenEngine(const std::string& engine, std::unique_ptr<Jit>& out) {
  if (engine != "jit") return 0;
#ifdef CRMX_HAVE_JIT
  std::string error;
  out = Jit::Create(error);
  if (!out) {
    std::cerr << "error: --engine jit: " << error << "\n";
    return 1;
  }
  return 0;
#else
  (void)out;
  std::cerr << "error: --engine jit: this build has no JIT (configure with -DCRMX_JIT=ON, which needs "
               "llvm-14-dev; docs/cli.md, The JIT)\n";
  return 2;
#endif
}

}  // namespace crmx::jit
