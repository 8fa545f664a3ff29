// Defines the entry point of `crmxc`, the crmx compiler: one CLI11 app whose subcommands live
// in cmd_*.cpp. Exit status: 0 success, 1 an error was reported, 2 usage error or unreadable
// input.
#include <iostream>

#include "compiler/driver/commands.h"
#include "compiler/driver/version.h"

int main(int argc, char** argv) {
  CLI::App app{"crmxc: the crmx compiler. Checks .crmx integration specs against the systems' schemas."};
  app.name("crmxc");
  app.set_version_flag("--version", std::string("crmxc ") + crmx::kVersion);
  app.require_subcommand(1);
  int exit_code = 0;
  crmx::driver::RegisterCheck(app, exit_code);
  crmx::driver::RegisterDump(app, exit_code);
  crmx::driver::RegisterExplain(app, exit_code);
  crmx::driver::RegisterSchema(app, exit_code);
  crmx::driver::RegisterEval(app, exit_code);
  crmx::driver::RegisterBuild(app, exit_code);
  crmx::driver::RegisterTest(app, exit_code);
  crmx::driver::RegisterFmt(app, exit_code);
  crmx::driver::RegisterGraph(app, exit_code);
  crmx::driver::RegisterLsp(app, exit_code);
  // CLI11 reports a misspelled command as "a subcommand is required": name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->check_name(argv[1]);
    }
    if (!found) {
      std::cerr << "error: unknown command `" << argv[1] << "`; the commands are " << known << "\n"
                << "Run with --help for more information.\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
