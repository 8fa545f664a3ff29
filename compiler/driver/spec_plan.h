// Defines BuildSpecPlan: the checked spec -> plan step that `crmxc build`, `crmxc dump ir` and
// `crmxc test` share. It runs after Compilation::CheckFile found no errors: collects the
// spec's imports (transitively), loads its systems' schemas, types its expressions and runs
// the plan builder (compiler/ir/plan_builder.h).
#pragma once

#include <string>
#include <vector>

#include "compiler/driver/pipeline.h"
#include "runtime/plan/plan.h"

namespace crmx::driver {

struct SpecPlan {
  plan::Plan plan;
  std::vector<std::string> errors;    // constructs the builder cannot build, unreadable csv tables
  std::vector<std::string> warnings;  // e.g. a function the VM does not implement
  std::vector<const ast::Module*> modules;  // the integration, then its imports (owned by the Compilation)
};

// The integration spec a command line names: a .crmx file, or a folder holding exactly one at
// its top (an example's layout: imported modules live under lib/). Empty with `error` when a
// folder holds none or several.
std::string ResolveSpec(const std::string& spec, std::string& error);

// Builds the plan of `spec`, which `comp` checked without errors. False with `error` when the
// spec is not an integration or its schemas cannot be read (`usage` true for the latter: an
// input problem, exit status 2).
bool BuildSpecPlan(Compilation& comp, const std::string& spec, SpecPlan& out, std::string& error, bool& usage);

// Checks `spec` and builds its plan, for the commands that need one (build, dump ir, test).
// Diagnostics, build errors and build warnings go to stderr; with errors, the last line is
// "`SPEC` has errors: no PURPOSE" (or "cannot be built: no PURPOSE"). Returns the exit status:
// 0 built, 1 the spec has errors or cannot be built, 2 unreadable input.
int CheckAndBuildPlan(const std::string& spec, const std::string& purpose, plan::Plan& out);
// The same, keeping what the plan was built from (the modules, in `comp`), for the commands
// that read both (graph, lineage).
int CheckAndBuildPlan(const std::string& spec, const std::string& purpose, Compilation& comp, SpecPlan& out);

}  // namespace crmx::driver
