// Defines the query languages the emulators answer: a subset of Salesforce SOQL and of
// NetSuite SuiteQL, parsed into one Query structure and evaluated against stored records.
//
//   SELECT f1, f2, Parent.f FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST]]
//   [LIMIT n] [OFFSET n]            (LIMIT/OFFSET: SOQL only; SuiteQL pages with ?limit/offset)
//   SuiteQL select items may also be `*` and `TO_CHAR(column, 'format') [AS alias]`; SOQL's
//   select list may be `COUNT()` alone.
//   cond:  cond AND cond | cond OR cond | NOT cond | ( cond )
//        | f = v | f != v | f <> v | f < v | f <= v | f > v | f >= v
//        | f [NOT] IN (v, ...) | f [NOT] LIKE 'pattern' | f IS [NOT] NULL (SuiteQL)
//
// The dialects differ where the vendors differ: string literals (SOQL backslash escapes
// \' \" \\ \n \r \t \b \f \uXXXX, and \% \_ in LIKE patterns only; SuiteQL '' doubling), literals (SOQL unquoted datetimes,
// dates, true/false/null; SuiteQL TO_DATE/TO_TIMESTAMP('text', 'format') and quoted datetime
// strings compared as instants), and string equality (SOQL is case-insensitive, SuiteQL not).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulators/exact_json.h"

namespace crmx::emulate {

enum class Dialect { kSoql, kSuiteQl };

struct Literal {
  enum class Kind { kString, kNumber, kBool, kNull, kDateTime };
  Kind kind = Kind::kNull;
  std::string text;     // the value: decoded string, number digits, "true", the datetime text
  std::string pattern;  // LIKE only: text with \x02 for an unescaped %, \x03 for an unescaped _
  int64_t instant = 0;  // kDateTime: milliseconds since the epoch
};

struct Condition {
  enum class Kind { kCompare, kIn, kLike, kAnd, kOr, kNot };
  Kind kind = Kind::kCompare;
  std::string field;  // kCompare, kIn, kLike: the field as written
  std::string op;     // kCompare: "=", "!=", "<", "<=", ">", ">="
  bool negated = false;  // NOT IN, NOT LIKE
  std::vector<Literal> values;
  std::unique_ptr<Condition> left, right;  // kAnd, kOr; kNot uses left only
};

// One item of a SuiteQL select list beyond a bare column: TO_CHAR(column, 'format') [AS alias].
struct SelectItem {
  std::string field;      // the column, as written ("*" for SELECT *)
  std::string to_char;    // TO_CHAR's format ("" when the item is the bare column)
  std::string alias;      // AS alias ("" when none)
};

struct Query {
  std::vector<std::string> fields;  // the selected fields as written; "*" for SuiteQL's SELECT *
  std::vector<SelectItem> select;   // the same items with their function and alias
  bool count = false;               // SOQL `SELECT COUNT() FROM ...`: only the number of rows
  std::string from;
  std::unique_ptr<Condition> where;  // null: every record
  std::string order_by;              // empty: stored order
  bool descending = false;
  bool nulls_last = false;
  int64_t limit = -1;
  int64_t offset = 0;
};

// Parses `text`. False with `error` (a message in the vendor's words) when it is not in the
// subset; a query the vendor would run but this subset does not know is an error too.
bool ParseQuery(std::string_view text, Dialect dialect, Query& out, std::string& error);

// Every field a query names (select list, conditions, ORDER BY), for validation.
std::vector<std::string> FieldsUsed(const Query& q);

// A record's value of a field (null Json when the record has none).
using FieldValue = std::function<Json(const std::string& field)>;
bool Matches(const Condition& c, const FieldValue& value, Dialect dialect);
// Orders two values as ORDER BY does: numbers as numbers, datetimes as instants, else text.
int CompareForSort(const Json& a, const Json& b);

// Formats an instant (UTC) with an Oracle-style format as SuiteQL's TO_CHAR does: YYYY, MM,
// DD, HH24, HH (12-hour), MI, SS, AM/PM, "quoted text", and M and D (month and day without
// padding, as NetSuite's date preferences write them); other characters are copied.
std::string FormatInstant(int64_t instant_ms, std::string_view format);

// "2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000+0000", "...+01:00", a space
// for the T: milliseconds since the epoch; nullopt when the text is none of those.
std::optional<int64_t> ParseInstant(std::string_view text);

}  // namespace crmx::emulate
