// Defines the plan: what `crmxc build` produces from a checked spec and `crmx-run` executes.
// A plan holds the systems, the lookup tables (entries, csv tables already loaded), the maps in
// dependency order with their expressions as VM bytecode, the syncs, and, per map, the
// projection: the only source fields a run reads. The file format (versioned JSON with a
// SHA-256 content hash) is documented field by field in docs/plan-format.md.
//
// This library belongs to the runtime: it depends on crmx_vm/crmx_value and nlohmann_json,
// never on the compiler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/value/value.h"
#include "runtime/vm/bytecode.h"

namespace crmx::plan {

// Version 6 added the ownership of target fields (TargetField::owner, ::constant); version 5
// `reconciles` and `alerts` (docs/plan-format.md says what each version added).
inline constexpr int kPlanVersion = 6;
// The oldest version ReadPlan accepts: a version-5 plan is read with Plan::ownership_known false.
inline constexpr int kOldestPlanVersion = 5;

struct Budget {
  std::string metric;  // api_calls, concurrency, requests
  int64_t amount = 0;
  std::optional<int64_t> period_ms;
  std::optional<double> warn_at_percent;
};

struct System {
  std::string name;  // "crm"
  std::string kind;  // "salesforce"
  std::optional<int64_t> batch;
  std::vector<Budget> budgets;
};

// A lookup table: its entries, in the spec's order (csv tables are loaded by `crmxc build`).
struct Table {
  std::string name;
  std::vector<std::pair<value::Value, value::Value>> entries;
};

// Where a program input comes from. Programs name their inputs (vm::Program::input_names);
// the plan says, per name, how the runtime binds it for one record.
enum class BindingKind {
  kField,     // a field of the source record: `field`
  kParent,    // a field of a parent record reached through `via` (Account.BillingCountry via AccountId)
  kChildren,  // the list of child records (maps of their projected fields) of `relation`
  kAssigned,  // a target field assigned earlier in the map
  kTable,     // a lookup table (a map value)
  kShared,    // a value of the map computed once per record (Map::shared): `field` names it
};
const char* BindingKindName(BindingKind k);

struct Binding {
  std::string name;  // the program input name ("Account.BillingCountry")
  BindingKind kind = BindingKind::kField;
  std::string relation;  // kParent/kChildren: the relationship name ("Account", "OpportunityLineItems")
  std::string field;     // kField/kParent/kAssigned: the field; kTable: the table
};

// The kind of value a field holds, as the connectors convert what they read (from the field's
// schema type): a JSON number or text in a decimal field becomes an exact decimal, not a double.
enum class FieldType { kAny, kString, kBool, kInt, kDouble, kDecimal, kDate, kDateTime };
const char* FieldTypeName(FieldType t);
bool ParseFieldType(const std::string& name, FieldType& out);

// A parent relationship (many-to-one) or a child relationship (one-to-many) a map reads.
struct Relation {
  std::string name;    // "Account", "OpportunityLineItems"
  bool child = false;  // true: child records point to the source record through `via`
  std::string object;  // the related object ("Account", "OpportunityLineItem")
  std::string via;     // parent: the source's reference field (AccountId); child: the child's field (OpportunityId)
  std::string id_field;  // parent: the parent object's own id field ("Id"), what `via` holds
  std::vector<std::string> fields;  // the related object's fields read (projection), sorted
  std::vector<FieldType> types;     // per field of `fields`
  // Children: their change cursor (one of `fields`): a child changed since the last run makes
  // its parent changed. Empty for parents, or when the child object has none.
  std::string cursor;
};

// The fields of its source a map reads: its own fields and those of related records.
struct Projection {
  std::vector<std::string> fields;  // sorted, unique
  std::vector<FieldType> types;     // per field of `fields`
  std::vector<Relation> relations;
};

// A target field a map writes: the assigned fields in the target schema's order (fields the
// schema does not list come last, in step order), with what a writer needs to encode them.
struct TargetField {
  std::string name;  // as the spec writes it: "companyName", "CustomerRef.value"
  // `name` split at its dots: {"CustomerRef", "value"}. A writer nests the value there (an
  // object per level), never a flat key with a dot in it.
  std::vector<std::string> path;
  FieldType type = FieldType::kAny;
  std::optional<int> scale;  // decimals: digits after the point the target stores
  // The field holds another record's id in the target system (a schema `reference`:
  // NetSuite `entity`, QuickBooks `CustomerRef.value`). NetSuite's REST writes it {"id": v}.
  bool reference = false;
  // The schema lets a create set it but not an update (NetSuite `subsidiary`: createable,
  // not updateable). A writer leaves it out when the record turns out to exist already.
  bool create_only = false;
  // The vendor's own name or form when it differs from `name`, from the schema's extensions:
  // a NetSuite sublist ("item" for SalesOrder.lines, written {"item": {"items": [...]}}).
  std::string sublist;
  // A list of objects (order lines): the fields of its elements, with the same facts but for
  // ownership: the list field's owner covers its rows.
  std::vector<TargetField> element;
  // Its system of record, as the compiler's ownership rules decide it (compiler/check/
  // ownership.h): the target system when an `owner` block claims the field, the source system
  // when the value copies a field the source system owns, "" when nobody owns it (or for a
  // constant). Unknown in a plan read from version 5 (Plan::ownership_known).
  std::string owner;
  // The value reads no source field (`Active = true`): the integration's own, not a synced field.
  bool constant = false;
};

enum class StepKind { kKey, kRequire, kAssign, kRef };
const char* StepKindName(StepKind k);

// One statement of a map, in spec order.
struct Step {
  StepKind kind = StepKind::kAssign;
  std::string target;   // kKey/kAssign/kRef: the target field
  std::string reason;   // kRequire: the reason after `else`
  std::optional<std::string> flag;  // kAssign: `flag "label"`
  vm::Program program;  // the value (kRef: the source id); kRequire: the predicate
  // kAssign with a flag: the first operand of the `??` chain; the flag fires when it is null
  // or fails. Absent: the flag fires on every record.
  std::optional<vm::Program> flag_probe;
  std::string ref_map;  // kRef: the map whose id cross-reference resolves the id
  // kRef of a `ref` inside a larger expression (`CustomerRef = {value: ref(m, AccountId)}`):
  // the resolved id is not a target field but a value of the record that later steps load
  // by `target` (a kAssigned binding). Unresolved, the record waits as for any `ref`.
  bool local = false;
  std::vector<Binding> bindings;  // one per program input (and flag_probe input), by name
};

struct ObjectName {
  std::string system;
  std::string object;
};

// A conjunct of a sync's `when`; a record failing it is skipped with `reason`.
struct WhenPart {
  std::string reason;  // "StageName is not Closed Won"
  vm::Program program;
  std::vector<Binding> bindings;
};

// Predicate pushdown: a `when` conjunct `FIELD OP CONSTANT` on the map's source object's own
// field, in a form a connector can apply while it reads (runtime/plan/pushdown.h). It only
// narrows the read: the engine still evaluates every conjunct of `when`.
enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn };

