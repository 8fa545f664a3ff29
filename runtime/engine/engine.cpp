// Defines the run loop (engine.h).
#include "runtime/engine/engine.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "runtime/vm/vm.h"

namespace crmx::engine {

namespace {

using connectors::RecordBatch;
using value::Value;

constexpr size_t kDefaultBatch = 1024;
constexpr const char* kFilteredReason = "left out by the source query (`when` pushed down)";
constexpr const char* kUnchangedReason = "unchanged since the last run";
constexpr const char* kSameOutputReason = "already written with these values";

std::string KeyText(const Value& v) {
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  if (v.IsNull()) return {};
  return value::Display(v);
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
};

struct Bound {
  const vm::Program* program = nullptr;
  std::vector<Slot> slots;
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
enum class Status { kWritten, kSkipped, kUnchanged, kDataQuality, kHeld, kWaiting, kError, kSent };

const char* QueueName(Status s) {
  switch (s) {
    case Status::kDataQuality: return "data_quality";
    case Status::kHeld: return "held";
    case Status::kWaiting: return "waiting";
    case Status::kError: return "error";
    case Status::kSkipped:
    case Status::kUnchanged: return "skipped";
    case Status::kWritten:
    case Status::kSent: return "written";
  }
  return "error";
}

using Outcomes = std::unordered_map<std::string, Status>;  // source key -> where it ended
using Xref = std::unordered_map<std::string, std::string>;   // source key -> target id

class MapRun {
 public:
  MapRun(const plan::Plan& plan, const plan::Map& map, const RunOptions& options, state::StateStore* state,
         int64_t run, const std::map<std::string, Outcomes>& outcomes, std::map<std::string, Xref>& xrefs)
      : plan_(plan), map_(map), options_(options), state_(state), run_(run), outcomes_(outcomes), xrefs_(xrefs),
        keep_ids_(!map.referenced_by.empty()) {}

  bool Run(connectors::Connector& source, connectors::Connector& target, MapReport& rep, Outcomes& outcome,
           std::string& error) {
    rep.name = map_.name;
    rep.source = map_.source.system + "." + map_.source.object;
    rep.target = map_.target.system + "." + map_.target.object;
    if (!ReadRelated(source, rep, error)) return false;
    for (const plan::Table& t : plan_.tables) tables_.push_back(Value::Map(t.entries));
    Prepare();
    connectors::ReadRequest req;
    req.object = map_.source.object;
    req.fields = map_.projection.fields;
    req.types = map_.projection.types;
    req.batch = map_.read_batch > 0 ? static_cast<size_t>(map_.read_batch) : kDefaultBatch;
    if (sync_) req.pushdown = sync_->pushdown;
    PrepareCursor();
    // API connectors ask the system only for records at or after the previous run's newest
    // cursor (ties included); the engine still compares every record's cursor.
    if (watermark_ && retry_.empty()) {
      req.cursor = map_.cursor;
      req.since = value::FormatTimestamp(*watermark_);
    }
    req.id_field = map_.source_id;
    std::unique_ptr<connectors::RecordReader> reader = source.OpenReader(req, error);
    if (!reader) return false;
    std::string key_field;
    for (const plan::Step& s : map_.steps) if (s.kind == plan::StepKind::kKey && key_field.empty()) key_field = s.target;
    connectors::WriteRequest wreq{map_.target.object, key_field, map_.target_fields, map_.target_id,
                                  map_.write_batch > 0 ? static_cast<size_t>(map_.write_batch) : 0};
    std::unique_ptr<connectors::RecordWriter> writer;
    if (!key_field.empty()) {
      writer = target.OpenWriter(wreq, error);
      if (!writer) return false;
    }
    // Into an API, a record whose output is what an earlier run wrote is not sent again (it
    // would cost a call and stamp the record as changed: the echo a sync back would see).
    remember_written_ = state_ != nullptr && target.Remote();
    if (remember_written_ && !options_.full) written_ = state_->LoadWritten(map_.name);
    if (state_ && !state_->Begin()) return StateFailed(error);
    RecordBatch batch;
    Progress progress{&map_.name, 0, 0, reader->Total(), false};
    while (reader->Next(batch)) {
      rep.input_lines += static_cast<int64_t>(batch.size() + batch.bad.size());
      for (const connectors::BadLine& b : batch.bad) Add(rep.error, QueueItem{"", b.file, b.line, Reasons(b), {}}, Status::kError);
      for (size_t i = 0; i < batch.size(); ++i) {
        Status s = Process(rep, batch.Row(i), batch.file, batch.lines[i], writer.get());
        if (keep_ids_ && !key_.empty() && s != Status::kSent) outcome[key_] = s;
        if (!write_error_.empty()) {
          error = write_error_;
          return false;
        }
      }
      Settle(rep, outcome);
      if (state_ && !state_->ok()) return StateFailed(error);
      progress.records = rep.input_lines;
      progress.done = reader->Done();
      if (options_.progress) options_.progress(progress);
    }
    if (!reader->error().empty()) {
      error = "reading " + map_.source.system + "." + map_.source.object + ": " + reader->error();
      return false;
    }
    // Records the source query left out (pushdown of `when`): skipped, without being read.
    if (auto filtered = static_cast<int64_t>(reader->Filtered()); filtered > 0) {
      rep.input_lines += filtered;
      rep.skipped.count += filtered;
      rep.skipped.by_reason[kFilteredReason] += filtered;
    }
    if (writer) {
      if (!writer->Commit(results_, error)) return false;
      Settle(rep, outcome);
      for (const auto& [tag, p] : pending_)
        error += "internal: the writer gave no result for " + p.item.key + "; ";
      if (!pending_.empty()) return false;
      rep.calls_target += writer->Calls();
    }
    rep.calls_source += reader->Calls();
    if (state_ && !map_.cursor.empty() && newest_.seconds != value::kMinTimestampSeconds - 1)
      state_->SaveCursor(map_.name, value::FormatTimestamp(newest_));
    if (state_ && !state_->Commit()) return StateFailed(error);
    progress.finished = true;
    if (options_.progress) options_.progress(progress);
    return true;
  }

