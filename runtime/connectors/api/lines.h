// Defines how the API connectors write a record's lines (NetSuite's sublist items, QuickBooks'
// Line, SAP's deep-insert items): a target field with element fields whose value is a list of
// maps, each line written as a JSON object of the element fields nested by path (nesting.h).
// Header-only.
#pragma once

#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/nesting.h"

namespace crmx::connectors::api {

// The value of element field `f` in a line (a map keyed by the element fields' names); with
// `by_path`, else the value at f.path through nested maps. Null when the line has none.
inline const value::Value* LineValue(const value::Value& line, const plan::TargetField& f, bool by_path) {
  using value::Kind;
  if (line.kind() != Kind::kMap) return nullptr;
  for (const auto& [k, v] : line.AsMap().entries)
    if (k.kind() == Kind::kString && k.AsText() == f.name) return &v;
  if (!by_path) return nullptr;
  const value::Value* at = &line;
  for (const std::string& step : f.path) {
    if (at->kind() != Kind::kMap) return nullptr;
    const value::Value* found = nullptr;
    for (const auto& [k, v] : at->AsMap().entries)
      if (k.kind() == Kind::kString && k.AsText() == step) found = &v;
    if (found == nullptr) return nullptr;
    at = found;
  }
  return f.path.empty() ? nullptr : at;
}

// Appends `[{line}, ...]` for `lines` (a list): each line an object of `f`'s element fields it
// has (LineValue with `by_path`), nested by path, `encode(out, element_field, value)` writing
// each value; a line is written whole (AppendJson) when `f` has no element fields.
template <typename Encode>
void AppendLines(std::string& out, const plan::TargetField& f, const value::Value& lines, bool by_path,
                 const Encode& encode) {
  out.push_back('[');
  bool first = true;
  for (const value::Value& line : lines.AsList()) {
    if (!first) out.push_back(',');
    first = false;
    if (f.element.empty()) {
      AppendJson(out, line);
      continue;
    }
    std::vector<const plan::TargetField*> fields;
    std::vector<const value::Value*> values;
    for (const plan::TargetField& e : f.element) {
      if (const value::Value* v = LineValue(line, e, by_path)) {
        fields.push_back(&e);
        values.push_back(v);
      }
    }
    out.push_back('{');
    AppendNestedMembers(out, NestFields(fields), [&](std::string& o, size_t i) { encode(o, *fields[i], *values[i]); });
    out.push_back('}');
  }
  out.push_back(']');
}

}  // namespace crmx::connectors::api
