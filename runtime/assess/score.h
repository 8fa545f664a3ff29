// Defines the seed's assessment scores (issue 13, section 2; docs/assess.md, "Scores"): the Data
// Quality Rubric (100 points, three tiers), the readiness score (data quality, system and
// organisational readiness, three bands), the manual-entry savings and ROI, and the sync volume
// against an API budget (four bands). Pure functions of numbers: no I/O, no spec, no data; the
// measuring half (measure.h) and the answers file (answers.h) supply the inputs.
//
// Percentages are 0-100 (not 0-1); rates (automation, error) are 0-1.
//
// Boundaries. The seed writes its bands as "> a", "b-a", "< b"; a value exactly on a boundary
// belongs to the middle, closed band: completeness exactly 80% is 20 points, exactly 60% is 20
// points; duplicates exactly 5% or 10% are 15 points; format exactly 85% or 70% is 12 points;
// budget use exactly 50% or 80% is typical. Bands written "N+" include N: rubric points 75 are
// tier 1, 50 tier 2; readiness 80 is ready, 60 proceed (and 79.9 proceeds: the bands cover every
// real number, "60-79" means [60, 80)). The seed leaves budget use between 80% and 90% unnamed:
// it is BudgetBand::kHigh, and exactly 90% is high too (risk is "over 90%").
//
// Floating point. Every derived value is rounded to 6 decimal places (Clean), and measured
// percentages are rounded the same way before they are compared with a boundary, so binary noise
// (0.9 is not a binary fraction; 7 / 100 * 100 is 7.000000000000001) neither moves a value across
// a boundary nor shows in a report: 72 x 0.4 + 88 x 0.3 + 74 x 0.3 is exactly 77.4, and 500 x 8 x
// 0.9 / 60 exactly 60. Percent() computes count * 100 / total, exact whenever the true value is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmx::assess {

// `x` rounded to 6 decimal places (values of magnitude 1e9 and more are returned as they are).
double Clean(double x);

// 100 x part / whole, cleaned; 0 when `whole` is 0 (no records: nothing measured).
double Percent(int64_t part, int64_t whole);

// ---- Data Quality Rubric (100 points) ----

// The two rubric criteria the answers file gives (answers.h reads them by these names).
enum class Governance { kDocumented, kInformal, kNone };   // "documented" 15, "informal" 8, "none" 0
enum class Hygiene { kAutomated, kManualQuarterly, kNone };  // "automated" 10, "manual_quarterly" 6, "none" 0

std::string_view GovernanceName(Governance governance);
std::string_view HygieneName(Hygiene hygiene);

// Key-field completeness (share of records with every key field), of 30: > 80% 30, 60-80% 20,
// < 60% 10.
int CompletenessPoints(double completeness_percent);
// Duplicate rate (share of records that are likely duplicates), of 25: < 5% 25, 5-10% 15, > 10% 5.
int DuplicatePoints(double duplicate_percent);
// Format consistency (share of checked values that parse), of 20: > 85% 20, 70-85% 12, < 70% 5.
int FormatPoints(double format_percent);
// Data governance policy, of 15.
int GovernancePoints(Governance governance);
// Hygiene process, of 10.
int HygienePoints(Hygiene hygiene);

enum class Tier { kReady = 1, kConditional = 2, kNotReady = 3 };
// 75+ tier 1 (ready), 50-74 tier 2 (conditional), below 50 tier 3 (not ready).
Tier TierOf(int points);
// "tier 1: ready", "tier 2: conditional", "tier 3: not ready".
std::string_view TierName(Tier tier);

struct RubricInput {
  double completeness_percent = 0;  // measured
  double duplicate_percent = 0;     // measured
  double format_percent = 0;        // measured
  Governance governance = Governance::kNone;  // answered
  Hygiene hygiene = Hygiene::kNone;           // answered
};

// One line of the rubric, in the seed's order.
struct Criterion {
  std::string key;       // "completeness", "duplicates", "format", "governance", "hygiene"
  std::string label;     // "Key-field completeness"
  std::string measured;  // "72%", "documented": what earned the points
  int points = 0;
  int max_points = 0;
};

struct Rubric {
  std::vector<Criterion> criteria;  // five, in the seed's order
  int points = 0;                   // of 100
  Tier tier = Tier::kNotReady;
};

Rubric ScoreRubric(const RubricInput& input);

// ---- Readiness score ----

