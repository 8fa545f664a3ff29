// Tests the HTML report of `crmx-run assess` (runtime/assess/html_report.h) on the fixture
// reports of tests/e2e/assess_html/fixtures: the number formats, every section of a full report,
// the sections a null part leaves out, hostile strings from customer data escaped, a 0-record
// object, bars as wide as their values. The figures expected here are worked out by hand from
// the fixtures (the comments show the arithmetic), not taken from the renderer.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "runtime/assess/html_report.h"

namespace {

namespace fs = std::filesystem;
using crmx::assess::AssessmentHtml;
using nlohmann::json;
namespace html = crmx::assess::html;

const fs::path kFixtures = fs::path(CRMX_SOURCE_DIR) / "tests" / "e2e" / "assess_html" / "fixtures";

json Fixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read fixture " << name);
  return json::parse(in);
}

// The text of the element whose data-metric is `name` (escaped as the page escapes it), none
// when there is none; `count` is how many there are.
std::optional<std::string> MetricText(const std::string& page, const std::string& name, int* count = nullptr) {
  std::string needle = "data-metric=\"" + html::Escape(name) + "\">";
  std::optional<std::string> text;
  int n = 0;
  for (size_t at = page.find(needle); at != std::string::npos; at = page.find(needle, at + 1)) {
    ++n;
    size_t start = at + needle.size();
    text = page.substr(start, page.find('<', start) - start);
  }
  if (count) *count = n;
  return text;
}

// The width attribute of the rect whose data-bar is `name`, -1 when there is none.
double BarWidth(const std::string& page, const std::string& name) {
  std::string needle = "data-bar=\"" + html::Escape(name) + "\"";
  size_t at = page.find(needle);
  if (at == std::string::npos) return -1;
  size_t w = page.find("width=\"", at);
  return std::stod(page.substr(w + 7));
}

bool Has(const std::string& page, const std::string& text) { return page.find(text) != std::string::npos; }

}  // namespace

TEST_CASE("the number formats: one decimal and % for percentages, separators for money, half up") {
  CHECK(html::Percent(84.49) == "84.5%");  // 84.49 -> 84.5 (one decimal of the two-decimal value, half up)
  CHECK(html::Percent(84.44) == "84.4%");
  CHECK(html::Percent(12.25) == "12.3%");  // an exact tie rounds up (printf would give 12.2)
  CHECK(html::Percent(0) == "0.0%");
  CHECK(html::Percent(100) == "100.0%");
  CHECK(html::Share(1, 8) == "12.5%");
  CHECK(html::Share(1, 16) == "6.3%");  // 6.25 -> 6.3
  CHECK(html::Share(2, 3) == "66.7%");
  CHECK(html::Share(231, 268) == "86.2%");  // 86.194...
  CHECK(html::Share(0, 5) == "0.0%");
  CHECK(html::Share(5, 5) == "100.0%");
  CHECK(html::Share(0, 0) == "-");
  CHECK(html::Rate(0.9) == "90.0%");
  CHECK(html::Rate(0.07) == "7.0%");  // 0.07 x 100 is 7.000000000000001 in binary
  CHECK(html::Rate(0.9337) == "93.4%");
  CHECK(html::Money(32400) == "$32,400.00");
  CHECK(html::Money(1234567.891) == "$1,234,567.89");
  CHECK(html::Money(999) == "$999.00");
  CHECK(html::Money(0.5) == "$0.50");
  CHECK(html::Money(-1500) == "$-1,500.00");
  CHECK(html::Money(100000) == "$100,000.00");
  CHECK(html::Whole(2903) == "2,903");
  CHECK(html::Whole(100000) == "100,000");
  CHECK(html::Whole(999.4) == "999");
  CHECK(html::Whole(8650.5) == "8,651");  // half up
  CHECK(html::Whole(0) == "0");
  CHECK(html::Ratio(1.58) == "1.58");
  CHECK(html::Ratio(2) == "2.00");
  CHECK(html::Quantity(14.75) == "14.75");
  CHECK(html::Quantity(0.5) == "0.5");
  CHECK(html::Quantity(500) == "500");
  CHECK(html::Quantity(1116.5) == "1116.5");
  CHECK(html::Quantity(2.6) == "2.6");
  CHECK(html::Quantity(0) == "0");
  CHECK(html::Quantity(88) == "88");
  CHECK(html::Quantity(73.8) == "73.8");
  CHECK(html::Quantity(82.25) == "82.25");
  // Budget use with a budget of 0 is infinite (score.h): no number to show.
  CHECK(html::Percent(std::numeric_limits<double>::infinity()) == "-");
  CHECK(html::Quantity(std::numeric_limits<double>::quiet_NaN()) == "-");
}

