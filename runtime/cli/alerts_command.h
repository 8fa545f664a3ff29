// Defines `crmx-run alerts` (alerts_command.cpp; docs/serve.md, "Alerts and notifications").
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// `crmx-run alerts PLAN [--system NAME=WHERE ...] [--profiles F] [--target T] [--state F]
// [--wait] [--dry-run] [--format text|json]`: evaluates the plan's alerts, the built-in alerts
// and the engine's undelivered events once, and sends what is due (what `crmx-run serve` does
// every `alerts.every`). Exit status: 0 evaluated and sent; 1 an alert could not be evaluated
// (its system unreadable), a notification failed for good, or the state failed; 2 usage.
void AddAlertsCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
