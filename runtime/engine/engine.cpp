// Defines the run loop (engine.h).
#include "runtime/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "runtime/engine/budgets.h"
#include "runtime/engine/crash_points.h"
#include "runtime/engine/key_filter.h"
#include "runtime/engine/retry_policy.h"
#include "runtime/vm/vm.h"

namespace crmx::engine {

namespace {

using connectors::RecordBatch;
using value::Value;

constexpr size_t kDefaultBatch = 1024;
constexpr const char* kFilteredReason = "left out by the source query (`when` pushed down)";
constexpr const char* kUnchangedReason = "unchanged since the last run";
constexpr const char* kSameOutputReason = "already written with these values";
constexpr const char* kDecidedReason = "already decided in this run with these values";
constexpr const char* kTombstoneReason = "deleted at the source: not written again";
constexpr const char* kDeadReason = "dead-lettered with these values (crmx-run queue replay sends it again)";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TimeText(int64_t ms) {
  value::Time t;
  t.seconds = ms / 1000;
  t.nanos = static_cast<int32_t>((ms % 1000) * 1000000);
  return value::FormatTimestamp(t);
}

// A key's text into `out`, reusing its buffer (the per-record keys: no allocation once it is
// grown): a string as is, null as "", anything else displayed.
void AssignKeyText(std::string& out, const Value& v) {
  if (v.kind() == value::Kind::kString) out.assign(v.AsText());
  else if (v.IsNull()) out.clear();
  else out = value::Display(v);
}

std::string KeyText(const Value& v) {
  std::string text;
  AssignKeyText(text, v);
  return text;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A bad line's reasons: what it is ("malformed JSON", the reason the counts group by), then
// what the parser said.
std::vector<std::string> Reasons(const connectors::BadLine& b) {
  std::vector<std::string> r{b.reason};
  if (!b.detail.empty()) r.push_back(b.detail);
  return r;
}

size_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? names.size() : static_cast<size_t>(it - names.begin());
}

// A program input resolved, once per map, to where its value is found for a record.
struct Slot {
  plan::BindingKind kind = plan::BindingKind::kField;
  size_t index = 0;  // kField: the source field; kParent/kChildren: the relation; kAssigned: the
                     // target field; kTable: the table
  size_t field = 0;  // kParent: the parent's field
  bool bound = false;
  int32_t direct = -1;  // a bound kField within the projection: its index (the usual input)
};

struct Bound {
  const vm::Program* program = nullptr;
  std::vector<Slot> slots;
  bool loads_shared = false;  // a slot is a shared value (computed at its first use in a record)
};

// The related records a map joins, read before its source: parents by id, children grouped
// by their parent's id. Owned values (they outlive the source batches).
struct Related {
  const plan::Relation* relation = nullptr;
  size_t via = 0;  // parents: the source field holding the parent's id
  std::unordered_map<std::string, std::vector<Value>> parents;  // id -> the parent's fields
  std::unordered_map<std::string, std::vector<Value>> children;  // parent id -> child maps
};

// kUnchanged: skipped because its cursor says it did not change since the last run.
// kSent: handed to the target's writer; it becomes kWritten or kError when the write's
// result comes back (API writers send a batch of records per call).
// kRetrying: a write that failed retriably, due again later; kDeadLetter: a write whose
// retries are exhausted or whose failure is not retriable (docs/operations.md, "Retries and
// dead letters").
// kDeleted: deleted at the source, flagged for review (docs/operations.md, "Deletions").
enum class Status { kWritten, kSkipped, kUnchanged, kDataQuality, kHeld, kWaiting, kError, kSent, kRetrying, kDeadLetter,
                    kDeleted };

const char* QueueName(Status s) {
  switch (s) {
    case Status::kDataQuality: return "data_quality";
    case Status::kHeld: return "held";
    case Status::kWaiting: return "waiting";
    case Status::kError: return "error";
    case Status::kRetrying: return "retrying";
    case Status::kDeadLetter: return "dead_letter";
    case Status::kDeleted: return "deleted";
    case Status::kSkipped:
    case Status::kUnchanged: return "skipped";
    case Status::kWritten:
    case Status::kSent: return "written";
  }
  return "error";
}

using Outcomes = std::unordered_map<std::string, Status>;  // source key -> where it ended
using Xref = std::unordered_map<std::string, std::string>;   // source key -> target id

// A delivery (a write into an API) not concluded yet: decided by this run or left open by an
// earlier one.
struct Open {
  int64_t id = 0;    // in the ledger (0 without a state file)
  uint64_t gen = 0;  // which decision of the key: a result for an older one is ignored
  std::vector<Value> values;  // owned, in Map::target_fields order
  std::vector<std::string> flags;
  std::string hash, idem, external_id, source_id, file;
  int64_t line = 0;
  std::string state;   // in_flight, pending, failed, dead
  int64_t attempts = 0;  // sends whose result came back
  int64_t due_ms = 0;    // failed: when it may be sent again
  int64_t source_changed_ms = 0;  // the source record's change time (its cursor), Unix ms; 0: unknown
  std::string reason;    // the last failure
  bool sent = false;         // handed to the writer by this run
  bool in_batch = false;     // in decided_
  bool decided_run = false;  // decided (or confirmed) by a record of this run
  bool earlier = false;      // left open by an earlier run
};

// The writer of a dry evaluation (RunOptions::evaluate_only): writes nothing, answers every
// record ok with a placeholder id (what a `ref` to it resolves to), keyed by the record's key.
class DryWriter : public connectors::RowWriter {
 public:
  DryWriter(const plan::Map& map, const connectors::WriteRequest& req) : map_(map) {
    for (size_t i = 0; i < req.fields.size(); ++i)
      if (req.fields[i].name == req.key_field) key_at_ = i;
  }

 protected:
  bool WriteOne(const Value* values, connectors::WriteResult& r, std::string&) override {
    r.ok = true;
    r.created = true;
    r.id = EvaluatedPlaceholderId(map_, key_at_ < map_.target_fields.size() ? KeyText(values[key_at_]) : "");
    return true;
  }
  bool Finish(std::string&) override { return true; }

 private:
  const plan::Map& map_;
  size_t key_at_ = std::numeric_limits<size_t>::max();
};

class MapRun {
 public:
  MapRun(const plan::Plan& plan, const plan::Map& map, const RunOptions& options, state::StateStore* state,
         int64_t run, const std::map<std::string, Outcomes>& outcomes, std::map<std::string, Xref>& xrefs,
         BudgetBook& budgets)
      : plan_(plan), map_(map), options_(options), state_(state), run_(run), outcomes_(outcomes), xrefs_(xrefs),
        budgets_(budgets), keep_ids_(!map.referenced_by.empty()) {
    if (options.clock) vm_.SetClock(*options.clock);
  }

  bool Run(connectors::Connector& source, connectors::Connector& target, MapReport& rep, Outcomes& outcome,
           std::string& error) {
    rep.name = map_.name;
    rep.source = map_.source.system + "." + map_.source.object;
    rep.target = map_.target.system + "." + map_.target.object;
    PrepareCursor();
    source_ = &source;
    target_ = &target;
    if (!ReadRelated(source, rep, error)) return false;
    related_calls_ = rep.calls_source;
    for (const plan::Table& t : plan_.tables) tables_.push_back(Value::Map(t.entries));
    Prepare();
    if (!PrepareConflicts(target, rep, error)) return false;
    connectors::ReadRequest req;
    req.object = map_.source.object;
    req.fields = map_.projection.fields;
    req.types = map_.projection.types;
    req.batch = map_.read_batch > 0 ? static_cast<size_t>(map_.read_batch) : kDefaultBatch;
    // A dry evaluation reads every record: each gets its outcome (`when` is evaluated here).
    if (sync_ && !options_.evaluate_only) req.pushdown = sync_->pushdown;
    // API connectors ask the system only for records at or after the previous run's newest
    // cursor (ties included); the engine still compares every record's cursor.
    if (watermark_ && retry_.empty() && touched_.empty() && resync_.empty()) {
      req.cursor = map_.cursor;
      req.since = value::FormatTimestamp(*watermark_);
    }
    req.id_field = map_.source_id;
    std::unique_ptr<connectors::RecordReader> reader = source.OpenReader(req, error);
    if (!reader) return false;
    std::string key_field;
    for (const plan::Step& s : map_.steps) if (s.kind == plan::StepKind::kKey && key_field.empty()) key_field = s.target;
    connectors::WriteRequest wreq{map_.target.object, key_field, map_.target_fields, map_.target_id,
                                  map_.write_batch > 0 ? static_cast<size_t>(map_.write_batch) : 0, 0};
    if (const plan::System* sys = plan_.FindSystem(map_.target.system)) {
      for (const plan::Budget& b : sys->budgets)
        if (b.metric == "concurrency" && b.amount > 0) wreq.concurrency = static_cast<size_t>(b.amount);
    }
    if (state_ && !key_field.empty() && options_.only.empty() && !options_.full) {
      if (target.Remote() ? !CheckInStep(target, key_field, rep, error) : !CheckLocalInStep(target, rep, error)) return false;
    }
    std::unique_ptr<connectors::RecordWriter> writer;
    if (!key_field.empty() && options_.evaluate_only) {
      writer = std::make_unique<DryWriter>(map_, wreq);  // the target is not opened for writing
    } else if (!key_field.empty()) {
      writer = target.OpenWriter(wreq, error);
      if (!writer) return false;
    }
    // Into an API every write is a delivery (docs/operations.md, "The delivery ledger"): kept
    // until its result is recorded, sent again when it failed retriably, dead-lettered when it
    // cannot succeed. A record whose output is what an earlier run wrote is not sent again (it
    // would cost a call and stamp the record as changed: the echo a sync back would see).
    remote_ = target.Remote() && !options_.evaluate_only;  // a dry evaluation has no deliveries
    policy_ = PolicyOf(sync_);
    remember_written_ = state_ != nullptr && remote_;
    if (remember_written_ && !options_.full && options_.only.empty()) written_ = state_->LoadWritten(map_.name);
    for (const std::string& k : resync_) written_.erase(k);
    if (remember_written_ && options_.only.empty() && !options_.plan_changed) dead_ = state_->LoadDead(map_.name);
    if (remote_ && state_ && !LoadOpen(error)) return false;
    if (state_ && !state_->Begin()) return StateFailed(error);
    reader_ = reader.get();
    writer_ = writer.get();
    RecordBatch batch;
    Progress progress{&map_.name, 0, 0, reader->Total(), false};
    while (true) {
      // A source whose budget is spent is not read further (the cursor stays where it was).
      if (std::string why = budgets_.Paused(map_.source.system); !why.empty()) {
        budget_stopped_ = why;
        break;
      }
      if (!reader->Next(batch)) break;
      rep.input_lines += static_cast<int64_t>(batch.size() + batch.bad.size());
      if (options_.only.empty()) {
        for (const connectors::BadLine& b : batch.bad) Add(rep.error, QueueItem{"", b.file, b.line, Reasons(b), {}, {}}, Status::kError);
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        Status s = Process(rep, batch.Row(i), batch.file, batch.lines[i], writer.get());
        if (keep_ids_ && !key_.empty() && s != Status::kSent) outcome[key_] = s;
        if (!write_error_.empty()) {
          error = write_error_;
          return false;
        }
      }
      if (remote_ && !Deliver(rep, outcome, writer.get(), error)) return false;
      SyncCalls();
      if (state_ && !state_->ok()) return StateFailed(error);
      progress.records = rep.input_lines;
      progress.done = reader->Done();
      if (options_.progress) options_.progress(progress);
    }
    if (!reader->error().empty()) {
      error = "reading " + map_.source.system + "." + map_.source.object + ": " + reader->error();
      return false;
    }
    if (!budget_stopped_.empty()) {
      rep.notes.push_back("reading stopped: " + budget_stopped_);
    }
    // Records the source query left out (pushdown of `when`): skipped, without being read.
    if (auto filtered = static_cast<int64_t>(reader->Filtered()); filtered > 0) {
      rep.input_lines += filtered;
      rep.skipped.count += filtered;
      rep.skipped.by_reason[kFilteredReason] += filtered;
    }
    if (writer) {
      if (remote_) {
        if (!writer->Flush(results_, error)) return false;
        if (!SettleDurably(rep, outcome, "after_send_before_commit", "after_result_commit", error)) return false;
        if (!RetryPass(rep, outcome, writer.get(), error)) return false;
      }
      if (!writer->Commit(results_, error)) return false;
      if (remote_) {
        if (!SettleDurably(rep, outcome, "after_send_before_commit", "after_result_commit", error)) return false;
      } else {
        Settle(rep, outcome);
        if (state_) CrashPoint("after_writer_commit_before_state_commit");
      }
      std::string lost;
      for (const auto& [tag, at] : tags_) lost += "internal: the writer gave no result for " + at.first + "; ";
      if (!lost.empty()) {
        error = lost;
        return false;
      }
      rep.calls_target += writer->Calls();
      FinishOpen(rep);
    }
    rep.calls_source += reader->Calls();
    SyncCalls();
    budgets_.Record();
    if (state_) CrashPoint("before_cursor_save");
    if (state_ && !map_.cursor.empty() && newest_.seconds != value::kMinTimestampSeconds - 1 && options_.only.empty() &&
        budget_stopped_.empty()) {
      state_->SaveCursor(map_.name, value::FormatTimestamp(newest_));
      state_->SaveCursorKeys(map_.name, newest_keys_);
    }
    if (state_ && !state_->Commit()) return StateFailed(error);
    progress.finished = true;
    if (options_.progress) options_.progress(progress);
    return true;
  }

