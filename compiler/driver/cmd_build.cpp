// Defines `crmxc build SPEC -o PLAN`: checks a spec and, when it has no errors, writes its
// plan (docs/plan-format.md) for crmx-run. Exit 1 when the spec has errors or cannot be
// built (nothing is written), 2 on usage errors or unreadable input.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "compiler/check/type_check.h"
#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/pipeline.h"
#include "compiler/driver/version.h"
#include "compiler/ir/plan_builder.h"

namespace crmx::driver {

namespace {

namespace fs = std::filesystem;

struct BuildOptions {
  std::string spec;
  std::string output;
};

// The integration spec of a folder: its one .crmx file that is not under lib/ (an example's
// layout); else the path itself.
std::string ResolveSpec(const std::string& spec, std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(spec, ec)) return spec;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(spec, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".crmx") found.push_back(e.path().string());
  }
  if (found.size() != 1) {
    error = "`" + spec + "` is a folder with " + std::to_string(found.size()) +
            " .crmx files at its top; name the spec file";
    return {};
  }
  return found.front();
}

int RunBuild(const BuildOptions& opt) {
  std::string error;
  std::string spec = ResolveSpec(opt.spec, error);
  if (spec.empty()) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  Compilation comp;
  std::string io_error;
  if (!comp.CheckFile(spec, io_error)) {
    std::cerr << "error: " << io_error << "\n";
    return 2;
  }
  std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
  auto [errors, warnings] = diag::Count(diags);
  diag::RenderOptions ro;
  ro.base_dir = fs::current_path().string();
  ro.subject = spec;
  ro.color = diag::ShouldUseColor(stderr);
  if (errors > 0) {
    diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
    diag::RenderSummary(std::cerr, errors, warnings, ro);
    std::cerr << "error: `" << spec << "` has errors: no plan written\n";
    return 1;
  }
  const ast::Module* root = comp.ParseOnly(spec, io_error);
  if (root == nullptr || !root->is_integration()) {
    std::cerr << "error: `" << spec << "` is not an integration spec: only an `integration` can be built\n";
    return 1;
  }
  // The imports, transitively (already parsed by the check: ParseOnly returns them cached).
  ir::BuildInput in;
  in.root = root;
  in.spec_dir = fs::path(spec).parent_path().string();
  std::vector<const ast::Module*> import_modules;
  std::vector<std::pair<const ast::Module*, std::string>> todo{{root, in.spec_dir}};
  std::set<const ast::Module*> seen{root};
  while (!todo.empty()) {
    auto [m, dir] = todo.back();
    todo.pop_back();
    for (const ast::ImportDecl* imp : m->All<ast::ImportDecl>()) {
      fs::path target = fs::path(dir) / imp->path;
      const ast::Module* im = comp.ParseOnly(target.string(), io_error);
      if (im == nullptr || !seen.insert(im).second) continue;
      in.imports.emplace_back(im, target.parent_path().string());
      import_modules.push_back(im);
      todo.emplace_back(im, target.parent_path().string());
    }
  }
  std::unique_ptr<check::Systems> systems = comp.LoadSystems(spec, io_error);
  if (!systems) {
    std::cerr << "error: " << io_error << "\n";
    return 2;
  }
  diag::DiagnosticSink scratch;
  std::vector<check::Typed> types = check::CheckTypes(*root, import_modules, *systems, scratch);
  in.systems = systems.get();
  in.types = &types;
  in.compiler_version = std::string("crmxc ") + kVersion;
  std::vector<std::string> build_errors, build_warnings;
  plan::Plan plan = ir::BuildPlan(in, build_errors, build_warnings);
  if (!build_errors.empty()) {
    for (const std::string& e : build_errors) std::cerr << "error: " << e << "\n";
    std::cerr << "error: `" << spec << "` cannot be built: no plan written\n";
    return 1;
  }
  std::ofstream out(opt.output, std::ios::binary);
  if (!out) {
    std::cerr << "error: cannot write `" << opt.output << "`\n";
    return 2;
  }
  out << plan::WritePlan(plan);
  out.close();
  if (warnings > 0) diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
  for (const std::string& w : build_warnings) std::cerr << "warning: " << w << "\n";
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
