// Defines the seed's scores of score.h: the rubric's point bands and tiers, the readiness
// formulas and bands, the savings and ROI formulas, and the budget bands with their advice. The
// boundary rules (a value on a boundary belongs to the middle band) are written once per band as
// comparisons against the cleaned value.
#include "runtime/assess/score.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crmx::assess {
namespace {

// 0-100, NaN as 0.
double Clamp100(double x) {
  if (std::isnan(x)) return 0;
  return std::clamp(x, 0.0, 100.0);
}

double Clamp01(double x) {
  if (std::isnan(x)) return 0;
  return std::clamp(x, 0.0, 1.0);
}

double NonNegative(double x) {
  if (std::isnan(x) || x < 0) return 0;
  return x;
}

// "72%", "72.5%": the measured value as the rubric shows it.
std::string ShowPercent(double percent) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g%%", Clean(percent));
  return buffer;
}

}  // namespace

double Clean(double x) {
  if (!std::isfinite(x) || std::fabs(x) >= 1e9) return x;
  double r = std::round(x * 1e6) / 1e6;
  // No "-0" in a report.
  return r == 0 ? 0.0 : r;
}

double Percent(int64_t part, int64_t whole) {
  if (whole == 0) return 0;
  return Clean(static_cast<double>(part) * 100.0 / static_cast<double>(whole));
}

// ---- Data Quality Rubric ----

std::string_view GovernanceName(Governance governance) {
  switch (governance) {
    case Governance::kDocumented: return "documented";
    case Governance::kInformal: return "informal";
    case Governance::kNone: return "none";
  }
  return "none";
}

std::string_view HygieneName(Hygiene hygiene) {
  switch (hygiene) {
    case Hygiene::kAutomated: return "automated";
    case Hygiene::kManualQuarterly: return "manual_quarterly";
    case Hygiene::kNone: return "none";
  }
  return "none";
}

int CompletenessPoints(double completeness_percent) {
  double p = Clean(completeness_percent);
  if (p > 80) return 30;
  if (p >= 60) return 20;
  return 10;
}

int DuplicatePoints(double duplicate_percent) {
  double p = Clean(duplicate_percent);
  if (p < 5) return 25;
  if (p <= 10) return 15;
  return 5;
}

int FormatPoints(double format_percent) {
  double p = Clean(format_percent);
  if (p > 85) return 20;
  if (p >= 70) return 12;
  return 5;
}

int GovernancePoints(Governance governance) {
  switch (governance) {
    case Governance::kDocumented: return 15;
    case Governance::kInformal: return 8;
    case Governance::kNone: return 0;
  }
  return 0;
}

int HygienePoints(Hygiene hygiene) {
  switch (hygiene) {
    case Hygiene::kAutomated: return 10;
    case Hygiene::kManualQuarterly: return 6;
    case Hygiene::kNone: return 0;
  }
  return 0;
}

Tier TierOf(int points) {
  if (points >= 75) return Tier::kReady;
  if (points >= 50) return Tier::kConditional;
  return Tier::kNotReady;
}

std::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kReady: return "tier 1: ready";
    case Tier::kConditional: return "tier 2: conditional";
    case Tier::kNotReady: return "tier 3: not ready";
  }
  return "tier 3: not ready";
}

Rubric ScoreRubric(const RubricInput& input) {
  Rubric rubric;
  rubric.criteria = {
      {"completeness", "Key-field completeness", ShowPercent(input.completeness_percent),
       CompletenessPoints(input.completeness_percent), 30},
      {"duplicates", "Duplicate rate", ShowPercent(input.duplicate_percent), DuplicatePoints(input.duplicate_percent),
       25},
      {"format", "Format consistency", ShowPercent(input.format_percent), FormatPoints(input.format_percent), 20},
      {"governance", "Data governance policy", std::string(GovernanceName(input.governance)),
       GovernancePoints(input.governance), 15},
      {"hygiene", "Hygiene process", std::string(HygieneName(input.hygiene)), HygienePoints(input.hygiene), 10},
  };
  for (const auto& c : rubric.criteria) rubric.points += c.points;
  rubric.tier = TierOf(rubric.points);
  return rubric;
}

// ---- Readiness ----

double DataQualityScore(double completeness_percent, double duplicate_percent, double format_percent) {
  double duplicate_term = std::max(0.0, 100.0 - 2.0 * Clamp100(duplicate_percent));
  return Clean(Clamp100(completeness_percent) * 0.4 + duplicate_term * 0.3 + Clamp100(format_percent) * 0.3);
}

double SystemReadiness(double api_availability, double documentation, double sandbox) {
  return Clean(Clamp100(api_availability) * 0.4 + Clamp100(documentation) * 0.3 + Clamp100(sandbox) * 0.3);
}

