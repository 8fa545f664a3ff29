// Defines how the optimizer's passes change a program: replacing runs of instructions while
// keeping every jump pointed at the same place, and compacting the constant pool.
#pragma once

#include <vector>

#include "runtime/vm/bytecode.h"

namespace crmx::opt {

// Replaces the instructions [begin, end) with `code`; begin == end inserts `code` before
// `begin`. A jump to `begin` lands after inserted code and at the start of replacing code: an
// insertion continues the computation that falls through to it, which a jump did not make.
struct Edit {
  size_t begin = 0;
  size_t end = 0;
  std::vector<vm::Instr> code;
};

// Applies `edits` (they must not overlap; an insertion may share its position with the start
// of a replacement). A jump into the middle of a replaced run is a broken invariant.
void ApplyEdits(vm::Program& p, std::vector<Edit> edits);

// Drops the constants no instruction uses and keeps equal ones (same ExactKey) once.
void CompactConstants(vm::Program& p);

}  // namespace crmx::opt
