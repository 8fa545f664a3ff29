// Defines what the SOQL and SuiteQL builders share: a numeric constant as a query literal, for
// a field the system compares as a number (the VM then compares the two the same way).
#pragma once

#include <optional>
#include <string>

#include "runtime/decimal/decimal.h"
#include "runtime/plan/plan.h"
#include "runtime/value/value.h"

namespace crmx::connectors::api {

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