 private:
  // Reads the target's records as `fields` (the key field first) into `on_row`, its calls
  // counted for the map; "" or why the read failed (an object the target does not have yet:
  // the reader cannot be opened).
  std::string ReadTarget(connectors::Connector& target, std::vector<std::string> fields, std::vector<plan::FieldType> types,
                         std::vector<plan::SourceCondition> pushdown, MapReport& rep,
                         const std::function<void(const Value* row)>& on_row) {
    connectors::ReadRequest req;
    req.object = map_.target.object;
    req.fields = std::move(fields);
    req.types = std::move(types);
    req.pushdown = std::move(pushdown);
    req.id_field = map_.target_id;
    req.batch = kDefaultBatch;
    std::string why;
    std::unique_ptr<connectors::RecordReader> reader = target.OpenReader(req, why);
    if (!reader) return why;
    RecordBatch batch;
    while (reader->Next(batch))
      for (size_t i = 0; i < batch.size(); ++i) on_row(batch.Row(i));
    rep.calls_target += reader->Calls();
    return reader->error();
  }

  // State and target out of step (docs/operations.md, "State and target out of step"): the
  // target restored from a backup, or emptied, while the state file stayed. Asks the target
  // for a sample of the records the state says were written (the latest 50, by key); when any
  // is missing, reads every key the target has and writes again each record it lacks, whatever
  // its cursor or output hash says.
  bool CheckInStep(connectors::Connector& target, const std::string& key_field, MapReport& rep, std::string& error) {
    std::vector<std::string> sample = state_->DoneKeys(map_.name, 50);
    if (sample.empty()) return state_->ok() || StateFailed(error);
    std::unordered_set<std::string> found;
    auto read_keys = [&](const std::vector<std::string>* only) {
      std::vector<plan::SourceCondition> pushdown;
      if (only) {
        std::vector<Value> values;
        for (const std::string& k : *only) values.push_back(Value::String(k));
        plan::SourceCondition c;
        c.field = key_field;
        c.op = plan::FilterOp::kIn;
        c.value = Value::List(std::move(values));
        pushdown.push_back(std::move(c));
      }
      return ReadTarget(target, {key_field}, {plan::FieldType::kString}, std::move(pushdown), rep,
                        [&](const Value* row) { found.insert(KeyText(row[0])); });
    };
    std::string failed = read_keys(&sample);
    size_t missing = 0;
    for (const std::string& k : sample) missing += found.count(k) ? 0 : 1;
    if (missing == 0 && failed.empty()) return true;
    found.clear();
    if (failed.empty()) failed = read_keys(nullptr);
    // An API that does not answer says nothing about what it has (this check is for APIs only:
    // local targets have CheckLocalInStep).
    if (!failed.empty()) {
      error = "checking that " + map_.target.system + "." + map_.target.object + " still has what the state says was written: " + failed;
      return false;
    }
    for (const auto& [key, hash] : state_->LoadWritten(map_.name))
      if (!found.count(key)) resync_.insert(key);
    if (!state_->ok()) return StateFailed(error);
    if (resync_.empty()) return true;
    rep.notes.push_back(std::to_string(resync_.size()) + " record(s) the state says were written are not in " +
                        map_.target.system + "." + map_.target.object +
                        " (restored from a backup, or deleted there?): written again");
    return true;
  }

  // A local target (files, SQLite) written in one transaction with the state: its fingerprint
  // after this map last wrote it is kept; a different one now means someone else wrote it, or
  // restored it from a backup, or deleted it: every record is looked at again, whatever its
  // cursor (writes are upserts on the key: the same records, not second ones).
  bool CheckLocalInStep(connectors::Connector& target, MapReport& rep, std::string& error) {
    if (!options_.changed_targets.count(map_.name)) return true;
    resync_all_ = true;
    rep.notes.push_back(map_.target.system + "." + map_.target.object +
                        " changed outside crmx since the last run (written, restored from a backup, or deleted): every "
                        "record looked at again");
    return true;
  }

  // A state call failed (docs/operations.md, "The state file"): the map stops (Run rolls
  // back its state writes).
  bool StateFailed(std::string& error) {
    error = state_->error();
    return false;
  }

  bool ReadRelated(connectors::Connector& source, MapReport& rep, std::string& error) {
    for (const plan::Relation& r : map_.projection.relations) {
      Related rel;
      rel.relation = &r;
      std::vector<std::string> fields = r.fields;
      std::vector<plan::FieldType> types = r.types;
      // Children point to the source by `via`; a parent is found by its own id field.
      const std::string& join = r.child ? r.via : r.id_field;
      if (join.empty()) {
        error = "the plan names no id field for " + r.object + " (relation " + r.name + ")";
        return false;
      }
      size_t join_at = IndexOf(fields, join);
      if (join_at == fields.size()) {
        fields.push_back(join);
        types.push_back(plan::FieldType::kString);
      }
      if (!r.child) rel.via = IndexOf(map_.projection.fields, r.via);
      size_t child_cursor = r.child && !r.cursor.empty() ? IndexOf(fields, r.cursor) : fields.size();
      connectors::ReadRequest req;
      req.object = r.object;
      req.fields = fields;
      req.types = types;
      req.batch = kDefaultBatch;
      std::unique_ptr<connectors::RecordReader> reader = source.OpenReader(req, error);
      if (!reader) return false;
      RecordBatch batch;
      while (reader->Next(batch)) {
        for (const connectors::BadLine& b : batch.bad) rep.related_bad_lines.push_back(QueueItem{"", b.file, b.line, Reasons(b), {}, {}});
        for (size_t i = 0; i < batch.size(); ++i) {
          const Value* row = batch.Row(i);
          std::string id = KeyText(row[join_at]);
          if (r.child) {
            // A child whose `via` is a list (HubSpot's `associations.deals`) is a child of each.
            std::vector<std::string> ids;
            if (row[join_at].kind() == value::Kind::kList) {
              for (const Value& x : row[join_at].AsList()) ids.push_back(KeyText(x));
            } else {
              ids.push_back(id);
            }
            // A child changed since the last run: its parent is looked at again.
            if (watermark_ && child_cursor < fields.size() && row[child_cursor].kind() == value::Kind::kTimestamp) {
              value::Time t = row[child_cursor].AsTime();
              if (std::tie(t.seconds, t.nanos) > std::tie(watermark_->seconds, watermark_->nanos))
                touched_.insert(ids.begin(), ids.end());
            }
            std::vector<std::pair<Value, Value>> entries;
            for (size_t f = 0; f < r.fields.size(); ++f) entries.emplace_back(Value::String(r.fields[f]), row[f].Owned());
            Value child = Value::Map(std::move(entries));
            for (const std::string& parent : ids) rel.children[parent].push_back(child);
          } else {
            std::vector<Value> values;
            for (size_t f = 0; f < r.fields.size(); ++f) values.push_back(row[f].Owned());
            rel.parents[id] = std::move(values);
          }
        }
      }
      if (!reader->error().empty()) {
        error = "reading " + map_.source.system + "." + r.object + ": " + reader->error();
        return false;
      }
      rep.calls_source += reader->Calls();
      related_.push_back(std::move(rel));
    }
    return true;
  }

