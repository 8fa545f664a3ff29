// Defines the human-readable printing of schema objects and fields used by
// `crmxc schema show` (and, later, the spec-based lookup `crmxc schema show crm.Account`).
#pragma once

#include <ostream>

#include "compiler/schema/model.h"

namespace crmx::schema {

// Prints the object's header (name, label, kind, key, source) and a table of its fields: name,
// type, null(able), req(uired on create), c/u (createable/updateable), length, prec,scale,
// picklist (value count, restricted), refs (targets), ext id. Unknown facts print as `?`.
void PrintObject(std::ostream& out, const Object& object);
// Prints one field in detail, every fact on its own line, including picklist values,
// reference targets, compound parts, encoding, source and vendor extensions. `owner` names the
// object in the heading ("Account.Name"); may be empty.
void PrintField(std::ostream& out, const Field& field, std::string_view owner = {});

}  // namespace crmx::schema
