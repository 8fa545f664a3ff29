// Defines `crmx-run assess` (assess_command.h): opens the plan's systems as `crmx-run diff` does
// (systems.h, creating nothing), measures the source objects (runtime/assess/measure.h) and
// prints the report.
#include "runtime/cli/assess_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "runtime/assess/measure.h"
#include "runtime/cli/systems.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"

namespace crmx::cli {

namespace {

struct AssessArgs {
  SystemArgs systems;
  std::string format = "text";
  int examples = 5;
  std::string duplicates;  // --duplicates FILE
};

int AssessCommand(const AssessArgs& args) {
  SystemArgs sa = args.systems;
  sa.create_nothing = true;  // a database that does not exist yet stays so
  plan::Plan p;
  OpenSystems open;
  if (OpenPlanAndSystems(sa, p, open) != 0) {
    std::cerr << "error: crmx-run assess could not open " << sa.plan << " and its systems (above)\n";
    return 2;
  }
  assess::Options options;
  options.examples = static_cast<size_t>(args.examples);
  std::ofstream pairs;
  if (!args.duplicates.empty()) {
    pairs.open(args.duplicates, std::ios::binary | std::ios::trunc);
    if (!pairs) {
      std::cerr << "error: cannot write " << args.duplicates << "\n";
      return 2;
    }
    pairs << "object,first,second,rule\n";
    options.pair_out = [&pairs](const std::string& line) { pairs << line; };
  }
  assess::Measurement m;
  std::string error;
  if (!assess::Measure(p, open.systems, options, m, error)) {
    std::cerr << "error: assessing " << sa.plan << ": " << profile::Redact(open.target, error) << "\n";
    return 2;
  }
  if (pairs.is_open()) {
    pairs.close();
    if (!pairs) {
      std::cerr << "error: writing " << args.duplicates << " failed\n";
      return 2;
    }
  }
  std::cout << (args.format == "json" ? assess::MeasurementJson(m) : assess::MeasurementText(m));
  std::cout.flush();
  return 0;
}

}  // namespace

void AddAssessCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AssessArgs>();
  CLI::App* cmd = app.add_subcommand(
      "assess", "The data's readiness, measured: completeness of the key fields, duplicate rate and format "
                "consistency of the source records the plan's maps read, writing nothing");
  cmd->add_option("plan", args->systems.plan, "The plan (crmxc build SPEC -o PLAN)")->required();
  AddSystemOptions(cmd, args->systems, "reads");
  cmd->add_option("--format", args->format, "text (default) or json (docs/assess.md: its shape)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--examples", args->examples, "Example duplicate pairs per object (default 5)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--duplicates", args->duplicates,
                  "Write every duplicate match to FILE as CSV: object,first,second,rule (record ids)");
  cmd->callback([args, &exit_code] {
    try {
      exit_code = AssessCommand(*args);
    } catch (const std::exception& e) {
      std::cerr << "error: crmx-run assess: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace crmx::cli
