// Defines `crmx-run serve` on the command line: the plan's systems and state opened as `run`
// opens them, the HTTP address, the poll interval and the webhook verifiers from the profile,
// then runtime/serve's loop until SIGTERM (docs/serve.md).
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

void AddServeCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
