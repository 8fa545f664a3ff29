// Defines the NetSuite importer: the SuiteScript Records Browser as JSON (records.json of the
// SuiteCloud SDK). Each record type becomes an object; body fields become fields with types
// mapped from NetSuite's UI field types; each sublist (salesorder.item...) becomes one field of
// type list<object> whose inline object holds the sublist's columns.
//
// The catalog carries no lengths, precision, picklist values or select targets. A `select`
// whose internal id names a record type is a reference to it; other selects are references
// with an unknown target (one warning per file says how many).
#include <set>

#include "compiler/schema/import.h"
#include "compiler/schema/import_util.h"

namespace crmx::schema {
namespace {

using detail::Child;
using detail::GetString;
using detail::Json;
using detail::Warner;

struct Counters {
  size_t unknown_select_targets = 0;
};

struct KindMap {
  const char* ns;
  TypeKind kind;
};

constexpr KindMap kKinds[] = {
    {"text", TypeKind::kString},        {"textarea", TypeKind::kText},
    {"richtext", TypeKind::kText},      {"rtext", TypeKind::kText},
    {"checkbox", TypeKind::kBool},      {"integer", TypeKind::kInt},
    {"posinteger", TypeKind::kInt},     {"float", TypeKind::kDouble},
    {"posfloat", TypeKind::kDouble},    {"currency", TypeKind::kCurrency},
    {"currency2", TypeKind::kCurrency}, {"poscurrency", TypeKind::kCurrency},
    {"rate", TypeKind::kDecimal},       {"ratehighprecision", TypeKind::kDecimal},
    {"percent", TypeKind::kPercent},    {"date", TypeKind::kDate},
    {"datetime", TypeKind::kDateTime},  {"datetimetz", TypeKind::kDateTime},
    {"timeofday", TypeKind::kTime},     {"time", TypeKind::kTime},
    {"email", TypeKind::kEmail},        {"emails", TypeKind::kString},
    {"phone", TypeKind::kPhone},        {"url", TypeKind::kUrl},
    {"select", TypeKind::kReference},   {"multiselect", TypeKind::kReference},
    {"radio", TypeKind::kPicklist},     {"address", TypeKind::kText},
    {"password", TypeKind::kString},    {"identifier", TypeKind::kString},
    {"identifieranycase", TypeKind::kString}, {"ccnumber", TypeKind::kString},
    {"ccexpdate", TypeKind::kString},   {"ccvalidfrom", TypeKind::kString},
    {"mmyydate", TypeKind::kString},    {"ssnumber", TypeKind::kString},
    {"year", TypeKind::kInt},           {"namevaluelist", TypeKind::kText},
    {"summary", TypeKind::kText},       {"image", TypeKind::kReference},
    {"document", TypeKind::kReference}, {"inlinehtml", TypeKind::kText},
    {"help", TypeKind::kText},          {"label", TypeKind::kText},
};

Field ImportField(const Json& jf, const std::string& ptr, const std::set<std::string>& records,
                  Warner& w, Counters& counters) {
  Field f;
  f.name = GetString(jf, "internalId").value_or("");
  f.label = GetString(jf, "label").value_or("");
  f.description = GetString(jf, "help").value_or("");
  f.source = {w.file(), ptr};
  std::string ns_type = GetString(jf, "type").value_or("");
  f.source_type = ns_type;
  bool mapped = false;
  for (const auto& k : kKinds) {
    if (ns_type == k.ns) {
      f.type = Type(k.kind);
      mapped = true;
      break;
    }
  }
  if (!mapped) {
    f.type = Type(TypeKind::kAny);
    w.Warn(Child(ptr, "type"), "unknown NetSuite field type `" + ns_type + "` of `" + f.name +
                                   "` is modelled as `any`");
  }
  // Formats that keep their NetSuite meaning without a kind of their own.
  if (ns_type == "posinteger" || ns_type == "posfloat" || ns_type == "poscurrency" ||
      ns_type == "emails" || ns_type == "ccnumber" || ns_type == "ccexpdate" ||
      ns_type == "mmyydate" || ns_type == "ssnumber" || ns_type == "password" ||
      ns_type == "address" || ns_type == "summary" || ns_type == "richtext" ||
      ns_type == "currency2" || ns_type == "ratehighprecision") {
    f.format = ns_type;
  }
  if (ns_type == "select" || ns_type == "multiselect") {
    if (records.count(f.name)) {
      f.references.targets.push_back(f.name);
    } else {
      ++counters.unknown_select_targets;
    }
    if (ns_type == "multiselect") f.type = Type::List(std::move(f.type));
  }
  // NetSuite's `externalid` is unique per record type and is what its APIs upsert on
  // (`PUT /record/v1/customer/eid:KEY`); the catalog does not say so, so the importer does.
  if (f.name == "externalid") {
    f.external_id = true;
    f.unique = true;
  }
  if (ns_type == "summary") {
    f.calculated = true;
    f.createable = false;
    f.updateable = false;
  }
  auto required = GetString(jf, "required");
  if (required == std::string("true")) {
    f.required_on_create = true;
    f.nullable = false;
  } else if (required == std::string("false")) {
    f.required_on_create = false;
  } else if (required) {
    w.Warn(Child(ptr, "required"), "`required` is `" + *required + "`, not \"true\"/\"false\"; "
                                   "required-on-create is unknown");
  }
  // nlapiSubmitField "true": the field can be set with submitFields (an inline update).
  if (auto submit = GetString(jf, "nlapiSubmitField")) f.extensions["nlapiSubmitField"] = *submit;
  return f;
}

}  // namespace

ImportResult ImportNetSuite(const std::vector<std::string>& files, const ImportOptions& options) {
  ImportResult r;
  r.schema.system = options.system.empty() ? "netsuite" : options.system;
  r.schema.source_format = "netsuite";
  for (const auto& file : files) {
    r.schema.source_files.push_back(file);
    Json doc;
    if (auto err = detail::LoadJsonFile(file, doc, false)) {
      r.error = std::move(err);
      return r;
    }
    if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_object()) {
      r.error = ImportError{file, "", "not a NetSuite records catalog: no `records` object", false};
      return r;
    }
    Warner w(file, r.warnings);
    Counters counters;
    const Json& records = doc["records"];
    std::set<std::string> record_ids;
    for (const auto& [id, rec] : records.items()) record_ids.insert(id);
    for (const auto& [id, rec] : records.items()) {
      std::string rptr = Child("/records", id);
      Object obj;
      obj.name = GetString(rec, "internalId").value_or(id);
      obj.label = GetString(rec, "recordName").value_or("");
      // Some catalog entries carry a section heading ("Fields", "Transform Types") as their
      // record name: not a label.
      if (obj.label == "Fields" || obj.label == "Transform Types") obj.label.clear();
      obj.source = {file, rptr};
      if (auto cat = GetString(rec, "recordCategory")) obj.extensions["recordCategory"] = *cat;
      if (auto lvl = GetString(rec, "scriptingLevel")) obj.extensions["scriptingLevel"] = *lvl;
      if (auto it = rec.find("fields"); it != rec.end() && it->is_array()) {
        obj.fields.reserve(it->size());
        for (size_t i = 0; i < it->size(); ++i) {
          obj.fields.push_back(
              ImportField((*it)[i], Child(Child(rptr, "fields"), i), record_ids, w, counters));
        }
      }
      obj.Reindex();
      if (auto it = rec.find("sublists"); it != rec.end() && it->is_array()) {
        for (size_t i = 0; i < it->size(); ++i) {
          const Json& sl = (*it)[i];
          std::string sptr = Child(Child(rptr, "sublists"), i);
          Object row;
          row.name = obj.name + "." + GetString(sl, "internalId").value_or("");
          row.label = GetString(sl, "label").value_or("");
          row.source = {file, sptr};
          if (auto cols = sl.find("fields"); cols != sl.end() && cols->is_array()) {
            for (size_t c = 0; c < cols->size(); ++c) {
              row.fields.push_back(ImportField((*cols)[c], Child(Child(sptr, "fields"), c),
                                               record_ids, w, counters));
            }
          }
          row.Reindex();
          Field f;
          f.name = GetString(sl, "internalId").value_or("");
          f.label = row.label;
          f.source = {file, sptr};
          f.source_type = "sublist";
          f.nullable = true;
          f.type = Type::List(Type::Inline(std::move(row)));
          if (obj.FindField(f.name) != nullptr) {
            w.Warn(sptr, "sublist `" + f.name + "` of `" + obj.name + "` has the name of a body "
                         "field; it is named `" + f.name + "_sublist`");
            f.name += "_sublist";
          }
          obj.fields.push_back(std::move(f));
          obj.Reindex();
        }
      }
      detail::AddObjectOrWarn(r.schema, std::move(obj), w);
    }
    if (counters.unknown_select_targets > 0) {
      w.Warn("/records", std::to_string(counters.unknown_select_targets) +
                             " `select` fields name no record type the catalog knows (lists, "
                             "statuses, custom lists): they are references with an unknown target, "
                             "and their values (internal ids) are not checked");
    }
  }
  r.schema.Reindex();
  return r;
}

}  // namespace crmx::schema