TEST_CASE("escaping: markup, quotes and control characters") {
  CHECK(html::Escape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html::Escape("a \"b\" & c") == "a &quot;b&quot; &amp; c");
  CHECK(html::Escape(std::string("nul\0x", 5)) == "nul\xEF\xBF\xBDx");
  CHECK(html::Escape("tab\there") == "tab\there");
  CHECK(html::Escape("M\xC3\xBCnchen") == "M\xC3\xBCnchen");  // UTF-8 passes through
}

TEST_CASE("a full report: every section, its numbers and its bars") {
  std::string page = AssessmentHtml(Fixture("full.json"));
  for (const char* id : {"rubric", "readiness", "completeness", "duplicates", "formats", "dry_run", "roi", "closed_won",
                         "sor", "budget"})
    CHECK_MESSAGE(Has(page, std::string("<section id=\"") + id + "\">"), "section " << id);

  // The headline.
  CHECK(MetricText(page, "records") == "445");
  CHECK(MetricText(page, "generated_at") == "2026-12-06T21:40:00Z");
  CHECK(MetricText(page, "overall.completeness") == "84.5%");
  CHECK(MetricText(page, "overall.duplicate_rate") == "1.1%");
  CHECK(MetricText(page, "overall.format_consistency") == "98.9%");
  // The rubric: 30 + 25 + 20 + 8 + 6 = 89 of 100.
  CHECK(MetricText(page, "rubric.points") == "89");
  CHECK(MetricText(page, "rubric.max_points") == "100");
  CHECK(MetricText(page, "rubric.tier_name") == "tier 1: ready");
  CHECK(MetricText(page, "rubric.governance.points") == "8");
  CHECK(MetricText(page, "rubric.governance.max_points") == "15");
  CHECK(MetricText(page, "rubric.governance.measured") == "informal");
  CHECK(BarWidth(page, "rubric.governance") == doctest::Approx(8.0 / 15 * 200).epsilon(1e-4));  // 106.67
  // Readiness.
  CHECK(MetricText(page, "readiness.score") == "73.8");
  CHECK(MetricText(page, "readiness.system") == "88");
  CHECK(MetricText(page, "readiness.data_quality") == "77.4");
  CHECK(MetricText(page, "readiness.band") == "proceed, address gaps in parallel");
  CHECK(MetricText(page, "readiness.inputs.sor_decisions") == "60");
  CHECK(BarWidth(page, "readiness.organisational") == doctest::Approx(112));  // 56% of 200
  CHECK(Has(page, "data-arc=\"readiness.score\""));
  // Completeness: BillingCity 231 of 268 = 86.19%, the object 197 of 268 = 73.51%.
  CHECK(MetricText(page, "completeness.crm.Account.BillingCity") == "86.2%");
  CHECK(BarWidth(page, "completeness.crm.Account.BillingCity") == doctest::Approx(172.39));
  CHECK(MetricText(page, "completeness.crm.Account.BillAddr.Line1") == "1.1%");  // 3 / 268
  CHECK(MetricText(page, "object.crm.Account.complete") == "73.5%");
  CHECK(MetricText(page, "object.crm.Account.records") == "268");
  CHECK(MetricText(page, "object.crm.Account.bad_lines") == "1");
  CHECK(MetricText(page, "completeness.crm.Opportunity.CloseDate") == "100.0%");
  CHECK(BarWidth(page, "completeness.crm.Opportunity.CloseDate") == doctest::Approx(200));
  // Duplicates: 3 of 268 = 1.12%.
  CHECK(MetricText(page, "duplicates.crm.Account.rate") == "1.1%");
  CHECK(MetricText(page, "duplicates.crm.Account.groups") == "3");
  CHECK(MetricText(page, "duplicates.crm.Account.rule.billing_address") == "2");
  CHECK(Has(page, "Not measured: no name with a website, phone or billing address."));  // Opportunity
  // Formats: BillingState 203 of 210 = 96.67%; a field without values has no bar.
  CHECK(MetricText(page, "format.crm.Account.BillingState.valid_percent") == "96.7%");
  CHECK(MetricText(page, "format.crm.Account.BillingState.invalid.0.count") == "4");
  CHECK(MetricText(page, "format.crm.Account.BillingState.invalid.2.count") == "1");
  CHECK(MetricText(page, "format.crm.Account.Phone.valid_percent") == "93.8%");  // 15 / 16 = 93.75
  CHECK(MetricText(page, "format.crm.Account.CurrencyIsoCode.valid_percent") == "-");
  CHECK(BarWidth(page, "format.crm.Account.CurrencyIsoCode") == -1);
  // The dry run: segments of 268 records over 200 px; flagged 40 of 268 = 14.93%.
  CHECK(MetricText(page, "dry_run.written_percent") == "90.1%");
  CHECK(MetricText(page, "dry_run.flagged_percent") == "9.0%");
  CHECK(MetricText(page, "dry_run.automation_rate") == "93.4%");
  CHECK(MetricText(page, "dry_run.account_to_customer.flagged_percent") == "14.9%");
  CHECK(MetricText(page, "dry_run.won_to_order.skipped") == "10");
  CHECK(MetricText(page, "dry_run.won_to_order.deleted") == "2");
  CHECK(BarWidth(page, "dry_run.won_to_order.deleted") == doctest::Approx(2.26));  // 2 / 177
  CHECK(BarWidth(page, "dry_run.account_to_customer.written") == doctest::Approx(186.57));  // 250 / 268
  CHECK(BarWidth(page, "dry_run.account_to_customer.held") == doctest::Approx(3.73));     // 5 / 268
  // ROI.
  CHECK(MetricText(page, "roi.annual_savings") == "$32,400.00");
  CHECK(MetricText(page, "roi.annual_integration_cost") == "$30,000.00");
  CHECK(MetricText(page, "roi.annual_benefit") == "$47,400.00");
  CHECK(MetricText(page, "roi.roi") == "1.58");
  CHECK(MetricText(page, "roi.automation_rate") == "90.0%");
  CHECK(MetricText(page, "roi.error_rate") == "5.0%");
  CHECK(MetricText(page, "roi.hours_saved_per_month") == "60");
  CHECK(MetricText(page, "roi.blended_hourly_rate") == "$45.00");
  CHECK(MetricText(page, "closed_won.records") == "59");
  CHECK(MetricText(page, "closed_won.without_date") == "2");
  CHECK(MetricText(page, "closed_won.per_month") == "14.75");
  CHECK(MetricText(page, "closed_won.month.2025-01") == "28");
  CHECK(BarWidth(page, "closed_won.month.2024-10") == doctest::Approx(85.71));  // 12 of the busiest 28
  // SoR.
  CHECK(MetricText(page, "sor.percent") == "83.3%");
  CHECK(MetricText(page, "sor.owned_fields") == "10");
  CHECK(Has(page, "erp.Customer.terms"));
  // Budget: a system without a budget says so; over budget the bar stops at 100%.
  CHECK(MetricText(page, "budget.crm.use_percent") == "2.9%");
  CHECK(MetricText(page, "budget.erp.use_percent") == "86.5%");
  CHECK(MetricText(page, "budget.erp.band") == "high");
  CHECK(MetricText(page, "budget.crm.budget_per_day") == "100,000");
  CHECK(MetricText(page, "budget.erp.calls_per_day") == "8,651");
  CHECK(Has(page, "spec: api_calls 100000 per 24h"));
  CHECK(Has(page, "vendor default &lt;guess&gt;"));
  CHECK(MetricText(page, "budget.ship.budget_per_day") == "none");
  CHECK(!MetricText(page, "budget.ship.use_percent"));
  CHECK(Has(page, "no daily call budget"));
  CHECK(MetricText(page, "budget.pay.use_percent") == "120.0%");
  CHECK(BarWidth(page, "budget.pay.use_percent") == doctest::Approx(240));
  CHECK(BarWidth(page, "budget.erp.use_percent") == doctest::Approx(207.6));  // 86.5% of 240
  CHECK(Has(page, "little headroom: consider batching non-urgent syncs"));
  CHECK(MetricText(page, "volume.won_to_order.write_calls_per_day") == "2.6");
  CHECK(MetricText(page, "volume.won_to_order.written_share") == "85.3%");
  CHECK(MetricText(page, "change.crm.Opportunity.updated_in_window") == "63");
  CHECK(MetricText(page, "change.crm.Opportunity.updated_per_day") == "2.1");
  CHECK(Has(page, "no creation or change stamp"));

  // Every metric name is on the page once.
  std::set<std::string> seen;
  const std::string key = "data-metric=\"";
  for (size_t at = page.find(key); at != std::string::npos; at = page.find(key, at + 1)) {
    size_t start = at + key.size();
    std::string name = page.substr(start, page.find('"', start) - start);
    CHECK_MESSAGE(seen.insert(name).second, "metric " << name << " appears twice");
  }
  CHECK(seen.size() > 100);
}

