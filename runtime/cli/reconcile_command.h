// Defines `crmx-run reconcile` (reconcile_command.cpp; docs/operations.md, "Reconciliation").
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// `crmx-run reconcile PLAN [--name N] [--system NAME=WHERE ...] [--profiles F] [--target T]
// [--state F | --no-state] [--wait] [--format text|json|markdown|html] [--out FILE]`: reads
// both sides of the plan's reconciles, reports the discrepancies, keeps them in the state.
// Exit status: 0 no discrepancy, 1 discrepancies, 2 an error (a system or the state that
// cannot be read, an unknown name, a usage error).
void AddReconcileCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
