// Defines FindSharedCalls (shared_calls.h).
#include "compiler/ir/shared_calls.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "compiler/ast/dump.h"
#include "compiler/check/expr_check.h"

namespace crmx::ir {

namespace {

using namespace crmx::ast;

bool IsMacroCall(const CallExpr& c) {
  static const char* const kMacros[] = {"all", "exists", "exists_one", "map", "filter", "bind",
                                        "transformList", "transformMap", "existsOne"};
  for (const char* m : kMacros)
    if (c.function.text == m) return true;
  return false;
}

}  // namespace

void EachChildExpr(const Expr& e, const std::function<void(const Expr&)>& f) {
  auto one = [&](const ExprPtr& p) {
    if (p) f(*p);
  };
  switch (e.kind) {
    case ExprKind::Select: one(e.As<SelectExpr>()->operand); return;
    case ExprKind::Call: {
      const auto* c = e.As<CallExpr>();
      one(c->receiver);
      for (const ExprPtr& a : c->args) one(a);
      return;
    }
    case ExprKind::Index: one(e.As<IndexExpr>()->operand); one(e.As<IndexExpr>()->index); return;
    case ExprKind::List: for (const ExprPtr& x : e.As<ListExpr>()->elements) one(x); return;
    case ExprKind::MapLit:
      for (const MapEntry& en : e.As<MapExpr>()->entries) {
        one(en.key);
        one(en.value);
      }
      return;
    case ExprKind::Unary: one(e.As<UnaryExpr>()->operand); return;
    case ExprKind::Binary: one(e.As<BinaryExpr>()->left); one(e.As<BinaryExpr>()->right); return;
    case ExprKind::Conditional: {
      const auto* c = e.As<ConditionalExpr>();
      one(c->cond);
      one(c->then);
      one(c->otherwise);
      return;
    }
    case ExprKind::Coalesce: one(e.As<CoalesceExpr>()->value); one(e.As<CoalesceExpr>()->fallback); return;
    case ExprKind::Ref: one(e.As<RefExpr>()->source_id); return;
    default: return;
  }
}

namespace {

// Whether `e` reads a name in `targets` (a field the map assigns).
bool ReadsTarget(const Expr& e, const std::set<std::string>& targets) {
  if (const auto* id = e.As<IdentExpr>()) return targets.count(id->name.text) > 0;
  bool found = false;
  EachChildExpr(e, [&](const Expr& c) { found = found || ReadsTarget(c, targets); });
  return found;
}

// Whether `e` holds a `??` (anywhere, macro bodies included).
bool HasFallback(const Expr& e) {
  if (e.kind == ExprKind::Coalesce) return true;
  bool found = false;
  EachChildExpr(e, [&](const Expr& c) { found = found || HasFallback(c); });
  return found;
}

// Whether `e` is or holds a macro call.
bool HasMacro(const Expr& e) {
  if (const auto* c = e.As<CallExpr>(); c != nullptr && IsMacroCall(*c)) return true;
  bool found = false;
  EachChildExpr(e, [&](const Expr& c) { found = found || HasMacro(c); });
  return found;
}

struct Occurrence {
  size_t stmt;
  const Expr* node;
};

class Finder {
 public:
  explicit Finder(const std::set<std::string>& targets) : targets_(targets) {}

  void Walk(const Expr& e, size_t stmt, const Expr* parent) {
    parent_[&e] = parent;
    if (const auto* c = e.As<CallExpr>()) {
      // Keyed by the whole expression: two calls shown alike (`parse_date(..., "%F")`) whose
      // arguments differ are different values. A macro call is one value as a whole (its
      // variables are its own), but nothing inside its body is: the body reads the per-element
      // variables, so only the range (the receiver) is looked into.
      if (!ReadsTarget(e, targets_)) by_key_[ast::ExprToString(&e)].push_back({stmt, &e});
      if (IsMacroCall(*c)) {
        if (c->receiver) Walk(*c->receiver, stmt, &e);
        return;
      }
    }
    EachChildExpr(e, [&](const Expr& child) { Walk(child, stmt, &e); });
  }

  std::vector<SharedCall> Take() {
    std::vector<SharedCall> found;
    for (auto& [key, occ] : by_key_) {
      std::set<size_t> stmts;
      for (const Occurrence& o : occ) stmts.insert(o.stmt);
      // Twice in one statement: the optimizer's common subexpressions share it within the
      // program, except a call holding a macro (its loop is not an expression the optimizer
      // moves): that one is shared here (the digits of a phone picked out in each branch of a
      // rule).
      if (occ.size() < 2 || (stmts.size() < 2 && !HasMacro(*occ.front().node))) continue;
      // Never a call holding a `??`: a statement's `flag` is raised when a fallback is taken
      // while its value is computed, and a shared value is computed once, before the first
      // statement that loads it: another statement's flag would miss its fallback, and a
      // branch not taken would raise one.
      if (HasFallback(*occ.front().node)) continue;
      SharedCall s{check::ExprChecker::Text(*occ.front().node), key, {}};
      for (const Occurrence& o : occ) s.nodes.push_back(o.node);
      found.push_back(std::move(s));
    }
    // Outermost first; a call found only inside chosen calls is not shared on its own. But a
    // call around a macro that is shared anyway (it appears outside the call too) is not: its
    // value would compute the loop again (shared values load no shared value), where loading
    // the macro's value costs one call more (`digits.size()` beside `digits`).
    std::stable_sort(found.begin(), found.end(),
                     [](const SharedCall& a, const SharedCall& b) { return a.key.size() > b.key.size(); });
    std::vector<bool> around(found.size(), false);
    for (size_t o = 0; o < found.size(); ++o) {
      std::set<const Expr*> outer(found[o].nodes.begin(), found[o].nodes.end());
      for (size_t i = o + 1; i < found.size() && !around[o]; ++i) {
        const std::vector<const Expr*>& in = found[i].nodes;
        if (!HasMacro(*in.front())) continue;
        bool inside = std::any_of(in.begin(), in.end(), [&](const Expr* n) { return Inside(n, outer); });
        bool elsewhere = std::any_of(in.begin(), in.end(), [&](const Expr* n) { return !Inside(n, outer); });
        around[o] = inside && elsewhere;
      }
    }
    std::vector<SharedCall> chosen;
    std::set<const Expr*> covered;
    for (size_t k = 0; k < found.size(); ++k) {
      SharedCall& s = found[k];
      if (around[k]) continue;
      bool outside = std::any_of(s.nodes.begin(), s.nodes.end(), [&](const Expr* n) { return !Inside(n, covered); });
      if (!outside) continue;
      for (const Expr* n : s.nodes) covered.insert(n);
      chosen.push_back(std::move(s));
    }
    return chosen;
  }

 private:
  bool Inside(const Expr* n, const std::set<const Expr*>& covered) const {
    for (const Expr* p = parent_.at(n); p != nullptr; p = parent_.at(p))
      if (covered.count(p)) return true;
    return false;
  }

  const std::set<std::string>& targets_;
  std::unordered_map<const Expr*, const Expr*> parent_;
  std::map<std::string, std::vector<Occurrence>> by_key_;
};

}  // namespace

std::vector<SharedCall> FindSharedCalls(const MapDecl& decl, const std::set<std::string>& targets) {
  Finder f(targets);
  for (size_t i = 0; i < decl.stmts.size(); ++i) {
    if (decl.stmts[i].value) f.Walk(*decl.stmts[i].value, i, nullptr);
  }
  return f.Take();
}

}  // namespace crmx::ir
