// Defines the whole of `crmx-run assess` (issue 13; docs/assess.md): the measurement of the
// source data (measure.h) with what else the plan and the data tell, scored with the seed's
// formulas (score.h) and the user's answers (answers.h):
// - the dry run: the plan evaluated on the data as a run would, writing nothing (engine
//   RunOptions::evaluate_only), counted per map: written, data-quality, held, waiting, error,
//   skipped by `when`, and flagged;
// - the SoR decisions the spec made (every synced field has an owner; plan::CountSorDecisions);
// - the closed-won records a month, from the close dates of the records the dry run passes;
// - the change rate (new and updated records a day) from the records' creation and change
//   stamps, and from it, the syncs' triggers and batch sizes, the API calls a day per system
//   against its budget;
// - the full rubric, the readiness score and the ROI when an answers file is given.
// Text, JSON (the shape docs/assess.md gives) and HTML (html_report.h renders the JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/assess/answers.h"
#include "runtime/assess/measure.h"
#include "runtime/assess/score.h"
#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"

namespace crmx::assess {

// ---------------------------------------------------------------- the dry run
struct DryRunMap {
  std::string map, source, target;  // "account_to_customer", "crm.Account", "erp.Customer"
  uint64_t records = 0;             // records evaluated (every outcome)
  uint64_t written = 0, skipped = 0, data_quality = 0, held = 0, waiting = 0, error = 0, deleted = 0;
  uint64_t flagged = 0;  // written records with at least one flag
};

struct DryRun {
  std::vector<DryRunMap> maps;  // in plan order
  uint64_t records = 0, written = 0, skipped = 0, data_quality = 0, held = 0, waiting = 0, error = 0, flagged = 0;
  // The share of the records a sync takes (not skipped by `when`) that would be written with
  // no person involved: written / (records - skipped), 0-1; none when every record is skipped.
  std::optional<double> automation_rate;
};

// ---------------------------------------------------------------- the change rate
// What a source object's stamps say about how fast it changes (docs/assess.md, "The change
// rate"): over the `window_days` days up to the latest stamp in the data (the data's "now"),
// records created in the window are new, records changed in it but created before are updated.
struct ObjectActivity {
  std::string system, object;
  std::string created_field, modified_field, close_field;  // "" when the object has none
  uint64_t records = 0;
  std::string window_end;  // the latest stamp, "YYYY-MM-DD"; "" when no record has one
  uint64_t created_in_window = 0, updated_in_window = 0;
  double new_per_day = 0, updated_per_day = 0;
  bool measured = false;  // a creation or change stamp was found
  std::string note;       // what was not read, when something was not
};

// Closed-won records a month: the records of one map the dry run passes (not skipped by its
// sync's `when`: for the north star, StageName == "Closed Won" && Amount > 0), by the month of
// their close date; the mean over the last 12 months of the data (fewer when it spans fewer),
// empty months counted.
struct ClosedWon {
  std::string map, object, date_field;
  std::vector<std::pair<std::string, uint64_t>> months;  // "2024-10" -> records, oldest first, every month
  uint64_t records = 0;        // in those months
  uint64_t without_date = 0;   // passed, but no close date
  // Records the dry run could not read (an error outcome: a value that does not convert), so
  // whether the `when` passes them is unknown: not counted.
  uint64_t undecided = 0;
  double per_month = 0;
};

// ---------------------------------------------------------------- sync volume
struct SyncVolume {
  std::string sync;     // the map it runs
  std::string trigger;  // "on change (polled every 60s)", "every 1h", "daily at 02:00", "no trigger (once a day)"
  double runs_per_day = 0;
  std::string source, target;  // "crm.Opportunity", "erp.SalesOrder"
  std::string source_system, target_system;
  double new_per_day = 0, updated_per_day = 0;
  double written_share = 0;  // of the changed records, written (the dry run's share for the map)
  int64_t read_batch = 0, write_batch = 0;
  size_t relations = 0;  // parent and child objects read with each page
  double read_calls_per_day = 0, write_calls_per_day = 0;
};

struct SystemVolume {
  std::string system, kind;
  double calls_per_day = 0;
  double new_per_day = 0, updated_per_day = 0;  // of the objects read from it
  std::optional<double> multiplier;             // calls / (new + updated); none with no change
  std::optional<double> budget_per_day;         // none: no daily call budget known
  std::string budget_from;                      // "spec", "vendor default: ..."; "" with no budget
  std::optional<BudgetUse> use;                 // with a budget
};

struct Volume {
  int window_days = 30;
  int64_t poll_ms = 60000;
  std::vector<SyncVolume> syncs;
  std::vector<SystemVolume> systems;  // in plan order
};

// ---------------------------------------------------------------- SoR decisions
struct Sor {
  bool known = true;  // false: the plan predates ownership (version < 6)
  int64_t synced = 0, owned = 0;
  std::vector<std::pair<std::string, std::string>> unowned;  // map, "erp.Customer.terms"
  double percent = 0;
};

// ---------------------------------------------------------------- the assessment
struct Assessment {
  std::string generated_at;  // RFC 3339
  Measurement measurement;
  std::optional<Answers> answers;
  DryRun dry_run;
  Sor sor;
  std::vector<ObjectActivity> activity;
  std::optional<ClosedWon> closed_won;
  Volume volume;
  Rubric rubric;  // the three measured criteria always; all five with answers
  bool rubric_complete = false;
  std::optional<Readiness> readiness;
  ReadinessInput readiness_input;
  std::optional<Roi> roi;
  RoiInput roi_input;
  std::string records_per_month_from, automation_rate_from;  // "data", "dry run", "answers"
  std::string roi_missing;  // why there is no ROI, with answers
};

struct AssessOptions {
  Options measure;
  int window_days = 30;
  int64_t poll_ms = 60000;  // how often an `on change` sync polls (serve's --poll)
  int64_t now_ms = 0;       // the dry run's clock (now(), today()); 0: the system's
};

// Measures and scores. False with `error` when a system cannot be read or the dry run fails.
bool Assess(const plan::Plan& plan, const engine::Systems& systems, const AssessOptions& options,
            const Answers* answers, Assessment& out, std::string& error);

// The vendor's documented daily call budget of a system kind, and where it comes from; none
// when the vendor limits otherwise (NetSuite: concurrency) or documents none.
std::optional<std::pair<double, std::string>> VendorDailyBudget(const std::string& kind);

// The calls a day of one sync (SyncVolume's read_calls_per_day, write_calls_per_day), from its
// runs a day, changes a day, written share, batch sizes and relations (docs/assess.md).
void EstimateCalls(SyncVolume& s);

std::string AssessmentText(const Assessment& a);
nlohmann::json AssessmentJson(const Assessment& a);

}  // namespace crmx::assess
