// Defines DerivePushdown() (source_conditions.h): a pattern match on each `when` conjunct's
// program, which after folding is `load_input; const; OP` or `const; load_input; OP`.
#include "compiler/ir/source_conditions.h"

#include <optional>

namespace crmx::ir {

namespace {

using value::Kind;
using value::Value;
using vm::Op;

std::optional<plan::FilterOp> FilterOpOf(Op op) {
  switch (op) {
    case Op::kEq: return plan::FilterOp::kEq;
    case Op::kNe: return plan::FilterOp::kNe;
    case Op::kLt: return plan::FilterOp::kLt;
    case Op::kLe: return plan::FilterOp::kLe;
    case Op::kGt: return plan::FilterOp::kGt;
    case Op::kGe: return plan::FilterOp::kGe;
    case Op::kIn: return plan::FilterOp::kIn;
    default: return std::nullopt;
  }
}

// `c OP f` is `f OP' c`.
plan::FilterOp Flipped(plan::FilterOp op) {
  switch (op) {
    case plan::FilterOp::kLt: return plan::FilterOp::kGt;
    case plan::FilterOp::kLe: return plan::FilterOp::kGe;
    case plan::FilterOp::kGt: return plan::FilterOp::kLt;
    case plan::FilterOp::kGe: return plan::FilterOp::kLe;
    default: return op;
  }
}

// A constant a source query can compare with: a scalar (not a list, map, type or error).
bool IsScalar(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kMap:
    case Kind::kType:
    case Kind::kError: return false;
    default: return true;
  }
}

bool IsScalarList(const Value& v) {
  if (v.kind() != Kind::kList) return false;
  for (const Value& x : v.AsList())
    if (!IsScalar(x)) return false;
  return true;
}

// The source field input `i` of `part` is bound to; empty when it is bound to anything else.
std::string SourceField(const plan::WhenPart& part, int32_t i) {
  if (i < 0 || static_cast<size_t>(i) >= part.program.input_names.size()) return {};
  const std::string& name = part.program.input_names[static_cast<size_t>(i)];
  for (const plan::Binding& b : part.bindings)
    if (b.name == name) return b.kind == plan::BindingKind::kField ? b.field : std::string();
  return {};
}

std::optional<plan::SourceCondition> Match(const plan::WhenPart& part) {
  const std::vector<vm::Instr>& code = part.program.code;
  if (code.size() != 3) return std::nullopt;
  std::optional<plan::FilterOp> op = FilterOpOf(code[2].op);
  if (!op) return std::nullopt;
  bool field_first = code[0].op == Op::kLoadInput && code[1].op == Op::kConst;
  bool const_first = code[0].op == Op::kConst && code[1].op == Op::kLoadInput;
  // `"x" in Tags` tests a list field: no source query does that.
  if (!field_first && !(const_first && *op != plan::FilterOp::kIn)) return std::nullopt;
  const vm::Instr& load = field_first ? code[0] : code[1];
  const vm::Instr& constant = field_first ? code[1] : code[0];
  plan::SourceCondition c;
  c.field = SourceField(part, load.arg);
  if (c.field.empty()) return std::nullopt;
  c.op = field_first ? *op : Flipped(*op);
  c.value = part.program.constants[static_cast<size_t>(constant.arg)];
  bool fits = c.op == plan::FilterOp::kIn ? IsScalarList(c.value) : IsScalar(c.value);
  if (!fits) return std::nullopt;
  return c;
}

}  // namespace

std::vector<plan::SourceCondition> DerivePushdown(const std::vector<plan::WhenPart>& when) {
  std::vector<plan::SourceCondition> out;
  for (size_t i = 0; i < when.size(); ++i) {
    std::optional<plan::SourceCondition> c = Match(when[i]);
    if (!c) continue;
    c->when = i;
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace crmx::ir
