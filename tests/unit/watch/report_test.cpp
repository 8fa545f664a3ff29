// Tests the reports of `crmx-run reconcile` (runtime/watch/report.h): the same discrepancies in
// text, JSON, Markdown and HTML; values from the systems escaped for each (a key holding markup,
// pipes, quotes, a line break); the HTML page self-contained.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/watch/report.h"

namespace {

using namespace crmx;

const std::string kHostile = "<script>alert(\"x&y\")</script>|*a*\n'b'";

struct Fixture {
  plan::Reconcile spec;
  watch::Result res;

  Fixture() {
    spec.name = "crm.Opportunity~erp.SalesOrder";
    spec.schedule = "daily";
    spec.at = "02:00";
    spec.left.object = {"crm", "Opportunity"};
    spec.right.object = {"erp", "SalesOrder"};
    spec.left.carried_by = "won_to_order";
    plan::ReconcileKey key;
    key.left.text = "Id";
    key.right.text = "externalId";
    spec.keys.push_back(key);
    plan::ReconcileRule rule;
    rule.left.text = "Amount";
    rule.right.text = "total";
    rule.tolerance = plan::ToleranceKind::kPercent;
    rule.within = *decimal::Decimal::Parse("2");
    spec.rules.push_back(rule);
    res.spec = &spec;
    res.started = "2026-12-06T02:00:00Z";
    res.id = 3;
    res.previous_id = 2;
    res.previous_started = "2026-12-05T02:00:00Z";
    res.left_read = 400;
    res.right_read = 177;
    res.matched = 176;
    res.left_not_expected = 182;
    res.fields.push_back(watch::FieldDiscrepancy{"006A", 0, "92000.00", "94760.00", "+2760.00 (+3.00%)", "2% (1840.00)",
                                                 false, false, {true, 2, "2026-12-05T02:00:00Z"}});
    res.fields.push_back(watch::FieldDiscrepancy{kHostile, 0, kHostile, "null", "", "2% (0.00)", false, true, {}});
    res.missing_right.push_back(watch::Missing{"006B", {false, 3, "2026-12-06T02:00:00Z"}});
    res.known.push_back(watch::Known{"missing_right", "006C", "", "won_to_order", "held", "Unknown SKU"});
    res.resolved.push_back(watch::Resolved{"field", "006D", "Amount ~ total", 1, "2026-12-04T02:00:00Z"});
  }
};

}  // namespace

TEST_CASE("text report: each discrepancy with its values, difference, tolerance and status; the verdict") {
  Fixture f;
  std::string t = watch::TextReport({f.res});
  CHECK(t.find("reconcile crm.Opportunity~erp.SalesOrder\n") == 0);
  CHECK(t.find("crm.Opportunity ~ erp.SalesOrder by Id == externalId (daily at 02:00)") != std::string::npos);
  CHECK(t.find("reconciliation 3 at 2026-12-06T02:00:00Z; the previous one: 2 at 2026-12-05T02:00:00Z") != std::string::npos);
  CHECK(t.find("182 of crm.Opportunity not in erp.SalesOrder and not expected there (won_to_order's when leaves them out)") !=
        std::string::npos);
  // Columns are padded to the widest cell (the hostile key's).
  CHECK(t.find("    006A" + std::string(kHostile.size() - 4 + 2, ' ') + "Amount ~ total  92000.00") != std::string::npos);
  CHECK(t.find("+2760.00 (+3.00%)  2% (1840.00)  persistent since 2026-12-05T02:00:00Z (reconciliation 2)") !=
        std::string::npos);
  CHECK(t.find("missing in erp.SalesOrder (only in crm.Opportunity): 1") != std::string::npos);
  CHECK(t.find("missing in crm.Opportunity (only in erp.SalesOrder): none") != std::string::npos);
  CHECK(t.find("006C  missing in erp.SalesOrder  won_to_order  held   Unknown SKU") != std::string::npos);
  CHECK(t.find("006D  Amount ~ total out of tolerance  2026-12-04T02:00:00Z (reconciliation 1)") != std::string::npos);
  CHECK(t.find("3 discrepancies (2 new, 1 persistent); 1 known to crmx (in its queues); 1 resolved") != std::string::npos);
  // A line break inside a value does not break the table.
  CHECK(t.find("|*a*\n'b'") == std::string::npos);
  CHECK(t.find("|*a* 'b'") != std::string::npos);
  CHECK(t.substr(t.size() - 34) == "1 reconciliation: 3 discrepancies\n");
}

