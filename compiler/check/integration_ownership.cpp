// Defines the ownership rules of the integration check (see integration.h): the `owner`
// blocks themselves (unknown fields E0301, a field claimed twice E0401) and what maps do with
// owned fields (a write into a field the target system owns E0402, a field pair copied both
// ways with no owner E0403, a mapped field with no owner E0404).
//
// The model: `owner SYS { Object { f } }` makes SYS the system of record for SYS.Object.f. A
// map's target field is *owned by the target system* when an owner block claims it; writing it
// from the other system is an error. A target field that no block claims is a *copy* when its
// value reads a source field that the source system owns (`companyName = Name.trim()` with
// `owner crm { Account { Name } }`); a value that reads no source field at all (a constant) is
// the integration's own; otherwise it has no owner at all. OwnerOfWrite is that decision, for
// these rules and for the plan (check/ownership.h).
#include <algorithm>

#include "compiler/check/integration.h"
#include "compiler/check/structure.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

std::string ClaimLabel(const Claim& c) {
  if (c.via == "*") return Quote(c.system) + " owns every field of " + Quote(c.object->name) + " (`*`)";
  if (!c.via.empty()) return Quote(c.system) + " owns " + Quote(c.field) + " as part of " + Quote(c.via);
  return Quote(c.system) + " owns " + Quote(c.field) + " here";
}

bool IsChildRelationship(const schema::Object& o, const std::string& name) {
  return std::any_of(o.child_relationships.begin(), o.child_relationships.end(),
                     [&](const schema::ChildRelationship& r) { return r.name == name; });
}

class OwnerBlocks {
 public:
  explicit OwnerBlocks(Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const Module* m : ctx_.modules) {
      for (const OwnerDecl* o : m->All<OwnerDecl>()) {
        for (const OwnedObject& obj : o->objects) Entry(o->system.text, obj);
      }
    }
  }

 private:
  // Records a claim; returns the earlier claim on the same field, if any.
  const Claim* Add(Claim c) {
    auto key = std::make_pair(c.object, c.field);
    auto [it, inserted] = ctx_.owned.emplace(key, std::move(c));
    return inserted ? nullptr : &it->second;
  }

  void UnknownField(const Name& name, const schema::Object& object, const std::string& system) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnknownField, name.span,
                                    Quote(name.text) + " is not a field of " + Quote(object.name), "unknown field");
    std::vector<std::string> names;
    for (const schema::Field& f : object.fields) names.push_back(f.name);
    std::string near = ClosestName(name.text, names);
    if (!near.empty()) {
      d.help = "did you mean " + Quote(near) + "?";
      d.fix = diag::Fix{name.span, near, false};
    }
    d.notes.push_back("the fields of an `owner " + system + "` block are fields of " + Quote(system + "." + object.name));
    ctx_.Report(std::move(d));
  }

  void Twice(const Claim& again, const Claim& first, const std::string& message) {
    diag::Diagnostic d = diag::Make(diag::Kind::FieldOwnedTwice, again.span, message, "claimed again here");
    d.secondary.push_back({first.span, ClaimLabel(first)});
    if (first.system != again.system) {
      d.notes.push_back("a field has exactly one owner: " + Quote(first.system) + " and " + Quote(again.system) +
                        " cannot both be its system of record");
    } else {
      d.notes.push_back("a field has exactly one owner; naming it twice hides which entry was meant");
    }
    if (first.via == "*" && again.via.empty()) {
      d.help = "remove " + Quote(again.field) + " here: `*` already gives it to " + Quote(first.system) +
               " (to give it to another system, list it after `except`)";
    } else if (!first.via.empty() && first.via != "*") {
      d.help = "remove " + Quote(again.field) + ": owning " + Quote(first.via) + " owns its parts";
    } else {
      d.help = "remove one of the two entries";
    }
    ctx_.Report(std::move(d));
  }

  void Entry(const std::string& system, const OwnedObject& obj) {
    ObjectRef ref{Name{system, {}}, obj.object, obj.span};
    const schema::Object* object = ctx_.systems.FindObject(ref);
    if (object == nullptr) return;  // E0204 (CheckObjectRefs) or an incomplete schema
    if (obj.all_fields) {
      std::set<std::string> except;
      for (const Name& n : obj.fields) {
        if (object->FindField(n.text) == nullptr && !IsChildRelationship(*object, n.text)) UnknownField(n, *object, system);
        else except.insert(n.text);
      }
      std::vector<std::string> overlap;
      const Claim* first = nullptr;
      for (const schema::Field& f : object->fields) {
        if (except.count(f.name) != 0 || (!f.compound_parent.empty() && except.count(f.compound_parent) != 0)) continue;
        if (const Claim* prev = Add({system, object, f.name, obj.object.span, "*"})) {
          overlap.push_back(f.name);
          if (first == nullptr) first = prev;
        }
      }
      ctx_.star_owned.emplace(object, system);
      if (first != nullptr) {
        Claim again{system, object, overlap.front(), obj.object.span, "*"};
        Twice(again, *first,
              overlap.size() == 1 ? Quote(object->name + "." + overlap.front()) + " already has an owner"
                                  : "`*` claims fields of " + Quote(object->name) + " that already have an owner: " +
                                        QuoteList(overlap, 4));
      }
      return;
    }
    for (const Name& n : obj.fields) {
      const schema::Field* f = object->FindField(n.text);
      if (f == nullptr) {
        UnknownField(n, *object, system);
        continue;
      }
      Claim c{system, object, f->name, n.span, ""};
      if (const Claim* prev = Add(c)) {
        Twice(c, *prev, Quote(object->name + "." + f->name) + " already has an owner");
        continue;
      }
      for (const std::string& part : f->compound_components) {
        Claim pc{system, object, part, n.span, f->name};
        if (const Claim* prev = Add(pc)) {
          Twice(pc, *prev, Quote(object->name + "." + part) + " (part of " + Quote(f->name) + ") already has an owner");
          break;
        }
      }
    }
  }

  Context& ctx_;
};

