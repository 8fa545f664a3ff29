// Defines the picklist and table rules of the integration check (see integration.h): a string
// literal outside a restricted picklist (E0410), in a target field or a field nested in it (a
// path such as `address.country`, a key of an object literal such as a line row's), a lookup
// table whose values flow into a restricted picklist and include values outside it (E0411), a
// lookup table indexed by a source picklist that misses some of its values (E0412, a warning),
// a table never used (E0413, a warning). Tables read from CSV files take part with the rows
// the CSV phase read (check/csv_tables.h); their values are reported at the table's path.
#include <algorithm>

#include "compiler/check/integration.h"
#include "compiler/check/structure.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

const schema::PicklistValue* FindValue(const schema::Picklist& p, const std::string& v) {
  for (const schema::PicklistValue& x : p.values) {
    if (x.value == v) return &x;
  }
  return nullptr;
}

bool Allowed(const schema::Picklist& p, const std::string& v) {
  const schema::PicklistValue* x = FindValue(p, v);
  return x != nullptr && x->active;
}

std::vector<std::string> ActiveValues(const schema::Picklist& p) {
  std::vector<std::string> out;
  for (const schema::PicklistValue& x : p.values) {
    if (x.active) out.push_back(x.value);
  }
  return out;
}

// The restricted picklist of a target field, or null when anything goes.
const schema::Picklist* Restricted(const schema::Field& f) {
  if (f.type.kind != schema::TypeKind::kPicklist) return nullptr;
  if (!f.picklist.restricted.value_or(false) || f.picklist.empty()) return nullptr;
  return &f.picklist;
}

const LiteralExpr* StringLiteral(const Expr* e) {
  const auto* lit = e ? e->As<LiteralExpr>() : nullptr;
  return lit != nullptr && lit->literal == LiteralKind::String ? lit : nullptr;
}

// The string keys of a literal table; false when a key is computed (cannot tell).
bool TableKeys(const MapExpr& table, std::set<std::string>& keys) {
  for (const MapEntry& en : table.entries) {
    if (en.field_key) keys.insert(en.field_key->text);
    else if (const LiteralExpr* k = StringLiteral(en.key.get())) keys.insert(k->string_value);
    else return false;
  }
  return true;
}

