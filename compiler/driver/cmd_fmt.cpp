// Defines `crmxc fmt [--check] [--diff] FILES|DIRS|-`: rewrites .crmx files in their canonical
// layout (compiler/fmt/format.h). `--check` writes nothing and exits 1 with a unified diff when
// a file is not formatted (for CI); `--diff` prints the diff and writes nothing; `-` formats
// standard input to standard output. A file with syntax errors is never rewritten: its
// diagnostics are printed and the exit status is 2.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/spec_paths.h"
#include "compiler/fmt/diff.h"
#include "compiler/fmt/format.h"

namespace crmx::driver {

namespace fs = std::filesystem;

namespace {

struct FmtOptions {
  bool check = false;
  bool diff = false;
  std::vector<std::string> paths;
};

enum class Outcome { Unchanged, Changed, Failed };

// Formats one file (or standard input for `-`), writes or prints as the options say.
Outcome FormatOne(const std::string& path, const FmtOptions& opt) {
  bool stdin_mode = path == "-";
  std::string text;
  if (stdin_mode) {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "error: cannot read `" << path << "`\n";
      return Outcome::Failed;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  std::string label = stdin_mode ? "<stdin>" : path;
  SourceManager sources;
  FileId id = sources.Add(label, text);
  diag::DiagnosticSink sink;
  fmt::FormatResult result = fmt::Format(sources.Get(id), sink);
  if (result.status != fmt::FormatStatus::Formatted) {
    if (result.status == fmt::FormatStatus::SyntaxErrors) {
      std::vector<diag::Diagnostic> diags = sink.diagnostics();
      auto [errors, warnings] = diag::Count(diags);
      diag::RenderOptions ro;
      ro.base_dir = fs::current_path().string();
      ro.subject = label;
      ro.color = diag::ShouldUseColor(stderr);
      diag::RenderHuman(std::cerr, sources, diags, ro);
      diag::RenderSummary(std::cerr, errors, warnings, ro);
      std::cerr << "error: `" << label << "` has syntax errors: not formatted\n";
    } else {
      std::cerr << "error: `" << label << "`: " << result.message << "\n";
    }
    if (stdin_mode && !opt.check && !opt.diff) std::cout << text;  // never lose the text
    return Outcome::Failed;
  }
  bool changed = result.text != text;
  if (opt.check || opt.diff) {
    if (changed) std::cout << fmt::UnifiedDiff(label, text, result.text);
    return changed ? Outcome::Changed : Outcome::Unchanged;
  }
  if (stdin_mode) {
    std::cout << result.text;
    return changed ? Outcome::Changed : Outcome::Unchanged;
  }
  if (changed) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << result.text;
    out.close();
    if (!out) {
      std::cerr << "error: cannot write `" << path << "`\n";
      return Outcome::Failed;
    }
  }
  return changed ? Outcome::Changed : Outcome::Unchanged;
}

int RunFmt(const FmtOptions& opt) {
  std::vector<std::string> files;
  if (!ExpandSpecPaths(opt.paths, PathOptions{true, false}, files)) return 2;
  size_t changed = 0, failed = 0;
  for (const std::string& f : files) {
    Outcome o = FormatOne(f, opt);
    changed += o == Outcome::Changed;
    failed += o == Outcome::Failed;
  }
  if (opt.check && changed > 0) {
    std::cerr << changed << (changed == 1 ? " file is" : " files are") << " not formatted; run `crmxc fmt` on "
              << (changed == 1 ? "it" : "them") << "\n";
  }
  if (failed > 0) return 2;
  return opt.check && changed > 0 ? 1 : 0;
}

}  // namespace

void RegisterFmt(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<FmtOptions>();
  CLI::App* cmd = root.add_subcommand("fmt", "Rewrite .crmx files in the canonical layout");
  cmd->add_flag("--check", opt->check,
                "Write nothing; print a diff and exit 1 when a file is not formatted (for CI)");
  cmd->add_flag("--diff", opt->diff, "Write nothing; print the diff formatting would apply");
  cmd->add_option("paths", opt->paths, ".crmx files, directories searched for them, or - for standard input")
      ->required();
  cmd->callback([opt, &exit_code] { exit_code = RunFmt(*opt); });
}

}  // namespace crmx::driver