struct SourceCondition {
  std::string field;  // "StageName"
  FilterOp op = FilterOp::kEq;
  value::Value value;  // the constant; kIn: a list of constants
  size_t when = 0;     // the index of the conjunct in Sync::when it comes from
};

// A call two or more statements of a map compute (`Name.trim()` in a require and in an
// assignment): computed at most once per record, when a statement first needs it.
struct SharedValue {
  std::string name;  // the input name statements load it by ("shared:Name.trim()")
  vm::Program program;
  std::vector<Binding> bindings;
};

// The deletion marker of a source whose records carry none (NetSuite): a pseudo-field of the
// projection that its connector fills, false for the records it reads and true for the
// deletions it learns otherwise (SOAP getDeleted). `@` is in no vendor's field names, nor can
// a spec name it, so it cannot clash with a real field; a file or SQLite source has no such
// column and reads it as null (not deleted).
inline constexpr const char* kDeletedMarker = "@deleted";

struct Map {
  std::string name;
  ObjectName source;
  ObjectName target;
  std::vector<std::string> depends_on;  // maps it `ref`s (they come earlier in Plan::maps)
  // Maps that `ref` this one: only their source ids need this map's id cross-reference kept.
  std::vector<std::string> referenced_by;
  Projection projection;
  std::vector<TargetField> target_fields;
  std::vector<SharedValue> shared;
  std::vector<Step> steps;
  // The source field that says when a record last changed (Salesforce `SystemModstamp`), read
  // with the projection: a run with a state file skips records not changed since the last run
  // (docs/operations.md). Empty: every run reads every record.
  std::string cursor;
  // The source's deletion marker (Salesforce `IsDeleted`, HubSpot `archived`, or for NetSuite
  // kDeletedMarker, which its connector fills), read with the projection: a record read with it
  // true was deleted at the source (docs/operations.md, "Deletions"). Empty when the source
  // object has none.
  std::string deleted_field;
  // Record identity from the schemas: the source object's own id field ("Id" for Salesforce,
  // "id" for NetSuite; children join on it) and the target object's ("id"): what a `ref` to
  // this map's records resolves to is the target's own id. Empty when the schema names none.
  std::string source_id;
  std::string target_id;
  // Records per call: per read of the source, per write to the target (docs/plan-format.md
  // says how they are chosen).
  int64_t read_batch = 0;
  int64_t write_batch = 0;
};

