// Defines how crmx-run's commands that run a plan find its systems and its state file: the
// plan read and checked, one connector per system from the profile's target and `--system
// NAME=WHERE` overrides (docs/operations.md, "Where the systems are"), the default state path
// beside the ERP's local store, and the refusal of a state file that is a system's database.
// Shared by `crmx-run queue replay` (queue_command.h); main.cpp's `run` does the same.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/profile/profile.h"
#include "runtime/state/state.h"

namespace CLI {
class App;
}

namespace crmx::cli {

// What the command line says about the systems.
struct SystemArgs {
  std::string plan;
  std::vector<std::string> systems;  // NAME=WHERE
  std::string profiles;
  std::string target;
  // Create nothing (`crmx-run diff`): a SQLite database that does not exist yet is opened as an
  // empty one in memory instead of being created (a local system is otherwise created when
  // missing).
  bool create_nothing = false;
  // Asked before every request to an API system (its name given): "" to send it, else why not
  // (`crmx-run serve` in a cluster: the shared budgets, runtime/state/leases.h).
  std::function<std::string(const std::string& system)> admit;
  // Told when a request `admit` let through came back.
  std::function<void(const std::string& system)> admitted_done;
};

// The connectors of the plan's systems.
struct OpenSystems {
  std::map<std::string, std::unique_ptr<connectors::Connector>> owned;
  std::map<std::string, std::string> where;  // name -> what it is, for messages and the state path
  engine::Systems systems;
  profile::Target target;  // empty when no profile was read
};

// Adds `--system NAME=WHERE` (one value each: a plan or ids may follow), `--profiles FILE` and
// `--target T` to `cmd`, into `args`: the systems' options every command that opens a plan's
// systems takes. `verb` says what the command does with a system ("runs", "reads").
void AddSystemOptions(CLI::App* cmd, SystemArgs& args, const std::string& verb);

// The profile file: --profiles, else crmx.profiles.yaml in the working directory, else beside
// the plan; "" when there is none (then every system needs --system).
std::string FindProfiles(const SystemArgs& args);

// Reads the plan into `p` and opens its systems; 0, else the exit status (the reason printed
// on stderr, secrets redacted).
int OpenPlanAndSystems(const SystemArgs& args, plan::Plan& p, OpenSystems& out);

// The state file when no --state is given: beside the ERP's local store (`erp.db` ->
// `erp.crmx-state.db`, a directory DIR -> `DIR/crmx.crmx-state.db`); with API systems, beside
// the profile file (else here).
std::string DefaultStatePath(const OpenSystems& open);

// 0, or 1 (said on stderr) when `state_path` is one of the systems' SQLite databases.
int CheckStateNotSystem(const OpenSystems& open, const std::string& state_path);

// Where the state is: --state, else the target's `state:` (a PostgreSQL URL and its password),
// else DefaultStatePath.
struct StateAt {
  std::string location;  // a file, or a postgresql:// URL
  std::string password;  // PostgreSQL: the target's `state.password` ("": libpq's own ways)
};
StateAt FindState(const OpenSystems& open, const std::string& state_opt);

// The state file of a command that runs the plan (`run`, `serve`): `state_opt`, else
// DefaultStatePath; refused when it is a system's database; locked (waiting for another
// holder with `wait`). 0, else the exit status (said on stderr).
int OpenRunState(const OpenSystems& open, const std::string& state_opt, bool wait,
                 std::unique_ptr<state::StateStore>& out);

// "90s", "500ms", "2m", "1h", "0": milliseconds, or -1 when the text is none of those.
int64_t DurationMs(const std::string& text);

}  // namespace crmx::cli
