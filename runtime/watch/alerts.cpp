// Defines alerts (alerts.h): the timers, the spec alerts' reads, the built-in alerts, the
// engine's events, and the delivery of what was decided.
#include "runtime/watch/alerts.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/engine/budgets.h"
#include "runtime/watch/owners.h"
#include "runtime/watch/reconcile.h"
#include "runtime/vm/vm.h"

namespace crmx::watch {

namespace {

using value::Value;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
// Notifications one call sends at most (the rest wait for the next call).
constexpr size_t kSendsPerCall = 500;
// Records whose `when` failed that an evaluation names.
constexpr size_t kNotes = 5;

std::string Stamp(int64_t ms) {
  return value::FormatTimestamp(value::Time{ms / 1000, 0});
}

// A duration as the spec writes one: "48h", "15m", "2s", "1500ms".
std::string Spelled(int64_t ms) {
  if (ms > 0 && ms % kHour == 0) return std::to_string(ms / kHour) + "h";
  if (ms > 0 && ms % kMinute == 0) return std::to_string(ms / kMinute) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// How long something has lasted, to the minute: "2d 3h", "5h 12m", "14m", "9s".
std::string Elapsed(int64_t ms) {
  int64_t s = std::max<int64_t>(0, ms) / 1000;
  if (s < 60) return std::to_string(s) + "s";
  int64_t m = s / 60, h = m / 60, d = h / 24;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h % 24) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m % 60) + "m";
  return std::to_string(m) + "m";
}

std::string KeyText(const Value& v) { return v.IsNull() || v.IsError() ? std::string() : ValueText(v); }

// Who a notification goes to, before the channels are known.
struct Recipient {
  std::string target;  // as the spec or profile says: "finance-ops", "owner_of(crm.Opportunity)", "log"
  bool owner = false;  // owner_of(...): the row waits for the owner's address
  std::string link;    // owner: the owner record's key
};

// The rows of one notification round: one per recipient and channel. An unknown channel is a
// failed row, so that the mistake shows where the notifications are listed.
void AddRows(const std::string& alert, const std::string& record_key, const std::string& round_key,
             const std::vector<Recipient>& to, const Message& m, int64_t now, int64_t event, Notifier& sinks,
             std::vector<state::NotificationRow>& out) {
  for (const Recipient& r : to) {
    std::vector<std::string> channels;
    std::string error;
    if (r.owner) channels = {sinks.OwnerChannel()};
    else if (r.target == "log") channels = {"log"};
    else channels = sinks.Expand(r.target, error);
    if (channels.empty()) channels = {"unknown:" + r.target};
    for (const std::string& channel : channels) {
      state::NotificationRow n;
      n.dedup = round_key + "|" + r.target + "|" + channel;
      n.alert = alert;
      n.record_key = record_key;
      n.target = r.target;
      n.channel = channel;
      n.link = r.link;
      n.subject = m.subject;
      n.body = m.text;
      if (r.owner) n.body += "\nTo the owner of " + r.target.substr(9, r.target.size() - 10) + " " + r.link + ".";
      n.status = channel.rfind("unknown:", 0) == 0 ? "failed" : "pending";
      n.last_error = n.status == "failed" ? error : "";
      n.created = n.updated = n.due = now;
      n.event = event;
      out.push_back(std::move(n));
    }
  }
}

// A program of `when` bound to the read row: a column per field input, a value per table input.
struct Bound {
  const vm::Program* program = nullptr;
  std::vector<int> columns;    // per input: the row's column, or -1
  std::vector<Value> tables;   // per input: the table (when the column is -1)
};

Bound BindWhen(const plan::Plan& p, const plan::Alert& a, const plan::WhenPart& w) {
  Bound b{&w.program, {}, {}};
  const std::vector<std::string>& fields = a.projection.fields;
  for (const std::string& input : w.program.input_names) {
    int column = -1;
    Value table;
    for (const plan::Binding& x : w.bindings) {
      if (x.name != input) continue;
      if (x.kind == plan::BindingKind::kField) {
        auto it = std::find(fields.begin(), fields.end(), x.field);
        if (it != fields.end()) column = static_cast<int>(it - fields.begin());
      } else if (const plan::Table* t = x.kind == plan::BindingKind::kTable ? p.FindTable(x.field) : nullptr) {
        table = Value::Map(t->entries);
      }
    }
    b.columns.push_back(column);
    b.tables.push_back(table);
  }
  return b;
}

int Column(const plan::Alert& a, const std::string& field) {
  auto it = std::find(a.projection.fields.begin(), a.projection.fields.end(), field);
  return it == a.projection.fields.end() ? -1 : static_cast<int>(it - a.projection.fields.begin());
}

std::string ObjectText(const plan::ObjectName& o) { return o.system + "." + o.object; }

// A spec alert's notification of round `timer.rounds`.
Message AlertMessage(const plan::Plan& p, const plan::Alert& a, const state::AlertTimer& t, int64_t now) {
  Message m;
  std::string what = ObjectText(a.object) + " " + t.record_key;
  if (t.rounds <= 1) {
    m.subject = "[crmx] " + a.name + ": " + what + " for " + Spelled(a.for_ms);
  } else {
    m.subject = "[crmx] still " + a.name + ": " + what + " for " + Elapsed(now - t.since);
  }
  m.text = "Alert " + a.name + " (" + p.integration + "): " + what + " has matched `" + a.condition + "` since " +
           Stamp(t.since) + ", for " + Elapsed(now - t.since) + " (the alert's duration: " + Spelled(a.for_ms) + ").\n";
  m.text += "Record: " + t.summary + "\n";
  if (t.rounds > 1) m.text += "Reminder " + std::to_string(t.rounds - 1) + ": it still matches.\n";
  return m;
}

// Where a built-in alert goes: its own `notify`, else the alerts' `notify`, else the log.
std::vector<Recipient> BuiltinRecipients(const profile::Alerts& alerts, const profile::BuiltinAlert& b) {
  const std::vector<std::string>& names = !b.notify.empty() ? b.notify : alerts.notify;
  std::vector<Recipient> out;
  for (const std::string& n : names) out.push_back(Recipient{n, false, ""});
  if (out.empty()) out.push_back(Recipient{"log", false, ""});
  return out;
}

class Evaluator {
 public:
  Evaluator(const plan::Plan& p, const engine::Systems& systems, state::StateStore& state, int64_t now, Notifier& sinks,
            const AlertSettings& settings, Evaluation& out)
      : p_(p), systems_(systems), state_(state), now_(now), sinks_(sinks), settings_(settings), out_(out),
        budgets_(p, &state, 0, now) {}

