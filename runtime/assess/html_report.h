// Defines the HTML report of `crmx-run assess --format html` (issue 13, section 3;
// docs/assess.md, "The HTML report"): the assessment's JSON report (the `--format json` shape)
// rendered as one self-contained page, with inline CSS and SVG charts drawn here (no script, no
// external resource, no charting library), and the number formats it shows.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace crmx::assess {

// The page for `report` (the JSON of `crmx-run assess --format json`). Each section is present
// only when its part of the JSON is there and not null. Every string of the JSON is escaped
// (record ids, invalid values and field names are customer data). Every number people read is
// an element with a `data-metric` attribute naming it (docs/assess.md lists the names), and
// every bar an SVG rect with `data-bar` naming what it draws. Never throws on a report of an
// unexpected shape: what it cannot read it leaves out.
std::string AssessmentHtml(const nlohmann::json& report);

// The number formats of the page (and of the text report). Rounding is half up on the decimal
// value, so a test in another language reproduces every figure exactly.
namespace html {

// Text with &, <, >, " and ' escaped (fit for an element and for a quoted attribute); control
// characters other than tab, newline and carriage return become U+FFFD.
std::string Escape(const std::string& text);
// A percentage 0-100 with one decimal and "%": 84.45 -> "84.5%". The value is first taken to
// two decimals (as the JSON report gives it), then to one, half up.
std::string Percent(double percent);
// part / whole as a percentage, one decimal, half up, computed on the integers: 1 of 8 ->
// "12.5%", 1 of 16 -> "6.3%". "-" when whole is 0.
std::string Share(uint64_t part, uint64_t whole);
// A rate 0-1 as a percentage: 0.9 -> "90.0%".
std::string Rate(double rate);
// Money as the text report gives it: a dollar sign, thousands separators and two decimals:
// 32400 -> "$32,400.00".
std::string Money(double amount);
// A whole number with thousands separators (API calls and budgets a day): 2903.4 -> "2,903".
std::string Whole(double value);
// A ratio with two decimals: 1.58 -> "1.58".
std::string Ratio(double ratio);
// A quantity that need not be whole (scores, records a month, changes a day): at most two
// decimals, trailing zeros dropped: 14.75 -> "14.75", 0.5 -> "0.5", 500 -> "500", 73.8 -> "73.8".
std::string Quantity(double value);

}  // namespace html

}  // namespace crmx::assess
