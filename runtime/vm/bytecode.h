// Defines the bytecode of crmx expressions: a Program is a flat vector of fixed-size
// instructions plus a constant pool, run by the stack machine of vm.h. No tree is walked at
// run time; macros (`all`, `exists`, `exists_one`, `map`, `filter`, the two-variable macros
// `all(i, v, p)`, `existsOne`, `transformList`, `transformMap`, and `cel.bind`) are loops of
// jumps over local slots.
//
// Stack discipline: every expression leaves exactly one value on the operand stack; jumps
// land with the stack at the height their target expects (documented per opcode).
// Locals: slots 0..local_count-1 hold macro variables, loop state and accumulators.
// Inputs: `LoadInput i` reads the i-th input value given to the VM (the `--var`s, later a
// record's fields); `input_names` names them for the caller who binds them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/value/value.h"

namespace crmx::vm {

enum class Op : uint8_t {
  // Push a constant: arg = index into constants.
  kConst,
  // Push input `arg`.
  kLoadInput,
  // Push / pop-into local slot `arg`.
  kLoadLocal,
  kStoreLocal,
  kPop,
  // Binary arithmetic on the two top values (left below right): CEL semantics, overflow and
  // division by zero are error values.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kNeg,
  kNot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  // `a && b`: `JumpIfFalseKeep end` after a (keeps a false and jumps), then b, then kAnd, which
  // combines with CEL's commutative error rules (false wins over an error).
  kJumpIfFalseKeep,
  kJumpIfTrueKeep,
  kAnd,
  kOr,
  kJump,
  // Pops a bool; jumps to arg when it is false.
  kJumpIfFalse,
  // If the top is not a bool, replaces it with an error (unless it already is one) and jumps
  // to arg; otherwise leaves it. Used by `?:` before kJumpIfFalse.
  kTestBool,
  // `??`: if the top is neither null nor an error (a failure is handled by the fallback),
  // jumps to arg keeping it; otherwise pops it and falls through to the fallback.
  kCoalesce,
  // Field selection on a map: arg = constant (the field name). Missing key: error.
  kSelect,
  // has(m.f): arg = constant (the field name).
  kHas,
  kIndex,
  // Build a list of the `arg` top values / a map of the 2*`arg` top values (key, value...).
  kMakeList,
  kMakeMap,
  // Call builtin `arg` (a Builtin) with the `a` top values as arguments.
  kCall,
  // Macros. IterInit: pops the range; if it is not a list or map, pushes an error and jumps to
  // arg; else stores the elements (the keys of a map) in local `a` and index 0 in local a+1.
  kIterInit,
  // IterNext: if local a+1 (index) is past the end of local a, jumps to arg; else stores the
  // element in local a+2 and advances.
  kIterNext,
  // Pops a value; jumps to arg when it is the bool false / true (loop exits of all/exists).
  kJumpIfFalseValue,
  kJumpIfTrueValue,
  // Pops a value and appends it to the list in local `arg` (map); an error value replaces it.
  kAppendLocal,
  // Pops a predicate: true appends local `a` to the list in local `arg`; an error or non-bool
  // replaces the list with an error (filter).
  kFilterStep,
  // Pops a predicate: true adds 1 to the int in local `arg`; error replaces it (exists_one).
  kCountStep,
  // Pushes an error value: arg = constant (the reason). Used for hold "reason" with a=1.
  kFail,
  // Two-variable macros. IterPair: after IterNext on slot `a`, with the range in local `arg`,
  // stores the first variable in local a+3 (a list's index, a map's key) and the second in
  // local a+4 (the element, the key's value).
  kIterPair,
  // Pops a value and appends local `a` then the value to the list in local `arg` (an error
  // value replaces the list): the key/value pairs of transformMap.
  kAppendPairLocal,
  // Replaces the list of alternating keys and values on top with the map they make (errors
  // stay).
  kPairsToMap,
  // `s.split("").filter(c, test).join(sep)` in one pass, with no list: pops s and pushes the
  // characters of s (the pieces split("") gives) for which the test holds, joined with the
  // separator; test and separator are the text filter in constant `arg` (TextFilterValid). The
  // test compares one character with string constants as the predicate's `<`, `==`, `in`
  // would, so the result is the three calls' exactly; a value that is not a string gives what
  // they give it (an error).
  kFilterText,
};

// The text filter of kFilterText: a list constant, the separator (a string) first, then the
// character test as postfix code, each step an int (CharTestStep) and, for a comparison, the
// string it compares the character with next. Comparisons push a bool, kCharAnd/kCharOr
// combine the two top ones, kCharNot negates the top one; the test holds when the one bool
// left is true.
enum class CharTestStep : int64_t {
  kCharLt,  // character < text
  kCharLe,
  kCharGt,
  kCharGe,
  kCharEq,
  kCharNe,
  kCharAnd,
  kCharOr,
  kCharNot,
};
// The deepest stack a test may need (a lowering that would need more keeps the loop).
inline constexpr size_t kMaxCharTestDepth = 32;
// Whether `filter` is a well-formed text filter (the plan reader refuses any other).
bool TextFilterValid(const value::Value& filter);
// Whether the character `ch` passes the test of `filter` (TextFilterValid).
bool CharTestHolds(const value::Value& filter, std::string_view ch);

// The builtin functions kCall can run.
enum class Builtin : uint16_t {
  kSize,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kInt,
  kUint,
  kDouble,
  kDecimal,
  kString,
  kBool,
  kBytes,
  kTimestamp,
  kDuration,
  kType,
  kDyn,
  // CEL's string extensions (cel-go ext.Strings) and strings.quote.
  kIndexOf,
  kLastIndexOf,
  kSubstring,
  kCharAt,
  kLowerAscii,
  kUpperAscii,
  kReverse,
  kQuote,
  // CEL's math extensions (cel-go ext.Math).
  kMathGreatest,
  kMathLeast,
  kMathCeil,
  kMathFloor,
  kMathRound,
  kMathTrunc,
  kMathAbs,
  kMathSign,
  kMathIsInf,
  kMathIsNaN,
  kMathIsFinite,
  kBitAnd,
  kBitOr,
  kBitXor,
  kBitNot,
  kBitShiftLeft,
  kBitShiftRight,
  // The standard modules (runtime/stdlib, docs/stdlib.md). A null argument gives null.
  kTrim,
  kUpper,
  kLower,
  kTruncate,
  kReplace,  // also CEL's replace(old, new, count)
  kSplit,    // also CEL's split(sep, limit)
  kJoin,     // also CEL's list.join() with no separator
  kFormat,   // also CEL's fmt.format([args])
  kStateCode,
  kCountryCode,
  kCurrencyOf,
  kE164,
  kRound,
  kConvert,
  kParseDate,
  kParseDatetime,
  kFormatDate,
  kFormatDatetime,
  kSfId18,
  kDigits,
  kReReplace,
  kReExtract,
  // `date("2024-01-19")`: a date from ISO 8601 text (YYYY-MM-DD), or the day of a date or
  // datetime. Last, so earlier builtins keep their numbers.
  kDate,
  // `now()`, `today([zone])`: the run's clock (VM::SetClock), fixed for the whole run.
  kNow,
  kToday,
};

// The first builtin of the standard modules: from here on, CallStd() runs them.
inline constexpr Builtin kFirstStdBuiltin = Builtin::kTrim;

// The builtin named `name` (CEL spelling) and its arity range; false when there is none.
bool FindBuiltin(const std::string& name, Builtin& out, size_t& min_args, size_t& max_args);
const char* BuiltinName(Builtin b);

struct Instr {
  Op op;
  uint8_t pad = 0;
  uint16_t a = 0;   // second operand (local slot, argument count)
  int32_t arg = 0;  // constant index, jump target, input index, local slot
};
static_assert(sizeof(Instr) == 8);

// One instruction of the VM's own form of a program (vm.cpp): the program's instructions with
// some runs of them fused into one (superinstructions), each at the position of the run's first
// instruction, the rest of the run left in place for jumps that land inside it. Not part of the
// plan: crmxc and the JIT read Program::code only.
struct VmInstr {
  uint8_t op;     // an Op, or one of vm.cpp's fused operations
  uint8_t sub;    // fused: where the operands come from
  uint16_t a;     // Instr::a; fused: the operation or builtin
  int32_t arg;    // Instr::arg; fused: a jump target
  int32_t x, y;   // fused: the operands (input, constant or local)
};
static_assert(sizeof(VmInstr) == 16);

// The VM's form of a Program's code, built at the program's first run (VM::Run) and kept with
// it. A copy of the Program builds its own; `code` must not change after the first run.
class VmCode {
 public:
  VmCode() = default;
  VmCode(const VmCode&) noexcept {}
  VmCode& operator=(const VmCode&) noexcept {
    Reset();
    return *this;
  }
  ~VmCode() { Reset(); }
  const std::vector<VmInstr>* Get() const { return code_.load(std::memory_order_acquire); }
  // Keeps `code` unless another thread kept its own first; returns the one kept.
  const std::vector<VmInstr>* Keep(std::unique_ptr<std::vector<VmInstr>> code) const {
    const std::vector<VmInstr>* expected = nullptr;
    if (code_.compare_exchange_strong(expected, code.get(), std::memory_order_acq_rel)) return code.release();
    return expected;
  }

 private:
  void Reset() { delete code_.exchange(nullptr); }
  mutable std::atomic<const std::vector<VmInstr>*> code_{nullptr};
};

class VM;
struct Program;
// A program compiled to native code by the optional JIT (runtime/jit, -DCRMX_JIT=ON): runs it
// on `vm` as VM::Run would and stores its value in `*out`.
using NativeFn = void (*)(VM& vm, const Program& program, const value::Value* inputs, value::Value* out);

struct Program {
  std::vector<Instr> code;
  std::vector<value::Value> constants;
  std::vector<std::string> input_names;  // input i is bound by the caller under this name
  uint32_t local_count = 0;
  // Set by the JIT when it compiled this program: VM::Run calls it instead of its loop.
  NativeFn native = nullptr;
  // The VM's form of `code`, built by its first run.
  VmCode vm_code;

  // One instruction a line: "  3  add", "  4  jump_if_false 9", "  5  const 2  ; 1.5".
  std::string Disassemble() const;
};

const char* OpName(Op op);

}  // namespace crmx::vm
