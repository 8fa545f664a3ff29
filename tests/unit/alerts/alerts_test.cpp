// Tests alerts (runtime/watch/alerts.h): the timers with an injected clock (fire once after the
// duration, reminders on the renotify schedule, clear, a later match starting a new timer),
// nothing told twice across evaluations and restarts, failed notifications retried with
// backoff, `owner_of(crm.Opportunity)` resolved through a fake CRM connector, the engine's
// events delivered and marked, and the built-in alerts; the spec's alerts built into its plan.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/spectest/memory_connector.h"
#include "runtime/state/alert_book.h"
#include "runtime/state/state.h"
#include "runtime/watch/alerts.h"
#include "runtime/watch/owners.h"
#include "tests/unit/support/example_spec.h"
#include "tests/unit/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using value::Value;

const std::string kSpec = CRMX_SOURCE_DIR "/tests/unit/alerts/alerting.crmx";
constexpr int64_t kT0 = 1'780'000'000'000;  // 2026-05-28T20:26:40Z

// A notifier that sends nothing: it records every send and fails the channels it is told to.
class FakeNotifier : public watch::Notifier {
 public:
  struct Sent {
    std::string channel, subject, text, key;
  };
  std::vector<Sent> sent;
  std::map<std::string, watch::SendResult> failing;  // channel -> what its sends answer
  int64_t renotify_ms = 10'000;

  std::vector<std::string> Expand(const std::string& name, std::string& error) const override {
    if (name == "finance-ops") return {"webhook:finance-ops"};
    error = "channel `" + name + "` is not in the profile's notify.channels (finance-ops)";
    return {};
  }
  std::string OwnerChannel() const override { return "owner:email"; }
  int64_t RenotifyMs() const override { return renotify_ms; }
  watch::SendResult Send(const std::string& channel, const watch::Message& m, const std::string& key, int64_t) override {
    auto f = failing.find(channel);
    if (f != failing.end()) return f->second;
    sent.push_back(Sent{channel, m.subject, m.text, key});
    return watch::SendResult{true, false, ""};
  }
  size_t Count(const std::string& channel) const {
    size_t n = 0;
    for (const Sent& s : sent) n += s.channel == channel;
    return n;
  }
};

spectest::Fields Record(std::initializer_list<std::pair<const char*, const char*>> fields) {
  spectest::Fields out;
  for (const auto& [k, v] : fields) out.emplace_back(k, v ? Value::String(v) : Value::Null());
  return out;
}

// The world of the tests: the plan of alerting.crmx, NetSuite's sales orders in a directory
// (rewritten as orders move), the CRM in memory (opportunities and users), a state file.
struct World {
  plan::Plan plan = testing::BuildSpecPlanOrFail(kSpec);
  fs::path dir;
  spectest::MemoryConnector crm{"crm"};
  std::unique_ptr<connectors::Connector> erp;
  engine::Systems systems;
  std::unique_ptr<state::StateStore> state;
  FakeNotifier sinks;
  watch::AlertSettings settings;

