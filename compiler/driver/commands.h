// Declares the crmxc subcommands. Each lives in its own cmd_<name>.cpp and registers one
// CLI11 subcommand whose callback stores the process exit status in `exit_code`:
// 0 success, 1 an error was reported, 2 usage error or unreadable input.
#pragma once

#include <CLI/CLI.hpp>

namespace crmx::driver {

void RegisterCheck(CLI::App& root, int& exit_code);    // cmd_check.cpp
void RegisterDump(CLI::App& root, int& exit_code);     // cmd_dump.cpp
void RegisterExplain(CLI::App& root, int& exit_code);  // cmd_explain.cpp
void RegisterSchema(CLI::App& root, int& exit_code);   // cmd_schema.cpp
void RegisterEval(CLI::App& root, int& exit_code);     // cmd_eval.cpp
void RegisterBuild(CLI::App& root, int& exit_code);    // cmd_build.cpp
void RegisterTest(CLI::App& root, int& exit_code);     // cmd_test.cpp
void RegisterFmt(CLI::App& root, int& exit_code);      // cmd_fmt.cpp
void RegisterGraph(CLI::App& root, int& exit_code);    // cmd_graph.cpp: graph and lineage
void RegisterLsp(CLI::App& root, int& exit_code);      // cmd_lsp.cpp: the language server

}  // namespace crmx::driver
