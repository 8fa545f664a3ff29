// Defines `crmx-run queue` (queue_command.h).
#include "runtime/cli/queue_command.h"
#include "runtime/cli/state_commands.h"

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_set>

#include "runtime/cli/cluster.h"
#include "runtime/cli/systems.h"
#include "runtime/queue/replay.h"
#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/report/data_quality.h"
#include "runtime/report/text_table.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/state.h"
#include "runtime/value/value.h"

namespace crmx::cli {

// Shared with the other commands over the state file (state_commands.h).
int OpenState(const std::string& path, bool wait, std::unique_ptr<state::StateStore>& out,
              const std::string& password) {
  std::error_code ec;
  if (!state::db::IsPostgresUrl(path) && !std::filesystem::exists(path, ec)) {
    std::cerr << "error: state file " << path << " does not exist (a run with --state " << path << " creates it)\n";
    return 1;
  }
  state::OpenOptions o;
  o.wait = wait;
  o.password = password;
  o.waiting = [&path](const std::string& holder) {
    std::cerr << "waiting for the run holding " << path << " (" << holder << ")\n";
  };
  std::string error;
  out = state::StateStore::Open(path, error, o);
  if (!out) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  return 0;
}

std::string Table(const std::vector<std::vector<std::string>>& rows, const std::set<size_t>& right) {
  return report::TextTable(rows, right);
}

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // members in the order written

const std::vector<std::string> kQueues = {"data_quality", "held", "waiting", "error", "retrying", "dead_letter", "flag"};

// Options every queue command has.
struct Common {
  std::string state;
  bool wait = false;
  std::string format = "text";
};

struct Filter {
  std::string queue, map, reason, since;
  std::string status = "open";
};

struct ListArgs {
  Common c;
  Filter f;
};

struct ItemArgs {
  Common c;
  int64_t id = 0;
  std::string note;
  bool force = false;
};

struct ReplayArgs {
  Common c;
  Filter f;
  std::vector<std::string> args;  // ID... PLAN, or PLAN with --all-matching
  bool all_matching = false;
  bool dry_run = false;
  bool force = false;
  std::string retry_wait = "60s";
  SystemArgs sys;
};

// Who acts: $CRMX_ACTOR, else $USER, else the login name.
std::string Actor() {
  for (const char* var : {"CRMX_ACTOR", "USER"})
    if (const char* v = std::getenv(var); v && *v) return v;
  if (const char* l = getlogin(); l && *l) return l;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}


std::string Underscores(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}


bool ToFilter(const Filter& f, state::ItemFilter& out) {
  out.queue = f.queue;
  out.map = f.map;
  out.reason = f.reason;
  out.status = f.status;
  if (!f.since.empty()) {
    out.since = queue::SinceText(f.since);
    if (out.since.empty()) {
      std::cerr << "error: --since takes a time (2026-12-06, 2026-12-06T04:00:00Z) or how long ago (90s, 30m, 24h, 7d), got `"
                << f.since << "`\n";
      return false;
    }
  }
  return true;
}

json ItemJson(const state::Item& it) {
  json j{{"id", it.id},
         {"map", it.map},
         {"record", it.record_id},
         {"queue", it.queue},
         {"status", it.status},
         {"reason", it.reasons.empty() ? std::string() : it.reasons.front()},
         {"reasons", it.reasons},
         {"fields", it.fields},
         {"source_id", it.source_id.empty() ? json(nullptr) : json(it.source_id)},
         {"file", it.file.empty() ? json(nullptr) : json(it.file)},
         {"line", it.line == 0 ? json(nullptr) : json(it.line)},
         {"attempts", it.attempts < 0 ? json(nullptr) : json(it.attempts)},
         {"first_run", it.first_run},
         {"last_run", it.last_run},
         {"first_seen", it.first_seen},
         {"last_seen", it.last_seen}};
  if (!it.delivery_state.empty()) j["delivery"] = it.delivery_state;
  j["note"] = it.note.empty() ? json(nullptr) : json(it.note);
  j["actor"] = it.actor.empty() ? json(nullptr) : json(it.actor);
  j["acted"] = it.acted.empty() ? json(nullptr) : json(it.acted);
  return j;
}


std::string StatusWords(const Filter& f) { return f.status == "all" ? std::string("in any status") : f.status; }

// ------------------------------------------------------------------------------------- list

int List(const ListArgs& a) {
  state::ItemFilter f;
  if (!ToFilter(a.f, f)) return 2;
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenState(a.c.state, a.c.wait, st)) return rc;
  std::vector<state::Item> items;
  std::string error;
  if (!state::ListItems(*st, f, items, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  if (a.c.format == "json") {
    json arr = json::array();
    for (const state::Item& it : items) arr.push_back(ItemJson(it));
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  if (items.empty()) {
    std::cout << "no items " << StatusWords(a.f) << (a.f.queue.empty() ? std::string() : " in " + a.f.queue)
              << (a.f.map.empty() ? std::string() : " of " + a.f.map) << " in " << st->path() << "\n";
    return 0;
  }
  bool show_status = a.f.status != "open";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{"id", "map", "record", "queue"};
  if (show_status) head.push_back("status");
  for (const char* h : {"attempts", "last seen", "reason"}) head.push_back(h);
  rows.push_back(head);
  std::map<std::string, int64_t> per_queue;
  for (const state::Item& it : items) {
    std::vector<std::string> r{std::to_string(it.id), it.map, it.record_id, it.queue};
    if (show_status) r.push_back(it.status);
    r.push_back(it.attempts < 0 ? "-" : std::to_string(it.attempts));
    r.push_back(it.last_seen);
    std::string reason = it.reasons.empty() ? std::string() : it.reasons.front();
    if (it.reasons.size() > 1) reason += " (+" + std::to_string(it.reasons.size() - 1) + " more)";
    r.push_back(reason);
    rows.push_back(std::move(r));
    ++per_queue[it.queue];
  }
  std::set<size_t> right{0, show_status ? 5u : 4u};
  std::cout << Table(rows, right);
  std::cout << "\n" << items.size() << " item" << (items.size() == 1 ? "" : "s") << " " << StatusWords(a.f) << ":";
  bool first = true;
  for (const auto& [q, n] : per_queue) {
    std::cout << (first ? " " : ", ") << q << " " << n;
    first = false;
  }
  std::cout << " (crmx-run queue show ID for one)\n";
  return 0;
}

// ------------------------------------------------------------------------------------- show

int Show(const ItemArgs& a) {
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenState(a.c.state, a.c.wait, st)) return rc;
  state::ItemDetail d;
  std::string error;
  if (!state::GetItemDetail(*st, a.id, d, error)) {
    std::vector<state::ActionRow> past;
    if (error.empty()) state::ItemActions(*st, a.id, past, error);
    if (!error.empty()) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
    if (past.empty()) {
      std::cerr << "error: there is no item " << a.id << " in " << st->path() << " (crmx-run queue list shows them)\n";
      return 2;
    }
    // An item whose record left the queue (written, skipped, moved): what was done to it.
    const state::ActionRow& f = past.front();
    if (a.c.format == "json") {
      json actions = json::array();
      for (const state::ActionRow& x : past)
        actions.push_back({{"id", x.id}, {"item", x.item}, {"queue", x.queue}, {"action", x.action}, {"note", x.note},
                           {"actor", x.actor}, {"at", x.at}});
      std::cout << json{{"id", a.id}, {"map", f.map}, {"record", f.record_id}, {"queue", f.queue}, {"status", "gone"},
                        {"actions", actions}}.dump(2)
                << "\n";
      return 0;
    }
    std::cout << "item " << a.id << ": " << f.map << " " << f.record_id << " (" << f.queue
              << ") is no longer in a queue: its record left it\nactions:\n";
    for (const state::ActionRow& x : past)
      std::cout << "  " << x.at << "  " << x.action << " by " << x.actor << (x.note.empty() ? "" : ": " + x.note) << "\n";
    return 0;
  }
  const state::Item& it = d.item;
  if (a.c.format == "json") {
    json j = ItemJson(it);
    if (d.delivery) {
      const state::Delivery& dl = d.delivery->d;
      json attempts = json::array();
      for (const state::AttemptRow& x : d.delivery->attempts)
        attempts.push_back({{"attempt", x.attempt},
                            {"run", x.run},
                            {"at", x.at},
                            {"ok", x.ok},
                            {"http_status", x.http_status},
                            {"code", x.code},
                            {"message", x.message},
                            {"retriable", x.retriable},
                            {"wait_ms", x.wait_ms}});
      json fields = json::parse(dl.last_fields.empty() ? "[]" : dl.last_fields, nullptr, false);
      j["delivery"] = {{"id", dl.id},
                       {"state", dl.state},
                       {"attempts", dl.attempts},
                       {"due", dl.due_ms ? json(state::MsText(dl.due_ms)) : json(nullptr)},
                       {"decided", d.delivery->decided},
                       {"run", dl.run},
                       {"updated", d.delivery->updated},
                       {"external_id", dl.external_id},
                       {"idempotency_key", dl.idem_key},
                       {"payload", dl.payload.empty() ? json(nullptr) : json(dl.payload)},
                       {"last_failure",
                        dl.last_status == 0 && dl.last_code.empty() && dl.last_message.empty()
                            ? json(nullptr)
                            : json{{"status", dl.last_status},
                                   {"code", dl.last_code},
                                   {"message", dl.last_message},
                                   {"fields", fields.is_discarded() ? json(dl.last_fields) : fields},
                                   {"request", dl.last_request}}},
                       {"failed_sends", attempts}};
    } else {
      j["delivery"] = nullptr;
    }
    json actions = json::array();
    for (const state::ActionRow& x : d.actions)
      actions.push_back({{"id", x.id}, {"item", x.item}, {"queue", x.queue}, {"action", x.action}, {"note", x.note},
                         {"actor", x.actor}, {"at", x.at}});
    j["actions"] = actions;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::ostringstream o;
  o << "item " << it.id << ": " << it.map << " " << it.record_id << "\n";
  o << "  queue       " << it.queue << "\n";
  o << "  status      " << it.status;
  if (it.status != "open") o << " by " << it.actor << " at " << it.acted << (it.note.empty() ? "" : ": " + it.note);
  o << "\n";
  if (!it.source_id.empty()) o << "  source id   " << it.source_id << "\n";
  if (!it.file.empty()) o << "  read from   " << it.file << (it.line ? " line " + std::to_string(it.line) : "") << "\n";
  o << "  first seen  " << it.first_seen << " (run " << it.first_run << ")\n";
  o << "  last seen   " << it.last_seen << " (run " << it.last_run << ")\n";
  for (size_t i = 0; i < it.reasons.size(); ++i) o << (i == 0 ? "  reasons     " : "              ") << it.reasons[i] << "\n";
  if (it.reasons.empty()) o << "  reasons     (none)\n";
  if (!it.fields.empty()) {
    o << "  fields      ";
    for (size_t i = 0; i < it.fields.size(); ++i) o << (i ? ", " : "") << it.fields[i];
    o << "\n";
  }
  if (d.delivery) {
    const state::Delivery& dl = d.delivery->d;
    o << "delivery " << dl.id << ": " << dl.state << ", " << dl.attempts << " send" << (dl.attempts == 1 ? "" : "s")
      << " with a result\n";
    o << "  decided     " << d.delivery->decided << " (run " << dl.run << "), updated " << d.delivery->updated << "\n";
    if (dl.due_ms) o << "  due         " << state::MsText(dl.due_ms) << "\n";
    if (!dl.external_id.empty()) o << "  external id " << dl.external_id << "\n";
    if (dl.last_status != 0 || !dl.last_code.empty() || !dl.last_message.empty()) {
      o << "  last failure";
      if (dl.last_status) o << " HTTP " << dl.last_status;
      if (!dl.last_code.empty()) o << " " << dl.last_code;
      if (!dl.last_message.empty()) o << ": " << dl.last_message;
      o << "\n";
      json fields = json::parse(dl.last_fields.empty() ? "[]" : dl.last_fields, nullptr, false);
      if (fields.is_array() && !fields.empty()) {
        o << "  fields named";
        for (const auto& f : fields) o << " " << (f.is_string() ? f.get<std::string>() : f.dump());
        o << "\n";
      }
      if (!dl.last_request.empty()) o << "  request     " << dl.last_request << "\n";
    }
    if (!d.delivery->attempts.empty()) {
      o << "  failed sends:\n";
      std::vector<std::vector<std::string>> rows{{"#", "at", "run", "status", "answer", "then"}};
      for (const state::AttemptRow& x : d.delivery->attempts) {
        std::string answer = x.code + (x.message.empty() ? "" : (x.code.empty() ? "" : ": ") + x.message);
        std::string then = x.retriable ? (x.wait_ms ? "retriable, next in " + std::to_string(x.wait_ms) + " ms" : "retriable")
                                       : "not retriable";
        rows.push_back({std::to_string(x.attempt), x.at, std::to_string(x.run),
                        x.http_status ? "HTTP " + std::to_string(x.http_status) : "no answer", answer, then});
      }
      std::istringstream t(Table(rows));
      for (std::string line; std::getline(t, line);) o << "    " << line << "\n";
    }
    if (!dl.payload.empty()) o << "  payload     " << dl.payload << "\n";
    if (dl.state == "dead") o << "  (dead: no run sends it again; crmx-run queue replay sends it through the current plan)\n";
  }
  if (d.actions.empty()) {
    o << "actions: none\n";
  } else {
    o << "actions:\n";
    for (const state::ActionRow& x : d.actions)
      o << "  " << x.at << "  " << x.action << " by " << x.actor << " (item " << x.item << ", " << x.queue << ")"
        << (x.note.empty() ? "" : ": " + x.note) << "\n";
  }
  std::cout << o.str();
  return 0;
}

// ---------------------------------------------------------------------- resolve and discard

int ActOn(const ItemArgs& a, const std::string& status) {
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenState(a.c.state, a.c.wait, st)) return rc;
  state::ActResult r;
  bool refused = false;
  std::string error, actor = Actor();
  if (!state::Act(*st, a.id, status, a.note, actor, a.force, r, refused, error)) {
    std::cerr << "error: " << error << "\n";
    return refused ? 2 : 1;
  }
  const state::Item& it = r.before;
  std::optional<state::Item> now = state::GetItem(*st, a.id, error);
  std::cout << "item " << it.id << " (" << it.map << " " << it.record_id << ", " << it.queue << ") " << status << " by "
            << actor << " at " << (now ? now->acted : state::NowText()) << ": " << a.note << "\n";
  if (status == "discarded" && (it.queue == "retrying" || it.queue == "dead_letter")) {
    if (r.delivery_killed && r.delivery_before != "dead")
      std::cout << "its delivery (" << r.delivery_before
                << ") is now dead, its payload kept: no run sends it again (crmx-run queue show " << it.id
                << " shows it; crmx-run queue replay sends the record again through the current plan)\n";
    else if (r.delivery_killed)
      std::cout << "its delivery stays dead, its payload kept: no run sends it again\n";
    else
      std::cout << "it has no open delivery" << (r.delivery_before.empty() ? "" : " (" + r.delivery_before + ")")
                << ": nothing to stop\n";
  }
  return 0;
}

// -------------------------------------------------------------------------------- replay

int Replay(const ReplayArgs& a) {
  // The selection: item ids then the plan, or the plan alone with --all-matching.
  std::vector<int64_t> ids;
  SystemArgs sys = a.sys;
  if (a.all_matching) {
    if (a.args.size() != 1) {
      std::cerr << "error: queue replay --all-matching takes the plan only (the filters select the items), got "
                << a.args.size() << " arguments\n";
      return 2;
    }
  } else {
    if (a.args.size() < 2) {
      std::cerr << "error: queue replay takes ID... PLAN (or --all-matching [--queue Q --map M --reason TEXT] PLAN)\n";
      return 2;
    }
    for (size_t i = 0; i + 1 < a.args.size(); ++i) {
      const std::string& t = a.args[i];
      if (t.empty() || t.size() > 18 || !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        std::cerr << "error: `" << t << "` is not an item id (crmx-run queue list shows them); queue replay takes ID... PLAN\n";
        return 2;
      }
      ids.push_back(std::stoll(t));
    }
    if (!a.f.queue.empty() || !a.f.map.empty() || !a.f.reason.empty() || !a.f.since.empty() || a.f.status != "open") {
      std::cerr << "error: --queue, --map, --reason, --since and --status select items with --all-matching, not with IDs\n";
      return 2;
    }
  }
  sys.plan = a.args.back();
  int64_t retry_wait = DurationMs(a.retry_wait);
  if (retry_wait < 0) {
    std::cerr << "error: --retry-wait takes a duration (0, 500ms, 30s, 5m, 1h), got `" << a.retry_wait << "`\n";
    return 2;
  }
  state::ItemFilter filter;
  if (a.all_matching && !ToFilter(a.f, filter)) return 2;
  plan::Plan p;
  OpenSystems open;
  auto leases_slot = std::make_shared<std::atomic<state::Leases*>>(nullptr);
  SetBudgetAdmission(sys, leases_slot, p);
  if (int rc = OpenPlanAndSystems(sys, p, open)) return rc;
  StateAt at = FindState(open, a.c.state);
  const std::string& state_path = at.location;
  bool cluster = state::db::IsPostgresUrl(state_path);
  if (!cluster)
    if (int rc = CheckStateNotSystem(open, state_path)) return rc;
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenState(state_path, a.c.wait, st, at.password)) return rc;
  std::string error;
  // On a cluster's state the replay is one more worker: its maps' leases, the shared budgets.
  std::unique_ptr<state::Leases> leases;
  if (cluster && !(leases = JoinCluster(at, *st, DefaultWorkerName() + ":replay", 30000, leases_slot, error))) {
    std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
    return 1;
  }
  // The items, every one checked before anything runs.
  std::vector<state::Item> items;
  if (a.all_matching) {
    if (!state::ListItems(*st, filter, items, error)) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
  } else {
    bool refused = false;
    if (!queue::SelectItems(*st, ids, a.force, items, refused, error)) {
      std::cerr << "error: " << error << "\n";
      return refused ? 2 : 1;
    }
  }
  bool json_out = a.c.format == "json";
  if (items.empty()) {
    if (json_out) std::cout << json{{"dry_run", a.dry_run}, {"run", nullptr}, {"records", json::array()}}.dump(2) << "\n";
    else std::cout << "nothing to replay: no items " << StatusWords(a.f) << " match in " << st->path() << "\n";
    return 0;
  }
  if (a.dry_run) {
    // A dry run creates nothing: a system's SQLite database must exist already.
    std::error_code ec;
    for (const auto& [name, w] : open.where) {
      std::string db = w.rfind("sqlite:", 0) == 0 ? w.substr(7) : w;
      std::string ext = fs::path(db).extension().string();
      bool sqlite = w.rfind("sqlite:", 0) == 0 || ext == ".db" || ext == ".sqlite" || ext == ".sqlite3";
      if (sqlite && !fs::exists(db, ec)) {
        std::cerr << "error: system " << name << ": `" << db << "` does not exist; a dry run creates nothing\n";
        return 1;
      }
    }
  }
  queue::Request request;
  request.items = std::move(items);
  request.dry_run = a.dry_run;
  request.retry_wait_ms = retry_wait;
  request.actor = Actor();
  request.leases = leases.get();
  queue::Result result;
  if (!queue::Replay(p, open.systems, *st, request, result, error)) {
    std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
    return 1;
  }
  const std::vector<queue::Outcome>& outcomes = result.outcomes;
  if (json_out) {
    std::string out = "{\"dry_run\":" + std::string(a.dry_run ? "true" : "false") +
                      ",\"run\":" + (result.run ? std::to_string(result.run) : std::string("null")) +
                      ",\"plan_hash\":" + json(result.plan_hash).dump() + ",\"state\":" + json(st->path()).dump() +
                      ",\"records\":[";
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const queue::Outcome& o = outcomes[i];
      json j{{"item", o.item.id},         {"map", o.item.map},   {"record", o.item.record_id},
             {"queue_before", o.item.queue}, {"outcome", o.kind}, {"message", queue::Describe(o, a.dry_run)}};
      if (o.kind == "queued") {
        j["queue"] = o.queue;
        j["reasons"] = o.reasons;
        if (!a.dry_run) j["new_item"] = o.new_item;
      }
      if (o.kind == "written") {
        j["target"] = o.target;
        j["target_id"] = o.target_id.empty() ? json(nullptr) : json(o.target_id);
      }
      std::string text = j.dump();
      if (o.write >= 0) {
        // The values as the writer encodes them (decimals keep their digits: no double).
        const queue::Recorded& w = result.recorded[static_cast<size_t>(o.write)];
        text.pop_back();
        text += ",\"fields\":{";
        for (size_t f = 0; f < w.fields.size(); ++f)
          text += (f ? "," : "") + json(w.fields[f].first).dump() + ":" + w.fields[f].second;
        text += "}}";
      }
      out += (i ? "," : "") + text;
    }
    out += "]}";
    std::cout << json::parse(out).dump(2) << "\n";
    return 0;
  }
  std::ostringstream o;
  if (a.dry_run)
    o << "dry run of " << outcomes.size() << " item" << (outcomes.size() == 1 ? "" : "s") << " through " << sys.plan
      << ": nothing was sent and " << st->path() << " was not changed (the run used a copy, now deleted)\n";
  else
    o << "replay of " << outcomes.size() << " item" << (outcomes.size() == 1 ? "" : "s") << " through " << sys.plan << ", run "
      << result.run << ", state " << st->path() << "\n";
  for (const queue::Outcome& x : outcomes) {
    o << "  item " << x.item.id << "  " << x.item.map << " " << x.item.record_id << " (" << x.item.queue
      << "): " << queue::Describe(x, a.dry_run) << "\n";
    if (x.write >= 0)
      for (const auto& [name, text] : result.recorded[static_cast<size_t>(x.write)].fields)
        o << "      " << name << " = " << text << "\n";
  }
  o << "\n";
  bool first = true;
  for (const auto& [what, n] : queue::Counts(result, a.dry_run)) {
    o << (first ? "" : ", ") << n << " " << what;
    first = false;
  }
  o << "\n";
  std::cout << o.str();
  return 0;
}

