// Defines the plan builder: the phase after the checks that turns a checked spec into a
// plan (runtime/plan/plan.h): each map's key, require and assignment expressions lowered to
// bytecode, the bindings of every program input (source field, parent or child record,
// assigned field, table), each map's projection, maps in `ref` dependency order, tables
// loaded (csv files read here), syncs with their `when` split into conjuncts and the conjuncts
// a source read can apply (pushdown: source_conditions.h), each map's batch sizes
// (batch_sizes.h). Programs come out of the lowering optimized (compiler/opt).
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/systems.h"
#include "compiler/check/types.h"
#include "runtime/plan/plan.h"

namespace crmx::ir {

struct BuildInput {
  const ast::Module* root = nullptr;
  // The imported modules, each with the folder its relative paths (csv tables) resolve from.
  std::vector<std::pair<const ast::Module*, std::string>> imports;
  std::string spec_dir;
  const check::Systems* systems = nullptr;
  const std::vector<check::Typed>* types = nullptr;  // the root's expression types, by Expr::id
  std::string compiler_version;
};

// Builds the plan. Constructs this version cannot build yet, or a csv table that cannot be
// read, are added to `errors` (one message each); the plan is then incomplete. Programs that
// will fail on every record because the VM lacks a function the checker knows (a stdlib
// function not wired into the VM yet) are reported in `warnings`, one per map and function.
plan::Plan BuildPlan(const BuildInput& in, std::vector<std::string>& errors, std::vector<std::string>& warnings);

}  // namespace crmx::ir
