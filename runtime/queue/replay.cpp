// Defines Replay (replay.h): the engine run over the queued records, the dry run's recording
// connectors, and what became of each record.
#include "runtime/queue/replay.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "runtime/connectors/connector.h"
#include "runtime/report/data_quality.h"
#include "runtime/queue/temp_dir.h"
#include "runtime/value/value.h"

namespace crmx::queue {

namespace {

namespace fs = std::filesystem;

// Every queued record the replayed run reports.
class CaptureSink : public engine::QueueSink {
 public:
  struct Entry {
    std::string map, queue;
    engine::QueueItem item;
  };
  void Add(const std::string& map, const std::string& queue, const engine::QueueItem& item) override {
    entries.push_back({map, queue, item});
  }
  void Flag(const std::string&, const std::string&, const std::string&) override {}
  void Written(const std::string& map, const std::string& key) override { written.insert(map + '\x1f' + key); }
  bool Finish(std::string&) override { return true; }
  std::vector<Entry> entries;
  std::set<std::string> written;  // map \x1f key of every record the replay wrote
};


std::string KeyText(const value::Value& v) {
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  if (v.IsNull()) return {};
  return value::Display(v);
}

// The writer of a dry run: answers every record ok, at once, and keeps what it would have
// written; sends nothing.
class RecordingWriter : public connectors::RowWriter {
 public:
  RecordingWriter(connectors::WriteRequest req, std::string system, std::vector<Recorded>& out,
                  std::function<std::string(const std::string& key)> id_of)
      : req_(std::move(req)), system_(std::move(system)), out_(out), id_of_(std::move(id_of)) {}

 protected:
  bool WriteOne(const value::Value* values, connectors::WriteResult& r, std::string&) override {
    Recorded w{system_, req_.object, {}, {}};
    std::string id;
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      std::string text;
      connectors::AppendField(text, values[i], req_.fields[i]);
      if (req_.fields[i].name == req_.key_field) w.key = KeyText(values[i]);
      if (!req_.id_field.empty() && req_.fields[i].name == req_.id_field && !values[i].IsNull()) id = KeyText(values[i]);
      w.fields.emplace_back(req_.fields[i].name, std::move(text));
    }
    if (id.empty()) id = id_of_(w.key);
    r.ok = true;
    r.id = id.empty() ? "(new)" : id;
    out_.push_back(std::move(w));
    return true;
  }
  bool Finish(std::string&) override { return true; }

 private:
  connectors::WriteRequest req_;
  std::string system_;
  std::vector<Recorded>& out_;
  std::function<std::string(const std::string&)> id_of_;
};

// A system in a dry run: reads from the real one, writes into a RecordingWriter.
class RecordingConnector : public connectors::Connector {
 public:
  RecordingConnector(connectors::Connector& real, std::string system, std::vector<Recorded>& out,
                     std::function<std::string(const std::string& object, const std::string& key)> id_of)
      : real_(real), system_(std::move(system)), out_(out), id_of_(std::move(id_of)) {}
  std::string Describe() const override { return real_.Describe() + " (dry run: writes recorded, not sent)"; }
  std::unique_ptr<connectors::RecordReader> OpenReader(const connectors::ReadRequest& req, std::string& error) override {
    return real_.OpenReader(req, error);
  }
  std::unique_ptr<connectors::RecordWriter> OpenWriter(const connectors::WriteRequest& req, std::string&) override {
    std::string object = req.object;
    auto id_of = id_of_;
    return std::make_unique<RecordingWriter>(req, system_, out_,
                                             [id_of, object](const std::string& key) { return id_of(object, key); });
  }
  bool Remote() const override { return real_.Remote(); }
  std::string Limits() const override { return real_.Limits(); }

 private:
  connectors::Connector& real_;
  std::string system_;
  std::vector<Recorded>& out_;
  std::function<std::string(const std::string&, const std::string&)> id_of_;
};

// What became of a replayed item.

}  // namespace