  Bound Bind(const vm::Program& p, const std::vector<plan::Binding>& bindings) {
    Bound b;
    b.program = &p;
    for (const std::string& name : p.input_names) {
      Slot s;
      for (const plan::Binding& x : bindings) {
        if (x.name != name) continue;
        s.kind = x.kind;
        s.bound = true;
        switch (x.kind) {
          case plan::BindingKind::kField: s.index = IndexOf(map_.projection.fields, x.field); break;
          case plan::BindingKind::kParent:
          case plan::BindingKind::kChildren:
            s.index = related_.size();
            for (size_t i = 0; i < related_.size(); ++i)
              if (related_[i].relation->name == x.relation) s.index = i;
            if (s.index < related_.size()) s.field = IndexOf(related_[s.index].relation->fields, x.field);
            break;
          case plan::BindingKind::kAssigned: s.index = OutIndex(x.field); break;
          case plan::BindingKind::kTable: {
            s.index = plan_.tables.size();
            for (size_t i = 0; i < plan_.tables.size(); ++i)
              if (plan_.tables[i].name == x.field) s.index = i;
            break;
          }
          case plan::BindingKind::kShared: {
            s.index = map_.shared.size();
            for (size_t i = 0; i < map_.shared.size(); ++i)
              if (map_.shared[i].name == x.field) s.index = i;
            break;
          }
        }
      }
      b.loads_shared = b.loads_shared || (s.bound && s.kind == plan::BindingKind::kShared);
      if (s.bound && s.kind == plan::BindingKind::kField && s.index < map_.projection.fields.size())
        s.direct = static_cast<int32_t>(s.index);
      b.slots.push_back(s);
    }
    return b;
  }

  // Change detection (docs/operations.md, "Changed records"): the cursor a previous run left,
  // and the records to look at again whatever their cursor (those left waiting).
  void PrepareCursor() {
    cursor_at_ = IndexOf(map_.projection.fields, map_.cursor);
    deleted_at_ = map_.deleted_field.empty() ? map_.projection.fields.size() : IndexOf(map_.projection.fields, map_.deleted_field);
    if (state_) tombstones_ = state_->LoadTombstones(map_.name);
    if (state_)
      state_->ItemKeys(map_.name, [this](std::string_view k) { item_keys_.Add(k); },
                       [this](std::string_view k) { flag_keys_.Add(k); });
    newest_.seconds = value::kMinTimestampSeconds - 1;
    if (map_.cursor.empty() || state_ == nullptr) return;
    std::string saved = state_->LoadCursor(map_.name);
    value::Time t;
    if (!options_.full && options_.only.empty() && !saved.empty() && value::ParseTimestamp(saved, t)) {
      watermark_ = t;
      retry_ = state_->OpenItemKeys(map_.name, "waiting");
      // A changed plan (a fixed spec, a new table entry) may decide the queued records
      // otherwise: they are looked at again whatever their cursor.
      if (options_.plan_changed) {
        for (const char* q : {"data_quality", "held", "error", "dead_letter"})
          for (const std::string& k : state_->OpenItemKeys(map_.name, q)) retry_.insert(k);
      }
      at_watermark_ = state_->LoadCursorKeys(map_.name);
    }
  }

  // Whether the record's cursor says it did not change since the last run (and it is not a
  // record to retry). Notes the newest cursor seen and the keys read at it. A record at the
  // watermark's own stamp is unchanged only when the last run read it (cursor ties: another
  // record may have arrived with the same stamp after that run's read).
  bool Unchanged(const Value* row) {
    if (cursor_at_ >= map_.projection.fields.size()) return false;
    const Value& c = row[cursor_at_];
    if (c.kind() != value::Kind::kTimestamp) return false;  // no cursor: look at it
    value::Time t = c.AsTime();
    auto stamp = std::tie(t.seconds, t.nanos);
    if (stamp > std::tie(newest_.seconds, newest_.nanos)) {
      newest_ = t;
      newest_keys_.clear();
    }
    if (stamp == std::tie(newest_.seconds, newest_.nanos)) newest_keys_.insert(key_);
    if (!watermark_ || resync_all_ || retry_.count(key_) || resync_.count(key_)) return false;
    if (!touched_.empty() && id_at_ < map_.projection.fields.size() && touched_.count(KeyText(row[id_at_]))) return false;
    auto mark = std::tie(watermark_->seconds, watermark_->nanos);
    if (stamp == mark) return at_watermark_.count(key_) > 0;
    return stamp < mark;
  }

  // Where a record's value of an assigned target field, or of a local step (a `ref` inside a
  // larger expression), is kept in out_: target fields first, then the locals.
  size_t OutIndex(const std::string& name) const {
    for (size_t i = 0; i < map_.target_fields.size(); ++i)
      if (map_.target_fields[i].name == name) return i;
    size_t local = map_.target_fields.size();
    for (const plan::Step& s : map_.steps) {
      if (!s.local) continue;
      if (s.target == name) return local;
      ++local;
    }
    return std::numeric_limits<size_t>::max();
  }

  void Prepare() {
    size_t locals = 0;
    for (const plan::Step& s : map_.steps) locals += s.local ? 1 : 0;
    out_.resize(map_.target_fields.size() + locals);
    id_at_ = map_.source_id.empty() ? map_.projection.fields.size() : IndexOf(map_.projection.fields, map_.source_id);
    for (const plan::SharedValue& v : map_.shared) shared_.push_back(Bind(v.program, v.bindings));
    shared_values_.resize(map_.shared.size());
    shared_ready_.assign(map_.shared.size(), false);
    if (const plan::Sync* sync = plan_.FindSync(map_.name)) {
      sync_ = sync;
      for (const plan::WhenPart& w : sync->when) when_.push_back(Bind(w.program, w.bindings));
    }
    for (const plan::Step& s : map_.steps) {
      steps_.push_back(Bind(s.program, s.bindings));
      out_index_.push_back(OutIndex(s.target));
    }
    for (size_t i = 0; i < map_.steps.size(); ++i)
      if (map_.steps[i].kind == plan::StepKind::kKey) key_step_ = i;
  }

  // Any input but a source field (Slot::direct): out of Eval's loop, which stays small.
  [[gnu::noinline]] Value Input(const Slot& s, const Value* row) {
    if (!s.bound) return Value::Error("unbound input");
    switch (s.kind) {
      case plan::BindingKind::kField:
        return s.index < map_.projection.fields.size() ? row[s.index] : Value::Null();
      case plan::BindingKind::kParent: {
        if (s.index >= related_.size()) return Value::Null();
        const Related& r = related_[s.index];
        if (r.via >= map_.projection.fields.size()) return Value::Null();
        auto p = r.parents.find(KeyText(row[r.via]));
        if (p == r.parents.end() || s.field >= p->second.size()) return Value::Null();
        return p->second[s.field];
      }
      case plan::BindingKind::kChildren: {
        if (s.index >= related_.size() || id_at_ >= map_.projection.fields.size()) return Value::List({});
        const Related& r = related_[s.index];
        auto g = r.children.find(KeyText(row[id_at_]));
        return g == r.children.end() ? Value::List({}) : Value::List(g->second);
      }
      case plan::BindingKind::kAssigned: return s.index < out_.size() ? out_[s.index] : Value::Null();
      case plan::BindingKind::kTable:
        return s.index < tables_.size() ? tables_[s.index] : Value::Error("unknown table");
      case plan::BindingKind::kShared:
        return s.index < shared_values_.size() ? shared_values_[s.index] : Value::Error("unknown shared value");
    }
    return Value::Null();
  }

  Value Eval(const Bound& b, const Value* row) {
    // The shared values this program loads, computed at their first use in the record (their
    // own programs load no shared value: inputs_ is free here).
    if (b.loads_shared) {
      for (const Slot& s : b.slots) {
        if (s.kind != plan::BindingKind::kShared || !s.bound || s.index >= shared_.size() || shared_ready_[s.index]) continue;
        shared_values_[s.index] = Eval(shared_[s.index], row);
        shared_ready_[s.index] = true;
      }
    }
    // inputs_ only grows: each slot is assigned over what an earlier program left there (a
    // value nothing reads again until it is overwritten).
    const size_t n = b.slots.size();
    if (inputs_.size() < n) inputs_.resize(n);
    Value* in = inputs_.data();
    for (size_t k = 0; k < n; ++k) {
      const Slot& s = b.slots[k];
      // A source field (most inputs): copied straight from the row.
      if (s.direct >= 0) in[k] = row[s.direct];
      else in[k] = Input(s, row);
    }
    return vm_.Run(*b.program, std::span<const Value>(in, n));
  }

  void Add(Bucket& b, QueueItem item, Status status) {
    ++b.count;
    ++b.by_reason[item.reasons.empty() ? "" : item.reasons.front()];
    if (options_.evaluate_only && options_.evaluated) {
      Evaluated e;
      e.map = &map_;
      e.outcome = QueueName(status);
      e.key = item.key;
      e.source_id = item.source_id;
      e.file = item.file;
      e.line = item.line;
      e.reasons = &item.reasons;
      options_.evaluated(e);
    }
    if (status == Status::kSkipped || status == Status::kUnchanged) {
      for (QueueSink* s : options_.sinks) s->Skipped(map_.name, item);
      return;
    }
    const char* queue = QueueName(status);
    if (state_) {
      state::QueueEntry e{map_.name, queue, item.key, item.file, item.line, item.reasons, item.fields};
      // The queues as they stand: a record without a key is known by where it was read.
      if (e.record_id.empty()) e.record_id = item.file + ":" + std::to_string(item.line);
      // A record in no queue yet has none to leave (and is one to clear if it is written later
      // in the run: a key twice in the source).
      bool fresh = item_keys_.Add(e.record_id);
      state_->PutItem(run_, e, item.source_id, fresh);
    }
    for (QueueSink* s : options_.sinks) s->Add(map_.name, queue, item);
    if (b.samples.size() < options_.samples) b.samples.push_back(std::move(item));
  }