  // Writes the calls the alerts' reads made into the state's usage (the budgets' windows).
  bool CountReads(std::string& error) {
    budgets_.Record();
    if (state_.ok()) return true;
    error = state_.error();
    return false;
  }

  bool SpecAlert(const plan::Alert& a, std::string& error) {
    auto c = systems_.by_name.find(a.object.system);
    if (c == systems_.by_name.end() || c->second == nullptr) {
      out_.errors.push_back("alert " + a.name + ": system `" + a.object.system + "` is not configured");
      return true;
    }
    // The reads count against the system's budget, as a run's do; a spent budget is not read.
    if (std::string paused = budgets_.Paused(a.object.system); !paused.empty()) {
      out_.errors.push_back("alert " + a.name + ": not evaluated, " + paused);
      return true;
    }
    std::vector<MatchingRecord> matches;
    std::string read_error;
    uint64_t calls_before = out_.calls;
    bool read = Observe(p_, a, *c->second, matches, out_.notes, out_.calls, read_error);
    budgets_.Add(a.object.system, static_cast<int64_t>(out_.calls - calls_before));
    if (!read) {
      out_.errors.push_back("alert " + a.name + ": " + read_error);
      return true;
    }
    // A record without its link field (an order made in NetSuite by hand): the map's id
    // cross-reference may still know which source record it was written from.
    for (MatchingRecord& m : matches)
      for (const plan::NotifyTarget& n : a.notify)
        if (n.channel.empty() && !n.link_map.empty() && m.links[n.link_field].empty() &&
            !state::XrefSourceKey(state_, n.link_map, m.key, m.links[n.link_field], error))
          return false;
    std::map<std::string, state::AlertTimer> timers;
    if (!state::LoadTimers(state_, a.name, timers, error)) return false;
    TimerStep step = StepTimers(a.name, timers, matches, now_, a.for_ms, sinks_.RenotifyMs());
    std::map<std::string, const MatchingRecord*> by_key;
    for (const MatchingRecord& m : matches) by_key[m.key] = &m;
    std::vector<state::NotificationRow> rows;
    for (const state::AlertTimer& t : step.notify) {
      std::vector<Recipient> to;
      for (const plan::NotifyTarget& n : a.notify) {
        const MatchingRecord* m = by_key.count(t.record_key) ? by_key[t.record_key] : nullptr;
        std::string link = n.channel.empty() && m && m->links.count(n.link_field) ? m->links.at(n.link_field) : "";
        to.push_back(Recipient{n.text, n.channel.empty(), link});
      }
      AddRows(a.name, t.record_key, RoundKey(a.name, t), to, AlertMessage(p_, a, t, now_), now_, 0, sinks_, rows);
      Line(t.rounds <= 1 ? "fired" : "reminded", a.name, ObjectText(a.object) + " " + t.record_key,
           "since " + Stamp(t.since));
    }
    for (const state::AlertTimer& t : step.cleared)
      Line("cleared", a.name, ObjectText(a.object) + " " + t.record_key, "since " + Stamp(t.since));
    Count(matches.size(), step, rows.size());
    return state::RecordAlert(state_, step.put, step.cleared, rows, now_, error);
  }

