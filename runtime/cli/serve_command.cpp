// Defines `crmx-run serve` on the command line (serve_command.h; the loop is runtime/serve).
//
//   crmx-run serve PLAN [--profiles FILE] [--target T] [--system NAME=WHERE ...] [--state FILE]
//                       [--listen HOST:PORT] [--poll DURATION] [--zone ZONE] [--log-format text|json]
//                       [--graph FILE] [--wait] [--worker NAME] [--lease DURATION]
#include "runtime/cli/serve_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "runtime/cli/cluster.h"
#include "runtime/cli/systems.h"
#include "runtime/console/console.h"
#include "runtime/serve/serve.h"
#include "runtime/serve/reconciles.h"
#include "runtime/serve/verifiers.h"
#include "runtime/watch/alerts.h"

namespace crmx::cli {

namespace {

struct ServeArgs {
  SystemArgs systems;
  std::string state;
  std::string listen = "127.0.0.1:9464";
  std::string poll;
  std::string zone = "UTC";
  std::string log_format = "text";
  std::string graph;
  bool wait = false;
  std::string worker;         // a cluster worker's name (default HOST:PID)
  std::string lease = "30s";  // a cluster's lease time to live
};

std::atomic<bool> g_stop{false};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void OnSignal(int) { g_stop.store(true); }

int ServeCommand(const ServeArgs& a) {
  plan::Plan p;
  OpenSystems open;
  SystemArgs system_args = a.systems;
  auto leases_slot = std::make_shared<std::atomic<state::Leases*>>(nullptr);
  SetBudgetAdmission(system_args, leases_slot, p);
  if (int rc = OpenPlanAndSystems(system_args, p, open)) return rc;
  serve::Options options;
  size_t colon = a.listen.rfind(':');
  int64_t port = colon == std::string::npos ? -1 : DurationMs(a.listen.substr(colon + 1) + "ms");
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    std::cerr << "error: --listen takes HOST:PORT (127.0.0.1:9464; port 0: any free one), got `" << a.listen << "`\n";
    return 2;
  }
  options.host = a.listen.substr(0, colon);
  options.port = static_cast<int>(port);
  options.json_logs = a.log_format == "json";
  options.schedule.default_zone = a.zone;
  // The poll interval of `on change` syncs: --poll, else the profile's `poll` of a system
  // (the shortest), else the schedule's default.
  std::string poll = a.poll;
  if (poll.empty()) {
    for (const auto& [name, sys] : open.target.systems)
      if (!sys.poll.empty() && (poll.empty() || DurationMs(sys.poll) < DurationMs(poll))) poll = sys.poll;
  }
  if (!poll.empty()) {
    int64_t ms = DurationMs(poll);
    if (ms <= 0) {
      std::cerr << "error: the poll interval takes a duration above 0 (500ms, 30s, 5m), got `" << poll << "`\n";
      return 2;
    }
    options.schedule.poll_ms = ms;
  }
  for (const auto& [name, sys] : open.target.systems) {
    if (!sys.webhook) continue;
    std::string error;
    serve::WebhookVerifier v = serve::MakeVerifier(sys.webhook->scheme, sys.webhook->secret.Reveal(), sys.webhook->url, error);
    if (!v) {
      std::cerr << "error: system `" << name << "`: " << error << "\n";
      return 1;
    }
    options.webhooks[name] = std::move(v);
  }
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenRunState(open, a.state, a.wait, st)) return rc;
  // On PostgreSQL the workers are a cluster: leases, fences and shared budgets.
  std::unique_ptr<state::Leases> leases;
  const StateAt at = FindState(open, a.state);
  const bool cluster = state::db::IsPostgresUrl(at.location);
  if (cluster) {
    int64_t ttl = DurationMs(a.lease);
    if (ttl < 1000) {
      std::cerr << "error: --lease takes a duration of 1s or more (30s, 2m), got `" << a.lease << "`\n";
      return 2;
    }
    std::string worker = a.worker.empty() ? DefaultWorkerName() : a.worker;
    std::string error;
    leases = JoinCluster(at, *st, worker, ttl, leases_slot, error);
    if (!leases) {
      std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
      return 1;
    }
    options.leases = leases.get();
    std::cout << "worker " << worker << " of the cluster on " << st->path() << " (leases of " << a.lease << ")"
              << std::endl;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  options.stop = &g_stop;
  options.listening = [host = options.host](int bound) {
    std::cout << "listening on http://" << host << ":" << bound << std::endl;
  };
  // Alerts: evaluated every `alerts.every` of the profile (default 1m), due notifications sent
  // (and retried) on every turn.
  // What the log sink says goes out with the turn's other events, through serve's log.
  std::vector<std::string> told;
  watch::AlertLoop alerts(p, open.systems, open.target, [&told](const std::string& line) {
    told.push_back(nlohmann::json{{"event", "notification"}, {"text", line}}.dump());
  });
  // Reconciliations on their schedules (`reconcile daily ...`), kept in the state's history.
  serve::ScheduledReconciles reconciles;
  {
    std::string error;
    if (!reconciles.Init(p, open.systems, options.schedule, *st, NowMs(), error)) {
      std::cerr << "error: " << error << "\n";
      return 1;
    }
  }
  options.watch = [&alerts, &reconciles, &told](state::StateStore& state, int64_t now) -> std::vector<std::string> {
    std::vector<std::string> events = reconciles.Tick(state, now);
    watch::Evaluation ev = alerts.Tick(state, now);
    for (std::string& line : told) events.push_back(std::move(line));
    told.clear();
    if (!ev.evaluated && ev.tried.empty()) return events;
    nlohmann::json e = {{"event", "alerts"}, {"evaluated", ev.evaluated}, {"fired", ev.fired}, {"reminded", ev.reminded},
                        {"cleared", ev.cleared},     {"sent", ev.sent},       {"retrying", ev.retrying},
                        {"failed", ev.failed},       {"errors", ev.errors},   {"lines", ev.lines}};
    if (ev.evaluated && ev.fired == 0 && ev.reminded == 0 && ev.cleared == 0 && ev.tried.empty() && ev.errors.empty())
      return events;  // a quiet evaluation: no line every minute
    events.push_back(e.dump());
    return events;
  };
  // The operations console on the same server (docs/console.md): on when the profile gives logins.
  console::Options console_options;
  console_options.plan = &p;
  console_options.systems = &open.systems;
  console_options.state_path = st->path();
  if (cluster) {
    console_options.state_path = at.location;  // the URL as given (st->path() has the password out)
    console_options.state_password = at.password;
    console_options.leases = leases.get();
  }
  console_options.target = open.target;
  console_options.graph_path = a.graph;
  std::string error;
  std::unique_ptr<console::Console> ops = console::Console::Make(std::move(console_options), error);
  if (!ops) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  options.mount = [&ops](httplib::Server& server, const serve::PostTask& post) { ops->Mount(server, post); };
  int rc = serve::Serve(p, open.systems, *st, options, error);
  if (rc) std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
  return rc;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Runs every sync of a plan on its trigger until SIGTERM; /healthz, /metrics, webhooks and the "
               "operations console over HTTP (docs/serve.md, docs/console.md)");
  cmd->add_option("plan", a->systems.plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  cmd->add_option("--system", a->systems.systems, "NAME=WHERE: a local directory or SQLite database for system NAME")
      ->allow_extra_args(false);
  cmd->add_option("--profiles", a->systems.profiles, "The profile file (default: crmx.profiles.yaml; docs/profiles.md)");
  cmd->add_option("--target", a->systems.target, "The profile's target (default: the file's default_target)");
  cmd->add_option("--state", a->state,
                  "The state: a SQLite file, or postgresql://USER@HOST:PORT/DB shared by several workers "
                  "(default: the target's `state:`, else as `run` finds it)");
  cmd->add_option("--worker", a->worker, "On PostgreSQL: this worker's name in the leases (default HOST:PID)");
  cmd->add_option("--lease", a->lease,
                  "On PostgreSQL: how long a worker's claim on a sync lasts without a heartbeat (default 30s)");
  cmd->add_option("--listen", a->listen,
                  "HOST:PORT of /healthz, /metrics, /webhooks and the console (default 127.0.0.1:9464)");
  cmd->add_option("--poll", a->poll,
                  "How often `on change` syncs poll their source (default: the profile's `poll`, else 60s)");
  cmd->add_option("--zone", a->zone, "The zone of a `daily at` without one (default UTC)");
  cmd->add_option("--log-format", a->log_format, "text (default) or json: one JSON object a line on stderr")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--graph", a->graph,
                  "The console's picture of the integration: `crmxc graph SPEC --format json` output (docs/console.md)");
  cmd->add_flag("--wait", a->wait, "When a run holds the state file, wait for it (default: exit 1)");
  cmd->callback([a, &exit_code] { exit_code = ServeCommand(*a); });
}

}  // namespace crmx::cli
