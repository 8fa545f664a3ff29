// Tests how reconciliation compares two values under a rule's tolerance (runtime/watch/reconcile.h,
// Compare) with exact decimals, and how it matches two sides' records (Match) and classifies the
// discrepancies against the state (Classify: known, new, persistent, resolved).
#include <doctest/doctest.h>

#include "runtime/watch/reconcile.h"

namespace {

using namespace crmx;
using value::Value;

Value Dec(const char* text) { return Value::Dec(*decimal::Decimal::Parse(text)); }

plan::ReconcileRule Rule(plan::ToleranceKind kind, const char* within = "0") {
  plan::ReconcileRule r;
  r.left.text = "Amount";
  r.right.text = "total";
  r.tolerance = kind;
  r.within = *decimal::Decimal::Parse(within);
  return r;
}

const plan::ReconcileRule kTwoPercent = Rule(plan::ToleranceKind::kPercent, "2");

}  // namespace

TEST_CASE("within 2%: relative to the left value, a difference of exactly 2% is within, a cent more is not") {
  watch::Comparison c = watch::Compare(Dec("92000.00"), Dec("93840.00"), kTwoPercent);
  CHECK(c.within);
  CHECK(c.difference == "+1840.00 (+2.00%)");
  CHECK(c.tolerance == "2% (1840.00)");
  c = watch::Compare(Dec("92000.00"), Dec("93840.01"), kTwoPercent);
  CHECK_FALSE(c.within);
  CHECK(c.difference == "+1840.01 (+2.00%)");
  // Downwards the same: 2% of the left value.
  CHECK(watch::Compare(Dec("92000.00"), Dec("90160.00"), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Dec("92000.00"), Dec("90159.99"), kTwoPercent).within);
  // The other way round the allowance is 2% of 93840.00: 1876.80.
  c = watch::Compare(Dec("93840.00"), Dec("92000.00"), kTwoPercent);
  CHECK(c.within);
  CHECK(c.difference == "-1840.00 (-1.96%)");
  CHECK(c.tolerance == "2% (1876.80)");
  CHECK(watch::Compare(Dec("93840.00"), Dec("91963.20"), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Dec("93840.00"), Dec("91963.19"), kTwoPercent).within);
  // 3% off, the end-to-end test's edit.
  c = watch::Compare(Dec("15240.00"), Dec("15697.20"), kTwoPercent);
  CHECK_FALSE(c.within);
  CHECK(c.difference == "+457.20 (+3.00%)");
}

TEST_CASE("within 2%: exact at any size, no double rounding (0.1 + 0.2 style values)") {
  // 2% of 0.30 is 0.006: 0.306 is within, 0.3060000000000000001 is not.
  CHECK(watch::Compare(Dec("0.30"), Dec("0.306"), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Dec("0.30"), Dec("0.3060000000000000001"), kTwoPercent).within);
  CHECK(watch::Compare(Dec("9999999999999999.99"), Dec("10199999999999999.9898"), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Dec("9999999999999999.99"), Dec("10199999999999999.9899"), kTwoPercent).within);
  // A fractional percentage.
  plan::ReconcileRule half = Rule(plan::ToleranceKind::kPercent, "0.5");
  CHECK(watch::Compare(Dec("200"), Dec("201"), half).within);
  CHECK_FALSE(watch::Compare(Dec("200"), Dec("201.01"), half).within);
}

TEST_CASE("within P% at a left value of 0: only 0 is within, and the difference has no percentage") {
  CHECK(watch::Compare(Dec("0.00"), Dec("0"), kTwoPercent).within);
  watch::Comparison c = watch::Compare(Dec("0.00"), Dec("0.01"), kTwoPercent);
  CHECK_FALSE(c.within);
  CHECK(c.difference == "+0.01");
  CHECK(c.tolerance == "2% (0.00)");
}

TEST_CASE("within N: an absolute amount either way; without within: equal by value") {
  plan::ReconcileRule abs = Rule(plan::ToleranceKind::kAbsolute, "100");
  CHECK(watch::Compare(Dec("1000"), Dec("1100.00"), abs).within);
  CHECK(watch::Compare(Dec("1000"), Dec("900"), abs).within);
  CHECK_FALSE(watch::Compare(Dec("1000"), Dec("1100.01"), abs).within);
  CHECK(watch::Compare(Dec("1000"), Dec("1100.01"), abs).tolerance == "100");
  plan::ReconcileRule exact = Rule(plan::ToleranceKind::kExact);
  CHECK(watch::Compare(Dec("1.5"), Dec("1.50"), exact).within);
  CHECK(watch::Compare(Value::Int(5), Dec("5.00"), exact).within);
  CHECK(watch::Compare(Value::Double(0.1), Dec("0.1"), exact).within);
  CHECK_FALSE(watch::Compare(Value::Int(5), Dec("5.01"), exact).within);
  CHECK(watch::Compare(Value::Int(5), Dec("5.01"), exact).tolerance == "exact");
}

TEST_CASE("values that are not numbers: equal or not, null equals only null, an error is never within") {
  plan::ReconcileRule exact = Rule(plan::ToleranceKind::kExact);
  CHECK(watch::Compare(Value::String("Acme"), Value::String("Acme"), exact).within);
  CHECK_FALSE(watch::Compare(Value::String("Acme"), Value::String("ACME"), exact).within);
  CHECK(watch::Compare(Value::Null(), Value::Null(), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Value::Null(), Dec("1"), kTwoPercent).within);
  CHECK_FALSE(watch::Compare(Dec("1"), Value::Null(), kTwoPercent).within);
  CHECK(watch::Compare(Dec("1"), Value::Null(), kTwoPercent).difference.empty());
  CHECK_FALSE(watch::Compare(Value::Error("Amount: `lots` is not a decimal number"), Dec("1"), kTwoPercent).within);
  CHECK(watch::ValueText(Value::Error("boom")) == "error: boom");
  CHECK(watch::ValueText(Dec("92000.00")) == "92000.00");
  CHECK(watch::ValueText(Value::Null()) == "null");
}

