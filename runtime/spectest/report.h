// Defines how spec test results are shown: text for people (what `crmxc test` prints) and
// JUnit XML for CI systems (`--junit FILE`).
#pragma once

#include <string>
#include <vector>

#include "runtime/spectest/spectest.h"

namespace crmx::spectest {

// One line per test (`ok     NAME`, `FAILED NAME`); under a failed test, each failed
// expectation with its message and field-by-field diff, then what happened to the records;
// last, `N passed, M failed`.
std::string ResultsText(const std::vector<TestResult>& results);

// What went wrong in one failed test, as in ResultsText (the body of a JUnit failure).
std::string FailureText(const TestResult& result);

// A JUnit XML document: one <testsuite name="INTEGRATION">, one <testcase> per test, a
// <failure message="..."> with FailureText for each failed test.
std::string JUnitXml(const std::vector<TestResult>& results, const std::string& integration);

// `text` escaped for XML character data and attribute values; characters XML 1.0 cannot hold
// (control characters other than tab, newline, return) are written as `\xNN`.
std::string XmlEscape(const std::string& text);

}  // namespace crmx::spectest