  explicit World(const std::string& name) {
    dir = testing::FreshDir("alerts_test", name);
    fs::create_directories(dir / "erp");
    Orders({{"17", "006A", "Pending Approval"}, {"18", "006B", "Pending Fulfillment"}});
    std::string error;
    erp = connectors::Open((dir / "erp").string(), error);
    REQUIRE_MESSAGE(erp, error);
    crm.Add("Opportunity", Record({{"Id", "006A"}, {"OwnerId", "005U1"}}));
    crm.Add("Opportunity", Record({{"Id", "006B"}, {"OwnerId", "005U2"}}));
    crm.Add("Opportunity", Record({{"Id", "006C"}, {"OwnerId", nullptr}}));
    crm.Add("User", Record({{"Id", "005U1"}, {"Email", "ann.lee@acme.example"}}));
    crm.Add("User", Record({{"Id", "005U2"}, {"Email", "ben.ortiz@acme.example"}}));
    systems.by_name["crm"] = &crm;
    systems.by_name["erp"] = erp.get();
    // Only the spec's alerts: the built-ins have their own test.
    for (profile::BuiltinAlert* b : {&settings.builtins.failure_rate, &settings.builtins.budget,
                                     &settings.builtins.data_quality_backlog, &settings.builtins.delivery_overdue,
                                     &settings.builtins.dead_letters})
      b->on = false;
    Reopen();
  }
  ~World() {
    state.reset();
    fs::remove_all(dir);
  }
  // A restart: the state file closed and opened again.
  void Reopen() {
    state.reset();
    std::string error;
    state = state::StateStore::Open((dir / "state.db").string(), error);
    REQUIRE_MESSAGE(state, error);
  }
  // NetSuite's sales orders now: {id, externalId, status}.
  void Orders(const std::vector<std::vector<std::string>>& orders) {
    std::string text;
    for (const auto& o : orders)
      text += R"({"id":")" + o[0] + R"(","externalId":")" + o[1] + R"(","status":")" + o[2] + "\"}\n";
    testing::WriteWhole(dir / "erp" / "SalesOrder.jsonl", text);
  }
  watch::Evaluation Evaluate(int64_t now) {
    watch::Evaluation ev;
    std::string error;
    REQUIRE_MESSAGE(watch::EvaluateAlerts(plan, systems, *state, now, sinks, settings, ev, error), error);
    return ev;
  }
  std::vector<state::NotificationRow> Notifications(const std::string& status = "") {
    std::vector<state::NotificationRow> out;
    std::string error;
    REQUIRE_MESSAGE(state::ListNotifications(*state, status, 0, out, error), error);
    return out;
  }
};

state::AlertTimer Timer(const std::string& key, int64_t since, int64_t fired = 0, int64_t notified = 0, int64_t rounds = 0) {
  return state::AlertTimer{"a", key, since, since, fired, notified, rounds, "", ""};
}

}  // namespace

TEST_CASE("timers: a match starts a timer, which fires once when the duration has passed") {
  std::map<std::string, state::AlertTimer> timers;
  std::vector<watch::MatchingRecord> m{{"17", {}, "status = Pending Approval"}};
  watch::TimerStep s = watch::StepTimers("a", timers, m, kT0, 2000, 0);
  CHECK(s.started == 1);
  CHECK(s.notify.empty());
  REQUIRE(s.put.size() == 1);
  CHECK(s.put[0].since == kT0);
  timers["17"] = s.put[0];
  s = watch::StepTimers("a", timers, m, kT0 + 1999, 2000, 0);
  CHECK(s.notify.empty());
  CHECK(s.started == 0);
  s = watch::StepTimers("a", timers, m, kT0 + 2000, 2000, 0);
  REQUIRE(s.notify.size() == 1);
  CHECK(s.fired == 1);
  CHECK(s.notify[0].rounds == 1);
  CHECK(s.notify[0].fired == kT0 + 2000);
  timers["17"] = s.put[0];
  // Fired: nothing more without reminders, however long it holds.
  s = watch::StepTimers("a", timers, m, kT0 + 100 * 24 * 3600 * 1000LL, 2000, 0);
  CHECK(s.notify.empty());
  CHECK(s.cleared.empty());
}

TEST_CASE("timers: reminders every renotify while it holds; a clear, then a new timer") {
  std::map<std::string, state::AlertTimer> timers{{"17", Timer("17", kT0, kT0 + 2000, kT0 + 2000, 1)}};
  std::vector<watch::MatchingRecord> m{{"17", {}, ""}};
  const int64_t day = 24 * 3600 * 1000LL;
  watch::TimerStep s = watch::StepTimers("a", timers, m, kT0 + 2000 + day - 1, 2000, day);
  CHECK(s.notify.empty());
  s = watch::StepTimers("a", timers, m, kT0 + 2000 + day, 2000, day);
  REQUIRE(s.notify.size() == 1);
  CHECK(s.reminded == 1);
  CHECK(s.notify[0].rounds == 2);
  timers["17"] = s.put[0];
  // The record stops matching: cleared, with what it had.
  s = watch::StepTimers("a", timers, {}, kT0 + 3 * day, 2000, day);
  REQUIRE(s.cleared.size() == 1);
  CHECK(s.cleared[0].rounds == 2);
  CHECK(s.put.empty());
  // Matching again later is a new timer, from that instant.
  timers.clear();
  s = watch::StepTimers("a", timers, m, kT0 + 4 * day, 2000, day);
  CHECK(s.started == 1);
  CHECK(s.put[0].since == kT0 + 4 * day);
  CHECK(s.notify.empty());
}