  // The built-in alerts (docs/serve.md, "Built-in alerts"): each a set of matches, timed and
  // notified like a spec alert (fired at once: their duration is 0).
  bool Builtins(std::string& error) {
    const profile::Alerts& b = settings_.builtins;
    std::vector<MatchingRecord> m;
    if (b.failure_rate.on) {
      if (!FailureRates(b.failure_rate.over, m, error)) return false;
      if (!Builtin("failure_rate", "failure rate", b.failure_rate, m, error)) return false;
    }
    if (b.data_quality_backlog.on &&
        !(Backlog("data_quality", b.data_quality_backlog.over, "records waiting in the data-quality queue", m, error) &&
          Builtin("data_quality_backlog", "data-quality backlog", b.data_quality_backlog, m, error)))
      return false;
    if (b.delivery_overdue.on) {
      std::vector<state::OpenDelivery> open;
      if (!state::OverdueDeliveries(state_, Stamp(now_ - b.delivery_overdue.after_ms), open, error)) return false;
      m.clear();
      for (const state::OpenDelivery& d : open)
        m.push_back(MatchingRecord{d.map + " " + d.source_key, {},
                                   "the write of " + d.map + " " + d.source_key + " decided at " + d.decided +
                                       " is still " + d.state + " after " + std::to_string(d.attempts) +
                                       " send(s) (over " + Spelled(b.delivery_overdue.after_ms) +
                                       "): crmx-run queue list --map " + d.map});
      if (!Builtin("delivery_overdue", "not delivered", b.delivery_overdue, m, error)) return false;
    }
    if (b.dead_letters.on && !(Backlog("dead_letter", 0, "dead letters", m, error) &&
                               Builtin("dead_letters", "dead letters", b.dead_letters, m, error)))
      return false;
    return true;
  }

