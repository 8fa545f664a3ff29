// Defines the application of schema overlays to an imported schema (see overlays.h).
#include "compiler/check/overlays.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "compiler/check/structure.h"

namespace crmx::check {
namespace {

using ast::FieldOverlay;
using ast::Name;
using ast::OverlayType;
using ast::OverlayTypeArg;
using schema::TypeKind;

std::string Quote(const std::string& s) { return "`" + s + "`"; }

// How a fact changes who may write the field; at most one per field.
bool IsWriteFact(const std::string& f) {
  return f == "readonly" || f == "computed" || f == "createonly" || f == "updateonly" || f == "writable";
}

// A write fact after which a create cannot set the field.
bool BlocksCreate(const std::string& f) { return f == "readonly" || f == "computed" || f == "updateonly"; }

// Why facts `a` and `b` (both valid) cannot both hold; empty when they can.
std::string Contradiction(const std::string& a, const std::string& b) {
  if (a == b) return {};
  auto pair = [&](const char* x, const char* y) { return (a == x && b == y) || (a == y && b == x); };
  // `computed` is read-only by definition: saying both is redundant, not contradictory.
  if (pair("readonly", "computed")) return {};
  if (IsWriteFact(a) && IsWriteFact(b)) return "a field has one write mode";
  if (pair("required", "optional")) return "a field is required on create or not";
  if (pair("restricted", "unrestricted")) return "a picklist is restricted or not";
  if ((a == "required" && BlocksCreate(b)) || (b == "required" && BlocksCreate(a)))
    return "a field required on create must be one a create can set";
  return {};
}

// The overlay type names: what each takes in parentheses.
enum class Args { kNone, kLength, kPrecisionScale, kObjects, kValues };

struct TypeName {
  const char* name;
  TypeKind kind;
  Args args;
};

constexpr TypeName kTypes[] = {
    {"string", TypeKind::kString, Args::kLength},
    {"text", TypeKind::kText, Args::kLength},
    {"bool", TypeKind::kBool, Args::kNone},
    {"int", TypeKind::kInt, Args::kNone},
    {"double", TypeKind::kDouble, Args::kNone},
    {"decimal", TypeKind::kDecimal, Args::kPrecisionScale},
    {"currency", TypeKind::kCurrency, Args::kPrecisionScale},
    {"percent", TypeKind::kPercent, Args::kPrecisionScale},
    {"date", TypeKind::kDate, Args::kNone},
    {"datetime", TypeKind::kDateTime, Args::kNone},
    {"time", TypeKind::kTime, Args::kNone},
    {"email", TypeKind::kEmail, Args::kLength},
    {"phone", TypeKind::kPhone, Args::kLength},
    {"url", TypeKind::kUrl, Args::kLength},
    {"id", TypeKind::kId, Args::kNone},
    {"reference", TypeKind::kReference, Args::kObjects},
    {"picklist", TypeKind::kPicklist, Args::kValues},
    {"multipicklist", TypeKind::kMultiPicklist, Args::kValues},
};

std::string TypeText(const OverlayType& t) {
  std::string out = t.name.text;
  if (t.args.empty()) return out;
  out += "(";
  for (size_t i = 0; i < t.args.size(); ++i) {
    const OverlayTypeArg& a = t.args[i];
    if (i > 0) out += ", ";
    if (a.kind == OverlayTypeArg::Kind::Int) out += std::to_string(a.int_value);
    else if (a.kind == OverlayTypeArg::Kind::String) out += "\"" + a.text + "\"";
    else out += a.text;
  }
  return out + ")";
}

// The overlay's type as schema facts: what replaces the field's kind and facets.
struct ParsedType {
  TypeKind kind = TypeKind::kAny;
  std::optional<uint32_t> length, precision, scale;
  std::vector<std::string> values;      // picklists
  std::vector<std::string> references;  // reference(Customer, Vendor)
  std::string text;                     // as written, for messages and source_type
};

class Applier {
 public:
  Applier(const ast::SystemDecl& sys, schema::Schema& schema, bool complete, diag::DiagnosticSink& sink)
      : sys_(sys), schema_(schema), complete_(complete), sink_(sink) {}

  OverlaySpans Run() {
    for (const FieldOverlay& o : sys_.overlays) Apply(o);
    schema_.Reindex();
    return std::move(spans_);
  }

