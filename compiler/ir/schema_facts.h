// Defines what the plan builder reads off the schemas and the AST for more than one construct
// (maps, reconciles): a field reference's dotted name, a field found at a dotted path through
// object-typed fields, what a connector converts a field to, and an object's own id field.
// Defined in plan_builder.cpp.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/schema/model.h"
#include "runtime/plan/plan.h"

namespace crmx::ir {

// `Account.BillingCountry` -> "Account.BillingCountry", `Name` -> "Name"; "" for anything
// that is not a chain of names.
std::string Dotted(const ast::Expr& e);
// "Account.BillingCountry" -> "Account".
std::string RootName(const std::string& dotted);
// What a connector converts a field's values to, from its schema type (kAny for null).
plan::FieldType WireType(const schema::Field* f);
// "CustomerRef.value" -> {"CustomerRef", "value"}.
std::vector<std::string> SplitPath(const std::string& name);
// The object a kObject type (or a list of them) holds: inline or named in `schema`.
const schema::Object* NestedObject(const schema::Type& t, const schema::Schema* schema);
// The field a dotted path names, through object-typed fields; nullptr when a segment is
// missing or not an object. `object` may be null (then nullptr).
const schema::Field* FieldAt(const schema::Object* object, const std::string& path, const schema::Schema* schema);
// The object's own id field per its schema (plan::Map::source_id's rule); "" when none.
std::string IdField(const schema::Object* o);

}  // namespace crmx::ir
