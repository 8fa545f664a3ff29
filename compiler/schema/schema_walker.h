// Defines the JSON-Schema walker shared by the OpenAPI and JSON Schema importers (internal to
// crmx_schema): it turns one schema node into a Field's Type and facets, resolving `$ref`
// (local, relative-file), merging `allOf`, mapping `oneOf`/`anyOf`, nullability (`nullable`,
// type arrays with "null"), formats and vendor extensions.
//
// References to named object schemas (OpenAPI `#/components/schemas/X` of an object) become
// Type::Named(X); everything else is inlined with a depth limit, so recursive schemas end in a
// warning instead of a stack overflow.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/schema/import_util.h"

namespace crmx::schema::detail {

enum class Dialect : uint8_t { kOpenApi30, kOpenApi31, kJsonSchema };

// One parsed document. Lives in the walker's cache for the whole import.
struct Doc {
  std::string path;
  Json root;
};

// A schema node and where it is.
struct Loc {
  const Doc* doc = nullptr;
  const Json* node = nullptr;
  std::string pointer;
};

class SchemaWalker {
 public:
  SchemaWalker(Dialect dialect, Schema& schema, std::vector<ImportWarning>& warnings)
      : dialect_(dialect), schema_(schema), warnings_(warnings) {}

  // Takes ownership of a parsed document and returns it (for the root file).
  const Doc* AddDoc(std::string path, Json root);

  // True when the node describes an object with properties (type object, `properties`, or an
  // allOf of such), after following refs.
  bool IsObjectLike(const Loc& loc, int depth = 0);

  // Builds an object from an object-like schema (properties, allOf merged, required lists).
  Object BuildObject(const std::string& name, const Loc& loc);

  // Builds one field of an object from its property schema.
  Field BuildField(const std::string& name, const Loc& loc, bool required);

  // Adds named objects that were referenced from other files (queued during walking) until none
  // is left. Call after the root document's objects are built.
  void DrainPending();

  void Warn(const Loc& loc, std::string message);
  void Warn(const Doc* doc, std::string pointer, std::string message);

 private:
  // Fills `f` (type and facets) from the schema at `loc`.
  Type Describe(const Loc& loc, Field& f, int depth);
  Type DescribeRef(const Loc& loc, Field& f, int depth);
  Type DescribeUnion(const Loc& loc, const char* keyword, Field& f, int depth);
  Type DescribeTyped(const Loc& loc, const std::string& type, Field& f, int depth);
  void ApplyFacets(const Loc& loc, Field& f);
  // Collects properties (following refs and allOf) into `obj`, required names into `required`.
  void CollectProperties(const Loc& loc, Object& obj, std::set<std::string>& required,
                         int depth);

  // Resolves a $ref relative to `from`; nullopt (after a warning) when it cannot be.
  std::optional<Loc> Resolve(const Loc& from, const std::string& ref);
  const Doc* LoadDoc(const std::string& path, const Loc& from);
  // "X" when `loc` is a named object component (OpenAPI), else empty.
  std::string NamedObject(const Loc& loc);

  Dialect dialect_;
  Schema& schema_;
  std::vector<ImportWarning>& warnings_;
  std::map<std::string, std::unique_ptr<Doc>> docs_;
  std::set<std::string> failed_docs_;
  // Documents given to AddDoc: their components are imported by the importer itself.
  std::set<const Doc*> root_docs_;
  struct Pending {
    std::string name;
    Loc loc;
  };
  std::vector<Pending> pending_;
  std::set<std::string> queued_;
};

}  // namespace crmx::schema::detail
