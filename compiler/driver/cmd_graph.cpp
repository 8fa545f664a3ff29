// Defines `crmxc graph SPEC [--format mermaid|dot|json]` (systems, objects and their owners,
// maps from source to target, refs, tables, syncs and their triggers) and `crmxc lineage SPEC
// FIELD [--format text|json]` (what a target field is computed from, or every target field a
// source field reaches) / `crmxc lineage SPEC --matrix [--format markdown|csv|json]` (the mapping
// matrix of the whole spec), on compiler/graph. Exit 1 when the spec has errors or the field is
// neither written nor read by any map, 2 on usage errors or unreadable input.
#include <algorithm>
#include <iostream>
#include <memory>

#include "compiler/driver/commands.h"
#include "compiler/driver/spec_plan.h"
#include "compiler/graph/graph.h"

namespace crmx::driver {

namespace {

struct GraphOptions {
  std::string spec;
  std::string format = "mermaid";
};

struct LineageOptions {
  std::string spec;
  std::string field;
  bool matrix = false;
  std::string format;
};

// Checks and builds `spec`; `modules` then holds the spec's modules (owned by `comp`).
int Load(const std::string& spec_arg, const std::string& purpose, Compilation& comp, SpecPlan& built,
         graph::SpecModules& modules) {
  std::string error;
  std::string spec = ResolveSpec(spec_arg, error);
  if (spec.empty()) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  if (int status = CheckAndBuildPlan(spec, purpose, comp, built); status != 0) return status;
  modules.modules = built.modules;
  modules.sources = &comp.sources();
  return 0;
}

int RunGraph(const GraphOptions& opt) {
  Compilation comp;
  SpecPlan built;
  graph::SpecModules modules;
  if (int status = Load(opt.spec, "graph", comp, built, modules); status != 0) return status;
  graph::Graph g = graph::BuildGraph(built.plan, modules);
  if (opt.format == "dot") {
    std::cout << graph::RenderDot(g);
  } else if (opt.format == "json") {
    std::cout << graph::RenderGraphJson(g);
  } else {
    std::cout << graph::RenderMermaid(g);
  }
  return 0;
}

int RunLineage(const LineageOptions& opt) {
  if (opt.matrix == !opt.field.empty()) {
    std::cerr << "error: name a field (`erp.Customer.state`) or --matrix, not both\n";
    return 2;
  }
  graph::FieldName name;
  if (!opt.matrix && !graph::ParseFieldName(opt.field, name)) {
    std::cerr << "error: `" << opt.field << "` is not a field name: write SYSTEM.Object.field (`erp.Customer.state`)\n";
    return 2;
  }
  const std::string format = opt.format.empty() ? (opt.matrix ? "markdown" : "text") : opt.format;
  if (opt.matrix ? (format != "markdown" && format != "csv" && format != "json") : (format != "text" && format != "json")) {
    std::cerr << "error: --format " << format << " is not a format of "
              << (opt.matrix ? "--matrix (markdown, csv, json)" : "a field's lineage (text, json)") << "\n";
    return 2;
  }
  Compilation comp;
  SpecPlan built;
  graph::SpecModules modules;
  if (int status = Load(opt.spec, "lineage", comp, built, modules); status != 0) return status;
  std::vector<graph::FieldLineage> all = graph::BuildLineage(built.plan, modules);
  if (opt.matrix) {
    std::cout << (format == "csv" ? graph::RenderMatrixCsv(all)
                  : format == "json" ? graph::RenderMatrixJson(all)
                                     : graph::RenderMatrixMarkdown(all));
    return 0;
  }
  graph::LineageQuery q = graph::QueryLineage(all, name);
  if (q.writes.empty() && q.reaches.empty()) {
    std::cerr << "error: no map writes or reads `" << opt.field << "`";
    // Name the fields of that object the spec does touch, so a typo is easy to see.
    std::vector<std::string> near;
    for (const graph::FieldLineage& l : all) {
      if (l.target.system == name.system && l.target.object == name.object) near.push_back(l.field);
      for (const std::string& s : l.sources) {
        if (s.rfind(name.system + "." + name.object + ".", 0) == 0) near.push_back(s.substr(name.system.size() + name.object.size() + 2));
      }
    }
    std::sort(near.begin(), near.end());
    near.erase(std::unique(near.begin(), near.end()), near.end());
    if (!near.empty()) {
      std::cerr << "; the spec's fields of " << name.system << "." << name.object << " are:";
      for (const std::string& f : near) std::cerr << " " << f;
    }
    std::cerr << "\n";
    return 1;
  }
  std::cout << (format == "json" ? graph::RenderQueryJson(name, q) : graph::RenderQueryText(name, q));
  return 0;
}

}  // namespace

void RegisterGraph(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<GraphOptions>();
  CLI::App* cmd = root.add_subcommand(
      "graph", "Prints what flows where: systems, objects and their owners, maps, refs, tables, syncs.\n"
               "Exit status: 0 printed, 1 the spec has errors, 2 usage error.");
  cmd->add_option("spec", opt->spec, "The integration spec (.crmx), or a folder holding exactly one")->required();
  cmd->add_option("--format", opt->format, "mermaid (default), dot or json")
      ->check(CLI::IsMember({"mermaid", "dot", "json"}));
  cmd->callback([opt, &exit_code] { exit_code = RunGraph(*opt); });

  auto lopt = std::make_shared<LineageOptions>();
  CLI::App* lin = root.add_subcommand(
      "lineage", "Prints what a target field is computed from (source fields, tables, functions, refs),\n"
                 "or every target field a source field reaches; --matrix: the mapping matrix of the spec.\n"
                 "Exit status: 0 printed, 1 the spec has errors or no map writes or reads the field, 2 usage error.");
  lin->add_option("spec", lopt->spec, "The integration spec (.crmx), or a folder holding exactly one")->required();
  lin->add_option("field", lopt->field, "SYSTEM.Object.field: `erp.Customer.state` or `crm.Account.BillingState`");
  lin->add_flag("--matrix", lopt->matrix, "Every field every map writes: source field -> transformation -> target field");
  lin->add_option("--format", lopt->format, "a field: text (default) or json; --matrix: markdown (default), csv or json");
  lin->callback([lopt, &exit_code] { exit_code = RunLineage(*lopt); });
}

}  // namespace crmx::driver
