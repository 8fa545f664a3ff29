// Defines the run loop of crmx-run: executes a plan's maps in order over the records of the
// systems' connectors, and reports, per map, where every record ended: written, skipped by
// the sync's `when`, data-quality queue (a `require` failed), held (`hold`), waiting (a `ref`
// not yet resolvable) or error (a malformed line, an expression error, a failed write).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/plan/plan.h"
#include "runtime/state/state.h"

namespace crmx::engine {

struct QueueItem {
  std::string id;  // the record's key ("" when it has none)
  std::string file;
  int64_t line = 0;
  std::vector<std::string> reasons;
};

struct Bucket {
  int64_t count = 0;
  std::map<std::string, int64_t> by_reason;  // by the first reason
  std::vector<QueueItem> records;            // not kept for skipped records
};

struct MapReport {
  std::string name;
  std::string source;  // "crm.Account"
  std::string target;
  int64_t input_lines = 0;
  int64_t written = 0;
  Bucket skipped, data_quality, held, waiting, error;
  std::map<std::string, int64_t> flags_on_written;
  // Items of list-valued fields on written records (`lines` of an order: its order lines).
  std::map<std::string, int64_t> list_items_written;
  // Malformed lines of related objects (parents, children) read for this map: not records of
  // this map, so in no bucket; the map whose source they are reports them as errors.
  std::vector<QueueItem> related_bad_lines;
  // (data_quality + held + waiting + error) / (input_lines - skipped); 0 when nothing ran.
  double FailureRate() const;
};

struct RunReport {
  std::string integration;
  std::string plan_hash;
  int64_t run = 0;
  std::string state_path;
  std::vector<MapReport> maps;
};

// "good" (< 1%), "warning" (1% to 5%), "red" (> 5%).
const char* Judge(double failure_rate);

struct Systems {
  std::map<std::string, connectors::Connector*> by_name;  // "crm" -> connector
};

// Runs every map of `plan` in order. False with `error` on a fatal problem (a system with no
// connector, an object that cannot be read); record-level problems go to the report.
bool Run(const plan::Plan& plan, const Systems& systems, state::StateStore* state, RunReport& report,
         std::string& error);

// The report as JSON text (the shape of examples/.../data/expected_summary.json's `maps`).
std::string ReportJson(const RunReport& report);
// The report for people: a table of counts per map, the failure rates, where the queues are.
std::string ReportText(const RunReport& report);

}  // namespace crmx::engine
