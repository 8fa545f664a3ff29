// Defines the crmx abstract syntax tree: the output of the parse phase and the input of the
// checker. Every node carries the Span of the source text it came from.
//
// Ownership: a Module owns its declarations, which own their expressions (unique_ptr). Nodes
// are not copied. Optional children are null pointers; each is documented where it may be.
// The AST knows nothing about ANTLR: compiler/syntax/ builds it from the parse tree.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/base/source.h"

namespace crmx::ast {

// A name as written (backticks removed) and where.
struct Name {
  std::string text;
  Span span;
};

// ------------------------------------------------------------------------------ expressions
enum class ExprKind {
  Literal,      // 1, 1u, 1.5, 1.50m, "s", b"s", true, null, 48h
  Ident,        // Name
  Select,       // operand.field
  Call,         // f(args) or operand.f(args) (receiver-style); macros are calls too
  Index,        // operand[index]
  List,         // [a, b]
  MapLit,       // {k: v}
  Unary,        // !x, -x
  Binary,       // arithmetic, comparison, logical, `in`
  Conditional,  // c ? a : b
  Coalesce,     // a ?? b
  Hold,         // hold "reason"
  Ref,          // ref(map, id)
};

struct Expr {
  explicit Expr(ExprKind k, Span s) : kind(k), span(s) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  template <typename T>
  const T* As() const { return kind == T::kKind ? static_cast<const T*>(this) : nullptr; }
  template <typename T>
  T* As() { return kind == T::kKind ? static_cast<T*>(this) : nullptr; }

  ExprKind kind;
  Span span;
  // Dense per-module id, for side tables of later phases (types, constant values).
  uint32_t id = 0;
};
using ExprPtr = std::unique_ptr<Expr>;

enum class LiteralKind { Int, Uint, Double, Decimal, String, Bytes, Bool, Null, Duration };

struct LiteralExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Literal;
  explicit LiteralExpr(Span s) : Expr(kKind, s) {}
  LiteralKind literal = LiteralKind::Null;
  std::string text;           // the lexeme as written
  std::string string_value;   // String/Bytes: decoded; Decimal: digits without the `m`
  int64_t int_value = 0;      // Int; Duration in milliseconds; Bool as 0/1
  uint64_t uint_value = 0;    // Uint
  double double_value = 0.0;  // Double
};

struct IdentExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Ident;
  explicit IdentExpr(Span s) : Expr(kKind, s) {}
  Name name;
};

struct SelectExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Select;
  explicit SelectExpr(Span s) : Expr(kKind, s) {}
  ExprPtr operand;
  Name field;
};

struct CallExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Call;
  explicit CallExpr(Span s) : Expr(kKind, s) {}
  ExprPtr receiver;  // null for a global call `f(x)`
  Name function;
  std::vector<ExprPtr> args;
};

struct IndexExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Index;
  explicit IndexExpr(Span s) : Expr(kKind, s) {}
  ExprPtr operand;
  ExprPtr index;
};

struct ListExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::List;
  explicit ListExpr(Span s) : Expr(kKind, s) {}
  std::vector<ExprPtr> elements;
};

struct MapEntry {
  // Exactly one of field_key (a bare name: the string key) and key (an expression) is set.
  std::optional<Name> field_key;
  ExprPtr key;
  ExprPtr value;
  Span span;
};

struct MapExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::MapLit;
  explicit MapExpr(Span s) : Expr(kKind, s) {}
  std::vector<MapEntry> entries;
};

enum class UnaryOp { Not, Negate };

struct UnaryExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Unary;
  explicit UnaryExpr(Span s) : Expr(kKind, s) {}
  UnaryOp op = UnaryOp::Not;
  ExprPtr operand;
};

enum class BinaryOp { Mul, Div, Mod, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, In, And, Or };
const char* Spelling(BinaryOp op);

struct BinaryExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Binary;
  explicit BinaryExpr(Span s) : Expr(kKind, s) {}
  BinaryOp op = BinaryOp::Add;
  Span op_span;
  ExprPtr left;
  ExprPtr right;
};

struct ConditionalExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Conditional;
  explicit ConditionalExpr(Span s) : Expr(kKind, s) {}
  ExprPtr cond;
  ExprPtr then;
  ExprPtr otherwise;
};

struct CoalesceExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Coalesce;
  explicit CoalesceExpr(Span s) : Expr(kKind, s) {}
  ExprPtr value;
  ExprPtr fallback;
};

struct HoldExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Hold;
  explicit HoldExpr(Span s) : Expr(kKind, s) {}
  std::string reason;
  Span reason_span;
};

struct RefExpr : Expr {
  static constexpr ExprKind kKind = ExprKind::Ref;
  explicit RefExpr(Span s) : Expr(kKind, s) {}
  Name map;
  ExprPtr source_id;  // the id in the source system, looked up in the map's cross-reference
};

// ------------------------------------------------------------------------------ declarations
enum class DeclKind { Import, Use, System, Owner, Table, Map, Sync, Conflicts, Alert, Reconcile, Test };
const char* Spelling(DeclKind kind);

