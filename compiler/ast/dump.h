// Defines the stable text form of the AST printed by `crmxc dump ast` and used by golden
// tests: one declaration or statement per line with its position (@line:col), expressions
// as one-line S-expressions.
#pragma once

#include <ostream>

#include "compiler/ast/ast.h"

namespace crmx::ast {

void Dump(std::ostream& out, const Module& module);
// One expression as an S-expression: (+ (id a) 1), (call trim (id Name)), (?? a b)...
std::string ExprToString(const Expr* e);

}  // namespace crmx::ast