void AddCommon(CLI::App* cmd, Common& c, bool state_required) {
  auto* s = cmd->add_option("--state", c.state,
                            state_required ? "The state file (the one `crmx-run run --state` wrote)"
                                           : "The state file (default: as `crmx-run run` finds it, next to the ERP's database)");
  if (state_required) s->required();
  cmd->add_flag("--wait", c.wait, "When a run holds the state file, wait for it to end (default: exit 1 naming it)");
  cmd->add_option("--format", c.format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
}

void AddFilter(CLI::App* cmd, Filter& f) {
  cmd->add_option("--queue", f.queue, "Only this queue: data_quality, held, waiting, error, retrying, dead_letter, flag "
                                      "(default: every queue but flag)")
      ->transform(Underscores)
      ->check(CLI::IsMember(kQueues));
  cmd->add_option("--map", f.map, "Only this map's records");
  cmd->add_option("--reason", f.reason, "Only items with a reason containing TEXT (any case)");
  cmd->add_option("--since", f.since, "Only items seen at or after T: 2026-12-06, 2026-12-06T04:00:00Z, or 24h, 7d ago");
  cmd->add_option("--status", f.status, "open (default), resolved, discarded or all")
      ->check(CLI::IsMember({"open", "resolved", "discarded", "all"}));
}

}  // namespace

