// Defines FindSharedCalls: the calls that a map computes more than once (the north
// star's `require Name.trim() != ""` and `companyName = Name.trim()`). The plan builder lowers
// each once, as a value of the map computed at most once per record (plan::Map::shared), and
// the statements load it instead of calling again. Within one program the optimizer's common
// subexpressions do the same (compiler/opt).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"

namespace crmx::ir {

struct SharedCall {
  std::string text;                      // the call as shown ("Name.trim()"; long arguments elided)
  std::string key;                       // the whole call (ast::ExprToString): what makes two the same
  std::vector<const ast::Expr*> nodes;   // every occurrence, in statement order
};

// The calls of `decl`'s statements that appear, written the same way (the same whole expression,
// every argument included), in two or more of them; or twice in one when the call holds a macro
// (the optimizer's common subexpressions share the others within a program). A macro call counts
// as a whole (`Phone.split("").filter(c, ...)`); what is inside its body does not (its variables
// are per element). Left out: calls holding a `??` (a statement's `flag` counts the fallbacks
// taken while its value is computed, see shared_calls.cpp), calls that read a field the map
// assigns (`targets`: its value depends on the statement order), and a call only ever found
// inside another shared call. Outermost first.
std::vector<SharedCall> FindSharedCalls(const ast::MapDecl& decl, const std::set<std::string>& targets);

// Calls `f` on each direct child expression of `e`.
void EachChildExpr(const ast::Expr& e, const std::function<void(const ast::Expr&)>& f);

}  // namespace crmx::ir
