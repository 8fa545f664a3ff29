// Defines the VM: runs a Program (bytecode.h) over input values and returns the expression's
// value, which may be an error value with its reason (never an exception).
//
// A VM object is reusable: its operand stack, locals and compiled regular expressions are
// kept between runs, so evaluating a program once per record allocates nothing for scalars
// after the first run. Not thread-safe: one VM per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/value/value.h"
#include "runtime/vm/bytecode.h"

namespace re2 {
class RE2;
}

namespace crmx::vm {

class VM {
 public:
  VM();
  ~VM();
  VM(const VM&) = delete;
  VM& operator=(const VM&) = delete;

  // Runs `program` with `inputs` (input i is program.input_names[i]; fewer inputs than names
  // is a broken invariant). Inputs may hold borrowed strings: they must outlive the result
  // unless the result is made Owned().
  value::Value Run(const Program& program, std::span<const value::Value> inputs);

  // How many times a `??` has used its fallback (its value was null or an error) in all the
  // runs of this VM so far: a caller that compares it before and after a run knows whether that
  // run used a fallback anywhere (the engine raises an assignment's `flag` on it).
  uint64_t fallbacks_taken() const { return fallbacks_taken_; }

  // The instant `now()` and `today()` read: crmx-run sets the run's start, the same for every
  // record of the run; a spec test its pinned `now "..."`. Unset (constant folding, `crmxc
  // eval` without --now), they are errors of the record ("now() has no clock here").
  void SetClock(value::Time now) { clock_ = now; has_clock_ = true; }

  // Whether runs fuse runs of instructions into one (vm.cpp's superinstructions; on unless
  // a test compares the two forms).
  void SetFusion(bool on) { fuse_ = on; }

  // kCall: builtin `b` on `args`, or the first error among them.
  value::Value Call(Builtin b, value::Value* args, size_t n);
  // kFilterText: the characters of `text` that pass the text filter `filter`, joined
  // (bytecode.h; a value that is not a string gives split/filter/join's error).
  value::Value FilterText(const value::Value& text, const value::Value& filter);

 private:
  friend struct JitAccess;  // runtime/jit: fallbacks_taken_ for native code
  value::Value CallBuiltin(Builtin b, value::Value* args, size_t n);
  // Builtin `b` on `x` (and `*y` for two arguments) with no copy of them, for the cases it
  // answers without the general dispatch (string tests, size): false for any other.
  static bool CallDirect(Builtin b, const value::Value& x, const value::Value* y, value::Value& out);
  // The CEL extension functions and the standard modules (std_builtins.cpp).
  value::Value CallExtension(Builtin b, value::Value* args, size_t n);
  // now() and today([zone]) (std_builtins.cpp).
  value::Value CallClock(Builtin b, value::Value* args, size_t n);
  const re2::RE2* Regex(std::string_view pattern, std::string& error);

  std::vector<value::Value> stack_;
  std::vector<value::Value> locals_;
  std::unordered_map<std::string, std::unique_ptr<re2::RE2>> regexes_;
  // A text filter's answers for the 128 ASCII characters, computed at its first use: per
  // filter constant (by the address of its list, which `filter` keeps alive and so unique).
  struct AsciiAnswers {
    value::Value filter;
    bool holds[128];
  };
  const AsciiAnswers& AsciiAnswersOf(const value::Value& filter);
  std::unordered_map<const void*, std::unique_ptr<AsciiAnswers>> ascii_answers_;
  // Text of `format` arguments formatted by the VM (lists, maps, durations), reused between
  // calls.
  std::vector<std::string> scratch_;
  uint64_t fallbacks_taken_ = 0;
  bool fuse_ = true;
  std::unique_ptr<std::vector<VmInstr>> unfused_;  // the program's unfused form when !fuse_
  value::Time clock_{};
  bool has_clock_ = false;
};

// CEL arithmetic and comparisons on values, shared by the VM and constant folding. Each
// returns an error value (with its reason) instead of failing.
value::Value Add(const value::Value& a, const value::Value& b);
value::Value Sub(const value::Value& a, const value::Value& b);
value::Value Mul(const value::Value& a, const value::Value& b);
value::Value Div(const value::Value& a, const value::Value& b);
value::Value Mod(const value::Value& a, const value::Value& b);
value::Value Negate(const value::Value& a);

// The VM's operations on its operand slots: VM::Run applies them to its stack, the JIT's
// native code (runtime/jit) to its frame's slots, so both compute the same values. Each leaves
// its value in `a` (the operation's left or only operand).
// kAdd .. kGe and kIn: an error operand propagates, the left one first.
void ApplyBinary(Op op, value::Value& a, value::Value b);
void ApplyNot(value::Value& a);
// kAnd, kOr: CEL's commutative rules (the absorbing value wins over an error on either side).
void ApplyLogic(Op op, value::Value& a, value::Value b);
// kSelect, kHas: field `name` of a map.
void ApplySelect(Op op, value::Value& a, const value::Value& name);
void ApplyIndex(value::Value& a, value::Value i);
// kMakeList of `n` values, kMakeMap of `count` key/value pairs from `items` (moved out): the
// list or map, or the first error among them (or an unsupported key).
value::Value MakeList(value::Value* items, size_t n);
value::Value MakeMap(value::Value* kv, size_t count);

}  // namespace crmx::vm
