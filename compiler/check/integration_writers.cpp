// Defines the double-writer rule of the integration check (see integration.h): two maps that
// write the same target object, keyed on the same field, reach the same records, and the fields
// both set hold whatever the map that ran last wrote (E0419). Maps that set different fields
// of the same records (one writes the name, the other the balance) are fine, and so are maps
// without a `key` (they only create).
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

const MapStmt* KeyOf(const MapDecl& m) {
  for (const MapStmt& s : m.stmts) {
    if (s.kind == MapStmtKind::Key && !s.target.empty()) return &s;
  }
  return nullptr;
}

// The top-level target fields an assignment of `m` sets (`address.city` sets `address`), with
// the first statement that sets each.
std::map<std::string, const MapStmt*> Written(const MapDecl& m) {
  std::map<std::string, const MapStmt*> out;
  for (const MapStmt& s : m.stmts) {
    if (s.kind == MapStmtKind::Assign && !s.target.empty()) out.emplace(s.target.front().text, &s);
  }
  return out;
}

}  // namespace

void CheckDoubleWriters(const Context& ctx) {
  for (size_t i = 0; i < ctx.maps.size(); ++i) {
    const ResolvedMap& a = ctx.maps[i];
    const MapStmt* key_a = KeyOf(*a.decl);
    if (key_a == nullptr) continue;
    for (size_t j = i + 1; j < ctx.maps.size(); ++j) {
      const ResolvedMap& b = ctx.maps[j];
      if (b.target != a.target || b.decl->target.system.text != a.decl->target.system.text) continue;
      const MapStmt* key_b = KeyOf(*b.decl);
      if (key_b == nullptr || key_b->target.front().text != key_a->target.front().text) continue;
      std::map<std::string, const MapStmt*> wa = Written(*a.decl), wb = Written(*b.decl);
      std::vector<std::string> both;
      const MapStmt* first_b = nullptr;
      for (const auto& [field, stmt] : wb) {
        if (wa.count(field) == 0) continue;
        both.push_back(field);
        if (first_b == nullptr || stmt->span.begin < first_b->span.begin) first_b = stmt;
      }
      if (both.empty()) continue;
      const std::string object = Qualified(b.decl->target);
      const std::string& key = key_b->target.front().text;
      diag::Diagnostic d = diag::Make(diag::Kind::TargetWrittenTwice, key_b->target.front().span,
                                      "maps " + Quote(a.decl->name.text) + " and " + Quote(b.decl->name.text) +
                                          " both write " + Quote(object) + " records keyed on " + Quote(key) +
                                          ": each overwrites what the other wrote",
                                      Quote(b.decl->name.text) + " upserts by " + Quote(key) + " here");
      d.secondary.push_back({key_a->target.front().span,
                             Quote(a.decl->name.text) + " upserts by " + Quote(key) + " here"});
      d.secondary.push_back({first_b->target.front().span, "set by both maps"});
      d.notes.push_back("both maps set " + QuoteList(both) + ": a record both maps reach keeps the values of the "
                        "map that ran last, and the next run of the other map writes them back");
      d.help = std::string("merge the two maps into one, or let one map set ") +
               (both.size() == 1 ? "this field and remove it" : "these fields and remove them") + " from the other";
      ctx.Report(std::move(d));
    }
  }
}

}  // namespace crmx::check::integration
