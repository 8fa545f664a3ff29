// Defines the `ref` cycle rule of the integration check (see integration.h): a map runs after
// the maps it `ref`s, so that the ids it looks up exist; maps that `ref` each other, directly
// or through others (or a map that refs itself), can never run, and `crmxc build` refuses the
// plan. Reported at check time (E0416) with every `ref` of the cycle labelled.
#include <algorithm>

#include "compiler/check/integration.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

// One `ref(MAP, ...)` of a map: the edge from the map to MAP.
struct Edge {
  const MapDecl* from = nullptr;
  const MapDecl* to = nullptr;
  const RefExpr* ref = nullptr;
};

class Cycles {
 public:
  explicit Cycles(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    // The maps in source order (imports first), each with its first `ref` of every other map.
    for (const Module* mod : ctx_.modules) {
      for (const MapDecl* m : mod->All<MapDecl>()) {
        auto known = ctx_.maps_by_name.find(m->name.text);
        if (known == ctx_.maps_by_name.end() || known->second != m) continue;  // a duplicate (E0104)
        order_.push_back(m);
        std::vector<Edge>& out = edges_[m];
        for (const MapStmt& s : m->stmts) {
          WalkExprs(s.value.get(), [&](const Expr& e, const std::set<std::string>&) {
            const auto* r = e.As<RefExpr>();
            if (r == nullptr) return;
            auto it = ctx_.maps_by_name.find(r->map.text);
            if (it == ctx_.maps_by_name.end()) return;  // E0103
            bool seen = std::any_of(out.begin(), out.end(), [&](const Edge& x) { return x.to == it->second; });
            if (!seen) out.push_back({m, it->second, r});
          });
        }
      }
    }
    for (const MapDecl* m : order_) Visit(m);
  }

 private:
  void Visit(const MapDecl* m) {
    if (done_.count(m) != 0) return;
    done_.insert(m);
    stack_.push_back(m);
    for (const Edge& e : edges_[m]) {
      auto at = std::find(stack_.begin(), stack_.end(), e.to);
      if (at != stack_.end()) {
        // A cycle: the maps from `e.to` to `m` on the stack, closed by `e`.
        std::vector<Edge> cycle;
        for (auto it = at; it != stack_.end(); ++it) {
          const MapDecl* next = it + 1 != stack_.end() ? *(it + 1) : e.to;
          for (const Edge& x : edges_[*it]) {
            if (x.to == next) {
              cycle.push_back(x);
              break;
            }
          }
        }
        Report(cycle);
        continue;
      }
      Visit(e.to);
    }
    stack_.pop_back();
  }

  void Report(const std::vector<Edge>& cycle) {
    if (cycle.empty()) return;
    std::vector<std::string> names;
    for (const Edge& e : cycle) names.push_back(e.from->name.text);
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    std::string key;
    for (const std::string& n : sorted) key += n + ",";
    if (!reported_.insert(key).second) return;
    const Edge& first = cycle.front();
    std::string message;
    if (cycle.size() == 1) {
      message = "map " + Quote(first.from->name.text) + " `ref`s itself: it cannot run before itself";
    } else if (cycle.size() == 2) {
      message = "maps " + QuoteList(names) + " `ref` each other: neither can run first";
    } else {
      message = "maps " + QuoteList(names) + " `ref` each other in a cycle: none of them can run first";
    }
    diag::Diagnostic d = diag::Make(diag::Kind::RefCycle, first.ref->span, message,
                                    Quote(first.from->name.text) + " refs " + Quote(first.to->name.text) + " here");
    for (size_t i = 1; i < cycle.size(); ++i) {
      d.secondary.push_back({cycle[i].ref->span, Quote(cycle[i].from->name.text) + " refs " +
                                                     Quote(cycle[i].to->name.text) + " here"});
    }
    d.notes.push_back("a map runs after the maps it `ref`s, so that the ids it looks up exist; `crmxc build` "
                      "cannot order these maps and refuses the plan");
    d.help = cycle.size() == 1
                 ? "set this field in a second map that runs after " + Quote(first.from->name.text) +
                       " (an update keyed on the record's id), or remove the `ref`"
                 : "remove one of these `ref`s, or set its field in a second map that runs after both (an update "
                   "keyed on the record's id)";
    ctx_.Report(std::move(d));
  }

  const Context& ctx_;
  std::vector<const MapDecl*> order_;
  std::map<const MapDecl*, std::vector<Edge>> edges_;
  std::set<const MapDecl*> done_;
  std::vector<const MapDecl*> stack_;
  std::set<std::string> reported_;
};

}  // namespace

void CheckRefCycles(const Context& ctx) { Cycles(ctx).Run(); }

}  // namespace crmx::check::integration