  // The engine's events not delivered yet: `notify` (on exhausted ... notify) to its target,
  // `budget_warn` and `limit_warn` where the built-in `budget` alert goes.
  bool Events(std::string& error) {
    std::vector<state::EventRow> events;
    if (!state::UndeliveredEvents(state_, {"notify", "budget_warn", "limit_warn"}, events, error)) return false;
    std::vector<state::NotificationRow> rows;
    const profile::Alerts& b = settings_.builtins;
    for (const state::EventRow& e : events) {
      Message m;
      std::vector<Recipient> to;
      std::string label = "event:" + e.kind + (e.map.empty() ? "" : ":" + e.map);
      if (e.kind == "notify") {
        m.subject = "[crmx] dead letter: " + e.map + " " + e.record_id;
        m.text = "The write of " + e.map + " " + e.record_id + " was given up (on exhausted ... notify): " + e.message +
                 "\nRun " + std::to_string(e.run) + ", " + e.at + ". crmx-run queue list --queue dead_letter --map " +
                 e.map + "\n";
        bool owner = e.target.rfind("owner_of(", 0) == 0;
        to.push_back(Recipient{e.target.empty() ? "log" : e.target, owner, owner ? e.record_id : ""});
      } else {
        if (!b.budget.on) {
          if (!state::MarkEventDelivered(state_, e.id, now_, error)) return false;
          continue;
        }
        m.subject = "[crmx] API budget: " + e.target;
        m.text = e.message + "\nRun " + std::to_string(e.run) + ", " + e.at + ".\n";
        to = BuiltinRecipients(b, b.budget);
      }
      AddRows(label, e.record_id, "event:" + std::to_string(e.id), to, m, now_, e.id, sinks_, rows);
      Line("event", label, e.record_id.empty() ? e.target : e.record_id, e.message);
    }
    out_.decided += rows.size();
    return state::RecordAlert(state_, {}, {}, rows, now_, error);
  }

 private:
  static std::string RoundKey(const std::string& alert, const state::AlertTimer& t) {
    return alert + "|" + t.record_key + "|" + std::to_string(t.since) + "|" + std::to_string(t.rounds);
  }

  void Line(const std::string& what, const std::string& alert, const std::string& record, const std::string& detail) {
    out_.lines.push_back(what + " " + alert + ": " + record + (detail.empty() ? "" : " (" + detail + ")"));
  }

  void Count(size_t matching, const TimerStep& step, size_t rows) {
    out_.matching += matching;
    out_.started += step.started;
    out_.fired += step.fired;
    out_.reminded += step.reminded;
    out_.cleared += step.cleared.size();
    out_.decided += rows;
  }

  // The maps with more than `over` open items in `queue`: one match each, saying how many.
  bool Backlog(const std::string& queue, double over, const std::string& what, std::vector<MatchingRecord>& out,
               std::string& error) {
    std::map<std::string, int64_t> open;
    if (!state::OpenItemsByMap(state_, queue, open, error)) return false;
    out.clear();
    for (const auto& [map, n] : open)
      if (static_cast<double>(n) > over)
        out.push_back(MatchingRecord{map, {},
                                     std::to_string(n) + " " + what + " of " + map + " (over " +
                                         value::FormatDouble(over) + "): crmx-run queue list --queue " + queue +
                                         " --map " + map});
    return true;
  }

  // A map's failure rate in the latest run that ran it, over `over` percent.
  bool FailureRates(double over, std::vector<MatchingRecord>& out, std::string& error) {
    out.clear();
    std::vector<std::pair<int64_t, std::string>> runs;
    if (!state::LatestRunSummaries(state_, 200, runs, error)) return false;
    std::set<std::string> seen;
    for (const auto& [run, text] : runs) {
      nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_object() || !j.contains("maps") || !j["maps"].is_object()) continue;
      for (const auto& [map, r] : j["maps"].items()) {
        if (!seen.insert(map).second || !r.is_object()) continue;
        double rate = r.value("failure_rate", 0.0) * 100;
        if (rate <= over) continue;
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f%%", rate);
        auto count = [&r](const char* bucket) {
          return r.contains(bucket) && r[bucket].is_object() ? r[bucket].value("count", int64_t{0}) : int64_t{0};
        };
        out.push_back(MatchingRecord{map, {},
                            map + " failed " + pct + " of its records in run " + std::to_string(run) + " (" +
                                r.value("judgement", std::string()) + ", over " + value::FormatDouble(over) +
                                "%): " + std::to_string(count("data_quality")) + " data-quality, " +
                                std::to_string(count("held")) + " held, " + std::to_string(count("waiting")) +
                                " waiting, " + std::to_string(count("error")) + " error, " +
                                std::to_string(count("retrying")) + " retrying, " + std::to_string(count("dead_letter")) +
                                " dead letters"});
      }
    }
    return true;
  }

