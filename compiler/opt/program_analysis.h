// Defines what the optimizer's passes know about a program's code: its basic blocks, which
// blocks dominate which, and, per instruction, the pure expression that instruction ends.
//
// A pure expression is a contiguous run of instructions inside one basic block that pushes one
// value computed only from constants and inputs: no jump, no local slot, no `fail`. Inside a
// block the analysis keeps a symbolic operand stack; a value pushed before the block starts
// (a jump target) is unknown, so an expression never spans two blocks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "runtime/vm/bytecode.h"

namespace crmx::opt {

struct PureExpr {
  size_t begin = 0;       // its first instruction
  size_t end = 0;         // one past its last instruction (the operation itself)
  bool constant = false;  // it reads no input
  size_t operands = 0;    // how many values its last instruction pops
  // Equal keys compute equal values (same operations on the same constants and inputs).
  std::string key;
};

struct ProgramAnalysis {
  std::vector<size_t> block_of;  // per instruction: its basic block
  // dominates[a][b]: every path from the start to block b goes through block a.
  std::vector<std::vector<bool>> dominates;
  std::vector<std::optional<PureExpr>> expr_ending_at;  // per instruction
};

ProgramAnalysis Analyze(const vm::Program& p);

// Whether `op` may transfer control to its `arg` (it then ends a basic block).
bool IsJump(vm::Op op);
// Whether a call of `b` depends only on its arguments (true of every builtin but none that
// reads mutable state; used for common subexpressions within one run).
bool IsPureBuiltin(vm::Builtin b);
// Whether a call of `b` on constants may be computed at compile time: pure, and independent of
// data that can differ between the compiling and the running machine or crmx version (time
// zone rules, country and phone metadata).
bool IsFoldableBuiltin(vm::Builtin b);

// A text that identifies a value exactly (kind, digits, scale, bits of a double); none for an
// error. Two values with the same key behave the same in every operation.
std::optional<std::string> ExactKey(const value::Value& v);

}  // namespace crmx::opt
