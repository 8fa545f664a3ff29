// Defines the analysis of one document that the position features of `crmxc lsp` share
// (hover.cpp, definition.cpp, completion.cpp): the document parsed (with the parser's error
// recovery), its imports parsed, its systems' schemas loaded with their overlays and its
// `owner` blocks read, as `crmxc check` loads them (driver/pipeline.cpp); and the search for
// what is at a byte offset: a field, a function, a map, a table, a system, an object, an import.
//
// Analyze() caches the last analysis per document URI, keyed by version and text, so the three
// requests an editor sends for one position parse and load the schemas once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/base/source.h"
#include "compiler/check/expr_check.h"
#include "compiler/check/integration.h"
#include "compiler/check/systems.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/lsp/document.h"
#include "compiler/schema/model.h"

namespace crmx::lsp {

// Everything known about one version of a document. Immutable once built; the pointers it
// hands out live as long as it does.
struct Analysis {
  SourceManager sources;                        // the document (file 0) and every import
  diag::DiagnosticSink sink;                    // what parsing and loading reported (unused)
  std::unique_ptr<ast::Module> root;            // never null; partial after syntax errors
  bool syntax_ok = true;
  std::vector<std::unique_ptr<ast::Module>> owned_imports;
  std::vector<const ast::Module*> imports;      // transitively, each once
  std::string base_dir;                         // the document's folder ("" when it has no path)
  // The systems' schemas, loaded for an integration only; never null. Loading them is most of
  // an analysis's time, so a version whose `system` blocks (and schema files) did not change
  // shares them with the analysis that loaded them, which `systems_loader` keeps alive (the
  // LoadedSystem::decl pointers point into its tree; only their names and paths are read).
  std::shared_ptr<const check::Systems> systems;
  std::shared_ptr<const Analysis> systems_loader;
  // The `owner` blocks of the document and its imports, read as the integration check reads
  // them (null when the document is not an integration).
  std::unique_ptr<check::integration::Context> owners;

  // The path of the file a span points into (the document's own path for its spans).
  std::string PathOf(FileId file) const;
  // Every module: the imports, then the document.
  std::vector<const ast::Module*> Modules() const;
  const ast::MapDecl* FindMap(const std::string& name) const;
  const ast::TableDecl* FindTable(const std::string& name) const;
  const ast::SystemDecl* FindSystem(const std::string& name) const;
  // The record type of `system.Object`, or a dyn type (kind != kRecord) when it does not resolve.
  check::Type RecordOf(const std::string& system, const std::string& object) const;
  check::Type RecordOf(const ast::ObjectRef& ref) const { return RecordOf(ref.system.text, ref.object.text); }
};

// The analysis of `doc`, from the cache when `doc`'s URI, version and text were analyzed last.
std::shared_ptr<const Analysis> Analyze(const Document& doc);

// The analysis of the last version of `uri` that parsed without errors, or null. Completion
// falls back on it for the schemas, maps and tables when the text being typed broke the parse
// of a `system` block.
std::shared_ptr<const Analysis> LastGood(const std::string& uri);

// What is at an offset of the document.
enum class HitKind {
  None,
  Field,      // a field of a schema object: `field` (or a relationship: `object` set, no field)
  Function,   // a function call's name: `name`
  Macro,      // a macro (`map`, `filter`, `all`, `exists`, `exists_one`, `has`): `name`
  Map,        // a map's name (its declaration, a `ref`, a `sync`): `map`
  Table,      // a table's name: `table`
  System,     // a system's name: `system`
  Object,     // an object of a schema (`crm.Account`'s `Account`): `object`, `system`
  Import,     // an import's path: `import`
  Variable,   // a macro's variable (`li`): `name`, `record` (its type)
};

struct Hit {
  HitKind kind = HitKind::None;
  Span span;                                     // the token under the cursor
  std::string name;                              // as written
  const schema::Field* field = nullptr;
  const schema::Object* object = nullptr;        // the field's object; the object of an Object hit
  const check::LoadedSystem* system = nullptr;   // the field's or object's system
  // Field: how it is used here ("source", "target", "owner", "overlay", "record"), for hover.
  std::string role;
  // Field through a relationship (`Account` of `Account.Name`): the reference field behind it
  // and the related object (`object`); `field` is null then.
  const schema::Field* relationship = nullptr;
  bool child_relationship = false;               // `OpportunityLineItems`: a list of `object`
  const ast::MapDecl* map = nullptr;
  const ast::TableDecl* table = nullptr;
  const ast::ImportDecl* import = nullptr;
  check::Type type;                              // Variable: its type
};

// The innermost named thing at `offset` of the analysed document.
Hit FindAt(const Analysis& a, size_t offset);

// The system that owns `object.field` by the spec's `owner` blocks: "crm", or "" when none
// does. `via` receives how ("*", a compound field such as "BillingAddress", or "").
std::string OwnerOf(const Analysis& a, const schema::Object* object, const std::string& field, std::string& via);

// The LSP Location {"uri", "range"} of `span` (in the document or one of its imports).
nlohmann::json LocationOf(const Analysis& a, const Document& doc, const Span& span);

// The text of a file as read from disk; "" when it cannot be read.
std::string ReadFileText(const std::string& path);

}  // namespace crmx::lsp
