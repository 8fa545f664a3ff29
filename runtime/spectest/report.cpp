// Defines the text and JUnit XML forms of spec test results (report.h).
#include "runtime/spectest/report.h"

#include <algorithm>
#include <cstdio>

namespace crmx::spectest {

namespace {

std::string Pad(const std::string& s, size_t width) { return s + std::string(width - std::min(width, s.size()), ' '); }

// The closest record's differences as an aligned table: field, expected, got.
std::string DiffTable(const std::vector<FieldDiff>& diff, const std::string& indent) {
  size_t wf = 5, we = 8;
  for (const FieldDiff& d : diff) {
    wf = std::max(wf, d.field.size());
    we = std::max(we, d.expected.size());
  }
  std::string out = indent + Pad("field", wf) + "  " + Pad("expected", we) + "  got\n";
  for (const FieldDiff& d : diff) out += indent + Pad(d.field, wf) + "  " + Pad(d.expected, we) + "  " + d.got + "\n";
  return out;
}

// The first line of what went wrong: the JUnit failure message.
std::string Headline(const TestResult& r) {
  if (!r.error.empty()) return r.error;
  for (const ExpectationResult& e : r.expectations)
    if (!e.passed) return e.expectation + ": " + e.message;
  return "failed";
}

}  // namespace

std::string FailureText(const TestResult& r) {
  std::string out;
  if (!r.error.empty()) out += "  " + r.error + "\n";
  for (const ExpectationResult& e : r.expectations) {
    if (e.passed) continue;
    out += "  " + e.expectation + "\n    " + e.message + "\n";
    if (!e.diff.empty()) out += DiffTable(e.diff, "      ");
  }
  if (!r.happened.empty()) {
    out += "  what happened:\n";
    for (const std::string& h : r.happened) out += "    " + h + "\n";
  }
  return out;
}

std::string ResultsText(const std::vector<TestResult>& results) {
  std::string out;
  size_t passed = 0;
  for (const TestResult& r : results) {
    out += (r.passed ? "ok     " : "FAILED ") + r.name + "\n";
    if (r.passed) ++passed; else out += FailureText(r);
  }
  out += std::to_string(passed) + " passed, " + std::to_string(results.size() - passed) + " failed\n";
  return out;
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string JUnitXml(const std::vector<TestResult>& results, const std::string& integration) {
  size_t failures = static_cast<size_t>(std::count_if(results.begin(), results.end(), [](const TestResult& r) { return !r.passed; }));
  std::string n = std::to_string(results.size()), f = std::to_string(failures), suite = XmlEscape(integration);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"crmxc test\" tests=\"" + n + "\" failures=\"" + f + "\" errors=\"0\">\n";
  out += "  <testsuite name=\"" + suite + "\" tests=\"" + n + "\" failures=\"" + f + "\" errors=\"0\" skipped=\"0\">\n";
  for (const TestResult& r : results) {
    out += "    <testcase classname=\"" + suite + "\" name=\"" + XmlEscape(r.name) + "\"";
    if (r.passed) {
      out += "/>\n";
      continue;
    }
    out += ">\n      <failure message=\"" + XmlEscape(Headline(r)) + "\" type=\"expectation\">" +
           XmlEscape(FailureText(r)) + "</failure>\n    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace crmx::spectest
