// Defines std.text: trim, upper, lower, truncate, replace, split, join, matches, digits,
// re_replace, re_extract and format, over
// UTF-8 strings. Semantics follow CEL's string extensions where CEL defines them (docs/stdlib.md
// is the reference): lengths and positions count Unicode code points, never bytes, and no
// function splits a code point. Invalid UTF-8 bytes count as one code point each (U+FFFD).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/decimal/decimal.h"
#include "runtime/stdlib/result.h"
#include "runtime/stdlib/time.h"

namespace crmx::stdlib {

// Removes leading and trailing Unicode white space (the White_Space property: spaces, tabs, line
// breaks, U+00A0 no-break space, U+3000 ideographic space, ...).
std::string Trim(std::string_view text);
// The same, as a view of `text` (no copy).
std::string_view TrimView(std::string_view text);
// Simple (one-to-one) Unicode case mapping, code point by code point, locale-independent: the
// result has as many code points as the input ("straße" -> "STRASSE" is *not* done: "STRAßE").
std::string Upper(std::string_view text);
std::string Lower(std::string_view text);
// The first `max_code_points` code points (all of `text` when shorter; negative counts as 0).
std::string Truncate(std::string_view text, int64_t max_code_points);
// Every non-overlapping occurrence of `from` replaced by `to`, left to right. An empty `from`
// inserts `to` before every code point and at the end (CEL / Go semantics).
std::string Replace(std::string_view text, std::string_view from, std::string_view to);
// The parts between separators; an empty separator splits into code points. "" splits into
// [""] (CEL / Go semantics).
std::vector<std::string> Split(std::string_view text, std::string_view separator);
// Split's pieces as views into `text`.
std::vector<std::string_view> SplitViews(std::string_view text, std::string_view separator);
std::string Join(std::span<const std::string> parts, std::string_view separator);
// CEL `matches`: true when the RE2 pattern matches anywhere in `text` (use ^...$ to anchor).
// Fails when the pattern is not a valid RE2 expression. Compiled patterns are cached per thread.
Result<bool> Matches(std::string_view text, std::string_view pattern);
// The ASCII digits 0-9 of `text`, in order ("+1 (415) 555-0100" -> "14155550100").
std::string Digits(std::string_view text);
// Every non-overlapping match of the RE2 `pattern` in `text` replaced by `replacement`, left to
// right, in which `\0` is the whole match and `\1`..`\9` its groups (`\\` a backslash). Fails when
// the pattern is not a valid RE2 expression or the replacement names a group it does not have.
Result<std::string> ReReplace(std::string_view text, std::string_view pattern, std::string_view replacement);
// The first match of `pattern` in `text`: its first group when the pattern has groups, else the
// whole match. Fails when nothing matches (or the first group took no part in the match), and
// when the pattern is not valid.
Result<std::string> ReExtract(std::string_view text, std::string_view pattern);

// A `format` argument. Lists and maps are formatted by the caller (the VM) into text first.
using FormatArg = std::variant<std::monostate, bool, int64_t, uint64_t, double, decimal::Decimal, std::string_view,
                               Date, DateTime>;

// CEL's string.format subset: %s (any value), %d (integers), %f and %.Nf (numbers; default 6
// places; decimals are rounded exactly, half up), %e (numbers, scientific), %x %X (integers and
// strings in hexadecimal), %o (integers, octal), %b (integers, binary), %% (a percent sign).
// Fails on an unknown verb, a verb given a value of the wrong kind, and too few or too many
// arguments.
Result<std::string> Format(std::string_view format, std::span<const FormatArg> args);

// How %s shows a value: strings as they are, null as "null", doubles as CEL's string(double)
// ("1.5", "1e+06"), decimals with their scale, dates as "2024-01-19", datetimes as RFC 3339 UTC.
std::string ToText(const FormatArg& arg);

}  // namespace crmx::stdlib