  bool Builtin(const std::string& name, const std::string& title, const profile::BuiltinAlert& b,
               const std::vector<MatchingRecord>& matches, std::string& error) {
    std::string alert = "builtin:" + name;
    std::map<std::string, state::AlertTimer> timers;
    if (!state::LoadTimers(state_, alert, timers, error)) return false;
    TimerStep step = StepTimers(alert, timers, matches, now_, 0, sinks_.RenotifyMs());
    std::vector<state::NotificationRow> rows;
    for (const state::AlertTimer& t : step.notify) {
      Message m;
      m.subject = "[crmx] " + std::string(t.rounds > 1 ? "still: " : "") + title + ": " + t.record_key;
      m.text = t.summary + "\n(built-in alert " + name + " of " + p_.integration + ", since " + Stamp(t.since) + ")\n";
      AddRows(alert, t.record_key, RoundKey(alert, t), BuiltinRecipients(settings_.builtins, b), m, now_, 0, sinks_, rows);
      Line(t.rounds <= 1 ? "fired" : "reminded", alert, t.record_key, "");
    }
    for (const state::AlertTimer& t : step.cleared) Line("cleared", alert, t.record_key, "");
    Count(matches.size(), step, rows.size());
    return state::RecordAlert(state_, step.put, step.cleared, rows, now_, error);
  }

  const plan::Plan& p_;
  const engine::Systems& systems_;
  state::StateStore& state_;
  int64_t now_;
  Notifier& sinks_;
  const AlertSettings& settings_;
  Evaluation& out_;
  engine::BudgetBook budgets_;  // the alerts' reads, counted against the plan's budgets
};

// The owner target a notification row names (an alert's, or an engine event's); false when
// the plan no longer has it.
bool OwnerTarget(const plan::Plan& p, const state::NotificationRow& n, plan::NotifyTarget& out) {
  for (const plan::Alert& a : p.alerts) {
    if (a.name != n.alert) continue;
    for (const plan::NotifyTarget& t : a.notify)
      if (t.text == n.target && t.channel.empty()) {
        out = t;
        return true;
      }
  }
  const std::string prefix = "event:notify:";
  return n.alert.rfind(prefix, 0) == 0 && EventOwnerTarget(p, n.alert.substr(prefix.size()), n.target, out);
}

// Resolves the rows waiting for an owner's address ("owner:email"): their channel becomes
// "email:ADDRESS", or their error says why there is none (`final` when trying again will not
// help).
void ResolveOwnerRows(const plan::Plan& p, const engine::Systems& systems, std::vector<state::NotificationRow>& rows,
                      std::map<int64_t, SendResult>& failed, Evaluation& out) {
  std::map<std::string, std::pair<plan::NotifyTarget, std::vector<size_t>>> groups;  // by target identity
  for (size_t i = 0; i < rows.size(); ++i) {
    state::NotificationRow& n = rows[i];
    if (n.channel == "owner:log") n.channel = "log";
    if (n.channel != "owner:email") continue;
    plan::NotifyTarget t;
    if (!OwnerTarget(p, n, t)) {
      failed[n.id] = SendResult{false, false, "the plan has no `" + n.target + "` for " + n.alert};
      continue;
    }
    std::string id = t.owner_object.system + "." + t.owner_object.object + "|" + t.link_key + "|" + t.owner_field;
    groups[id].first = t;
    groups[id].second.push_back(i);
  }
  for (auto& [id, group] : groups) {
    const plan::NotifyTarget& t = group.first;
    std::vector<std::string> links;
    for (size_t i : group.second) links.push_back(rows[i].link);
    auto c = systems.by_name.find(t.owner_object.system);
    Owners owners;
    std::string error;
    bool read = c != systems.by_name.end() && c->second != nullptr;
    if (!read) error = "system `" + t.owner_object.system + "` is not configured";
    else read = ResolveOwners(t, links, *c->second, owners, error);
    out.calls += owners.calls;
    out.uncounted_calls[t.owner_object.system] += owners.calls;
    for (size_t i : group.second) {
      state::NotificationRow& n = rows[i];
      if (!read) {
        failed[n.id] = SendResult{false, c != systems.by_name.end(), "looking up the owner: " + error};
      } else if (auto e = owners.email.find(n.link); e != owners.email.end()) {
        n.channel = "email:" + e->second;
      } else {
        failed[n.id] = SendResult{false, false, "no owner to tell: " + owners.missing[n.link]};
      }
    }
  }
}

}  // namespace

