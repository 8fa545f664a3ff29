// Defines the compiler pipeline as one sequence of named phases, so the order is read on one
// screen: load -> parse (with imports) -> structure check. Later phases (schema resolution,
// type check, lowering, optimisation) are appended here.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/systems.h"
#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::driver {

// The state of one compiler run: every file read, every module parsed, every diagnostic.
class Compilation {
 public:
  Compilation() = default;

  // Runs the pipeline on one file (a spec or a module). Returns false when the file cannot be
  // read; that is reported in `io_error`, not as a diagnostic.
  bool CheckFile(const std::string& path, std::string& io_error);
  // Runs the pipeline on `text` as if it were the content of `path` (editors, tests); imports
  // are still read from disk relative to `path`.
  void CheckText(const std::string& path, std::string text);
  // Parses a spec and its imports and loads its systems' schemas (for `crmxc schema show
  // crm.Account`). Null when the spec cannot be read (`io_error`) or is not an integration;
  // problems with the schemas are in sink().
  std::unique_ptr<check::Systems> LoadSystems(const std::string& path, std::string& io_error);
  // Parses one file without imports or checks (for `crmxc dump ast`).
  const ast::Module* ParseOnly(const std::string& path, std::string& io_error);

  const SourceManager& sources() const { return sources_; }
  diag::DiagnosticSink& sink() { return sink_; }
  // Diagnostics sorted by file and position, duplicates removed (a module checked on its own
  // and as an import reports its own problems once).
  std::vector<diag::Diagnostic> SortedDiagnostics() const;

 private:
  struct Loaded {
    const ast::Module* module = nullptr;
    bool syntax_ok = true;
  };
  // Loads and parses `path` once; returns null when it cannot be read.
  const Loaded* Load(const std::string& path, std::string& io_error, const std::string* text = nullptr);
  void CheckLoaded(const std::string& path, const Loaded& loaded);
  // Follows the imports of `module`, transitively; reports E0105 for missing files.
  void CollectImports(const ast::Module& module, const std::string& dir, std::vector<const ast::Module*>& out,
                      bool& syntax_ok, std::vector<std::string>& stack);

  SourceManager sources_;
  diag::DiagnosticSink sink_;
  std::vector<std::unique_ptr<ast::Module>> modules_;
  std::map<std::string, Loaded> loaded_;  // by normalized path
};

}  // namespace crmx::driver
