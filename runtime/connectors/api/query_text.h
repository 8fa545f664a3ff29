// Defines what the vendors' query builders share (SOQL, SuiteQL, OData, q, the QuickBooks and
// Xero query languages): which names go into a query unquoted, and a numeric constant as a query
// literal, for a field the system compares as a number (the VM then compares the two the same way).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/decimal/decimal.h"
#include "runtime/plan/plan.h"
#include "runtime/value/value.h"

namespace crmx::connectors::api {

// A name a query reads as a name: letters, digits and `_`, and with `dots` the dots of a
// relationship or nested member path ("Account.Name"). Nothing else goes into a query unquoted.
inline bool SafeName(std::string_view f, bool dots = false) {
  return !f.empty() && std::all_of(f.begin(), f.end(), [dots](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (dots && c == '.');
  });
}

inline bool IsNumberType(plan::FieldType t) {
  return t == plan::FieldType::kInt || t == plan::FieldType::kDecimal || t == plan::FieldType::kDouble;
}

// The digits of an int, uint, decimal or finite double constant for a numeric field; nothing
// for any other constant or field (NaN and infinities stay with the engine).
inline std::optional<std::string> NumberLiteral(const value::Value& k, plan::FieldType type) {
  if (!IsNumberType(type)) return std::nullopt;
  switch (k.kind()) {
    case value::Kind::kInt: return std::to_string(k.AsInt());
    case value::Kind::kUint: return std::to_string(k.AsUint());
    case value::Kind::kDecimal: return k.AsDecimal().ToString();
    case value::Kind::kDouble: {
      auto d = decimal::Decimal::FromDouble(k.AsDouble());
      if (!d) return std::nullopt;
      return d->ToString();
    }
    default: return std::nullopt;
  }
}

}  // namespace crmx::connectors::api
