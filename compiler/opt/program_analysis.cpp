// Defines the analysis of a program's code (program_analysis.h): basic blocks, dominators and
// the pure expressions found by a symbolic operand stack per block.
#include "compiler/opt/program_analysis.h"

#include <cstring>

#include "runtime/vm/stack_effect.h"

namespace crmx::opt {

namespace {

using value::Kind;
using value::Value;
using vm::Instr;
using vm::Op;

// Whether `in` computes its value from its operands alone, so that equal operands give equal
// values. kAnd/kOr are left out: they only occur after a jump, where operands are unknown.
bool IsPureOp(const Instr& in) {
  switch (in.op) {
    case Op::kConst:
    case Op::kLoadInput:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod:
    case Op::kNeg:
    case Op::kNot:
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn:
    case Op::kSelect:
    case Op::kHas:
    case Op::kIndex:
    case Op::kMakeList:
    case Op::kMakeMap: return true;
    case Op::kCall: return IsPureBuiltin(static_cast<vm::Builtin>(in.arg));
    default: return false;
  }
}

std::vector<bool> Leaders(const vm::Program& p) {
  std::vector<bool> leader(p.code.size() + 1, false);
  leader[0] = true;
  for (size_t i = 0; i < p.code.size(); ++i) {
    if (!IsJump(p.code[i].op)) continue;
    leader[i + 1] = true;
    size_t target = static_cast<size_t>(p.code[i].arg);
    if (target <= p.code.size()) leader[target] = true;
  }
  return leader;
}

// Blocks reached from the block ending with instruction `last`.
std::vector<size_t> Successors(const vm::Program& p, size_t last, const std::vector<size_t>& block_of) {
  std::vector<size_t> out;
  const Instr& in = p.code[last];
  auto add = [&](size_t at) {
    if (at < p.code.size()) out.push_back(block_of[at]);
  };
  if (IsJump(in.op)) add(static_cast<size_t>(in.arg));
  if (in.op != Op::kJump) add(last + 1);
  return out;
}

// Iterative dominator sets: small programs, so plain bit vectors are enough.
std::vector<std::vector<bool>> Dominators(const vm::Program& p, const std::vector<size_t>& block_of,
                                          const std::vector<size_t>& block_last, size_t blocks) {
  std::vector<std::vector<size_t>> preds(blocks);
  for (size_t b = 0; b < blocks; ++b)
    for (size_t s : Successors(p, block_last[b], block_of)) preds[s].push_back(b);
  // dom[b][a]: a dominates b.
  std::vector<std::vector<bool>> dom(blocks, std::vector<bool>(blocks, true));
  if (blocks > 0) {
    dom[0].assign(blocks, false);
    dom[0][0] = true;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t b = 1; b < blocks; ++b) {
      std::vector<bool> next(blocks, !preds[b].empty());
      for (size_t q : preds[b])
        for (size_t a = 0; a < blocks; ++a) next[a] = next[a] && dom[q][a];
      next[b] = true;
      if (next != dom[b]) {
        dom[b] = std::move(next);
        changed = true;
      }
    }
  }
  std::vector<std::vector<bool>> dominates(blocks, std::vector<bool>(blocks, false));
  for (size_t b = 0; b < blocks; ++b)
    for (size_t a = 0; a < blocks; ++a) dominates[a][b] = dom[b][a];
  return dominates;
}

std::string LeafKey(const vm::Program& p, const Instr& in) {
  if (in.op == Op::kLoadInput) return "in" + std::to_string(in.arg);
  std::optional<std::string> k = ExactKey(p.constants[static_cast<size_t>(in.arg)]);
  // A constant without an exact key is equal only to itself.
  return k ? "c:" + *k : "c#" + std::to_string(in.arg);
}

// The pure expression instruction `i` ends, given the expressions of its operands (the values
// on the symbolic stack, -1 when unknown); none when an operand is unknown or impure.
std::optional<PureExpr> Combine(const vm::Program& p, size_t i, const std::vector<long>& operands,
                                const std::vector<std::optional<PureExpr>>& exprs) {
  const Instr& in = p.code[i];
  if (!IsPureOp(in)) return std::nullopt;
  PureExpr e;
  e.begin = i;
  e.end = i + 1;
  e.operands = operands.size();
  if (in.op == Op::kConst || in.op == Op::kLoadInput) {
    e.constant = in.op == Op::kConst;
    e.key = LeafKey(p, in);
    return e;
  }
  e.constant = true;
  std::string key = std::string(vm::OpName(in.op)) + "/" + std::to_string(in.a) + "/";
  if (in.op == Op::kSelect || in.op == Op::kHas) key += LeafKey(p, Instr{Op::kConst, 0, 0, in.arg});
  else key += std::to_string(in.arg);
  key += "(";
  size_t expect = SIZE_MAX;
  for (size_t k = operands.size(); k-- > 0;) {
    // Operands are contiguous and end right before the operation.
    if (operands[k] < 0 || !exprs[static_cast<size_t>(operands[k])]) return std::nullopt;
    const PureExpr& o = *exprs[static_cast<size_t>(operands[k])];
    if (o.end != (expect == SIZE_MAX ? i : expect)) return std::nullopt;
    expect = o.begin;
  }
  for (long op : operands) {
    const PureExpr& o = *exprs[static_cast<size_t>(op)];
    e.constant = e.constant && o.constant;
    key += o.key + ",";
  }
  if (!operands.empty()) e.begin = expect;
  e.key = key + ")";
  return e;
}

}  // namespace

