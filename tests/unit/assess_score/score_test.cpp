// Tests the seed's scores (runtime/assess/score.h): its worked examples with its numbers,
// compared exactly (data quality 77.4, system 88, organisation 56, readiness 73.8; 60 hours,
// $32,400, $15,000, $47,400; 340 calls a day), and every band boundary on both sides.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "runtime/assess/score.h"

namespace {

using namespace crmx::assess;

// The seed's worked example gives the three scores, not their parts; these parts produce them.
// Data quality: completeness 72%, duplicates 6%, format consistency 74%:
//   72 x 0.4 + (100 - 2 x 6) x 0.3 + 74 x 0.3 = 28.8 + 26.4 + 22.2 = 77.4.
// System: API availability 100 (full), documentation 80, sandbox 80:
//   40 + 24 + 24 = 88.
// Organisation: executive sponsorship 50 (nominal), SoR decisions 60% (6 of 10 synced fields have
// an owner), stakeholder availability 60:  20 + 18 + 18 = 56.
ReadinessInput WorkedExample() {
  ReadinessInput in;
  in.completeness_percent = 72;
  in.duplicate_percent = 6;
  in.format_percent = 74;
  in.api_availability = 100;
  in.documentation = 80;
  in.sandbox = 80;
  in.executive_sponsorship = 50;
  in.sor_decisions = SorDecisionsPercent(6, 10);
  in.stakeholder_availability = 60;
  return in;
}

TEST_CASE("the seed's readiness example: 77.4, 88, 56, 73.8") {
  Readiness r = ScoreReadiness(WorkedExample());
  CHECK(r.data_quality == 77.4);
  CHECK(r.system == 88);
  CHECK(r.organisational == 56);
  CHECK(r.score == 73.8);
  CHECK(r.band == ReadinessBand::kProceedInParallel);
  CHECK(ReadinessBandName(r.band) == "proceed, address gaps in parallel");
  // The parts one by one, through the single-score functions.
  CHECK(DataQualityScore(72, 6, 74) == 77.4);
  CHECK(SystemReadiness(100, 80, 80) == 88);
  CHECK(OrganisationalReadiness(50, 60, 60) == 56);
}

TEST_CASE("the seed's savings example: 60 hours, $32,400, $15,000, $47,400") {
  // 500 closed-won a month, 8 minutes each, 90% automated; $45 an hour blended (the rate that
  // makes 60 h x 12 = 720 h a year $32,400); errors on 5% of entries at $50 each
  // (500 x 12 x 0.05 x 50 = $15,000). The integration's annual cost, $30,000, is ours.
  RoiInput in;
  in.records_per_month = 500;
  in.minutes_per_entry = 8;
  in.automation_rate = 0.9;
  in.blended_hourly_rate = 45;
  in.error_rate = 0.05;
  in.cost_per_error = 50;
  in.annual_integration_cost = 30000;
  Roi roi = ScoreRoi(in);
  CHECK(roi.hours_saved_per_month == 60);
  CHECK(roi.annual_savings == 32400);
  CHECK(roi.error_cost_avoided == 15000);
  CHECK(roi.annual_benefit == 47400);
  REQUIRE(roi.roi.has_value());
  CHECK(*roi.roi == 1.58);
}

TEST_CASE("ROI: no cost, no ratio; rates clamped, negatives as 0") {
  RoiInput in;
  in.records_per_month = 100;
  in.minutes_per_entry = 6;
  in.automation_rate = 1.5;  // clamped to 1
  in.blended_hourly_rate = 50;
  in.error_rate = -0.1;  // clamped to 0
  in.cost_per_error = 80;
  in.annual_integration_cost = 0;
  Roi roi = ScoreRoi(in);
  CHECK(roi.hours_saved_per_month == 10);
  CHECK(roi.annual_savings == 6000);
  CHECK(roi.error_cost_avoided == 0);
  CHECK_FALSE(roi.roi.has_value());
}

TEST_CASE("the seed's sync volume example: (20 + 150) x 2 = 340 calls a day") {
  CHECK(SyncCallsPerDay(20, 150, 2) == 340);
  // 340 of a budget of 1,000 is 34%: good, no advice.
  BudgetUse use = ScoreBudgetUse(SyncCallsPerDay(20, 150, 2), 1000);
  CHECK(use.calls_per_day == 340);
  CHECK(use.use_percent == 34);
  CHECK(use.band == BudgetBand::kGood);
  CHECK_FALSE(use.batch_non_urgent);
  CHECK(use.advice.empty());
}

TEST_CASE("rubric points at every boundary") {
  // Completeness: > 80% 30, 60-80% 20 (both ends in), < 60% 10.
  CHECK(CompletenessPoints(100) == 30);
  CHECK(CompletenessPoints(80.01) == 30);
  CHECK(CompletenessPoints(80) == 20);
  CHECK(CompletenessPoints(60) == 20);
  CHECK(CompletenessPoints(59.99) == 10);
  CHECK(CompletenessPoints(0) == 10);
  // Duplicates: < 5% 25, 5-10% 15 (both ends in), > 10% 5.
  CHECK(DuplicatePoints(0) == 25);
  CHECK(DuplicatePoints(4.99) == 25);
  CHECK(DuplicatePoints(5) == 15);
  CHECK(DuplicatePoints(10) == 15);
  CHECK(DuplicatePoints(10.01) == 5);
  CHECK(DuplicatePoints(100) == 5);
  // Format: > 85% 20, 70-85% 12 (both ends in), < 70% 5.
  CHECK(FormatPoints(85.01) == 20);
  CHECK(FormatPoints(85) == 12);
  CHECK(FormatPoints(70) == 12);
  CHECK(FormatPoints(69.99) == 5);
  // Answered criteria.
  CHECK(GovernancePoints(Governance::kDocumented) == 15);
  CHECK(GovernancePoints(Governance::kInformal) == 8);
  CHECK(GovernancePoints(Governance::kNone) == 0);
  CHECK(HygienePoints(Hygiene::kAutomated) == 10);
  CHECK(HygienePoints(Hygiene::kManualQuarterly) == 6);
  CHECK(HygienePoints(Hygiene::kNone) == 0);
}

TEST_CASE("measured percentages on a boundary stay on it despite binary noise") {
  // 7 / 100 x 100 is 7.000000000000001 in binary; Percent and the bands see 7.
  CHECK(Percent(7, 100) == 7);
  CHECK(Percent(1, 3) == 33.333333);
  CHECK(Percent(0, 0) == 0);
  // 80% from counts: 20 points, not 30.
  CHECK(CompletenessPoints(Percent(4, 5)) == 20);
  // A value a hair above a boundary from arithmetic noise counts as on it.
  CHECK(CompletenessPoints(80.0000000001) == 20);
  CHECK(DuplicatePoints(0.05 * 100) == 15);
}

TEST_CASE("rubric tiers at every boundary") {
  CHECK(TierOf(100) == Tier::kReady);
  CHECK(TierOf(75) == Tier::kReady);
  CHECK(TierOf(74) == Tier::kConditional);
  CHECK(TierOf(50) == Tier::kConditional);
  CHECK(TierOf(49) == Tier::kNotReady);
  CHECK(TierOf(0) == Tier::kNotReady);
  CHECK(TierName(Tier::kConditional) == "tier 2: conditional");
}

TEST_CASE("the rubric of the worked example's data") {
  RubricInput in;
  in.completeness_percent = 72;  // 20
  in.duplicate_percent = 6;      // 15
  in.format_percent = 74;        // 12
  in.governance = Governance::kInformal;   // 8
  in.hygiene = Hygiene::kManualQuarterly;  // 6
  Rubric rubric = ScoreRubric(in);
  REQUIRE(rubric.criteria.size() == 5);
  CHECK(rubric.criteria[0].key == "completeness");
  CHECK(rubric.criteria[0].measured == "72%");
  CHECK(rubric.criteria[0].points == 20);
  CHECK(rubric.criteria[0].max_points == 30);
  CHECK(rubric.criteria[1].points == 15);
  CHECK(rubric.criteria[2].points == 12);
  CHECK(rubric.criteria[3].measured == "informal");
  CHECK(rubric.criteria[3].points == 8);
  CHECK(rubric.criteria[4].measured == "manual_quarterly");
  CHECK(rubric.criteria[4].points == 6);
  CHECK(rubric.points == 61);
  CHECK(rubric.tier == Tier::kConditional);
  int max = 0;
  for (const auto& c : rubric.criteria) max += c.max_points;
  CHECK(max == 100);
}

TEST_CASE("the best and worst rubrics: 100 and 20") {
  Rubric best = ScoreRubric({95, 1, 99, Governance::kDocumented, Hygiene::kAutomated});
  CHECK(best.points == 100);
  CHECK(best.tier == Tier::kReady);
  Rubric worst = ScoreRubric({10, 40, 20, Governance::kNone, Hygiene::kNone});
  CHECK(worst.points == 20);
  CHECK(worst.tier == Tier::kNotReady);
}

TEST_CASE("readiness bands at every boundary") {
  CHECK(ReadinessBandOf(100) == ReadinessBand::kReady);
  CHECK(ReadinessBandOf(80) == ReadinessBand::kReady);
  // "60-79" covers [60, 80): 79.9 proceeds.
  CHECK(ReadinessBandOf(79.9) == ReadinessBand::kProceedInParallel);
  CHECK(ReadinessBandOf(79) == ReadinessBand::kProceedInParallel);
  CHECK(ReadinessBandOf(60) == ReadinessBand::kProceedInParallel);
  CHECK(ReadinessBandOf(59.9) == ReadinessBand::kPrerequisitesFirst);
  CHECK(ReadinessBandOf(0) == ReadinessBand::kPrerequisitesFirst);
  CHECK(ReadinessBandName(ReadinessBand::kReady) == "ready");
  CHECK(ReadinessBandName(ReadinessBand::kPrerequisitesFirst) == "address prerequisites first");
  // A mean that is 80 in decimals is ready: (70 + 85 + 85) / 3.
  ReadinessInput in;
  in.completeness_percent = 100;
  in.duplicate_percent = 25;  // 100 - 50 = 50
  in.format_percent = 50;     // 40 + 15 + 15 = 70
  in.api_availability = 85;
  in.documentation = 85;
  in.sandbox = 85;
  in.executive_sponsorship = 85;
  in.sor_decisions = 85;
  in.stakeholder_availability = 85;
  Readiness r = ScoreReadiness(in);
  CHECK(r.data_quality == 70);
  CHECK(r.score == 80);
  CHECK(r.band == ReadinessBand::kReady);
}

TEST_CASE("data quality clamps: the duplicate term stops at 0, inputs at 0-100") {
  // From 50% duplicates up, 100 - 2 x dup% would be negative: it counts 0.
  CHECK(DataQualityScore(100, 50, 100) == 70);
  CHECK(DataQualityScore(100, 80, 100) == 70);
  CHECK(DataQualityScore(100, 0, 100) == 100);
  CHECK(DataQualityScore(150, -5, 100) == 100);
  CHECK(DataQualityScore(std::nan(""), 0, 0) == 30);
  CHECK(SystemReadiness(120, 100, 100) == 100);
  CHECK(OrganisationalReadiness(-10, 0, 0) == 0);
}

TEST_CASE("SoR decisions from the spec's owned fields") {
  CHECK(SorDecisionsPercent(6, 10) == 60);
  CHECK(SorDecisionsPercent(10, 10) == 100);
  CHECK(SorDecisionsPercent(0, 10) == 0);
  CHECK(SorDecisionsPercent(0, 0) == 100);
}

TEST_CASE("budget bands at every boundary") {
  CHECK(BudgetBandOf(0) == BudgetBand::kGood);
  CHECK(BudgetBandOf(49.99) == BudgetBand::kGood);
  CHECK(BudgetBandOf(50) == BudgetBand::kTypical);
  CHECK(BudgetBandOf(80) == BudgetBand::kTypical);
  // The seed's gap, over 80% up to 90%: high.
  CHECK(BudgetBandOf(80.01) == BudgetBand::kHigh);
  CHECK(BudgetBandOf(90) == BudgetBand::kHigh);
  CHECK(BudgetBandOf(90.01) == BudgetBand::kRisk);
  CHECK(BudgetBandOf(250) == BudgetBand::kRisk);
  CHECK(BudgetBandName(BudgetBand::kHigh) == "high");
}

TEST_CASE("budget use: advice to batch non-urgent syncs from the risk band on") {
  BudgetUse typical = ScoreBudgetUse(340, 680);
  CHECK(typical.use_percent == 50);
  CHECK(typical.band == BudgetBand::kTypical);
  CHECK(typical.advice.empty());

  BudgetUse high = ScoreBudgetUse(85, 100);
  CHECK(high.band == BudgetBand::kHigh);
  CHECK_FALSE(high.batch_non_urgent);
  CHECK(high.advice.find("consider batching non-urgent syncs") != std::string::npos);

  BudgetUse risk = ScoreBudgetUse(95, 100);
  CHECK(risk.band == BudgetBand::kRisk);
  CHECK_FALSE(risk.over_budget);
  CHECK(risk.batch_non_urgent);
  CHECK(risk.advice.find("batch non-urgent syncs") != std::string::npos);

  BudgetUse exact = ScoreBudgetUse(100, 100);
  CHECK(exact.band == BudgetBand::kRisk);
  CHECK_FALSE(exact.over_budget);

  BudgetUse over = ScoreBudgetUse(340, 300);
  CHECK(over.use_percent == 113.333333);
  CHECK(over.band == BudgetBand::kRisk);
  CHECK(over.over_budget);
  CHECK(over.batch_non_urgent);
  CHECK(over.advice.find("over the daily API budget") != std::string::npos);
}

TEST_CASE("budget use with no budget") {
  BudgetUse none = ScoreBudgetUse(0, 0);
  CHECK(none.use_percent == 0);
  CHECK(none.band == BudgetBand::kGood);
  CHECK_FALSE(none.over_budget);
  BudgetUse some = ScoreBudgetUse(10, 0);
  CHECK(std::isinf(some.use_percent));
  CHECK(some.band == BudgetBand::kRisk);
  CHECK(some.over_budget);
}

TEST_CASE("Clean removes binary noise and keeps large values") {
  CHECK(Clean(0.1 + 0.2) == 0.3);
  CHECK(Clean(-0.0000001) == 0);
  CHECK_FALSE(std::signbit(Clean(-0.0000001)));
  CHECK(Clean(1e12 + 0.5) == 1e12 + 0.5);
  CHECK(std::isinf(Clean(std::numeric_limits<double>::infinity())));
}

}  // namespace
