// Defines common-subexpression elimination within one program. A pure expression (constants,
// inputs, pure operations: program_analysis.h) that occurs again later is computed once: its
// first occurrence is followed by `store_local T; load_local T` and each later occurrence the
// first one dominates becomes `load_local T`. Dominance (the first occurrence's block is on
// every path to the later one's) is what makes this safe across `&&`, `?:` and `??`: a value
// computed only on one branch is never reused on another. Expressions reading macro variables
// are not pure here (their value changes per iteration), so loops are left alone.
#include <algorithm>
#include <map>

#include "compiler/opt/passes.h"
#include "compiler/opt/program_analysis.h"
#include "compiler/opt/program_edit.h"

namespace crmx::opt {

namespace {

using vm::Instr;
using vm::Op;

// Sharing a load or a constant saves nothing; an operation on a leaf is worth a local only
// when it is a call (a trim, a lookup), anything larger always is.
bool WorthSharing(const vm::Program& p, const PureExpr& e) {
  size_t size = e.end - e.begin;
  return !e.constant && (size >= 3 || (size == 2 && p.code[e.end - 1].op == Op::kCall));
}

struct Sharing {
  PureExpr first;
  std::vector<PureExpr> repeats;
};

// Of the occurrences of one expression, in code order: the first that dominates some later
// ones, with those.
std::optional<Sharing> ShareOne(const std::vector<PureExpr>& occurrences, const ProgramAnalysis& a) {
  for (size_t i = 0; i < occurrences.size(); ++i) {
    Sharing s{occurrences[i], {}};
    size_t home = a.block_of[s.first.begin];
    for (size_t j = i + 1; j < occurrences.size(); ++j) {
      const PureExpr& r = occurrences[j];
      if (r.begin >= s.first.end && a.dominates[home][a.block_of[r.begin]]) s.repeats.push_back(r);
    }
    if (!s.repeats.empty()) return s;
  }
  return std::nullopt;
}

// The largest repeated expression (so `Name.trim().size()` is shared whole, not only its
// `Name.trim()`); ties go to the earliest.
std::optional<Sharing> Best(const vm::Program& p, const ProgramAnalysis& a) {
  std::map<std::string, std::vector<PureExpr>> by_key;
  for (const std::optional<PureExpr>& e : a.expr_ending_at)
    if (e && WorthSharing(p, *e)) by_key[e->key].push_back(*e);
  std::optional<Sharing> best;
  for (auto& [key, occurrences] : by_key) {
    if (occurrences.size() < 2) continue;
    std::optional<Sharing> s = ShareOne(occurrences, a);
    if (!s) continue;
    size_t size = s->first.end - s->first.begin;
    if (!best || size > best->first.end - best->first.begin ||
        (size == best->first.end - best->first.begin && s->first.begin < best->first.begin))
      best = std::move(s);
  }
  return best;
}

Instr Local(Op op, uint32_t slot) {
  Instr in{op};
  in.arg = static_cast<int32_t>(slot);
  return in;
}

}  // namespace

int ShareCommonSubexpressions(vm::Program& p) {
  int shared = 0;
  // Each round turns the later occurrences into loads, which no expression contains: the
  // number of pure expressions drops every round, so this ends.
  for (;;) {
    ProgramAnalysis a = Analyze(p);
    std::optional<Sharing> s = Best(p, a);
    if (!s) return shared;
    uint32_t slot = p.local_count++;
    std::vector<Edit> edits;
    edits.push_back(Edit{s->first.end, s->first.end, {Local(Op::kStoreLocal, slot), Local(Op::kLoadLocal, slot)}});
    for (const PureExpr& r : s->repeats) edits.push_back(Edit{r.begin, r.end, {Local(Op::kLoadLocal, slot)}});
    shared += static_cast<int>(s->repeats.size());
    ApplyEdits(p, std::move(edits));
  }
}

}  // namespace crmx::opt
