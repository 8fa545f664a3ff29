// Defines the application of schema overlays: the `field` settings of a `system` block
// (`field Invoice.TotalAmt readonly`, `field Account.Crmx_Id__c: string(40) external_id`),
// which correct or complete what the system's schema file says about a field. They are applied
// to the imported schema when the systems are loaded (check/systems.h), before any check, the
// plan builder or `crmxc schema show` reads it: every later phase sees the overlaid facts.
//
// The facts, their meaning in the schema model (compiler/schema/model.h) and the rules are in
// docs/language.md ("Schema overlays"). Codes: E0204 (unknown object), E0301 (unknown field),
// E0207 (contradictory facts), E0208 (unknown fact or type), E0209 (a new field named like an
// existing one, a warning).
#pragma once

#include <map>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/schema/model.h"

namespace crmx::check {

// Where each overlaid field is declared: "Invoice.TotalAmt" or "Invoice.Line.Amount" (the
// object, then the path) -> the span of its last `field` overlay.
using OverlaySpans = std::map<std::string, Span, std::less<>>;

// Applies the overlays of `sys` to `schema`, in the order the spec writes them. `complete` is
// false when a schema file of the system failed to load: names that do not resolve are then
// not reported (the real error is the file), while facts and types still are. An overlay that
// names a field through a named structure (`Invoice.CustomerRef.value`, where `CustomerRef` is
// a shared `ReferenceType`) changes a copy of that structure for that path only.
OverlaySpans ApplyOverlays(const ast::SystemDecl& sys, schema::Schema& schema, bool complete,
                           diag::DiagnosticSink& sink);

// The overlay facts a spec may write, in documentation order.
const std::vector<std::string>& OverlayFacts();

}  // namespace crmx::check