struct Retry {
  int64_t attempts = 0;
  std::string backoff;  // exponential, fixed, linear; empty when unspecified
  std::vector<int64_t> backoff_args_ms;
  bool jitter = false;
};

struct Sync {
  std::string map;
  std::string trigger;  // "on_change", "every", "daily_at"
  int64_t every_ms = 0;
  std::string daily_at;  // "02:00" (zone appended when given)
  std::vector<WhenPart> when;  // conjuncts of `when`, in order; empty: every record
  // The conjuncts of `when` a source read may apply (predicate pushdown), in `when` order.
  std::vector<SourceCondition> pushdown;
  std::optional<Retry> retry;
  std::vector<std::string> on_exhausted;  // "dead_letter", "notify", "hold: reason"
};

// A spec test (`test "name" { given ...; expect ... }`), run by `crmxc test` on in-memory
// systems (runtime/spectest). Field values are constants the builder evaluated on the VM,
// typed by the fields' schema types as the checker types literals (`Amount: 92000.00` of a
// currency field is a decimal).
struct GivenRecord {
  std::string system;
  std::string object;
  std::vector<std::pair<std::string, value::Value>> fields;  // in the spec's order
  std::string name;  // `given won: crm.Opportunity {...}`: "won"; "" when unnamed
};

enum class ExpectKind { kRecord, kException, kHold, kFlag, kSkipped };
const char* ExpectKindName(ExpectKind k);

struct Expectation {
  ExpectKind kind = ExpectKind::kRecord;
  std::string system;  // kRecord: the target system and object written
  std::string object;
  // kRecord: the values the record must have (none: any record of the object)
  std::vector<std::pair<std::string, value::Value>> fields;
  std::string text;  // kException, kHold: the reason; kFlag: the label
  bool any = false;  // kException, kHold, kFlag: no reason or label written: any matches
  bool negated = false;  // `expect no ...` / `expect not ...`: nothing of the kind happened
  std::string record;  // `expect won ...`: about the given record named "won" only; "" every record
};

struct SpecTest {
  std::string name;
  std::vector<GivenRecord> given;
  std::vector<Expectation> expect;  // in the spec's order
  // `now "2026-03-01T09:30:00Z"`: the instant now() and today() read (RFC 3339); "" when the
  // test does not pin the clock (they read the test's start).
  std::string now;
};

// `conflicts latest_wins grace 60s audit` (docs/operations.md, "Conflicts"): a field two maps
// copy into each other (T.f from S.g, S.g from T.f) with no owner is settled per record.
struct Conflicts {
  std::string strategy;  // "latest_wins"
  int64_t grace_ms = 0;
  bool audit = false;  // every settled conflict recorded (state table `audit`, crmx-run audit)
};

// One side of a reconcile's key pair or of one of its rules: an expression over that side's
// record, lowered as a map's statements are; every binding is a field of the record (kField,
// one of its side's `fields`).
struct ReconcileExpr {
  std::string text;  // as the spec writes it: "Amount", "!isInactive"
  vm::Program program;
  std::vector<Binding> bindings;
};

// How far apart a rule's two values may be (docs/operations.md, "Reconciliation").
enum class ToleranceKind {
  kExact,     // no `within`: equal (numbers by value: 1.5 == 1.50)
  kPercent,   // `within 2%`: |right - left| <= |left| * within / 100
  kAbsolute,  // `within 100`: |right - left| <= within
};
const char* ToleranceKindName(ToleranceKind k);
bool ParseToleranceKind(const std::string& name, ToleranceKind& out);

// `Amount ~ total within 2%`.
struct ReconcileRule {
  ReconcileExpr left;
  ReconcileExpr right;
  ToleranceKind tolerance = ToleranceKind::kExact;
  decimal::Decimal within;  // kPercent: a percentage of the left value; kAbsolute: an amount; >= 0
};

// A conjunct of `by`: `Id == externalId`, the left side's expression and the right side's.
struct ReconcileKey {
  ReconcileExpr left;
  ReconcileExpr right;
};

// What a reconcile reads of one side.
struct ReconcileSide {
  ObjectName object;                // crm.Opportunity
  std::vector<std::string> fields;  // the projection: sorted, unique
  std::vector<FieldType> types;     // per field of `fields`
  std::string id_field;             // the object's own id field per its schema; "" when none
  int64_t read_batch = 0;           // records per read call (Map::read_batch's rule); 0: the connector's
  // The plan's map that carries this side's records to the other side's object, keyed by the
  // reconcile's key pair (`won_to_order` for crm.Opportunity: `key externalId = Id`); "" when
  // there is none. Its sync's `when` says which of this side's records the other side is
  // expected to have (those fields are in `fields`); its queues, which are known to be missing.
  std::string carried_by;
};

