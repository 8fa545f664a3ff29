// Defines PushdownText, the one builder of a pushdown condition's text in a vendor's query
// language (Salesforce's SOQL, NetSuite's SuiteQL, Oracle's RowMatch `q`, SAP's OData
// `$filter`): the vendors' languages differ only in what a PushdownDialect says (how a string,
// a boolean, a number and an instant are written, the null tests, the operators' spelling and
// what each system compares unlike the VM), so the rules of when a condition may be pushed
// (never leaving out a record the VM keeps) live here once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/plan/plan.h"
#include "runtime/value/value.h"

namespace crmx::connectors::api {

struct PushdownDialect {
  bool dotted_names = false;  // a field may be a relationship path ("Account.Name"): SafeName's dots
  bool lower_names = false;   // columns written in lowercase (SuiteQL)
  // A string constant as a literal (quoted and escaped).
  std::string (*quote)(std::string_view) = nullptr;
  // The database stores '' as NULL (Oracle's): an empty string constant is left to the engine.
  bool empty_string_is_null = false;
  // The boolean literals; null: booleans are left to the engine, and so is every condition on a
  // boolean field (its null tests too).
  const char* true_text = nullptr;
  const char* false_text = nullptr;
  const char* decimal_suffix = "";  // after the digits of a constant for a decimal field (OData V2's `M`)
  // A timestamp constant as a literal for a field of `type` (date or datetime), or nothing.
  std::optional<std::string> (*time)(value::Time t, plan::FieldType type) = nullptr;
  // The comparison operators, in FilterOp order: ==, !=, <, <=, >, >=.
  const char* ops[6] = {"=", "<>", "<", "<=", ">", ">="};
  const char* is_null = " IS NULL";       // after the field: its null test
  const char* not_null = " IS NOT NULL";  // after the field: its not-null test
  const char* or_word = " OR ";
  // Opens a list test after the field (" IN ("); null: the language has none, and `in` is written
  // as `==` tests joined by or_word, in parentheses (OData V2).
  const char* in_open = " IN (";
  // An element of an `in` list that cannot be written as a literal gives the whole condition up
  // (else it is left out of the list: the VM finds it equal to no value of the field).
  bool in_strict = false;
  // `!=` between strings is pushed (false where the system compares strings without case).
  bool string_ne = true;
};

// A string constant in single quotes, each quote doubled: SQL's, SuiteQL's, Oracle's and OData's.
std::string QuoteDoubled(std::string_view s);

// A whole-second instant as the parts of a date or datetime literal, in UTC: the day
// ("2024-01-02") and the time of day ("03:04:05"). Nothing for an instant with a fraction of a
// second, for a date field's constant not at midnight, or for a field of another type.
struct DayTime {
  std::string day;
  std::string time;
};
std::optional<DayTime> WholeSecondDayTime(value::Time t, plan::FieldType type);

// The text of one pushdown condition on a field of `type`, or nothing when the system could
// leave out a record the VM keeps (then the engine alone filters). A system's NULL fails every
// comparison: `(... OR F IS NULL)` where the VM keeps nulls. String orderings depend on the
// system's collation: never pushed.
std::optional<std::string> PushdownText(const plan::SourceCondition& c, plan::FieldType type, const PushdownDialect& d);

// The texts of the request's pushdown conditions that can be pushed, in order; a condition on a
// field the request does not read (its type unknown) is left to the engine.
std::vector<std::string> PushdownTerms(const ReadRequest& req, const PushdownDialect& d);

}  // namespace crmx::connectors::api