  Status Queue(Bucket& b, Status status, const std::string& file, int64_t line, std::vector<std::string> reasons,
               std::vector<std::string> fields = {}) {
    QueueItem item{key_, file, line, std::move(reasons), std::move(fields), SourceId()};
    Add(b, std::move(item), status);
    return status;
  }

  // The fields a failing require read, for the data-quality queue: its source fields (those of
  // the shared values it loads included) and the assigned fields it reads; not tables.
  void AddFields(const std::vector<plan::Binding>& bindings, std::vector<std::string>& fields) const {
    for (const plan::Binding& b : bindings) {
      if (b.kind == plan::BindingKind::kTable) continue;
      if (b.kind == plan::BindingKind::kShared) {
        for (const plan::SharedValue& v : map_.shared)
          if (v.name == b.field) AddFields(v.bindings, fields);
        continue;
      }
      if (std::find(fields.begin(), fields.end(), b.name) == fields.end()) fields.push_back(b.name);
    }
  }

  // Where a `ref` to `ref_map`'s record `src` stands, for the waiting reason.
  std::string WhyMissing(const std::string& ref_map, const std::string& src) const {
    auto o = outcomes_.find(ref_map);
    if (o != outcomes_.end()) {
      auto st = o->second.find(src);
      if (st != o->second.end()) {
        if (st->second == Status::kUnchanged) return "unchanged since the last run, and not written then";
        return st->second == Status::kDataQuality ? "data-quality" : QueueName(st->second);
      }
    }
    return "not found";
  }

  Status Process(MapReport& rep, const Value* row, const std::string& file, int64_t line,
                 connectors::RecordWriter* writer) {
    key_.clear();
    cur_row_ = row;
    std::fill(out_.begin(), out_.end(), Value::Null());
    std::fill(shared_ready_.begin(), shared_ready_.end(), false);
    Value key_value;
    if (key_step_) {
      key_value = Eval(steps_[*key_step_], row);
      AssignKeyText(key_, key_value);
    }
    // Whether the record is in a queue is asked when it is written or skipped: its slot is
    // fetched now, while the record is evaluated.
    if (state_ && !key_.empty()) {
      key_hash_ = item_keys_.Prefetch(key_);
      flag_keys_.PrefetchHash(key_hash_);
    }
    // A replay (RunOptions::only) looks at the records asked for and leaves the others alone.
    if (!options_.only.empty() && !Selected(row)) return Status::kUnchanged;
    bool deleted = deleted_at_ < map_.projection.fields.size() && row[deleted_at_].kind() == value::Kind::kBool &&
                   row[deleted_at_].AsBool();
    // A deletion not seen before is news whatever its cursor: a record deleted in the second
    // the last run read it ties with the watermark, and that run knew it live.
    bool news = deleted && !key_.empty() && !tombstones_.count(key_);
    if (Unchanged(row) && !news) return Queue(rep.skipped, Status::kUnchanged, file, line, {kUnchangedReason});
    if (deleted) return Deleted(rep, file, line);
    if (!key_.empty() && tombstones_.count(key_)) return Queue(rep.skipped, Status::kUnchanged, file, line, {kTombstoneReason});
    // A field the connector could not convert (`Amount: "lots" is not a decimal number`) makes
    // the record an error, before `when` or `??` could take the value for a missing one.
    std::vector<std::string> bad;
    for (size_t f = 0; f < map_.projection.fields.size(); ++f)
      if (row[f].IsError()) bad.push_back(row[f].ErrorReason());
    if (!bad.empty()) return Queue(rep.error, Status::kError, file, line, std::move(bad));
    for (size_t i = 0; i < when_.size(); ++i) {
      Value w = Eval(when_[i], row);
      // A condition that cannot be evaluated (`Amount > 0` of "1,000.00") says nothing about
      // the record: it is an error record, not a skipped one.
      if (w.IsError()) return Queue(rep.error, Status::kError, file, line, {"when: " + w.ErrorReason()});
      if (!w.IsTrue()) {
        if (state_ && !key_.empty()) Leave(key_, key_hash_);
        return Queue(rep.skipped, Status::kSkipped, file, line, {sync_->when[i].reason});
      }
    }
    // Every require, in order: all failing reasons go with the record.
    std::vector<std::string> reasons, fields;
    for (size_t i = 0; i < steps_.size(); ++i) {
      const plan::Step& s = map_.steps[i];
      if (s.kind != plan::StepKind::kRequire || Eval(steps_[i], row).IsTrue()) continue;
      reasons.push_back(s.reason);
      AddFields(s.bindings, fields);
    }
    if (!reasons.empty()) return Queue(rep.data_quality, Status::kDataQuality, file, line, std::move(reasons), std::move(fields));
    flags_.clear();
    for (size_t i = 0; i < steps_.size(); ++i) {
      const plan::Step& s = map_.steps[i];
      if (s.kind == plan::StepKind::kRequire) continue;
      const uint64_t fallbacks = vm_.fallbacks_taken();
      Value v = key_step_ && i == *key_step_ ? key_value : Eval(steps_[i], row);
      if (s.kind == plan::StepKind::kRef) {
        std::string src = KeyText(v);
        const Xref& xref = xrefs_[s.ref_map];
        auto hit = xref.find(src);
        if (v.IsError() || src.empty() || hit == xref.end()) {
          const plan::Map* ref = plan_.FindMap(s.ref_map);
          std::string what = ref ? Lower(ref->source.object) : s.ref_map;
          return Queue(rep.waiting, Status::kWaiting, file, line, {what + " " + WhyMissing(s.ref_map, src)});
        }
        v = Value::String(hit->second);
      } else if (v.IsHold()) {
        return Queue(rep.held, Status::kHeld, file, line, {v.ErrorReason()});
      } else if (v.IsError()) {
        return Queue(rep.error, Status::kError, file, line, {s.target + ": " + v.ErrorReason()});
      }
      if (s.kind == plan::StepKind::kKey && v.IsNull()) {
        return Queue(rep.error, Status::kError, file, line, {"key " + s.target + " has no value"});
      }
      // `flag` is raised when the assignment used a fallback: a `??` anywhere in its value (in
      // an object literal, a list macro) took its right side. The plan's flag_probe saw only a
      // `??` at the top, so a flag on `{value: x ?? y}` was raised for every record.
      if (s.flag && vm_.fallbacks_taken() != fallbacks) flags_.push_back(&*s.flag);
      if (out_index_[i] < out_.size()) out_[out_index_[i]] = std::move(v);
    }
    if (writer == nullptr) return Queue(rep.error, Status::kError, file, line, {"the map has no key: cannot upsert"});
    if (!two_way_.empty()) Settle2Way(row);
    std::string hash;
    if (remote_) hash = OutputHash();
    if (remember_written_ && !key_.empty()) {
      auto seen = written_.find(key_);
      if (seen != written_.end() && seen->second == hash)
        return Queue(rep.skipped, Status::kUnchanged, file, line, {kSameOutputReason});
      // A dead letter is sent again when its record changes or a person replays it, not by
      // every run (it stays in the dead-letter queue).
      auto dead = dead_.find(key_);
      if (dead != dead_.end() && dead->second == hash)
        return Queue(rep.skipped, Status::kUnchanged, file, line, {kDeadReason});
    }
    std::string& external_id = external_id_;
    external_id.clear();
    // The key step's value went into out_ as it was read for key_ (key_value): the same text.
    if (key_step_ && out_index_[*key_step_] < out_.size()) external_id.assign(key_);
    if (remote_) return Decide(rep, file, line, std::move(hash), std::string(external_id));
    // A writer that answers at once (files, SQLite, memory): concluded here, in the map's one
    // transaction with the state.
    uint64_t tag = next_tag_++;
    size_t before = results_.size();
    if (!writer->Add(out_.data(), tag, results_, write_error_)) {
      write_error_ = "writing " + map_.target.object + ": " + write_error_;
      return Status::kError;
    }
    if (results_.size() != before + 1 || results_.back().tag != tag) {
      write_error_ = "internal: the writer of " + map_.target.object + " did not answer at once";
      return Status::kError;
    }
    connectors::WriteResult r = std::move(results_.back());
    results_.pop_back();
    if (!r.ok) {
      // A local write that failed will fail again (the file or database refused the record).
      std::vector<std::string> why{"write failed: " + r.Describe(), "not retriable"};
      if (state_) {
        state::Delivery d = Delivery(key_, hash, external_id, file, line, "in_flight");
        int64_t id = state_->Decide(d);
        state_->Settle(id, "dead", 0, AttemptOf(r, {}), run_);
      }
      return Queue(rep.dead_letter, Status::kDeadLetter, file, line, std::move(why), std::move(r.fields));
    }
    KeepTwoWay(key_, out_.data());
    list_items_.clear();
    for (size_t i = 0; i < map_.target_fields.size(); ++i) {
      if (out_[i].kind() == value::Kind::kList)
        list_items_.emplace_back(i, static_cast<int64_t>(out_[i].AsList().size()));
    }
    if (options_.evaluate_only && options_.evaluated) {
      Evaluated e;
      e.map = &map_;
      e.outcome = "written";
      e.key = key_;
      std::string source_id = SourceId();
      e.source_id = source_id;
      e.file = file;
      e.line = line;
      e.values = out_.data();
      e.flags = &flags_;
      options_.evaluated(e);
    }
    for (QueueSink* sink : options_.sinks) sink->WrittenFrom(map_.name, key_, file, line);
    Written(rep, key_, key_hash_, flags_, list_items_, external_id, r.id);
    return Status::kWritten;
  }

