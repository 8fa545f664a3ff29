// Defines check::Ownership: who owns each target field a map writes (its system of record),
// decided by the ownership rules of the integration check (integration_ownership.cpp,
// OwnerOfWrite) for the phases after the check: the plan builder records it per target field
// (plan::TargetField::owner, docs/plan-format.md), so that `crmx-run assess` can count the
// spec's system-of-record decisions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/systems.h"

namespace crmx::check {

// The owner of what one map statement writes.
struct TargetOwner {
  // The owning system's name: the target system when an `owner` block claims the field, the
  // source system when the value copies a field the source system owns (a claim, a part of a
  // claimed compound field, `*`); "" when nobody owns it, or for a constant.
  std::string owner;
  // The value reads no source field (`Active = true`, `now()`): the integration's own value,
  // not a field synced from the other system.
  bool constant = false;
};

class Ownership {
 public:
  // `modules`: the integration's modules whose `owner` blocks count, the root last (as
  // CheckIntegration takes them). Both must outlive this object. Mistakes in the blocks were
  // reported by the check; here they are ignored as the check's rules ignore them.
  Ownership(const std::vector<const ast::Module*>& modules, const Systems& systems);
  ~Ownership();
  Ownership(const Ownership&) = delete;
  Ownership& operator=(const Ownership&) = delete;

  // The owner of the field `stmt` (a `key` or an assignment of `map`) writes; nullopt when the
  // map's objects or the statement's target field do not resolve, or it has no value.
  std::optional<TargetOwner> Of(const ast::MapDecl& map, const ast::MapStmt& stmt) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace crmx::check
