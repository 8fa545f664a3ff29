// Defines the lowering phase for expressions: one typed AST expression -> a bytecode Program
// for the VM (runtime/vm/bytecode.h). The entry point is Lower().
//
// Names resolve, innermost first, to macro variables (locals), then to the inputs listed in
// LowerOptions (by position: input i of the program), then to CEL's type names (`int`,
// `string`, ...). Anything else lowers to an instruction that produces an error value
// ("undeclared reference"), as do unknown functions: with the checker run first they never
// happen; without it (`crmxc eval --no-check`) the expression still runs and fails where
// CEL's dynamic evaluation would.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/types.h"
#include "runtime/vm/bytecode.h"

namespace crmx::lower {

struct LowerOptions {
  // The names of the program's inputs, in input order (qualified names may hold dots:
  // `a.b.c` is then read as one name).
  std::vector<std::string> inputs;
  // When false, `all`, `exists`, `exists_one`, `map`, `filter`, the two-variable macros and
  // `cel.bind` are ordinary (unknown) functions.
  bool macros = true;
  // When true, the program goes through the optimizer (compiler/opt/optimize.h: constant
  // folding, common subexpressions) before it is returned, so every consumer (`crmxc build`,
  // `crmxc eval`, tables) runs the same optimized code. False gives the lowering's own output
  // (tests compare the two).
  bool optimize = true;
  // When true, `s.split("").filter(c, test).join(sep)` with a test that only compares `c` with
  // string literals (`c >= "0" && c <= "9"`, `c in ["-", " "]`, `!`, `||`) and a literal
  // separator becomes one kFilterText: no list, no loop of bytecode per character. False keeps
  // the loop (tests compare the two).
  bool fuse_text_filters = true;
  // Subexpressions computed elsewhere (a map's shared values, plan::Map::shared): each node is
  // lowered as a load of the input of that name (which `inputs` must list).
  std::vector<std::pair<const ast::Expr*, std::string>> substitutes;
};

// Lowers `expr`. `types` holds the checker's types by Expr::id (may be null: unchecked); they
// decide the constants of contextually typed literals (a double literal where a decimal is
// expected is that decimal). Borrows nothing: the Program owns its constants.
vm::Program Lower(const ast::Expr& expr, const std::vector<check::Typed>* types, const LowerOptions& options);

}  // namespace crmx::lower
