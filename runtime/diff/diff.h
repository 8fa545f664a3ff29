// Defines what `crmx-run diff OLD_PLAN NEW_PLAN` computes (runtime/cli/diff_command.h): two dry
// evaluations of the same source records (engine::RunOptions::evaluate_only), one per plan,
// compared record by record and map by map:
// - each evaluation's per-record outcomes are spilled, per map, to a file in the order read
//   (SpillWriter: one JSON line a record: its id, key, outcome, reasons, target values, flags);
// - CompareMap reads a map's two files in lockstep (both plans read the same source object in
//   the same order: the n-th record of one is the n-th of the other, checked by its id) and
//   aggregates: outcome transitions ("held -> written: 12"), for records written by both the
//   target values that change per field and the flags that change, each with a few examples.
// Memory holds one record of each side and the aggregates (counts, a bounded number of
// examples): it does not grow with the number of records compared; the spill files do.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"

namespace crmx::diff {

// One record's outcome in one plan's evaluation: a line of a spill file.
struct Record {
  std::string id;       // how the record is known in both evaluations: its source id, else FILE:LINE
  std::string key;      // the value of the map's `key` ("" when none)
  std::string outcome;  // engine::Evaluated::outcome
  std::vector<std::string> reasons;
  std::vector<std::string> values;  // written: per target field (MapSide::fields order), its JSON text
  std::vector<std::string> flags;   // written: the flags raised
};

// Writes one map's records, one JSON line each, buffered.
class SpillWriter {
 public:
  SpillWriter() = default;
  SpillWriter(const SpillWriter&) = delete;
  SpillWriter& operator=(const SpillWriter&) = delete;
  ~SpillWriter();
  bool Open(const std::string& path, std::string& error);
  void Add(const engine::Evaluated& e);
  void Add(const Record& r);
  bool Close(std::string& error);
  int64_t count() const { return count_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_, line_;
  int64_t count_ = 0;
  bool failed_ = false;
};

// Reads a spill file back in order; a missing file has no records.
class SpillReader {
 public:
  SpillReader() = default;
  SpillReader(const SpillReader&) = delete;
  SpillReader& operator=(const SpillReader&) = delete;
  ~SpillReader();
  bool Open(const std::string& path, std::string& error);
  // The next record into `r`; false at the end or on an unreadable line (then error() says).
  bool Next(Record& r);
  const std::string& error() const { return error_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_, line_, error_;
  int64_t line_no_ = 0;
};

// One map as one plan has it, and where its evaluation's records were spilled.
struct MapSide {
  bool present = false;
  std::string source;  // "crm.Account"
  std::string target;
  std::vector<std::string> fields;  // the target fields, in the spill's value order
  std::string spill;                // the spill file ("" or missing: no records)
};

struct Options {
  size_t examples = 3;  // examples kept per transition, field and flag
};

// A record given as an example: its key (else its id) and what it was in each plan.
struct Example {
  std::string key;
  std::string before;  // an outcome with its reasons, or a value's JSON text
  std::string after;
};

// Records whose outcome went from `from` to `to` (from == to: the same outcome for other reasons).
struct Transition {
  std::string from, to;
  int64_t count = 0;
  std::map<std::string, int64_t> reasons;  // by the first reason of the side not written
  std::vector<Example> examples;
};

struct FieldChange {
  std::string field;
  int64_t count = 0;  // records written by both whose value of the field differs
  std::vector<Example> examples;
};

struct FlagChange {
  std::string flag;
  int64_t raised = 0;   // raised by the new plan only
  int64_t cleared = 0;  // raised by the old plan only
  std::vector<Example> examples;
};

struct MapDiff {
  std::string name;
  // "changed", "unchanged", "added" (only in the new plan), "removed" (only in the old one).
  std::string status;
  std::string source_old, source_new, target_old, target_new;
  int64_t records_old = 0, records_new = 0;
  std::map<std::string, int64_t> outcomes_old, outcomes_new;
  std::vector<Transition> transitions;      // the outcome changes, most first
  std::vector<Transition> reasons_changed;  // same outcome, other reasons, most first
  int64_t outcome_changes = 0;              // records in `transitions`
  int64_t written_both = 0;                 // records written by both plans
  int64_t values_changed = 0;               // of those, records whose target values differ
  int64_t flags_changed = 0;                // of those, records whose flags differ
  std::vector<std::string> fields_added, fields_removed;  // target fields of one plan only
  std::vector<FieldChange> fields;          // common fields with a change, most first
  std::vector<FlagChange> flags;
  int64_t unmatched = 0;  // records at the same position that are not the same source record
  std::vector<std::string> notes;
  bool Differs() const { return status != "unchanged"; }
};

struct PlanInfo {
  std::string path, integration, version, hash;
};

struct Report {
  PlanInfo old_plan, new_plan;
  std::vector<MapDiff> maps;
  bool Differs() const;
};

// Aggregates one map's pairs of records (the same source record in both evaluations).
class MapComparer {
 public:
  MapComparer(const std::string& name, const MapSide& old_side, const MapSide& new_side, const Options& options);
  void Pair(const Record& a, const Record& b);
  // A record of one side only (one evaluation read more records than the other).
  void OnlyOld(const Record& a);
  void OnlyNew(const Record& b);
  MapDiff Finish();

 private:
  const Options& options_;
  MapDiff d_;
  std::vector<std::pair<size_t, size_t>> common_;  // (old index, new index) of the common fields
  std::map<std::pair<std::string, std::string>, Transition> transitions_;
  std::map<std::string, FieldChange> fields_;
  std::map<std::string, FlagChange> flags_;
  std::vector<std::string> old_fields_;
};

// Compares one map's two spill files in lockstep into `out`; false with `error` when a spill
// file cannot be read. A map with a different source object in the two plans is not compared
// record by record (its counts are, with a note).
bool CompareMap(const std::string& name, const MapSide& old_side, const MapSide& new_side, const Options& options,
                MapDiff& out, std::string& error);

// The report for people, and as JSON (docs/cli.md, "crmx-run diff").
std::string ReportText(const Report& report);
std::string ReportJson(const Report& report);

}  // namespace crmx::diff
