// Defines constant folding: an operation whose operands are all `const` instructions is run,
// alone, on the VM, and replaced by one `const` of its value. Running the VM (not a copy of
// its rules) is what keeps folding exact: the value is the one the plan would compute, with
// the same decimal scale, overflow checks and string functions. The value must also survive
// the plan file unchanged (docs/plan-format.md's Value encoding), since that is where it
// will be read from.
#include <optional>

#include "compiler/opt/passes.h"
#include "compiler/opt/program_analysis.h"
#include "compiler/opt/program_edit.h"
#include "runtime/plan/plan.h"
#include "runtime/vm/vm.h"

namespace crmx::opt {

namespace {

using value::Value;
using vm::Instr;
using vm::Op;

bool UsesConstant(Op op) { return op == Op::kConst || op == Op::kSelect || op == Op::kHas; }

// The operation ending `e` reads only `const` instructions right before it.
bool OperandsAreConstants(const vm::Program& p, const PureExpr& e) {
  if (p.code[e.begin].op == Op::kConst && e.operands == 0) return false;
  if (e.end - e.begin != e.operands + 1) return false;
  for (size_t k = e.begin; k + 1 < e.end; ++k)
    if (p.code[k].op != Op::kConst) return false;
  const Instr& op = p.code[e.end - 1];
  return op.op != Op::kCall || IsFoldableBuiltin(static_cast<vm::Builtin>(op.arg));
}

// The encoded form of the value reads back as exactly the value.
bool SurvivesPlanFile(const Value& v) {
  Value back;
  std::string error;
  if (!plan::ValueFromJsonText(plan::ValueToJsonText(v), back, error)) return false;
  std::optional<std::string> a = ExactKey(v), b = ExactKey(back);
  return a && b && *a == *b;
}

// The value of `e` computed by the VM; none when it is an error (errors stay run-time errors,
// with the reason the run reports) or cannot be stored in a plan.
std::optional<Value> Evaluate(vm::VM& machine, const vm::Program& p, const PureExpr& e) {
  vm::Program mini;
  for (size_t k = e.begin; k < e.end; ++k) {
    Instr in = p.code[k];
    if (UsesConstant(in.op)) {
      mini.constants.push_back(p.constants[static_cast<size_t>(in.arg)]);
      in.arg = static_cast<int32_t>(mini.constants.size() - 1);
    }
    mini.code.push_back(in);
  }
  Value v = machine.Run(mini, {}).Owned();
  if (v.IsError() || !SurvivesPlanFile(v)) return std::nullopt;
  return v;
}

}  // namespace

int FoldConstants(vm::Program& p) {
  vm::VM machine;
  int folded = 0;
  // Each round folds the operations whose operands are constants now; what they fold into may
  // make their parents foldable in the next round. Every fold shortens the code: this ends.
  for (;;) {
    ProgramAnalysis a = Analyze(p);
    std::vector<Edit> edits;
    for (const std::optional<PureExpr>& e : a.expr_ending_at) {
      if (!e || !e->constant || !OperandsAreConstants(p, *e)) continue;
      std::optional<Value> v = Evaluate(machine, p, *e);
      if (!v) continue;
      p.constants.push_back(std::move(*v));
      Instr c{Op::kConst};
      c.arg = static_cast<int32_t>(p.constants.size() - 1);
      edits.push_back(Edit{e->begin, e->end, {c}});
    }
    if (edits.empty()) return folded;
    folded += static_cast<int>(edits.size());
    ApplyEdits(p, std::move(edits));
  }
}

}  // namespace crmx::opt