TEST_CASE("overall figures from their counts: no double rounding") {
  // 21,137 of 25,000 is 84.548%: the JSON's 84.55 would round to 84.6%, the counts say 84.5%.
  json r = {{"integration", "x"},
            {"records", 25000},
            {"overall", {{"completeness", 84.55}, {"duplicate_rate", nullptr}, {"format_consistency", 12.35}}},
            {"objects",
             {{{"system", "crm"},
               {"object", "A"},
               {"records", 25000},
               {"completeness", {{"complete", 21137}, {"fields", json::array()}}},
               {"duplicates", nullptr},
               {"formats", {{{"field", "State"}, {"kind", "state"}, {"non_empty", 400}, {"valid", 49}}}}}}},
            {"dry_run",
             {{"records", 2000},
              {"written_percent", 84.55},
              {"data_quality_percent", 50.0},
              {"held_percent", 0.0},
              {"flagged_percent", 0.0},
              {"maps", {{{"map", "m"}, {"records", 2000}, {"written", 1691}, {"data_quality", 309}}}}}}};
  std::string page = AssessmentHtml(r);
  CHECK(MetricText(page, "overall.completeness") == "84.5%");
  // 49 of 400 is 12.25%: the JSON's 12.35 does not agree with its counts, so it is shown as given.
  CHECK(MetricText(page, "overall.format_consistency") == "12.4%");
  // 1,691 of 2,000 is exactly 84.55%: half up, 84.6%; 309 of 2,000 is 15.45%, not the JSON's 50.
  CHECK(MetricText(page, "dry_run.written_percent") == "84.6%");
  CHECK(MetricText(page, "dry_run.data_quality_percent") == "50.0%");
}

