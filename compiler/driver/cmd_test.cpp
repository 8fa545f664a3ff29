// Defines `crmxc test SPEC [--junit FILE] [--filter TEXT] [--engine vm|jit]`: checks a spec,
// builds its plan in memory (tests included, as `crmxc build` writes them) and runs the spec's
// `test` blocks with the runtime's runner (runtime/spectest/spectest.h): each test runs the
// whole plan on in-memory systems holding its `given` records (with `--engine jit`, the plan's
// programs compiled by the JIT first, runtime/jit/engine.h). Prints one line per test, the
// failures' diffs and `N passed, M failed` on stdout. Exit 0 when every test passes, 1 when one
// fails or the spec has errors, 2 on usage errors or unreadable input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"
#include "runtime/jit/engine.h"
#include "runtime/spectest/report.h"
#include "runtime/spectest/spectest.h"

namespace crmx::driver {

namespace {

namespace fs = std::filesystem;

struct TestOptions {
  std::string spec;
  std::string junit;
  std::string filter;
  std::string engine = "vm";
};

int RunTest(const TestOptions& opt) {
  plan::Plan plan;
  std::string error;
  std::string spec = ResolveSpec(opt.spec, error);
  if (spec.empty()) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  std::unique_ptr<jit::Jit> jit;  // --engine jit: owns the native code of the plan's programs
  if (int status = jit::OpenEngine(opt.engine, jit); status != 0) return status;
  if (int status = CheckAndBuildPlan(spec, "test run", plan); status != 0) return status;
  if (jit) {
    if (!jit->CompilePlan(plan, error)) {
      std::cerr << "error: " << error << "\n";
      return 2;
    }
    std::cerr << jit->stats().Summary() << "\n";
  }
  std::vector<spectest::TestResult> results = spectest::RunSpecTests(plan, spectest::Options{opt.filter});
  if (plan.tests.empty()) std::cout << "`" << spec << "` has no tests\n";
  else if (results.empty()) std::cout << "no test name contains `" << opt.filter << "`\n";
  std::cout << spectest::ResultsText(results);
  if (!opt.junit.empty()) {
    std::ofstream out(opt.junit, std::ios::binary);
    out << spectest::JUnitXml(results, plan.integration);
    if (!out.flush()) {
      std::cerr << "error: cannot write `" << opt.junit << "`\n";
      return 2;
    }
  }
  bool failed = std::any_of(results.begin(), results.end(), [](const spectest::TestResult& r) { return !r.passed; });
  return failed ? 1 : 0;
}

}  // namespace

void RegisterTest(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<TestOptions>();
  CLI::App* cmd = root.add_subcommand(
      "test", "Runs the spec's `test` blocks: each test runs the whole plan on in-memory systems\n"
              "holding its `given` records and checks its `expect`s.\n"
              "Exit status: 0 every test passed, 1 a test failed or the spec has errors, 2 usage error.");
  cmd->add_option("spec", opt->spec, "The integration spec (.crmx), or a folder holding exactly one")->required();
  cmd->add_option("--junit", opt->junit, "Also write the results as JUnit XML to FILE (for CI)")->type_name("FILE");
  cmd->add_option("--filter", opt->filter, "Run only the tests whose name contains TEXT")->type_name("TEXT");
  cmd->add_option("--engine", opt->engine, jit::kEngineHelp)->check(CLI::IsMember({"vm", "jit"}));
  cmd->callback([opt, &exit_code] { exit_code = RunTest(*opt); });
}

}  // namespace crmx::driver
