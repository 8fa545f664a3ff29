// Defines the compiler pipeline (see pipeline.h).
#include "compiler/driver/pipeline.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>
#include <tuple>

#include "compiler/check/csv_tables.h"
#include "compiler/check/integration.h"
#include "compiler/check/policies.h"
#include "compiler/check/structure.h"
#include "compiler/check/systems.h"
#include "compiler/check/type_check.h"
#include "compiler/syntax/parser.h"

namespace crmx::driver {

namespace fs = std::filesystem;

const Compilation::Loaded* Compilation::Load(const std::string& path, std::string& io_error,
                                             const std::string* text) {
  std::error_code ec;
  std::string key = fs::weakly_canonical(fs::path(path), ec).string();
  if (ec) key = path;
  auto it = loaded_.find(key);
  if (it != loaded_.end() && text == nullptr) return &it->second;
  FileId id = kNoFile;
  if (text != nullptr) {
    id = sources_.Add(path, *text);
  } else if (fs::is_directory(path, ec)) {
    io_error = "`" + path + "` is a directory, not a .crmx file";
    return nullptr;
  } else {
    id = sources_.Load(path, io_error);
  }
  if (id == kNoFile) return nullptr;
  size_t before = sink_.error_count();
  // Phase 1: parse.
  std::unique_ptr<ast::Module> module = syntax::Parse(sources_.Get(id), sink_);
  Loaded loaded;
  loaded.module = module.get();
  loaded.syntax_ok = sink_.error_count() == before;
  modules_.push_back(std::move(module));
  return &loaded_.insert_or_assign(key, loaded).first->second;
}

void Compilation::CollectImports(const ast::Module& module, const std::string& dir,
                                 std::vector<const ast::Module*>& out, bool& syntax_ok,
                                 std::vector<std::string>& stack) {
  for (const ast::ImportDecl* imp : module.All<ast::ImportDecl>()) {
    fs::path target = fs::path(dir) / imp->path;
    std::error_code ec;
    if (!fs::is_regular_file(target, ec)) {
      diag::Diagnostic d = diag::Make(diag::Kind::ImportNotFound, imp->path_span,
                                      "cannot find `" + imp->path + "` to import", "no such file");
      d.notes.push_back("imports are resolved relative to the importing file: looked for `" +
                        target.lexically_normal().string() + "`");
      sink_.Report(std::move(d));
      continue;
    }
    std::string key = fs::weakly_canonical(target, ec).string();
    if (std::find(stack.begin(), stack.end(), key) != stack.end()) continue;  // a cycle: already visiting
    std::string io_error;
    const Loaded* loaded = Load(target.string(), io_error);
    if (loaded == nullptr) {
      diag::Diagnostic d = diag::Make(diag::Kind::ImportNotFound, imp->path_span, io_error, "cannot be read");
      sink_.Report(std::move(d));
      continue;
    }
    if (std::find(out.begin(), out.end(), loaded->module) != out.end()) continue;
    syntax_ok = syntax_ok && loaded->syntax_ok;
    out.push_back(loaded->module);
    stack.push_back(key);
    CollectImports(*loaded->module, target.parent_path().string(), out, syntax_ok, stack);
    stack.pop_back();
  }
}

bool Compilation::CheckFile(const std::string& path, std::string& io_error) {
  const Loaded* loaded = Load(path, io_error);
  if (loaded == nullptr) return false;
  CheckLoaded(path, *loaded);
  return true;
}

void Compilation::CheckText(const std::string& path, std::string text) {
  std::string unused;
  const Loaded* loaded = Load(path, unused, &text);
  CheckLoaded(path, *loaded);
}

void Compilation::CheckLoaded(const std::string& path, const Loaded& loaded) {
  // Phase 2: imports, parsed the same way.
  std::vector<const ast::Module*> imports;
  bool syntax_ok = loaded.syntax_ok;
  std::error_code ec;
  std::vector<std::string> stack{fs::weakly_canonical(fs::path(path), ec).string()};
  CollectImports(*loaded.module, fs::path(path).parent_path().string(), imports, syntax_ok, stack);
  // Phase 3: structure. Skipped after syntax errors: a broken tree would only add noise.
  if (!syntax_ok) return;
  size_t errors_before = sink_.error_count();
  check::CheckStructure(*loaded.module, imports, sink_);
  if (sink_.error_count() != errors_before) return;
  // The policies: names and numbers in syncs, reconciliations and `conflicts` that the runtime
  // must understand (backoff kinds, strategies, time zones, retry counts).
  check::CheckPolicies(*loaded.module, imports, sink_);
  if (!loaded.module->is_integration()) return;
  // Phase 4: the systems' schemas, and the objects the spec names in them.
  check::Systems systems;
  systems.Load(*loaded.module, imports, fs::path(path).parent_path().string(), sink_);
  check::CheckObjectRefs(*loaded.module, systems, sink_);
  // Phase 5: the CSV tables' files, each relative to the module that declares it.
  std::vector<std::pair<const ast::Module*, std::string>> table_dirs;
  for (const ast::Module* m : imports)
    table_dirs.emplace_back(m, fs::path(sources_.Get(m->file).path()).parent_path().string());
  table_dirs.emplace_back(loaded.module, fs::path(path).parent_path().string());
  check::CsvTables csv = check::ReadCsvTables(table_dirs, sink_);
  check::CheckIntegration(*loaded.module, imports, systems, sink_, &csv);
  check::CheckTypes(*loaded.module, imports, systems, sink_);
}

std::unique_ptr<check::Systems> Compilation::LoadSystems(const std::string& path, std::string& io_error) {
  const Loaded* loaded = Load(path, io_error);
  if (loaded == nullptr) return nullptr;
  if (!loaded->module->is_integration()) {
    io_error = "`" + path + "` is not an integration spec";
    return nullptr;
  }
  std::vector<const ast::Module*> imports;
  bool syntax_ok = loaded->syntax_ok;
  std::error_code ec;
  std::vector<std::string> stack{fs::weakly_canonical(fs::path(path), ec).string()};
  CollectImports(*loaded->module, fs::path(path).parent_path().string(), imports, syntax_ok, stack);
  auto systems = std::make_unique<check::Systems>();
  systems->Load(*loaded->module, imports, fs::path(path).parent_path().string(), sink_);
  return systems;
}

const ast::Module* Compilation::ParseOnly(const std::string& path, std::string& io_error) {
  const Loaded* loaded = Load(path, io_error);
  return loaded ? loaded->module : nullptr;
}

std::vector<diag::Diagnostic> Compilation::SortedDiagnostics() const {
  std::vector<diag::Diagnostic> out;
  auto key = [](const diag::Diagnostic& d) {
    return std::make_tuple(static_cast<int>(d.kind), d.primary.span.file, d.primary.span.begin, d.primary.span.end,
                           d.message);
  };
  std::set<decltype(key(std::declval<const diag::Diagnostic&>()))> seen;
  for (const diag::Diagnostic& d : sink_.diagnostics()) {
    if (seen.insert(key(d)).second) out.push_back(d);
  }
  auto end = std::stable_partition(out.begin(), out.end(),
                                   [](const diag::Diagnostic& d) { return d.kind != diag::Kind::TooManyErrors; });
  std::stable_sort(out.begin(), end, [](const diag::Diagnostic& a, const diag::Diagnostic& b) {
    if (a.primary.span.file != b.primary.span.file) return a.primary.span.file < b.primary.span.file;
    return a.primary.span.begin < b.primary.span.begin;
  });
  return out;
}

}  // namespace crmx::driver