TEST_CASE("a 0-record object: no percentages, no bars, said so") {
  std::string page = AssessmentHtml(Fixture("full.json"));
  CHECK(MetricText(page, "object.crm.Contact.records") == "0");
  CHECK(!MetricText(page, "completeness.crm.Contact.Email"));
  CHECK(!MetricText(page, "object.crm.Contact.complete"));
  CHECK(BarWidth(page, "completeness.crm.Contact.Email") == -1);
  CHECK(!MetricText(page, "duplicates.crm.Contact.rate"));
  CHECK(MetricText(page, "format.crm.Contact.MailingState.valid_percent") == "-");
  CHECK(Has(page, "No records: nothing measured."));
}

TEST_CASE("hostile strings from the data are text, never markup") {
  std::string page = AssessmentHtml(Fixture("full.json"));
  // The page has no script at all, and no element the data could have brought.
  for (const char* tag : {"<script", "<img", "<b>", "<i>", "<iframe", "<link", "<object"})
    CHECK_MESSAGE(!Has(page, tag), "the page contains " << tag);
  CHECK(Has(page, "&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
  CHECK(Has(page, "&lt;script&gt;window.__pwned=2&lt;/script&gt;"));
  CHECK(Has(page, "&quot;quoted&quot; &amp; &#39;single&#39;"));
  CHECK(Has(page, "acme &lt;b&gt;bold&lt;/b&gt;"));
  CHECK(Has(page, "erp.SalesOrder.&lt;i&gt;memo&lt;/i&gt;"));
  // A field name in an attribute: escaped there too.
  CHECK(Has(page, "data-metric=\"completeness.crm.Account.&lt;img src=x onerror=alert(1)&gt;\""));
  CHECK(MetricText(page, "completeness.crm.Account.<img src=x onerror=alert(1)>") == "0.0%");
  // Nothing to load: no URL, and a policy that forbids loading anyway.
  CHECK(!Has(page, "http://"));
  CHECK(!Has(page, "https://"));
  CHECK(!Has(page, "url("));
  CHECK(Has(page, "default-src 'none'"));
}

TEST_CASE("sections absent when their part is null") {
  std::string page = AssessmentHtml(Fixture("no_answers.json"));
  for (const char* id : {"readiness", "dry_run", "roi", "closed_won", "sor"})
    CHECK_MESSAGE(!Has(page, std::string("<section id=\"") + id + "\">"), "section " << id);
  for (const char* id : {"rubric", "completeness", "duplicates", "formats", "budget"})
    CHECK_MESSAGE(Has(page, std::string("<section id=\"") + id + "\">"), "section " << id);
  // Without answers: no total, no tier, said why.
  CHECK(MetricText(page, "rubric.points") == "\xE2\x80\x94");
  CHECK(MetricText(page, "rubric.tier_name") == "not scored");
  CHECK(MetricText(page, "rubric.governance.points") == "\xE2\x80\x94");
  CHECK(MetricText(page, "rubric.governance.measured") == "not answered");
  CHECK(BarWidth(page, "rubric.governance") == -1);
  CHECK(MetricText(page, "rubric.completeness.points") == "10");
  CHECK(Has(page, "Governance and hygiene are not answered"));
  // Answered, but a measured criterion has no value: said so instead.
  json answered = Fixture("no_answers.json");
  answered["rubric"]["criteria"][3]["points"] = 8;
  answered["rubric"]["criteria"][4]["points"] = 6;
  std::string unmeasured = AssessmentHtml(answered);
  CHECK(!Has(unmeasured, "Governance and hygiene are not answered"));
  CHECK(Has(unmeasured, "A criterion could not be measured"));
  CHECK(MetricText(page, "overall.duplicate_rate") == "\xE2\x80\x94");
  CHECK(MetricText(page, "budget.erp.budget_per_day") == "none");

  std::string empty = AssessmentHtml(Fixture("empty.json"));
  CHECK(!Has(empty, "<section"));
  CHECK(MetricText(empty, "integration") == "empty");
  CHECK(MetricText(empty, "records") == "0");
  CHECK(!MetricText(empty, "generated_at"));
  CHECK(!MetricText(empty, "overall.completeness"));

  // With answers but no ROI to be had: the section says why, with no figure.
  json no_roi = Fixture("full.json");
  no_roi["roi"] = nullptr;
  no_roi["roi_missing"] = "no records a month: no map's source has close dates; answer roi.records_per_month";
  std::string roi = AssessmentHtml(no_roi);
  CHECK(Has(roi, "<section id=\"roi\">"));
  CHECK(Has(roi, "Not computed: no records a month: no map&#39;s source has close dates"));
  CHECK(!MetricText(roi, "roi.roi"));
}

TEST_CASE("a report of an unexpected shape renders what it can and never throws") {
  CHECK_NOTHROW(AssessmentHtml(json::array({1, 2})));
  CHECK_NOTHROW(AssessmentHtml(json("text")));
  json odd = Fixture("full.json");
  odd["objects"] = "not a list";
  odd["rubric"]["criteria"][0]["points"] = "thirty";
  odd["volume"]["systems"][0]["use_percent"] = json::object();
  odd["dry_run"]["maps"][0]["records"] = -4;
  std::string page;
  CHECK_NOTHROW(page = AssessmentHtml(odd));
  CHECK(!Has(page, "<section id=\"completeness\">"));
  CHECK(MetricText(page, "rubric.completeness.points") == "\xE2\x80\x94");
  CHECK(MetricText(page, "budget.crm.use_percent") == "\xE2\x80\x94");
  CHECK(MetricText(page, "dry_run.account_to_customer.records") == "0");
}