  // A record deleted at the source: flagged for review (the `deleted` queue) and remembered, so
  // that no run writes it again; a delivery of it still open is given up. What the target gets
  // is for the spec to say; until it can, the target's record is left as it is.
  Status Deleted(MapReport& rep, const std::string& file, int64_t line) {
    if (key_.empty() || tombstones_.count(key_)) return Queue(rep.skipped, Status::kUnchanged, file, line, {kTombstoneReason});
    tombstones_.insert(key_);
    if (state_) state_->AddTombstone(run_, map_.name, key_, SourceId());
    auto o = open_.find(key_);
    if (o != open_.end()) {
      state::Attempt a;
      a.code = "DELETED_AT_SOURCE";
      a.message = "the source record was deleted before this write was delivered";
      if (state_ && o->second.id) state_->Settle(o->second.id, "dead", 0, a, run_);
      open_.erase(o);
    }
    return Queue(rep.deleted, Status::kDeleted, file, line,
                 {"deleted in " + map_.source.system + "." + map_.source.object +
                  "; the " + map_.target.system + "." + map_.target.object + " record is left as it is: review it"});
  }

  // Conflicts (docs/operations.md, "Conflicts"): the target fields this map writes that another
  // map copies back the other way (T.f from S.g here, S.g from T.f there), with no owner. With
  // `conflicts latest_wins`, the target's current values of those fields are read before the
  // map writes, and per record each such field is settled against what this map last wrote.
  struct TwoWay {
    size_t out = 0;           // the target field's index in out_
    std::string field;        // T.f
    std::string from;         // S.g
    std::string reverse_map;  // the map that copies T.f into S.g
  };
  struct TargetNow {
    std::vector<Value> values;  // per TwoWay, owned
    std::optional<value::Time> changed;
  };

  bool PrepareConflicts(connectors::Connector& target, MapReport& rep, std::string& error) {
    if (!plan_.conflicts || plan_.conflicts->strategy != "latest_wins") return true;
    std::string key_field, reverse_cursor;
    std::vector<plan::FieldType> types;
    for (const plan::Step& s : map_.steps)
      if (s.kind == plan::StepKind::kKey && key_field.empty()) key_field = s.target;
    auto reads = [](const plan::Step& s, const std::string& field) {
      for (const plan::Binding& b : s.bindings)
        if (b.kind == plan::BindingKind::kField && b.field == field) return true;
      return false;
    };
    for (const plan::Map& r : plan_.maps) {
      if (&r == &map_ || r.source.system != map_.target.system || r.source.object != map_.target.object ||
          r.target.system != map_.source.system || r.target.object != map_.source.object)
        continue;
      for (size_t i = 0; i < map_.steps.size(); ++i) {
        const plan::Step& s = map_.steps[i];
        if (s.kind != plan::StepKind::kAssign || out_index_[i] >= map_.target_fields.size()) continue;
        for (const plan::Step& t : r.steps) {
          if (t.kind != plan::StepKind::kAssign || !reads(t, s.target) || !reads(s, t.target)) continue;
          two_way_.push_back(TwoWay{out_index_[i], s.target, t.target, r.name});
          size_t at = IndexOf(r.projection.fields, s.target);
          types.push_back(at < r.projection.types.size() ? r.projection.types[at] : plan::FieldType::kAny);
          if (reverse_cursor.empty()) reverse_cursor = r.cursor;
        }
      }
    }
    if (two_way_.empty() || key_field.empty()) return true;
    std::vector<std::string> fields{key_field};
    types.insert(types.begin(), plan::FieldType::kString);
    for (const TwoWay& w : two_way_) fields.push_back(w.field);
    if (!reverse_cursor.empty()) {
      fields.push_back(reverse_cursor);
      types.push_back(plan::FieldType::kDateTime);
    }
    std::string why = ReadTarget(target, std::move(fields), std::move(types), {}, rep, [&](const Value* row) {
      TargetNow& now = target_now_[KeyText(row[0])];
      for (size_t f = 0; f < two_way_.size(); ++f) now.values.push_back(row[1 + f].Owned());
      if (!reverse_cursor.empty() && row[1 + two_way_.size()].kind() == value::Kind::kTimestamp)
        now.changed = row[1 + two_way_.size()].AsTime();
    });
    // A local object not there yet has no record to conflict with; an API that does not answer
    // leaves the conflicts undecidable: the map stops rather than overwrite.
    if (!why.empty() && (target.Remote() || !target_now_.empty())) {
      error = "reading " + map_.target.system + "." + map_.target.object + " to settle conflicts: " + why;
      return false;
    }
    if (state_) last_written_ = state_->LoadFieldValues(map_.name);
    return true;
  }

  // Settles the current record's two-way fields in out_: the source's change, the target's,
  // or, when both changed since this map last wrote the field, the latest one (within the
  // grace window, the source's: this map is the record's direction). Audited when asked.
  void Settle2Way(const Value* row) {
    auto t = target_now_.find(key_);
    if (t == target_now_.end()) return;  // not in the target yet: created from the source
    std::optional<value::Time> source_changed;
    if (cursor_at_ < map_.projection.fields.size() && row[cursor_at_].kind() == value::Kind::kTimestamp)
      source_changed = row[cursor_at_].AsTime();
    auto last = last_written_.find(key_);
    for (size_t i = 0; i < two_way_.size(); ++i) {
      Value& now = out_[two_way_[i].out];
      const Value& there = t->second.values[i];
      std::string now_text = plan::ValueToJsonText(now), there_text = plan::ValueToJsonText(there);
      if (now_text == there_text) continue;
      std::string base;
      bool has_base = false;
      if (last != last_written_.end()) {
        auto b = last->second.find(two_way_[i].field);
        if (b != last->second.end()) {
          base = b->second;
          has_base = true;
        }
      }
      bool target_moved = !has_base || there_text != base;
      bool source_moved = !has_base || now_text != base;
      if (!target_moved) continue;  // only the source changed: its value goes
      if (!source_moved) {          // only the target changed: it stays
        now = there;
        continue;
      }
      const std::string& src = map_.source.system;
      const std::string& dst = map_.target.system;
      std::string rule, winner;
      const std::optional<value::Time>& tc = t->second.changed;
      if (!source_changed || !tc) {
        winner = src;
        rule = "latest_wins: no change time on " + (source_changed ? dst : src) + "; " + src +
               " wins (the record's direction, " + map_.name + ")";
      } else {
        int64_t s_ms = source_changed->seconds * 1000 + source_changed->nanos / 1000000;
        int64_t t_ms = tc->seconds * 1000 + tc->nanos / 1000000;
        std::string times = src + " changed at " + value::FormatTimestamp(*source_changed) + ", " + dst + " at " +
                            value::FormatTimestamp(*tc);
        if (std::llabs(s_ms - t_ms) <= plan_.conflicts->grace_ms) {
          winner = src;
          rule = "within grace " + std::to_string(plan_.conflicts->grace_ms / 1000) + "s (" + times + "): " + src +
                 " wins (the record's direction, " + map_.name + ")";
        } else {
          winner = s_ms > t_ms ? src : dst;
          rule = "latest_wins: " + times + ": " + winner + "'s is later";
        }
      }
      std::string source_text = now_text;
      if (winner == dst) now = there;
      if (state_ && plan_.conflicts->audit) {
        state::AuditEntry e;
        e.map = map_.name;
        e.record_id = key_;
        e.field = two_way_[i].field;
        e.base = base;
        e.source_value = source_text;
        e.target_value = there_text;
        e.written = plan::ValueToJsonText(now);
        e.winner = winner;
        e.rule = rule;
        state_->AddAudit(run_, e);
      }
    }
  }

  // What this map wrote into its two-way fields, for the next run's comparison.
  void KeepTwoWay(const std::string& key, const Value* values) {
    if (!state_ || two_way_.empty() || key.empty()) return;
    for (const TwoWay& w : two_way_) {
      std::string text = plan::ValueToJsonText(values[w.out]);
      state_->PutFieldValue(map_.name, key, w.field, text);
      last_written_[key][w.field] = text;
    }
  }

  // A ledger row for the current record.
  state::Delivery Delivery(const std::string& key, const std::string& hash, const std::string& external_id,
                           const std::string& file, int64_t line, const char* st) const {
    state::Delivery d;
    d.map = map_.name;
    d.source_key = key;
    d.source_id = SourceId();
    d.hash = hash;
    d.state = st;
    d.external_id = external_id;
    d.file = file;
    d.line = line;
    d.run = run_;
    return d;
  }

  // When the current source record last changed, by its cursor (Unix ms); 0 when the map has
  // no cursor or the record no time in it. What `crmx-run status` measures a delivery from.
  int64_t SourceChangedMs() const {
    if (cur_row_ == nullptr || cursor_at_ >= map_.projection.fields.size()) return 0;
    const Value& c = cur_row_[cursor_at_];
    if (c.kind() != value::Kind::kTimestamp) return 0;
    value::Time t = c.AsTime();
    return t.seconds * 1000 + t.nanos / 1000000;
  }

  // The current source record's own id, "" when the map's source has none.
  std::string SourceId() const { return cur_row_ && id_at_ < map_.projection.fields.size() ? KeyText(cur_row_[id_at_]) : ""; }

  // A replay (RunOptions::only): whether the current record is one of those asked for, by
  // its key or its source id.
  bool Selected(const Value* row) const {
    auto it = options_.only.find(map_.name);
    if (it == options_.only.end()) return false;
    if (it->second.count(key_)) return true;
    return id_at_ < map_.projection.fields.size() && it->second.count(KeyText(row[id_at_])) > 0;
  }

  static state::Attempt AttemptOf(const connectors::WriteResult& r, std::string request) {
    state::Attempt a;
    a.ok = r.ok;
    a.http_status = r.http_status;
    a.code = r.code;
    a.message = r.message;
    a.fields = r.fields;
    a.request = std::move(request);
    a.retriable = r.retriable;
    return a;
  }

  // A record written or skipped: out of every queue it may be in, and without its flags (the
  // rows of `items` deleted only for a key that may have some; `hash` is item_keys_.Prefetch's).
  void Leave(const std::string& key, uint64_t hash) {
    if (item_keys_.MayHoldHash(hash)) state_->ClearItems(map_.name, key, true);
    else if (flag_keys_.MayHoldHash(hash)) state_->ClearFlags(map_.name, key);
  }