 private:
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
      connectors::ReadRequest req;
      req.object = r.object;
      req.fields = fields;
      req.types = types;
      req.batch = kDefaultBatch;
      std::unique_ptr<connectors::RecordReader> reader = source.OpenReader(req, error);
      if (!reader) return false;
      RecordBatch batch;
      while (reader->Next(batch)) {
        for (const connectors::BadLine& b : batch.bad) rep.related_bad_lines.push_back(QueueItem{"", b.file, b.line, Reasons(b), {}});
        for (size_t i = 0; i < batch.size(); ++i) {
          const Value* row = batch.Row(i);
          std::string id = KeyText(row[join_at]);
          if (r.child) {
            std::vector<std::pair<Value, Value>> entries;
            for (size_t f = 0; f < r.fields.size(); ++f) entries.emplace_back(Value::String(r.fields[f]), row[f].Owned());
            rel.children[id].push_back(Value::Map(std::move(entries)));
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
      b.slots.push_back(s);
    }
    return b;
  }

  // Change detection (docs/operations.md, "Changed records"): the cursor a previous run left,
  // and the records to look at again whatever their cursor (those left waiting).
  void PrepareCursor() {
    cursor_at_ = IndexOf(map_.projection.fields, map_.cursor);
    newest_.seconds = value::kMinTimestampSeconds - 1;
    if (map_.cursor.empty() || state_ == nullptr) return;
    std::string saved = state_->LoadCursor(map_.name);
    value::Time t;
    if (!options_.full && !saved.empty() && value::ParseTimestamp(saved, t)) {
      watermark_ = t;
      retry_ = state_->LastRunKeys(map_.name, "waiting");
    }
  }

  // Whether the record's cursor says it did not change since the last run (and it is not a
  // record to retry). Notes the newest cursor seen.
  bool Unchanged(const Value* row) {
    if (cursor_at_ >= map_.projection.fields.size()) return false;
    const Value& c = row[cursor_at_];
    if (c.kind() != value::Kind::kTimestamp) return false;  // no cursor: look at it
    value::Time t = c.AsTime();
    if (std::tie(t.seconds, t.nanos) > std::tie(newest_.seconds, newest_.nanos)) newest_ = t;
    if (!watermark_ || retry_.count(key_)) return false;
    return std::tie(t.seconds, t.nanos) <= std::tie(watermark_->seconds, watermark_->nanos);
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
      probes_.push_back(s.flag_probe ? Bind(*s.flag_probe, s.bindings) : Bound{});
      out_index_.push_back(OutIndex(s.target));
    }
    for (size_t i = 0; i < map_.steps.size(); ++i)
      if (map_.steps[i].kind == plan::StepKind::kKey) key_step_ = i;
  }

