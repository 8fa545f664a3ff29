// Defines the `ref` rules of the integration check (see integration.h). `ref(MAP, id)` is the
// id, in MAP's target system, of the record MAP synced: so MAP must write into the same system
// as the map using the id (E0409), and a reference field that receives it must refer to MAP's
// target object (E0408).
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

class Refs {
 public:
  explicit Refs(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const Module* mod : ctx_.modules) {
      for (const MapDecl* m : mod->All<MapDecl>()) Map(*m);
    }
  }

 private:
  void Map(const MapDecl& m) {
    const schema::Object* target = ctx_.systems.FindObject(m.target);
    for (const MapStmt& s : m.stmts) {
      if (!s.value) continue;
      // Every `ref` of the map: the system of the id.
      std::set<const RefExpr*> wrong_system;
      WalkExprs(s.value.get(), [&](const Expr& e, const std::set<std::string>&) {
        const auto* r = e.As<RefExpr>();
        if (r != nullptr && !System(m, *r)) wrong_system.insert(r);
      });
      // The refs that become the value of a reference field: the object of the id.
      if (s.kind == MapStmtKind::Require || target == nullptr) continue;
      const schema::Field* f = TargetField(s, *target);
      if (f == nullptr || s.target.size() != 1 || f->references.targets.empty()) continue;
      std::vector<const Expr*> branches;
      Branches(s.value.get(), branches);
      for (const Expr* b : branches) {
        const auto* r = b->As<RefExpr>();
        if (r != nullptr && wrong_system.count(r) == 0) Object(m, *target, s, *f, *r);
      }
    }
  }

  // False (and reported) when the referenced map writes into another system than `m`.
  bool System(const MapDecl& m, const RefExpr& r) {
    auto it = ctx_.maps_by_name.find(r.map.text);
    if (it == ctx_.maps_by_name.end()) return true;  // E0103
    const MapDecl& other = *it->second;
    const std::string& have = other.target.system.text;
    const std::string& want = m.target.system.text;
    if (have == want || have.empty() || want.empty()) return true;
    diag::Diagnostic d = diag::Make(diag::Kind::RefWrongSystem, r.map.span,
                                    "`ref(" + r.map.text + ", ...)` is an id in " + Quote(have) + ", but map " +
                                        Quote(m.name.text) + " writes to " + Quote(want),
                                    "an id of " + Quote(Qualified(other.target)));
    d.secondary.push_back({other.target.span, "map " + Quote(other.name.text) + " writes here"});
    d.notes.push_back("`ref(MAP, id)` gives the id of the record that MAP created in its target system; " +
                      Quote(want) + " has no record with that id");
    std::vector<std::string> candidates;
    for (const auto& [name, decl] : ctx_.maps_by_name) {
      if (decl->target.system.text == want && decl->source.system.text == other.source.system.text && name != m.name.text)
        candidates.push_back(name);
    }
    if (!candidates.empty()) {
      d.help = "ref a map that writes to " + Quote(want) + ", such as " + QuoteList(candidates, 3);
    } else {
      d.help = "map the referenced records into " + Quote(want) + " too, and ref that map";
    }
    ctx_.Report(std::move(d));
    return false;
  }

  void Object(const MapDecl& m, const schema::Object& target, const MapStmt& s, const schema::Field& f,
              const RefExpr& r) {
    auto it = ctx_.maps_by_name.find(r.map.text);
    if (it == ctx_.maps_by_name.end()) return;
    const MapDecl& other = *it->second;
    const std::string& object = other.target.object.text;
    const std::vector<std::string>& targets = f.references.targets;
    if (object.empty() || std::find(targets.begin(), targets.end(), object) != targets.end()) return;
    std::string field = target.name + "." + f.name;
    diag::Diagnostic d = diag::Make(diag::Kind::RefWrongObject, r.map.span,
                                    "map " + Quote(other.name.text) + " syncs " + Quote(object) + " records, but " +
                                        Quote(field) + " refers to " + QuoteList(targets),
                                    "an id of " + WithArticle(object));
    d.secondary.push_back({s.target.front().span, Quote(field) + " expects the id of " +
                                                      (targets.size() == 1 ? WithArticle(targets.front())
                                                                           : "one of " + QuoteList(targets))});
    std::vector<std::string> candidates;
    for (const auto& [name, decl] : ctx_.maps_by_name) {
      if (decl->target.system.text == m.target.system.text &&
          std::find(targets.begin(), targets.end(), decl->target.object.text) != targets.end())
        candidates.push_back(name);
    }
    if (!candidates.empty()) {
      d.help = "ref a map that syncs " + QuoteList(targets) + " records, such as `ref(" + candidates.front() + ", ...)`";
      if (candidates.size() == 1) d.fix = diag::Fix{r.map.span, candidates.front(), false};
    } else {
      d.help = "no map syncs " + QuoteList(targets) + " records: add one, and ref it here";
    }
    ctx_.Report(std::move(d));
  }

  const Context& ctx_;
};

}  // namespace

void CheckRefs(const Context& ctx) { Refs(ctx).Run(); }

}  // namespace crmx::check::integration
