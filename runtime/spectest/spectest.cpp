// Defines the spec test runner (spectest.h).
#include "runtime/spectest/spectest.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "runtime/engine/engine.h"
#include "runtime/spectest/memory_connector.h"

namespace crmx::spectest {

namespace {

using value::Kind;
using value::Value;

// The in-memory systems of one test: one connector per system of the plan.
using Memory = std::map<std::string, std::unique_ptr<MemoryConnector>>;

// What one map did with one source record: written (with the write), skipped, or queued.
struct Outcome {
  std::string map;
  std::string what;  // "written", "skipped", or the queue: "data_quality", "held", "waiting", "error", ...
  std::string file;  // where the record was read: "crm.Opportunity" (the memory reader's name)
  int64_t line = 0;  // and its position among that object's records, from 1
  std::string key;
  std::vector<std::string> reasons;  // skipped or queued: why
  std::string system;                // written: the target system, and the write in its connector
  size_t write = 0;
  std::vector<std::string> flags;  // written: the flags raised
};

// What the engine queued, flagged, skipped and wrote during one test's run, record by record.
class Recorder : public engine::QueueSink {
 public:
  struct Queued {
    std::string map, queue;
    engine::QueueItem item;
  };
  struct Flagged {
    std::string map, key, flag;
  };

  Recorder(const plan::Plan& plan, const Memory& memory) : plan_(plan), memory_(memory) {}

  void Add(const std::string& map, const std::string& queue, const engine::QueueItem& item) override {
    queued.push_back(Queued{map, queue, item});
    outcomes.push_back(Outcome{map, queue, item.file, item.line, item.key, item.reasons, {}, 0, {}});
  }
  void Skipped(const std::string& map, const engine::QueueItem& item) override {
    outcomes.push_back(Outcome{map, "skipped", item.file, item.line, item.key, item.reasons, {}, 0, {}});
  }
  // The memory connectors write at once: the record's write is the last one its target has.
  void WrittenFrom(const std::string& map, const std::string& key, const std::string& file, int64_t line) override {
    Outcome o{map, "written", file, line, key, {}, {}, 0, {}};
    const plan::Map* m = plan_.FindMap(map);
    auto sys = m ? memory_.find(m->target.system) : memory_.end();
    if (sys == memory_.end() || sys->second->writes().empty()) return;
    o.system = m->target.system;
    o.write = sys->second->writes().size() - 1;
    outcomes.push_back(std::move(o));
  }
  void Flag(const std::string& map, const std::string& key, const std::string& flag) override {
    flags.push_back(Flagged{map, key, flag});
    for (auto o = outcomes.rbegin(); o != outcomes.rend(); ++o) {
      if (o->what == "written" && o->map == map && o->key == key) {
        o->flags.push_back(flag);
        break;
      }
    }
  }
  bool Finish(std::string&) override { return true; }

  const Write& WriteOf(const Outcome& o) const { return memory_.at(o.system)->writes()[o.write]; }

  std::vector<Queued> queued;
  std::vector<Flagged> flags;
  std::vector<Outcome> outcomes;  // in run order