  Value Input(const Slot& s, const Value* row) {
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
    for (const Slot& s : b.slots) {
      if (s.kind != plan::BindingKind::kShared || !s.bound || s.index >= shared_.size() || shared_ready_[s.index]) continue;
      shared_values_[s.index] = Eval(shared_[s.index], row);
      shared_ready_[s.index] = true;
    }
    inputs_.clear();
    for (const Slot& s : b.slots) inputs_.push_back(Input(s, row));
    return vm_.Run(*b.program, inputs_);
  }

  void Add(Bucket& b, QueueItem item, Status status) {
    ++b.count;
    ++b.by_reason[item.reasons.empty() ? "" : item.reasons.front()];
    if (status == Status::kSkipped || status == Status::kUnchanged) return;
    const char* queue = QueueName(status);
    if (state_) {
      state_->AddQueueEntry(run_, state::QueueEntry{map_.name, queue, item.key, item.file, item.line, item.reasons,
                                                    item.fields});
    }
    for (QueueSink* s : options_.sinks) s->Add(map_.name, queue, item);
    if (b.samples.size() < options_.samples) b.samples.push_back(std::move(item));
  }

  Status Queue(Bucket& b, Status status, const std::string& file, int64_t line, std::vector<std::string> reasons,
               std::vector<std::string> fields = {}) {
    Add(b, QueueItem{key_, file, line, std::move(reasons), std::move(fields)}, status);
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
    std::fill(out_.begin(), out_.end(), Value::Null());
    std::fill(shared_ready_.begin(), shared_ready_.end(), false);
    Value key_value;
    if (key_step_) {
      key_value = Eval(steps_[*key_step_], row);
      key_ = KeyText(key_value);
    }
    if (Unchanged(row)) return Queue(rep.skipped, Status::kUnchanged, file, line, {kUnchangedReason});
    // A field the connector could not convert (`Amount: "lots" is not a decimal number`) makes
    // the record an error, before `when` or `??` could take the value for a missing one.
    std::vector<std::string> bad;
    for (size_t f = 0; f < map_.projection.fields.size(); ++f)
      if (row[f].IsError()) bad.push_back(row[f].ErrorReason());
    if (!bad.empty()) return Queue(rep.error, Status::kError, file, line, std::move(bad));
    for (size_t i = 0; i < when_.size(); ++i) {
      if (!Eval(when_[i], row).IsTrue()) return Queue(rep.skipped, Status::kSkipped, file, line, {sync_->when[i].reason});
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
      if (s.flag) {
        bool fires = true;
        if (probes_[i].program) {
          Value first = Eval(probes_[i], row);
          fires = first.IsNull() || first.IsError();
        }
        if (fires) flags_.push_back(&*s.flag);
      }
      if (out_index_[i] < out_.size()) out_[out_index_[i]] = std::move(v);
    }
    if (writer == nullptr) return Queue(rep.error, Status::kError, file, line, {"the map has no key: cannot upsert"});
    std::string hash;
    if (remember_written_ && !key_.empty()) {
      hash = OutputHash();
      auto seen = written_.find(key_);
      if (seen != written_.end() && seen->second == hash)
        return Queue(rep.skipped, Status::kUnchanged, file, line, {kSameOutputReason});
    }
    // The record goes to the writer; what happens next is decided by its result.
    uint64_t tag = next_tag_++;
    size_t before = results_.size();
    if (!writer->Add(out_.data(), tag, results_, write_error_)) {
      write_error_ = "writing " + map_.target.object + ": " + write_error_;
      return Status::kError;
    }
    list_items_.clear();
    for (size_t i = 0; i < map_.target_fields.size(); ++i) {
      if (out_[i].kind() == value::Kind::kList)
        list_items_.emplace_back(i, static_cast<int64_t>(out_[i].AsList().size()));
    }
    std::string external_id;
    if (keep_ids_ && key_step_ && out_index_[*key_step_] < out_.size()) external_id = KeyText(out_[out_index_[*key_step_]]);
    // A writer that answered at once (files, SQLite, memory): concluded here.
    if (results_.size() == before + 1 && results_.back().tag == tag) {
      connectors::WriteResult r = std::move(results_.back());
      results_.pop_back();
      return Conclude(rep, r, key_, file, line, flags_, list_items_, hash, external_id);
    }
    // An API writer sends batches: the record waits for its result (Settle).
    Pending p;
    p.hash = std::move(hash);
    p.item = QueueItem{key_, file, line, {}, {}};
    p.external_id = std::move(external_id);
    p.flags = flags_;
    p.list_items = list_items_;
    pending_.emplace(tag, std::move(p));
    return Status::kSent;
  }