  // What a written record leads to: counted, its flags raised, its own id in the target kept
  // for `ref`s, and out of every queue it was in. `key_hash` is item_keys_.Prefetch(key) (with
  // a state and a key).
  void Written(MapReport& rep, const std::string& key, uint64_t key_hash, const std::vector<const std::string*>& flags,
               const std::vector<std::pair<size_t, int64_t>>& list_items, const std::string& external_id,
               const std::string& target_id) {
    ++rep.written;
    if (state_ && !key.empty()) Leave(key, key_hash);
    for (QueueSink* sink : options_.sinks) sink->Written(map_.name, key);
    for (const std::string* f : flags) {
      ++rep.flags_on_written[*f];
      for (QueueSink* sink : options_.sinks) sink->Flag(map_.name, key, *f);
      if (state_) state_->PutFlag(run_, map_.name, key, *f);
    }
    for (const auto& [i, n] : list_items) rep.list_items_written[map_.target_fields[i].name] += n;
    if (keep_ids_ && !key.empty()) {
      // What a `ref` to this record resolves to: its own id in the target (the external id,
      // the key, is kept alongside in the state file).
      xrefs_[map_.name][key] = target_id;
      if (state_) state_->PutXref(map_.name, key, target_id, external_id);
    }
  }

  // A record whose write is a delivery (into an API): its values are kept until its result
  // comes back; Deliver records the batch's decisions in the ledger, then sends them.
  Status Decide(MapReport& rep, const std::string& file, int64_t line, std::string hash, std::string external_id) {
    auto it = open_.find(key_);
    if (it != open_.end() && it->second.hash == hash && it->second.state != "dead") {
      // The same write is already open: decided by an earlier run (the retry pass sends it
      // when due) or by an earlier record of this run with the same key.
      if (it->second.decided_run) return Queue(rep.skipped, Status::kUnchanged, file, line, {kDecidedReason});
      it->second.decided_run = true;
      it->second.file = file;
      it->second.line = line;
      return Status::kSent;
    }
    Open& o = open_[key_];
    int64_t id = o.id;
    o = Open{};
    o.id = id;
    o.gen = ++gen_;
    o.values.assign(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(map_.target_fields.size()));
    for (Value& v : o.values) v = v.Owned();
    for (const std::string* f : flags_) o.flags.push_back(*f);
    o.hash = std::move(hash);
    o.external_id = std::move(external_id);
    o.source_id = SourceId();
    o.source_changed_ms = SourceChangedMs();
    o.file = file;
    o.line = line;
    o.state = "in_flight";
    o.decided_run = true;
    if (!o.in_batch) {
      o.in_batch = true;
      decided_.push_back(key_);
    }
    return Status::kSent;
  }

  // The payload of a delivery in the ledger: its values (the plan's typed JSON codec) and flags.
  static std::string Payload(const std::vector<Value>& values, const std::vector<std::string>& flags) {
    nlohmann::json j{{"values", nlohmann::json::parse(plan::ValueToJsonText(Value::List(values)))}, {"flags", flags}};
    return j.dump();
  }

  // The open deliveries earlier runs left (a crash, retries not yet due, a budget's pause).
  bool LoadOpen(std::string& error) {
    for (state::Delivery& d : state_->OpenDeliveries(map_.name)) {
      Open o;
      o.id = d.id;
      o.gen = ++gen_;
      o.hash = d.hash;
      o.external_id = d.external_id;
      o.source_id = d.source_id;
      o.source_changed_ms = d.source_changed_ms;
      o.file = d.file;
      o.line = d.line;
      o.state = d.state;
      o.attempts = d.attempts;
      o.due_ms = d.due_ms;
      o.idem = d.idem_key;
      o.earlier = true;
      if (!d.last_code.empty() || !d.last_message.empty())
        o.reason = "write failed: " + d.last_code + (d.last_message.empty() ? "" : ": " + d.last_message);
      std::string why;
      Value list;
      try {
        nlohmann::json j = nlohmann::json::parse(d.payload);
        if (!plan::ValueFromJsonText(j.at("values").dump(), list, why)) throw std::runtime_error(why);
        for (const auto& f : j.at("flags")) o.flags.push_back(f.get<std::string>());
      } catch (const std::exception& e) {
        error = "state " + state_->path() + ": the ledger's delivery " + std::to_string(d.id) + " (" + map_.name + " " +
                d.source_key + ") has an unreadable payload: " + e.what();
        return false;
      }
      if (list.kind() != value::Kind::kList || list.AsList().size() != map_.target_fields.size()) {
        error = "state " + state_->path() + ": the ledger's delivery " + std::to_string(d.id) + " (" + map_.name + " " +
                d.source_key + ") was decided for other target fields; the plan changed under an open delivery";
        return false;
      }
      o.values.assign(list.AsList().begin(), list.AsList().end());
      open_[d.source_key] = std::move(o);
    }
    return state_->ok() || StateFailed(error);
  }

  // Records the batch's decisions in the ledger (one transaction), then hands them to the
  // writer and records the results that came back.
  bool Deliver(MapReport& rep, Outcomes& outcome, connectors::RecordWriter* writer, std::string& error) {
    if (decided_.empty()) return true;
    // The target's budget spent: the decisions wait in the ledger (pending) for the next window.
    std::string paused = budgets_.Paused(map_.target.system);
    if (state_) {
      for (const std::string& key : decided_) {
        Open& o = open_[key];
        state::Delivery d;
        d.map = map_.name;
        d.source_key = key;
        d.source_id = o.source_id;
        d.hash = o.hash;
        d.idem_key = state::IdempotencyKey(map_.name, key, o.hash);
        o.idem = d.idem_key;
        d.state = paused.empty() ? "in_flight" : "pending";
        d.payload = Payload(o.values, o.flags);
        d.external_id = o.external_id;
        d.file = o.file;
        d.line = o.line;
        d.run = run_;
        d.source_changed_ms = o.source_changed_ms;
        o.id = state_->Decide(d);
      }
      CrashPoint("after_decide_before_commit");
      if (!Checkpoint()) return StateFailed(error);
      CrashPoint("after_commit_before_send");
    }
    for (const std::string& key : decided_) {
      Open& o = open_[key];
      o.in_batch = false;
      if (!paused.empty()) {
        o.state = "pending";
        o.reason = paused;
        continue;
      }
      if (!Send(key, o, writer)) return false;
    }
    decided_.clear();
    return SettleDurably(rep, outcome, "after_send_before_commit", "after_result_commit", error);
  }

  bool Send(const std::string& key, Open& o, connectors::RecordWriter* writer) {
    uint64_t tag = next_tag_++;
    tags_[tag] = {key, o.gen};
    o.sent = true;
    if (o.idem.empty()) o.idem = state::IdempotencyKey(map_.name, key, o.hash);
    writer->SetIdempotencyKey(tag, o.idem);
    if (!writer->Add(o.values.data(), tag, results_, write_error_)) {
      write_error_ = "writing " + map_.target.object + ": " + write_error_;
      return false;
    }
    return true;
  }

  bool Checkpoint() {
    SyncCalls();
    budgets_.Record();
    return state_->Commit() && state_->Begin();
  }

  // Counts the calls the map made since the last count against the systems' budgets.
  void SyncCalls() {
    uint64_t source_calls = related_calls_ + (reader_ ? reader_->Calls() : 0);
    uint64_t target_calls = writer_ ? writer_->Calls() : 0;
    budgets_.Add(map_.source.system, static_cast<int64_t>(source_calls - source_seen_));
    budgets_.Add(map_.target.system, static_cast<int64_t>(target_calls - target_seen_));
    source_seen_ = source_calls;
    target_seen_ = target_calls;
    if (source_) budgets_.Observe(map_.source.system, source_->Limits());
    if (target_) budgets_.Observe(map_.target.system, target_->Limits());
  }

  // Concludes the results that came back and commits them (crash point `before` between).
  bool SettleDurably(MapReport& rep, Outcomes& outcome, const char* before, const char* after, std::string& error) {
    if (results_.empty()) return true;
    if (state_) CrashPoint(before);
    Settle(rep, outcome);
    if (!write_error_.empty()) {
      error = write_error_;
      return false;
    }
    if (state_) {
      if (!Checkpoint()) return StateFailed(error);
      CrashPoint(after);
    }
    return true;
  }

  // Concludes the deliveries whose results came back.
  void Settle(MapReport& rep, Outcomes& outcome) {
    for (connectors::WriteResult& r : results_) {
      auto t = tags_.find(r.tag);
      if (t == tags_.end()) continue;
      auto [key, gen] = std::move(t->second);
      tags_.erase(t);
      auto o = open_.find(key);
      if (o == open_.end() || o->second.gen != gen) continue;  // superseded by a later decision
      Status status = Conclude(rep, key, o->second, r);
      if (status == Status::kRetrying) continue;
      if (keep_ids_) outcome[key] = status;
      open_.erase(o);
    }
    results_.clear();
  }

  // A delivery's result: written; failed and due again (retriable, retries left); or dead
  // (docs/operations.md, "Retries and dead letters").
  Status Conclude(MapReport& rep, const std::string& key, Open& o, connectors::WriteResult& r) {
    ++o.attempts;
    if (r.ok) {
      if (state_) {
        state_->Settle(o.id, "done", 0, AttemptOf(r, {}), run_);
        written_[key] = o.hash;
      }
      KeepTwoWay(key, o.values.data());
      std::vector<const std::string*> flags;
      for (const std::string& f : o.flags) flags.push_back(&f);
      std::vector<std::pair<size_t, int64_t>> list_items;
      for (size_t i = 0; i < o.values.size(); ++i)
        if (o.values[i].kind() == value::Kind::kList) list_items.emplace_back(i, static_cast<int64_t>(o.values[i].AsList().size()));
      for (QueueSink* sink : options_.sinks) sink->WrittenFrom(map_.name, key, o.file, o.line);
      Written(rep, key, state_ && !key.empty() ? item_keys_.Prefetch(key) : 0, flags, list_items, o.external_id, r.id);
      return Status::kWritten;
    }
    std::string reason = "write failed: " + r.Describe();
    state::Attempt a = AttemptOf(r, RequestSummary(o));
    if (o.idem.empty()) o.idem = state::IdempotencyKey(map_.name, key, o.hash);
    if (r.retriable && o.attempts <= policy_.retries) {
      int64_t wait = BackoffMs(policy_, o.attempts, o.idem, r.retry_after_ms);
      o.state = "failed";
      o.due_ms = Now() + wait;
      o.reason = reason;
      a.wait_ms = wait;
      if (state_) state_->Settle(o.id, "failed", o.due_ms, a, run_);
      return Status::kRetrying;
    }
    o.state = "dead";
    std::vector<std::string> reasons{reason, r.retriable ? "retries exhausted: " + std::to_string(o.attempts) + " sends failed"
                                                         : "not retriable"};
    std::vector<std::string> notify;
    std::string hold;
    if (sync_) {
      for (const std::string& act : sync_->on_exhausted) {
        if (act.rfind("notify", 0) == 0) notify.push_back(act.size() > 8 ? act.substr(8) : "");
        if (act.rfind("hold: ", 0) == 0) hold = act.substr(6);
      }
    }
    if (state_) {
      state_->Settle(o.id, "dead", 0, a, run_, notify.empty() ? std::string() : nlohmann::json(notify).dump());
      for (const std::string& who : notify)
        state_->AddEvent(run_, "notify", map_.name, key, who, map_.name + " " + key + ": " + reason);
    }
    QueueItem item{key, o.file, o.line, reasons, r.fields, o.source_id};
    if (!hold.empty()) {
      item.reasons.insert(item.reasons.begin(), hold);
      Add(rep.held, std::move(item), Status::kHeld);
      return Status::kHeld;
    }
    Add(rep.dead_letter, std::move(item), Status::kDeadLetter);
    return Status::kDeadLetter;
  }

