// Defines the pushdown condition builder all query-language connectors share (pushdown_text.h).
#include "runtime/connectors/api/pushdown_text.h"

#include <algorithm>

#include "runtime/connectors/api/query_text.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors::api {

namespace {

using plan::FieldType;
using plan::FilterOp;
using value::Kind;
using value::Value;

// A constant as the dialect's literal for a field of type `type`, when the system compares the
// two as the VM does (numbers with numbers, strings with strings, dates and datetimes as
// instants).
std::optional<std::string> Literal(const Value& k, FieldType type, const PushdownDialect& d) {
  switch (k.kind()) {
    case Kind::kString:
      if (type == FieldType::kString && !(d.empty_string_is_null && k.AsText().empty())) return d.quote(k.AsText());
      return std::nullopt;
    case Kind::kBool:
      if (type == FieldType::kBool && d.true_text != nullptr) return std::string(k.AsBool() ? d.true_text : d.false_text);
      return std::nullopt;
    case Kind::kInt:
    case Kind::kUint:
    case Kind::kDecimal:
    case Kind::kDouble: {
      std::optional<std::string> digits = NumberLiteral(k, type);
      if (digits && type == FieldType::kDecimal) *digits += d.decimal_suffix;
      return digits;
    }
    case Kind::kTimestamp: return d.time != nullptr ? d.time(k.AsTime(), type) : std::nullopt;
    default: return std::nullopt;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
  return out;
}

}  // namespace

std::string QuoteDoubled(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::optional<DayTime> WholeSecondDayTime(value::Time t, FieldType type) {
  if (t.nanos != 0) return std::nullopt;
  std::string text = value::FormatTimestamp(t);  // "2024-01-01T00:00:00Z"
  if (text.size() != 20) return std::nullopt;
  if (type == FieldType::kDate) {
    if (text.compare(10, 10, "T00:00:00Z") != 0) return std::nullopt;
    return DayTime{text.substr(0, 10), "00:00:00"};
  }
  if (type == FieldType::kDateTime) return DayTime{text.substr(0, 10), text.substr(11, 8)};
  return std::nullopt;
}

std::optional<std::string> PushdownText(const plan::SourceCondition& c, FieldType type, const PushdownDialect& d) {
  if (!SafeName(c.field, d.dotted_names) || type == FieldType::kAny) return std::nullopt;
  if (type == FieldType::kBool && d.true_text == nullptr) return std::nullopt;
  const std::string col = d.lower_names ? Lower(c.field) : c.field;
  const std::string null_test = col + d.is_null;
  const Value& k = c.value;
  std::optional<bool> on_null = plan::Evaluate(c, Value::Null());
  if (c.op == FilterOp::kIn) {
    if (k.kind() != Kind::kList) return std::nullopt;
    std::vector<std::string> items;
    bool has_null = false;
    for (const Value& x : k.AsList()) {
      if (x.IsNull()) {
        has_null = true;
      } else if (auto lit = Literal(x, type, d)) {
        items.push_back(d.in_open != nullptr ? *lit : col + " " + d.ops[0] + " " + *lit);
      } else if (d.in_strict ||
                 (d.empty_string_is_null && x.kind() == Kind::kString && x.AsText().empty() && type == FieldType::kString)) {
        return std::nullopt;  // a constant the system would not compare as the VM does ('' is NULL there)
      }
    }
    if (d.in_open == nullptr) {
      if (has_null || on_null != false) items.push_back(null_test);
      if (items.empty()) return std::nullopt;
      return "(" + Join(items, d.or_word) + ")";
    }
    if (items.empty()) return has_null ? std::optional<std::string>(null_test) : std::nullopt;
    std::string text = col + d.in_open + Join(items, ", ") + ")";
    return has_null || on_null != false ? "(" + text + d.or_word + null_test + ")" : text;
  }
  if (k.IsNull()) {
    if (c.op == FilterOp::kEq) return null_test;
    if (c.op == FilterOp::kNe) return col + d.not_null;
    return std::nullopt;
  }
  // Strings and booleans are compared by `==` and `!=` only (orderings follow the system's
  // collation); strings by `==` alone where the system compares them without case.
  bool equality = c.op == FilterOp::kEq || (c.op == FilterOp::kNe && (d.string_ne || k.kind() != Kind::kString));
  if ((k.kind() == Kind::kString || k.kind() == Kind::kBool) && !equality) return std::nullopt;
  std::optional<std::string> lit = Literal(k, type, d);
  if (!lit) return std::nullopt;
  std::string text = col + " " + d.ops[static_cast<size_t>(c.op)] + " " + *lit;
  return on_null == false ? text : "(" + text + d.or_word + null_test + ")";
}

std::vector<std::string> PushdownTerms(const ReadRequest& req, const PushdownDialect& d) {
  std::vector<std::string> terms;
  for (const plan::SourceCondition& c : req.pushdown) {
    auto at = std::find(req.fields.begin(), req.fields.end(), c.field);
    if (at == req.fields.end()) continue;  // not read: its type is unknown
    size_t i = static_cast<size_t>(at - req.fields.begin());
    if (auto text = PushdownText(c, i < req.types.size() ? req.types[i] : FieldType::kAny, d)) terms.push_back(*text);
  }
  return terms;
}

}  // namespace crmx::connectors::api