  // What a record whose write result came back leads to: written (counted, its flags raised,
  // its output hash and its own id in the target kept) or, refused, the error queue with what
  // the system said.
  Status Conclude(MapReport& rep, connectors::WriteResult& r, const std::string& key, const std::string& file,
                  int64_t line, const std::vector<const std::string*>& flags,
                  const std::vector<std::pair<size_t, int64_t>>& list_items, const std::string& hash,
                  const std::string& external_id) {
    if (!r.ok) {
      Add(rep.error, QueueItem{key, file, line, {"write failed: " + r.Describe()}, std::move(r.fields)}, Status::kError);
      return Status::kError;
    }
    ++rep.written;
    for (const std::string* f : flags) {
      ++rep.flags_on_written[*f];
      for (QueueSink* sink : options_.sinks) sink->Flag(map_.name, key, *f);
    }
    for (const auto& [i, n] : list_items) rep.list_items_written[map_.target_fields[i].name] += n;
    if (!hash.empty()) {
      state_->PutWritten(map_.name, key, hash);
      written_[key] = hash;
    }
    if (keep_ids_ && !key.empty()) {
      // What a `ref` to this record resolves to: its own id in the target (the external id,
      // the key, is kept alongside in the state file).
      xrefs_[map_.name][key] = r.id;
      if (state_) state_->PutXref(map_.name, key, r.id, external_id);
    }
    return Status::kWritten;
  }