 private:
  void Report(diag::Diagnostic d) { sink_.Report(std::move(d)); }

  // ---- facts and types, which need no schema

  // The overlay's valid facts, without repeats; reports unknown ones (E0208) and facts that
  // contradict each other or an earlier overlay of the same field (E0207).
  std::vector<const Name*> Facts(const FieldOverlay& o, const std::string& key) {
    std::vector<const Name*> out;
    for (const Name& f : o.facts) {
      const std::vector<std::string>& known = OverlayFacts();
      if (std::find(known.begin(), known.end(), f.text) == known.end()) {
        diag::Diagnostic d = diag::Make(diag::Kind::InvalidOverlay, f.span,
                                        Quote(f.text) + " is not a fact a schema overlay can state", "unknown fact");
        std::string near = ClosestName(f.text, known);
        if (!near.empty()) {
          d.help = "did you mean " + Quote(near) + "?";
          d.fix = diag::Fix{f.span, near, false};
        } else {
          d.help = "the facts are " + Join(known);
        }
        Report(std::move(d));
        continue;
      }
      if (std::any_of(out.begin(), out.end(), [&](const Name* x) { return x->text == f.text; })) continue;
      bool bad = false;
      for (const Name* x : out) bad = bad || Contradicts(f, *x, o, "");
      for (const Name& x : earlier_facts_[key]) bad = bad || Contradicts(f, x, o, "an earlier overlay of the field says ");
      if (!bad) out.push_back(&f);
    }
    for (const Name* f : out) earlier_facts_[key].push_back(*f);
    return out;
  }

  bool Contradicts(const Name& f, const Name& other, const FieldOverlay& o, const std::string& earlier) {
    std::string why = Contradiction(f.text, other.text);
    if (why.empty()) return false;
    diag::Diagnostic d = diag::Make(diag::Kind::OverlayContradiction, f.span,
                                    Quote(f.text) + " contradicts " + Quote(other.text) + " for " + Quote(Path(o)),
                                    "contradicts " + Quote(other.text));
    d.secondary.push_back({other.span, earlier.empty() ? "said here" : "said here first"});
    d.notes.push_back(why + (earlier.empty() ? "" : "; " + earlier + Quote(other.text)));
    d.help = "keep the one that is true of the system and remove the other";
    Report(std::move(d));
    return true;
  }

