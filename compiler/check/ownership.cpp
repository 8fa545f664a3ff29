// Defines check::Ownership (ownership.h) over the integration check's own context and rules.
#include "compiler/check/ownership.h"

#include "compiler/check/integration.h"

namespace crmx::check {

struct Ownership::State {
  State(const ast::Module& root, const Systems& systems) : ctx(root, systems, scratch) {}
  // The owner blocks' diagnostics, already reported by the check.
  diag::DiagnosticSink scratch;
  integration::Context ctx;
};

Ownership::Ownership(const std::vector<const ast::Module*>& modules, const Systems& systems)
    : state_(std::make_unique<State>(*modules.back(), systems)) {
  state_->ctx.modules = modules;
  integration::CollectDecls(state_->ctx);
  integration::CheckOwnerBlocks(state_->ctx);
}

Ownership::~Ownership() = default;

std::optional<TargetOwner> Ownership::Of(const ast::MapDecl& map, const ast::MapStmt& stmt) const {
  const integration::Context& ctx = state_->ctx;
  for (const integration::ResolvedMap& m : ctx.maps) {
    if (m.decl != &map) continue;
    const schema::Field* field = integration::TargetField(stmt, *m.target);
    if (field == nullptr || !stmt.value) return std::nullopt;
    integration::WriteOwner w =
        integration::OwnerOfWrite(ctx, m, *field, integration::SourceFieldsRead(stmt.value.get(), *m.source));
    switch (w.kind) {
      case integration::OwnerKind::kTarget: return TargetOwner{w.claim->system, false};
      case integration::OwnerKind::kCopy: return TargetOwner{map.source.system.text, false};
      case integration::OwnerKind::kConstant: return TargetOwner{"", true};
      case integration::OwnerKind::kNone: return TargetOwner{"", false};
    }
  }
  return std::nullopt;
}

}  // namespace crmx::check