TEST_CASE("HTML report: one self-contained page, every value escaped") {
  Fixture f;
  std::string h = watch::HtmlReport({f.res});
  CHECK(h.find("<!DOCTYPE html>") == 0);
  CHECK(h.find("<style>") != std::string::npos);
  for (const char* outside : {"<script", "src=", "href=", "<link", "@import", "url("})
    CHECK_MESSAGE(h.find(outside) == std::string::npos, outside);
  CHECK(h.find("<td>&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;|*a*\n&#39;b&#39;</td>") != std::string::npos);
  CHECK(h.find("<td>006A</td><td>Amount ~ total</td><td>92000.00</td><td>94760.00</td>") != std::string::npos);
  CHECK(h.find("<p class=\"verdict bad\">") != std::string::npos);
  CHECK(h.find("won_to_order&#39;s when") != std::string::npos);
  CHECK(h.substr(h.size() - 16) == "</body>\n</html>\n");
  CHECK(watch::HtmlEscape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");
}

TEST_CASE("Markdown report: tables whose cells cannot break out (pipes, markup, line breaks)") {
  Fixture f;
  std::string m = watch::MarkdownReport({f.res});
  CHECK(m.find("# crmx reconciliation\n") == 0);
  CHECK(m.find("### out of tolerance (2)\n\n| key | rule | crm.Opportunity | erp.SalesOrder | difference | tolerance | status |\n") !=
        std::string::npos);
  CHECK(m.find("| 006A | Amount \\~ total | 92000.00 | 94760.00 | +2760.00 (+3.00%) | 2% (1840.00) |") != std::string::npos);
  CHECK(m.find("| &lt;script&gt;alert(\"x&amp;y\")&lt;/script&gt;\\|\\*a\\* 'b' |") != std::string::npos);
  CHECK(m.find("<script") == std::string::npos);
  CHECK(watch::MarkdownEscape("a|b_c\nd") == "a\\|b\\_c d");
}

TEST_CASE("JSON report: the same facts for programs; values as text with their digits, null as null") {
  Fixture f;
  nlohmann::json j = nlohmann::json::parse(watch::JsonReport({f.res}));
  CHECK(j["discrepancies"] == 3);
  const nlohmann::json& r = j["reconciliations"][0];
  CHECK(r["name"] == "crm.Opportunity~erp.SalesOrder");
  CHECK(r["reconciliation"] == 3);
  CHECK(r["previous"]["reconciliation"] == 2);
  CHECK(r["matched"] == 176);
  CHECK(r["new"] == 2);
  CHECK(r["persistent"] == 1);
  CHECK(r["left"]["not_expected"] == 182);
  CHECK(r["left"]["carried_by"] == "won_to_order");
  CHECK(r["right"]["carried_by"].is_null());
  CHECK(r["rules"][0]["within"] == "2");
  CHECK(r["rules"][0]["tolerance"] == "percent");
  const nlohmann::json& a = r["fields"][0];
  CHECK(a["key"] == "006A");
  CHECK(a["left"] == "92000.00");
  CHECK(a["right"] == "94760.00");
  CHECK(a["status"] == "persistent");
  CHECK(a["since_reconciliation"] == 2);
  CHECK(r["fields"][1]["key"] == kHostile);
  CHECK(r["fields"][1]["right"].is_null());
  CHECK(r["fields"][1]["difference"].is_null());
  CHECK(r["missing_right"][0]["status"] == "new");
  CHECK(r["known"][0]["queue"] == "held");
  CHECK(r["resolved"][0]["key"] == "006D");
}
