// Tests `crmxc explain` through its CLI11 registration, as the driver wires it.
#include <doctest/doctest.h>

#include <iostream>
#include <sstream>

#include "compiler/driver/commands.h"

namespace {

struct Captured {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Captured Run(std::vector<std::string> args) {
  CLI::App app("crmxc");
  Captured c;
  crmx::driver::RegisterExplain(app, c.exit_code);
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  c.out = out.str();
  c.err = err.str();
  return c;
}

}  // namespace

TEST_CASE("explain prints the page for a code in any case") {
  Captured upper = Run({"explain", "E0004"});
  CHECK(upper.exit_code == 0);
  CHECK(upper.out.rfind("# E0004: `=` used where `==` was meant\n", 0) == 0);
  CHECK(Run({"explain", "e0004"}).out == upper.out);
  CHECK(Run({"explain", "4"}).out == upper.out);
  CHECK(upper.err.empty());
}

TEST_CASE("explain of an unknown code names the closest codes and exits 2") {
  Captured c = Run({"explain", "E0909"});
  CHECK(c.exit_code == 2);
  CHECK(c.out.empty());
  CHECK(c.err ==
        "error: `E0909` is not a crmx diagnostic code\n"
        "  = help: the closest codes are `E0009`, `E0109`, `E0209`\n"
        "  = note: `crmxc explain` with no code lists every code\n");
  CHECK(Run({"explain", "nonsense"}).err.find("closest") == std::string::npos);
}

TEST_CASE("explain without a code lists every code") {
  Captured c = Run({"explain"});
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("E0001  unexpected token\n") != std::string::npos);
  CHECK(c.out.find("E0108  unknown standard library module\n") != std::string::npos);
}
