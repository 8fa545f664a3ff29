// Defines the run loop (engine.h).
#include "runtime/engine/engine.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "runtime/vm/vm.h"

namespace crmx::engine {

namespace {

using connectors::Record;
using value::Value;

// The id field of the records a relation joins on (Salesforce's `Id`). See docs/operations.md.
constexpr const char* kIdField = "Id";

std::string KeyText(const Value& v) {
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  if (v.IsNull()) return {};
  return value::Display(v);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A program with its inputs resolved to bindings.
struct Bound {
  const vm::Program* program = nullptr;
  std::vector<const plan::Binding*> inputs;
};

Bound Bind(const vm::Program& p, const std::vector<plan::Binding>& bindings) {
  Bound b;
  b.program = &p;
  for (const std::string& name : p.input_names) {
    const plan::Binding* found = nullptr;
    for (const plan::Binding& x : bindings) if (x.name == name) found = &x;
    b.inputs.push_back(found);
  }
  return b;
}

struct Outcome {
  std::string status;  // written, skipped, data_quality, held, waiting, error
};

class MapRun {
 public:
  MapRun(const plan::Plan& plan, const plan::Map& map, connectors::Connector& source, connectors::Connector& target,
         state::StateStore* state, int64_t run,
         const std::map<std::string, std::unordered_map<std::string, std::string>>& outcomes,
         std::map<std::string, std::unordered_map<std::string, std::string>>& xrefs)
      : plan_(plan), map_(map), source_(source), target_(target), state_(state), run_(run), outcomes_(outcomes),
        xrefs_(xrefs) {}

  bool Run(MapReport& rep, std::unordered_map<std::string, std::string>& outcome, std::string& error) {
    rep.name = map_.name;
    rep.source = map_.source.system + "." + map_.source.object;
    rep.target = map_.target.system + "." + map_.target.object;
    // Sources: the map's object, its parents, its children, projected.
    connectors::ReadResult in;
    if (!source_.Read(map_.source.object, map_.projection.fields, in, error)) return false;
    rep.input_lines = in.lines;
    for (const connectors::BadLine& b : in.bad) {
      Add(rep.error, QueueItem{"", b.file, b.line, {b.reason}}, "error");
    }
    for (const plan::Relation& r : map_.projection.relations) {
      std::vector<std::string> fields = r.fields;
      if (r.child) fields.push_back(r.via); else fields.push_back(kIdField);
      std::sort(fields.begin(), fields.end());
      fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
      connectors::ReadResult rr;
      if (!source_.Read(r.object, fields, rr, error)) return false;
      for (const connectors::BadLine& b : rr.bad) rep.related_bad_lines.push_back(QueueItem{"", b.file, b.line, {b.reason}});
      if (r.child) {
        auto& groups = children_[r.name];
        for (Record& rec : rr.records) {
          std::string parent = KeyText(rec.fields[r.via]);
          std::vector<std::pair<Value, Value>> entries;
          for (const std::string& f : r.fields) entries.emplace_back(Value::String(f), rec.fields[f]);
          groups[parent].push_back(Value::Map(std::move(entries)));
        }
      } else {
        auto& index = parents_[r.name];
        for (Record& rec : rr.records) index[KeyText(rec.fields[kIdField])] = std::move(rec);
        via_[r.name] = r.via;
      }
    }
    for (const plan::Table& t : plan_.tables) tables_[t.name] = Value::Map(t.entries);
    // Programs with their bindings.
    const plan::Sync* sync = plan_.FindSync(map_.name);
    std::vector<Bound> when;
    if (sync) for (const plan::WhenPart& w : sync->when) when.push_back(Bind(w.program, w.bindings));
    std::vector<Bound> steps, probes;
    const plan::Step* key_step = nullptr;
    for (const plan::Step& s : map_.steps) {
      steps.push_back(Bind(s.program, s.bindings));
      probes.push_back(s.flag_probe ? Bind(*s.flag_probe, s.bindings) : Bound{});
      if (s.kind == plan::StepKind::kKey && key_step == nullptr) key_step = &s;
    }
    target_.Begin();
    if (state_) state_->Begin();
    for (const Record& rec : in.records) {
      assigned_.clear();
      std::string id;
      if (key_step) id = KeyText(Eval(steps[static_cast<size_t>(key_step - map_.steps.data())], rec));
      QueueItem item{id, rec.file, rec.line, {}};
      std::string status = Process(rep, rec, when, steps, probes, item);
      if (!id.empty()) outcome[id] = status;
    }
    if (!target_.Commit(error)) return false;
    if (state_) state_->Commit();
    return true;
  }

 private:
  void Add(Bucket& b, QueueItem item, const std::string& queue, std::vector<std::string> fields = {}) {
    ++b.count;
    ++b.by_reason[item.reasons.empty() ? "" : item.reasons.front()];
    if (queue == "skipped") return;
    if (state_) {
      state_->AddQueueEntry(run_, state::QueueEntry{map_.name, queue, item.id, item.file, item.line, item.reasons,
                                                    std::move(fields)});
    }
    b.records.push_back(std::move(item));
  }

  Value Input(const plan::Binding* b, const Record& rec) {
    if (b == nullptr) return Value::Error("unbound input");
    switch (b->kind) {
      case plan::BindingKind::kField: {
        auto it = rec.fields.find(b->field);
        return it == rec.fields.end() ? Value::Null() : it->second;
      }
      case plan::BindingKind::kParent: {
        auto via = rec.fields.find(via_[b->relation]);
        if (via == rec.fields.end()) return Value::Null();
        auto& index = parents_[b->relation];
        auto p = index.find(KeyText(via->second));
        if (p == index.end()) return Value::Null();
        auto f = p->second.fields.find(b->field);
        return f == p->second.fields.end() ? Value::Null() : f->second;
      }
      case plan::BindingKind::kChildren: {
        auto idf = rec.fields.find(kIdField);
        if (idf == rec.fields.end()) return Value::List({});
        auto& groups = children_[b->relation];
        auto g = groups.find(KeyText(idf->second));
        return g == groups.end() ? Value::List({}) : Value::List(g->second);
      }
      case plan::BindingKind::kAssigned: {
        for (const auto& [k, v] : assigned_) if (k == b->field) return v;
        return Value::Null();
      }
      case plan::BindingKind::kTable: {
        auto t = tables_.find(b->field);
        return t == tables_.end() ? Value::Error("no table " + b->field) : t->second;
      }
    }
    return Value::Null();
  }

  Value Eval(const Bound& b, const Record& rec) {
    inputs_.clear();
    for (const plan::Binding* x : b.inputs) inputs_.push_back(Input(x, rec));
    return vm_.Run(*b.program, inputs_).Owned();
  }

  std::string Process(MapReport& rep, const Record& rec, const std::vector<Bound>& when,
                      const std::vector<Bound>& steps, const std::vector<Bound>& probes, QueueItem& item) {
    const plan::Sync* sync = plan_.FindSync(map_.name);
    for (size_t i = 0; i < when.size(); ++i) {
      if (!Eval(when[i], rec).IsTrue()) {
        item.reasons.push_back(sync->when[i].reason);
        Add(rep.skipped, item, "skipped");
        return "skipped";
      }
    }
    // Every require, in order: all failing reasons go with the record.
    std::vector<std::string> fields;
    for (size_t i = 0; i < steps.size(); ++i) {
      const plan::Step& s = map_.steps[i];
      if (s.kind != plan::StepKind::kRequire) continue;
      if (!Eval(steps[i], rec).IsTrue()) {
        item.reasons.push_back(s.reason);
        for (const plan::Binding& b : s.bindings) fields.push_back(b.name);
      }
    }
    if (!item.reasons.empty()) {
      Add(rep.data_quality, item, "data_quality", fields);
      return "data_quality";
    }
    std::string key_field;
    std::vector<std::string> flags;
    for (size_t i = 0; i < steps.size(); ++i) {
      const plan::Step& s = map_.steps[i];
      if (s.kind == plan::StepKind::kRequire) continue;
      Value v = Eval(steps[i], rec);
      if (s.kind == plan::StepKind::kRef) {
        std::string src = KeyText(v);
        auto& xref = xrefs_[s.ref_map];
        auto hit = xref.find(src);
        if (v.IsError() || src.empty() || hit == xref.end()) {
          const plan::Map* ref = plan_.FindMap(s.ref_map);
          std::string what = ref ? Lower(ref->source.object) : s.ref_map;
          std::string why = "not found";
          auto o = outcomes_.find(s.ref_map);
          if (o != outcomes_.end()) {
            auto st = o->second.find(src);
            if (st != o->second.end()) {
              why = st->second == "data_quality" ? "data-quality" : st->second;
            }
          }
          item.reasons.push_back(what + " " + why);
          Add(rep.waiting, item, "waiting");
          return "waiting";
        }
        v = Value::String(hit->second);
      } else if (v.IsHold()) {
        item.reasons.push_back(v.ErrorReason());
        Add(rep.held, item, "held");
        return "held";
      } else if (v.IsError()) {
        item.reasons.push_back(s.target + ": " + v.ErrorReason());
        Add(rep.error, item, "error");
        return "error";
      }
      if (s.kind == plan::StepKind::kKey) {
        key_field = s.target;
        if (v.IsNull()) {
          item.reasons.push_back("key " + s.target + " has no value");
          Add(rep.error, item, "error");
          return "error";
        }
      }
      if (s.flag) {
        bool fires = true;
        if (probes[i].program) {
          Value first = Eval(probes[i], rec);
          fires = first.IsNull() || first.IsError();
        }
        if (fires) flags.push_back(*s.flag);
      }
      assigned_.emplace_back(s.target, std::move(v));
    }
    if (key_field.empty()) {
      item.reasons.push_back("the map has no key: cannot upsert");
      Add(rep.error, item, "error");
      return "error";
    }
    std::string target_id, error;
    if (!target_.Upsert(map_.target.object, key_field, assigned_, target_id, error)) {
      item.reasons.push_back("write failed: " + error);
      Add(rep.error, item, "error");
      return "error";
    }
    ++rep.written;
    for (const std::string& f : flags) ++rep.flags_on_written[f];
    for (const auto& [k, v] : assigned_) {
      if (v.kind() == value::Kind::kList) rep.list_items_written[k] += static_cast<int64_t>(v.AsList().size());
    }
    xrefs_[map_.name][item.id] = target_id;
    if (state_ && !item.id.empty()) state_->PutXref(map_.name, item.id, target_id);
    return "written";
  }

  const plan::Plan& plan_;
  const plan::Map& map_;
  connectors::Connector& source_;
  connectors::Connector& target_;
  state::StateStore* state_;
  int64_t run_;
  const std::map<std::string, std::unordered_map<std::string, std::string>>& outcomes_;
  std::map<std::string, std::unordered_map<std::string, std::string>>& xrefs_;
  vm::VM vm_;
  std::vector<Value> inputs_;
  std::vector<std::pair<std::string, Value>> assigned_;
  std::map<std::string, std::unordered_map<std::string, Record>> parents_;
  std::map<std::string, std::string> via_;
  std::map<std::string, std::unordered_map<std::string, std::vector<Value>>> children_;
  std::map<std::string, Value> tables_;
};

nlohmann::json BucketJson(const Bucket& b, bool records) {
  nlohmann::json j{{"count", b.count}, {"by_reason", b.by_reason}};
  if (records) {
    nlohmann::json a = nlohmann::json::array();
    for (const QueueItem& q : b.records)
      a.push_back(nlohmann::json{{"Id", q.id}, {"file", q.file}, {"line", q.line}, {"reasons", q.reasons}});
    j["records"] = a;
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

bool Run(const plan::Plan& plan, const Systems& systems, state::StateStore* state, RunReport& report,
         std::string& error) {
  report.integration = plan.integration;
  report.plan_hash = plan::ContentHash(plan);
  report.state_path = state ? state->path() : "";
  report.run = state ? state->BeginRun(report.plan_hash) : 0;
  std::map<std::string, std::unordered_map<std::string, std::string>> outcomes;
  std::map<std::string, std::unordered_map<std::string, std::string>> xrefs;
  for (const plan::Map& m : plan.maps) {
    if (state) xrefs[m.name] = state->LoadXref(m.name);
  }
  for (const plan::Map& m : plan.maps) {
    auto src = systems.by_name.find(m.source.system);
    auto dst = systems.by_name.find(m.target.system);
    if (src == systems.by_name.end() || dst == systems.by_name.end()) {
      error = "map `" + m.name + "` needs system `" +
              (src == systems.by_name.end() ? m.source.system : m.target.system) + "`: pass --system NAME=DIR_OR_DB";
      return false;
    }
    MapRun run(plan, m, *src->second, *dst->second, state, report.run, outcomes, xrefs);
    MapReport rep;
    if (!run.Run(rep, outcomes[m.name], error)) {
      error = "map `" + m.name + "`: " + error;
      return false;
    }
    report.maps.push_back(std::move(rep));
  }
  if (state) state->FinishRun(report.run, ReportJson(report));
  return true;
}

std::string ReportJson(const RunReport& r) {
  nlohmann::json maps = nlohmann::json::object();
  for (const MapReport& m : r.maps) {
    double rate = m.FailureRate();
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
                                  {"related_bad_lines", BucketJson(Bucket{static_cast<int64_t>(m.related_bad_lines.size()), {}, m.related_bad_lines}, true)["records"]},
                                  {"failure_rate", rate},
                                  {"judgement", Judge(rate)}};
  }
  nlohmann::json j{{"integration", r.integration}, {"plan_hash", r.plan_hash}, {"run", r.run},
                   {"state", r.state_path}, {"maps", maps}};
  return j.dump(2) + "\n";
}

std::string ReportText(const RunReport& r) {
  std::string out = "crmx-run: " + r.integration + " (plan " + r.plan_hash.substr(0, 19) + "...)";
  if (!r.state_path.empty()) out += ", run " + std::to_string(r.run) + ", state " + r.state_path;
  out += "\n\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %6s %8s %8s %13s %6s %8s %6s  %s\n", "map", "lines", "written", "skipped",
                "data-quality", "held", "waiting", "error", "failure rate");
  out += buf;
  for (const MapReport& m : r.maps) {
    double rate = m.FailureRate();
    std::snprintf(buf, sizeof buf, "%-22s %6lld %8lld %8lld %13lld %6lld %8lld %6lld  %5.1f%% %s\n", m.name.c_str(),
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
  out += "\nfailure rate = (data-quality + held + waiting + error) / (lines - skipped): under 1% good, 1-5% warning, "
         "over 5% red\n";
  if (!r.state_path.empty()) {
    out += "queues: sqlite3 " + r.state_path + " \"SELECT map, queue, record_id, file, line, reasons FROM queue WHERE run = " +
           std::to_string(r.run) + "\" (docs/operations.md)\n";
  }
  return out;
}

}  // namespace crmx::engine
