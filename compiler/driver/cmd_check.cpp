// Defines `crmxc check [--format human|json|sarif|github] FILES|DIRS...`: runs the pipeline on
// every .crmx file named or found under the directories, and reports every diagnostic.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_paths.h"

namespace crmx::driver {

namespace fs = std::filesystem;

namespace {

struct CheckOptions {
  std::string format = "human";
  std::vector<std::string> paths;
  bool deny_warnings = false;
};

int RunCheck(const CheckOptions& opt) {
  std::vector<std::string> files;
  if (!ExpandSpecPaths(opt.paths, PathOptions{false, true}, files)) return 2;
  Compilation comp;
  for (const std::string& f : files) {
    std::string io_error;
    if (!comp.CheckFile(f, io_error)) {
      std::cerr << "error: " << io_error << "\n";
      return 2;
    }
  }
  std::vector<diag::Diagnostic> diags = comp.SortedDiagnostics();
  auto [errors, warnings] = diag::Count(diags);
  diag::RenderOptions ro;
  ro.base_dir = fs::current_path().string();
  ro.subject = files.size() == 1 ? files.front() : std::to_string(files.size()) + " files";
  if (opt.format == "human") {
    ro.color = diag::ShouldUseColor(stderr);
    diag::RenderHuman(std::cerr, comp.sources(), diags, ro);
    diag::RenderSummary(std::cerr, errors, warnings, ro);
  } else if (opt.format == "json") {
    diag::RenderJson(std::cout, comp.sources(), diags, ro);
  } else if (opt.format == "sarif") {
    diag::RenderSarif(std::cout, comp.sources(), diags, ro);
  } else {
    diag::RenderGithub(std::cout, comp.sources(), diags, ro);
  }
  if (errors > 0) return 1;
  if (opt.deny_warnings && warnings > 0) return 1;
  return 0;
}

}  // namespace

void RegisterCheck(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* cmd = root.add_subcommand("check", "Parse and check .crmx files; report every problem");
  cmd->add_option("--format", opt->format, "Output format: human (stderr), json, sarif, github (stdout)")
      ->check(CLI::IsMember({"human", "json", "sarif", "github"}))
      ->capture_default_str();
  cmd->add_flag("--deny-warnings", opt->deny_warnings, "Exit 1 when there are warnings");
  cmd->add_option("paths", opt->paths, ".crmx files, or directories searched for them")->required();
  cmd->callback([opt, &exit_code] { exit_code = RunCheck(*opt); });
}

}  // namespace crmx::driver