void AddQueueCommand(CLI::App& app, int& exit_code) {
  CLI::App* queue = app.add_subcommand(
      "queue", "Works the queues of a state file: list, show, resolve, discard, replay (docs/operations.md)");
  queue->require_subcommand(1);

  auto list = std::make_shared<ListArgs>();
  CLI::App* l = queue->add_subcommand("list", "Lists the queued records (open ones by default), newest first");
  AddCommon(l, list->c, true);
  AddFilter(l, list->f);
  l->callback([list, &exit_code] { exit_code = List(*list); });

  auto show = std::make_shared<ItemArgs>();
  CLI::App* s = queue->add_subcommand("show", "Shows an item: its reasons and fields, its delivery and attempts, what was done");
  s->add_option("id", show->id, "The item's id (crmx-run queue list)")->required();
  AddCommon(s, show->c, true);
  s->callback([show, &exit_code] { exit_code = Show(*show); });

  for (const char* verb : {"resolve", "discard"}) {
    auto act = std::make_shared<ItemArgs>();
    bool discard = std::string(verb) == "discard";
    CLI::App* c = queue->add_subcommand(
        verb, discard ? "Discards an item (a retrying or dead-letter record's delivery becomes dead: never sent again "
                        "automatically)"
                      : "Marks an item resolved (fixed elsewhere)");
    c->add_option("id", act->id, "The item's id (crmx-run queue list)")->required();
    c->add_option("--note", act->note, "Why (kept with who and when)")->required();
    c->add_flag("--force", act->force, "Act on an item already resolved or discarded");
    AddCommon(c, act->c, true);
    std::string status = discard ? "discarded" : "resolved";
    c->callback([act, status, &exit_code] { exit_code = ActOn(*act, status); });
  }

  auto replay = std::make_shared<ReplayArgs>();
  CLI::App* r = queue->add_subcommand(
      "replay", "Runs queued records again through the current plan (ID... PLAN, or --all-matching [filters] PLAN)");
  r->add_option("args", replay->args, "ID... PLAN: the items, then the plan file (crmxc build SPEC -o PLAN)")->required();
  r->add_flag("--all-matching", replay->all_matching,
              "Replay every item the filters select (--queue, --map, --reason, --since, --status), as `queue list` shows them");
  AddFilter(r, replay->f);
  r->add_flag("--dry-run", replay->dry_run,
              "Change nothing: run on a copy of the state, with every write recorded instead of sent, and print what "
              "would be written");
  r->add_flag("--force", replay->force, "Replay items already resolved or discarded");
  r->add_option("--retry-wait", replay->retry_wait,
                "How long the replay waits for failed writes that fall due again (default 60s; 0: none)");
  AddSystemOptions(r, replay->sys, "runs");
  AddCommon(r, replay->c, false);
  r->callback([replay, &exit_code] { exit_code = Replay(*replay); });
}

}  // namespace crmx::cli
