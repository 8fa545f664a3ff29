// Defines `crmx-run status PLAN --state F [--format text|json]`: each sync's last and next run,
// the queues, dead letters, the ledger, budgets, and the seed's benchmarks measured from the
// state with their bands (good / typical / red). Reads the state file read-only, without the
// run lock, so it works beside a running `crmx-run serve` (docs/serve.md, "Status").
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

void AddStatusCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
