// Defines `crmx-run assess`: the data's readiness, measured (issue 13; docs/assess.md).
//
//   crmx-run assess PLAN [--system NAME=WHERE ...] [--profiles FILE] [--target T]
//                   [--format text|json] [--examples N] [--duplicates FILE]
//
// Reads every source object the plan's maps read, through the connectors a run uses (systems.h),
// writing nothing, and reports per object and overall the completeness of the key fields, the
// duplicate rate and the format consistency (runtime/assess/measure.h).
// Exit status: 0 measured, 2 on an error (a plan or a system that cannot be read; said on stderr).
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// Adds the `assess` command to `app`; its exit status goes to `exit_code`.
void AddAssessCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
