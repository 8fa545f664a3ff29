// Defines the integration-rule check: the rules of a spec that are about the two systems and
// the records moving between them rather than about the types of expressions. Codes E0401-E0421
// (and E0301 for an unknown field in an `owner` block); docs/errors/E04*.md explains each.
//
//   ownership   (integration_ownership.cpp)  a field claimed twice, a map writing a field its
//               target system owns, a field pair copied both ways with no owner, a mapped
//               field with no owner at all;
//   fields      (integration_fields.cpp)     required-on-create fields a map never sets, keys
//               that cannot identify a record, maps without a key;
//   refs        (integration_refs.cpp)       `ref(map, id)` into a reference field of another
//               object, or into another system;
//   tables      (integration_tables.cpp)     literals and table values outside a restricted
//               picklist (also in nested fields and line rows), lookup tables that miss values
//               of their source picklist, tables never used;
//   writes      (integration_writes.cpp)     writes into read-only or computed fields, and
//               into fields the map's write mode (create, update, upsert) cannot set.
//   cycles      (integration_cycles.cpp)     maps that `ref` each other (E0416);
//   writers     (integration_writers.cpp)    two maps writing the same fields of the same
//               target records (same object, same key field: E0419);
//   flags       (integration_flags.cpp)      a `flag` on an assignment without a fallback (E0420);
//   comparisons (integration_comparisons.cpp) a picklist field compared with a value it does
//               not have (E0421).
//
// The check runs after the systems' schemas are loaded (check/systems.h). Whatever does not
// resolve (an unknown system or object, a system whose schema failed to load, an unknown target
// field) is skipped silently: the structure check, CheckObjectRefs and the type checker report
// those. The rules are independent of the type checker and read only the AST and the schemas.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/csv_tables.h"
#include "compiler/check/systems.h"
#include "compiler/check/types.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/schema/model.h"

namespace crmx::check {

// Checks `root` with the declarations of its `imports` (owner blocks, maps and tables of an
// imported module take part; diagnostics point into the file that declares the offending item).
// `csv`, when given, holds the rows of the CSV tables (check/csv_tables.h): they take part in
// the picklist rules as literal tables do.
void CheckIntegration(const ast::Module& root, const std::vector<const ast::Module*>& imports,
                      const Systems& systems, diag::DiagnosticSink& sink, const CsvTables* csv = nullptr);

// ------------------------------------------------------------------------------ internals
// Shared by the integration_*.cpp files; not an interface for other phases.
namespace integration {

// One entry of an `owner` block that claims a field: `owner crm { Account { Name } }`.
struct Claim {
  std::string system;           // the owner
  const schema::Object* object = nullptr;
  std::string field;
  Span span;                    // the field name, or the object name for `*`
  // How the claim was made, for messages: "", "*" (every field), or the compound field whose
  // component this is ("BillingAddress" for BillingCountry).
  std::string via;
};

// A map whose source and target objects both resolved.
struct ResolvedMap {
  const ast::MapDecl* decl = nullptr;
  const schema::Object* source = nullptr;
  const schema::Object* target = nullptr;
};

struct Context {
  Context(const ast::Module& r, const Systems& s, diag::DiagnosticSink& k) : root(r), systems(s), sink(k) {}

  const ast::Module& root;
  std::vector<const ast::Module*> modules;  // the imports, then the root
  const Systems& systems;
  diag::DiagnosticSink& sink;

  std::vector<ResolvedMap> maps;                                 // in source order
  std::map<std::string, const ast::MapDecl*> maps_by_name;       // every map, resolved or not
  std::map<std::string, const ast::TableDecl*> tables;           // first declaration of a name
  // The first claim of each field, by object and field name.
  std::map<std::pair<const schema::Object*, std::string>, Claim> owned;
  // Objects claimed with `*` by some system (their child relationships count as owned).
  std::map<const schema::Object*, std::string> star_owned;
  bool has_conflicts = false;  // a `conflicts` rule decides the fields without an owner
  bool has_owners = false;     // the spec names systems of record (an `owner` block)
  const CsvTables* csv = nullptr;  // the CSV tables' rows; null when they were not read

