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

// What the engine queued and flagged during one test's run.
class Recorder : public engine::QueueSink {
 public:
  struct Queued {
    std::string map, queue;
    engine::QueueItem item;
  };
  struct Flagged {
    std::string map, key, flag;
  };

  void Add(const std::string& map, const std::string& queue, const engine::QueueItem& item) override {
    queued.push_back(Queued{map, queue, item});
  }
  void Flag(const std::string& map, const std::string& key, const std::string& flag) override {
    flags.push_back(Flagged{map, key, flag});
  }
  bool Finish(std::string&) override { return true; }

  std::vector<Queued> queued;
  std::vector<Flagged> flags;
};

// The in-memory systems of one test: one connector per system of the plan.
using Memory = std::map<std::string, std::unique_ptr<MemoryConnector>>;

std::string FieldsText(const std::vector<std::pair<std::string, Value>>& fields) {
  std::string out = "{";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : " ") + fields[i].first + ": " + ShowValue(fields[i].second);
  return out + (fields.empty() ? "}" : " }");
}

std::string ExpectationText(const plan::Expectation& e) {
  if (e.kind == plan::ExpectKind::kRecord) return "expect " + e.system + "." + e.object + " " + FieldsText(e.fields);
  return std::string("expect ") + plan::ExpectKindName(e.kind) + " " + ShowValue(Value::String(e.text));
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

void CheckRecord(const plan::Expectation& e, const Memory& memory, ExpectationResult& r) {
  std::string where = e.system + "." + e.object;
  auto sys = memory.find(e.system);
  const Write* closest = nullptr;
  std::vector<FieldDiff> best;
  if (sys != memory.end()) {
    for (const Write& w : sys->second->writes()) {
      if (w.object != e.object) continue;
      std::vector<FieldDiff> d = Differences(e, w);
      if (closest == nullptr || d.size() < best.size()) {
        closest = &w;
        best = std::move(d);
      }
    }
  }
  if (closest == nullptr) {
    r.message = "nothing was written to " + where;
    return;
  }
  r.passed = best.empty();
  if (r.passed) return;
  std::vector<std::string> names;
  for (const FieldDiff& d : best) names.push_back(d.field);
  r.message = "no record written to " + where + " has these values; the closest (key " +
              ShowValue(Value::String(closest->key)) + ") differs in " + std::to_string(best.size()) + " of " +
              std::to_string(e.fields.size()) + " fields: " + Joined(names, ", ");
  r.diff = std::move(best);
}

bool HasReason(const engine::QueueItem& item, const std::string& reason) {
  return std::find(item.reasons.begin(), item.reasons.end(), reason) != item.reasons.end();
}

// `expect exception` and `expect hold`: a record queued with the reason.
void CheckQueued(const plan::Expectation& e, const Recorder& rec, ExpectationResult& r) {
  bool hold = e.kind == plan::ExpectKind::kHold;
  for (const Recorder::Queued& q : rec.queued) {
    bool queue = hold ? q.queue == "held" : (q.queue == "data_quality" || q.queue == "error");
    if (queue && HasReason(q.item, e.text)) r.passed = true;
  }
  if (!r.passed) {
    r.message = hold ? "no record was held with the reason " + ShowValue(Value::String(e.text))
                     : "no record went to the data-quality or error queue with the reason " +
                           ShowValue(Value::String(e.text));
  }
}

void CheckFlag(const plan::Expectation& e, const Recorder& rec, ExpectationResult& r) {
  for (const Recorder::Flagged& f : rec.flags) r.passed = r.passed || f.flag == e.text;
  if (!r.passed) r.message = "no written record carries the flag " + ShowValue(Value::String(e.text));
}

ExpectationResult Check(const plan::Expectation& e, const Memory& memory, const Recorder& rec) {
  ExpectationResult r;
  r.expectation = ExpectationText(e);
  switch (e.kind) {
    case plan::ExpectKind::kRecord: CheckRecord(e, memory, r); break;
    case plan::ExpectKind::kException:
    case plan::ExpectKind::kHold: CheckQueued(e, rec, r); break;
    case plan::ExpectKind::kFlag: CheckFlag(e, rec, r); break;
  }
  return r;
}

const char* QueueLabel(const std::string& queue) {
  return queue == "data_quality" ? "data-quality" : queue == "held" ? "held" : queue == "waiting" ? "waiting" : "error";
}

// What one map did: its skipped records (counted only), its writes (the next `written` of
// the target's writes: maps run one after another), and its queued records.
void MapHappened(const engine::MapReport& rep, const plan::Map& map, const Memory& memory, const Recorder& rec,
                 std::map<std::string, size_t>& consumed, std::vector<std::string>& out) {
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
    out.push_back(line);
  }
  for (const Recorder::Queued& q : rec.queued) {
    if (q.map != map.name) continue;
    std::string which = q.item.key.empty() ? q.item.file + " record " + std::to_string(q.item.line) : q.item.key;
    out.push_back(map.name + ": " + QueueLabel(q.queue) + " " + map.source.system + "." + map.source.object + " " +
                  which + ": " + Joined(q.item.reasons, "; "));
  }
}

std::vector<std::string> Happened(const plan::Plan& plan, const engine::RunReport& report, const Memory& memory,
                                  const Recorder& rec) {
  std::vector<std::string> out;
  std::map<std::string, size_t> consumed;  // per system: writes already attributed to a map
  for (const engine::MapReport& rep : report.maps) {
    if (const plan::Map* m = plan.FindMap(rep.name)) MapHappened(rep, *m, memory, rec, consumed, out);
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
  Recorder rec;
  engine::RunOptions options;
  options.sinks = {&rec};
  engine::RunReport report;
  std::string error;
  if (!engine::Run(plan, systems, nullptr, options, report, error)) {
    r.error = "the run failed: " + error;
    return r;
  }
  r.happened = Happened(plan, report, memory, rec);
  if (t.expect.empty()) {
    r.error = "the test asserts nothing: it has no `expect`";
    return r;
  }
  r.passed = true;
  for (const plan::Expectation& e : t.expect) {
    r.expectations.push_back(Check(e, memory, rec));
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