struct Decl {
  explicit Decl(DeclKind k, Span s) : kind(k), span(s) {}
  virtual ~Decl() = default;
  Decl(const Decl&) = delete;
  Decl& operator=(const Decl&) = delete;

  template <typename T>
  const T* As() const { return kind == T::kKind ? static_cast<const T*>(this) : nullptr; }

  DeclKind kind;
  Span span;
};
using DeclPtr = std::unique_ptr<Decl>;

// `import "lib/common.crmx" as common`
struct ImportDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Import;
  explicit ImportDecl(Span s) : Decl(kKind, s) {}
  std::string path;
  Span path_span;
  std::optional<Name> alias;
};

// `use std.text, std.geo`: each module path as its dotted parts.
struct UseDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Use;
  explicit UseDecl(Span s) : Decl(kKind, s) {}
  struct Module {
    std::vector<Name> parts;
    Span span;
    std::string Dotted() const;
  };
  std::vector<Module> modules;
};

struct SchemaSetting {
  std::string path;
  Span span;
  std::optional<Name> format;  // `as openapi`
};

struct BudgetSetting {
  Name metric;              // api_calls, concurrency, requests...
  int64_t amount = 0;
  std::optional<int64_t> period_ms;
  std::optional<double> warn_at_percent;
  Span span;
};

// An argument of an overlay type: `40` in `string(40)`, `"Paid"` in `picklist("Open", "Paid")`,
// `Customer` in `reference(Customer)`.
struct OverlayTypeArg {
  enum class Kind { Int, String, Name };
  Kind kind = Kind::Int;
  int64_t int_value = 0;
  std::string text;  // String: the value; Name: the name
  Span span;
};

// The type of a schema overlay: `string(40)`, `decimal(18, 2)`, `picklist("Open", "Paid")`.
struct OverlayType {
  Name name;
  std::vector<OverlayTypeArg> args;
  Span span;
};

// `field Invoice.TotalAmt readonly`, `field Account.Crmx_Id__c: string(40) external_id`: a
// schema overlay, what the spec says about a field where the vendor's schema file is wrong or
// silent. `path` is the field, then the fields nested in it (`Line.Amount`). The checker
// (check/overlays.h) applies overlays to the imported schema before anything reads it.
struct FieldOverlay {
  Name object;
  std::vector<Name> path;
  std::optional<OverlayType> type;
  std::vector<Name> facts;  // readonly, required, external_id, ... as written
  Span span;
};

// `system crm: salesforce { schema ...; budget ...; batch N; field ... }`
struct SystemDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::System;
  explicit SystemDecl(Span s) : Decl(kKind, s) {}
  Name name;
  Name system_kind;
  std::vector<SchemaSetting> schemas;
  std::vector<BudgetSetting> budgets;
  std::optional<int64_t> batch;
  Span batch_span;
  std::vector<FieldOverlay> overlays;
};

// `Account { Name, Phone }` or `Opportunity { * except X, Y }` inside `owner crm { ... }`.
struct OwnedObject {
  Name object;
  bool all_fields = false;      // `*`
  std::vector<Name> fields;     // listed fields, or the exceptions when all_fields
  Span span;
};

struct OwnerDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Owner;
  explicit OwnerDecl(Span s) : Decl(kKind, s) {}
  Name system;
  std::vector<OwnedObject> objects;
};

struct TypeRef {
  Name name;
  std::vector<TypeRef> args;
  Span span;
};

struct NamedArg {
  Name name;
  ExprPtr value;
};

// `table name: type = {...}` or `table name = csv("file.csv", key: "k", value: "v")`.
struct TableDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Table;
  explicit TableDecl(Span s) : Decl(kKind, s) {}
  Name name;
  std::optional<TypeRef> type;
  // Exactly one of: a literal value, or a CSV source.
  ExprPtr value;
  std::optional<std::string> csv_path;
  Span csv_span;
  std::vector<NamedArg> csv_args;
};

struct ObjectRef {
  Name system;
  Name object;
  Span span;
};

enum class MapStmtKind { Key, Require, Assign };

struct MapStmt {
  MapStmtKind kind = MapStmtKind::Assign;
  Span span;
  std::vector<Name> target;  // Key/Assign: the target field path
  ExprPtr value;             // Key/Assign: the value; Require: the predicate
  std::optional<std::string> reason;  // Require: the reason after `else`
  Span reason_span;
  std::optional<std::string> flag;    // Assign: `flag "label"`
  Span flag_span;
};

// `map NAME: crm.A -> erp.B { ... }`
struct MapDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Map;
  explicit MapDecl(Span s) : Decl(kKind, s) {}
  Name name;
  ObjectRef source;
  ObjectRef target;
  std::vector<MapStmt> stmts;
  Span open_brace;
};

enum class TriggerKind { OnChange, Every, DailyAt };

struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  std::optional<std::string> zone;
  Span span;
};

struct RetryPolicy {
  int64_t attempts = 0;
  std::optional<Name> backoff;          // exponential, fixed, linear...
  std::vector<int64_t> backoff_args_ms;
  bool jitter = false;
  Span span;
};

