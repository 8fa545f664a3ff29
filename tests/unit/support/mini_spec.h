// Test helper: the small spec of tests/unit/engine/mini (two maps, the second `ref`s the first),
// built, with its CRM directory and a SQLite ERP in a directory of the test's own, run through the
// engine on a state store.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/connectors/connector.h"
#include "runtime/engine/engine.h"
#include "runtime/state/state.h"
#include "tests/unit/support/example_spec.h"

namespace crmx::testing {

struct Mini {
  plan::Plan plan = BuildSpecPlanOrFail(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/mini.crmx");
  std::unique_ptr<connectors::Connector> crm, erp;
  engine::Systems systems;
  explicit Mini(const std::filesystem::path& d) {
    std::string error;
    crm = connectors::Open(std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini/crm", error);
    erp = connectors::Open((d / "erp.db").string(), error);
    REQUIRE_MESSAGE(crm, error);
    REQUIRE_MESSAGE(erp, error);
    systems.by_name["crm"] = crm.get();
    systems.by_name["erp"] = erp.get();
  }
  bool Run(state::StateStore* st, std::string& error, engine::QueueSink* sink = nullptr) {
    engine::RunOptions options;
    if (sink) options.sinks.push_back(sink);
    engine::RunReport report;
    return engine::Run(plan, systems, st, options, report, error);
  }
};

}  // namespace crmx::testing