TimerStep StepTimers(const std::string& alert, const std::map<std::string, state::AlertTimer>& timers,
                     const std::vector<MatchingRecord>& matches, int64_t now, int64_t for_ms, int64_t renotify_ms) {
  TimerStep out;
  std::set<std::string> seen;
  for (const MatchingRecord& m : matches) {
    if (m.key.empty() || !seen.insert(m.key).second) continue;
    auto it = timers.find(m.key);
    state::AlertTimer t;
    if (it == timers.end()) {
      t.alert = alert;
      t.record_key = m.key;
      t.since = now;
      ++out.started;
    } else {
      t = it->second;
    }
    t.last_seen = now;
    t.summary = m.summary;
    t.link = m.links.empty() ? std::string() : m.links.begin()->second;
    if (t.fired == 0 && now - t.since >= for_ms) {
      t.fired = t.notified = now;
      t.rounds = 1;
      ++out.fired;
      out.notify.push_back(t);
    } else if (t.fired != 0 && renotify_ms > 0 && now - t.notified >= renotify_ms) {
      t.notified = now;
      ++t.rounds;
      ++out.reminded;
      out.notify.push_back(t);
    }
    out.put.push_back(std::move(t));
  }
  for (const auto& [key, t] : timers)
    if (!seen.count(key)) out.cleared.push_back(t);
  return out;
}

int64_t NotificationBackoffMs(int64_t attempts) {
  int64_t wait = kMinute;
  for (int64_t i = 1; i < attempts && wait < kHour; ++i) wait *= 2;
  return std::min(wait, kHour);
}

bool Observe(const plan::Plan& p, const plan::Alert& alert, connectors::Connector& connector, std::vector<MatchingRecord>& out,
             std::vector<std::string>& notes, uint64_t& calls, std::string& error) {
  out.clear();
  connectors::ReadRequest req;
  req.object = alert.object.object;
  req.fields = alert.projection.fields;
  req.types = alert.projection.types;
  req.batch = alert.read_batch > 0 ? static_cast<size_t>(alert.read_batch) : 1024;
  req.pushdown = alert.pushdown;
  req.id_field = alert.id_field;
  std::unique_ptr<connectors::RecordReader> reader = connector.OpenReader(req, error);
  if (!reader) return false;
  std::vector<Bound> when;
  for (const plan::WhenPart& w : alert.when) when.push_back(BindWhen(p, alert, w));
  int key = Column(alert, alert.id_field);
  std::vector<std::pair<std::string, int>> links;
  for (const plan::NotifyTarget& t : alert.notify)
    if (t.channel.empty()) links.emplace_back(t.link_field, Column(alert, t.link_field));
  vm::VM machine;
  std::vector<Value> inputs;
  connectors::RecordBatch batch;
  size_t failed = 0;
  while (reader->Next(batch)) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const Value* row = batch.Row(i);
      bool holds = true;
      for (size_t w = 0; w < when.size() && holds; ++w) {
        inputs.clear();
        for (size_t k = 0; k < when[w].columns.size(); ++k)
          inputs.push_back(when[w].columns[k] >= 0 ? row[when[w].columns[k]] : when[w].tables[k]);
        Value v = machine.Run(*when[w].program, inputs);
        if (v.IsError() && failed++ < kNotes)
          notes.push_back("alert " + alert.name + ": " + (key >= 0 ? KeyText(row[key]) : std::string("a record")) +
                          ": `when` failed: " + v.ErrorReason());
        holds = v.IsTrue();
      }
      if (!holds) continue;
      MatchingRecord m;
      m.key = key >= 0 ? KeyText(row[key]) : std::string();
      if (m.key.empty()) continue;
      for (const auto& [field, column] : links) m.links[field] = column >= 0 ? KeyText(row[column]) : std::string();
      for (size_t f = 0; f < alert.projection.fields.size(); ++f)
        m.summary += (f ? ", " : "") + alert.projection.fields[f] + " = " + ValueText(row[f]);
      out.push_back(std::move(m));
    }
  }
  calls += reader->Calls();
  if (!reader->error().empty()) {
    error = "reading " + alert.object.system + "." + alert.object.object + ": " + reader->error();
    return false;
  }
  return true;
}

