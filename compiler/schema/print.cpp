// Defines the human-readable printing of schema objects and fields.
#include "compiler/schema/print.h"

#include <algorithm>
#include <string>
#include <vector>

namespace crmx::schema {
namespace {

std::string Tri(const std::optional<bool>& v, const char* yes = "yes", const char* no = "no") {
  if (!v) return "?";
  return *v ? yes : no;
}

std::string Num(const std::optional<uint32_t>& v) { return v ? std::to_string(*v) : ""; }

std::string PrecScale(const Field& f) {
  if (!f.precision && !f.scale && !f.scale_variable) return "";
  std::string s = f.precision ? std::to_string(*f.precision) : "?";
  s += ",";
  s += f.scale_variable ? "var" : (f.scale ? std::to_string(*f.scale) : "?");
  return s;
}

std::string CreateUpdate(const Field& f) {
  std::string c = f.createable ? (*f.createable ? "c" : "-") : "?";
  std::string u = f.updateable ? (*f.updateable ? "u" : "-") : "?";
  if (f.calculated == true) return "calc";
  return c + u;
}

std::string PicklistSummary(const Field& f) {
  if (f.picklist.empty()) return "";
  size_t n = f.picklist.values.size();
  std::string s = std::to_string(n) + (n == 1 ? " value" : " values");
  if (f.picklist.restricted == true) s += ", restricted";
  return s;
}

std::string Refs(const Field& f) {
  std::string s;
  for (const auto& t : f.references.targets) s += (s.empty() ? "" : "|") + t;
  if (f.type.kind == TypeKind::kReference && s.empty()) s = "?";
  return s;
}

}  // namespace

void PrintObject(std::ostream& out, const Object& o) {
  out << o.name;
  if (!o.label.empty() && o.label != o.name) out << " (" << o.label << ")";
  if (o.kind == ObjectKind::kComplex) out << " [complex type]";
  out << ": " << o.fields.size() << " fields";
  if (!o.key_fields.empty()) {
    out << ", key";
    for (const auto& k : o.key_fields) out << " " << k;
  }
  out << "\n";
  if (!o.source.file.empty()) {
    out << "  source: " << o.source.file;
    if (!o.source.pointer.empty()) out << "#" << o.source.pointer;
    out << "\n";
  }
  const std::vector<std::string> header = {"name", "type", "null", "req", "c/u", "len",
                                           "prec,scale", "picklist", "refs", "ext id"};
  std::vector<std::vector<std::string>> rows;
  rows.reserve(o.fields.size());
  for (const auto& f : o.fields) {
    rows.push_back({f.name, f.type.ToString(), Tri(f.nullable), Tri(f.required_on_create),
                    CreateUpdate(f), Num(f.length), PrecScale(f), PicklistSummary(f), Refs(f),
                    f.external_id == true ? "yes" : (f.external_id ? "" : "")});
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line = "  ";
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(header);
  for (const auto& r : rows) print_row(r);
  if (!o.child_relationships.empty()) {
    out << "  child relationships: " << o.child_relationships.size() << "\n";
    for (const auto& c : o.child_relationships) {
      if (c.name.empty()) continue;
      out << "    " << c.name << " -> " << c.child_object;
      if (!c.field.empty()) out << "." << c.field;
      out << "\n";
    }
  }
}

void PrintField(std::ostream& out, const Field& f, std::string_view owner) {
  if (!owner.empty()) out << owner << ".";
  out << f.name;
  if (!f.label.empty() && f.label != f.name) out << " (" << f.label << ")";
  out << "\n";
  auto line = [&](const char* key, const std::string& value) {
    if (!value.empty()) out << "  " << key << ": " << value << "\n";
  };
  line("type", f.type.ToString() + (f.source_type.empty() ? "" : "  (source: " + f.source_type + ")"));
  line("format", f.format);
  line("encoding", f.encoding);
  line("nullable", Tri(f.nullable));
  line("required on create", Tri(f.required_on_create));
  if (f.required) line("always present", Tri(f.required));
  line("createable", Tri(f.createable));
  line("updateable", Tri(f.updateable));
  if (f.calculated) line("calculated", Tri(f.calculated));
  if (f.defaulted_on_create) line("defaulted on create", Tri(f.defaulted_on_create));
  if (f.external_id) line("external id", Tri(f.external_id));
  if (f.unique) line("unique", Tri(f.unique));
  if (f.key) line("key", "yes");
  if (f.navigation) line("navigation", "yes");
  line("length", Num(f.length));
  line("precision", Num(f.precision));
  line("scale", f.scale_variable ? "variable" : Num(f.scale));
  line("default", f.default_value);
  if (!f.references.targets.empty() || !f.references.relationship_name.empty()) {
    std::string t;
    for (const auto& x : f.references.targets) t += (t.empty() ? "" : ", ") + x;
    line("references", t.empty() ? "?" : t);
    if (f.references.polymorphic()) line("polymorphic", "yes");
    line("relationship", f.references.relationship_name);
  }
  line("compound parent", f.compound_parent);
  if (!f.compound_components.empty()) {
    std::string c;
    for (const auto& x : f.compound_components) c += (c.empty() ? "" : ", ") + x;
    line("components", c);
  }
  if (!f.picklist.empty() || f.picklist.restricted.value_or(false)) {
    line("picklist", PicklistSummary(f) + (f.picklist.restricted == false ? ", not restricted"
                                          : (f.picklist.restricted ? "" : ", restricted ?")));
    line("controller", f.picklist.controller);
    for (const auto& v : f.picklist.values) {
      out << "    " << v.value;
      if (!v.label.empty() && v.label != v.value) out << "  \"" << v.label << "\"";
      if (!v.active) out << "  (inactive)";
      if (v.is_default) out << "  (default)";
      out << "\n";
    }
  }
  line("description", f.description);
  if (!f.source.file.empty()) line("source", f.source.file + "#" + f.source.pointer);
  for (const auto& [k, v] : f.extensions) out << "  [" << k << "] " << v << "\n";
}

}  // namespace crmx::schema