  // What a failed send carried, for the dead-letter queue: the target record's fields.
  std::string RequestSummary(const Open& o) const {
    nlohmann::json j = nlohmann::json::object();
    for (size_t i = 0; i < o.values.size() && i < map_.target_fields.size(); ++i)
      j[map_.target_fields[i].name] = o.values[i].kind() == value::Kind::kString ? std::string(o.values[i].AsText())
                                      : o.values[i].IsNull()                      ? std::string("null")
                                                                                  : value::Display(o.values[i]);
    return map_.target.object + " " + j.dump();
  }

  int64_t Now() const { return options_.now_ms ? options_.now_ms() : WallMs(); }

  void Sleep(int64_t ms) {
    if (options_.sleep_ms) options_.sleep_ms(ms);
    else std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  // Sends again what is due: the deliveries this run saw fail, and those earlier runs left
  // (failed and due, or in flight when a run died). Waits for retries that fall due within
  // RunOptions::retry_wait_ms; later ones stay in the ledger for the next run.
  bool RetryPass(MapReport& rep, Outcomes& outcome, connectors::RecordWriter* writer, std::string& error) {
    int64_t deadline = Now() + options_.retry_wait_ms;
    while (true) {
      int64_t now = Now();
      std::vector<std::pair<int64_t, std::string>> due;  // (ledger id, key)
      int64_t next = std::numeric_limits<int64_t>::max();
      for (auto& [key, o] : open_) {
        if (o.state == "dead" || (o.sent && o.state != "failed")) continue;
        if (!options_.only.empty() && !o.decided_run) continue;  // a replay sends only what it decided
        if (o.state == "failed" && o.due_ms > now) {
          next = std::min(next, o.due_ms);
          continue;
        }
        due.emplace_back(o.id, key);
      }
      if (due.empty()) {
        if (next == std::numeric_limits<int64_t>::max() || next > deadline) return true;
        Sleep(next - now);
        continue;
      }
      if (std::string paused = budgets_.Paused(map_.target.system); !paused.empty()) {
        for (const auto& [id, key] : due) {
          Open& o = open_[key];
          if (o.state != "failed") o.reason = paused;
        }
        return true;
      }
      std::sort(due.begin(), due.end());
      for (const auto& [id, key] : due) {
        Open& o = open_[key];
        if (o.attempts > 0) ++rep.retries;
        o.state = "in_flight";
        if (!Send(key, o, writer)) {
          error = write_error_;
          return false;
        }
      }
      if (!writer->Flush(results_, error)) return false;
      if (!SettleDurably(rep, outcome, "in_retry_after_send", "after_result_commit", error)) return false;
    }
  }

  // The deliveries still open when the map ends: due again later (the `retrying` queue).
  void FinishOpen(MapReport& rep) {
    std::vector<std::pair<int64_t, std::string>> left;
    for (const auto& [key, o] : open_)
      if (o.state != "dead" && (o.decided_run || (o.earlier && options_.only.empty()))) left.emplace_back(o.id, key);
    std::sort(left.begin(), left.end());
    for (const auto& [id, key] : left) {
      const Open& o = open_[key];
      std::vector<std::string> reasons{o.reason.empty() ? std::string("not sent yet") : o.reason};
      if (o.state == "failed")
        reasons.push_back("send " + std::to_string(o.attempts + 1) + " of " + std::to_string(policy_.retries + 1) +
                          " due at " + TimeText(o.due_ms));
      QueueItem item{key, o.file, o.line, std::move(reasons), {}, o.source_id};
      Add(rep.retrying, std::move(item), Status::kRetrying);
    }
  }

  // A hash of the target record in out_ (its fields as the writers encode them), hex.
  std::string OutputHash() {
    hash_text_.clear();
    for (size_t i = 0; i < out_.size(); ++i) {
      connectors::AppendField(hash_text_, out_[i], map_.target_fields[i]);
      hash_text_.push_back('\x1f');
    }
    // FNV-1a, 64 bits: a changed record is sent again unless its hash collides (2^-64).
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : hash_text_) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }


  const plan::Plan& plan_;
  const plan::Map& map_;
  const RunOptions& options_;
  state::StateStore* state_;
  int64_t run_;
  const std::map<std::string, Outcomes>& outcomes_;
  std::map<std::string, Xref>& xrefs_;
  BudgetBook& budgets_;
  connectors::Connector* source_ = nullptr;
  connectors::Connector* target_ = nullptr;
  connectors::RecordReader* reader_ = nullptr;
  connectors::RecordWriter* writer_ = nullptr;
  uint64_t related_calls_ = 0, source_seen_ = 0, target_seen_ = 0;  // calls counted against budgets
  std::string budget_stopped_;  // why the read stopped early (a budget), "" when it did not
  bool keep_ids_;  // another map `ref`s this one: keep its outcomes and id cross-reference
  vm::VM vm_;
  const plan::Sync* sync_ = nullptr;
  std::vector<Bound> when_, steps_, shared_;
  std::vector<size_t> out_index_;  // per step: its target field's position in out_
  std::optional<size_t> key_step_;
  std::vector<Related> related_;
  size_t id_at_ = 0;  // the source's own id (Map::source_id) in the projection: children join on it
  std::vector<Value> tables_;
  // Per record.
  std::vector<Value> inputs_;
  // The target record, in Map::target_fields order, then the local steps' values.
  std::vector<Value> out_;
  std::vector<Value> shared_values_;  // per Map::shared: its value for the current record
  std::vector<bool> shared_ready_;
  // Change detection.
  size_t cursor_at_ = 0;                   // the cursor's position in the projection
  size_t deleted_at_ = 0;                  // the deletion marker's (Map::deleted_field)
  std::unordered_set<std::string> tombstones_;  // keys deleted at the source
  std::string external_id_;  // the current record's external id (its buffer reused record to record)
  KeyFilter item_keys_;  // keys (maybe) with a row in a queue when the map started or since (key_filter.h)
  KeyFilter flag_keys_;  // keys (maybe) with a flag in the flag sets when the map started
  std::optional<value::Time> watermark_;   // the previous run's newest cursor
  std::unordered_set<std::string> retry_;  // keys left waiting by the previous run
  value::Time newest_;                     // the newest cursor this run read
  std::unordered_set<std::string> newest_keys_;   // the keys read at newest_
  std::unordered_set<std::string> at_watermark_;  // the keys the last run read at the watermark
  std::unordered_set<std::string> touched_;       // source ids whose children changed since the watermark
  std::unordered_set<std::string> resync_;        // keys written earlier that the target no longer has
  bool resync_all_ = false;                       // a local target changed outside crmx: look at every record
  // Conflicts: the two-way fields, the target's current values of them, what this map last wrote.
  std::vector<TwoWay> two_way_;
  std::unordered_map<std::string, TargetNow> target_now_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> last_written_;
  std::vector<const std::string*> flags_;
  std::string key_;
  uint64_t key_hash_ = 0;  // item_keys_.Prefetch(key_), with a state and a key
  // Writes handed to the writer and their results.
  std::vector<connectors::WriteResult> results_;
  uint64_t next_tag_ = 0;
  // Deliveries (writes into an API): by key; the keys decided in the current batch; the
  // writer's tags -> (key, decision).
  bool remote_ = false;
  RetryPolicy policy_;
  std::unordered_map<std::string, Open> open_;
  std::vector<std::string> decided_;
  std::unordered_map<uint64_t, std::pair<std::string, uint64_t>> tags_;
  uint64_t gen_ = 0;
  const Value* cur_row_ = nullptr;
  // Maps into an API: the output hash last written per key (state table `written`).
  bool remember_written_ = false;
  std::unordered_map<std::string, std::string> written_;
  std::unordered_map<std::string, std::string> dead_;  // dead-lettered output hashes
  std::string hash_text_;
  std::vector<std::pair<size_t, int64_t>> list_items_;  // per record: list-valued target fields' sizes
  std::string write_error_;  // the writer cannot go on: the run stops
};

nlohmann::json BucketJson(const Bucket& b, bool records) {
  nlohmann::json j{{"count", b.count}, {"by_reason", b.by_reason}};
  if (records) {
    nlohmann::json a = nlohmann::json::array();
    for (const QueueItem& q : b.samples) {
      nlohmann::json o{{"key", q.key}, {"file", q.file}, {"line", q.line}, {"reasons", q.reasons}};
      if (!q.fields.empty()) o["fields"] = q.fields;
      a.push_back(o);
    }
    j["samples"] = a;
  }
  return j;
}

}  // namespace

double MapReport::FailureRate() const {
  int64_t ran = input_lines - skipped.count;
  if (ran <= 0) return 0;
  return static_cast<double>(data_quality.count + held.count + waiting.count + error.count + retrying.count +
                             dead_letter.count) /
         static_cast<double>(ran);
}

const char* Judge(double r) { return r < 0.01 ? "good" : r <= 0.05 ? "warning" : "red"; }

std::string EvaluatedPlaceholderId(const plan::Map& map, const std::string& key) {
  return "(new " + map.target.system + "." + map.target.object + " " + key + ")";
}

bool Run(const plan::Plan& plan, const Systems& systems, state::StateStore* state, const RunOptions& options,
         RunReport& report, std::string& error) {
  if (options.evaluate_only && state) {
    error = "internal: a dry evaluation (evaluate_only) keeps no state: Run was given a state file";
    return false;
  }
  report.integration = plan.integration;
  report.plan_hash = plan::ContentHash(plan);
  report.state_path = state ? state->path() : "";
  report.run = state ? state->BeginRun(report.plan_hash) : 0;
  std::map<std::string, Outcomes> outcomes;
  std::map<std::string, Xref> xrefs;
  BudgetBook budgets(plan, state, report.run, options.now_ms ? options.now_ms() : WallMs());
  RunOptions run_options = options;
  // now() and today(): the run's start, the same for every record of the run.
  if (!run_options.clock) {
    int64_t ms = options.now_ms ? options.now_ms() : WallMs();
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    run_options.clock = value::Time{s, static_cast<int32_t>((ms - s * 1000) * 1000000)};
  }
  // Local targets (files, SQLite) as they are before any map writes, against what the last
  // run that completed left (CheckLocalInStep); kept again when this run completes.
  std::map<std::string, std::pair<connectors::Connector*, const plan::Map*>> local_targets;
  if (state) {
    std::string previous = state->PreviousPlanHash(report.run);
    run_options.plan_changed = !previous.empty() && previous != report.plan_hash;
    for (const plan::Map& m : plan.maps) {
      if (!options.maps.empty() && !options.maps.count(m.name)) continue;
      auto dst = systems.by_name.find(m.target.system);
      if (dst == systems.by_name.end() || dst->second->Remote()) continue;
      local_targets[m.name] = {dst->second, &m};
      std::string before = state->LoadTargetMark(m.name);
      std::string now = dst->second->Fingerprint(m.target.object);
      if (!before.empty() && !now.empty() && before != now) run_options.changed_targets.insert(m.name);
    }
  }
  for (const plan::Map& m : plan.maps) {
    if (state && !m.referenced_by.empty()) xrefs[m.name] = state->LoadXref(m.name);
  }
  if (state && !state->ok()) {
    error = state->error();
    return false;
  }
  for (const plan::Map& m : plan.maps) {
    if (!options.only.empty() && !options.only.count(m.name)) continue;
    if (!options.maps.empty() && !options.maps.count(m.name)) continue;
    auto src = systems.by_name.find(m.source.system);
    auto dst = systems.by_name.find(m.target.system);
    if (src == systems.by_name.end() || dst == systems.by_name.end()) {
      error = "map `" + m.name + "` needs system `" +
              (src == systems.by_name.end() ? m.source.system : m.target.system) + "`: pass --system NAME=DIR_OR_DB";
      return false;
    }
    MapRun run(plan, m, run_options, state, report.run, outcomes, xrefs, budgets);
    MapReport rep;
    if (!run.Run(*src->second, *dst->second, rep, outcomes[m.name], error)) {
      // Nothing of a map that failed is kept in the state file.
      if (state) state->Rollback();
      error = "map `" + m.name + "`: " + error;
      return false;
    }
    report.maps.push_back(std::move(rep));
  }
  for (QueueSink* s : options.sinks) {
    if (!s->Finish(error)) return false;
  }
  // What the run leaves besides its maps' writes (the targets' marks, the run's end and summary):
  // one transaction, so one commit's syncs rather than one per statement.
  if (state && !state->Begin()) {
    error = state->error();
    return false;
  }
  if (state) {
    for (const auto& [st, n] : state->LedgerCounts()) report.ledger[st] = n;
    for (const auto& [name, t] : local_targets) state->SaveTargetMark(name, t.first->Fingerprint(t.second->target.object));
  }
  report.budgets = budgets.Summary();
  if (state && !(state->FinishRun(report.run, ReportJson(report)) && state->Commit())) {
    error = state->error();
    state->Rollback();
    return false;
  }
  return true;
}

std::string ReportJson(const RunReport& r) {
  nlohmann::json maps = nlohmann::json::object();
  for (const MapReport& m : r.maps) {
    double rate = m.FailureRate();
    nlohmann::json related = nlohmann::json::array();
    for (const QueueItem& q : m.related_bad_lines)
      related.push_back(nlohmann::json{{"file", q.file}, {"line", q.line}, {"reasons", q.reasons}});
    maps[m.name] = nlohmann::json{{"source", m.source},
                                  {"target", m.target},
                                  {"input_lines", m.input_lines},
                                  {"written", m.written},
                                  {"skipped", BucketJson(m.skipped, false)},
                                  {"data_quality", BucketJson(m.data_quality, true)},
                                  {"held", BucketJson(m.held, true)},
                                  {"waiting", BucketJson(m.waiting, true)},
                                  {"error", BucketJson(m.error, true)},
                                  {"retrying", BucketJson(m.retrying, true)},
                                  {"dead_letter", BucketJson(m.dead_letter, true)},
                                  {"deleted", BucketJson(m.deleted, true)},
                                  {"retries", m.retries},
                                  {"notes", m.notes},
                                  {"flags_on_written", m.flags_on_written},
                                  {"list_items_written", m.list_items_written},
                                  {"related_bad_lines", related},
                                  {"failure_rate", rate},
                                  {"judgement", Judge(rate)}};
    if (m.calls_source || m.calls_target)
      maps[m.name]["api_calls"] = nlohmann::json{{"source", m.calls_source}, {"target", m.calls_target}};
  }
  nlohmann::json j{{"integration", r.integration}, {"plan_hash", r.plan_hash}, {"run", r.run},
                   {"state", r.state_path}, {"maps", maps}};
  if (!r.queues_dir.empty()) j["queues"] = r.queues_dir;
  if (!r.limits.empty()) j["limits"] = r.limits;
  if (!r.ledger.empty()) j["ledger"] = r.ledger;
  if (!r.budgets.empty()) j["budgets"] = r.budgets;
  return j.dump(2) + "\n";
}

std::string ReportText(const RunReport& r) {
  std::string out = "crmx-run: " + r.integration + " (plan " + r.plan_hash.substr(0, 19) + "...)";
  if (!r.state_path.empty()) out += ", run " + std::to_string(r.run) + ", state " + r.state_path;
  out += "\n\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %7s %8s %8s %13s %6s %8s %6s %9s %5s  %s\n", "map", "lines", "written",
                "skipped", "data-quality", "held", "waiting", "error", "retrying", "dead", "failure rate");
  out += buf;
  for (const MapReport& m : r.maps) {
    double rate = m.FailureRate();
    std::snprintf(buf, sizeof buf, "%-22s %7lld %8lld %8lld %13lld %6lld %8lld %6lld %9lld %5lld  %5.1f%% %s\n",
                  m.name.c_str(), static_cast<long long>(m.input_lines), static_cast<long long>(m.written),
                  static_cast<long long>(m.skipped.count), static_cast<long long>(m.data_quality.count),
                  static_cast<long long>(m.held.count), static_cast<long long>(m.waiting.count),
                  static_cast<long long>(m.error.count), static_cast<long long>(m.retrying.count),
                  static_cast<long long>(m.dead_letter.count), rate * 100, Judge(rate));
    out += buf;
  }
  out += "\n";
  for (const MapReport& m : r.maps) {
    auto reasons = [&](const char* what, const Bucket& b) {
      if (b.count == 0) return;
      out += "  " + m.name + " " + what + ":";
      for (const auto& [k, n] : b.by_reason) out += " " + k + " " + std::to_string(n) + ";";
      out += "\n";
    };
    reasons("skipped", m.skipped);
    reasons("data-quality", m.data_quality);
    reasons("held", m.held);
    reasons("waiting", m.waiting);
    reasons("error", m.error);
    reasons("retrying", m.retrying);
    reasons("dead letter", m.dead_letter);
    reasons("deleted at the source", m.deleted);
    if (m.retries > 0) out += "  " + m.name + " re-sends: " + std::to_string(m.retries) + "\n";
    for (const QueueItem& q : m.related_bad_lines)
      out += "  " + m.name + " note: related " + q.file + " line " + std::to_string(q.line) + ": " + q.reasons.front() + " (skipped)\n";
    if (!m.flags_on_written.empty()) {
      out += "  " + m.name + " flags on written:";
      for (const auto& [k, n] : m.flags_on_written) out += " " + k + " " + std::to_string(n) + ";";
      out += "\n";
    }
  }
  for (const MapReport& m : r.maps) {
    if (m.calls_source || m.calls_target)
      out += "  " + m.name + " api calls: " + std::to_string(m.calls_source) + " reading " + m.source + ", " +
             std::to_string(m.calls_target) + " writing " + m.target + "\n";
  }
  for (const auto& [system, limits] : r.limits) out += "  " + system + " limits: " + limits + "\n";
  for (const auto& [system, used] : r.budgets) out += "  " + system + " budget: " + used + "\n";
  for (const MapReport& m : r.maps)
    for (const std::string& n : m.notes) out += "  " + m.name + " note: " + n + "\n";
  if (!r.ledger.empty()) {
    out += "  ledger:";
    for (const char* st : {"done", "in_flight", "pending", "failed", "dead"}) {
      auto it = r.ledger.find(st);
      out += std::string(" ") + st + " " + std::to_string(it == r.ledger.end() ? 0 : it->second) + ";";
    }
    out += "\n";
  }
  out += "\nfailure rate = (data-quality + held + waiting + error + retrying + dead letter) / (lines - skipped): under "
         "1% good, 1-5% warning, over 5% red\n";
  if (!r.queues_dir.empty()) {
    out += "queues: " + r.queues_dir + "/{quality,held,waiting,errors,retrying,dead_letters,deleted,flags}.jsonl\n";
  }
  if (!r.state_path.empty()) {
    out += "queues in the state file: crmx-run queue list --state " + r.state_path + " (docs/operations.md)\n";
  }
  return out;
}

}  // namespace crmx::engine
