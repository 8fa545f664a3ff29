// Declares the optimizer's passes (optimize.h runs them in order). Each rewrites a program in
// place and returns how many rewrites it made.
#pragma once

#include "runtime/vm/bytecode.h"

namespace crmx::opt {

// constant_folding.cpp: operations on constants replaced by their value.
int FoldConstants(vm::Program& p);
// common_subexpressions.cpp: repeated pure expressions replaced by a local holding the first.
int ShareCommonSubexpressions(vm::Program& p);

}  // namespace crmx::opt
