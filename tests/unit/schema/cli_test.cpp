// `crmxc schema import` and `crmxc schema show` driven through CLI11 in-process.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "compiler/driver/commands.h"
#include "compiler/schema/schema_json.h"

namespace {

std::string Fx(const std::string& rel) {
  return std::string(CRMX_SOURCE_DIR) + "/tests/fixtures/schemas/" + rel;
}

// Runs `crmxc ARGS...` with only the schema subcommand registered; captures stdout/stderr.
int Run(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
  CLI::App app("crmxc");
  int exit_code = 0;
  crmx::driver::RegisterSchema(app, exit_code);
  std::vector<std::string> argv_s = {"crmxc"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (auto& a : argv_s) argv.push_back(a.c_str());
  std::ostringstream o, e;
  auto* old_out = std::cout.rdbuf(o.rdbuf());
  auto* old_err = std::cerr.rdbuf(e.rdbuf());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& pe) {
    exit_code = 2;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  if (out) *out = o.str();
  if (err) *err = e.str();
  return exit_code;
}

}  // namespace

TEST_CASE("schema import writes a crmx schema and prints warnings") {
  auto tmp = std::filesystem::temp_directory_path() / "crmx_schema_cli_test.json";
  std::string out, err;
  int rc = Run({"schema", "import", "--from", "salesforce", Fx("salesforce/Trimmed.json"), "-o",
                tmp.string(), "--system", "crm"},
               &out, &err);
  CHECK(rc == 0);
  CHECK(err.find("warning: " + Fx("salesforce/Trimmed.json") + "#/fields/2/type: ") !=
        std::string::npos);
  auto loaded = crmx::schema::ReadSchemaFile(tmp.string());
  REQUIRE(loaded.ok());
  CHECK(loaded.schema.system == "crm");

  // Auto-detected format, then show an object and a field.
  rc = Run({"schema", "import", Fx("salesforce/Opportunity.describe.json"), "-o", tmp.string()});
  CHECK(rc == 0);
  rc = Run({"schema", "show", tmp.string(), "Opportunity"}, &out, &err);
  CHECK(rc == 0);
  CHECK(out.find("StageName") != std::string::npos);
  CHECK(out.find("18,2") != std::string::npos);
  rc = Run({"schema", "show", tmp.string(), "Opportunity.OwnerId"}, &out, &err);
  CHECK(rc == 0);
  CHECK(out.find("Group, User") != std::string::npos);
  CHECK(out.find("polymorphic") != std::string::npos);
  rc = Run({"schema", "show", tmp.string(), "Opportunity.Nope"}, &out, &err);
  CHECK(rc == 1);
  CHECK(err.find("`Nope` is not a field of `Opportunity`") != std::string::npos);
  std::filesystem::remove(tmp);
}

TEST_CASE("schema import exit codes") {
  auto tmp = std::filesystem::temp_directory_path() / "crmx_schema_cli_test2.json";
  CHECK(Run({"schema", "import", Fx("salesforce/missing.json"), "-o", tmp.string()}) == 2);
  std::string err;
  CHECK(Run({"schema", "import", "--from", "salesforce", Fx("openapi/api31.yaml"), "-o",
             tmp.string()}, nullptr, &err) == 1);
  CHECK(err.find("malformed JSON") != std::string::npos);
  CHECK(Run({"schema", "import", "--from", "cobol", Fx("salesforce/Trimmed.json"), "-o",
             tmp.string()}) == 2);
  CHECK(Run({"schema", "import", Fx("salesforce/Trimmed.json")}) == 2);  // no -o
}
