// Defines EffectOf: how many values an instruction that does not jump pops from the operand
// stack and pushes on it (bytecode.h documents each opcode). The optimizer's expression
// analysis (compiler/opt) and the JIT's stack heights (runtime/jit) both read it; the jumps
// (kJump*, kTestBool, kCoalesce, kIterInit, kIterNext) are each caller's own, since what they
// leave depends on the edge taken.
#pragma once

#include <cstddef>

#include "runtime/vm/bytecode.h"

namespace crmx::vm {

struct StackEffect {
  size_t pops = 0;
  size_t pushes = 0;
};

inline StackEffect EffectOf(const Instr& in) {
  switch (in.op) {
    case Op::kConst:
    case Op::kLoadInput:
    case Op::kLoadLocal:
    case Op::kFail: return {0, 1};
    case Op::kStoreLocal:
    case Op::kPop:
    case Op::kAppendLocal:
    case Op::kFilterStep:
    case Op::kCountStep:
    case Op::kAppendPairLocal: return {1, 0};
    case Op::kNeg:
    case Op::kNot:
    case Op::kSelect:
    case Op::kHas:
    case Op::kPairsToMap:
    case Op::kFilterText: return {1, 1};
    // A negative count is a broken program: an effect no stack has, which callers refuse.
    case Op::kMakeList: return {static_cast<size_t>(in.arg), 1};
    case Op::kMakeMap: return {2 * static_cast<size_t>(in.arg), 1};
    case Op::kCall: return {in.a, 1};
    case Op::kIterPair: return {0, 0};
    default: return {2, 1};  // the binary operators, index, and/or
  }
}

}  // namespace crmx::vm