// One assignment of a map into a resolved target field.
struct Write {
  const ResolvedMap* map;
  const MapStmt* stmt;
  const schema::Field* field;
  std::vector<SourceRead> reads;
  bool reported = false;
};

class MapOwnership {
 public:
  explicit MapOwnership(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const ResolvedMap& m : ctx_.maps) {
      if (m.decl->source.system.text == m.decl->target.system.text) continue;  // within one system
      for (const MapStmt& s : m.decl->stmts) {
        if (s.kind != MapStmtKind::Assign || !s.value) continue;
        const schema::Field* f = TargetField(s, *m.target);
        if (f == nullptr) continue;
        writes_.push_back({&m, &s, f, SourceFieldsRead(s.value.get(), *m.source)});
      }
    }
    for (Write& w : writes_) IntoOwned(w);
    for (size_t j = 0; j < writes_.size(); ++j) {
      for (size_t i = 0; i < j; ++i) EchoLoop(writes_[i], writes_[j]);
    }
    for (Write& w : writes_) Unowned(w);
  }

 private:
  void IntoOwned(Write& w) {
    WriteOwner owner_of = OwnerOfWrite(ctx_, *w.map, *w.field, w.reads);
    if (owner_of.kind != OwnerKind::kTarget) return;
    const Claim* claim = owner_of.claim;
    const MapDecl& m = *w.map->decl;
    const std::string& from = m.source.system.text;
    const std::string& owner = claim->system;
    const std::string name = w.map->target->name + "." + w.field->name;
    diag::Diagnostic d = diag::Make(diag::Kind::WriteIntoOwnedField, w.stmt->target.front().span,
                                    "map " + Quote(m.name.text) + " writes " + Quote(name) + ", which " + Quote(owner) +
                                        " owns",
                                    "written from " + Quote(from) + " here");
    d.secondary.push_back({claim->span, ClaimLabel(*claim)});
    for (const SourceRead& r : w.reads) {
      if (OwnedBy(ctx_, w.map->source, r.field, from)) {
        d.notes.push_back(Quote(m.source.object.text + "." + r.field) + " is owned by " + Quote(from) +
                          ": the value would have two owners, one in each system");
        break;
      }
    }
    d.help = Quote(w.field->name) + " belongs to " + Quote(owner) + " and is read-only for " + Quote(from) +
             ": remove this assignment, or copy the value the other way, in a map from " + Quote(Qualified(m.target)) +
             " to " + Quote(Qualified(m.source));
    ctx_.Report(std::move(d));
    w.reported = true;
  }

  static bool Reads(const Write& w, const std::string& field) {
    return std::any_of(w.reads.begin(), w.reads.end(), [&](const SourceRead& r) { return r.field == field; });
  }

  // `a` writes T.f from S.g and `b` writes S.g from T.f (maps in opposite directions).
  void EchoLoop(Write& a, Write& b) {
    if (a.map->target != b.map->source || a.map->source != b.map->target) return;
    if (!Reads(a, b.field->name) || !Reads(b, a.field->name)) return;
    // An owner on either side makes one of the two writes E0402; a conflicts rule decides the rest.
    if (a.reported || b.reported || ctx_.has_conflicts) {
      a.reported = b.reported = true;
      return;
    }
    const MapDecl& mb = *b.map->decl;
    std::string fa = a.map->target->name + "." + a.field->name;
    std::string fb = b.map->target->name + "." + b.field->name;
    diag::Diagnostic d = diag::Make(diag::Kind::EchoLoop, b.stmt->target.front().span,
                                    Quote(fb) + " and " + Quote(fa) + " are copied into each other, and neither has an owner",
                                    "copies " + Quote(a.field->name) + " back into " + Quote(b.field->name));
    d.secondary.push_back({a.stmt->target.front().span,
                           "map " + Quote(a.map->decl->name.text) + " copies " + Quote(b.field->name) + " into " +
                               Quote(a.field->name) + " here"});
    d.notes.push_back("a change on either side is written to the other, which runs the first map again: the value "
                      "echoes between the systems, and when both sides change it, the last sync wins silently");
    d.help = "give the value one system of record: `owner " + mb.target.system.text + " { " + b.map->target->name + " { " +
             b.field->name + " } }` makes " + Quote(mb.target.system.text) +
             " the owner (this assignment then has to go), or remove one of the two assignments";
    ctx_.Report(std::move(d));
    a.reported = b.reported = true;
  }

  void Unowned(const Write& w) {
    // Only a spec that names systems of record: there, a field left out is likely an oversight.
    if (w.reported || ctx_.has_conflicts || !ctx_.has_owners) return;
    // A constant is the integration's own; a copy of an owned field is the source's.
    if (OwnerOfWrite(ctx_, *w.map, *w.field, w.reads).kind != OwnerKind::kNone) return;
    const MapDecl& m = *w.map->decl;
    std::vector<std::string> read_names;
    for (const SourceRead& r : w.reads) {
      if (std::find(read_names.begin(), read_names.end(), r.field) == read_names.end()) read_names.push_back(r.field);
    }
    std::string name = w.map->target->name + "." + w.field->name;
    diag::Diagnostic d = diag::Make(diag::Kind::UnownedField, w.stmt->target.front().span,
                                    Quote(name) + " has no owner", "written by map " + Quote(m.name.text));
    d.notes.push_back("neither " + Quote(w.field->name) + " nor what it is computed from (" + QuoteList(read_names) +
                      ") is in an `owner` block, and no `conflicts` rule decides: a change made in " +
                      Quote(m.target.system.text) + " is overwritten by the next sync, silently");
    d.help = "name its system of record: add `owner " + m.source.system.text + " { " + m.source.object.text + " { " +
             read_names.front() + " } }` (" + Quote(m.target.system.text) +
             " then holds a read-only copy), or declare `conflicts latest_wins` to let the latest change win";
    ctx_.Report(std::move(d));
  }

  const Context& ctx_;
  std::vector<Write> writes_;
};

}  // namespace

bool OwnedBy(const Context& ctx, const schema::Object* object, const std::string& field, const std::string& system) {
  if (const Claim* c = ctx.OwnerOf(object, field)) return c->system == system;
  auto star = ctx.star_owned.find(object);
  return star != ctx.star_owned.end() && star->second == system && IsChildRelationship(*object, field);
}

WriteOwner OwnerOfWrite(const Context& ctx, const ResolvedMap& m, const schema::Field& field,
                        const std::vector<SourceRead>& reads) {
  if (const Claim* claim = ctx.OwnerOf(m.target, field.name)) return {OwnerKind::kTarget, claim};
  if (reads.empty()) return {OwnerKind::kConstant, nullptr};
  for (const SourceRead& r : reads) {
    if (OwnedBy(ctx, m.source, r.field, m.decl->source.system.text)) return {OwnerKind::kCopy, nullptr};
  }
  return {OwnerKind::kNone, nullptr};
}

void CheckOwnerBlocks(Context& ctx) { OwnerBlocks(ctx).Run(); }

void CheckMapOwnership(const Context& ctx) { MapOwnership(ctx).Run(); }

}  // namespace crmx::check::integration
