// Defines the optimizer of expression programs: the phase after lowering that rewrites one
// vm::Program so it computes the same value, for every input, with less work. The entry point
// is Optimize(); the lowering runs it on every program unless LowerOptions::optimize is false.
//
// Passes, in order:
// 1. Constant folding (constant_folding.cpp): an operation whose operands are all constants
//    is replaced by its value, computed by the VM itself (the same runtime code the plan
//    runs). Nothing is folded whose value is an error (`1 / 0`, an overflow: errors stay
//    errors at run time), nor a call whose result depends on data that may differ between
//    the machine that compiles and the one that runs (time zones, geography, phone metadata).
// 2. Common subexpressions (common_subexpressions.cpp): a pure expression computed twice in
//    one program is computed once and kept in a new local slot, when its first computation
//    runs on every path that reaches the second (dominance). Scope: one program (one step's
//    value, one `when` conjunct); expressions reading macro variables are left alone.
// 3. The constant pool keeps only the constants the code uses, equal ones once.
#pragma once

#include "runtime/vm/bytecode.h"

namespace crmx::opt {

struct OptimizeStats {
  int folded = 0;  // operations replaced by their constant value
  int shared = 0;  // repeated subexpressions replaced by a load of the first one's value
};

// Rewrites `program` in place. Never changes its inputs (input_names stay as they are).
OptimizeStats Optimize(vm::Program& program);

}  // namespace crmx::opt
