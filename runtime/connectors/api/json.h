// Defines how the API connectors read the vendors' JSON answers: a small JSON tree whose
// numbers keep the digits they were written with (a decimal never goes through a double),
// and the conversion of a record of such a tree to a row of values by a read's projection:
// dotted names are nested keys ("Account.Name" is the `Name` key of the `Account` object),
// values are converted by their schema type (plan::FieldType).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan/plan.h"
#include "runtime/value/value.h"

namespace crmx::connectors::api {

struct JsonNode {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  // kNumber: the number's text as the answer wrote it ("12.50", "1e3"); kString: the
  // unescaped text; kBool: "true" or "false".
  std::string text;
  // kArray: the elements; kObject: the members' values, their names in `keys` (same order).
  std::vector<JsonNode> items;
  std::vector<std::string> keys;

  bool IsNull() const { return type == Type::kNull; }
  // The member `key` of an object (exact name), null when absent or not an object.
  const JsonNode* Find(std::string_view key) const;
  // The member `key` compared without case (SuiteQL's lowercase column names).
  const JsonNode* FindIgnoreCase(std::string_view key) const;
  // The value at a dotted path ("Account.Name"), null when a step is absent or not an object.
  const JsonNode* Path(std::string_view dotted) const;
  // kString/kNumber/kBool: `text`; other types "".
  const std::string& Text() const;
};

// Parses `text` (a whole answer body). False with `error` when it is not one JSON value.
// Never throws.
bool ParseJson(std::string_view text, JsonNode& out, std::string& error);

// The value of `node` as a field of type `type` (owned: it does not borrow from the tree). A
// JSON number in a decimal field keeps its digits; a string is converted as connectors::
// FromText converts text; objects and arrays become maps and lists (fields typed `any`); a
// value that is not of the type is an error value naming `field`.
value::Value NodeValue(const JsonNode& node, plan::FieldType type, std::string_view field);

// Appends one row to `out`: per field of `fields`, the value at that dotted path of `record`
// converted by `types` (null when absent).
void AppendRow(const JsonNode& record, const std::vector<std::string>& fields,
               const std::vector<plan::FieldType>& types, std::vector<value::Value>& out);

}  // namespace crmx::connectors::api
