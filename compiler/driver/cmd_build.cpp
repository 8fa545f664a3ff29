// Defines `crmxc build SPEC -o PLAN`: checks a spec and, when it has no errors, writes its
// plan (docs/plan-format.md) for crmx-run. Exit 1 when the spec has errors or cannot be
// built (nothing is written), 2 on usage errors or unreadable input.
#include <fstream>
#include <iostream>

#include "compiler/driver/commands.h"
#include "compiler/driver/spec_plan.h"

namespace crmx::driver {

namespace {

struct BuildOptions {
  std::string spec;
  std::string output;
};

int RunBuild(const BuildOptions& opt) {
  std::string error;
  std::string spec = ResolveSpec(opt.spec, error);
  if (spec.empty()) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  plan::Plan plan;
  if (int status = CheckAndBuildPlan(spec, "plan written", plan); status != 0) return status;
  std::ofstream out(opt.output, std::ios::binary);
  if (!out) {
    std::cerr << "error: cannot write `" << opt.output << "`\n";
    return 2;
  }
  out << plan::WritePlan(plan);
  out.close();
  std::cout << "built " << opt.output << ": integration " << plan.integration << ", " << plan.maps.size()
            << " maps (";
  for (size_t i = 0; i < plan.maps.size(); ++i) std::cout << (i ? " -> " : "") << plan.maps[i].name;
  std::cout << "), " << plan.tables.size() << " tables, " << plan::ContentHash(plan) << "\n";
  return 0;
}

}  // namespace

void RegisterBuild(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<BuildOptions>();
  CLI::App* cmd = root.add_subcommand(
      "build", "Checks a spec and compiles it to a plan for crmx-run (docs/plan-format.md).\n"
               "Exit status: 0 built, 1 the spec has errors (nothing written), 2 usage error.");
  cmd->add_option("spec", opt->spec, "The integration spec (.crmx), or a folder holding exactly one")->required();
  cmd->add_option("-o,--output", opt->output, "Where to write the plan")->required();
  cmd->callback([opt, &exit_code] { exit_code = RunBuild(*opt); });
}

}  // namespace crmx::driver
