// Defines `crmx-run audit` (state_commands.h): the conflicts runs settled, from the state's
// `audit` table, oldest first.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "runtime/cli/state_commands.h"

namespace crmx::cli {

namespace {

struct AuditOptions {
  std::string state;
  std::string map;
  std::string format = "text";
  bool wait = false;
};

int Audit(const AuditOptions& o) {
  std::unique_ptr<state::StateStore> st;
  if (int rc = OpenState(o.state, o.wait, st)) return rc;
  std::vector<state::AuditEntry> entries = st->Audit(o.map);
  if (!st->ok()) {
    std::cerr << "error: " << st->error() << "\n";
    return 1;
  }
  if (o.format == "json") {
    nlohmann::json a = nlohmann::json::array();
    for (const state::AuditEntry& e : entries)
      a.push_back({{"at", e.at},
                   {"run", e.run},
                   {"map", e.map},
                   {"record", e.record_id},
                   {"field", e.field},
                   {"base", e.base},
                   {"source_value", e.source_value},
                   {"target_value", e.target_value},
                   {"written", e.written},
                   {"winner", e.winner},
                   {"rule", e.rule}});
    std::cout << a.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"at", "run", "map", "record", "field", "before", "source", "target",
                                              "written", "winner", "rule"}};
  for (const state::AuditEntry& e : entries)
    rows.push_back({e.at, std::to_string(e.run), e.map, e.record_id, e.field, e.base.empty() ? "-" : e.base,
                    e.source_value, e.target_value, e.written, e.winner, e.rule});
  std::cout << Table(rows, {1});
  std::cout << entries.size() << " conflict" << (entries.size() == 1 ? "" : "s") << " settled\n";
  return 0;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* a = app.add_subcommand(
      "audit", "Lists the conflicts runs settled (conflicts latest_wins ... audit): before and after values, who won, "
               "why (docs/operations.md)");
  a->add_option("--state", o->state, "The state file")->required();
  a->add_option("--map", o->map, "Only this map's");
  a->add_option("--format", o->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  a->add_flag("--wait", o->wait, "When a run holds the state file, wait for it to end");
  a->callback([o, &exit_code] { exit_code = Audit(*o); });
}

}  // namespace crmx::cli
