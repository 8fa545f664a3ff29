// Defines the `flag` rule of the integration check (see integration.h): `FIELD = EXPR flag
// "LABEL"` marks the record for review when the assignment used a fallback (a `??`
// alternative, anywhere in EXPR, object literals and list macros included). An assignment with
// no `??` never uses one, so its flag can never fire (E0420, a warning).
#include "compiler/check/integration.h"

namespace crmx::check::integration {

void CheckFlags(const Context& ctx) {
  for (const ast::Module* mod : ctx.modules) {
    for (const ast::MapDecl* m : mod->All<ast::MapDecl>()) {
      for (const ast::MapStmt& s : m->stmts) {
        if (!s.flag || !s.value) continue;
        bool fallback = false;
        WalkExprs(s.value.get(), [&](const ast::Expr& e, const std::set<std::string>&) {
          if (e.As<ast::CoalesceExpr>() != nullptr) fallback = true;
        });
        if (fallback) continue;
        std::string target;
        for (const ast::Name& n : s.target) target += (target.empty() ? "" : ".") + n.text;
        diag::Diagnostic d = diag::Make(diag::Kind::FlagNeverFires, s.flag_span,
                                        "`flag \"" + *s.flag + "\"` can never fire: the value of " + Quote(target) +
                                            " has no fallback",
                                        "never raised");
        d.notes.push_back("a flag marks a record for review when its assignment used a fallback (the right side "
                          "of a `??`)");
        d.help = "add the fallback the flag is about (`" + target + " = ... ?? DEFAULT flag \"" + *s.flag +
                 "\"`), or remove the flag";
        ctx.Report(std::move(d));
      }
    }
  }
}

}  // namespace crmx::check::integration
