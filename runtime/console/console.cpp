// Defines the operations console (console.h): its routes, who may see and do what, the pages,
// and the actions handed to serve's loop.
//
// Reading: each request opens its own read-only connection to the state file
// (state::OpenOptions::read_only, as `crmx-run status` reads beside a running serve) and closes
// it when the page is built. The HTTP threads never touch the loop's StateStore, a page never
// waits behind a sync in progress (a run can take minutes; SQLite lets readers in between the
// writes of its map transactions), and opening a SQLite file read-only costs well under a
// millisecond next to rendering a page. The alternative, reading on the loop's thread through
// its task queue, would make every page wait for the run in progress.
//
// Acting: replay, resolve and discard write the state (and a replay calls the systems), so
// they run on the loop's thread, which owns the state store and the connectors, through
// serve's task queue (serve::PostTask). The HTTP thread waits for the result; when the loop is
// busy longer than Options::action_timeout_ms the action is withdrawn before it starts and the
// answer is 503: an action either ran and its result is shown, or it did not run at all.
#include "runtime/console/console.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/console/assets.h"
#include "runtime/console/page.h"
#include "runtime/console/session.h"
#include "runtime/queue/replay.h"
#include "runtime/queue/source_record.h"
#include "runtime/report/data_quality.h"
#include "runtime/report/standing.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/reconcile_book.h"
#include "runtime/state/run_book.h"
#include "runtime/state/state.h"
#include "runtime/state/status_book.h"

namespace crmx::console {

namespace {

using json = nlohmann::json;

constexpr const char* kCookie = "crmx_session";
const std::vector<std::string> kQueues = {"data_quality", "held",        "waiting", "error",
                                          "retrying",     "dead_letter", "flag"};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Num(int64_t n) { return std::to_string(n); }

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", share * 100);
  return buf;
}

// The headers every answer of the console carries: no caching of pages with customer data, no
// framing, no sniffing, nothing loaded from elsewhere.
void Secure(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'");
}

void Html(httplib::Response& res, int status, const std::string& page) {
  Secure(res);
  res.status = status;
  res.set_content(page, "text/html; charset=utf-8");
}

// An `every` period as the spec writes it: "1h", "15m", "90s", "1d".
std::string Period(int64_t ms) {
  for (const auto& [unit, size] :
       {std::pair<const char*, int64_t>{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}})
    if (ms >= size && ms % size == 0) return std::to_string(ms / size) + unit;
  return std::to_string(ms) + "ms";
}

std::string Band(const std::string& band) {
  std::string cls = band == "not measured" ? "muted" : "band band-" + band;
  return "<span class=\"" + H(cls) + "\">" + H(band) + "</span>";
}

// An item's reason list, each escaped.
std::string Reasons(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return "<span class=\"muted\">(none)</span>";
  std::string o;
  for (size_t i = 0; i < reasons.size(); ++i) o += (i ? "; " : "") + H(reasons[i]);
  return o;
}

}  // namespace

struct Console::Impl {
  Options o;
  Sessions sessions;
  json graph;              // the --graph file as JSON (null: none, or not JSON)
  std::string graph_text;  // the --graph file when it is not JSON (mermaid, dot)
  serve::PostTask post;

  explicit Impl(Options options) : o(std::move(options)), sessions(Logins(o.target), o.target.console.session_ms) {}

  static std::vector<Login> Logins(const profile::Target& t) {
    std::vector<Login> out;
    for (const profile::ConsoleLogin& l : t.console.logins)
      out.push_back({l.name, l.role == "operator" ? Role::kOperator : Role::kReadOnly, l.token.Reveal()});
    return out;
  }

  const std::string& Integration() const { return o.plan->integration; }

  // ------------------------------------------------------------------------ who is asking

  std::optional<Session> SessionOf(const httplib::Request& req) {
    return sessions.Find(CookieValue(req.get_header_value("Cookie"), kCookie), NowMs());
  }

  bool SecureCookie(const httplib::Request& req) const {
    const std::string& mode = o.target.console.secure_cookie;
    return mode == "on" || (mode == "auto" && req.get_header_value("X-Forwarded-Proto") == "https");
  }

  // A page: the session, else 401 with the login form.
  std::optional<Session> Reader(const httplib::Request& req, httplib::Response& res) {
    std::optional<Session> s = SessionOf(req);
    if (!s) Html(res, 401, LoginPage(Integration(), "Log in to see this page."));
    return s;
  }

  // An action: a session (401), its CSRF token (403), an operator (403).
  std::optional<Session> Actor(const httplib::Request& req, httplib::Response& res) {
    std::optional<Session> s = SessionOf(req);
    if (!s) {
      Html(res, 401, LoginPage(Integration(), "Log in to act."));
      return std::nullopt;
    }
    if (!Sessions::CsrfOk(*s, req.has_param("csrf") ? req.get_param_value("csrf") : std::string())) {
      Html(res, 403,
           MessagePage(Integration(), "Refused",
                       "This form is out of date or did not come from the console "
                       "(its CSRF token is missing or wrong): nothing was done. Open the page again and retry.",
                       &*s));
      return std::nullopt;
    }
    if (s->role != Role::kOperator) {
      Html(res, 403,
           MessagePage(Integration(), "Refused",
                       "Your login (" + s->name +
                           ") reads only: it cannot act on the "
                           "queues. Nothing was done.",
                       &*s));
      return std::nullopt;
    }
    return s;
  }

  // ------------------------------------------------------------------------ the state

  std::unique_ptr<state::StateStore> OpenRead(std::string& error) const {
    state::OpenOptions ro;
    ro.read_only = true;
    ro.password = o.state_password;
    return state::StateStore::Open(o.state_path, error, ro);
  }

