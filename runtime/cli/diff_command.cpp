// Defines `crmx-run diff` (diff_command.h): opens each plan's systems as `crmx-run run` does
// (systems.h), evaluates the plan dry (engine::RunOptions::evaluate_only) with its records
// spilled per map into a temporary directory, compares the spills (runtime/diff/diff.h) and
// prints the report.
#include "runtime/cli/diff_command.h"

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "runtime/cli/systems.h"
#include "runtime/queue/temp_dir.h"
#include "runtime/diff/diff.h"
#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"

namespace crmx::cli {

namespace {

namespace fs = std::filesystem;

struct DiffArgs {
  std::string old_plan, new_plan;
  SystemArgs systems;  // its `plan` is set per evaluation
  std::string format = "text";
  int examples = 3;
  bool exit_code = false;
  std::string spill_dir;
};

// Evaluates the plan at `path` dry, its records spilled per map into `dir` (files named
// `tag`-N.jsonl); `sides` receives each map. 0, else 2 (said on stderr).
int Evaluate(const DiffArgs& args, const std::string& path, const std::string& dir, const std::string& tag,
             int64_t now_ms, diff::PlanInfo& info, std::map<std::string, diff::MapSide>& sides) {
  SystemArgs sa = args.systems;
  sa.plan = path;
  sa.create_nothing = true;  // a target database that does not exist yet stays so
  plan::Plan p;
  OpenSystems open;
  if (OpenPlanAndSystems(sa, p, open) != 0) {
    std::cerr << "error: crmx-run diff could not open " << path << " and its systems (above)\n";
    return 2;
  }
  info.path = path;
  info.integration = p.integration;
  info.version = p.spec_version;
  info.hash = plan::ContentHash(p);
  std::map<const plan::Map*, std::unique_ptr<diff::SpillWriter>> writers;
  for (size_t i = 0; i < p.maps.size(); ++i) {
    const plan::Map& m = p.maps[i];
    diff::MapSide& s = sides[m.name];
    s.present = true;
    s.source = m.source.system + "." + m.source.object;
    s.target = m.target.system + "." + m.target.object;
    for (const plan::TargetField& f : m.target_fields) s.fields.push_back(f.name);
    s.spill = (fs::path(dir) / (tag + "-" + std::to_string(i) + ".jsonl")).string();
  }
  std::string spill_error;
  engine::RunOptions options;
  options.evaluate_only = true;
  options.full = true;
  options.samples = 0;  // the report's samples are not used: every record goes to a spill file
  options.retry_wait_ms = 0;
  // The same clock for both evaluations: `now()` and `today()` give both plans the same instant.
  options.now_ms = [now_ms] { return now_ms; };
  options.evaluated = [&](const engine::Evaluated& e) {
    std::unique_ptr<diff::SpillWriter>& w = writers[e.map];
    if (!w) {
      w = std::make_unique<diff::SpillWriter>();
      if (!w->Open(sides[e.map->name].spill, spill_error)) return;
    }
    w->Add(e);
  };
  engine::RunReport report;
  std::string error;
  if (!engine::Run(p, open.systems, nullptr, options, report, error)) {
    std::cerr << "error: evaluating " << path << ": " << profile::Redact(open.target, error) << "\n";
    return 2;
  }
  for (auto& [m, w] : writers) {
    if (!w->Close(spill_error)) break;
  }
  if (!spill_error.empty()) {
    std::cerr << "error: " << spill_error << "\n";
    return 2;
  }
  return 0;
}

int DiffCommand(const DiffArgs& args) {
  queue::TempDir dir;
  std::string error;
  if (!dir.Make(args.spill_dir, "diff", "the diff's spill files", error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  diff::Report report;
  std::map<std::string, diff::MapSide> old_sides, new_sides;
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (int rc = Evaluate(args, args.old_plan, dir.path(), "old", now_ms, report.old_plan, old_sides)) return rc;
  if (int rc = Evaluate(args, args.new_plan, dir.path(), "new", now_ms, report.new_plan, new_sides)) return rc;
  // The old plan's maps in its order, then the new plan's own.
  plan::Plan old_plan, new_plan;
  std::vector<std::string> names;
  if (!plan::ReadPlanFile(args.old_plan, old_plan, error) || !plan::ReadPlanFile(args.new_plan, new_plan, error)) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  for (const plan::Map& m : old_plan.maps) names.push_back(m.name);
  for (const plan::Map& m : new_plan.maps)
    if (!old_sides.count(m.name)) names.push_back(m.name);
  diff::Options options;
  options.examples = static_cast<size_t>(args.examples);
  for (const std::string& name : names) {
    diff::MapDiff d;
    if (!diff::CompareMap(name, old_sides[name], new_sides[name], options, d, error)) {
      std::cerr << "error: comparing map `" << name << "`: " << error << "\n";
      return 2;
    }
    report.maps.push_back(std::move(d));
  }
  std::cout << (args.format == "json" ? diff::ReportJson(report) : diff::ReportText(report));
  std::cout.flush();
  return args.exit_code && report.Differs() ? 1 : 0;
}

}  // namespace

void AddDiffCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "What a spec change does to the data: evaluates two plans on the same source records, writing nothing, "
              "and reports per map the records whose outcome, target values or flags change");
  cmd->add_option("old_plan", args->old_plan, "The plan before the change (crmxc build SPEC -o PLAN)")->required();
  cmd->add_option("new_plan", args->new_plan, "The plan after the change")->required();
  AddSystemOptions(cmd, args->systems, "reads");
  cmd->add_option("--format", args->format, "text (default) or json (docs/cli.md: its shape)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--examples", args->examples, "Example records per change (default 3)")->check(CLI::Range(0, 1000));
  cmd->add_flag("--exit-code", args->exit_code, "Exit 1 when the plans differ (like git diff --exit-code)");
  cmd->add_option("--spill-dir", args->spill_dir,
                  "Where the per-record spill files go while the diff runs (default: the temporary directory)");
  cmd->callback([args, &exit_code] {
    try {
      exit_code = DiffCommand(*args);
    } catch (const std::exception& e) {
      std::cerr << "error: crmx-run diff: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace crmx::cli