// Counts the calls the owners' lookups made against the plan's budgets (the state's `usage`
// table, as runs count theirs).
static bool CountCalls(const plan::Plan& plan, state::StateStore& state, int64_t now_ms, Evaluation& out, std::string& error) {
  if (out.uncounted_calls.empty()) return true;
  engine::BudgetBook book(plan, &state, 0, now_ms);
  for (const auto& [system, n] : out.uncounted_calls) book.Add(system, static_cast<int64_t>(n));
  out.uncounted_calls.clear();
  book.Record();
  if (state.ok()) return true;
  error = state.error();
  return false;
}

bool EvaluateAlerts(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, int64_t now_ms,
                    Notifier& sinks, const AlertSettings& settings, Evaluation& out, std::string& error) {
  out.evaluated = true;
  Evaluator ev(plan, systems, state, now_ms, sinks, settings, out);
  for (const plan::Alert& a : plan.alerts)
    if (!ev.SpecAlert(a, error)) return false;
  if (!ev.Builtins(error) || !ev.Events(error) || !ev.CountReads(error)) return false;
  if (settings.deliver && !DeliverDue(plan, systems, state, now_ms, sinks, out, error)) return false;
  // Events whose notifications were all settled when decided (a channel the profile lacks).
  return state::MarkEventsDelivered(state, now_ms, error);
}

bool DeliverDue(const plan::Plan& plan, const engine::Systems& systems, state::StateStore& state, int64_t now_ms,
                Notifier& sinks, Evaluation& out, std::string& error) {
  std::vector<state::NotificationRow> due;
  if (!state::DueNotifications(state, now_ms, kSendsPerCall, due, error)) return false;
  if (due.empty()) return true;
  std::map<int64_t, SendResult> failed;  // rows that cannot be sent (no owner): by id
  ResolveOwnerRows(plan, systems, due, failed, out);
  if (!CountCalls(plan, state, now_ms, out, error)) return false;
  for (state::NotificationRow& n : due) {
    auto f = failed.find(n.id);
    // The same key on every try of the notification: an email's Message-ID.
    std::string key = state::IdempotencyKey("notification", n.dedup, "");
    SendResult r = f != failed.end() ? f->second : sinks.Send(n.channel, Message{n.subject, n.body}, key, now_ms);
    ++n.attempts;
    n.updated = now_ms;
    if (r.ok) {
      n.status = "sent";
      n.sent = now_ms;
      n.last_error.clear();
      ++out.sent;
    } else if (r.retriable && n.attempts < kNotificationAttempts) {
      n.status = "retrying";
      n.due = now_ms + NotificationBackoffMs(n.attempts);
      n.last_error = r.error;
      ++out.retrying;
    } else {
      n.status = "failed";
      n.last_error = r.error;
      ++out.failed;
    }
    if (!state::SettleNotification(state, n, error)) return false;
    out.tried.push_back(n);
  }
  return state::MarkEventsDelivered(state, now_ms, error);
}

AlertLoop::AlertLoop(const plan::Plan& plan, const engine::Systems& systems, const profile::Target& target, LogLine log)
    : plan_(plan), systems_(systems) {
  settings_.builtins = target.alerts;
  notifier_ = MakeNotifier(target.notify, std::move(log),
                           [&target](const std::string& text) { return profile::Redact(target, text); });
}

Evaluation AlertLoop::Tick(state::StateStore& state, int64_t now_ms) {
  Evaluation out;
  std::string error;
  bool ok = true;
  if (last_evaluated_ == 0 || now_ms - last_evaluated_ >= settings_.builtins.every_ms) {
    last_evaluated_ = now_ms;
    ok = EvaluateAlerts(plan_, systems_, state, now_ms, *notifier_, settings_, out, error);
  } else {
    ok = DeliverDue(plan_, systems_, state, now_ms, *notifier_, out, error);
  }
  if (!ok) out.errors.push_back(error);
  return out;
}

int64_t AlertLoop::NextDueMs(int64_t now_ms) const {
  if (last_evaluated_ == 0) return 0;
  return std::max<int64_t>(0, last_evaluated_ + settings_.builtins.every_ms - now_ms);
}

}  // namespace crmx::watch
