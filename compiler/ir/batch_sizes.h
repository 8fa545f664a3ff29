// Defines how many records a map moves per API call: its read batch (records per read of the
// source system) and its write batch (records per write to the target system).
//
// The rule (docs/plan-format.md, Map):
// - write batch: the target system's `batch N` ("how many records one API call writes");
//   without it, the most the system's API takes in one write call (salesforce 200: sObject
//   Collections; netsuite 1: the REST record API writes one record a request; hubspot 100:
//   the batch endpoints; quickbooks 30: a batch request); for another kind, 100.
// - read batch: the most the source system's API returns in one page (salesforce 2000: a SOQL
//   query batch; netsuite 1000: a REST collection or SuiteQL page; hubspot 100; quickbooks
//   1000: MAXRESULTS); for another kind, 1000. `batch` is about writes and does not change it.
// - budgets do not change either size. A batch costs one call whatever its size, so a budget
//   of calls (`api_calls 100000 per 24h`, `requests 190 per 10s`) is spent slowest at the
//   largest batch the API allows, which is what the rule picks; `concurrency` limits parallel
//   calls, not their size. What a budget bounds is records per period: its amount times the
//   batch, which Ceiling() computes for `crmxc dump ir`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/plan/plan.h"

namespace crmx::ir {

struct BatchSize {
  int64_t records = 0;
  std::string why;  // "crm: batch 200", "erp: netsuite writes 1 record per call"
};

// Null `system` (a map whose system the plan lacks): the defaults.
BatchSize ReadBatch(const plan::System* system);
BatchSize WriteBatch(const plan::System* system);

// At most how many records `budget` lets move per period at `batch` records a call: none for
// a budget without a period or whose metric is not a count of calls (api_calls, requests).
std::optional<int64_t> Ceiling(const plan::Budget& budget, int64_t batch);

// Sets m.read_batch and m.write_batch from the plan's systems.
void AssignBatchSizes(plan::Map& m, const std::vector<plan::System>& systems);

}  // namespace crmx::ir