double OrganisationalReadiness(double executive_sponsorship, double sor_decisions, double stakeholder_availability) {
  return Clean(Clamp100(executive_sponsorship) * 0.4 + Clamp100(sor_decisions) * 0.3 +
               Clamp100(stakeholder_availability) * 0.3);
}

double SorDecisionsPercent(int64_t owned_fields, int64_t synced_fields) {
  if (synced_fields <= 0) return 100;
  return Clamp100(Percent(owned_fields, synced_fields));
}

ReadinessBand ReadinessBandOf(double score) {
  double s = Clean(score);
  if (s >= 80) return ReadinessBand::kReady;
  if (s >= 60) return ReadinessBand::kProceedInParallel;
  return ReadinessBand::kPrerequisitesFirst;
}

std::string_view ReadinessBandName(ReadinessBand band) {
  switch (band) {
    case ReadinessBand::kReady: return "ready";
    case ReadinessBand::kProceedInParallel: return "proceed, address gaps in parallel";
    case ReadinessBand::kPrerequisitesFirst: return "address prerequisites first";
  }
  return "address prerequisites first";
}

Readiness ScoreReadiness(const ReadinessInput& input) {
  Readiness r;
  r.data_quality = DataQualityScore(input.completeness_percent, input.duplicate_percent, input.format_percent);
  r.system = SystemReadiness(input.api_availability, input.documentation, input.sandbox);
  r.organisational =
      OrganisationalReadiness(input.executive_sponsorship, input.sor_decisions, input.stakeholder_availability);
  r.score = Clean((r.data_quality + r.system + r.organisational) / 3.0);
  r.band = ReadinessBandOf(r.score);
  return r;
}

// ---- Savings and ROI ----

Roi ScoreRoi(const RoiInput& input) {
  double records = NonNegative(input.records_per_month);
  Roi roi;
  roi.hours_saved_per_month =
      Clean(records * NonNegative(input.minutes_per_entry) * Clamp01(input.automation_rate) / 60.0);
  roi.annual_savings = Clean(roi.hours_saved_per_month * 12.0 * NonNegative(input.blended_hourly_rate));
  roi.error_cost_avoided = Clean(records * 12.0 * Clamp01(input.error_rate) * NonNegative(input.cost_per_error));
  roi.annual_benefit = Clean(roi.annual_savings + roi.error_cost_avoided);
  if (input.annual_integration_cost > 0) roi.roi = Clean(roi.annual_benefit / input.annual_integration_cost);
  return roi;
}

// ---- Sync volume ----

double SyncCallsPerDay(double new_per_day, double updated_per_day, double frequency_multiplier) {
  return Clean((NonNegative(new_per_day) + NonNegative(updated_per_day)) * NonNegative(frequency_multiplier));
}

BudgetBand BudgetBandOf(double use_percent) {
  double p = Clean(use_percent);
  if (p < 50) return BudgetBand::kGood;
  if (p <= 80) return BudgetBand::kTypical;
  if (p <= 90) return BudgetBand::kHigh;
  return BudgetBand::kRisk;
}

std::string_view BudgetBandName(BudgetBand band) {
  switch (band) {
    case BudgetBand::kGood: return "good";
    case BudgetBand::kTypical: return "typical";
    case BudgetBand::kHigh: return "high";
    case BudgetBand::kRisk: return "risk";
  }
  return "risk";
}

BudgetUse ScoreBudgetUse(double calls_per_day, double budget_per_day) {
  BudgetUse use;
  use.calls_per_day = Clean(NonNegative(calls_per_day));
  use.budget_per_day = Clean(NonNegative(budget_per_day));
  if (use.budget_per_day > 0) {
    use.use_percent = Clean(use.calls_per_day * 100.0 / use.budget_per_day);
  } else if (use.calls_per_day > 0) {
    use.use_percent = std::numeric_limits<double>::infinity();
  }
  use.band = BudgetBandOf(use.use_percent);
  use.over_budget = use.calls_per_day > use.budget_per_day;
  use.batch_non_urgent = use.band == BudgetBand::kRisk;
  if (use.over_budget) {
    use.advice = "over the daily API budget: batch non-urgent syncs (raise their batch size or run them less often)";
  } else if (use.band == BudgetBand::kRisk) {
    use.advice = "over 90% of the daily API budget: batch non-urgent syncs to keep headroom for retries and peaks";
  } else if (use.band == BudgetBand::kHigh) {
    use.advice = "between 80% and 90% of the daily API budget: little headroom; consider batching non-urgent syncs";
  }
  return use;
}

}  // namespace crmx::assess