TEST_CASE("timers: a duration of 0 fires at the first evaluation; a record twice in one read counts once") {
  std::vector<watch::MatchingRecord> m{{"17", {}, ""}, {"17", {}, ""}, {"", {}, ""}};
  watch::TimerStep s = watch::StepTimers("a", {}, m, kT0, 0, 0);
  CHECK(s.started == 1);
  CHECK(s.fired == 1);
  CHECK(s.put.size() == 1);
}

TEST_CASE("notification backoff: 1 minute, doubling, at most an hour") {
  CHECK(watch::NotificationBackoffMs(1) == 60'000);
  CHECK(watch::NotificationBackoffMs(2) == 120'000);
  CHECK(watch::NotificationBackoffMs(3) == 240'000);
  CHECK(watch::NotificationBackoffMs(7) == 3'600'000);
  CHECK(watch::NotificationBackoffMs(30) == 3'600'000);
}

TEST_CASE("the plan carries the spec's alerts: the duration, `when` pushed down, the owner's link through the map") {
  plan::Plan p = testing::BuildSpecPlanOrFail(kSpec);
  REQUIRE(p.alerts.size() == 2);
  const plan::Alert& a = p.alerts[0];
  CHECK(a.name == "pending_approval");
  CHECK(a.object.system == "erp");
  CHECK(a.object.object == "SalesOrder");
  CHECK(a.for_ms == 2000);
  CHECK(a.condition == "status == \"Pending Approval\"");
  CHECK(a.id_field == "id");
  CHECK(a.projection.fields == std::vector<std::string>{"externalId", "id", "status"});
  REQUIRE(a.when.size() == 1);
  REQUIRE(a.pushdown.size() == 1);
  CHECK(a.pushdown[0].field == "status");
  REQUIRE(a.notify.size() == 2);
  const plan::NotifyTarget& owner = a.notify[0];
  CHECK(owner.text == "owner_of(crm.Opportunity)");
  CHECK(owner.channel.empty());
  CHECK(owner.link_map == "opp");
  CHECK(owner.link_field == "externalId");
  CHECK(owner.link_key == "Id");
  CHECK(owner.owner_field == "OwnerId");
  CHECK(owner.user_object == "User");
  CHECK(a.notify[1].channel == "finance-ops");
  // A table read by `when` is bound as a table, not projected.
  const plan::Alert& w = p.alerts[1];
  CHECK(w.for_ms == 3600 * 1000);
  CHECK(w.projection.fields == std::vector<std::string>{"id", "status"});
  // Written and read back the same.
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(p), back, error), error);
  REQUIRE(back.alerts.size() == 2);
  CHECK(back.alerts[0].notify[0].link_field == "externalId");
  CHECK(back.alerts[0].for_ms == 2000);
  CHECK(plan::WritePlan(back) == plan::WritePlan(p));
}

TEST_CASE("an order left Pending Approval: one email to its owner and one webhook, never twice, even after a restart") {
  World w("fire_once");
  watch::Evaluation ev = w.Evaluate(kT0);
  CHECK(ev.matching == 1);
  CHECK(ev.started == 1);
  CHECK(ev.fired == 0);
  CHECK(w.sinks.sent.empty());
  ev = w.Evaluate(kT0 + 1000);
  CHECK(w.sinks.sent.empty());
  ev = w.Evaluate(kT0 + 2000);
  CHECK(ev.fired == 1);
  CHECK(ev.sent == 2);
  CHECK(w.sinks.Count("email:ann.lee@acme.example") == 1);
  CHECK(w.sinks.Count("webhook:finance-ops") == 1);
  REQUIRE(w.sinks.sent.size() == 2);
  CHECK(w.sinks.sent[0].subject == "[crmx] pending_approval: erp.SalesOrder 17 for 2s");
  CHECK(w.sinks.sent[0].text.find("status = Pending Approval") != std::string::npos);
  // Evaluated again, and again after a restart: nothing more is told.
  w.Evaluate(kT0 + 3000);
  w.Reopen();
  FakeNotifier fresh;
  w.sinks.sent.swap(fresh.sent);
  w.Evaluate(kT0 + 4000);
  CHECK(w.sinks.sent.empty());
  std::vector<state::NotificationRow> rows = w.Notifications();
  REQUIRE(rows.size() == 2);
  for (const state::NotificationRow& n : rows) {
    CHECK(n.status == "sent");
    CHECK(n.attempts == 1);
    CHECK(n.sent == kT0 + 2000);
    CHECK(n.record_key == "17");
    CHECK(n.alert == "pending_approval");
  }
}

TEST_CASE("reminders while it holds; leaving Pending Approval clears the alert; a new stay is a new alert") {
  World w("clear");
  w.Evaluate(kT0);
  w.Evaluate(kT0 + 2000);
  REQUIRE(w.sinks.sent.size() == 2);
  // renotify 10s: a reminder round.
  w.Evaluate(kT0 + 12'000);
  REQUIRE(w.sinks.sent.size() == 4);
  CHECK(w.sinks.sent[2].subject.rfind("[crmx] still pending_approval: erp.SalesOrder 17", 0) == 0);
  // Approved: cleared, recorded.
  w.Orders({{"17", "006A", "Pending Fulfillment"}, {"18", "006B", "Pending Fulfillment"}});
  watch::Evaluation ev = w.Evaluate(kT0 + 13'000);
  CHECK(ev.cleared == 1);
  CHECK(ev.matching == 0);
  std::map<std::string, state::AlertTimer> timers;
  std::string error;
  REQUIRE(state::LoadTimers(*w.state, "pending_approval", timers, error));
  CHECK(timers.empty());
  CHECK(w.sinks.sent.size() == 4);
  // Pending again: a new timer, a new notification after the duration.
  w.Orders({{"17", "006A", "Pending Approval"}});
  w.Evaluate(kT0 + 20'000);
  CHECK(w.sinks.sent.size() == 4);
  w.Evaluate(kT0 + 22'000);
  CHECK(w.sinks.sent.size() == 6);
  CHECK(w.Notifications().size() == 6);
}

TEST_CASE("a failed notification is retried with backoff; a final failure is not") {
  World w("retry");
  w.sinks.failing["webhook:finance-ops"] = watch::SendResult{false, true, "webhook of `finance-ops`: HTTP 503: busy"};
  w.Evaluate(kT0);
  watch::Evaluation ev = w.Evaluate(kT0 + 2000);
  CHECK(ev.sent == 1);
  CHECK(ev.retrying == 1);
  std::vector<state::NotificationRow> retrying = w.Notifications("retrying");
  REQUIRE(retrying.size() == 1);
  CHECK(retrying[0].due == kT0 + 2000 + 60'000);
  CHECK(retrying[0].last_error == "webhook of `finance-ops`: HTTP 503: busy");
  // Not before it is due.
  ev = watch::Evaluation{};
  std::string error;
  REQUIRE(watch::DeliverDue(w.plan, w.systems, *w.state, kT0 + 30'000, w.sinks, ev, error));
  CHECK(ev.tried.empty());
  // Due, still failing: the next wait doubles.
  REQUIRE(watch::DeliverDue(w.plan, w.systems, *w.state, kT0 + 62'000, w.sinks, ev, error));
  REQUIRE(ev.tried.size() == 1);
  CHECK(ev.tried[0].attempts == 2);
  CHECK(ev.tried[0].due == kT0 + 62'000 + 120'000);
  // The webhook is back: sent, once.
  w.sinks.failing.clear();
  ev = watch::Evaluation{};
  REQUIRE(watch::DeliverDue(w.plan, w.systems, *w.state, kT0 + 182'000, w.sinks, ev, error));
  CHECK(ev.sent == 1);
  CHECK(w.sinks.Count("webhook:finance-ops") == 1);
  CHECK(w.Notifications("retrying").empty());
  // A final failure (a 404: the webhook was deleted) is not tried again.
  World f("final");
  f.sinks.failing["webhook:finance-ops"] = watch::SendResult{false, false, "webhook of `finance-ops`: HTTP 404: no_service"};
  f.Evaluate(kT0);
  ev = f.Evaluate(kT0 + 2000);
  CHECK(ev.failed == 1);
  REQUIRE(f.Notifications("failed").size() == 1);
  CHECK(f.Notifications("failed")[0].attempts == 1);
}

TEST_CASE("notifications are given up after kNotificationAttempts retriable failures") {
  World w("give_up");
  w.sinks.failing["webhook:finance-ops"] = watch::SendResult{false, true, "no answer"};
  w.Evaluate(kT0);
  w.Evaluate(kT0 + 2000);
  int64_t now = kT0 + 2000;
  std::string error;
  for (int i = 0; i < 20; ++i) {
    now += 3'600'000;
    watch::Evaluation ev;
    REQUIRE(watch::DeliverDue(w.plan, w.systems, *w.state, now, w.sinks, ev, error));
  }
  std::vector<state::NotificationRow> failed = w.Notifications("failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].attempts == watch::kNotificationAttempts);
}

TEST_CASE("owner_of: an order whose opportunity has no owner, or no opportunity, fails with the reason") {
  World w("no_owner");
  w.Orders({{"17", "006C", "Pending Approval"}, {"19", "006Z", "Pending Approval"}, {"20", "", "Pending Approval"}});
  w.Evaluate(kT0);
  w.Evaluate(kT0 + 2000);
  std::map<std::string, std::string> errors;
  for (const state::NotificationRow& n : w.Notifications("failed")) errors[n.record_key] = n.last_error;
  CHECK(errors["17"] == "no owner to tell: crm.Opportunity 006C has no OwnerId");
  CHECK(errors["19"] == "no owner to tell: no crm.Opportunity 006Z");
  CHECK(errors["20"] == "no owner to tell: the alerted record names no crm.Opportunity");
  CHECK(w.sinks.Count("webhook:finance-ops") == 3);
}

TEST_CASE("owner_of resolution through a connector: only the records asked for, by their link") {
  plan::Plan p = testing::BuildSpecPlanOrFail(kSpec);
  spectest::MemoryConnector crm("crm");
  crm.Add("Opportunity", Record({{"Id", "006A"}, {"OwnerId", "005U1"}}));
  crm.Add("Opportunity", Record({{"Id", "006B"}, {"OwnerId", "005U9"}}));
  crm.Add("User", Record({{"Id", "005U1"}, {"Email", "ann.lee@acme.example"}}));
  crm.Add("User", Record({{"Id", "005U9"}, {"Email", nullptr}}));
  watch::Owners owners;
  std::string error;
  REQUIRE_MESSAGE(watch::ResolveOwners(p.alerts[0].notify[0], {"006A", "006B", "006X"}, crm, owners, error), error);
  CHECK(owners.email == std::map<std::string, std::string>{{"006A", "ann.lee@acme.example"}});
  CHECK(owners.missing["006B"] == "the owner of crm.Opportunity 006B (User 005U9) has no Email");
  CHECK(owners.missing["006X"] == "no crm.Opportunity 006X");
  // An engine event's owner_of: linked by the map's source id.
  plan::NotifyTarget t;
  REQUIRE(watch::EventOwnerTarget(p, "opp", "owner_of(crm.Opportunity)", t));
  CHECK(t.link_key == "Id");
  CHECK_FALSE(watch::EventOwnerTarget(p, "acct", "owner_of(crm.Opportunity)", t));
  CHECK_FALSE(watch::EventOwnerTarget(p, "opp", "finance-ops", t));
}

TEST_CASE("a system that cannot be read leaves its alert's timers as they were") {
  World w("unreadable");
  w.Evaluate(kT0);
  w.systems.by_name.erase("erp");
  watch::Evaluation ev = w.Evaluate(kT0 + 2000);
  REQUIRE(ev.errors.size() == 2);
  CHECK(ev.errors[0] == "alert pending_approval: system `erp` is not configured");
  CHECK(ev.cleared == 0);
  std::map<std::string, state::AlertTimer> timers;
  std::string error;
  REQUIRE(state::LoadTimers(*w.state, "pending_approval", timers, error));
  CHECK(timers.size() == 1);
}

TEST_CASE("the engine's events: a dead letter's notify to its channel and to the opportunity's owner, marked delivered") {
  World w("events");
  REQUIRE(w.state->AddEvent(1, "notify", "opp", "006A", "finance-ops", "opp 006A: write failed: HTTP 400: USER_ERROR"));
  REQUIRE(w.state->AddEvent(1, "notify", "opp", "006A", "owner_of(crm.Opportunity)", "opp 006A: write failed"));
  REQUIRE(w.state->AddEvent(1, "notify", "opp", "006A", "nowhere", "opp 006A: write failed"));
  REQUIRE(w.state->AddEvent(1, "budget_warn", "", "", "crm", "crm: 80001 of 100000 api_calls per 24h used"));
  w.Orders({});
  watch::Evaluation ev = w.Evaluate(kT0);
  CHECK(w.sinks.Count("webhook:finance-ops") == 1);
  CHECK(w.sinks.Count("email:ann.lee@acme.example") == 1);
  // The built-in budget alert is off in this world: its event is delivered to no one.
  CHECK(w.sinks.sent.size() == 2);
  std::vector<state::NotificationRow> failed = w.Notifications("failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].channel == "unknown:nowhere");
  CHECK(failed[0].last_error.find("`nowhere` is not in the profile's notify.channels") != std::string::npos);
  std::vector<state::EventRow> left;
  std::string error;
  REQUIRE(state::UndeliveredEvents(*w.state, {"notify", "budget_warn"}, left, error));
  CHECK(left.empty());
  // Evaluated again: nothing is sent twice.
  w.Evaluate(kT0 + 1000);
  CHECK(w.sinks.sent.size() == 2);
  // With the budget alert on, a budget warning goes to the log.
  REQUIRE(w.state->AddEvent(2, "budget_warn", "", "", "crm", "crm: 80001 of 100000 api_calls per 24h used"));
  w.settings.builtins.budget.on = true;
  w.Evaluate(kT0 + 2000);
  CHECK(w.sinks.Count("log") == 1);
}

TEST_CASE("built-in alerts: dead letters, a data-quality backlog, an overdue delivery, a red failure rate") {
  World w("builtins");
  w.settings.builtins = profile::Alerts{};
  w.settings.builtins.notify = {"finance-ops"};
  w.settings.builtins.data_quality_backlog.over = 2;
  w.settings.builtins.budget.on = false;
  w.sinks.renotify_ms = 0;
  w.Orders({});
  state::StateStore& st = *w.state;
  int64_t run = st.BeginRun("h");
  REQUIRE(run > 0);
  for (const char* key : {"A1", "A2", "A3"})
    REQUIRE(st.PutItem(run, state::QueueEntry{"acct", "data_quality", key, "Account.jsonl", 1, {"missing Name"}, {"Name"}}));
  REQUIRE(st.PutItem(run, state::QueueEntry{"opp", "dead_letter", "006A", "", 0, {"write failed"}, {}}));
  REQUIRE(st.FinishRun(run, R"({"maps":{"opp":{"failure_rate":0.25,"judgement":"red","held":{"count":1}},)"
                            R"("acct":{"failure_rate":0.01,"judgement":"warning"}}})"));
  state::Delivery d;
  d.map = "opp";
  d.source_key = "006B";
  d.idem_key = "k";
  d.hash = "h";
  d.state = "in_flight";
  d.run = run;
  REQUIRE(st.Decide(d) > 0);
  // The delivery was decided now (the state's clock); 16 minutes on it is overdue.
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  watch::Evaluation ev = w.Evaluate(now);
  std::set<std::string> subjects;
  for (const auto& s : w.sinks.sent) subjects.insert(s.subject);
  CHECK(subjects == std::set<std::string>{"[crmx] dead letters: opp", "[crmx] data-quality backlog: acct",
                                          "[crmx] failure rate: opp"});
  ev = w.Evaluate(now + 16 * 60 * 1000);
  CHECK(w.sinks.Count("webhook:finance-ops") == 4);
  CHECK(w.sinks.sent.back().subject == "[crmx] not delivered: opp 006B");
  // Resolved: the dead letter discarded, the backlog worked off: those clear.
  std::string sql_error;
  REQUIRE_MESSAGE(st.db().Exec("UPDATE items SET status = 'discarded'", sql_error), sql_error);
  ev = w.Evaluate(now + 17 * 60 * 1000);
  CHECK(ev.cleared == 2);
}