  // Runs `work` on the loop's thread and waits for it. False with `why` when it did not run
  // (serve stopping, or the loop busy past the timeout: then it is withdrawn).
  bool OnLoop(const std::function<void(state::StateStore&)>& work, std::string& why) {
    struct Pending {
      std::mutex mu;
      std::condition_variable cv;
      bool started = false, done = false, ran = false, withdrawn = false;
    };
    auto p = std::make_shared<Pending>();
    post([p, &work](state::StateStore* st) {
      {
        std::lock_guard<std::mutex> lock(p->mu);
        if (p->withdrawn) return;
        p->started = true;
      }
      if (st) work(*st);
      std::lock_guard<std::mutex> lock(p->mu);
      p->done = true;
      p->ran = st != nullptr;
      p->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(p->mu);
    if (!p->cv.wait_for(lock, std::chrono::milliseconds(o.action_timeout_ms), [&] { return p->done; })) {
      if (!p->started) {
        p->withdrawn = true;
        why = "serve is busy with a run; the action was withdrawn before it started: try again in a moment";
        return false;
      }
      // Started: it finishes, and its result is shown.
      p->cv.wait(lock, [&] { return p->done; });
    }
    if (!p->ran) why = "serve is stopping: the action did not run";
    return p->ran;
  }

  std::string Redact(const std::string& text) const { return profile::Redact(o.target, text); }

  // ------------------------------------------------------------------------ pages

  std::string Overview(state::StateStore& st, std::string& error) {
    state::StatusFigures f;
    if (!state::LoadStatus(st, NowMs(), 7 * 24 * 3600 * 1000LL, f, error)) return {};
    report::Standing standing = report::Measure(*o.plan, f);
    std::string b = "<p class=\"muted\">State " + H(state::db::RedactUrl(o.state_path)) + ": " + Num(f.runs) + " runs" +
                    (f.last_run_finished.empty() ? std::string() : ", the last ended " + H(f.last_run_finished)) +
                    ".</p>";
    b += "<h2 id=\"syncs\">Syncs</h2>";
    std::vector<std::vector<Cell>> rows;
    for (const report::SyncStanding& s : standing.syncs) {
      const plan::Sync* sync = o.plan->FindSync(s.sync);
      std::string trigger = s.trigger;
      if (sync && sync->trigger == "every") trigger += " " + Period(sync->every_ms);
      if (sync && sync->trigger == "daily_at") trigger += " " + sync->daily_at;
      if (!s.ran) {
        rows.push_back({Cell::Text(s.sync), Cell::Text(trigger), Cell::Text("not run under serve yet"), Cell::Text(""),
                        Cell::Text(""), Cell::Text(""), Cell::Text("-"), Cell::Text("")});
        continue;
      }
      rows.push_back({Cell::Text(s.sync), Cell::Text(trigger), Cell::Num(report::MsTime(s.last.last_started)),
                      Cell::Text(s.last.last_why), Cell::Text(s.last.last_result),
                      Cell::Num(report::Seconds(s.latency_s)), Cell::Num(report::MsTime(s.last.next_due)),
                      s.last.last_run ? Cell::Html(Link("/runs/" + Num(s.last.last_run), "run " + Num(s.last.last_run)))
                                      : Cell::Text("")});
    }
    b += Table("Each sync of the plan: its trigger, its last run under serve and when it is due next",
               {"sync", "trigger", "last run", "why", "result", "due to done", "next due", "run"}, rows, {5});
    b += "<h2 id=\"outcomes\">Outcomes of each map's latest run</h2>";
    rows.clear();
    for (const state::MapFigures& m : f.maps)
      rows.push_back({Cell::Text(m.map), Cell::Html(Link("/runs/" + Num(m.run), "run " + Num(m.run))),
                      Cell::Num(m.finished), Cell::Num(Num(m.read)), Cell::Num(Num(m.written)),
                      Cell::Num(Num(m.skipped)), Cell::Num(Num(m.queued)), Cell::Num(Percent(m.failure_rate))});
    b += rows.empty() ? "<p class=\"muted\">No run has finished yet.</p>"
                      : Table("", {"map", "run", "ended", "read", "written", "skipped", "queued", "failure rate"}, rows,
                              {3, 4, 5, 6, 7});
    b += "<h2 id=\"benchmarks\">Benchmarks</h2>";
    rows.clear();
    for (const report::Benchmark& x : standing.benchmarks)
      rows.push_back({Cell::Text(x.name),
                      Cell::Html("<span data-copy>" + H(x.shown) + "</span>" +
                                 (x.of.empty() ? "" : " <span class=\"muted\">(" + H(x.of) + ")</span>")),
                      Cell::Html(Band(x.band)), Cell::Text(x.bands)});
    b += Table("The seed's benchmarks, measured from the state as crmx-run status measures them (good / typical / red)",
               {"benchmark", "now", "band", "bands"}, rows);
    b += "<h2 id=\"queues\">Queues</h2>";
    rows.clear();
    for (const std::string& q : kQueues) {
      auto n = f.open_items.find(q);
      rows.push_back(
          {Cell::Html(Link("/queues?queue=" + q, q)), Cell::Num(Num(n == f.open_items.end() ? 0 : n->second))});
    }
    b += Table("Open items per queue", {"queue", "open"}, rows, {1});
    b += "<h2 id=\"alerts\">Open alerts</h2>";
    if (f.open_alerts.empty()) {
      b += "<p>None.</p>";
    } else {
      rows.clear();
      for (const auto& [name, n] : f.open_alerts) rows.push_back({Cell::Text(name), Cell::Num(Num(n))});
      b += Table("Alerts that fired and still hold", {"alert", "records"}, rows, {1});
    }
    b += "<h2 id=\"budgets\">Budgets</h2>";
    if (standing.budgets.empty()) b += "<p class=\"muted\">No budget in the latest run's summary.</p>";
    for (const report::Budget& g : standing.budgets) {
      b += "<p><strong>" + H(g.system) + "</strong> ";
      if (g.limit > 0) {
        char v[64];
        std::snprintf(v, sizeof v, "%.0f", g.used);
        char mx[64];
        std::snprintf(mx, sizeof mx, "%.0f", g.limit);
        b += "<meter min=\"0\" max=\"" + std::string(mx) + "\" low=\"" + std::to_string(g.limit * 0.5) + "\" high=\"" +
             std::to_string(g.limit * 0.8) + "\" optimum=\"0\" value=\"" + v + "\" aria-label=\"API calls used by " +
             H(g.system) + "\"></meter> ";
      }
      b += "<span data-copy>" + H(g.text) + "</span></p>";
    }
    b += "<h2 id=\"reports\">Reports</h2><ul><li>" + Link("/reports/data-quality", "The weekly data-quality report") +
         "</li>";
    for (const auto& r : f.reconciliations)
      b += "<li>" + Link("/reports/reconcile/" + UrlEncode(r.name), "Reconciliation " + r.name) + ": " + H(r.finished) +
           ", <span data-copy>" + Num(r.matched) + "</span> matched, <span data-copy>" + Num(r.discrepancies) +
           "</span> discrepanc" + (r.discrepancies == 1 ? "y" : "ies") + "</li>";
    if (f.reconciliations.empty() && !o.plan->reconciles.empty())
      b += "<li class=\"muted\">No reconciliation has run yet.</li>";
    b += "<li>" + Link("/graph", "The graph of systems, maps and owners") + "</li></ul>";
    return b;
  }

  std::string QueuesPage(state::StateStore& st, const httplib::Request& req, const std::string& queue_in_path,
                         std::string& error, int& status) {
    state::ItemFilter f;
    f.queue = queue_in_path.empty() ? req.get_param_value("queue") : queue_in_path;
    f.map = req.get_param_value("map");
    f.reason = req.get_param_value("reason");
    std::string since = req.get_param_value("since");
    if (req.has_param("status") && !req.get_param_value("status").empty()) f.status = req.get_param_value("status");
    std::string b;
    if (!f.queue.empty() && std::find(kQueues.begin(), kQueues.end(), f.queue) == kQueues.end()) {
      status = 400;
      return "<p class=\"panel error\" role=\"alert\">There is no queue " + H(f.queue) + ".</p>";
    }
    if (f.status != "open" && f.status != "resolved" && f.status != "discarded" && f.status != "all") {
      status = 400;
      return "<p class=\"panel error\" role=\"alert\">The status is open, resolved, discarded or all.</p>";
    }
    if (!since.empty()) {
      f.since = queue::SinceText(since);
      if (f.since.empty()) {
        status = 400;
        b += "<p class=\"panel error\" role=\"alert\">“Seen since” takes a time (2026-12-06, 2026-12-06T04:00:00Z) or "
             "how "
             "long ago (90s, 30m, 24h, 7d), not “" +
             H(since) + "”.</p>";
      }
    }
    auto option = [](const std::string& value, const std::string& label, const std::string& chosen) {
      return "<option value=\"" + H(value) + "\"" + (value == chosen ? " selected" : "") + ">" + H(label) + "</option>";
    };
    b += "<form class=\"filters\" method=\"get\" action=\"/queues\"><label for=\"f-queue\">Queue<select id=\"f-queue\" "
         "name=\"queue\">" +
         option("", "every queue but flags", f.queue);
    for (const std::string& q : kQueues) b += option(q, q, f.queue);
    b += "</select></label><label for=\"f-map\">Map<select id=\"f-map\" name=\"map\">" + option("", "every map", f.map);
    for (const plan::Map& m : o.plan->maps) b += option(m.name, m.name, f.map);
    b += "</select></label><label for=\"f-reason\">Reason contains<input id=\"f-reason\" name=\"reason\" value=\"" +
         H(f.reason) +
         "\"></label><label for=\"f-since\">Seen since<input id=\"f-since\" name=\"since\" "
         "placeholder=\"24h, 7d, 2026-12-06\" value=\"" +
         H(since) +
         "\"></label><label for=\"f-status\">Status<select "
         "id=\"f-status\" name=\"status\">";
    for (const char* s : {"open", "resolved", "discarded", "all"}) b += option(s, s, f.status);
    b += "</select></label><button type=\"submit\">Filter</button></form>";
    if (status == 400) return b;
    std::vector<state::Item> items;
    if (!state::ListItems(st, f, items, error)) return {};
    const size_t kShown = 500;
    std::vector<std::vector<Cell>> rows;
    std::map<std::string, int64_t> per_queue;
    for (const state::Item& it : items) {
      ++per_queue[it.queue];
      if (rows.size() >= kShown) continue;
      std::string reason = it.reasons.empty() ? std::string() : it.reasons.front();
      if (it.reasons.size() > 1) reason += " (+" + Num(static_cast<int64_t>(it.reasons.size()) - 1) + " more)";
      rows.push_back({Cell::Html(Link("/queues/" + Num(it.id), Num(it.id))), Cell::Text(it.map),
                      Cell::Html("<span class=\"mono\" data-copy>" + H(it.record_id) + "</span>"), Cell::Text(it.queue),
                      Cell::Text(it.status), Cell::Num(it.attempts < 0 ? "-" : Num(it.attempts)),
                      Cell::Num(it.last_seen), Cell::Text(reason)});
    }
    std::string counts;
    for (const auto& [q, n] : per_queue) counts += (counts.empty() ? "" : ", ") + H(q) + " " + Num(n);
    b += "<p role=\"status\">" + Num(static_cast<int64_t>(items.size())) + " item" + (items.size() == 1 ? "" : "s") +
         (counts.empty() ? "" : ": " + counts) +
         (items.size() > kShown ? " (the newest " + Num(kShown) + " shown; narrow the filters for the others)" : "") +
         "</p>";
    if (!rows.empty())
      b += Table("Queued records, newest first",
                 {"item", "map", "record", "queue", "status", "attempts", "last seen", "reason"}, rows, {0, 5});
    return b;
  }

  std::string ItemPage(state::StateStore& st, int64_t id, const Session& s, std::string& error, int& status) {
    state::ItemDetail d;
    if (!state::GetItemDetail(st, id, d, error)) {
      if (!error.empty()) return {};
      std::vector<state::ActionRow> past;
      if (!state::ItemActions(st, id, past, error)) return {};
      status = 404;
      if (past.empty()) return "<p class=\"panel error\" role=\"alert\">There is no item " + Num(id) + ".</p>";
      std::string b = "<p class=\"panel\">Item " + Num(id) + " (" + H(past.front().map) + " <span class=\"mono\">" +
                      H(past.front().record_id) + "</span>) is no longer in a queue: its record left it.</p>";
      status = 200;
      return b + Actions(past);
    }
    const state::Item& it = d.item;
    std::string b = "<dl class=\"facts\"><dt>map</dt><dd>" + H(it.map) +
                    "</dd><dt>record</dt><dd class=\"mono\" data-copy>" + H(it.record_id) + "</dd><dt>queue</dt><dd>" +
                    Link("/queues?queue=" + it.queue, it.queue) + "</dd><dt>status</dt><dd>" + H(it.status);
    if (it.status != "open")
      b += " by " + H(it.actor) + " at " + H(it.acted) + (it.note.empty() ? "" : ": " + H(it.note));
    b += "</dd>";
    if (!it.source_id.empty()) b += "<dt>source id</dt><dd class=\"mono\" data-copy>" + H(it.source_id) + "</dd>";
    if (!it.file.empty())
      b += "<dt>read from</dt><dd>" + H(it.file) + (it.line ? " line " + Num(it.line) : "") + "</dd>";
    b += "<dt>first seen</dt><dd>" + H(it.first_seen) + " (" +
         Link("/runs/" + Num(it.first_run), "run " + Num(it.first_run)) + ")</dd><dt>last seen</dt><dd>" +
         H(it.last_seen) + " (" + Link("/runs/" + Num(it.last_run), "run " + Num(it.last_run)) +
         ")</dd><dt>reasons</dt><dd>" + Reasons(it.reasons) + "</dd><dt>fields behind the reasons</dt><dd>";
    if (it.fields.empty()) b += "<span class=\"muted\">(none named)</span>";
    for (size_t i = 0; i < it.fields.size(); ++i)
      b += (i ? ", " : "") + std::string("<code>") + H(it.fields[i]) + "</code>";
    b += "</dd></dl>";
    const plan::Map* m = o.plan->FindMap(it.map);
    if (m)
      b += "<p class=\"muted\">" + H(it.map) + " reads " + H(m->source.system + "." + m->source.object) +
           " and writes " + H(m->target.system + "." + m->target.object) + ". A replay reads the record from " +
           H(m->source.system) + " again and shows what it would write before anything is sent.</p><p>" +
           Link("/queues/" + Num(it.id) + "/source", "Read its source values from " + m->source.system + " now") +
           "</p>";
    if (d.delivery) {
      const state::Delivery& dl = d.delivery->d;
      b += "<h2>Delivery</h2><dl class=\"facts\"><dt>state</dt><dd>" + H(dl.state) +
           "</dd><dt>sends with a result</dt><dd data-copy>" + Num(dl.attempts) + "</dd><dt>decided</dt><dd>" +
           H(d.delivery->decided) + " (run " + Num(dl.run) + ")</dd><dt>updated</dt><dd>" + H(d.delivery->updated) +
           "</dd>";
      if (dl.due_ms) b += "<dt>due</dt><dd>" + H(state::MsText(dl.due_ms)) + "</dd>";
      if (!dl.external_id.empty())
        b += "<dt>external id</dt><dd class=\"mono\" data-copy>" + H(dl.external_id) + "</dd>";
      if (dl.last_status || !dl.last_code.empty() || !dl.last_message.empty()) {
        b += "<dt>the system said</dt><dd>";
        if (dl.last_status) b += "HTTP " + Num(dl.last_status) + " ";
        b += "<code>" + H(dl.last_code) + "</code> " + H(Redact(dl.last_message)) + "</dd>";
        if (!dl.last_fields.empty() && dl.last_fields != "[]")
          b += "<dt>fields it named</dt><dd><code>" + H(dl.last_fields) + "</code></dd>";
        if (!dl.last_request.empty()) b += "<dt>request</dt><dd><code>" + H(Redact(dl.last_request)) + "</code></dd>";
      }
      b += "</dl>";
      if (!dl.payload.empty()) b += "<h3>What it sends</h3><pre>" + H(dl.payload) + "</pre>";
      if (!d.delivery->attempts.empty()) {
        std::vector<std::vector<Cell>> rows;
        for (const state::AttemptRow& x : d.delivery->attempts)
          rows.push_back(
              {Cell::Num(Num(x.attempt)), Cell::Num(x.at), Cell::Html(Link("/runs/" + Num(x.run), Num(x.run))),
               Cell::Text(x.http_status ? "HTTP " + Num(x.http_status) : "no answer"),
               Cell::Text(x.code + (x.message.empty() ? "" : (x.code.empty() ? "" : ": ") + Redact(x.message))),
               Cell::Text(x.retriable ? (x.wait_ms ? "retriable, next in " + Num(x.wait_ms) + " ms" : "retriable")
                                      : "not retriable")});
        b += Table("Failed sends", {"#", "at", "run", "status", "answer", "then"}, rows, {0});
      }
    }
    b += "<h2>Actions</h2>";
    if (it.status == "open") {
      if (s.role == Role::kOperator) {
        std::string base = "/queues/" + Num(it.id);
        b += "<div class=\"actions\"><form class=\"act\" method=\"post\" action=\"" + base + "/replay\">" +
             CsrfField(s) +
             "<input type=\"hidden\" name=\"step\" value=\"preview\"><p>Read the record again and run it through the "
             "plan: "
             "first a dry run, which sends nothing.</p><button type=\"submit\" id=\"replay\">Replay (dry run "
             "first)</button></form>";
        for (const char* verb : {"resolve", "discard"}) {
          std::string v = verb;
          bool discard = v == "discard";
          b += "<form class=\"act\" method=\"post\" action=\"" + base + "/" + v + "\"" +
               (discard
                    ? " data-confirm=\"Discard this item? A retrying or dead-letter record is then never sent again.\""
                    : "") +
               ">" + CsrfField(s) + "<label for=\"note-" + v + "\">" +
               (discard ? "Why discard it" : "Why it is resolved") +
               " (a note kept with who and when)<textarea id=\"note-" + v +
               "\" name=\"note\" rows=\"2\" required></textarea></label><button type=\"submit\" id=\"" + v + "\"" +
               (discard ? " class=\"danger\"" : " class=\"secondary\"") + ">" +
               (discard ? "Discard" : "Mark resolved") + "</button></form>";
        }
        b += "</div>";
      } else {
        b += "<p class=\"muted\">Your login reads only: replay, resolve and discard need an operator's login.</p>";
      }
    }
    return b + Actions(d.actions);
  }

  // The item's record as its source holds it now: read through the connector, on the loop.
  std::string SourcePage(int64_t id, int& status) {
    std::string error;
    std::optional<state::Item> it;
    if (std::unique_ptr<state::StateStore> st = OpenRead(error)) it = state::GetItem(*st, id, error);
    const plan::Map* m = it ? o.plan->FindMap(it->map) : nullptr;
    std::string back = "<p>" + Link("/queues/" + Num(id), "Back to item " + Num(id)) + "</p>";
    if (!it || m == nullptr) {
      status = error.empty() ? 404 : 500;
      return "<p class=\"panel error\" role=\"alert\">" +
             H(error.empty() ? "There is no item " + Num(id) + " of a map of the plan." : Redact(error)) + "</p>" +
             back;
    }
    queue::SourceRecord rec;
    bool ok = false;
    std::string why;
    if (!OnLoop([&](state::StateStore&) { ok = queue::ReadSourceRecord(*m, *o.systems, *it, rec, error); }, why)) {
      status = 503;
      return "<p class=\"panel error\" role=\"alert\">" + H(why) + "</p>" + back;
    }
    if (!ok) {
      status = 502;
      return "<p class=\"panel error\" role=\"alert\">" + H(Redact(error)) + "</p>" + back;
    }
    if (!rec.found) {
      status = 404;
      return "<p class=\"panel\">" + H(rec.object) + " has no record with id " + H(rec.id) + " now (deleted?).</p>" +
             back;
    }
    std::set<std::string> behind(it->fields.begin(), it->fields.end());
    std::vector<std::vector<Cell>> rows;
    for (const auto& [field, value] : rec.values)
      rows.push_back({Cell::Html("<code>" + H(field) + "</code>" +
                                 (behind.count(field) ? " <strong>(behind a reason)</strong>" : "")),
                      Cell::Html("<code data-copy>" + H(value) + "</code>")});
    return "<p class=\"muted\">" + H(rec.object) + " " + H(rec.id) + " as " + H(m->source.system) +
           " holds it now: the fields " + H(it->map) + " reads (related records' fields are not shown).</p>" +
           Table("The source record's values", {"field", "value"}, rows) + back;
  }

  static std::string Actions(const std::vector<state::ActionRow>& actions) {
    if (actions.empty()) return "<p class=\"muted\">Nothing was done to it yet.</p>";
    std::vector<std::vector<Cell>> rows;
    for (const state::ActionRow& x : actions)
      rows.push_back({Cell::Num(x.at), Cell::Text(x.action), Cell::Text(x.actor), Cell::Text(x.note)});
    return Table("What people did, oldest first", {"at", "action", "by", "note"}, rows);
  }

  std::string ReplayResult(const queue::Result& r, bool dry, const Session& s, int64_t id, const std::string& note) {
    std::string b;
    if (dry)
      b += "<p class=\"panel\">A dry run: nothing was sent and the state was not changed (the run used a copy, now "
           "deleted). This is what a replay would do:</p>";
    else
      b += "<p class=\"panel ok\" role=\"status\">Replayed in " + Link("/runs/" + Num(r.run), "run " + Num(r.run)) +
           ".</p>";
    for (const queue::Outcome& x : r.outcomes) {
      b += "<p id=\"outcome\" data-outcome=\"" + H(x.kind) + "\"><strong>Item " + Num(x.item.id) + "</strong> (" +
           H(x.item.map) + " <span class=\"mono\">" + H(x.item.record_id) + "</span>, " + H(x.item.queue) +
           "): " + H(queue::Describe(x, dry)) + "</p>";
      if (x.write >= 0) {
        std::vector<std::vector<Cell>> rows;
        for (const auto& [name, value] : r.recorded[static_cast<size_t>(x.write)].fields)
          rows.push_back(
              {Cell::Html("<code>" + H(name) + "</code>"), Cell::Html("<code data-copy>" + H(value) + "</code>")});
        b += Table("The values it would write (as the writer encodes them)", {"field", "value"}, rows);
      }
    }
    std::string counts;
    for (const auto& [what, n] : queue::Counts(r, dry)) counts += (counts.empty() ? "" : ", ") + Num(n) + " " + H(what);
    b += "<p>" + counts + "</p>";
    std::string base = "/queues/" + Num(id);
    if (dry) {
      bool any = false;
      for (const queue::Outcome& x : r.outcomes) any = any || (x.kind != "not_in_plan" && x.kind != "no_key");
      if (any)
        b += "<form class=\"act\" method=\"post\" action=\"" + base + "/replay\">" + CsrfField(s) +
             "<input type=\"hidden\" name=\"step\" value=\"confirm\"><label for=\"note-replay\">Note (kept with the "
             "replay)"
             "<textarea id=\"note-replay\" name=\"note\" rows=\"2\">" +
             H(note) +
             "</textarea></label>"
             "<button type=\"submit\" id=\"confirm\">Replay now</button></form>";
    }
    return b + "<p>" + Link(base, "Back to item " + Num(id)) + "</p>";
  }

  std::string RunsPage(state::StateStore& st, int64_t before, std::string& error) {
    std::vector<state::RunRow> runs;
    const int64_t kPage = 50;
    if (!state::ListRuns(st, before, kPage, runs, error)) return {};
    std::vector<std::vector<Cell>> rows;
    for (const state::RunRow& r : runs) {
      json j = json::parse(r.summary.empty() ? "{}" : r.summary, nullptr, false);
      int64_t read = 0, written = 0, queued = 0;
      std::string maps;
      if (j.is_object() && j.contains("maps") && j["maps"].is_object())
        for (auto& [name, m] : j["maps"].items()) {
          maps += (maps.empty() ? "" : ", ") + name;
          read += m.value("input_lines", int64_t{0});
          written += m.value("written", int64_t{0});
          for (const char* q : {"data_quality", "held", "waiting", "error", "dead_letter"})
            if (m.contains(q) && m[q].is_object()) queued += m[q].value("count", int64_t{0});
        }
      rows.push_back({Cell::Html(Link("/runs/" + Num(r.run), Num(r.run))), Cell::Num(r.started),
                      Cell::Num(r.finished.empty() ? "(not finished)" : r.finished), Cell::Text(maps),
                      Cell::Num(Num(read)), Cell::Num(Num(written)), Cell::Num(Num(queued))});
    }
    std::string b = rows.empty()
                        ? "<p>No run yet.</p>"
                        : Table("Runs, newest first", {"run", "started", "ended", "maps", "read", "written", "queued"},
                                rows, {0, 4, 5, 6});
    if (static_cast<int64_t>(runs.size()) == kPage)
      b += "<p>" + Link("/runs?before=" + Num(runs.back().run), "Older runs") + "</p>";
    return b;
  }

  std::string RunPage(state::StateStore& st, int64_t id, std::string& error, int& status) {
    state::RunRow r;
    if (!state::GetRun(st, id, r, error)) {
      if (!error.empty()) return {};
      status = 404;
      return "<p class=\"panel error\" role=\"alert\">There is no run " + Num(id) + ".</p>";
    }
    std::string b = "<dl class=\"facts\"><dt>started</dt><dd>" + H(r.started) + "</dd><dt>ended</dt><dd>" +
                    H(r.finished.empty() ? "(not finished: running, or it stopped)" : r.finished) +
                    "</dd><dt>plan</dt><dd class=\"mono\" data-copy>" + H(r.plan_hash) + "</dd></dl>";
    json j = json::parse(r.summary.empty() ? "{}" : r.summary, nullptr, false);
    if (!j.is_object() || !j.contains("maps") || !j["maps"].is_object())
      return b + "<p class=\"muted\">No summary.</p>";
    const std::vector<const char*> kBuckets = {"skipped", "data_quality", "held",        "waiting",
                                               "error",   "retrying",     "dead_letter", "deleted"};
    std::vector<std::vector<Cell>> rows;
    std::string reasons;
    for (auto& [name, m] : j["maps"].items()) {
      std::vector<Cell> row{Cell::Text(name), Cell::Text(m.value("source", "") + " → " + m.value("target", "")),
                            Cell::Num(Num(m.value("input_lines", int64_t{0}))),
                            Cell::Num(Num(m.value("written", int64_t{0})))};
      for (const char* q : kBuckets) {
        int64_t n = m.contains(q) && m[q].is_object() ? m[q].value("count", int64_t{0}) : 0;
        row.push_back(n > 0 && std::string(q) != "skipped"
                          ? Cell{"<a href=\"/queues?map=" + H(UrlEncode(name)) + "&amp;queue=" + q + "\" data-copy>" +
                                     Num(n) + "</a>",
                                 true}
                          : Cell::Num(Num(n)));
        if (m.contains(q) && m[q].is_object() && m[q].contains("by_reason") && m[q]["by_reason"].is_object())
          for (auto& [reason, c] : m[q]["by_reason"].items())
            reasons += "<li>" + H(name) + " " + H(q) + ": " + H(reason) + " <span data-copy>" +
                       (c.is_number() ? c.dump() : "") + "</span></li>";
      }
      row.push_back(Cell::Num(Percent(m.value("failure_rate", 0.0))));
      rows.push_back(std::move(row));
    }
    std::vector<std::string> head{"map", "from → to", "read", "written"};
    for (const char* q : kBuckets) head.push_back(q);
    head.push_back("failure rate");
    b += Table("What each map did in this run", head, rows, {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    if (!reasons.empty()) b += "<h2>By reason</h2><ul>" + reasons + "</ul>";
    if (j.contains("budgets") && j["budgets"].is_object()) {
      b += "<h2>Budgets</h2><ul>";
      for (auto& [sys, text] : j["budgets"].items())
        b += "<li>" + H(sys) + ": " + H(text.is_string() ? text.get<std::string>() : text.dump()) + "</li>";
      b += "</ul>";
    }
    return b;
  }

  std::string ReportsPage(state::StateStore& st, std::string& error) {
    state::StatusFigures f;
    if (!state::LoadStatus(st, NowMs(), 7 * 24 * 3600 * 1000LL, f, error)) return {};
    std::string b = "<ul><li>" + Link("/reports/data-quality", "The weekly data-quality report") + "</li>";
    for (const plan::Reconcile& r : o.plan->reconciles) {
      b += "<li>" + Link("/reports/reconcile/" + UrlEncode(r.name), "Reconciliation " + r.name);
      bool ran = false;
      for (const auto& x : f.reconciliations)
        if (x.name == r.name) {
          ran = true;
          b += ": the latest " + H(x.finished) + ", " + Num(x.matched) + " matched, " + Num(x.discrepancies) +
               " discrepancies";
        }
      if (!ran) b += " <span class=\"muted\">(not run yet)</span>";
      b += "</li>";
    }
    return b + "</ul>";
  }

  std::string DataQualityPage(state::StateStore& st, const httplib::Request& req, std::string& error, int& status) {
    std::string since = req.has_param("since") ? req.get_param_value("since") : "4w";
    int weeks = report::ParseWeeks(since);
    if (weeks == 0) {
      status = 400;
      return "<p class=\"panel error\" role=\"alert\">The period is a number of weeks or days (4w, 30d).</p>";
    }
    report::Options ro;
    ro.now = NowMs() / 1000;
    ro.weeks = weeks;
    report::DataQualityReport r;
    if (!report::FromState(st, {}, ro, r, error)) return {};
    std::string b =
        "<form class=\"filters\" method=\"get\" action=\"/reports/data-quality\"><label for=\"dq-since\">Weeks "
        "back<input id=\"dq-since\" name=\"since\" value=\"" +
        H(since) +
        "\"></label><button type=\"submit\">Show"
        "</button></form><p>Records blocked in the data-quality queue week over week, against the target of a "
        "20% shrink a week (docs/operations.md, “Weekly data-quality report”). " +
        Num(r.met) + " of " + Num(r.judged) + " weeks judged met the target.</p>";
    std::vector<std::vector<Cell>> rows;
    for (const report::Week& w : r.weeks) {
      const char* verdict = w.verdict == report::Verdict::kMet        ? "met"
                            : w.verdict == report::Verdict::kMissed   ? "missed"
                            : w.verdict == report::Verdict::kBaseline ? "baseline"
                                                                      : "no runs";
      char change[32] = "-";
      if (w.change_pct) std::snprintf(change, sizeof change, "%+.1f%%", *w.change_pct);
      rows.push_back({Cell::Num(report::TimeText(w.end)), Cell::Num(Num(w.runs)), Cell::Num(Num(w.open_start)),
                      Cell::Num(Num(w.open_end)), Cell::Num(change), Cell::Num(Num(w.entered)), Cell::Num(Num(w.left)),
                      Cell::Num(Num(w.fixed)), Cell::Num(Num(w.replayed + w.resolved + w.discarded)),
                      Cell::Text(verdict)});
    }
    b += Table("Week by week (each ends at the time shown)",
               {"week ending", "runs", "open at start", "open at end", "change", "entered", "left", "fixed at source",
                "by people", "target"},
               rows, {1, 2, 3, 4, 5, 6, 7, 8});
    auto tallies = [&](const char* title, const std::vector<report::Tally>& ts) {
      std::vector<std::vector<Cell>> tr;
      for (const report::Tally& t : ts)
        tr.push_back({Cell::Text(t.name), Cell::Num(Num(t.open.empty() ? 0 : t.open.back())), Cell::Num(Num(t.entered)),
                      Cell::Num(Num(t.left))});
      b += "<h2>" + H(title) + "</h2>" +
           (tr.empty() ? std::string("<p class=\"muted\">None.</p>")
                       : Table("", {"name", "open now", "entered", "left"}, tr, {1, 2, 3}));
    };
    tallies("Reasons", r.reasons);
    tallies("Fields", r.fields);
    tallies("Maps", r.maps);
    return b;
  }

  std::string ReconcilePage(state::StateStore& st, const std::string& name, std::string& error, int& status) {
    if (o.plan->FindReconcile(name) == nullptr) {
      status = 404;
      return "<p class=\"panel error\" role=\"alert\">The plan has no reconcile named " + H(name) + ".</p>";
    }
    state::ReconciliationRow row;
    std::vector<state::DiscrepancyRow> ds;
    if (!state::LastReconciliation(st, name, row, ds, error)) return {};
    if (row.id == 0)
      return "<p>" + H(name) + " has not run yet (serve runs it on its schedule; crmx-run reconcile runs it now).</p>";
    std::string b = "<dl class=\"facts\"><dt>started</dt><dd>" + H(row.started) + "</dd><dt>ended</dt><dd>" +
                    H(row.finished) + "</dd><dt>matched</dt><dd data-copy>" + Num(row.matched) +
                    "</dd><dt>discrepancies</dt><dd data-copy>" + Num(row.discrepancies) + "</dd></dl>";
    std::vector<std::vector<Cell>> rows;
    for (const state::DiscrepancyRow& d : ds)
      rows.push_back({Cell::Text(d.kind), Cell::Html("<span class=\"mono\" data-copy>" + H(d.record_key) + "</span>"),
                      Cell::Text(d.field), Cell::Num(d.left_value), Cell::Num(d.right_value), Cell::Num(d.difference),
                      Cell::Text(d.tolerance),
                      Cell::Text(d.first_reconciliation == row.id ? "new" : "since " + d.first_seen)});
    b += rows.empty() ? "<p>No discrepancy: both sides agree.</p>"
                      : Table("The discrepancies of the latest reconciliation",
                              {"kind", "record", "rule", "left", "right", "difference", "tolerance", "seen"}, rows);
    return b;
  }

  std::string GraphPage() {
    std::string b;
    if (graph.is_object()) {
      b += "<p class=\"muted\">From " + H(o.graph_path) + " (<code>crmxc graph SPEC --format json</code>).</p>";
      std::vector<std::vector<Cell>> rows;
      if (graph.contains("systems") && graph["systems"].is_array())
        for (const json& s : graph["systems"]) {
          std::string objects;
          if (graph.contains("objects") && graph["objects"].is_array())
            for (const json& x : graph["objects"])
              if (x.value("system", "") == s.value("name", ""))
                objects += (objects.empty() ? "" : ", ") + x.value("object", "");
          rows.push_back({Cell::Text(s.value("name", "")), Cell::Text(s.value("kind", "")), Cell::Text(objects)});
        }
      b += "<h2>Systems</h2>" + Table("", {"system", "kind", "objects"}, rows);
      rows.clear();
      if (graph.contains("ownership") && graph["ownership"].is_array())
        for (const json& w : graph["ownership"]) {
          std::string fields;
          if (w.value("all_fields", false)) {
            fields = "all fields";
            if (w.contains("except") && w["except"].is_array() && !w["except"].empty()) {
              fields += " but ";
              for (size_t i = 0; i < w["except"].size(); ++i)
                fields += (i ? ", " : "") + w["except"][i].get<std::string>();
            }
          } else if (w.contains("fields") && w["fields"].is_array()) {
            for (size_t i = 0; i < w["fields"].size(); ++i)
              fields += (i ? ", " : "") + w["fields"][i].get<std::string>();
          }
          rows.push_back({Cell::Text(w.value("object", "")), Cell::Text(w.value("owner", "")), Cell::Text(fields)});
        }
      b += "<h2>Who owns which fields</h2>" + Table("", {"object", "owner", "fields"}, rows);
      rows.clear();
      if (graph.contains("maps") && graph["maps"].is_array())
        for (const json& m : graph["maps"]) {
          auto end = [](const json& e) {
            return e.is_object() ? e.value("system", "") + "." + e.value("object", "") : std::string();
          };
          auto list = [](const json& a) {
            std::string t;
            if (a.is_array())
              for (const json& x : a) t += (t.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
            return t;
          };
          json sync = m.value("sync", json::object());
          rows.push_back({Cell::Text(m.value("name", "")), Cell::Text(end(m.value("source", json()))),
                          Cell::Text(end(m.value("target", json()))),
                          Cell::Text(sync.is_object() ? sync.value("trigger", "") : ""),
                          Cell::Text(sync.is_object() ? list(sync.value("when", json())) : ""),
                          Cell::Text(list(m.value("refs", json()))), Cell::Text(list(m.value("tables", json())))});
        }
      b += "<h2>Maps</h2>" + Table("Each map: an edge from its source object to its target object",
                                   {"map", "from", "to", "trigger", "when", "refs", "tables"}, rows);
      return b;
    }
    if (!graph_text.empty())
      return "<p class=\"muted\">From " + H(o.graph_path) + ".</p><pre>" + H(graph_text) + "</pre>";
    b += "<p class=\"muted\">The maps as the plan has them. For the whole picture (objects, owners, refs, tables), "
         "start serve "
         "with <code>--graph FILE</code>, FILE from <code>crmxc graph SPEC --format json</code> (docs/console.md).</p>";
    std::vector<std::vector<Cell>> rows;
    for (const plan::Map& m : o.plan->maps) {
      const plan::Sync* s = o.plan->FindSync(m.name);
      rows.push_back({Cell::Text(m.name), Cell::Text(m.source.system + "." + m.source.object),
                      Cell::Text(m.target.system + "." + m.target.object), Cell::Text(s ? s->trigger : "(no sync)")});
    }
    return b + Table("", {"map", "from", "to", "trigger"}, rows);
  }

  // ------------------------------------------------------------------------ routes

  // A read page: the session, a read-only connection, `build` (which may set the status), the frame.
  void Page(const httplib::Request& req, httplib::Response& res, const std::string& title, const std::string& active,
            const std::function<std::string(state::StateStore&, const Session&, std::string&, int&)>& build) {
    std::optional<Session> s = Reader(req, res);
    if (!s) return;
    std::string error;
    std::unique_ptr<state::StateStore> st = OpenRead(error);
    int status = 200;
    std::string body;
    if (st) body = build(*st, *s, error, status);
    if (!error.empty()) {
      Html(res, 500, MessagePage(Integration(), "The state could not be read", Redact(error), &*s));
      return;
    }
    Html(res, status, Layout(Integration(), title, active, *s, body));
  }

  // An action on item `id`: the actor checked, `work` run on the loop, the page it builds.
  void Act(const httplib::Request& req, httplib::Response& res, const std::string& title,
           const std::function<std::string(state::StateStore&, const Session&, int&)>& work) {
    std::optional<Session> s = Actor(req, res);
    if (!s) return;
    int status = 200;
    std::string body, why;
    if (!OnLoop([&](state::StateStore& st) { body = work(st, *s, status); }, why)) {
      Html(res, 503, MessagePage(Integration(), "Not done", why, &*s));
      return;
    }
    if (status == 303) {
      Secure(res);
      res.status = 303;
      res.set_header("Location", body);
      return;
    }
    Html(res, status, Layout(Integration(), title, "queues", *s, body));
  }

  void Mount(httplib::Server& server) {
    server.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "max-age=3600");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(kCss, "text/css; charset=utf-8");
    });
    server.Get("/static/console.js", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "max-age=3600");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(kJs, "text/javascript; charset=utf-8");
    });
    server.Get("/login", [this](const httplib::Request&, httplib::Response& res) {
      Html(res, 200, LoginPage(Integration(), ""));
    });
    server.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      std::optional<Session> s = sessions.LogIn(req.has_param("token") ? req.get_param_value("token") : "", NowMs());
      if (!s) {
        // A wrong token costs the guesser a quarter of a second.
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        Html(res, 401, LoginPage(Integration(), "That token is not one of the console's logins."));
        return;
      }
      Secure(res);
      res.set_header("Set-Cookie", SetCookie(kCookie, s->id, o.target.console.session_ms / 1000, SecureCookie(req)));
      res.status = 303;
      res.set_header("Location", "/");
    });
    server.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
      std::optional<Session> s = SessionOf(req);
      if (!s) {
        Html(res, 401, LoginPage(Integration(), ""));
        return;
      }
      if (!Sessions::CsrfOk(*s, req.has_param("csrf") ? req.get_param_value("csrf") : std::string())) {
        Html(res, 403,
             MessagePage(Integration(), "Refused", "This form did not come from the console: still logged in.", &*s));
        return;
      }
      sessions.LogOut(s->id);
      Secure(res);
      res.set_header("Set-Cookie", SetCookie(kCookie, "", 0, SecureCookie(req)));
      res.status = 303;
      res.set_header("Location", "/login");
    });
    server.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      Page(req, res, "Overview", "overview",
           [this](state::StateStore& st, const Session&, std::string& error, int&) { return Overview(st, error); });
    });
    server.Get("/queues", [this](const httplib::Request& req, httplib::Response& res) {
      Page(req, res, "Queues", "queues",
           [this, &req](state::StateStore& st, const Session&, std::string& error, int& status) {
             return QueuesPage(st, req, "", error, status);
           });
    });
    server.Get(R"(/queues/([a-z_]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string q = req.matches[1];
      Page(req, res, "Queue " + q, "queues",
           [this, &req, q](state::StateStore& st, const Session&, std::string& error, int& status) {
             return QueuesPage(st, req, q, error, status);
           });
    });
    server.Get(R"(/queues/(\d{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
      int64_t id = std::stoll(req.matches[1]);
      Page(req, res, "Item " + Num(id), "queues",
           [this, id](state::StateStore& st, const Session& s, std::string& error, int& status) {
             return ItemPage(st, id, s, error, status);
           });
    });
    server.Post(R"(/queues/(\d{1,18})/replay)", [this](const httplib::Request& req, httplib::Response& res) {
      int64_t id = std::stoll(req.matches[1]);
      bool dry = req.get_param_value("step") != "confirm";
      std::string note = req.get_param_value("note");
      Act(req, res, std::string(dry ? "Replay item " : "Replayed item ") + Num(id) + (dry ? ": dry run" : ""),
          [this, id, dry, note](state::StateStore& st, const Session& s, int& status) -> std::string {
            std::string error;
            bool refused = false;
            queue::Request request;
            if (!queue::SelectItems(st, {id}, false, request.items, refused, error)) {
              status = refused ? 409 : 500;
              return "<p class=\"panel error\" role=\"alert\">" + H(Redact(error)) + "</p>";
            }
            request.dry_run = dry;
            // The loop runs the sync again when a failed write falls due: the replay does not wait for it.
            request.retry_wait_ms = 0;
            request.actor = "console:" + s.name;
            request.note = note;
            request.leases = o.leases;
            queue::Result r;
            if (!queue::Replay(*o.plan, *o.systems, st, request, r, error)) {
              status = 502;
              return "<p class=\"panel error\" role=\"alert\">" + H(Redact(error)) + "</p>";
            }
            return ReplayResult(r, dry, s, id, note);
          });
    });
    server.Get(R"(/queues/(\d{1,18})/source)", [this](const httplib::Request& req, httplib::Response& res) {
      int64_t id = std::stoll(req.matches[1]);
      std::optional<Session> s = Reader(req, res);
      if (!s) return;
      int status = 200;
      std::string body = SourcePage(id, status);
      Html(res, status, Layout(Integration(), "Item " + Num(id) + ": its source record", "queues", *s, body));
    });
    for (const char* verb : {"resolve", "discard"}) {
      std::string status_word = std::string(verb) == "discard" ? "discarded" : "resolved";
      server.Post(std::string(R"(/queues/(\d{1,18})/)") + verb,
                  [this, status_word](const httplib::Request& req, httplib::Response& res) {
                    int64_t id = std::stoll(req.matches[1]);
                    std::string note = req.get_param_value("note");
                    if (note.find_first_not_of(" \t\r\n") == std::string::npos) {
                      std::optional<Session> s = Actor(req, res);
                      if (s) Html(res, 400, MessagePage(Integration(), "Not done", "A note is needed: say why.", &*s));
                      return;
                    }
                    Act(req, res, "Item " + Num(id),
                        [id, note, status_word](state::StateStore& st, const Session& s, int& status) -> std::string {
                          state::ActResult r;
                          bool refused = false;
                          std::string error;
                          if (!state::Act(st, id, status_word, note, "console:" + s.name, false, r, refused, error)) {
                            status = refused ? 409 : 500;
                            return "<p class=\"panel error\" role=\"alert\">" + H(error) + "</p><p>" +
                                   Link("/queues/" + Num(id), "Back to the item") + "</p>";
                          }
                          status = 303;
                          return "/queues/" + Num(id);
                        });
                  });
    }
    server.Get("/runs", [this](const httplib::Request& req, httplib::Response& res) {
      std::string before_text = req.get_param_value("before");
      int64_t before = 0;
      if (!before_text.empty() && before_text.size() < 19 &&
          before_text.find_first_not_of("0123456789") == std::string::npos)
        before = std::stoll(before_text);
      Page(req, res, "Runs", "runs", [this, before](state::StateStore& st, const Session&, std::string& error, int&) {
        return RunsPage(st, before, error);
      });
    });
    server.Get(R"(/runs/(\d{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
      int64_t id = std::stoll(req.matches[1]);
      Page(req, res, "Run " + Num(id), "runs",
           [this, id](state::StateStore& st, const Session&, std::string& error, int& status) {
             return RunPage(st, id, error, status);
           });
    });
    server.Get("/reports", [this](const httplib::Request& req, httplib::Response& res) {
      Page(req, res, "Reports", "reports",
           [this](state::StateStore& st, const Session&, std::string& error, int&) { return ReportsPage(st, error); });
    });
    server.Get("/reports/data-quality", [this](const httplib::Request& req, httplib::Response& res) {
      Page(req, res, "Weekly data-quality report", "reports",
           [this, &req](state::StateStore& st, const Session&, std::string& error, int& status) {
             return DataQualityPage(st, req, error, status);
           });
    });
    server.Get(R"(/reports/reconcile/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string name = req.matches[1];
      Page(req, res, "Reconciliation " + name, "reports",
           [this, name](state::StateStore& st, const Session&, std::string& error, int& status) {
             return ReconcilePage(st, name, error, status);
           });
    });
    server.Get("/graph", [this](const httplib::Request& req, httplib::Response& res) {
      std::optional<Session> s = Reader(req, res);
      if (s) Html(res, 200, Layout(Integration(), "Systems, maps and owners", "graph", *s, GraphPage()));
    });
  }
};

std::unique_ptr<Console> Console::Make(Options options, std::string& error) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (!impl->o.graph_path.empty()) {
    std::ifstream in(impl->o.graph_path, std::ios::binary);
    if (!in) {
      error = "--graph: cannot read " + impl->o.graph_path;
      return nullptr;
    }
    std::ostringstream text;
    text << in.rdbuf();
    impl->graph = json::parse(text.str(), nullptr, false);
    if (!impl->graph.is_object()) {
      impl->graph = json();
      impl->graph_text = text.str();
    }
  }
  return std::unique_ptr<Console>(new Console(std::move(impl)));
}

Console::Console(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Console::~Console() = default;

bool Console::enabled() const { return !impl_->o.target.console.logins.empty(); }

void Console::Mount(httplib::Server& server, const serve::PostTask& post) {
  impl_->post = post;
  if (enabled()) {
    impl_->Mount(server);
    return;
  }
  // No login in the profile: the console is off, and says how to turn it on.
  auto off = [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("the console is off: the profile has no console.logins (docs/console.md)\n", "text/plain");
  };
  server.Get("/", off);
  server.Get("/login", off);
}

}  // namespace crmx::console