 private:
  const plan::Plan& plan_;
  const Memory& memory_;
};

std::string FieldsText(const std::vector<std::pair<std::string, Value>>& fields) {
  std::string out = "{";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : " ") + fields[i].first + ": " + ShowValue(fields[i].second);
  return out + (fields.empty() ? "}" : " }");
}

// The expectation as a spec writes it: `expect won no flag "L"`.
std::string ExpectationText(const plan::Expectation& e) {
  std::string out = "expect" + (e.record.empty() ? "" : " " + e.record);
  if (e.kind == plan::ExpectKind::kRecord) {
    if (e.negated) out += " not written";
    else if (!e.record.empty()) out += " written";
    return out + " " + e.system + "." + e.object + (e.fields.empty() ? "" : " " + FieldsText(e.fields));
  }
  if (e.kind == plan::ExpectKind::kSkipped) return out + (e.negated ? " not" : "") + " skipped";
  out += std::string(e.negated ? " no " : " ") + plan::ExpectKindName(e.kind);
  return e.any ? out : out + " " + ShowValue(Value::String(e.text));
}

// A given or expected value the builder could not evaluate (`1 / 0`): the test is broken.
std::string BrokenValue(const plan::SpecTest& t) {
  auto check = [](const std::string& what, const std::vector<std::pair<std::string, Value>>& fields) -> std::string {
    for (const auto& [name, v] : fields)
      if (v.IsError()) return what + ": the value of `" + name + "` fails: " + v.ErrorReason();
    return {};
  };
  for (const plan::GivenRecord& g : t.given)
    if (std::string e = check("given " + g.system + "." + g.object, g.fields); !e.empty()) return e;
  for (const plan::Expectation& x : t.expect)
    if (std::string e = check("expect " + x.system + "." + x.object, x.fields); !e.empty()) return e;
  return {};
}

Memory MakeSystems(const plan::Plan& plan, const plan::SpecTest& t) {
  Memory m;
  for (const plan::System& s : plan.systems) m[s.name] = std::make_unique<MemoryConnector>(s.name);
  for (const plan::GivenRecord& g : t.given) {
    auto& c = m[g.system];
    if (!c) c = std::make_unique<MemoryConnector>(g.system);
    c->Add(g.object, g.fields);
  }
  return m;
}

std::string Joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

const Value* Entry(const Value& map, std::string_view name) {
  if (map.kind() != Kind::kMap) return nullptr;
  for (const auto& [k, x] : map.AsMap().entries)
    if (k.kind() == Kind::kString && k.AsText() == name) return &x;
  return nullptr;
}

// An expected object (`CustomerRef: {value: "1"}`) matches a written one that has at least
// its entries, each as expected; other values must be equal.
bool SameValue(const Value& expected, const Value& got) {
  if (expected.IsNull() || got.IsNull()) return expected.IsNull() && got.IsNull();
  if (expected.kind() == Kind::kMap && got.kind() == Kind::kMap) {
    for (const auto& [k, want] : expected.AsMap().entries) {
      const Value* have = k.kind() == Kind::kString ? Entry(got, k.AsText()) : nullptr;
      if (have == nullptr ? !want.IsNull() : !SameValue(want, *have)) return false;
    }
    return true;
  }
  return value::Equal(expected, got);
}

// A written field by name; a dotted name (`BillAddr.City`) reads inside the nested object.
const Value* Find(const Fields& fields, const std::string& name) {
  for (const auto& [n, v] : fields)
    if (n == name) return &v;
  size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  const Value* v = Find(fields, name.substr(0, dot));
  while (v != nullptr && dot != std::string::npos) {
    size_t next = name.find('.', dot + 1);
    v = Entry(*v, std::string_view(name).substr(dot + 1, next == std::string::npos ? std::string::npos : next - dot - 1));
    dot = next;
  }
  return v;
}

// The fields of `e` that `w` does not have as expected.
std::vector<FieldDiff> Differences(const plan::Expectation& e, const Write& w) {
  std::vector<FieldDiff> out;
  for (const auto& [name, want] : e.fields) {
    const Value* got = Find(w.fields, name);
    if (got && SameValue(want, *got)) continue;
    out.push_back(FieldDiff{name, ShowValue(want), got ? ShowValue(*got) : "(not written)"});
  }
  return out;
}

// Where a given record is read from: the memory reader names its records by object
// ("crm.Opportunity") and position among the object's records, the given ones first.
struct Origin {
  std::string file;
  int64_t line = 0;
};

std::map<std::string, Origin> NamedOrigins(const plan::SpecTest& t) {
  std::map<std::string, Origin> out;
  std::map<std::string, int64_t> seen;  // per object: records given so far
  for (const plan::GivenRecord& g : t.given) {
    std::string file = g.system + "." + g.object;
    int64_t line = ++seen[file];
    if (!g.name.empty()) out[g.name] = Origin{file, line};
  }
  return out;
}

const char* QueueLabel(const std::string& queue);

// One outcome as a failing expectation shows it: `won_to_order: held crm.Opportunity
// 0065...: Pending Review`.
std::string OutcomeText(const Outcome& o, const Recorder& rec) {
  std::string which = o.key.empty() ? o.file + " record " + std::to_string(o.line) : o.file + " " + o.key;
  if (o.what == "written") {
    const Write& w = rec.WriteOf(o);
    std::string line = o.map + ": wrote " + o.system + "." + w.object + " " + FieldsText(w.fields);
    std::vector<std::string> flags;
    for (const std::string& f : o.flags) flags.push_back(ShowValue(Value::String(f)));
    return flags.empty() ? line : line + ", flagged " + Joined(flags, ", ");
  }
  std::string what = o.what == "skipped" ? "skipped" : QueueLabel(o.what);
  return o.map + ": " + what + " " + which + ": " + Joined(o.reasons, "; ");
}

// Whether outcome `o` is the kind of thing `e` speaks of (an exception with its reason, ...).
bool Matches(const plan::Expectation& e, const Outcome& o, const std::string& flag = {}) {
  auto reason = [&](const std::vector<std::string>& reasons) {
    return e.any || std::find(reasons.begin(), reasons.end(), e.text) != reasons.end();
  };
  switch (e.kind) {
    case plan::ExpectKind::kException: return (o.what == "data_quality" || o.what == "error") && reason(o.reasons);
    case plan::ExpectKind::kHold: return o.what == "held" && reason(o.reasons);
    case plan::ExpectKind::kFlag: return o.what == "written" && (e.any || flag == e.text);
    case plan::ExpectKind::kSkipped: return o.what == "skipped";
    case plan::ExpectKind::kRecord: return false;
  }
  return false;
}

// `expect [RECORD] [not] written SYSTEM.OBJECT { f: v, ... }`: the writes considered are every
// write to the object, or those of the named record.
void CheckRecord(const plan::Expectation& e, const Memory& memory, const Recorder& rec,
                 const std::vector<const Outcome*>* about, ExpectationResult& r) {
  std::string where = e.system + "." + e.object;
  std::vector<const Write*> writes;
  if (about == nullptr) {
    auto sys = memory.find(e.system);
    if (sys != memory.end())
      for (const Write& w : sys->second->writes())
        if (w.object == e.object) writes.push_back(&w);
  } else {
    for (const Outcome* o : *about)
      if (o->what == "written" && o->system == e.system && rec.WriteOf(*o).object == e.object)
        writes.push_back(&rec.WriteOf(*o));
  }
  const std::string whose = about == nullptr ? "" : " from `" + e.record + "`";
  if (e.negated) {
    for (const Write* w : writes) {
      if (!Differences(e, *w).empty()) continue;
      r.message = (e.fields.empty() ? "a record was written to " + where + whose
                                    : "a record written to " + where + whose + " has these values") +
                  ": key " + ShowValue(Value::String(w->key)) + " " + FieldsText(w->fields);
      return;
    }
    r.passed = true;
    return;
  }
  const Write* closest = nullptr;
  std::vector<FieldDiff> best;
  for (const Write* w : writes) {
    std::vector<FieldDiff> d = Differences(e, *w);
    if (closest == nullptr || d.size() < best.size()) {
      closest = w;
      best = std::move(d);
    }
  }
  if (closest == nullptr) {
    r.message = "nothing was written to " + where + whose;
    return;
  }
  r.passed = best.empty();
  if (r.passed) return;
  std::vector<std::string> names;
  for (const FieldDiff& d : best) names.push_back(d.field);
  r.message = "no record written to " + where + whose + " has these values; the closest (key " +
              ShowValue(Value::String(closest->key)) + ") differs in " + std::to_string(best.size()) + " of " +
              std::to_string(e.fields.size()) + " fields: " + Joined(names, ", ");
  r.diff = std::move(best);
}

// `expect [RECORD] [no] exception|hold|flag ["TEXT"]` and `expect [RECORD] [not] skipped`.
void CheckOutcomes(const plan::Expectation& e, const std::vector<const Outcome*>& outcomes, const Recorder& rec,
                   bool about, ExpectationResult& r) {
  const Outcome* hit = nullptr;
  std::string hit_flag;
  for (const Outcome* o : outcomes) {
    if (e.kind == plan::ExpectKind::kFlag) {
      for (const std::string& f : o->flags)
        if (hit == nullptr && Matches(e, *o, f)) hit = o, hit_flag = f;
    } else if (hit == nullptr && Matches(e, *o)) {
      hit = o;
    }
  }
  r.passed = e.negated ? hit == nullptr : hit != nullptr;
  if (r.passed) return;
  const std::string who = about ? "`" + e.record + "`" : "";
  const std::string text = e.any ? "" : ShowValue(Value::String(e.text));
  if (e.negated) {
    const std::string with = e.any ? "" : " with the reason " + text;
    switch (e.kind) {
      case plan::ExpectKind::kException:
        r.message = (about ? who : "a record") + " went to the data-quality or error queue" + with;
        break;
      case plan::ExpectKind::kHold: r.message = (about ? who : "a record") + " was held" + with; break;
      case plan::ExpectKind::kFlag:
        r.message = (about ? who + " was written with" : std::string("a written record carries")) + " the flag " +
                    ShowValue(Value::String(hit_flag));
        break;
      case plan::ExpectKind::kSkipped: r.message = (about ? who : "a record") + " was skipped"; break;
      case plan::ExpectKind::kRecord: break;
    }
    r.message += ": " + OutcomeText(*hit, rec);
    return;
  }
  switch (e.kind) {
    case plan::ExpectKind::kException:
      r.message = (about ? who + " did not go" : "no record went") + " to the data-quality or error queue" +
                  (e.any ? "" : " with the reason " + text);
      break;
    case plan::ExpectKind::kHold:
      r.message = (about ? who + " was not held" : "no record was held") + (e.any ? "" : " with the reason " + text);
      break;
    case plan::ExpectKind::kFlag:
      r.message = (about ? who + " was not written with" : "no written record carries") +
                  (e.any ? std::string(" a flag") : " the flag " + text);
      break;
    case plan::ExpectKind::kSkipped: r.message = about ? who + " was not skipped" : "no record was skipped"; break;
    case plan::ExpectKind::kRecord: break;
  }
}

ExpectationResult Check(const plan::Expectation& e, const Memory& memory, const Recorder& rec,
                        const std::map<std::string, Origin>& named) {
  ExpectationResult r;
  r.expectation = ExpectationText(e);
  std::vector<const Outcome*> outcomes;
  bool about = !e.record.empty();
  if (about) {
    auto origin = named.find(e.record);
    if (origin == named.end()) {
      r.message = "no given record is named `" + e.record + "`";
      return r;
    }
    for (const Outcome& o : rec.outcomes)
      if (o.file == origin->second.file && o.line == origin->second.line) outcomes.push_back(&o);
  } else {
    for (const Outcome& o : rec.outcomes) outcomes.push_back(&o);
  }
  if (e.kind == plan::ExpectKind::kRecord) CheckRecord(e, memory, rec, about ? &outcomes : nullptr, r);
  else CheckOutcomes(e, outcomes, rec, about, r);
  // A failed expectation about one record says what happened to that record.
  if (!r.passed && about && !e.negated) {
    std::vector<std::string> what;
    for (const Outcome* o : outcomes) what.push_back(OutcomeText(*o, rec));
    r.message += what.empty() ? "; no map read it" : "; what happened to it: " + Joined(what, "; ");
  }
  return r;
}

const char* QueueLabel(const std::string& queue) {
  return queue == "data_quality" ? "data-quality" : queue == "held" ? "held" : queue == "waiting" ? "waiting" : "error";
}

// The names of the given records by where they are read (file, line): " (`won`)", or "".
using NamesByOrigin = std::map<std::pair<std::string, int64_t>, std::string>;

std::string NameAt(const NamesByOrigin& names, const std::string& file, int64_t line) {
  auto it = names.find({file, line});
  return it == names.end() ? "" : " (`" + it->second + "`)";
}

// What one map did: its skipped records (counted only), its writes (the next `written` of
// the target's writes: maps run one after another), and its queued records; a named given
// record's outcome says its name.
void MapHappened(const engine::MapReport& rep, const plan::Map& map, const Memory& memory, const Recorder& rec,
                 const NamesByOrigin& names, std::map<std::string, size_t>& consumed, std::vector<std::string>& out) {
  for (const auto& [reason, n] : rep.skipped.by_reason)
    out.push_back(map.name + ": skipped " + std::to_string(n) + " " + map.source.system + "." + map.source.object +
                  (n == 1 ? " record: " : " records: ") + reason);
  auto sys = memory.find(map.target.system);
  size_t& next = consumed[map.target.system];
  for (int64_t i = 0; sys != memory.end() && i < rep.written && next < sys->second->writes().size(); ++i, ++next) {
    const Write& w = sys->second->writes()[next];
    std::set<std::string> flags;
    for (const Recorder::Flagged& f : rec.flags)
      if (f.map == map.name && f.key == w.key) flags.insert(ShowValue(Value::String(f.flag)));
    std::string line = map.name + ": wrote " + map.target.system + "." + w.object + " " + FieldsText(w.fields);
    if (!flags.empty()) line += ", flagged " + Joined({flags.begin(), flags.end()}, ", ");
    for (const Outcome& o : rec.outcomes)
      if (o.what == "written" && o.system == map.target.system && o.write == next) line += NameAt(names, o.file, o.line);
    out.push_back(line);
  }
  for (const Recorder::Queued& q : rec.queued) {
    if (q.map != map.name) continue;
    std::string which = q.item.key.empty() ? q.item.file + " record " + std::to_string(q.item.line) : q.item.key;
    out.push_back(map.name + ": " + QueueLabel(q.queue) + " " + map.source.system + "." + map.source.object + " " +
                  which + NameAt(names, q.item.file, q.item.line) + ": " + Joined(q.item.reasons, "; "));
  }
}

std::vector<std::string> Happened(const plan::Plan& plan, const engine::RunReport& report, const Memory& memory,
                                  const Recorder& rec, const std::map<std::string, Origin>& named) {
  std::vector<std::string> out;
  NamesByOrigin names;
  for (const auto& [name, origin] : named) names[{origin.file, origin.line}] = name;
  std::map<std::string, size_t> consumed;  // per system: writes already attributed to a map
  for (const engine::MapReport& rep : report.maps) {
    if (const plan::Map* m = plan.FindMap(rep.name)) MapHappened(rep, *m, memory, rec, names, consumed, out);
  }
  if (out.empty()) out.push_back("no map read a given record");
  return out;
}

TestResult RunOne(const plan::Plan& plan, const plan::SpecTest& t) {
  TestResult r;
  r.name = t.name;
  if (std::string broken = BrokenValue(t); !broken.empty()) {
    r.error = broken;
    return r;
  }
  Memory memory = MakeSystems(plan, t);
  engine::Systems systems;
  for (auto& [name, c] : memory) systems.by_name[name] = c.get();
  Recorder rec(plan, memory);
  engine::RunOptions options;
  options.sinks = {&rec};
  if (!t.now.empty()) {
    value::Time clock;
    if (!value::ParseTimestamp(t.now, clock)) {
      r.error = "now " + ShowValue(Value::String(t.now)) + " is not an RFC 3339 timestamp";
      return r;
    }
    options.clock = clock;
  }
  engine::RunReport report;
  std::string error;
  if (!engine::Run(plan, systems, nullptr, options, report, error)) {
    r.error = "the run failed: " + error;
    return r;
  }
  const std::map<std::string, Origin> named = NamedOrigins(t);
  r.happened = Happened(plan, report, memory, rec, named);
  if (t.expect.empty()) {
    r.error = "the test asserts nothing: it has no `expect`";
    return r;
  }
  r.passed = true;
  for (const plan::Expectation& e : t.expect) {
    r.expectations.push_back(Check(e, memory, rec, named));
    r.passed = r.passed && r.expectations.back().passed;
  }
  return r;
}


}  // namespace

std::string ShowValue(const Value& v) { return value::Display(v, /*decimal_suffix=*/false); }

std::vector<TestResult> RunSpecTests(const plan::Plan& plan, const Options& options) {
  std::vector<TestResult> out;
  for (const plan::SpecTest& t : plan.tests) {
    if (t.name.find(options.filter) == std::string::npos) continue;
    out.push_back(RunOne(plan, t));
  }
  return out;
}

}  // namespace crmx::spectest
