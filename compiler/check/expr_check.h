// Defines the typing of expressions: every expression gets a Typed (type + nullability) in a
// scope that says what bare names mean (fields of a source record, target fields already
// assigned, macro variables, tables). Reports unknown names and fields, calls that do not fit a
// function, operators on the wrong types, unhandled failures of fallible calls and lookups,
// non-bool conditions, and values that do not fit where they are assigned.
//
// The rules are in docs/types.md. The checker of declarations (map_check.cpp) creates one
// ExprChecker per scope.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/check/systems.h"
#include "compiler/check/types.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// One member of a record: a field, a relationship (`Account` through `AccountId`) or a child
// relationship (`OpportunityLineItems`: a list of child records).
struct Member {
  Type type;
  bool nullable = false;
  const schema::Field* field = nullptr;  // null for relationships
};

// What holds for the whole module check: tables, maps, `use`d modules, the systems.
// Lifetime: borrows everything; lives for one CheckTypes call.
struct TypeEnv {
  diag::DiagnosticSink* sink = nullptr;
  const Systems* systems = nullptr;
  std::set<std::string, std::less<>> used_modules;             // "std.geo"
  std::unordered_map<std::string, Typed> tables;               // by table name
  struct MapInfo {
    const ast::MapDecl* decl = nullptr;
    std::optional<Type> source;  // records; empty when the object is unknown
    std::optional<Type> target;
  };
  std::unordered_map<std::string, MapInfo> maps;               // by map name
  // Types of the root module's expressions, by Expr::id (null: not recorded).
  std::vector<Typed>* types = nullptr;

  // Members of a record by name, including relationships; computed once per object.
  std::optional<Member> FindMember(const Type& record, std::string_view name);
  // Every member name of a record, for "did you mean".
  std::vector<std::string> MemberNames(const Type& record);

 private:
  struct Relations {
    std::unordered_map<std::string, const schema::Field*> parents;         // relationship name -> reference field
    std::unordered_map<std::string, const schema::ChildRelationship*> children;
  };
  const Relations& RelationsOf(const schema::Object* object);
  std::unordered_map<const schema::Object*, Relations> relations_;
};

// What bare names mean in one expression context.
struct Scope {
  const Type* record = nullptr;  // bare names are fields of this record (a map's source...)
  const Type* second = nullptr;  // ...then of this one (reconcile `by`: the right side)
  // Target fields assigned so far in a map body, readable by later statements.
  const std::unordered_map<std::string, Typed>* assigned = nullptr;
  // Paths proved non-null by a `require P != null` of the map ("BillingCountry", "Account.Name").
  const std::unordered_set<std::string>* non_null = nullptr;
  // In a spec test record: no bare names at all.
};

class ExprChecker {
 public:
  ExprChecker(TypeEnv& env, Scope scope) : env_(env), scope_(scope) {}

  // Types `e`. `expected` is the type of the place the value goes, when known: it types
  // literals contextually (a double literal is a decimal where a decimal is expected; a map
  // literal is a record where a record is expected).
  Typed Check(const ast::Expr& e, const Type* expected = nullptr);
  // Types a condition (`when`, `require`, alert, reconcile `by`) and reports E0310 when it is
  // not a bool. Failures of fallible calls inside count as false, so they are handled.
  void CheckCondition(const ast::Expr& e, std::string_view what);
  // Types `value` for a place of type `to` and checks that it fits: E0307, and the warnings
  // E0311 (length) and E0312 (scale, precision). `to_name` names the place in messages.
  Typed CheckValueFor(const ast::Expr& value, const Type& to, const std::string& to_name);
  // Checks an already typed value against a place (see CheckValueFor).
  void CheckFits(const ast::Expr& value, const Typed& typed, const Type& to, const std::string& to_name);
  // Fallible calls and lookups are handled in this checker's expressions (a test record).
  void set_failures_handled() { handled_ = 1; }

  // A short rendering of an expression for messages: `Name.trim()`, `state_code(...)`.
  static std::string Text(const ast::Expr& e);
  // "BillingCountry" or "Account.BillingCountry" for name paths; empty otherwise.
  static std::string PathOf(const ast::Expr& e);

 private:
  Typed CheckIdent(const ast::IdentExpr& e);
  // Whether `name` is a variable, field or table in scope (not a namespace such as `math`).
  bool Resolves(const std::string& name) const;
  Typed CheckMacro2(const ast::CallExpr& e);
  Typed CheckSelect(const ast::SelectExpr& e);
  Typed CheckCall(const ast::CallExpr& e, const Type* expected);
  Typed CheckMacro(const ast::CallExpr& e, const Type* expected);
  Typed CheckHas(const ast::CallExpr& e);
  Typed CheckIndex(const ast::IndexExpr& e);
  Typed CheckList(const ast::ListExpr& e, const Type* expected);
  Typed CheckMapLit(const ast::MapExpr& e, const Type* expected);
  Typed CheckUnary(const ast::UnaryExpr& e);
  Typed CheckBinary(const ast::BinaryExpr& e);
  Typed CheckRef(const ast::RefExpr& e);
  Typed Literal(const ast::LiteralExpr& e, const Type* expected);
  Typed Record(const ast::Expr& e, Typed t);
  void Unhandled(const ast::Expr& e, const std::string& what, const std::string& why);
  void Report(diag::Diagnostic d) { env_.sink->Report(std::move(d)); }

  TypeEnv& env_;
  Scope scope_;
  // Macro variables in scope, innermost last.
  std::vector<std::pair<std::string, Typed>> vars_;
  // > 0 while checking what `??` handles (its left operand) or a condition.
  int handled_ = 0;
};

// Checks a standalone expression (`crmxc eval`, tests): every standard module in scope without
// `use`, `vars` as named inputs, failures of fallible calls allowed (the value is the error).
// `types` receives the type of each expression by Expr::id (sized by the caller); diagnostics
// go to `sink`. Returns the expression's type.
Typed CheckStandaloneExpr(const ast::Expr& e, const std::unordered_map<std::string, Typed>& vars,
                          std::vector<Typed>& types, diag::DiagnosticSink& sink);

}  // namespace crmx::check