  std::optional<ParsedType> Type(const OverlayType& t) {
    const TypeName* tn = nullptr;
    for (const TypeName& x : kTypes) {
      if (t.name.text == x.name) tn = &x;
    }
    if (tn == nullptr) {
      std::vector<std::string> names;
      for (const TypeName& x : kTypes) names.emplace_back(x.name);
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidOverlay, t.name.span,
                                      Quote(t.name.text) + " is not a field type a schema overlay can give", "unknown type");
      std::string near = ClosestName(t.name.text, names);
      if (!near.empty()) {
        d.help = "did you mean " + Quote(near) + "?";
        d.fix = diag::Fix{t.name.span, near, false};
      } else {
        d.help = "the types are " + Join(names);
      }
      Report(std::move(d));
      return std::nullopt;
    }
    ParsedType p;
    p.kind = tn->kind;
    p.text = TypeText(t);
    auto bad = [&](const std::string& want) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidOverlay, t.span,
                                      Quote(p.text) + ": " + Quote(t.name.text) + " takes " + want, "wrong arguments");
      d.help = "write it as in " + Example(*tn);
      Report(std::move(d));
      return std::nullopt;
    };
    auto all = [&](OverlayTypeArg::Kind k) {
      return std::all_of(t.args.begin(), t.args.end(), [&](const OverlayTypeArg& a) { return a.kind == k; });
    };
    auto positive = [&](const OverlayTypeArg& a) { return a.int_value > 0 && a.int_value <= 1000000000; };
    switch (tn->args) {
      case Args::kNone:
        if (!t.args.empty()) return bad("no arguments");
        break;
      case Args::kLength:
        if (t.args.size() > 1 || !all(OverlayTypeArg::Kind::Int) || (t.args.size() == 1 && !positive(t.args[0])))
          return bad("at most one argument, its maximum length in characters");
        if (!t.args.empty()) p.length = static_cast<uint32_t>(t.args[0].int_value);
        break;
      case Args::kPrecisionScale:
        if (t.args.size() > 2 || !all(OverlayTypeArg::Kind::Int) ||
            (!t.args.empty() && !positive(t.args[0])) ||
            (t.args.size() == 2 && (t.args[1].int_value < 0 || t.args[1].int_value > t.args[0].int_value)))
          return bad("its precision (total digits) and scale (digits after the point, at most the precision)");
        if (!t.args.empty()) p.precision = static_cast<uint32_t>(t.args[0].int_value);
        if (t.args.size() == 2) p.scale = static_cast<uint32_t>(t.args[1].int_value);
        break;
      case Args::kObjects:
        if (!all(OverlayTypeArg::Kind::Name)) return bad("the names of the objects it refers to");
        for (const OverlayTypeArg& a : t.args) p.references.push_back(a.text);
        break;
      case Args::kValues:
        if (t.args.empty() || !all(OverlayTypeArg::Kind::String)) return bad("its values, as strings");
        for (const OverlayTypeArg& a : t.args) p.values.push_back(a.text);
        break;
    }
    return p;
  }

  static std::string Example(const TypeName& tn) {
    std::string n = tn.name;
    switch (tn.args) {
      case Args::kNone: return Quote(n);
      case Args::kLength: return Quote(n + "(40)");
      case Args::kPrecisionScale: return Quote(n + "(18, 2)");
      case Args::kObjects: return Quote(n + "(Customer)");
      case Args::kValues: return Quote(n + "(\"Open\", \"Paid\")");
    }
    return Quote(n);
  }

  static std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + Quote(names[i]);
    return out;
  }

  static std::string Path(const FieldOverlay& o) {
    std::string out = o.object.text;
    for (const Name& p : o.path) out += "." + p.text;
    return out;
  }

  // ---- resolving the field

  // The object (or nested structure) whose field the last segment of `o.path` names; null when
  // it does not resolve (reported). A named structure on the way is copied into its field, so
  // the overlay changes this path only.
  schema::Object* Parent(const FieldOverlay& o) {
    schema::Object* obj = schema_.FindObject(o.object.text);
    if (obj == nullptr) {
      if (!complete_) return nullptr;
      std::vector<std::string> names;
      for (const schema::Object& x : schema_.objects) names.push_back(x.name);
      diag::Diagnostic d = diag::Make(diag::Kind::UnknownObject, o.object.span,
                                      Quote(o.object.text) + " is not an object of system " + Quote(sys_.name.text),
                                      "unknown object");
      std::string near = ClosestName(o.object.text, names);
      if (!near.empty()) {
        d.help = "did you mean " + Quote(near) + "?";
        d.fix = diag::Fix{o.object.span, near, false};
      } else {
        d.notes.push_back("an overlay changes fields of the objects the schema files define; it cannot add an object");
      }
      Report(std::move(d));
      return nullptr;
    }
    for (size_t i = 0; i + 1 < o.path.size(); ++i) {
      const Name& seg = o.path[i];
      schema::Field* f = obj->FindField(seg.text);
      if (f == nullptr) {
        UnknownField(*obj, seg, "");
        return nullptr;
      }
      schema::Type* t = &f->type;
      if (t->kind == TypeKind::kList && t->element) t = t->element.get();
      if (t->kind != TypeKind::kObject) {
        std::string written = o.object.text;
        for (size_t j = 0; j <= i; ++j) written += "." + o.path[j].text;
        std::string parent = written.substr(0, written.rfind('.'));
        diag::Diagnostic d = diag::Make(diag::Kind::InvalidOverlay, o.path[i + 1].span,
                                        Quote(written) + " is " + f->type.ToString() + ": it has no field " +
                                            Quote(o.path[i + 1].text),
                                        "not a structure");
        d.help = "name a field of " + Quote(parent) + ", or of a structure nested in one";
        Report(std::move(d));
        return nullptr;
      }
      if (!t->object) {
        const schema::Object* named = schema_.FindObject(t->object_name);
        if (named == nullptr) return nullptr;
        schema::Object copy = *named;
        copy.Reindex();
        t->object = schema::Box<schema::Object>(std::move(copy));
        t->object_name.clear();
      }
      obj = t->object.get();
    }
    return obj;
  }

  // `written`: the overlay's path as the spec writes it when `seg` is its last segment (a type
  // would add the field), else empty.
  void UnknownField(const schema::Object& obj, const Name& seg, const std::string& written) {
    if (!complete_) return;
    std::vector<std::string> names;
    for (const schema::Field& f : obj.fields) names.push_back(f.name);
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, seg.span,
                                    Quote(seg.text) + " is not a field of " + Quote(obj.name), "unknown field");
    std::string near = ClosestName(seg.text, names);
    if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{seg.span, near, false};
    }
    if (!written.empty()) {
      d.notes.push_back("to add a field the schema file lacks, give its type: `field " + written + ": string(40)`");
    }
    Report(std::move(d));
  }

  // ---- applying

  void Apply(const FieldOverlay& o) {
    if (o.object.text.empty() || o.path.empty()) return;
    std::string key = Path(o);
    std::optional<ParsedType> type;
    if (o.type) {
      type = Type(*o.type);
      auto prior = earlier_types_.find(key);
      if (type && prior != earlier_types_.end() && prior->second.second != type->text) {
        diag::Diagnostic d = diag::Make(diag::Kind::OverlayContradiction, o.type->span,
                                        Quote(key) + " is given two types: " + Quote(prior->second.second) + " and " +
                                            Quote(type->text),
                                        "a second type");
        d.secondary.push_back({prior->second.first, "the first"});
        d.help = "keep one `field " + key + ": TYPE` and remove the other";
        Report(std::move(d));
        type.reset();
      } else if (type) {
        earlier_types_.emplace(key, std::make_pair(o.type->span, type->text));
      }
    }
    std::vector<const Name*> facts = Facts(o, key);
    schema::Object* parent = Parent(o);
    if (parent == nullptr) return;
    const Name& last = o.path.back();
    schema::Field* field = parent->FindField(last.text);
    if (field == nullptr) {
      if (!o.type) {
        UnknownField(*parent, last, key);
        return;
      }
      if (!type) return;
      NearName(*parent, last);
      schema::Field added;
      added.name = last.text;
      added.source_type = type->text;
      parent->fields.push_back(std::move(added));
      parent->Reindex();
      field = &parent->fields.back();
    }
    if (type) SetType(*field, *type);
    for (const Name* f : facts) {
      if (!Applies(*field, *f, key)) continue;
      SetFact(*field, f->text);
    }
    // A picklist whose values the overlay lists is what the system accepts, unless it says
    // `unrestricted`.
    bool says_restriction = std::any_of(facts.begin(), facts.end(), [](const Name* f) {
      return f->text == "restricted" || f->text == "unrestricted";
    });
    if (type && !type->values.empty() && !says_restriction) field->picklist.restricted = true;
    if (!facts.empty()) {
      bool sets_write = std::any_of(facts.begin(), facts.end(), [](const Name* f) { return IsWriteFact(f->text); });
      auto required = std::find_if(facts.begin(), facts.end(), [](const Name* f) { return f->text == "required"; });
      if (required != facts.end() && !sets_write && !field->IsCreateable()) {
        diag::Diagnostic d = diag::Make(diag::Kind::OverlayContradiction, (*required)->span,
                                        Quote(key) + " is declared required on create, but the schema says a create "
                                        "cannot set it",
                                        "required, but not createable");
        d.notes.push_back("a field required on create must be one a create can set");
        d.help = "if the schema file is wrong, say so too: `field " + key + " required writable` (or `createonly`)";
        Report(std::move(d));
      }
    }
    std::string said = type ? type->text : std::string();
    for (const Name* f : facts) said += (said.empty() ? "" : " ") + f->text;
    if (!said.empty()) {
      std::string& mark = field->extensions["crmx:overlay"];
      mark += (mark.empty() ? "" : " ") + said;
    }
    spans_[key] = o.span;
  }

  // Adding `last` to `parent` when a field of a close name exists is likely a typo (E0209).
  void NearName(const schema::Object& parent, const Name& last) {
    std::vector<std::string> names;
    for (const schema::Field& f : parent.fields) names.push_back(f.name);
    std::string near;
    if (const schema::Field* f = parent.FindFieldIgnoreCase(last.text)) near = f->name;
    if (near.empty()) near = ClosestName(last.text, names);
    if (near.empty()) return;
    diag::Diagnostic d = diag::Make(diag::Kind::OverlayAddsNearName, last.span,
                                    "this overlay adds a new field " + Quote(last.text) + " to " + Quote(parent.name) +
                                        ", which already has " + Quote(near),
                                    "a new field");
    d.notes.push_back("an overlay with a type adds the field when the schema file lacks it");
    d.help = "if you meant the existing field, write " + Quote(near);
    d.fix = diag::Fix{last.span, near, false};
    Report(std::move(d));
  }

  static void SetType(schema::Field& f, const ParsedType& t) {
    if (f.type.kind != t.kind) {
      f.type = schema::Type(t.kind);
      if (t.kind != TypeKind::kPicklist && t.kind != TypeKind::kMultiPicklist) f.picklist = schema::Picklist{};
      if (t.kind != TypeKind::kReference) f.references = schema::References{};
    }
    if (t.length) f.length = t.length;
    if (t.precision) f.precision = t.precision;
    if (t.scale) f.scale = t.scale;
    if (!t.values.empty()) {
      f.picklist.values.clear();
      for (const std::string& v : t.values) f.picklist.values.push_back(schema::PicklistValue{v, {}, true, false});
    }
    if (!t.references.empty()) f.references.targets = t.references;
  }

  // Does fact `f` make sense for `field`? Reports E0208 when not.
  bool Applies(const schema::Field& field, const Name& f, const std::string& key) {
    TypeKind k = field.type.kind;
    std::string why;
    if ((f.text == "restricted" || f.text == "unrestricted") && k != TypeKind::kPicklist && k != TypeKind::kMultiPicklist)
      why = "only a picklist is restricted or not";
    if ((f.text == "external_id" || f.text == "unique") &&
        (k == TypeKind::kObject || k == TypeKind::kList || k == TypeKind::kMap))
      why = "a structure or a list cannot identify a record";
    if (why.empty()) return true;
    diag::Diagnostic d = diag::Make(diag::Kind::InvalidOverlay, f.span,
                                    Quote(f.text) + " does not apply to " + Quote(key) + " (" + field.type.ToString() + ")",
                                    "does not apply");
    d.notes.push_back(why);
    d.help = "remove " + Quote(f.text) + (k == TypeKind::kString && f.text == "restricted"
                                              ? ", or give its values: `field " + key + ": picklist(\"...\")`"
                                              : std::string());
    Report(std::move(d));
    return false;
  }

  static void SetFact(schema::Field& f, const std::string& fact) {
    if (fact == "readonly") {
      f.createable = false;
      f.updateable = false;
    } else if (fact == "computed") {
      f.calculated = true;
      f.createable = false;
      f.updateable = false;
    } else if (fact == "createonly" || fact == "updateonly" || fact == "writable") {
      f.calculated = false;
      f.createable = fact != "updateonly";
      f.updateable = fact != "createonly";
    } else if (fact == "required") {
      f.required_on_create = true;
      // Required means a create must supply it: no default fills it in.
      f.defaulted_on_create = false;
      f.default_value.clear();
    } else if (fact == "optional") {
      f.required_on_create = false;
      f.required = false;
    } else if (fact == "external_id") {
      f.external_id = true;
    } else if (fact == "unique") {
      f.unique = true;
    } else if (fact == "restricted" || fact == "unrestricted") {
      f.picklist.restricted = fact == "restricted";
    }
  }

  const ast::SystemDecl& sys_;
  schema::Schema& schema_;
  bool complete_;
  diag::DiagnosticSink& sink_;
  OverlaySpans spans_;
  std::map<std::string, std::vector<Name>> earlier_facts_;
  std::map<std::string, std::pair<Span, std::string>> earlier_types_;
};

}  // namespace

const std::vector<std::string>& OverlayFacts() {
  static const std::vector<std::string> kFacts = {"readonly",   "computed", "createonly",  "updateonly",
                                                  "writable",   "required", "optional",    "external_id",
                                                  "unique",     "restricted", "unrestricted"};
  return kFacts;
}

OverlaySpans ApplyOverlays(const ast::SystemDecl& sys, schema::Schema& schema, bool complete,
                           diag::DiagnosticSink& sink) {
  return Applier(sys, schema, complete, sink).Run();
}

}  // namespace crmx::check
