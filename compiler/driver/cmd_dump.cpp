// Defines `crmxc dump ast FILE`: prints the AST in its stable text form (compiler/ast/dump.h),
// and `crmxc dump ir FILE`: builds the spec's plan as `crmxc build` does (optimized programs,
// pushdown conditions, batch sizes) and prints it in its stable text form
// (compiler/ir/ir_dump.h).
#include <filesystem>
#include <iostream>

#include "compiler/ast/dump.h"
#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"
#include "compiler/ir/ir_dump.h"

namespace crmx::driver {

namespace {

namespace fs = std::filesystem;


}  // namespace

void RegisterDump(CLI::App& root, int& exit_code) {
  CLI::App* dump = root.add_subcommand("dump", "Print an internal form of a spec (for tests and debugging)");
  dump->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* ast = dump->add_subcommand("ast", "Print the syntax tree of one file");
  ast->add_option("file", *file, "A .crmx file")->required();
  ast->callback([file, &exit_code] {
    Compilation comp;
    std::string io_error;
    const ast::Module* module = comp.ParseOnly(*file, io_error);
    if (module == nullptr) {
      std::cerr << "error: " << io_error << "\n";
      exit_code = 2;
      return;
    }
    ast::Dump(std::cout, *module);
    std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
    if (!diags.empty()) {
      diag::RenderOptions ro;
      ro.color = diag::ShouldUseColor(stderr);
      diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
    }
    exit_code = comp.sink().has_errors() ? 1 : 0;
  });
  auto spec = std::make_shared<std::string>();
  CLI::App* ir = dump->add_subcommand("ir", "Print the plan a spec compiles to: optimized code, pushdown, batch sizes");
  ir->add_option("file", *spec, "An integration spec (.crmx)")->required();
  ir->callback([spec, &exit_code] {
    plan::Plan plan;
    exit_code = CheckAndBuildPlan(*spec, "IR", plan);
    if (exit_code == 0) ir::DumpIr(std::cout, plan);
  });
}

}  // namespace crmx::driver