namespace {

plan::Reconcile Spec() {
  plan::Reconcile r;
  r.name = "crm.Opportunity~erp.SalesOrder";
  r.schedule = "daily";
  r.left.object = {"crm", "Opportunity"};
  r.right.object = {"erp", "SalesOrder"};
  r.left.carried_by = "won_to_order";
  r.rules.push_back(kTwoPercent);
  return r;
}

watch::SideRecord Rec(const std::string& key, const char* amount, bool expected = true) {
  watch::SideRecord s;
  s.key = key;
  s.shown_key = key;
  s.values.push_back(amount ? Dec(amount) : Value::Null());
  s.expected = expected;
  return s;
}

}  // namespace

TEST_CASE("matching: matched, out of tolerance, missing either side, not expected, duplicates; sorted by key") {
  plan::Reconcile r = Spec();
  watch::SideData left, right;
  left.records = {Rec("O4", "100"), Rec("O1", "92000.00"), Rec("O2", "50"), Rec("O3", "10", false), Rec("O5", "1"),
                  Rec("O5", "2")};
  left.without_key = 2;
  right.records = {Rec("O1", "93840.01"), Rec("O2", "50.00"), Rec("X9", "7"), Rec("O5", "1")};
  watch::Result res = watch::Match(r, left, right);
  CHECK(res.left_read == 8);
  CHECK(res.right_read == 4);
  CHECK(res.left_without_key == 2);
  CHECK(res.matched == 3);  // O1, O2, O5 (its first record)
  REQUIRE(res.fields.size() == 1);
  CHECK(res.fields[0].key == "O1");
  CHECK(res.fields[0].left == "92000.00");
  CHECK(res.fields[0].right == "93840.01");
  CHECK(res.fields[0].difference == "+1840.01 (+2.00%)");
  REQUIRE(res.missing_right.size() == 1);
  CHECK(res.missing_right[0].key == "O4");
  CHECK(res.left_not_expected == 1);  // O3: won_to_order's when leaves it out
  REQUIRE(res.missing_left.size() == 1);
  CHECK(res.missing_left[0].key == "X9");
  REQUIRE(res.duplicates.size() == 1);
  CHECK(res.duplicates[0].key == "O5");
  CHECK(res.duplicates[0].left);
  CHECK(res.duplicates[0].count == 2);
  CHECK(res.Discrepancies() == 4);
}

TEST_CASE("classifying: a key in a carrying map's queue is known; new, persistent since, resolved") {
  plan::Reconcile r = Spec();
  watch::SideData left, right;
  left.records = {Rec("O1", "100"), Rec("O2", "100"), Rec("O3", "100"), Rec("O4", "100")};
  right.records = {Rec("O1", "200"), Rec("O2", "100")};
  watch::Result res = watch::Match(r, left, right);
  REQUIRE(res.Discrepancies() == 3);  // O1 out of tolerance, O3 and O4 missing in erp
  watch::OpenItems open{{"won_to_order", {{"O4", {"held", "Unknown SKU"}}}}, {"other_map", {{"O3", {"held", "x"}}}}};
  state::ReconciliationRow previous{7, r.name, "2026-12-01T02:00:00Z", "2026-12-01T02:00:09Z", "sha256:x", 2, 3, "{}"};
  std::vector<state::DiscrepancyRow> rows{
      {"field", "O1", "Amount ~ total", "100", "150", "+50", "2%", 5, "2026-11-29T02:00:00Z"},
      {"missing_right", "O9", "", "", "", "", "", 6, "2026-11-30T02:00:00Z"},
      {"missing_right", "O4", "", "", "", "", "", 7, "2026-12-01T02:00:00Z"},
  };
  watch::Classify(res, open, previous, rows);
  // O4 is held by won_to_order (the left side's carrier): known, not counted; O3's queue is
  // another map's.
  REQUIRE(res.known.size() == 1);
  CHECK(res.known[0].key == "O4");
  CHECK(res.known[0].kind == "missing_right");
  CHECK(res.known[0].map == "won_to_order");
  CHECK(res.known[0].queue == "held");
  CHECK(res.known[0].reason == "Unknown SKU");
  REQUIRE(res.missing_right.size() == 1);
  CHECK(res.missing_right[0].key == "O3");
  CHECK_FALSE(res.missing_right[0].seen.persistent);
  REQUIRE(res.fields.size() == 1);
  CHECK(res.fields[0].seen.persistent);
  CHECK(res.fields[0].seen.since_reconciliation == 5);
  CHECK(res.fields[0].seen.since == "2026-11-29T02:00:00Z");
  CHECK(res.Discrepancies() == 2);
  CHECK(res.Persistent() == 1);
  CHECK(res.previous_id == 7);
  // O9 is gone: resolved. O4 is not resolved, only known now.
  REQUIRE(res.resolved.size() == 1);
  CHECK(res.resolved[0].key == "O9");
  CHECK(res.resolved[0].since_reconciliation == 6);
  // What the state keeps: the field row with its values, the new row not stamped yet.
  std::vector<state::DiscrepancyRow> kept = watch::Rows(res);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].kind == "missing_right");
  CHECK(kept[0].first_reconciliation == 0);
  CHECK(kept[1].kind == "field");
  CHECK(kept[1].field == "Amount ~ total");
  CHECK(kept[1].left_value == "100");
  CHECK(kept[1].right_value == "200");
  CHECK(kept[1].first_reconciliation == 5);
}
