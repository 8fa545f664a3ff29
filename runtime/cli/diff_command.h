// Defines `crmx-run diff`: what a spec change does to the data (docs/cli.md, "crmx-run diff").
//
//   crmx-run diff OLD_PLAN NEW_PLAN [--profiles FILE] [--target T] [--system NAME=WHERE ...]
//                 [--format text|json] [--examples N] [--exit-code] [--spill-dir DIR]
//
// Evaluates both plans on the same source records, every record as a --full run would look at
// it, without writing anything to any system and without a state file (runtime/diff/diff.h),
// then reports per map the records whose outcome changes and, for records written by both, the
// target values and flags that change.
// Exit status: 0 computed (differences or not), 1 with --exit-code when there are differences,
// 2 on an error (a plan or a system that cannot be read; said on stderr).
#pragma once

namespace CLI {
class App;
}

namespace crmx::cli {

// Adds the `diff` command to `app`; its exit status goes to `exit_code`.
void AddDiffCommand(CLI::App& app, int& exit_code);

}  // namespace crmx::cli
