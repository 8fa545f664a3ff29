// Defines `crmx-run queue`: the tool people work the queues with (docs/operations.md, "Working
// the queues"):
//
//   crmx-run queue list    --state F [--queue Q] [--map M] [--reason TEXT] [--since T]
//                          [--status open|resolved|discarded|all] [--format text|json] [--wait]
//   crmx-run queue show    ID --state F [--format text|json] [--wait]
//   crmx-run queue resolve ID --note TEXT --state F [--force] [--wait]
//   crmx-run queue discard ID --note TEXT --state F [--force] [--wait]
//   crmx-run queue replay  ID... PLAN | --all-matching [--queue Q --map M --reason TEXT --since T] PLAN
//                          [--state F] [--profiles F --target T --system NAME=WHERE ...] [--dry-run]
//                          [--retry-wait D] [--force] [--format text|json] [--wait]
//
// Every command opens the state file through state::StateStore::Open, so it holds the state's
// lock while it works: during a run it says which run holds it, or waits with --wait.
// Exit status: 0 done, 1 failure (state unreadable, replay failed), 2 usage error (an unknown
// item, an item already resolved or discarded without --force).
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// Adds the `queue` command and its subcommands to `app`; the status of the command that ran
// goes to `exit_code`.
void AddQueueCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
