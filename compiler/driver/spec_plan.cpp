// Defines BuildSpecPlan (spec_plan.h).
#include "compiler/driver/spec_plan.h"

#include <filesystem>
#include <iostream>
#include <set>

#include "compiler/check/type_check.h"
#include "compiler/diagnostics/render.h"
#include "compiler/driver/version.h"
#include "compiler/ir/plan_builder.h"

namespace crmx::driver {

namespace fs = std::filesystem;

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

bool BuildSpecPlan(Compilation& comp, const std::string& spec, SpecPlan& out, std::string& error, bool& usage) {
  usage = false;
  const ast::Module* root = comp.ParseOnly(spec, error);
  if (root == nullptr || !root->is_integration()) {
    error = "`" + spec + "` is not an integration spec: only an `integration` has a plan";
    return false;
  }
  // The imports, transitively (already parsed by the check: ParseOnly returns them cached).
  ir::BuildInput in;
  in.root = root;
  in.spec_dir = fs::path(spec).parent_path().string();
  std::vector<const ast::Module*> import_modules;
  std::vector<std::pair<const ast::Module*, std::string>> todo{{root, in.spec_dir}};
  std::set<const ast::Module*> seen{root};
  std::string ignored;
  while (!todo.empty()) {
    auto [m, dir] = todo.back();
    todo.pop_back();
    for (const ast::ImportDecl* imp : m->All<ast::ImportDecl>()) {
      fs::path target = fs::path(dir) / imp->path;
      const ast::Module* im = comp.ParseOnly(target.string(), ignored);
      if (im == nullptr || !seen.insert(im).second) continue;
      in.imports.emplace_back(im, target.parent_path().string());
      import_modules.push_back(im);
      todo.emplace_back(im, target.parent_path().string());
    }
  }
  std::unique_ptr<check::Systems> systems = comp.LoadSystems(spec, error);
  if (!systems) {
    usage = true;
    return false;
  }
  diag::DiagnosticSink scratch;
  std::vector<check::Typed> types = check::CheckTypes(*root, import_modules, *systems, scratch);
  in.systems = systems.get();
  in.types = &types;
  in.compiler_version = std::string("crmxc ") + kVersion;
  out.plan = ir::BuildPlan(in, out.errors, out.warnings);
  out.modules.push_back(root);
  out.modules.insert(out.modules.end(), import_modules.begin(), import_modules.end());
  return true;
}

int CheckAndBuildPlan(const std::string& spec, const std::string& purpose, plan::Plan& out) {
  Compilation comp;
  SpecPlan built;
  int code = CheckAndBuildPlan(spec, purpose, comp, built);
  if (code == 0) out = std::move(built.plan);
  return code;
}

int CheckAndBuildPlan(const std::string& spec, const std::string& purpose, Compilation& comp, SpecPlan& built) {
  std::string error;
  if (!comp.CheckFile(spec, error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
  auto [errors, warnings] = diag::Count(diags);
  diag::RenderOptions ro;
  ro.base_dir = fs::current_path().string();
  ro.subject = spec;
  ro.color = diag::ShouldUseColor(stderr);
  if (errors > 0 || warnings > 0) diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
  if (errors > 0) {
    diag::RenderSummary(std::cerr, errors, warnings, ro);
    std::cerr << "error: `" << spec << "` has errors: no " << purpose << "\n";
    return 1;
  }
  bool usage = false;
  if (!BuildSpecPlan(comp, spec, built, error, usage)) {
    std::cerr << "error: " << error << "\n";
    return usage ? 2 : 1;
  }
  for (const std::string& w : built.warnings) std::cerr << "warning: " << w << "\n";
  if (!built.errors.empty()) {
    for (const std::string& e : built.errors) std::cerr << "error: " << e << "\n";
    std::cerr << "error: `" << spec << "` cannot be built: no " << purpose << "\n";
    return 1;
  }
  return 0;
}

}  // namespace crmx::driver
