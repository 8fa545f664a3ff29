// Defines what crmx-run's commands over a state file share (queue_command.cpp, audit_command.cpp):
// opening the state file for them, and a table for people.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/state/state.h"

namespace CLI {
class App;
}

namespace crmx::cli {

// Opens the state file `path` (it must exist: these commands create none), locked (waiting for a
// run that holds it with `wait`); 0 or the exit status (said on stderr).
// A PostgreSQL URL is opened too, with `password` ("": libpq's PGPASSWORD or ~/.pgpass).
int OpenState(const std::string& path, bool wait, std::unique_ptr<state::StateStore>& out,
              const std::string& password = "");

// A table for people: columns padded to their widest cell, the last one not; columns in
// `right` aligned right.
std::string Table(const std::vector<std::vector<std::string>>& rows, const std::set<size_t>& right = {});

// `crmx-run audit --state F [--map M] [--format text|json] [--wait]`: the conflicts runs
// settled (docs/operations.md, "Conflicts").
void AddAuditCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