class Tables {
 public:
  explicit Tables(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const ResolvedMap& m : ctx_.maps) {
      for (const MapStmt& s : m.decl->stmts) {
        if (s.kind != MapStmtKind::Assign || !s.value) continue;
        Lookups(m, s);
        // The target field and, through paths and object literals, the nested fields it sets.
        for (const FieldWrite& w : FieldWrites(ctx_, m, s)) {
          if (const schema::Picklist* p = Restricted(*w.field)) Values(m, w, *p);
        }
      }
    }
    Unused();
  }

 private:
  // The literal table, or the CSV table that could be read, an expression indexes (`t[k]`).
  const TableDecl* IndexedTable(const IndexExpr& ix) const {
    const auto* id = ix.operand->As<IdentExpr>();
    if (id == nullptr) return nullptr;
    auto it = ctx_.tables.find(id->name.text);
    if (it == ctx_.tables.end() || (!it->second->value && Csv(*it->second) == nullptr)) return nullptr;
    return it->second;
  }

  const CsvTable* Csv(const TableDecl& t) const {
    if (ctx_.csv == nullptr) return nullptr;
    auto it = ctx_.csv->find(&t);
    return it == ctx_.csv->end() ? nullptr : &it->second;
  }

  // A CSV table's values outside the picklist, reported at the table's path.
  void CsvValues(const std::string& target, const std::string& field, const schema::Picklist& p, const TableDecl& t,
                 const CsvTable& csv, const IndexExpr& use) {
    std::vector<std::string> names;
    std::vector<std::string> lines;
    for (const CsvRow& r : csv.rows) {
      if (r.value.empty() || Allowed(p, r.value)) continue;
      if (std::find(names.begin(), names.end(), r.value) == names.end()) names.push_back(r.value);
      lines.push_back(std::to_string(r.line));
    }
    if (names.empty()) return;
    diag::Diagnostic d = diag::Make(diag::Kind::TableValueNotInPicklist, t.csv_span,
                                    "table " + Quote(t.name.text) + " has " + (names.size() == 1 ? "a value" : "values") +
                                        " that " + Quote(field) + " does not allow: " + QuoteList(names),
                                    "read from this file");
    d.secondary.push_back({use.span, "flows into " + Quote(target) + " here"});
    std::string at;
    for (size_t i = 0; i < lines.size() && i < 8; ++i) at += (i ? ", " : "") + lines[i];
    if (lines.size() > 8) at += " and " + std::to_string(lines.size() - 8) + " more";
    d.notes.push_back(Quote(csv.path) + (lines.size() == 1 ? ", line " : ", lines ") + at);
    d.notes.push_back(Quote(field) + " is a restricted picklist: a record that looks up " +
                      (lines.size() == 1 ? "this entry" : "these entries") + " would be rejected");
    std::string near = ClosestName(names.front(), ActiveValues(p));
    d.help = !near.empty() ? "did you mean " + Quote("\"" + near + "\"") + "?"
                           : "use values of " + Quote(field) + ": " + QuoteList(ActiveValues(p), 10);
    ctx_.Report(std::move(d));
  }

  void Values(const ResolvedMap& m, const FieldWrite& w, const schema::Picklist& p) {
    std::vector<const Expr*> branches;
    Branches(w.value, branches);
    std::string field = m.target->name + "." + w.path;
    for (const Expr* b : branches) {
      if (const LiteralExpr* lit = StringLiteral(b)) {
        if (!Allowed(p, lit->string_value)) Literal(m, field, p, *lit);
      } else if (const auto* ix = b->As<IndexExpr>()) {
        if (const TableDecl* t = IndexedTable(*ix)) TableValues(w.path, field, p, *t, *ix);
      }
    }
  }

  void Literal(const ResolvedMap& m, const std::string& field, const schema::Picklist& p, const LiteralExpr& lit) {
    const std::string& v = lit.string_value;
    diag::Diagnostic d = diag::Make(diag::Kind::PicklistValue, lit.span,
                                    Quote("\"" + v + "\"") + " is not a value of " + Quote(field),
                                    "not in the picklist");
    if (FindValue(p, v) != nullptr) {
      d.notes.push_back(Quote(v) + " is an inactive value: " + Quote(m.decl->target.system.text) +
                        " rejects it on create and update");
    } else {
      d.notes.push_back(Quote(field) + " is a restricted picklist: " + Quote(m.decl->target.system.text) +
                        " rejects any other value, so every record would fail");
    }
    std::vector<std::string> values = ActiveValues(p);
    std::string near = ClosestName(v, values);
    if (!near.empty()) {
      d.help = "did you mean " + Quote("\"" + near + "\"") + "?";
      d.fix = diag::Fix{lit.span, "\"" + near + "\"", false};
    } else {
      d.help = "use one of its values: " + QuoteList(values, 10);
    }
    ctx_.Report(std::move(d));
  }

  void TableValues(const std::string& target, const std::string& field, const schema::Picklist& p,
                   const TableDecl& t, const IndexExpr& use) {
    if (!reported_.insert(t.name.text + "->" + field).second) return;
    if (!t.value) {
      if (const CsvTable* csv = Csv(t)) CsvValues(target, field, p, t, *csv, use);
      return;
    }
    std::vector<const LiteralExpr*> bad;
    auto value = [&](const Expr* e) {
      if (const LiteralExpr* lit = StringLiteral(e); lit != nullptr && !Allowed(p, lit->string_value)) bad.push_back(lit);
    };
    if (const auto* map = t.value->As<MapExpr>()) {
      for (const MapEntry& en : map->entries) value(en.value.get());
    } else if (const auto* list = t.value->As<ListExpr>()) {
      for (const ExprPtr& e : list->elements) value(e.get());
    }
    if (bad.empty()) return;
    std::vector<std::string> names;
    for (const LiteralExpr* b : bad) names.push_back(b->string_value);
    diag::Diagnostic d = diag::Make(diag::Kind::TableValueNotInPicklist, bad.front()->span,
                                    "table " + Quote(t.name.text) + " has " + (bad.size() == 1 ? "a value" : "values") +
                                        " that " + Quote(field) + " does not allow: " + QuoteList(names),
                                    "not a value of " + Quote(field));
    for (size_t i = 1; i < bad.size(); ++i) d.secondary.push_back({bad[i]->span, "not a value either"});
    d.secondary.push_back({use.span, "flows into " + Quote(target) + " here"});
    d.notes.push_back(Quote(field) + " is a restricted picklist: a record that looks up " +
                      (bad.size() == 1 ? "this entry" : "these entries") + " would be rejected");
    std::string near = ClosestName(names.front(), ActiveValues(p));
    if (!near.empty()) {
      d.help = "did you mean " + Quote("\"" + near + "\"") + "?";
      d.fix = diag::Fix{bad.front()->span, "\"" + near + "\"", false};
    } else {
      d.help = "use values of " + Quote(field) + ": " + QuoteList(ActiveValues(p), 10);
    }
    ctx_.Report(std::move(d));
  }

  // `t[PicklistField]`: the table should have an entry for every active value of the field.
  void Lookups(const ResolvedMap& m, const MapStmt& s) {
    WalkExprs(s.value.get(), [&](const Expr& e, const std::set<std::string>& bound) {
      const auto* ix = e.As<IndexExpr>();
      if (ix == nullptr) return;
      const TableDecl* t = IndexedTable(*ix);
      const auto* key = ix->index->As<IdentExpr>();
      if (t == nullptr || key == nullptr || bound.count(key->name.text) != 0) return;
      const auto* table = t->value ? t->value->As<MapExpr>() : nullptr;
      const CsvTable* csv = t->value ? nullptr : Csv(*t);
      const schema::Field* f = m.source->FindField(key->name.text);
      if ((table == nullptr && csv == nullptr) || f == nullptr || f->type.kind != schema::TypeKind::kPicklist ||
          f->picklist.empty())
        return;
      std::set<std::string> keys;
      if (csv != nullptr) {
        for (const CsvRow& r : csv->rows) keys.insert(r.key);
      } else if (!TableKeys(*table, keys)) {
        return;
      }
      std::vector<std::string> missing;
      for (const std::string& v : ActiveValues(f->picklist)) {
        if (keys.count(v) == 0) missing.push_back(v);
      }
      if (missing.empty()) return;
      if (!reported_.insert(t->name.text + "[" + m.source->name + "." + f->name + "]").second) return;
      std::string field = m.source->name + "." + f->name;
      diag::Diagnostic d = diag::Make(diag::Kind::LookupMissesValues, ix->index->span,
                                      "table " + Quote(t->name.text) + " has no entry for " + QuoteList(missing) +
                                          (missing.size() == 1 ? ", a value" : ", values") + " of " + Quote(field),
                                      "a picklist of " + std::to_string(ActiveValues(f->picklist).size()) + " values");
      d.secondary.push_back({t->name.span, "declared here"});
      d.notes.push_back("a record with " + (missing.size() == 1 ? std::string("this value") : std::string("these values")) +
                        " finds nothing in the table: the lookup is null");
      d.help = "add " + (missing.size() == 1 ? std::string("an entry") : std::string("entries")) + " for " +
               QuoteList(missing, 4) + " to " + Quote(t->name.text) + ", such as `\"" + missing.front() + "\": ...`";
      ctx_.Report(std::move(d));
    });
  }

  void Unused() {
    std::set<std::string> used;
    for (const Module* m : ctx_.modules) {
      ForEachTopExpr(*m, [&](const Expr* top) {
        WalkExprs(top, [&](const Expr& e, const std::set<std::string>&) {
          if (const auto* id = e.As<IdentExpr>()) used.insert(id->name.text);
        });
      });
    }
    for (const TableDecl* t : ctx_.root.All<TableDecl>()) {
      if (t->name.text.empty() || used.count(t->name.text) != 0) continue;
      // A misspelled use (`subsidiary_by_contry[...]`) is the type checker's unknown name, not
      // an unused table: one diagnostic for one mistake.
      const std::vector<std::string> self{t->name.text};
      if (std::any_of(used.begin(), used.end(), [&](const std::string& u) { return !ClosestName(u, self).empty(); }))
        continue;
      diag::Diagnostic d = diag::Make(diag::Kind::UnusedTable, t->name.span,
                                      "table " + Quote(t->name.text) + " is never used", "declared here");
      d.help = "remove it, or look a value up with `" + t->name.text + "[...]`";
      ctx_.Report(std::move(d));
    }
  }

  const Context& ctx_;
  std::set<std::string> reported_;
};

}  // namespace

void CheckPicklistsAndTables(const Context& ctx) { Tables(ctx).Run(); }

}  // namespace crmx::check::integration
