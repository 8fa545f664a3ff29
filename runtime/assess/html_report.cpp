// Defines AssessmentHtml (html_report.h): the assessment's JSON report as one self-contained HTML
// page, with its charts drawn here as inline SVG. The page carries no script and loads nothing:
// a Content-Security-Policy of `default-src 'none'` says so to the browser too, so a string that
// escaped the escaping still could not run or fetch anything.
#include "runtime/assess/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/http/html.h"

namespace crmx::assess {

namespace html {

std::string Escape(const std::string& text) { return http::HtmlEscape(text); }

namespace {

// floor(v + 0.5): half up, as JavaScript's Math.round (the Chromium test formats the same way).
// Callers pass finite values; beyond +-9e15 (no report's figure) the value is clamped.
int64_t RoundHalfUp(double v) { return static_cast<int64_t>(std::clamp(std::floor(v + 0.5), -9e15, 9e15)); }

// `units` (an integer count of 10^-decimals) as a decimal number, thousands separated or not.
std::string Fixed(int64_t units, int decimals, bool separators) {
  bool negative = units < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(units + 1)) + 1 : static_cast<uint64_t>(units);
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::string whole = std::to_string(u / scale);
  if (separators)
    for (int i = static_cast<int>(whole.size()) - 3; i > 0; i -= 3) whole.insert(static_cast<size_t>(i), ",");
  std::string out = negative && u != 0 ? "-" + whole : whole;
  if (decimals > 0) {
    std::string frac = std::to_string(u % scale);
    out += "." + std::string(static_cast<size_t>(decimals) - frac.size(), '0') + frac;
  }
  return out;
}

// Hundredths (already rounded) to tenths, half up.
int64_t HundredthsToTenths(int64_t h) { return h >= 0 ? (h + 5) / 10 : -((-h + 4) / 10); }

}  // namespace

std::string Percent(double percent) {
  if (!std::isfinite(percent)) return "-";
  return Fixed(HundredthsToTenths(RoundHalfUp(percent * 100)), 1, false) + "%";
}

std::string Share(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  // Tenths of a percent, half up: (1000 x part / whole) rounded = (2000 x part + whole) / (2 x whole).
  uint64_t tenths = (2000 * part + whole) / (2 * whole);
  return Fixed(static_cast<int64_t>(tenths), 1, false) + "%";
}

std::string Rate(double rate) { return Percent(rate * 100); }

std::string Money(double amount) {
  if (!std::isfinite(amount)) return "-";
  return "$" + Fixed(RoundHalfUp(amount * 100), 2, true);
}

std::string Whole(double value) {
  if (!std::isfinite(value)) return "-";
  return Fixed(RoundHalfUp(value), 0, true);
}

std::string Ratio(double ratio) {
  if (!std::isfinite(ratio)) return "-";
  return Fixed(RoundHalfUp(ratio * 100), 2, false);
}

std::string Quantity(double value) {
  if (!std::isfinite(value)) return "-";
  std::string s = Fixed(RoundHalfUp(value * 100), 2, false);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace html

namespace {

using nlohmann::json;
using html::Escape;

constexpr const char* kNone = "\xE2\x80\x94";  // an em dash: not measured, not answered

// ---------------------------------------------------------------- reading the JSON
// The member `key` of `j` when `j` is an object and the member is there and not null.
const json* Part(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> Num(const json& j, std::string_view key) {
  const json* p = Part(j, key);
  if (!p || !p->is_number()) return std::nullopt;
  return p->get<double>();
}

// A count: a whole number 0 or more (a negative or fractional one is taken to the nearest).
std::optional<uint64_t> Count(const json& j, std::string_view key) {
  const json* p = Part(j, key);
  if (!p || !p->is_number()) return std::nullopt;
  if (p->is_number_unsigned()) return p->get<uint64_t>();
  if (p->is_number_integer()) return static_cast<uint64_t>(std::max<int64_t>(0, p->get<int64_t>()));
  double d = p->get<double>();
  return d > 0 ? static_cast<uint64_t>(std::min(std::floor(d + 0.5), 9e15)) : 0;
}

std::string Str(const json& j, std::string_view key) {
  const json* p = Part(j, key);
  if (!p) return "";
  if (p->is_string()) return p->get<std::string>();
  if (p->is_boolean() || p->is_number()) return p->dump();
  return "";
}

const json& Array(const json& j, std::string_view key) {
  static const json kEmpty = json::array();
  const json* p = Part(j, key);
  return p && p->is_array() ? *p : kEmpty;
}

// ---------------------------------------------------------------- pieces of the page
// A number (or a short text) people read, named for tests: <span data-metric="NAME">TEXT</span>.
std::string Metric(const std::string& name, const std::string& text, std::string_view cls = "num") {
  return "<span class=\"" + std::string(cls) + "\" data-metric=\"" + Escape(name) + "\">" + Escape(text) + "</span>";
}

template <typename Format>
std::string MetricOr(const std::string& name, const std::optional<double>& v, Format format) {
  return Metric(name, v ? format(*v) : std::string(kNone));
}

std::string CountText(const std::optional<uint64_t>& n) { return n ? std::to_string(*n) : std::string(kNone); }

std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

constexpr int kBarWidth = 200;
constexpr int kBarHeight = 12;

// A horizontal bar: a track `kBarWidth` px wide and a fill of `fraction` (taken within 0-1) of it.
// The fill carries data-bar="NAME", the track data-track.
std::string Bar(const std::string& name, double fraction, std::string_view cls = "fill") {
  double f = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  return "<svg class=\"bar\" width=\"" + std::to_string(kBarWidth) + "\" height=\"" + std::to_string(kBarHeight) +
         "\" aria-hidden=\"true\"><rect data-track=\"\" class=\"track\" x=\"0\" y=\"0\" width=\"" +
         std::to_string(kBarWidth) + "\" height=\"" + std::to_string(kBarHeight) + "\"/><rect data-bar=\"" +
         Escape(name) + "\" class=\"" + std::string(cls) + "\" x=\"0\" y=\"0\" width=\"" + Px(f * kBarWidth) +
         "\" height=\"" + std::to_string(kBarHeight) + "\"/></svg>";
}

std::string Section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\"><h2>" + Escape(title) + "</h2>\n" + body + "</section>\n";
}

std::string Cell(const std::string& html, std::string_view cls = "") {
  return cls.empty() ? "<td>" + html + "</td>" : "<td class=\"" + std::string(cls) + "\">" + html + "</td>";
}

// "crm.Account": the prefix of an object's metrics.
std::string ObjectName(const json& o) { return Str(o, "system") + "." + Str(o, "object"); }

// A percentage the JSON gives rounded to two decimals, shown from the counts it was computed from
// when they agree with it: 84.55 from 21,137 of 25,000 (84.548%) is 84.5%, as the text report and
// the rubric's "measured" say, where 84.55 alone would round to 84.6%. Without counts, or
// when they do not agree, the JSON's value.
std::string PercentFromCounts(const std::optional<double>& value, uint64_t part, uint64_t whole) {
  if (!value) return kNone;
  if (whole > 0 && std::fabs(100.0 * static_cast<double>(part) / static_cast<double>(whole) - *value) <= 0.0051)
    return html::Share(part, whole);
  return html::Percent(*value);
}

// The counts behind the overall figures, from the objects (docs/assess.md, "Measuring"): records
// with every key field of all records; duplicates of the records of objects where duplicates are
// measured; valid of the checked values.
struct OverallCounts {
  uint64_t records = 0, complete = 0, dup_records = 0, duplicates = 0, values = 0, valid = 0;
};

OverallCounts CountsOf(const json& objects) {
  OverallCounts c;
  if (!objects.is_array()) return c;
  for (const json& o : objects) {
    uint64_t records = Count(o, "records").value_or(0);
    c.records += records;
    if (const json* comp = Part(o, "completeness")) c.complete += Count(*comp, "complete").value_or(0);
    if (const json* d = Part(o, "duplicates")) {
      c.dup_records += records;
      c.duplicates += Count(*d, "duplicates").value_or(0);
    }
    for (const json& f : Array(o, "formats")) {
      c.values += Count(f, "non_empty").value_or(0);
      c.valid += Count(f, "valid").value_or(0);
    }
  }
  return c;
}

// ---------------------------------------------------------------- sections
std::string Headline(const json& r) {
  std::string h = "<header><h1>Integration assessment: " + Metric("integration", Str(r, "integration"), "name") +
                  "</h1>\n<p class=\"sub\">";
  h += Metric("records", CountText(Count(r, "records"))) + " source records";
  if (Part(r, "generated_at")) h += "; generated " + Metric("generated_at", Str(r, "generated_at"), "when");
  h += "</p>\n";
  if (const json* o = Part(r, "overall")) {
    static const json kNoObjects = json::array();
    const json* objects = Part(r, "objects");
    OverallCounts c = CountsOf(objects ? *objects : kNoObjects);
    std::string figures[] = {PercentFromCounts(Num(*o, "completeness"), c.complete, c.records),
                             PercentFromCounts(Num(*o, "duplicate_rate"), c.duplicates, c.dup_records),
                             PercentFromCounts(Num(*o, "format_consistency"), c.valid, c.values)};
    h += "<div class=\"cards\">";
    int i = 0;
    struct Figure {
      const char* key;
      const char* label;
    };
    for (Figure f : {Figure{"completeness", "key-field completeness"}, Figure{"duplicate_rate", "duplicate rate"},
                     Figure{"format_consistency", "format consistency"}}) {
      h += "<div class=\"card\"><div class=\"big\">" +
           Metric(std::string("overall.") + f.key, figures[i++]) + "</div><div>" + f.label +
           "</div></div>";
    }
    h += "</div>\n";
  }
  h += "</header>\n";
  return h;
}

std::string RubricSection(const json& rubric) {
  std::string b = "<table><thead><tr><th>criterion</th><th>measured</th><th class=\"n\">points</th>"
                  "<th class=\"n\">of</th><th></th></tr></thead><tbody>\n";
  for (const json& c : Array(rubric, "criteria")) {
    std::string key = "rubric." + Str(c, "key");
    std::optional<double> points = Num(c, "points"), max = Num(c, "max_points");
    b += "<tr>" + Cell(Escape(Str(c, "label"))) + Cell(Metric(key + ".measured", Str(c, "measured"), "text")) +
         Cell(MetricOr(key + ".points", points, html::Quantity), "n") +
         Cell(MetricOr(key + ".max_points", max, html::Quantity), "n") +
         Cell(points && max && *max > 0 ? Bar(key, *points / *max) : "") + "</tr>\n";
  }
  std::optional<double> points = Num(rubric, "points"), max = Num(rubric, "max_points");
  b += "<tr class=\"total\"><td>total</td><td>" +
       Metric("rubric.tier_name", Part(rubric, "tier_name") ? Str(rubric, "tier_name") : "not scored", "text") + "</td>" +
       Cell(MetricOr("rubric.points", points, html::Quantity), "n") +
       Cell(MetricOr("rubric.max_points", max, html::Quantity), "n") +
       Cell(points && max && *max > 0 ? Bar("rubric", *points / *max) : "") + "</tr>\n";
  b += "</tbody></table>\n";
  if (!points) {
    bool unanswered = false;
    for (const json& c : Array(rubric, "criteria")) {
      std::string key = Str(c, "key");
      if ((key == "governance" || key == "hygiene") && !Num(c, "points")) unanswered = true;
    }
    b += unanswered ? "<p class=\"note\">Governance and hygiene are not answered (<code>--answers FILE</code>): the "
                      "total and the tier need them.</p>\n"
                    : "<p class=\"note\">A criterion could not be measured (no records, no object with a name, no "
                      "checked value): no total, no tier.</p>\n";
  }
  b += "<p class=\"note\">Tiers: 1, ready, at 75 points and more; 2, conditional, at 50-74; 3, not ready, below "
       "50.</p>\n";
  return Section("rubric", "Data Quality Rubric", b);
}

// The readiness gauge: a half circle from 0 (left) to 100 (right), the score's arc over it.
std::string Gauge(double score) {
  constexpr double cx = 110, cy = 110, r = 90;
  auto point = [&](double value) {
    double a = std::numbers::pi * (1 - std::clamp(value, 0.0, 100.0) / 100);
    return Px(cx + r * std::cos(a)) + " " + Px(cy - r * std::sin(a));
  };
  std::string g = "<svg class=\"gauge\" width=\"220\" height=\"128\" role=\"img\" aria-label=\"readiness " +
                  html::Quantity(score) + " of 100\">";
  g += "<path data-track=\"\" class=\"gauge-track\" d=\"M " + point(0) + " A 90 90 0 0 1 " + point(100) + "\"/>";
  if (score > 0)
    g += std::string("<path data-arc=\"readiness.score\" class=\"gauge-fill ") +
         (score >= 80 ? "ready" : score >= 60 ? "proceed" : "first") + "\" d=\"M " + point(0) + " A 90 90 0 0 1 " +
         point(score) + "\"/>";
  // The bands' boundaries, 60 and 80, as ticks across the arc.
  for (double tick : {60.0, 80.0}) {
    double a = std::numbers::pi * (1 - tick / 100);
    g += "<line class=\"tick\" x1=\"" + Px(cx + (r - 14) * std::cos(a)) + "\" y1=\"" + Px(cy - (r - 14) * std::sin(a)) +
         "\" x2=\"" + Px(cx + (r + 14) * std::cos(a)) + "\" y2=\"" + Px(cy - (r + 14) * std::sin(a)) + "\"/>";
  }
  g += "<text x=\"110\" y=\"100\" text-anchor=\"middle\" class=\"gauge-score\" data-metric=\"readiness.score\">" +
       html::Quantity(score) + "</text>";
  g += "<text x=\"20\" y=\"126\" text-anchor=\"middle\" class=\"axis\">0</text>"
       "<text x=\"200\" y=\"126\" text-anchor=\"middle\" class=\"axis\">100</text></svg>";
  return g;
}

std::string ReadinessSection(const json& rd) {
  std::string b = "<div class=\"row\"><div>";
  std::optional<double> score = Num(rd, "score");
  b += score ? Gauge(*score) : "<p>score: " + Metric("readiness.score", kNone) + "</p>";
  b += "<p class=\"band\">" + Metric("readiness.band", Part(rd, "band") ? Str(rd, "band") : "not scored", "text") +
       "</p></div>\n<table><tbody>\n";
  struct Partname {
    const char* key;
    const char* label;
  };
  for (Partname p : {Partname{"data_quality", "data quality"}, Partname{"system", "system readiness"},
                     Partname{"organisational", "organisational readiness"}}) {
    std::optional<double> v = Num(rd, p.key);
    std::string name = std::string("readiness.") + p.key;
    b += "<tr>" + Cell(p.label) + Cell(v ? Bar(name, *v / 100) : "") + Cell(MetricOr(name, v, html::Quantity), "n") +
         "</tr>\n";
  }
  b += "</tbody></table></div>\n";
  if (const json* in = Part(rd, "inputs")) {
    static const std::pair<const char*, const char*> kInputs[] = {
        {"completeness", "key-field completeness (measured)"},
        {"duplicate_rate", "duplicate rate (measured)"},
        {"format_consistency", "format consistency (measured)"},
        {"api_availability", "API availability (answered)"},
        {"documentation", "documentation (answered)"},
        {"sandbox", "sandbox (answered)"},
        {"executive_sponsorship", "executive sponsorship (answered)"},
        {"sor_decisions", "SoR decisions (from the spec)"},
        {"stakeholder_availability", "stakeholder availability (answered)"}};
    b += "<table><thead><tr><th>input</th><th class=\"n\">0-100</th></tr></thead><tbody>\n";
    for (const auto& [key, label] : kInputs)
      if (in->contains(key))
        b += "<tr>" + Cell(label) + Cell(MetricOr(std::string("readiness.inputs.") + key, Num(*in, key), html::Quantity), "n") +
             "</tr>\n";
    b += "</tbody></table>\n";
  }
  b += "<p class=\"note\">Readiness is the mean of data quality, system and organisational readiness; 80 and more: "
       "ready, 60-79: proceed and address the gaps in parallel, under 60: address the prerequisites first.</p>\n";
  return Section("readiness", "Readiness", b);
}

std::string ObjectHeading(const json& o) {
  std::string h = "<h3>" + Escape(ObjectName(o)) + "</h3><p class=\"sub\">" +
                  Metric("object." + ObjectName(o) + ".records", CountText(Count(o, "records"))) + " records";
  std::string maps;
  for (const json& m : Array(o, "maps"))
    if (m.is_string()) maps += (maps.empty() ? "" : ", ") + Escape(m.get<std::string>());
  if (!maps.empty()) h += "; read by " + maps;
  if (std::optional<uint64_t> bad = Count(o, "bad_lines"); bad && *bad)
    h += "; " + Metric("object." + ObjectName(o) + ".bad_lines", std::to_string(*bad)) + " lines not records";
  return h + "</p>\n";
}

std::string CompletenessSection(const json& objects) {
  std::string b;
  if (objects.empty()) b += "<p>No source object.</p>\n";
  for (const json& o : objects) {
    std::string obj = ObjectName(o);
    uint64_t records = Count(o, "records").value_or(0);
    b += ObjectHeading(o);
    if (records == 0) {
      b += "<p class=\"note\">No records: nothing measured.</p>\n";
      continue;
    }
    const json* c = Part(o, "completeness");
    if (!c) continue;
    uint64_t complete = Count(*c, "complete").value_or(0);
    b += "<p>Records with every key field: " + Metric("object." + obj + ".complete", html::Share(complete, records)) +
         " " + Bar("object." + obj + ".complete", static_cast<double>(complete) / static_cast<double>(records)) +
         "</p>\n";
    b += "<table><thead><tr><th>field</th><th>why</th><th></th><th class=\"n\">present</th><th class=\"n\">records"
         "</th></tr></thead><tbody>\n";
    for (const json& f : Array(*c, "fields")) {
      std::string name = "completeness." + obj + "." + Str(f, "field");
      uint64_t present = Count(f, "present").value_or(0);
      b += "<tr>" + Cell(Escape(Str(f, "field")), "field") + Cell(Escape(Str(f, "why"))) +
           Cell(Bar(name, static_cast<double>(present) / static_cast<double>(records))) +
           Cell(Metric(name, html::Share(present, records)), "n") + Cell(std::to_string(present), "n") + "</tr>\n";
    }
    b += "</tbody></table>\n";
  }
  return Section("completeness", "Completeness by field", b);
}

std::string DuplicatesSection(const json& objects) {
  std::string b;
  for (const json& o : objects) {
    std::string obj = ObjectName(o);
    uint64_t records = Count(o, "records").value_or(0);
    b += "<h3>" + Escape(obj) + "</h3>\n";
    const json* d = Part(o, "duplicates");
    if (!d) {
      b += "<p class=\"note\">Not measured: no name with a website, phone or billing address.</p>\n";
      continue;
    }
    if (records == 0) {
      b += "<p class=\"note\">No records: nothing measured.</p>\n";
      continue;
    }
    std::string pre = "duplicates." + obj;
    uint64_t dups = Count(*d, "duplicates").value_or(0);
    b += "<p>Duplicate rate " + Metric(pre + ".rate", html::Share(dups, records)) + " " +
         Bar(pre + ".rate", static_cast<double>(dups) / static_cast<double>(records), "fill warn") + ": " +
         Metric(pre + ".duplicates", CountText(Count(*d, "duplicates"))) + " records in " +
         Metric(pre + ".groups", CountText(Count(*d, "groups"))) + " groups with the same " +
         Escape(Str(*d, "name_field")) + " and one more key.</p>\n";
    if (const json* by = Part(*d, "matched_by_rule"); by && by->is_object()) {
      b += "<table><thead><tr><th>rule</th><th class=\"n\">records matched</th></tr></thead><tbody>\n";
      for (const auto& [rule, n] : by->items())
        b += "<tr>" + Cell(Escape(rule)) +
             Cell(Metric(pre + ".rule." + rule, n.is_number() ? html::Quantity(n.get<double>()) : kNone), "n") +
             "</tr>\n";
      b += "</tbody></table>\n";
    }
    const json& ex = Array(*d, "examples");
    if (!ex.empty()) {
      b += "<table class=\"examples\"><thead><tr><th>record</th><th>likely the same as</th><th>rule</th></tr></thead>"
           "<tbody>\n";
      for (const json& p : ex)
        b += "<tr>" + Cell(Escape(Str(p, "first")), "id") + Cell(Escape(Str(p, "second")), "id") +
             Cell(Escape(Str(p, "rule"))) + "</tr>\n";
      b += "</tbody></table>\n";
    }
  }
  return Section("duplicates", "Duplicates", b);
}

std::string FormatsSection(const json& objects) {
  std::string b;
  for (const json& o : objects) {
    std::string obj = ObjectName(o);
    b += "<h3>" + Escape(obj) + "</h3>\n";
    const json& formats = Array(o, "formats");
    if (formats.empty()) {
      b += "<p class=\"note\">No state, country, phone or currency field.</p>\n";
      continue;
    }
    b += "<table><thead><tr><th>field</th><th>kind</th><th></th><th class=\"n\">valid share</th><th class=\"n\">"
         "valid</th><th class=\"n\">values</th></tr></thead><tbody>\n";
    std::string invalid;
    for (const json& f : formats) {
      std::string field = Str(f, "field");
      std::string pre = "format." + obj + "." + field;
      uint64_t non_empty = Count(f, "non_empty").value_or(0), valid = Count(f, "valid").value_or(0);
      b += "<tr>" + Cell(Escape(field), "field") + Cell(Escape(Str(f, "kind"))) +
           Cell(non_empty ? Bar(pre, static_cast<double>(valid) / static_cast<double>(non_empty)) : "no values") +
           Cell(Metric(pre + ".valid_percent", html::Share(valid, non_empty)), "n") +
           Cell(Metric(pre + ".valid", std::to_string(valid)), "n") +
           Cell(Metric(pre + ".non_empty", std::to_string(non_empty)), "n") + "</tr>\n";
      size_t i = 0;
      for (const json& v : Array(f, "invalid")) {
        invalid += "<tr>" + Cell(Escape(field), "field") + Cell(Escape(Str(v, "value")), "value") +
                   Cell(Metric(pre + ".invalid." + std::to_string(i) + ".count", CountText(Count(v, "count"))), "n") +
                   "</tr>\n";
        ++i;
      }
    }
    b += "</tbody></table>\n";
    if (!invalid.empty())
      b += "<table class=\"invalid\"><thead><tr><th>field</th><th>invalid value</th><th class=\"n\">count</th></tr>"
           "</thead><tbody>\n" + invalid + "</tbody></table>\n";
  }
  return Section("formats", "Format failures", b);
}

// What a dry run does with each record, in the order of the stacked bar.
struct Outcome {
  const char* key;
  const char* label;
};
constexpr Outcome kOutcomes[] = {{"written", "written"}, {"data_quality", "data quality"}, {"held", "held"},
                                 {"waiting", "waiting"}, {"skipped", "skipped"},           {"error", "error"},
                                 {"deleted", "deleted"}};

std::string StackedBar(const std::string& map, const json& m) {
  // The bar is the map's records, or the outcomes' sum when that is more (it should not be).
  double total = static_cast<double>(Count(m, "records").value_or(0)), sum = 0;
  for (const Outcome& oc : kOutcomes) sum += static_cast<double>(Count(m, oc.key).value_or(0));
  total = std::max(total, sum);
  std::string s = "<svg class=\"bar\" width=\"" + std::to_string(kBarWidth) + "\" height=\"" +
                  std::to_string(kBarHeight) + "\" aria-hidden=\"true\"><rect data-track=\"\" class=\"track\" x=\"0\" "
                  "y=\"0\" width=\"" + std::to_string(kBarWidth) + "\" height=\"" + std::to_string(kBarHeight) + "\"/>";
  double x = 0;
  for (const Outcome& oc : kOutcomes) {
    double w = total > 0 ? static_cast<double>(Count(m, oc.key).value_or(0)) / total * kBarWidth : 0;
    s += "<rect data-bar=\"" + Escape("dry_run." + map + "." + oc.key) + "\" class=\"seg-" + oc.key + "\" x=\"" +
         Px(x) + "\" y=\"0\" width=\"" + Px(w) + "\" height=\"" + std::to_string(kBarHeight) + "\"/>";
    x += w;
  }
  return s + "</svg>";
}

std::string DryRunSection(const json& dr) {
  // The shares overall, from the maps' counts (the dry run's totals are their sums).
  uint64_t records = Count(dr, "records").value_or(0);
  auto share = [&](const char* key, const char* outcome) {
    uint64_t part = 0;
    for (const json& m : Array(dr, "maps")) part += Count(m, outcome).value_or(0);
    return Metric(std::string("dry_run.") + key, PercentFromCounts(Num(dr, key), part, records));
  };
  std::string b = "<p>" + Metric("dry_run.records", CountText(Count(dr, "records"))) +
                  " records through the maps, nothing written: " + share("written_percent", "written") +
                  " would be written, " + share("data_quality_percent", "data_quality") + " stopped for data quality, " +
                  share("held_percent", "held") + " held; " + share("flagged_percent", "flagged") +
                  " flagged. Automation rate " +
                  MetricOr("dry_run.automation_rate", Num(dr, "automation_rate"), html::Rate) + ".</p>\n";
  b += "<p class=\"legend\">";
  for (const Outcome& oc : kOutcomes)
    b += "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect class=\"seg-" + std::string(oc.key) +
         "\" width=\"10\" height=\"10\"/></svg> " + oc.label + "</span> ";
  b += "</p>\n<table><thead><tr><th>map</th><th>from, to</th><th class=\"n\">records</th><th></th>";
  for (const Outcome& oc : kOutcomes) b += std::string("<th class=\"n\">") + oc.label + "</th>";
  b += "<th class=\"n\">flagged</th><th class=\"n\">flagged share</th></tr></thead><tbody>\n";
  for (const json& m : Array(dr, "maps")) {
    std::string map = Str(m, "map");
    std::string pre = "dry_run." + map;
    b += "<tr>" + Cell(Escape(map), "field") + Cell(Escape(Str(m, "source")) + " &rarr; " + Escape(Str(m, "target"))) +
         Cell(Metric(pre + ".records", CountText(Count(m, "records"))), "n") + Cell(StackedBar(map, m));
    for (const Outcome& oc : kOutcomes) b += Cell(Metric(pre + "." + oc.key, CountText(Count(m, oc.key))), "n");
    uint64_t map_records = Count(m, "records").value_or(0), flagged = Count(m, "flagged").value_or(0);
    b += Cell(Metric(pre + ".flagged", CountText(Count(m, "flagged"))), "n") +
         Cell(Metric(pre + ".flagged_percent", html::Share(flagged, map_records)), "n") + "</tr>\n";
  }
  b += "</tbody></table>\n";
  return Section("dry_run", "Dry run", b);
}

std::string FromText(const std::string& from, std::string_view data_meaning) {
  if (from == "answers") return "the answers file";
  if (from == "data") return std::string(data_meaning);
  if (from == "dry_run" || from == "dry run") return "the dry run: the share of records it would write";
  return from.empty() ? std::string(kNone) : from;
}

std::string RoiSection(const json& roi) {
  struct Line {
    const char* key;
    const char* label;
    std::string (*format)(double);
  };
  static const Line kInputs[] = {{"records_per_month", "records a month", html::Quantity},
                                 {"minutes_per_entry", "minutes per entry", html::Quantity},
                                 {"automation_rate", "automation rate", html::Rate},
                                 {"blended_hourly_rate", "blended hourly rate", html::Money},
                                 {"error_rate", "error rate of manual entry", html::Rate},
                                 {"cost_per_error", "cost per error", html::Money},
                                 {"annual_integration_cost", "annual integration cost", html::Money}};
  static const Line kResults[] = {{"hours_saved_per_month", "hours saved a month", html::Quantity},
                                  {"annual_savings", "annual savings", html::Money},
                                  {"error_cost_avoided", "error cost avoided a year", html::Money},
                                  {"annual_benefit", "annual benefit", html::Money},
                                  {"roi", "ROI (benefit / cost)", html::Ratio}};
  std::string b = "<div class=\"row\"><table><thead><tr><th>input</th><th class=\"n\">value</th><th>from</th></tr>"
                  "</thead><tbody>\n";
  for (const Line& l : kInputs) {
    std::string from;
    if (std::string_view(l.key) == "records_per_month")
      from = FromText(Str(roi, "records_per_month_from"), "the data: closed-won opportunities a month");
    else if (std::string_view(l.key) == "automation_rate")
      from = FromText(Str(roi, "automation_rate_from"), "the dry run: the share of records it would write");
    else
      from = "the answers file";
    b += "<tr>" + Cell(l.label) + Cell(MetricOr(std::string("roi.") + l.key, Num(roi, l.key), l.format), "n") +
         Cell(Escape(from)) + "</tr>\n";
  }
  b += "</tbody></table>\n<table><thead><tr><th>result</th><th class=\"n\">value</th></tr></thead><tbody>\n";
  for (const Line& l : kResults)
    b += "<tr>" + Cell(l.label) + Cell(MetricOr(std::string("roi.") + l.key, Num(roi, l.key), l.format), "n") +
         "</tr>\n";
  b += "</tbody></table></div>\n<p class=\"note\">hours saved a month = records a month &times; minutes per entry "
       "&times; automation rate / 60; annual savings = hours &times; 12 &times; hourly rate; error cost avoided = "
       "records a month &times; 12 &times; error rate &times; cost per error; ROI = (savings + error cost avoided) / "
       "annual integration cost.</p>\n";
  return Section("roi", "Manual-entry savings and ROI", b);
}

std::string ClosedWonSection(const json& cw) {
  const json& months = Array(cw, "months");
  std::string b = "<p>" + MetricOr("closed_won.per_month", Num(cw, "per_month"), html::Quantity) +
                  " records a month on average: " + Escape(Str(cw, "object")) + " by " + Escape(Str(cw, "date_field")) +
                  ", the source of " + Escape(Str(cw, "map"));
  if (Part(cw, "records"))
    b += "; " + Metric("closed_won.records", CountText(Count(cw, "records"))) + " records in " +
         std::to_string(months.size()) + " months";
  if (std::optional<uint64_t> n = Count(cw, "without_date"); n && *n)
    b += "; " + Metric("closed_won.without_date", std::to_string(*n)) + " without a close date";
  b += ".</p>\n";
  if (months.empty())
    b += "<p class=\"note\">The map takes no record with a " + Escape(Str(cw, "date_field")) + ".</p>\n";
  uint64_t most = 0;
  for (const json& m : months) most = std::max(most, Count(m, "records").value_or(0));
  if (!months.empty()) {
    b += "<table><thead><tr><th>month</th><th></th><th class=\"n\">records</th></tr></thead><tbody>\n";
    for (const json& m : months) {
      std::string name = "closed_won.month." + Str(m, "month");
      uint64_t n = Count(m, "records").value_or(0);
      b += "<tr>" + Cell(Escape(Str(m, "month"))) +
           Cell(Bar(name, most ? static_cast<double>(n) / static_cast<double>(most) : 0)) +
           Cell(Metric(name, CountText(Count(m, "records"))), "n") + "</tr>\n";
    }
    b += "</tbody></table>\n<p class=\"note\">Bars are against the busiest month.</p>\n";
  }
  return Section("closed_won", "Closed-won a month", b);
}

std::string SorSection(const json& sor) {
  std::optional<double> pct = Num(sor, "percent");
  std::string b = "<p>" +
                  Metric("sor.percent", PercentFromCounts(pct, Count(sor, "owned_fields").value_or(0),
                                                          Count(sor, "synced_fields").value_or(0))) +
                  " " + (pct ? Bar("sor.percent", *pct / 100) : "") +
                  " of the synced fields have an owner (a system of record): " +
                  Metric("sor.owned_fields", CountText(Count(sor, "owned_fields"))) + " of " +
                  Metric("sor.synced_fields", CountText(Count(sor, "synced_fields"))) + ".</p>\n";
  const json& unowned = Array(sor, "unowned");
  if (!unowned.empty()) {
    b += "<table><thead><tr><th>map</th><th>field without an owner</th></tr></thead><tbody>\n";
    for (const json& u : unowned)
      b += "<tr>" + Cell(Escape(Str(u, "map"))) + Cell(Escape(Str(u, "field")), "field") + "</tr>\n";
    b += "</tbody></table>\n";
  }
  return Section("sor", "System-of-record decisions", b);
}

// Budget use against 100%, with the bands' lines at 50, 80 and 90%.
std::string BudgetBar(const std::string& name, double use, const std::string& band) {
  constexpr int w = 240, h = 16;
  double f = std::clamp(std::isfinite(use) ? use / 100 : 1.0, 0.0, 1.0);
  std::string s = "<svg class=\"bar\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
                  "\" aria-hidden=\"true\"><rect data-track=\"\" class=\"track\" x=\"0\" y=\"0\" width=\"" +
                  std::to_string(w) + "\" height=\"" + std::to_string(h) + "\"/><rect data-bar=\"" + Escape(name) +
                  "\" class=\"band-" + Escape(band) + "\" x=\"0\" y=\"3\" width=\"" + Px(f * w) + "\" height=\"" +
                  std::to_string(h - 6) + "\"/>";
  for (int mark : {50, 80, 90})
    s += "<line data-mark=\"" + std::to_string(mark) + "\" class=\"mark\" x1=\"" + Px(mark / 100.0 * w) +
         "\" y1=\"0\" x2=\"" + Px(mark / 100.0 * w) + "\" y2=\"" + std::to_string(h) + "\"/>";
  return s + "</svg>";
}

std::string BudgetSection(const json& v) {
  std::string b = "<p>Changes counted over the " + Metric("volume.window_days", CountText(Count(v, "window_days"))) +
                  " days up to each object's latest stamp; an <code>on change</code> sync is polled every " +
                  Metric("volume.poll_seconds", CountText(Count(v, "poll_seconds"))) + " seconds.</p>\n";
  b += "<table><thead><tr><th>system</th><th>kind</th><th class=\"n\">calls a day</th><th class=\"n\">budget a day</th>"
       "<th></th><th class=\"n\">use</th><th>band</th><th>advice</th></tr></thead><tbody>\n";
  for (const json& s : Array(v, "systems")) {
    std::string sys = Str(s, "system");
    std::string pre = "budget." + sys;
    std::optional<double> budget = Num(s, "budget_per_day"), use = Num(s, "use_percent");
    b += "<tr>" + Cell(Escape(sys), "field") + Cell(Escape(Str(s, "kind"))) +
         Cell(MetricOr(pre + ".calls_per_day", Num(s, "calls_per_day"), html::Whole), "n");
    if (!budget) {
      b += "<td class=\"n\">" + Metric(pre + ".budget_per_day", "none", "text") +
           "</td><td colspan=\"4\">no daily call budget: nothing to measure the use against</td></tr>\n";
      continue;
    }
    // "spec: api_calls 100000 per 24h", or the vendor's documented default and where it is.
    std::string from = Str(s, "budget_from");
    std::string band = Str(s, "band");
    const json* over_budget = Part(s, "over_budget");
    bool over = over_budget && over_budget->is_boolean() && over_budget->get<bool>();
    b += Cell(Metric(pre + ".budget_per_day", html::Whole(*budget)) +
                  (from.empty() ? "" : "<br><small>" + Escape(from) + "</small>"),
              "n") +
         Cell(use ? BudgetBar(pre + ".use_percent", *use, band) : "") +
         Cell(MetricOr(pre + ".use_percent", use, html::Percent) + (over ? " <strong>over budget</strong>" : ""), "n") +
         Cell(Metric(pre + ".band", band, "text"), "band-" + Escape(band) + "-text") + Cell(Escape(Str(s, "advice"))) +
         "</tr>\n";
  }
  b += "</tbody></table>\n<p class=\"note\">Lines at 50%, 80% and 90% of the budget: under 50% good, 50-80% typical, "
       "80-90% high, over 90% risk (batch non-urgent syncs).</p>\n";
  const json& syncs = Array(v, "syncs");
  if (!syncs.empty()) {
    b += "<table><thead><tr><th>sync</th><th>trigger</th><th>from, to</th><th class=\"n\">runs a day</th>"
         "<th class=\"n\">new a day</th><th class=\"n\">updated a day</th><th class=\"n\">written share</th>"
         "<th class=\"n\">read calls a day</th><th class=\"n\">write calls a day</th></tr></thead><tbody>\n";
    for (const json& s : syncs) {
      std::string pre = "volume." + Str(s, "sync");
      b += "<tr>" + Cell(Escape(Str(s, "sync")), "field") + Cell(Escape(Str(s, "trigger"))) +
           Cell(Escape(Str(s, "source")) + " &rarr; " + Escape(Str(s, "target")));
      for (const char* key : {"runs_per_day", "new_per_day", "updated_per_day"})
        b += Cell(MetricOr(pre + "." + key, Num(s, key), html::Quantity), "n");
      b += Cell(MetricOr(pre + ".written_share", Num(s, "written_share"), html::Rate), "n");
      for (const char* key : {"read_calls_per_day", "write_calls_per_day"})
        b += Cell(MetricOr(pre + "." + key, Num(s, key), html::Quantity), "n");
      b += "</tr>\n";
    }
    b += "</tbody></table>\n";
  }
  // The change rate of each source object, which the volume comes from.
  const json& activity = Array(v, "objects");
  if (!activity.empty()) {
    b += "<h3>Changes a day</h3>\n<table><thead><tr><th>object</th><th class=\"n\">records</th><th>created</th>"
         "<th>changed</th><th>window to</th><th class=\"n\">new in the window</th><th class=\"n\">updated in the "
         "window</th><th class=\"n\">new a day</th><th class=\"n\">updated a day</th><th>note</th></tr></thead>"
         "<tbody>\n";
    for (const json& o : activity) {
      std::string pre = "change." + ObjectName(o);
      b += "<tr>" + Cell(Escape(ObjectName(o)), "field") + Cell(Metric(pre + ".records", CountText(Count(o, "records"))), "n") +
           Cell(Escape(Str(o, "created_field")), "field") + Cell(Escape(Str(o, "modified_field")), "field") +
           Cell(Escape(Str(o, "window_end"))) +
           Cell(Metric(pre + ".created_in_window", CountText(Count(o, "created_in_window"))), "n") +
           Cell(Metric(pre + ".updated_in_window", CountText(Count(o, "updated_in_window"))), "n") +
           Cell(MetricOr(pre + ".new_per_day", Num(o, "new_per_day"), html::Quantity), "n") +
           Cell(MetricOr(pre + ".updated_per_day", Num(o, "updated_per_day"), html::Quantity), "n") +
           Cell(Escape(Str(o, "note"))) + "</tr>\n";
    }
    b += "</tbody></table>\n";
  }
  return Section("budget", "API budget use", b);
}

constexpr const char* kStyle = R"(
:root{--ink:#1d2433;--muted:#5b6475;--line:#d9dee7;--track:#eceff4;--good:#2e8b57;--typical:#3b6fb6;
--high:#d98a00;--risk:#c0392b}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);
margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid var(--line);
padding-bottom:4px}h3{font-size:15px;margin:18px 0 2px}
.sub{color:var(--muted);margin:0 0 8px}.note{color:var(--muted);font-size:12px}
.cards{display:flex;gap:12px;margin:12px 0}.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;
min-width:170px}.big{font-size:24px;font-weight:600}
table{border-collapse:collapse;margin:6px 0 10px}th,td{padding:3px 10px 3px 0;text-align:left;vertical-align:middle;
border-bottom:1px solid var(--line)}th{font-weight:600;color:var(--muted);font-size:12px}
.n{text-align:right;font-variant-numeric:tabular-nums}.total td{font-weight:600;border-top:2px solid var(--line)}
.field,.id,.value{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.row{display:flex;gap:28px;align-items:flex-start;flex-wrap:wrap}
svg.bar{vertical-align:middle;display:inline-block}
.track{fill:var(--track)}.fill{fill:var(--typical)}.fill.warn{fill:var(--high)}
.gauge-track{fill:none;stroke:var(--track);stroke-width:18}.gauge-fill{fill:none;stroke:var(--typical);stroke-width:18}
.gauge-fill.ready{stroke:var(--good)}.gauge-fill.first{stroke:var(--risk)}
.tick{stroke:var(--ink);stroke-width:1.5}.gauge-score{font-size:28px;font-weight:600;fill:var(--ink)}
.axis{font-size:11px;fill:var(--muted)}.band{font-weight:600;margin:0}
.mark{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:2 2}
.band-good{fill:var(--good)}.band-typical{fill:var(--typical)}.band-high{fill:var(--high)}.band-risk{fill:var(--risk)}
.band-good-text{color:var(--good)}.band-high-text{color:var(--high)}.band-risk-text{color:var(--risk);font-weight:600}
.seg-written{fill:var(--good)}.seg-data_quality{fill:var(--high)}.seg-held{fill:#e8c547}.seg-waiting{fill:var(--typical)}
.seg-skipped{fill:#9aa3b2}.seg-error{fill:var(--risk)}.legend span{margin-right:10px;font-size:12px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{body{padding:0}section{break-inside:avoid}}
)";

}  // namespace

std::string AssessmentHtml(const json& report) {
  static const json kNoReport = json::object();
  const json& r = report.is_object() ? report : kNoReport;
  std::string title = "crmx assess: " + Str(r, "integration");
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      Escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += Headline(r);
  // The rubric as the assessment gives it (criteria); the measuring half's older shape (three
  // criteria by name, no answers) has no `criteria` and no section.
  if (const json* p = Part(r, "rubric"); p && Part(*p, "criteria")) out += RubricSection(*p);
  if (const json* p = Part(r, "readiness")) out += ReadinessSection(*p);
  const json* objects = Part(r, "objects");
  if (objects && objects->is_array()) {
    out += CompletenessSection(*objects);
    out += DuplicatesSection(*objects);
    out += FormatsSection(*objects);
  }
  if (const json* p = Part(r, "dry_run")) out += DryRunSection(*p);
  if (const json* p = Part(r, "roi"))
    out += RoiSection(*p);
  else if (const json* why = Part(r, "roi_missing"); why && why->is_string())
    out += Section("roi", "Manual-entry savings and ROI", "<p>Not computed: " + Escape(why->get<std::string>()) + ".</p>\n");
  if (const json* p = Part(r, "closed_won")) out += ClosedWonSection(*p);
  if (const json* p = Part(r, "sor")) out += SorSection(*p);
  if (const json* p = Part(r, "volume")) out += BudgetSection(*p);
  out += "<footer>Written by <code>crmx-run assess --format html</code>. This page has no script and loads "
         "nothing: every chart is drawn in it.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace crmx::assess