// `reconcile daily crm.Opportunity ~ erp.SalesOrder by Id == externalId { Amount ~ total within 2% }`.
struct Reconcile {
  // The spec names none: "crm.Opportunity~erp.SalesOrder", the left and right objects; a second
  // reconcile of the same two objects gets "#2" appended, a third "#3" (in spec order).
  std::string name;
  std::string schedule;  // "daily", "hourly", "every"
  std::string at;        // daily: "02:00" (the zone appended when given); "" when not said
  int64_t every_ms = 0;  // every: the period
  ReconcileSide left;
  ReconcileSide right;
  std::vector<ReconcileKey> keys;    // the conjuncts of `by`, in order: records match on all of them
  std::vector<ReconcileRule> rules;  // in spec order
};

// Who an alert tells (docs/serve.md, "Alerts and notifications"): a channel the profile's
// `notify:` section names (`notify "finance-ops"`), or the owner of a record linked to the
// alerted one (`notify owner_of(crm.Opportunity)`), told by email.
struct NotifyTarget {
  std::string text;     // as the spec writes it: "finance-ops", "owner_of(crm.Opportunity)"
  std::string channel;  // a channel's name; "" for an owner
  // owner_of(SYSTEM.OBJECT): the record of `owner_object` whose `link_key` field equals the
  // alerted record's `link_field` (the key pair of the plan's map `link_map` between the two
  // objects; "" when the owner object is the alerted one, then linked by its own id), its
  // `owner_field` (the id of a `user_object` record) and that user's `user_email`.
  ObjectName owner_object;
  std::string link_map, link_field, link_key;
  std::string owner_field;  // "OwnerId"
  std::string user_object;  // "User"
  std::string user_id;      // "Id"
  std::string user_email;   // "Email"
};

// `alert NAME on SYS.OBJ when PRED for DURATION notify TARGET, ...`: a record of the object for
// which `when` holds without a break for `for_ms` fires the alert once (runtime/watch/alerts.h).
struct Alert {
  std::string name;
  ObjectName object;
  // What a read of the object fetches: `when`'s fields and the owners' link fields (no
  // relations: an alert reads its records' own fields).
  Projection projection;
  std::string id_field;           // the object's own id field: the record key an alert's timers are kept by
  std::string condition;          // `when` as the spec writes it, for the notifications
  std::vector<WhenPart> when;     // the conjuncts of `when`: the record matches when all hold
  std::vector<SourceCondition> pushdown;  // the conjuncts a read may apply (as Sync::pushdown)
  int64_t for_ms = 0;
  std::vector<NotifyTarget> notify;  // in spec order
  int64_t read_batch = 0;            // records per read call (Map::read_batch's rule)
};

struct Plan {
  std::string compiler;  // "crmxc 0.1.0"
  std::string integration;
  std::string spec_version;
  std::vector<System> systems;
  std::vector<Table> tables;
  std::vector<Map> maps;  // dependency order: a map comes after the maps it refs
  std::vector<Sync> syncs;
  std::vector<SpecTest> tests;  // the spec's tests, in spec order
  std::optional<Conflicts> conflicts;
  std::vector<Reconcile> reconciles;  // in spec order
  std::vector<Alert> alerts;          // in spec order
  // False for a plan read from a version-5 file, which predates ownership: every target field's
  // `owner` is then "" because nobody knows it, not because nobody owns it (rebuild the plan).
  // WritePlan writes such a plan as version 5 again.
  bool ownership_known = true;

  const Map* FindMap(const std::string& name) const;
  const Table* FindTable(const std::string& name) const;
  const Sync* FindSync(const std::string& map) const;
  const System* FindSystem(const std::string& name) const;
  const Reconcile* FindReconcile(const std::string& name) const;
};

// Serializes `plan` as the plan file text (docs/plan-format.md), content hash included.
std::string WritePlan(const Plan& plan);
// The content hash of a plan: "sha256:" + hex of SHA-256 over the canonical body text.
std::string ContentHash(const Plan& plan);
// ReadPlan refuses a text whose arrays and objects nest deeper than this (a parser recursing
// per level would run out of stack first).
inline constexpr size_t kMaxPlanNesting = 1000;
// The deepest nesting of arrays and objects in JSON text (brackets inside strings skipped).
size_t JsonNesting(const std::string& text);

// Parses plan file text. False with `error` set when the text is not a plan, its version is
// not kOldestPlanVersion..kPlanVersion, its hash does not match its body, or a field is
// malformed.
bool ReadPlan(const std::string& text, Plan& out, std::string& error);
bool ReadPlanFile(const std::string& path, Plan& out, std::string& error);

// Value <-> JSON text codec of the format (used for constants and table entries); exposed for
// the connectors' tests.
std::string ValueToJsonText(const value::Value& v);
bool ValueFromJsonText(const std::string& text, value::Value& out, std::string& error);

}  // namespace crmx::plan
