// Defines the batch-size rule (batch_sizes.h).
#include "compiler/ir/batch_sizes.h"

namespace crmx::ir {

namespace {

// The documented limits of each kind's API: records per read page and per write call.
struct KindLimits {
  const char* kind;
  int64_t read;
  int64_t write;
};

constexpr KindLimits kLimits[] = {
    {"salesforce", 2000, 200},
    {"netsuite", 1000, 1},
    {"hubspot", 100, 100},
    {"quickbooks", 1000, 30},
    // Oracle Fusion REST: `limit` at most 500 a page; batch requests of 25 parts (docs/connectors/oracle.md).
    {"oracle", 500, 25},
    // Xero: pageSize at most 1000; 50 elements a POST, as Xero recommends (docs/connectors/xero.md).
    {"xero", 1000, 50},
};

constexpr int64_t kDefaultRead = 1000;
constexpr int64_t kDefaultWrite = 100;

const KindLimits* LimitsOf(const plan::System* s) {
  if (s == nullptr) return nullptr;
  for (const KindLimits& k : kLimits)
    if (s->kind == k.kind) return &k;
  return nullptr;
}

std::string Records(int64_t n) { return std::to_string(n) + (n == 1 ? " record" : " records"); }

}  // namespace

BatchSize ReadBatch(const plan::System* s) {
  if (const KindLimits* k = LimitsOf(s)) return {k->read, s->name + ": " + s->kind + " reads " + Records(k->read) + " per call"};
  std::string who = s ? s->name + ": kind " + s->kind : std::string("no system");
  return {kDefaultRead, who + " has no known page size: " + Records(kDefaultRead) + " per call"};
}

BatchSize WriteBatch(const plan::System* s) {
  if (s && s->batch && *s->batch > 0) return {*s->batch, s->name + ": batch " + std::to_string(*s->batch)};
  if (const KindLimits* k = LimitsOf(s)) return {k->write, s->name + ": " + s->kind + " writes " + Records(k->write) + " per call"};
  std::string who = s ? s->name + ": kind " + s->kind : std::string("no system");
  return {kDefaultWrite, who + " has no known batch size: " + Records(kDefaultWrite) + " per call"};
}

std::optional<int64_t> Ceiling(const plan::Budget& b, int64_t batch) {
  if (!b.period_ms || (b.metric != "api_calls" && b.metric != "requests")) return std::nullopt;
  int64_t out = 0;
  if (__builtin_mul_overflow(b.amount, batch, &out)) return INT64_MAX;
  return out;
}

void AssignBatchSizes(plan::Map& m, const std::vector<plan::System>& systems) {
  auto find = [&](const std::string& name) -> const plan::System* {
    for (const plan::System& s : systems)
      if (s.name == name) return &s;
    return nullptr;
  };
  m.read_batch = ReadBatch(find(m.source.system)).records;
  m.write_batch = WriteBatch(find(m.target.system)).records;
}

}  // namespace crmx::ir
