// Defines `crmx-run assess` (assess_command.h): opens the plan's systems as `crmx-run diff` does
// (systems.h, creating nothing), reads the answers file when given, assesses
// (runtime/assess/assessment.h: the measurement, the dry run, the volume, the scores) and prints
// the report as text, JSON or HTML.
#include "runtime/cli/assess_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "runtime/assess/answers.h"
#include "runtime/assess/assessment.h"
#include "runtime/assess/html_report.h"
#include "runtime/assess/measure.h"
#include "runtime/cli/systems.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/value/value.h"

namespace crmx::cli {

namespace {

struct AssessArgs {
  SystemArgs systems;
  std::string format = "text";
  int examples = 5;
  std::string duplicates;  // --duplicates FILE
  std::string answers;     // --answers FILE
  std::string output;      // -o FILE
  std::string poll = "60s";
  int window = 30;
  std::string now;  // --now INSTANT
};

int AssessCommand(const AssessArgs& args) {
  assess::AssessOptions ao;
  ao.window_days = args.window;
  ao.poll_ms = DurationMs(args.poll);
  if (ao.poll_ms <= 0) {
    std::cerr << "error: --poll " << args.poll << ": expected a duration above 0 such as 30s, 1m or 5m\n";
    return 2;
  }
  if (!args.now.empty()) {
    value::Time t;
    if (!value::ParseTimestamp(args.now, t)) {
      std::cerr << "error: --now " << args.now << ": expected an RFC 3339 instant such as 2026-03-01T09:30:00Z\n";
      return 2;
    }
    ao.now_ms = t.seconds * 1000 + t.nanos / 1000000;
  }
  std::optional<assess::Answers> answers;
  if (!args.answers.empty()) {
    answers.emplace();
    std::string answers_error;
    if (!assess::LoadAnswers(args.answers, *answers, answers_error)) {
      std::cerr << answers_error << (answers_error.empty() || answers_error.back() != '\n' ? "\n" : "");
      std::cerr << "error: crmx-run assess: the answers file " << args.answers << " has the problems above\n";
      return 2;
    }
  }
  SystemArgs sa = args.systems;
  sa.create_nothing = true;  // a database that does not exist yet stays so
  plan::Plan p;
  OpenSystems open;
  if (OpenPlanAndSystems(sa, p, open) != 0) {
    std::cerr << "error: crmx-run assess could not open " << sa.plan << " and its systems (above)\n";
    return 2;
  }
  assess::Options& options = ao.measure;
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
  assess::Assessment a;
  std::string error;
  if (!assess::Assess(p, open.systems, ao, answers ? &*answers : nullptr, a, error)) {
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
  std::string text;
  if (args.format == "json") text = assess::AssessmentJson(a).dump(2) + "\n";
  else if (args.format == "html") text = assess::AssessmentHtml(assess::AssessmentJson(a));
  else text = assess::AssessmentText(a);
  if (args.output.empty()) {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "error: writing the report to standard output failed\n";
      return 2;
    }
    return 0;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << args.output << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void AddAssessCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AssessArgs>();
  CLI::App* cmd = app.add_subcommand(
      "assess", "The integration's readiness, measured on the data and writing nothing: completeness, duplicates and "
                "format consistency of the source records, a dry run of the plan, SoR decisions, closed-won records a "
                "month, API calls a day against each budget; with --answers, the rubric, readiness and ROI");
  cmd->add_option("plan", args->systems.plan, "The plan (crmxc build SPEC -o PLAN)")->required();
  AddSystemOptions(cmd, args->systems, "reads");
  cmd->add_option("--format", args->format,
                  "text (default), json (docs/assess.md: its shape) or html (one self-contained page with charts)")
      ->check(CLI::IsMember({"text", "json", "html"}));
  cmd->add_option("-o,--output", args->output, "Write the report to FILE instead of standard output");
  cmd->add_option("--answers", args->answers,
                  "The answers file (YAML: docs/assess-answers.example.yaml): governance, hygiene, system and "
                  "organisational readiness, ROI inputs");
  cmd->add_option("--poll", args->poll, "How often `on change` syncs poll, for the sync volume (default 60s, as serve)");
  cmd->add_option("--window", args->window, "Days of changes the change rate is measured over (default 30)")
      ->check(CLI::Range(1, 3660));
  cmd->add_option("--now", args->now, "The dry run's clock for now() and today() (RFC 3339; default the system's)");
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