std::string Describe(const Outcome& o, bool dry) {
  if (o.kind == "written") {
    std::string s = (dry ? "would be written to " : "written to ") + o.target;
    if (!o.target_id.empty() && o.target_id != "(new)") s += " (id " + o.target_id + ")";
    return s;
  }
  if (o.kind == "queued") {
    std::string s = (dry ? "would go back to " : "back in ") + o.queue;
    if (!dry && o.new_item) s += " as item " + std::to_string(o.new_item);
    std::string r;
    for (const std::string& x : o.reasons) r += (r.empty() ? "" : "; ") + x;
    return s + (r.empty() ? std::string() : ": " + r);
  }
  if (o.kind == "skipped") return dry ? "would be skipped: the sync's `when` no longer holds for it (it would leave the queue)"
                                      : "skipped: the sync's `when` no longer holds for it; it left the queue";
  if (o.kind == "not_read")
    return "not evaluated: the source gave no record with key " + o.item.record_id +
           (o.item.source_id.empty() || o.item.source_id == o.item.record_id ? std::string() : " or id " + o.item.source_id) +
           ", or the run skipped it (deleted at the source); the item stays as it was";
  if (o.kind == "not_in_plan") return "not replayed: the plan has no map " + o.item.map;
  return "not replayed: the record has no key nor source id (a line that could not be read); fix the line, the next run reads it";
}

bool SelectItems(state::StateStore& store, const std::vector<int64_t>& ids, bool force, std::vector<state::Item>& out,
                 bool& refused, std::string& error) {
  refused = false;
  for (int64_t id : ids) {
    std::optional<state::Item> it = state::GetItem(store, id, error);
    if (!it) {
      if (!error.empty()) return false;
      error = "there is no item " + std::to_string(id) + " in " + store.path() + " (crmx-run queue list shows them)";
      refused = true;
      return false;
    }
    if (it->status != "open" && !force) {
      error = "item " + std::to_string(id) + " (" + it->map + " " + it->record_id + ") is " + it->status + " by " +
              it->actor + " at " + it->acted + "; --force to replay it anyway";
      refused = true;
      return false;
    }
    if (std::none_of(out.begin(), out.end(), [&](const state::Item& x) { return x.id == id; })) out.push_back(*it);
  }
  return true;
}