enum class ExhaustedActionKind { DeadLetter, Notify, Hold };

struct ExhaustedAction {
  ExhaustedActionKind kind = ExhaustedActionKind::DeadLetter;
  std::vector<ExprPtr> targets;  // Notify
  std::string reason;            // Hold
  Span span;
};

// `sync M on change when PRED { retry ...; on exhausted ... }`, `sync M every 1h`,
// `sync M daily at 02:00`.
struct SyncDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Sync;
  explicit SyncDecl(Span s) : Decl(kKind, s) {}
  Name map;
  TriggerKind trigger = TriggerKind::OnChange;
  Span trigger_span;
  int64_t every_ms = 0;        // Every
  TimeOfDay daily_at;          // DailyAt
  ExprPtr when;                // may be null
  std::optional<RetryPolicy> retry;
  std::vector<ExhaustedAction> on_exhausted;
};

// `conflicts latest_wins grace 60s audit`
struct ConflictsDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Conflicts;
  explicit ConflictsDecl(Span s) : Decl(kKind, s) {}
  Name strategy;
  std::optional<int64_t> grace_ms;
  bool audit = false;
};

// `alert NAME on erp.X when PRED for 48h notify TARGET, ...`
struct AlertDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Alert;
  explicit AlertDecl(Span s) : Decl(kKind, s) {}
  Name name;
  ObjectRef object;
  ExprPtr when;
  int64_t for_ms = 0;
  std::vector<ExprPtr> notify;
};

enum class ScheduleKind { Daily, Hourly, Every };

struct ReconcileRule {
  ExprPtr left;
  ExprPtr right;
  std::optional<double> tolerance;  // absent: exact
  // The tolerance's number as written ("2", "0.5", "1e3"; a hex INT in decimal digits): the
  // plan keeps it exact, as a decimal, never through `tolerance`'s double.
  std::string tolerance_text;
  bool tolerance_percent = false;
  Span span;
};

// `reconcile daily crm.A ~ erp.B by k == k2 { f ~ g within 2% }`
struct ReconcileDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Reconcile;
  explicit ReconcileDecl(Span s) : Decl(kKind, s) {}
  ScheduleKind schedule = ScheduleKind::Daily;
  std::optional<TimeOfDay> at;
  int64_t every_ms = 0;
  ObjectRef left;
  ObjectRef right;
  ExprPtr by;
  std::vector<ReconcileRule> rules;
};

struct FieldInit {
  Name name;
  ExprPtr value;
};

struct RecordLit {
  ObjectRef object;
  std::vector<FieldInit> fields;
  Span span;
};

// `now "2026-03-01T09:30:00Z"` pins the test's clock (Now); `expect [RECORD] [no|not] ...`
// is an expectation, about every record or about the given record named RECORD.
enum class TestStmtKind { Given, Now, ExpectRecord, ExpectException, ExpectHold, ExpectFlag, ExpectSkipped };

struct TestStmt {
  TestStmtKind kind = TestStmtKind::Given;
  std::optional<RecordLit> record;  // Given, ExpectRecord (no fields when written without a body)
  std::string text;                 // the reason or label of the other kinds; Now: the instant
  Span text_span;                   // Now: where the instant is written
  // Given: the record's name (`given won: crm.Opportunity {...}`); an expectation: the given
  // record it is about (`expect won hold "..."`). Empty text: none.
  Name record_name;
  bool negated = false;     // `expect no flag "L"`, `expect not written erp.X {...}`
  bool has_text = true;     // ExpectException, ExpectHold, ExpectFlag: a reason or label is written
  bool written_word = false;  // ExpectRecord: `written` is written
  bool has_body = true;     // ExpectRecord: the record has `{ ... }`
  Span span;
};

// `test "name" { given ...; expect ... }`
struct TestDecl : Decl {
  static constexpr DeclKind kKind = DeclKind::Test;
  explicit TestDecl(Span s) : Decl(kKind, s) {}
  std::string name;
  Span name_span;
  std::vector<TestStmt> stmts;
};

// What a file is: an integration spec, or a module of shared declarations that specs import.
// Unknown when the file is empty or its block could not be parsed.
enum class FileKind { Integration, Module, Unknown };

// One parsed file: `integration NAME [version "V"] { items }` or `module NAME { items }`.
struct Module {
  FileId file = kNoFile;
  FileKind kind = FileKind::Unknown;
  Name name;                          // the integration's or module's name
  std::optional<std::string> version;
  Span header;                        // from the first keyword to the `{`
  std::vector<DeclPtr> items;         // in source order
  uint32_t expr_count = 0;            // ids of expressions are 0..expr_count-1

  bool is_integration() const { return kind == FileKind::Integration; }

  template <typename T>
  std::vector<const T*> All() const {
    std::vector<const T*> out;
    for (const DeclPtr& d : items) {
      if (const T* t = d->As<T>()) out.push_back(t);
    }
    return out;
  }
};

}  // namespace crmx::ast