// completeness x 0.4 + (100 - 2 x duplicate%) x 0.3 + format x 0.3. Inputs are clamped to 0-100;
// the duplicate term is clamped to 0 from a duplicate rate of 50% up (the seed's formula would go
// negative there).
double DataQualityScore(double completeness_percent, double duplicate_percent, double format_percent);
// API availability x 0.4 + documentation x 0.3 + sandbox x 0.3, each 0-100 (clamped).
double SystemReadiness(double api_availability, double documentation, double sandbox);
// Executive sponsorship x 0.4 + SoR decisions x 0.3 + stakeholder availability x 0.3, each 0-100
// (clamped).
double OrganisationalReadiness(double executive_sponsorship, double sor_decisions, double stakeholder_availability);
// "SoR decisions made", from the spec: the share of synced fields that have an owner (a system of
// record), 0-100. A spec that syncs no field has made every decision it needs: 100.
double SorDecisionsPercent(int64_t owned_fields, int64_t synced_fields);

enum class ReadinessBand { kReady, kProceedInParallel, kPrerequisitesFirst };
// 80+ ready, 60-79 (that is, [60, 80)) proceed and address gaps in parallel, under 60 address
// prerequisites first.
ReadinessBand ReadinessBandOf(double score);
// "ready", "proceed, address gaps in parallel", "address prerequisites first".
std::string_view ReadinessBandName(ReadinessBand band);

struct ReadinessInput {
  double completeness_percent = 0;
  double duplicate_percent = 0;
  double format_percent = 0;
  double api_availability = 0;
  double documentation = 0;
  double sandbox = 0;
  double executive_sponsorship = 0;
  double sor_decisions = 0;  // SorDecisionsPercent of the spec
  double stakeholder_availability = 0;
};

struct Readiness {
  double data_quality = 0;
  double system = 0;
  double organisational = 0;
  double score = 0;  // the mean of the three
  ReadinessBand band = ReadinessBand::kPrerequisitesFirst;
};

Readiness ScoreReadiness(const ReadinessInput& input);

// ---- Manual-entry savings and ROI ----

struct RoiInput {
  double records_per_month = 0;   // from the data: closed-won opportunities a month
  double minutes_per_entry = 0;   // answered
  double automation_rate = 0;     // 0-1: answered, or from the dry run
  double blended_hourly_rate = 0;  // answered, money an hour
  double error_rate = 0;          // 0-1, answered: share of manual entries with an error
  double cost_per_error = 0;      // answered, money
  double annual_integration_cost = 0;  // answered, money a year
};

struct Roi {
  double hours_saved_per_month = 0;  // records x minutes x automation rate / 60
  double annual_savings = 0;         // hours x 12 x blended rate
  double error_cost_avoided = 0;     // records x 12 x error rate x cost per error
  double annual_benefit = 0;         // annual savings + error cost avoided
  // annual benefit / annual integration cost (2.0: the benefit is twice the cost); none when the
  // cost is 0 or less.
  std::optional<double> roi;
};

// Negative inputs count as 0; rates are clamped to 0-1.
Roi ScoreRoi(const RoiInput& input);

// ---- Sync volume against the API budget ----

// (new records a day + updated records a day) x the sync frequency multiplier: API calls a day.
// Negative inputs count as 0.
double SyncCallsPerDay(double new_per_day, double updated_per_day, double frequency_multiplier);

// Under 50% good, 50-80% typical, over 80% up to 90% high (the seed's gap), over 90% risk (which
// includes over budget).
enum class BudgetBand { kGood, kTypical, kHigh, kRisk };
BudgetBand BudgetBandOf(double use_percent);
// "good", "typical", "high", "risk".
std::string_view BudgetBandName(BudgetBand band);

struct BudgetUse {
  double calls_per_day = 0;
  double budget_per_day = 0;
  double use_percent = 0;  // calls / budget x 100; 0 with no budget
  BudgetBand band = BudgetBand::kGood;
  bool over_budget = false;  // calls > budget
  // The seed's advice, "batch non-urgent syncs", applies: the band is risk (over 90%, or over
  // budget).
  bool batch_non_urgent = false;
  // What to tell the user, one sentence; "" when the use is good or typical.
  std::string advice;
};

// `calls_per_day` of a system against its budget (calls a day). A budget of 0 or less allows no
// call: no calls is good at 0%, any call is risk and over budget with use_percent infinity.
BudgetUse ScoreBudgetUse(double calls_per_day, double budget_per_day);

}  // namespace crmx::assess
