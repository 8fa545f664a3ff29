// Defines `crmx-run alerts` (alerts_command.h): the plan's systems opened as `run` opens them
// (systems.h), its state file locked, one evaluation of the alerts (runtime/watch/alerts.h)
// with the profile target's notify and alerts sections, and what happened printed. A dry run
// evaluates against a copy of the state file with every send recorded instead of made.
#include "runtime/cli/alerts_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "runtime/cli/systems.h"
#include "runtime/state/queue_book.h"
#include "runtime/watch/alerts.h"

namespace crmx::cli {

namespace {

namespace fs = std::filesystem;

struct AlertsOptions {
  SystemArgs systems;
  std::string state;
  bool wait = false;
  bool dry_run = false;
  std::string format = "text";
};

// A dry run's notifier: channels as the profile says, every send recorded and answered ok.
class Recorder : public watch::Notifier {
 public:
  explicit Recorder(watch::Notifier& real) : real_(real) {}
  std::vector<std::string> Expand(const std::string& name, std::string& error) const override {
    return real_.Expand(name, error);
  }
  std::string OwnerChannel() const override { return real_.OwnerChannel(); }
  int64_t RenotifyMs() const override { return real_.RenotifyMs(); }
  watch::SendResult Send(const std::string&, const watch::Message&, const std::string&, int64_t) override {
    return watch::SendResult{true, false, ""};
  }

 private:
  watch::Notifier& real_;
};

// A directory of our own for the dry run's copy of the state, removed when it goes.
struct CopyDir {
  fs::path path;
  ~CopyDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PrintText(const watch::Evaluation& ev, const std::string& plan, const std::string& state, bool dry_run,
               int64_t now) {
  std::cout << (dry_run ? "dry run of the alerts of " : "alerts of ") << plan << " at " << state::MsText(now)
            << ", state " << state << (dry_run ? " (a copy: nothing was sent, the state was not changed)" : "")
            << "\n";
  for (const std::string& l : ev.lines) std::cout << "  " << l << "\n";
  for (const std::string& e : ev.errors) std::cout << "  not evaluated: " << e << "\n";
  for (const std::string& n : ev.notes) std::cout << "  note: " << n << "\n";
  if (!ev.tried.empty()) std::cout << "notifications:\n";
  for (const state::NotificationRow& n : ev.tried) {
    std::string status = dry_run && n.status == "sent" ? "would send" : n.status;
    std::cout << "  " << status << "  " << n.channel << "  " << n.subject;
    if (!n.last_error.empty()) std::cout << "  (" << n.last_error << ")";
    if (n.status == "retrying") std::cout << "  next try " << state::MsText(n.due);
    std::cout << "\n";
  }
  std::cout << ev.matching << " matching, " << ev.fired << " fired, " << ev.reminded << " reminded, " << ev.cleared
            << " cleared; notifications " << (dry_run ? "that would be sent " : "sent ") << ev.sent << ", retrying "
            << ev.retrying << ", failed " << ev.failed << "\n";
}

void PrintJson(const watch::Evaluation& ev, const std::string& state, bool dry_run, int64_t now) {
  nlohmann::json tried = nlohmann::json::array();
  for (const state::NotificationRow& n : ev.tried)
    tried.push_back({{"id", n.id}, {"alert", n.alert}, {"record_key", n.record_key}, {"target", n.target},
                     {"channel", n.channel}, {"status", n.status}, {"attempts", n.attempts}, {"subject", n.subject},
                     {"last_error", n.last_error}, {"due", n.status == "retrying" ? state::MsText(n.due) : ""}});
  nlohmann::json j{{"at", state::MsText(now)}, {"state", state},       {"dry_run", dry_run},
                   {"matching", ev.matching},  {"started", ev.started}, {"fired", ev.fired},
                   {"reminded", ev.reminded},  {"cleared", ev.cleared}, {"decided", ev.decided},
                   {"sent", ev.sent},          {"retrying", ev.retrying}, {"failed", ev.failed},
                   {"lines", ev.lines},        {"errors", ev.errors},   {"notes", ev.notes},
                   {"calls", ev.calls},        {"notifications", tried}};
  std::cout << j.dump(2) << "\n";
}

int Alerts(const AlertsOptions& o) {
  plan::Plan p;
  OpenSystems open;
  if (int rc = OpenPlanAndSystems(o.systems, p, open)) return rc;
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenRunState(open, o.state, o.wait, st)) return rc;
  std::string error;
  std::string state_path = st->path();
  CopyDir copy;
  if (o.dry_run) {
    std::error_code ec;
    copy.path = fs::temp_directory_path(ec) / ("crmx-alerts-" + std::to_string(getpid()) + "-" + std::to_string(NowMs()));
    if (ec || !fs::create_directory(copy.path, ec)) {
      std::cerr << "error: cannot make a directory for the dry run's copy of the state" << (ec ? ": " + ec.message() : "")
                << "\n";
      copy.path.clear();
      return 1;
    }
    std::string copy_path = (copy.path / "state.db").string();
    if (!state::BackupTo(*st, copy_path, error) || !(st = state::StateStore::Open(copy_path, error))) {
      std::cerr << "error: the dry run's copy of the state: " << error << "\n";
      return 1;
    }
  }
  auto log = [](const std::string& line) { std::cerr << line << "\n"; };
  std::unique_ptr<watch::Notifier> notifier =
      watch::MakeNotifier(open.target.notify, log, [&open](const std::string& t) { return profile::Redact(open.target, t); });
  Recorder recorder(*notifier);
  watch::AlertSettings settings;
  settings.builtins = open.target.alerts;
  watch::Evaluation ev;
  int64_t now = NowMs();
  bool ok = watch::EvaluateAlerts(p, open.systems, *st, now, o.dry_run ? static_cast<watch::Notifier&>(recorder) : *notifier,
                                  settings, ev, error);
  if (!ok) {
    std::cerr << "error: " << profile::Redact(open.target, error) << "\n";
    return 1;
  }
  for (std::string& e : ev.errors) e = profile::Redact(open.target, e);
  if (o.format == "json") PrintJson(ev, state_path, o.dry_run, now);
  else PrintText(ev, o.systems.plan, state_path, o.dry_run, now);
  return ev.errors.empty() && ev.failed == 0 ? 0 : 1;
}

}  // namespace

void AddAlertsCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AlertsOptions>();
  CLI::App* c = app.add_subcommand(
      "alerts",
      "Evaluates the plan's alerts, the built-in alerts and the undelivered events once, and sends the notifications "
      "due; exit 0 done, 1 an alert or a notification failed, 2 usage (docs/serve.md)");
  c->add_option("plan", o->systems.plan, "The plan file (crmxc build SPEC -o PLAN)")->required();
  AddSystemOptions(c, o->systems, "reads");
  c->add_option("--state", o->state,
                "The state file keeping the alerts' timers and notifications (default: the one `run` uses)");
  c->add_flag("--wait", o->wait, "When a run holds the state file, wait for it to end");
  c->add_flag("--dry-run", o->dry_run,
              "Evaluate against a copy of the state and send nothing: print what would be sent");
  c->add_option("--format", o->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  c->callback([o, &exit_code] { exit_code = Alerts(*o); });
}

}  // namespace crmx::cli
