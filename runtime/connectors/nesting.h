// Defines how the file, SQLite and memory writers nest a record's target fields: a field whose
// path has several segments (`CustomerRef.value`, plan::TargetField::path) is written inside an
// object per level, never as a flat key with a dot in it; target fields sharing a first
// segment (`address.city`, `address.zip`) share one object. Header-only: the writers of
// runtime/connectors (files, SQLite, the API connectors' request bodies) and runtime/spectest
// use it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/connector.h"

namespace crmx::connectors {

// One member of a JSON object a writer writes: a target field (a leaf) or an object of members.
struct FieldNode {
  static constexpr size_t kNone = static_cast<size_t>(-1);
  std::string name;
  size_t field = kNone;              // a leaf: the index of its target field
  std::vector<FieldNode> children;   // an object: its members, in first-field order
  bool leaf() const { return field != kNone; }
};

// The path of a target field: its `path`, or its name when the path is empty.
inline std::vector<std::string> PathOf(const plan::TargetField& f) {
  return f.path.empty() ? std::vector<std::string>{f.name} : f.path;
}

// The members of a record of `fields`, nested by path, in the order of their first field. A
// field whose path is a prefix of another's (`a` and `a.b`) is kept as the leaf: the other is
// dropped (the checker does not let a map assign both). FieldNode::field indexes `fields`.
inline std::vector<FieldNode> NestFields(const std::vector<const plan::TargetField*>& fields) {
  std::vector<FieldNode> root;
  for (size_t i = 0; i < fields.size(); ++i) {
    std::vector<std::string> path = PathOf(*fields[i]);
    std::vector<FieldNode>* level = &root;
    for (size_t d = 0; d < path.size(); ++d) {
      FieldNode* node = nullptr;
      for (FieldNode& n : *level)
        if (n.name == path[d]) node = &n;
      if (node == nullptr) {
        level->push_back(FieldNode{path[d], FieldNode::kNone, {}});
        node = &level->back();
      }
      if (node->leaf()) break;  // `a` is written whole: `a.b` is not nested into it
      if (d + 1 == path.size()) {
        if (node->children.empty()) node->field = i;
        break;
      }
      level = &node->children;
    }
  }
  return root;
}

inline std::vector<FieldNode> NestFields(const std::vector<plan::TargetField>& fields) {
  std::vector<const plan::TargetField*> all;
  for (const plan::TargetField& f : fields) all.push_back(&f);
  return NestFields(all);
}

// Appends the members of `nodes` (no braces), `leaf(out, i)` writing the value of field i;
// `comma`: members follow others already written.
template <typename Leaf>
void AppendNestedMembers(std::string& out, const std::vector<FieldNode>& nodes, const Leaf& leaf, bool comma = false) {
  for (const FieldNode& n : nodes) {
    if (comma) out.push_back(',');
    comma = true;
    AppendJsonString(out, n.name);
    out.push_back(':');
    if (n.leaf()) {
      leaf(out, n.field);
    } else {
      out.push_back('{');
      AppendNestedMembers(out, n.children, leaf);
      out.push_back('}');
    }
  }
}

// Appends the JSON object of `nodes` (braces included) with the record's `values`, each
// written as its target field says (AppendField).
inline void AppendNested(std::string& out, const std::vector<FieldNode>& nodes,
                         const std::vector<plan::TargetField>& fields, const value::Value* values) {
  out.push_back('{');
  AppendNestedMembers(out, nodes, [&](std::string& o, size_t i) { AppendField(o, values[i], fields[i]); });
  out.push_back('}');
}

// The value of `nodes` as a map (the memory connector's records): leaves as they are.
inline value::Value NestedValue(const std::vector<FieldNode>& nodes, const value::Value* values) {
  std::vector<std::pair<value::Value, value::Value>> entries;
  for (const FieldNode& n : nodes)
    entries.emplace_back(value::Value::String(n.name),
                         n.leaf() ? values[n.field].Owned() : NestedValue(n.children, values));
  return value::Value::Map(std::move(entries));
}

}  // namespace crmx::connectors
