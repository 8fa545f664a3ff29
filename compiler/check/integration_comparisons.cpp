// Defines the picklist comparison rule of the integration check (see integration.h): a field
// of a picklist compared with a string the picklist does not have (`dealstage == "closed_won"`
// where the values are `closedwon`, ...) is never equal, so the condition silently filters
// every record out (or lets every record through, with `!=`). Reported as a warning (E0421)
// with the closest values, in maps, sync and alert conditions. Inactive values count as values
// (old records still hold them); a picklist the schema lists no values for is not checked.
#include <algorithm>
#include <cctype>

#include "compiler/check/integration.h"

namespace crmx::check::integration {
namespace {

using namespace crmx::ast;

// Lower-case letters and digits only: "Closed Won", "closed_won" and "closedwon" compare equal.
std::string Folded(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const LiteralExpr* StringLiteral(const Expr* e) {
  const auto* lit = e ? e->As<LiteralExpr>() : nullptr;
  return lit != nullptr && lit->literal == LiteralKind::String ? lit : nullptr;
}

class Comparisons {
 public:
  explicit Comparisons(const Context& ctx) : ctx_(ctx) {}

  void Run() {
    for (const ResolvedMap& m : ctx_.maps) {
      for (const MapStmt& s : m.decl->stmts) Expression(s.value.get(), *m.source);
    }
    for (const Module* mod : ctx_.modules) {
      for (const SyncDecl* s : mod->All<SyncDecl>()) {
        auto it = std::find_if(ctx_.maps.begin(), ctx_.maps.end(),
                               [&](const ResolvedMap& m) { return m.decl->name.text == s->map.text; });
        if (it != ctx_.maps.end()) Expression(s->when.get(), *it->source);
      }
      for (const AlertDecl* a : mod->All<AlertDecl>()) {
        if (const schema::Object* o = ctx_.systems.FindObject(a->object)) Expression(a->when.get(), *o);
      }
    }
  }

 private:
  void Expression(const Expr* e, const schema::Object& source) {
    WalkExprs(e, [&](const Expr& x, const std::set<std::string>& bound) {
      const auto* b = x.As<BinaryExpr>();
      if (b == nullptr) return;
      if (b->op == BinaryOp::Eq || b->op == BinaryOp::Ne) {
        if (const LiteralExpr* lit = StringLiteral(b->right.get())) Compare(*b->left, *lit, source, bound);
        if (const LiteralExpr* lit = StringLiteral(b->left.get())) Compare(*b->right, *lit, source, bound);
      } else if (b->op == BinaryOp::In) {
        if (const auto* list = b->right->As<ListExpr>()) {
          for (const ExprPtr& el : list->elements) {
            if (const LiteralExpr* lit = StringLiteral(el.get())) Compare(*b->left, *lit, source, bound);
          }
        }
      }
    });
  }

  void Compare(const Expr& side, const LiteralExpr& lit, const schema::Object& source,
               const std::set<std::string>& bound) {
    const auto* id = side.As<IdentExpr>();
    if (id == nullptr || bound.count(id->name.text) != 0) return;
    const schema::Field* f = source.FindField(id->name.text);
    if (f == nullptr || f->type.kind != schema::TypeKind::kPicklist || f->picklist.values.empty()) return;
    const std::string& v = lit.string_value;
    for (const schema::PicklistValue& pv : f->picklist.values) {
      if (pv.value == v) return;
    }
    std::string field = source.name + "." + f->name;
    diag::Diagnostic d = diag::Make(diag::Kind::ComparedNotInPicklist, lit.span,
                                    Quote("\"" + v + "\"") + " is not a value of " + Quote(field) +
                                        ": this comparison is never true",
                                    "not a value of " + Quote(f->name));
    // A display label (`"Closed Won"` for `closedwon`), or values written alike.
    const schema::PicklistValue* label = nullptr;
    for (const schema::PicklistValue& pv : f->picklist.values) {
      if (!pv.label.empty() && pv.label == v) label = &pv;
    }
    std::vector<std::pair<size_t, std::string>> ranked;
    for (const schema::PicklistValue& pv : f->picklist.values) {
      size_t dist = Folded(pv.value) == Folded(v) ? 0 : Distance(Folded(pv.value), Folded(v));
      ranked.emplace_back(dist, pv.value);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string best;
    if (label != nullptr) {
      best = label->value;
      d.notes.push_back(Quote("\"" + v + "\"") + " is the label of " + Quote(label->value) +
                        ": records hold the value, not the label");
    } else if (!ranked.empty() && ranked.front().first <= std::max<size_t>(1, Folded(v).size() / 3)) {
      best = ranked.front().second;
    }
    std::vector<std::string> closest;
    for (size_t i = 0; i < ranked.size() && closest.size() < 3; ++i) closest.push_back(ranked[i].second);
    d.notes.push_back(Quote(field) + " has " + std::to_string(f->picklist.values.size()) + " values; the closest are " +
                      QuoteList(closest));
    if (!best.empty()) {
      d.help = "did you mean " + Quote("\"" + best + "\"") + "?";
      d.fix = diag::Fix{lit.span, "\"" + best + "\"", false};
    } else {
      std::vector<std::string> all;
      for (const schema::PicklistValue& pv : f->picklist.values) all.push_back(pv.value);
      d.help = "compare with one of its values: " + QuoteList(all, 10);
    }
    ctx_.Report(std::move(d));
  }

  const Context& ctx_;
};

}  // namespace

void CheckPicklistComparisons(const Context& ctx) { Comparisons(ctx).Run(); }

}  // namespace crmx::check::integration