bool Replay(const plan::Plan& p, const engine::Systems& real_systems, state::StateStore& store, const Request& request,
            Result& out, std::string& error) {
  out = Result{};
  // What the engine evaluates again: per map, the records' keys and source ids.
  std::vector<Outcome>& outcomes = out.outcomes;
  engine::RunOptions options;
  for (const state::Item& it : request.items) {
    Outcome o;
    o.item = it;
    const plan::Map* m = p.FindMap(it.map);
    if (m == nullptr) {
      o.kind = "not_in_plan";
    } else if (it.source_id.empty() && !it.file.empty() && it.record_id == it.file + ":" + std::to_string(it.line)) {
      o.kind = "no_key";
    } else {
      auto& keys = options.only[it.map];
      keys.insert(it.record_id);
      if (!it.source_id.empty()) keys.insert(it.source_id);
      o.target = m->target.system + "." + m->target.object;
    }
    outcomes.push_back(std::move(o));
  }
  // A dry run: the state's copy, and every system's writes recorded instead of sent.
  TempDir tmp;
  std::unique_ptr<state::StateStore> copy;
  std::map<std::string, std::unique_ptr<connectors::Connector>> recorders;
  state::StateStore* run_state = &store;
  engine::Systems systems = real_systems;
  if (request.dry_run && !options.only.empty()) {
    if (!tmp.Make("", "replay", "the dry run's copy of the state", error)) return false;
    std::string copy_path = (fs::path(tmp.path()) / "state.db").string();
    if (!state::BackupTo(store, copy_path, error)) return false;
    copy = state::StateStore::Open(copy_path, error);
    if (!copy) {
      error = "the copy of the state: " + error;
      return false;
    }
    run_state = copy.get();
    // The id a recorded write answers: the one the record already has in the target, if known.
    state::StateStore* cs = copy.get();
    for (auto& [name, conn] : systems.by_name) {
      std::string system = name;
      auto id_of = [cs, &p, system](const std::string& object, const std::string& key) {
        std::vector<std::string> maps;
        for (const plan::Map& m : p.maps)
          if (m.target.system == system && m.target.object == object) maps.push_back(m.name);
        return state::TargetIdByKey(*cs, maps, key);
      };
      auto rec = std::make_unique<RecordingConnector>(*conn, name, out.recorded, id_of);
      conn = rec.get();
      recorders[name] = std::move(rec);
    }
  }
  engine::RunReport report;
  CaptureSink capture;
  if (!options.only.empty()) {
    // A failed delivery replayed is sent now, not when its retry falls due.
    int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (Outcome& o : outcomes) {
      if (!o.kind.empty()) continue;
      int64_t run = 0;
      bool ok = state::DeliveryState(*run_state, o.item.map, o.item.record_id, o.delivery_state, run,
                                     o.delivery_attempts, error) &&
                (o.item.queue != "retrying" || state::DueNow(*run_state, o.item.map, o.item.record_id, now_ms, error));
      if (!ok) return false;
    }
    options.sinks.push_back(&capture);
    // Sent even when the target already has these values: the person asked for it.
    options.full = true;
    options.retry_wait_ms = request.retry_wait_ms;
    // On a cluster's state the maps are run under their leases, as a worker runs them.
    std::vector<state::Lease> held;
    bool leased = request.leases != nullptr && !request.dry_run;
    if (leased) {
      std::vector<std::string> maps;
      for (const auto& [m, keys] : options.only) maps.push_back(m);
      if (!state::ClaimMaps(*request.leases, store, maps, held, error)) {
        error = "replay failed: " + error;
        return false;
      }
    }
    bool ran = engine::Run(p, systems, run_state, options, report, error);
    if (leased) state::Unclaim(*request.leases, store, held);
    if (!ran) {
      error = "replay failed: " + error;
      return false;
    }
  }
  out.run = report.run;
  out.plan_hash = report.plan_hash;
  // What became of each record.
  for (Outcome& o : outcomes) {
    if (!o.kind.empty()) continue;
    const state::Item& it = o.item;
    const CaptureSink::Entry* hit = nullptr;
    for (const CaptureSink::Entry& e : capture.entries) {
      if (e.map != it.map) continue;
      bool same = e.item.key.empty() ? e.item.file + ":" + std::to_string(e.item.line) == it.record_id || (!it.source_id.empty() && e.item.source_id == it.source_id)
                                     : e.item.key == it.record_id || (!it.source_id.empty() && e.item.source_id == it.source_id);
      if (same) hit = &e;
    }
    if (hit) {
      o.kind = "queued";
      o.queue = hit->queue;
      o.reasons = hit->item.reasons;
      std::string rid = hit->item.key.empty() ? hit->item.file + ":" + std::to_string(hit->item.line) : hit->item.key;
      o.new_item = state::FindItem(*run_state, it.map, rid, hit->queue, error);
      continue;
    }
    std::string dstate;
    int64_t drun = 0, dattempts = 0;
    if (!state::DeliveryState(*run_state, it.map, it.record_id, dstate, drun, dattempts, error)) return false;
    if (capture.written.count(it.map + '\x1f' + it.record_id) ||
        (dstate == "done" && (drun == report.run || o.delivery_state != "done" || dattempts > o.delivery_attempts))) {
      o.kind = "written";
      o.target_id = state::TargetId(*run_state, it.map, it.record_id);
      const plan::Map* m = p.FindMap(it.map);
      for (size_t w = 0; w < out.recorded.size(); ++w) {
        const Recorded& r = out.recorded[w];
        if (m && r.system == m->target.system && r.object == m->target.object && r.key == it.record_id)
          o.write = static_cast<int>(w);
      }
      continue;
    }
    bool still = state::FindItem(*run_state, it.map, it.record_id, it.queue, error) != 0;
    if (!error.empty()) return false;
    o.kind = still ? "not_read" : "skipped";
  }
  // The history: a replay action per item replayed (not in a dry run: it changes nothing).
  if (!request.dry_run) {
    for (const Outcome& o : outcomes) {
      if (o.kind == "not_in_plan" || o.kind == "no_key") continue;
      std::string note = Describe(o, false) + " (run " + std::to_string(out.run) + ")";
      if (!request.note.empty()) note = request.note + ": " + note;
      if (!state::AddAction(store, o.item, "replay", note, request.actor, error))
        return false;
    }
  }
  return true;
}

std::string SinceText(const std::string& text) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i > 0 && i < 10 && i + 1 == text.size()) {
    int64_t n = std::stoll(text.substr(0, i));
    switch (text[i]) {
      case 's': return report::TimeText(now - n);
      case 'm': return report::TimeText(now - n * 60);
      case 'h': return report::TimeText(now - n * 3600);
      case 'd': return report::TimeText(now - n * 86400);
      default: break;
    }
  }
  value::Time t;
  std::string full = text.size() == 10 ? text + "T00:00:00Z" : text;
  if (value::ParseTimestamp(full, t)) return report::TimeText(t.seconds);
  return {};
}

std::vector<std::pair<std::string, int64_t>> Counts(const Result& r, bool dry_run) {
  std::map<std::string, int64_t> counts;
  for (const Outcome& x : r.outcomes)
    ++counts[x.kind == "queued"    ? "back in a queue"
             : x.kind == "written" ? (dry_run ? "would be written" : "written")
             : x.kind == "skipped" ? "skipped"
                                   : "not replayed"];
  return {counts.begin(), counts.end()};
}

}  // namespace crmx::queue
