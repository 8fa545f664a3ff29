// Declares what `crmxc graph` and `crmxc lineage` compute from a checked spec: the graph of an
// integration (systems, objects and who owns their fields, maps from source to target object,
// the `ref`s between maps, syncs and their triggers, tables), and the lineage of every field a
// map writes (the source fields, tables, functions and referenced maps behind it, and the
// expression as the spec writes it), with the renderers (Mermaid, Graphviz DOT, JSON; the
// lineage of one field, forwards or backwards; the mapping matrix as Markdown or CSV).
//
// Both are built from the plan (compiler/ir: its bindings say what each program input really
// is, after macros, shared values and hoisted refs are resolved) and the spec's AST (what the
// plan does not keep: `owner` declarations, a table's CSV file, each statement's text).
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/base/source.h"
#include "runtime/plan/plan.h"

namespace crmx::graph {

// The spec's modules: the integration first, then its imports; `sources` holds their text
// (a statement's expression is quoted from it).
struct SpecModules {
  std::vector<const ast::Module*> modules;
  const SourceManager* sources = nullptr;
};

// The text of `span` as the spec writes it, on one line: `//` comments dropped, each run of
// white space one space. Empty without sources.
std::string SpanText(const SpecModules& spec, const Span& span);

// ------------------------------------------------------------------------------ the graph

struct Ownership {
  std::string system;               // the owner, the system of record ("crm")
  std::string object;               // "Account"
  bool all_fields = false;          // `*`
  std::vector<std::string> fields;  // the fields, or the exceptions with all_fields
};

struct GraphTable {
  std::string name;
  std::string csv;  // the CSV file as the spec names it; empty for a literal table
  size_t entries = 0;
};

struct GraphMap {
  std::string name;
  plan::ObjectName source, target;
  std::vector<std::string> refs;  // maps it refs (depends_on)
  std::vector<std::string> tables;
  std::string trigger;  // "on change", "every 15m", "daily at 02:00", or "" without a sync
  std::vector<std::string> when;  // the sync's `when` reasons
};

struct Graph {
  std::string integration;
  std::vector<std::pair<std::string, std::string>> systems;  // name, kind
  std::vector<plan::ObjectName> objects;                      // every object a map or owner names, sorted
  std::vector<Ownership> ownership;
  std::vector<GraphTable> tables;
  std::vector<GraphMap> maps;  // in plan order (a map after the maps it refs)
};

Graph BuildGraph(const plan::Plan& plan, const SpecModules& spec);

std::string RenderMermaid(const Graph& g);
std::string RenderDot(const Graph& g);
std::string RenderGraphJson(const Graph& g);

// ------------------------------------------------------------------------------ lineage

// One field a map writes (its key, a plain assignment or a `ref`), and what it comes from.
struct FieldLineage {
  std::string map;
  plan::ObjectName target;
  std::string field;           // as the spec writes it: "CustomerRef.value"
  std::string kind;            // "key", "assign" or "ref"
  std::string transformation;  // the expression as the spec writes it; "" when not found
  // "system.Object.field", sorted: the source object's own fields, a parent's fields (the
  // parent object's: crm.Account.BillingCountry for an Opportunity's Account.BillingCountry)
  // and the child records' fields the expression selects.
  std::vector<std::string> sources;
  std::vector<std::string> tables;     // sorted
  std::vector<std::string> functions;  // builtins called, sorted
  std::vector<std::string> refs;       // maps whose id cross-reference resolves a value, sorted
  std::vector<std::string> through;    // target fields of the same map it is computed from
  std::string owner;                   // the system that owns the target field per `owner`; ""
};

std::vector<FieldLineage> BuildLineage(const plan::Plan& plan, const SpecModules& spec);

// What a `crmxc lineage SPEC FIELD` names: `system.Object.field` (the field may be dotted:
// `erp.Invoice.CustomerRef.value`).
struct FieldName {
  std::string system, object, field;
};
bool ParseFieldName(const std::string& text, FieldName& out);

// The lineage of a target field (every map that writes it), or, when the field is a source
// field, every target field it reaches. `found_as` says which ("target", "source", or both
// joined by ","); empty when the spec neither writes nor reads it.
struct LineageQuery {
  std::vector<const FieldLineage*> writes;   // `name` is the target
  std::vector<const FieldLineage*> reaches;  // `name` is among the sources
};
LineageQuery QueryLineage(const std::vector<FieldLineage>& all, const FieldName& name);

std::string RenderQueryText(const FieldName& name, const LineageQuery& q);
std::string RenderQueryJson(const FieldName& name, const LineageQuery& q);
std::string RenderMatrixMarkdown(const std::vector<FieldLineage>& all);
std::string RenderMatrixCsv(const std::vector<FieldLineage>& all);
std::string RenderMatrixJson(const std::vector<FieldLineage>& all);

}  // namespace crmx::graph