  // Concludes the records whose results came back from a batch.
  void Settle(MapReport& rep, Outcomes& outcome) {
    for (connectors::WriteResult& r : results_) {
      auto it = pending_.find(r.tag);
      if (it == pending_.end()) continue;
      Pending p = std::move(it->second);
      pending_.erase(it);
      Status status = Conclude(rep, r, p.item.key, p.item.file, p.item.line, p.flags, p.list_items, p.hash, p.external_id);
      if (keep_ids_ && !p.item.key.empty()) outcome[p.item.key] = status;
    }
    results_.clear();
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

  // A record handed to the writer, waiting for its result.
  struct Pending {
    std::string hash;  // OutputHash, when kept
    QueueItem item;
    std::string external_id;  // the value the key field was written with
    std::vector<const std::string*> flags;
    std::vector<std::pair<size_t, int64_t>> list_items;  // target field index -> items
  };

  const plan::Plan& plan_;
  const plan::Map& map_;
  const RunOptions& options_;
  state::StateStore* state_;
  int64_t run_;
  const std::map<std::string, Outcomes>& outcomes_;
  std::map<std::string, Xref>& xrefs_;
  bool keep_ids_;  // another map `ref`s this one: keep its outcomes and id cross-reference
  vm::VM vm_;
  const plan::Sync* sync_ = nullptr;
  std::vector<Bound> when_, steps_, probes_, shared_;
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
  std::optional<value::Time> watermark_;   // the previous run's newest cursor
  std::unordered_set<std::string> retry_;  // keys left waiting by the previous run
  value::Time newest_;                     // the newest cursor this run read
  std::vector<const std::string*> flags_;
  std::string key_;
  // Writes handed to the writer and their results.
  std::unordered_map<uint64_t, Pending> pending_;
  std::vector<connectors::WriteResult> results_;
  uint64_t next_tag_ = 0;
  // Maps into an API: the output hash last written per key (state table `written`).
  bool remember_written_ = false;
  std::unordered_map<std::string, std::string> written_;
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
  return static_cast<double>(data_quality.count + held.count + waiting.count + error.count) / static_cast<double>(ran);
}

const char* Judge(double r) { return r < 0.01 ? "good" : r <= 0.05 ? "warning" : "red"; }

bool Run(const plan::Plan& plan, const Systems& systems, state::StateStore* state, const RunOptions& options,
         RunReport& report, std::string& error) {
  report.integration = plan.integration;
  report.plan_hash = plan::ContentHash(plan);
  report.state_path = state ? state->path() : "";
  report.run = state ? state->BeginRun(report.plan_hash) : 0;
  std::map<std::string, Outcomes> outcomes;
  std::map<std::string, Xref> xrefs;
  for (const plan::Map& m : plan.maps) {
    if (state && !m.referenced_by.empty()) xrefs[m.name] = state->LoadXref(m.name);
  }
  if (state && !state->ok()) {
    error = state->error();
    return false;
  }
  for (const plan::Map& m : plan.maps) {
    auto src = systems.by_name.find(m.source.system);
    auto dst = systems.by_name.find(m.target.system);
    if (src == systems.by_name.end() || dst == systems.by_name.end()) {
      error = "map `" + m.name + "` needs system `" +
              (src == systems.by_name.end() ? m.source.system : m.target.system) + "`: pass --system NAME=DIR_OR_DB";
      return false;
    }
    MapRun run(plan, m, options, state, report.run, outcomes, xrefs);
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
  if (state && !state->FinishRun(report.run, ReportJson(report))) {
    error = state->error();
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
  return j.dump(2) + "\n";
}

std::string ReportText(const RunReport& r) {
  std::string out = "crmx-run: " + r.integration + " (plan " + r.plan_hash.substr(0, 19) + "...)";
  if (!r.state_path.empty()) out += ", run " + std::to_string(r.run) + ", state " + r.state_path;
  out += "\n\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %7s %8s %8s %13s %6s %8s %6s  %s\n", "map", "lines", "written", "skipped",
                "data-quality", "held", "waiting", "error", "failure rate");
  out += buf;
  for (const MapReport& m : r.maps) {
    double rate = m.FailureRate();
    std::snprintf(buf, sizeof buf, "%-22s %7lld %8lld %8lld %13lld %6lld %8lld %6lld  %5.1f%% %s\n", m.name.c_str(),
                  static_cast<long long>(m.input_lines), static_cast<long long>(m.written),
                  static_cast<long long>(m.skipped.count), static_cast<long long>(m.data_quality.count),
                  static_cast<long long>(m.held.count), static_cast<long long>(m.waiting.count),
                  static_cast<long long>(m.error.count), rate * 100, Judge(rate));
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
  out += "\nfailure rate = (data-quality + held + waiting + error) / (lines - skipped): under 1% good, 1-5% warning, "
         "over 5% red\n";
  if (!r.queues_dir.empty()) {
    out += "queues: " + r.queues_dir + "/{quality,held,waiting,errors,flags}.jsonl\n";
  }
  if (!r.state_path.empty()) {
    out += "queues in the state file: sqlite3 " + r.state_path +
           " \"SELECT map, queue, record_id, file, line, reasons FROM queue WHERE run = " + std::to_string(r.run) +
           "\" (docs/operations.md)\n";
  }
  return out;
}

}  // namespace crmx::engine
