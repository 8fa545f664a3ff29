// Defines ReadSourceRecord: a queued record's values as its source holds them now, read through
// the map's source connector by the record's own id (a pushed-down `id == X`), with the fields
// the map reads (its projection; related records' fields are not read). The console's item page
// shows them (runtime/console), on serve's loop thread, which owns the connectors. One read of
// the source: an API call for an API system.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"
#include "runtime/state/queue_book.h"

namespace crmx::queue {

struct SourceRecord {
  bool found = false;
  std::string object;  // "crm.Account"
  std::string id;      // the id it was read by
  std::vector<std::pair<std::string, std::string>> values;  // field, value for people ("null" when null)
};

// Reads `item`'s record from `map`'s source. False with `error` (not redacted) when the map's
// source has no id field, the item no id, the system no connector, or the read failed; true
// with `out.found` false when the source has no such record (deleted).
bool ReadSourceRecord(const plan::Map& map, const engine::Systems& systems, const state::Item& item, SourceRecord& out,
                      std::string& error);

}  // namespace crmx::queue
