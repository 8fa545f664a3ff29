// Defines the optional JIT of the expression VM (built only with -DCRMX_JIT=ON, on LLVM 14
// ORC): it compiles a vm::Program to one native function and sets Program::native, which
// VM::Run then calls instead of its interpreter loop (docs/cli.md, "The JIT").
//
// How a program is compiled: the stack discipline of the bytecode is static (bytecode.h), so
// every pc has a known operand-stack height; the operand stack and the locals become a fixed
// array of Value slots in the native frame and jumps become native branches. What each opcode
// does to values is a call to a helper (helpers.h) that runs the VM's own code for it, so the
// values, errors, `??` fallback counts and holds are the VM's. A program the JIT does not
// cover (an opcode left out with Options::leave_out, or bytecode whose stack heights do not
// agree) is not compiled: it keeps running on the VM, and Stats counts it with the reason.
//
// The Jit object owns the native code: it must outlive every run of the programs it compiled
// (and their copies, which share Program::native). A compiled program must not be changed
// (its code is in the native function; its constants are read from the Program at run time).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/vm/bytecode.h"

namespace crmx::jit {

struct Options {
  // Opcodes treated as not covered (a program using one stays on the VM): for tests of the
  // fallback and for bisecting a difference between the JIT and the VM.
  std::set<vm::Op> leave_out;
};

struct Stats {
  size_t programs = 0;  // programs given to Compile
  size_t compiled = 0;  // of them, compiled to native code
  // Why the others stay on the VM: an opcode's name ("in", "call"), or "stack" (heights that
  // do not agree), with how many programs each kept on the VM.
  std::map<std::string, size_t> on_vm;
  double compile_ms = 0;  // wall time spent building and compiling modules

  // "jit: 41 of 43 programs compiled, 2 on the VM (ops: in 2), 12.5 ms".
  std::string Summary() const;
};

class Jit {
 public:
  // The JIT for this host; null with `error` set when LLVM cannot target it.
  static std::unique_ptr<Jit> Create(std::string& error, Options options = {});
  ~Jit();
  Jit(const Jit&) = delete;
  Jit& operator=(const Jit&) = delete;

  // Compiles `programs` (one module, one native function each) and sets `native` on those it
  // covers. False with `error` set when LLVM fails (then none of them is compiled).
  bool Compile(const std::vector<vm::Program*>& programs, std::string& error);
  // Every program of `plan`: the maps' steps and flag probes, their shared values, the syncs'
  // `when`, the reconciles' expressions and the alerts' conditions.
  bool CompilePlan(plan::Plan& plan, std::string& error);

  const Stats& stats() const { return stats_; }

  // Why `program` cannot be compiled ("" when it can): see Stats::on_vm.
  std::string Uncovered(const vm::Program& program) const;

 private:
  struct Impl;
  explicit Jit(std::unique_ptr<Impl> impl, Options options);
  std::unique_ptr<Impl> impl_;
  Options options_;
  Stats stats_;
};

}  // namespace crmx::jit