  // The claim on `object.field`, or null when no `owner` block names it.
  const Claim* OwnerOf(const schema::Object* object, const std::string& field) const;
  void Report(diag::Diagnostic d) const { sink.Report(std::move(d)); }
};

// Fills the context from its modules: the maps (resolved ones in Context::maps), the tables,
// whether there are owner blocks and a conflicts rule. CheckIntegration and check::Ownership
// (ownership.h) both start here.
void CollectDecls(Context& ctx);

// The rules, in the order CheckIntegration runs them. CheckOwnerBlocks fills Context::owned.
void CheckOwnerBlocks(Context& ctx);
void CheckMapOwnership(const Context& ctx);
void CheckMapFields(const Context& ctx);
void CheckRefs(const Context& ctx);
void CheckPicklistsAndTables(const Context& ctx);
void CheckWrites(const Context& ctx);
void CheckRefCycles(const Context& ctx);             // integration_cycles.cpp
void CheckDoubleWriters(const Context& ctx);        // integration_writers.cpp
void CheckFlags(const Context& ctx);                // integration_flags.cpp
void CheckPicklistComparisons(const Context& ctx);  // integration_comparisons.cpp

// ---- helpers over maps

// The record's own id (Salesforce `Id`, NetSuite `id`): keying on it updates existing records
// only, since a create cannot choose it.
bool IsRecordId(const schema::Object& o, const schema::Field& f);

// What a map's writes do: create records (it has no `key`), update existing ones (keyed on the
// record's own id, or into an object that cannot be created), or both (an upsert).
enum class WriteMode { kCreate, kUpdate, kUpsert };
WriteMode ModeOf(const ResolvedMap& m);

// A field a map statement writes: its target path resolved through object-typed fields
// (`address.city`), and the fields the object literals of its value set, recursively
// (`lines = Items.map(li, {item: ..., rate: ...})` writes `lines`, `lines.item` and
// `lines.rate`; `CustomerRef = {value: ...}` writes `CustomerRef.value`).
struct FieldWrite {
  const schema::Field* field = nullptr;
  std::string path;                   // from the target object: "lines.item"
  const ast::Expr* value = nullptr;   // the value written into it
  Span span;                          // where the spec names it: the target, or a literal's key
  bool nested = false;                // not one of the target object's own fields
};
std::vector<FieldWrite> FieldWrites(const Context& ctx, const ResolvedMap& m, const ast::MapStmt& s);

// ---- helpers over expressions

// `a ?? b ?? c`, `c ? a : b`: the expressions that can become the value, recursively (a
// `hold` is one of them; callers skip what does not concern them).
void Branches(const ast::Expr* e, std::vector<const ast::Expr*>& out);

// Calls `f(expr, bound)` for `e` and every expression inside it; `bound` holds the variables
// of the enclosing macros (`li` in `lines.map(li, li.Quantity)`).
using ExprVisitor = void (*)(const ast::Expr&, const std::set<std::string>&, void*);
void Walk(const ast::Expr* e, std::set<std::string>& bound, ExprVisitor f, void* data);

template <typename F>
void WalkExprs(const ast::Expr* e, F&& f) {
  std::set<std::string> bound;
  Walk(
      e, bound,
      [](const ast::Expr& x, const std::set<std::string>& b, void* d) { (*static_cast<F*>(d))(x, b); },
      &f);
}

// Calls `f` for every top-level expression of a module (maps, syncs, tables, alerts,
// reconciles, tests).
template <typename F>
void ForEachTopExpr(const ast::Module& m, F&& f) {
  for (const ast::DeclPtr& d : m.items) {
    if (const auto* map = d->As<ast::MapDecl>()) {
      for (const ast::MapStmt& s : map->stmts) f(s.value.get());
    } else if (const auto* sync = d->As<ast::SyncDecl>()) {
      f(sync->when.get());
      for (const ast::ExhaustedAction& a : sync->on_exhausted) {
        for (const ast::ExprPtr& t : a.targets) f(t.get());
      }
    } else if (const auto* table = d->As<ast::TableDecl>()) {
      f(table->value.get());
      for (const ast::NamedArg& a : table->csv_args) f(a.value.get());
    } else if (const auto* alert = d->As<ast::AlertDecl>()) {
      f(alert->when.get());
      for (const ast::ExprPtr& t : alert->notify) f(t.get());
    } else if (const auto* rec = d->As<ast::ReconcileDecl>()) {
      f(rec->by.get());
      for (const ast::ReconcileRule& r : rec->rules) {
        f(r.left.get());
        f(r.right.get());
      }
    } else if (const auto* test = d->As<ast::TestDecl>()) {
      for (const ast::TestStmt& s : test->stmts) {
        if (!s.record) continue;
        for (const ast::FieldInit& fi : s.record->fields) f(fi.value.get());
      }
    }
  }
}

// A field of the source object that an expression reads: a field by name, the reference field
// behind a relationship (`Account.BillingCountry` reads `AccountId`), or a child relationship
// (`OpportunityLineItems`, reported by its own name).
struct SourceRead {
  std::string field;
  Span span;
};
std::vector<SourceRead> SourceFieldsRead(const ast::Expr* e, const schema::Object& source);

// The first segment of a map statement's target path, resolved in `target`; null when it does
// not resolve (the type checker reports E0301) or the statement has no target.
const schema::Field* TargetField(const ast::MapStmt& s, const schema::Object& target);

// "`a`", "`a`, `b` and `c`" (at most `limit` names, then "and N more").
std::string QuoteList(const std::vector<std::string>& names, size_t limit = 8);
std::string Quote(const std::string& s);
// The object name as a spec writes it: "erp.Customer".
std::string Qualified(const ast::ObjectRef& ref);

// ---- the ownership model (integration_ownership.cpp)

// Who owns what one map statement writes into a target field of another system, as
// CheckMapOwnership decides it (E0402, E0404) and the plan records it (check/ownership.h).
enum class OwnerKind {
  kTarget,    // an `owner` block of the target system claims the field: `claim`
  kCopy,      // unclaimed, and the value reads a field the source system owns: the source's
  kConstant,  // unclaimed, and the value reads no source field: the integration's own value
  kNone,      // none of these: nobody owns it
};
struct WriteOwner {
  OwnerKind kind = OwnerKind::kNone;
  const Claim* claim = nullptr;  // kTarget: the target system's claim on the field
};
// `field`: the statement's target field in `m.target`; `reads`: SourceFieldsRead of its value.
WriteOwner OwnerOfWrite(const Context& ctx, const ResolvedMap& m, const schema::Field& field,
                        const std::vector<SourceRead>& reads);
// Is `field` of `object` owned by `system` (a claim, or a child relationship under `*`)?
bool OwnedBy(const Context& ctx, const schema::Object* object, const std::string& field, const std::string& system);

}  // namespace integration
}  // namespace crmx::check