bool IsJump(Op op) {
  switch (op) {
    case Op::kJumpIfFalseKeep:
    case Op::kJumpIfTrueKeep:
    case Op::kJump:
    case Op::kJumpIfFalse:
    case Op::kTestBool:
    case Op::kCoalesce:
    case Op::kIterInit:
    case Op::kIterNext:
    case Op::kJumpIfFalseValue:
    case Op::kJumpIfTrueValue: return true;
    default: return false;
  }
}

bool IsPureBuiltin(vm::Builtin) {
  // Every builtin computes from its arguments only (regular expressions are cached, which does
  // not change results); data tables are fixed for the length of a run.
  return true;
}

bool IsFoldableBuiltin(vm::Builtin b) {
  using vm::Builtin;
  switch (b) {
    // Country, state and currency tables and phone metadata ship with crmx and change
    // between versions; time zone rules come from the running system.
    case Builtin::kStateCode:
    case Builtin::kCountryCode:
    case Builtin::kCurrencyOf:
    case Builtin::kE164:
    case Builtin::kParseDate:
    case Builtin::kParseDatetime:
    case Builtin::kFormatDate:
    case Builtin::kFormatDatetime:
    // The run's clock: the plan runs later, every run at its own time.
    case Builtin::kNow:
    case Builtin::kToday: return false;
    default: return IsPureBuiltin(b);
  }
}

std::optional<std::string> ExactKey(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return v.AsBool() ? "true" : "false";
    case Kind::kInt: return "i" + std::to_string(v.AsInt());
    case Kind::kUint: return "u" + std::to_string(v.AsUint());
    case Kind::kDouble: {
      uint64_t bits = 0;
      double d = v.AsDouble();
      std::memcpy(&bits, &d, sizeof bits);
      return "d" + std::to_string(bits);
    }
    // ToString keeps the scale: 1.5 and 1.50 are different constants.
    case Kind::kDecimal: return "m" + v.AsDecimal().ToString();
    case Kind::kString: return "s" + std::to_string(v.AsText().size()) + ":" + std::string(v.AsText());
    case Kind::kBytes: return "b" + std::to_string(v.AsText().size()) + ":" + std::string(v.AsText());
    case Kind::kTimestamp:
    case Kind::kDuration:
      return std::string(v.kind() == Kind::kTimestamp ? "t" : "D") + std::to_string(v.AsTime().seconds) + "." +
             std::to_string(v.AsTime().nanos);
    case Kind::kType: return std::string("T") + v.AsTypeName();
    case Kind::kList: {
      std::string out = "[";
      for (const Value& x : v.AsList()) {
        std::optional<std::string> k = ExactKey(x);
        if (!k) return std::nullopt;
        out += *k + ",";
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (const auto& [key, x] : v.AsMap().entries) {
        std::optional<std::string> a = ExactKey(key), b = ExactKey(x);
        if (!a || !b) return std::nullopt;
        out += *a + ":" + *b + ",";
      }
      return out + "}";
    }
    case Kind::kError: return std::nullopt;
  }
  return std::nullopt;
}

ProgramAnalysis Analyze(const vm::Program& p) {
  ProgramAnalysis a;
  size_t n = p.code.size();
  std::vector<bool> leader = Leaders(p);
  a.block_of.resize(n);
  std::vector<size_t> block_last;
  size_t blocks = 0;
  for (size_t i = 0; i < n; ++i) {
    if (leader[i] && i > 0) ++blocks;
    a.block_of[i] = blocks;
    if (block_last.size() <= blocks) block_last.resize(blocks + 1);
    block_last[blocks] = i;
  }
  if (n > 0) ++blocks;
  a.dominates = Dominators(p, a.block_of, block_last, blocks);

  a.expr_ending_at.assign(n, std::nullopt);
  std::vector<long> stack;  // per value: the instruction that pushed it, -1 when unknown
  for (size_t i = 0; i < n; ++i) {
    if (leader[i]) stack.clear();
    const Instr& in = p.code[i];
    if (IsJump(in.op)) continue;
    vm::StackEffect fx = vm::EffectOf(in);
    std::vector<long> operands(fx.pops, -1);
    for (size_t k = fx.pops; k-- > 0;) {
      if (stack.empty()) break;
      operands[k] = stack.back();
      stack.pop_back();
    }
    if (fx.pushes == 0) continue;
    a.expr_ending_at[i] = Combine(p, i, operands, a.expr_ending_at);
    stack.push_back(static_cast<long>(i));
  }
  return a;
}

}  // namespace crmx::opt
